/**
 * Which protocol versions a server accepts (`--deep`): SSLv3, TLS 1.0, 1.1, 1.2 and 1.3, each
 * offered alone in a hand-built hello (a version below TLS 1.3 as client_version, RFC 5246
 * §E.1; TLS 1.3 alone in supported_versions, RFC 8446 §4.2.1). A ServerHello of that version
 * is acceptance; an alert, another version (a server answering a TLS 1.0 hello with TLS 1.2
 * breaks RFC 5246 §E.1 and does not speak TLS 1.0) or a close is refusal.
 */
import type { ProtocolAcceptance } from '../model/deep.js';
import { DeepStopped } from './connection-gate.js';
import { describeAnswer, type HelloExchanger } from './hello-exchange.js';
import { DEEP_PROTOCOLS, protocolOfWire } from '../model/wire-versions.js';
import { helloFor, helloLists, suitesFor } from './scan-hellos.js';

/** Alerts that mean "none of these suites", not "not this version": the next list of suites is tried. */
const NO_SHARED_SUITE = new Set(['handshake_failure', 'insufficient_security']);

/**
 * What the protocol scan found, and how many hellos it sent (each on its own connection,
 * unless the exchanger remembers alike hellos).
 *
 * @example const { protocols, hellos } = await scanProtocols(exchange);
 */
export interface ProtocolScan {
  protocols: ProtocolAcceptance[];
  hellos: number;
}

/**
 * Tries each version, oldest first, with every suite the scans offer for it (list after list
 * while the server says only that none is shared). Stops at DeepStopped: the versions not
 * tried are `accepted: null` with the reason.
 *
 * @example const { protocols } = await scanProtocols(rememberAnswers(helloExchanger(gate)));
 */
export async function scanProtocols(exchange: HelloExchanger): Promise<ProtocolScan> {
  const protocols: ProtocolAcceptance[] = [];
  let hellos = 0;
  let stopped: string | null = null;
  for (const { name, wire } of DEEP_PROTOCOLS) {
    if (stopped !== null) {
      protocols.push({ version: name, accepted: null, note: `not tried: ${stopped}` });
      continue;
    }
    const lists = helloLists(suitesFor(name).map((s) => s.code));
    let result: ProtocolAcceptance = { version: name, accepted: null, note: 'not tried' };
    try {
      for (const [i, list] of lists.entries()) {
        hellos += 1;
        const answer = await exchange(helloFor(name, list));
        if (answer.kind === 'server-hello') {
          const chosen = answer.hello.version;
          result = chosen === wire ? { version: name, accepted: true, note: null } : { version: name, accepted: false, note: `answered with ${protocolOfWire(chosen) ?? `version 0x${chosen.toString(16)}`}` };
        } else if (answer.kind === 'alert' && NO_SHARED_SUITE.has(answer.name) && i < lists.length - 1) {
          continue;
        } else {
          const told = answer.kind !== 'timeout' && answer.kind !== 'unreached';
          result = { version: name, accepted: told ? false : null, note: describeAnswer(answer) };
        }
        break;
      }
    } catch (err) {
      if (!(err instanceof DeepStopped)) throw err;
      stopped = err.failure.message;
      result = { version: name, accepted: null, note: `not tried: ${stopped}` };
    }
    protocols.push(result);
  }
  return { protocols, hellos };
}
