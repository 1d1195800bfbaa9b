/**
 * Which cipher suites a server accepts, per accepted protocol (`--deep`), in few connections
 * (testssl.sh's way): offer every suite, note the one chosen, offer the rest, until the server
 * refuses; a server picks one of the suites offered (RFC 5246 §7.4.1.3, RFC 8446 §4.1.3), so
 * the accepted set takes one connection per suite and one more per list of suites. Then
 * whether the server imposes its own order: two accepted suites offered in both orders.
 * What could not be tested is said in words.
 */
import type { AcceptedSuite, CipherScan, DeepProtocol, ProtocolAcceptance } from '../model/deep.js';
import type { HelloAnswer } from '../tls/wire/hello-answer.js';
import { DeepStopped } from './connection-gate.js';
import { describeAnswer, type HelloExchanger } from './hello-exchange.js';
import { suiteName } from '../model/cipher-suites.js';
import { DEEP_PROTOCOLS, WIRE_VERSION, wireOf } from '../model/wire-versions.js';
import { helloFor, helloLists, suitesFor } from './scan-hellos.js';

/**
 * What the cipher scan found, and how many hellos it sent.
 *
 * @example const { ciphers, hellos } = await scanCiphers(exchange, protocols);
 */
export interface CipherScanResult {
  ciphers: CipherScan;
  hellos: number;
}

/** The protocol the server's order is asked with: TLS 1.2 where it took two suites, else the newest that did. */
const ORDER_PREFERENCE: readonly DeepProtocol[] = [...DEEP_PROTOCOLS].sort((a, b) => orderRank(b.wire) - orderRank(a.wire)).map((p) => p.name);
function orderRank(wire: number): number {
  return wire === WIRE_VERSION.tls12 ? Infinity : wire;
}

/**
 * Finds the accepted suites of each protocol the protocol scan found accepted, then the
 * server's order. Stops at DeepStopped, saying what was left untested.
 *
 * @example const { ciphers } = await scanCiphers(exchange, (await scanProtocols(exchange)).protocols);
 */
export async function scanCiphers(exchange: HelloExchanger, protocols: readonly ProtocolAcceptance[]): Promise<CipherScanResult> {
  const accepted: AcceptedSuite[] = [];
  const untested: string[] = [];
  let hellos = 0;
  let stopped: string | null = null;
  const ask = async (protocol: DeepProtocol, suites: readonly number[]) => {
    hellos += 1;
    return exchange(helloFor(protocol, suites));
  };

  for (const { version, accepted: taken } of protocols) {
    if (taken === false) continue; // a refused version has no suites to tell: not a gap
    if (taken !== true) {
      untested.push(`${version} suites: not told whether the server accepts ${version}`);
      continue;
    }
    if (stopped !== null) {
      untested.push(`${version} suites: not tested (${stopped})`);
      continue;
    }
    try {
      for (const list of helloLists(suitesFor(version).map((s) => s.code))) {
        const left = new Set(list);
        while (left.size > 0) {
          const answer = await ask(version, [...left]);
          if (answer.kind !== 'server-hello') {
            // A refusal ends the list; anything else leaves the rest of it untold.
            if (answer.kind !== 'alert' && answer.kind !== 'closed') untested.push(`${version}: ${left.size} suites not told (${describeAnswer(answer)})`);
            break;
          }
          const suite = answer.hello.cipherSuite;
          if (answer.hello.version !== wireOf(version)) {
            untested.push(`${version}: ${left.size} suites not told (the server answered with another version)`);
            break;
          }
          if (!left.has(suite)) {
            untested.push(`${version}: ${left.size} suites not told (the server chose ${suiteName(suite)}, which was not offered)`);
            break;
          }
          accepted.push({ protocol: version, code: suite, name: suiteName(suite) });
          left.delete(suite);
        }
      }
    } catch (err) {
      if (!(err instanceof DeepStopped)) throw err;
      stopped = err.failure.message;
      untested.push(`${version} suites: not finished (${stopped})`);
    }
  }

  let serverOrder: boolean | null = null;
  if (stopped === null) {
    try {
      serverOrder = await orderOfServer(accepted, ask);
    } catch (err) {
      if (!(err instanceof DeepStopped)) throw err;
      stopped = err.failure.message;
      untested.push(`the server's order: not tested (${stopped})`);
    }
  } else untested.push(`the server's order: not tested (${stopped})`);
  return { ciphers: { accepted, serverOrder, untested }, hellos };
}

/**
 * The server picks by its own order: two accepted suites offered as [a, b] and [b, a] give the
 * same choice both times. Null when no protocol took two suites, or the answers do not tell
 * (a refusal, or a choice against both orders).
 */
async function orderOfServer(accepted: readonly AcceptedSuite[], ask: (protocol: DeepProtocol, suites: readonly number[]) => Promise<HelloAnswer>): Promise<boolean | null> {
  for (const protocol of ORDER_PREFERENCE) {
    const [a, b] = accepted.filter((s) => s.protocol === protocol);
    if (a === undefined || b === undefined) continue;
    const first = await ask(protocol, [a.code, b.code]);
    const second = await ask(protocol, [b.code, a.code]);
    if (first.kind !== 'server-hello' || second.kind !== 'server-hello') return null;
    const x = first.hello.cipherSuite;
    const y = second.hello.cipherSuite;
    if (x === y) return true;
    if (x === a.code && y === b.code) return false;
    return null;
  }
  return null;
}
