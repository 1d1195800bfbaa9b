/**
 * Server-side STARTTLS command injection (`--deep`, issue 10; CVE-2011-0411 and its family,
 * Poddebniak et al., USENIX Security 2021): a server that keeps plaintext received before the
 * TLS handshake and executes it after, inside TLS, lets a man in the middle inject commands
 * into the protected session. RFC 3207 §6 asks the server to discard it. One connection
 * through the gate: greeting, EHLO, then `STARTTLS\r\nNOOP\r\n` in ONE write; on 220 the
 * probe's permissive handshake; then a short, bounded wait (UNSOLICITED_WAIT_MS, within the
 * command cap) for a reply nobody asked for inside TLS: one is the answer to the NOOP, and
 * the server vulnerable. Then QUIT. A server that answers the NOOP in plaintext, before the
 * handshake, did not carry it across TLS (not vulnerable here; the note says so). Implicit
 * TLS has no STARTTLS: no connection. Connections: 1 (0 with implicit TLS).
 */
import type { CommandInjectionFacts } from '../model/deep.js';
import type { ProbeStage } from '../model/smtp.js';
import { quit } from '../probe/dialogue.js';
import { PlaintextReplyError } from '../tls/start-tls.js';
import type { ConnectionGate } from './connection-gate.js';
import { failureNote, handshake } from './tls-connection.js';

/**
 * How long to wait after the handshake for the answer to the injected NOOP (at most the
 * command cap): a server that executes buffered commands does so as soon as TLS is up, so it
 * answers within a round trip; a slower answer is missed (the check says not vulnerable).
 *
 * @example Math.min(UNSOLICITED_WAIT_MS, run.left(run.caps.command))
 */
export const UNSOLICITED_WAIT_MS = 1000;

/** The command written behind STARTTLS: harmless, and answered by every server (RFC 5321 §4.1.1.9). */
const INJECTED = 'NOOP';

/**
 * The check on a new connection. Never throws for a remote problem (`vulnerable: null` with
 * the reason); DeepStopped (a 421, the run stopped) propagates.
 *
 * @example deep.commandInjection = await checkCommandInjection(gate);
 */
export async function checkCommandInjection(gate: ConnectionGate): Promise<CommandInjectionFacts> {
  const { run } = gate;
  if (run.facts.tlsMode !== 'starttls') return { vulnerable: null, note: 'implicit TLS (RFC 8314): no STARTTLS to write commands behind' };
  let step: ProbeStage = 'connect';
  run.note(`deep: STARTTLS and ${INJECTED} in one write: is the ${INJECTED} answered inside TLS?`);
  try {
    const start = await gate.reach({ pipelined: [INJECTED] });
    const plaintext =
      start.discardedBytes > 0
        ? `; it answered the ${INJECTED} in plaintext before the handshake (${start.discardedBytes} bytes after its 220 to STARTTLS, discarded unread)`
        : '';
    step = 'handshake';
    let session;
    try {
      session = await handshake(gate, start, {});
    } catch (err) {
      if (!(err instanceof PlaintextReplyError)) throw err;
      // The plaintext answer came after the 220, in a packet of its own: read as the start of TLS.
      const note = `not buffered across TLS: the server answered the ${INJECTED} in plaintext before the handshake ("${err.reply}"), which then failed`;
      run.note(`deep: command injection: ${note}`);
      return { vulnerable: false, note };
    }
    const smtp = start.smtp;
    if (smtp === null) throw new Error('STARTTLS without an SMTP client');
    smtp.useTls(session.socket);
    step = 'ehlo-tls';
    const unsolicited = await run.within('command', (ms) => smtp.unsolicited(Math.min(UNSOLICITED_WAIT_MS, ms)));
    const result: CommandInjectionFacts =
      unsolicited === null
        ? { vulnerable: false, note: plaintext === '' ? null : `not buffered across TLS${plaintext}` }
        : {
            vulnerable: true,
            note: `the server answered the ${INJECTED} sent before the handshake inside TLS: ${unsolicited.code} ${unsolicited.lines.join(' ')}`.trim() + plaintext,
          };
    run.note(`deep: command injection: ${result.vulnerable === true ? 'vulnerable' : 'not vulnerable'}${result.note === null ? '' : `: ${result.note}`}`);
    step = 'quit';
    await quit(run, smtp);
    return result;
  } catch (err) {
    const why = failureNote(gate, err, step);
    run.note(`deep: command injection: ${why}`);
    return { vulnerable: null, note: step === 'ehlo-tls' ? `after the handshake: ${why}` : why };
  } finally {
    gate.done();
  }
}
