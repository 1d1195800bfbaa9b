/**
 * The steps the deep checks with a full handshake share (certificates per signature algorithm,
 * renegotiation, command injection): the permissive handshake with a check's own options on a
 * connection the gate opened, the polite QUIT inside TLS, and what a failure becomes: a
 * StageError is the check's fact (its message the note), an abort stops the deep probe
 * (DeepStopped, through the gate), anything else is a bug and is thrown as it is.
 */
import type { ProbeStage } from '../model/smtp.js';
import { StageError } from '../smtp/connection.js';
import { SmtpClient } from '../smtp/client.js';
import { startTls, type HandshakeOptions, type TlsSession } from '../tls/start-tls.js';
import { quit } from '../probe/dialogue.js';
import type { TlsStart } from '../probe/reach-tls.js';
import { DeepStopped, type ConnectionGate } from './connection-gate.js';

/**
 * The permissive handshake of the probe (start-tls.ts) with `options`, within the handshake
 * cap, on a connection at the start of TLS; the TLS socket is tracked by the run (closed by
 * gate.done()). Rejects with a StageError, as startTls does.
 *
 * @example const session = await handshake(gate, start, { maxVersion: 'TLSv1.2' });
 */
export async function handshake(gate: ConnectionGate, start: TlsStart, options: HandshakeOptions): Promise<TlsSession> {
  const { run } = gate;
  const session = await run.within('handshake', (ms) => startTls(start.socket, run.target.host, run.options.trust, ms, run.abortSignal, options));
  run.track(session.socket);
  return session;
}

/**
 * Says QUIT inside TLS and reads the 221 (RFC 5321 §4.1.1.10), within the QUIT cap: after
 * STARTTLS at once (no EHLO is needed to leave), with implicit TLS after the greeting the
 * server sends over TLS (RFC 8314 §3.3). Failures change no fact; an abort is thrown. A 421
 * greeting over TLS stops the deep probe from the next connection on (as the gate does for
 * one in plaintext).
 *
 * @example await quitOverTls(gate, start, session);
 */
export async function quitOverTls(gate: ConnectionGate, start: TlsStart, session: TlsSession): Promise<void> {
  const { run } = gate;
  let smtp = start.smtp;
  try {
    if (smtp === null) {
      const secure = (smtp = new SmtpClient(session.socket, run.transcript, () => run.elapsed(), { tls: true }));
      const greeting = await run.within('greeting', (ms) => secure.greeting(ms));
      // RFC 5321 §3.8: a 421 closes the channel; this check keeps its facts, the next connection is not made.
      if (greeting.code === 421) gate.stopped ??= { stage: 'banner', kind: 'rejected', message: `server refused the session with 421 ${greeting.lines.join(' ')}: the server asks to stop; deep checks end here` };
    } else smtp.useTls(session.socket);
  } catch (err) {
    if (!(err instanceof StageError) || err.kind === 'aborted') throw err;
    return; // no greeting over TLS: nothing to say QUIT to
  }
  await quit(run, smtp);
}

/**
 * What a failure of a deep check's connection becomes: the note of the check's fact, for a
 * StageError (the server's doing); an abort stops the deep probe (gate.stop throws
 * DeepStopped, `stage` says where); DeepStopped and any other error (a bug) are thrown.
 *
 * @example catch (err) { return { vulnerable: null, note: failureNote(gate, err, 'handshake') }; }
 */
export function failureNote(gate: ConnectionGate, err: unknown, stage: ProbeStage): string {
  if (err instanceof DeepStopped || !(err instanceof StageError)) throw err;
  if (err.kind === 'aborted' || gate.run.abortSignal?.aborted === true) gate.stop({ stage, kind: 'aborted', message: err.message });
  return err.message;
}
