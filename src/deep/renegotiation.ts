/**
 * Client-initiated renegotiation (`--deep`, issue 10): a server that lets the client start a
 * new handshake inside a TLS 1.2 (or older) session does the costly part of a handshake on
 * every request, a denial-of-service lever (the NCSC-NL guidelines and internet.nl grade it).
 * TLS 1.3 has no renegotiation (RFC 8446 §4, §4.6). One connection through the gate: a
 * handshake offering TLS 1.2 at most, then tlsSocket.renegotiate() (a new ClientHello inside
 * the session, RFC 5246 §7.4.1.2, with renegotiation_info, RFC 5746 §3.5); then QUIT inside
 * TLS when the session is still up. Connections: 1.
 */
import type tls from 'node:tls';
import type { RenegotiationFacts } from '../model/deep.js';
import type { ProbeStage } from '../model/smtp.js';
import type { ConnectionGate } from './connection-gate.js';
import { failureNote, handshake, quitOverTls } from './tls-connection.js';

/**
 * The outcome: `clientInitiated` as in model/deep.ts RenegotiationFacts (true: the server
 * completed a renegotiation the client started; false: it refused with an alert, closed, or
 * did not answer; null: not told), with what happened in `note`.
 *
 * @example const r: ClientRenegotiation = { clientInitiated: false, note: 'the server refused: no renegotiation (ERR_SSL_NO_RENEGOTIATION)' };
 */
export interface ClientRenegotiation {
  clientInitiated: RenegotiationFacts['clientInitiated'];
  note: string | null;
}

/**
 * Tries a client-initiated renegotiation on a new connection. Never throws for a remote
 * problem; DeepStopped (a 421, the run stopped) propagates.
 *
 * @example deep.renegotiation.clientInitiated = (await checkClientRenegotiation(gate)).clientInitiated;
 */
export async function checkClientRenegotiation(gate: ConnectionGate): Promise<ClientRenegotiation> {
  const { run } = gate;
  let step: ProbeStage = 'connect';
  run.note('deep: a TLS 1.2 handshake, then a renegotiation started by the client');
  try {
    const start = await gate.reach();
    step = 'handshake';
    const session = await handshake(gate, start, { maxVersion: 'TLSv1.2' });
    const outcome = await run.within('handshake', (ms) => renegotiate(session.socket, ms));
    run.note(`deep: client-initiated renegotiation: ${outcome.note ?? 'accepted'}`);
    step = 'quit';
    if (!session.socket.destroyed) await quitOverTls(gate, start, session);
    return outcome;
  } catch (err) {
    const why = failureNote(gate, err, step);
    run.note(`deep: renegotiation: ${why}`);
    if (step === 'handshake') return { clientInitiated: null, note: `no handshake with TLS 1.2 or older (TLS 1.3 has no renegotiation): ${why}` };
    return { clientInitiated: null, note: why };
  } finally {
    gate.done();
  }
}

type TlsError = NodeJS.ErrnoException & { reason?: string };

/**
 * Starts a renegotiation on `socket` and waits for its end, at most `timeoutMs`: done (the
 * callback without an error), refused (an error: the no_renegotiation alert, RFC 5246
 * §7.2.2, or a fatal one), the session closed, or no answer. Never rejects.
 */
function renegotiate(socket: tls.TLSSocket, timeoutMs: number): Promise<ClientRenegotiation> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: ClientRenegotiation) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('close', onClose);
      resolve(outcome);
    };
    const refused = (err: TlsError): ClientRenegotiation => {
      const text = typeof err.reason === 'string' && err.reason !== '' ? err.reason : (err.message.trim().split('\n')[0] ?? '');
      const why = err.code !== undefined && !text.includes(err.code) ? `${text} (${err.code})` : text;
      // OpenSSL will not renegotiate with a server without RFC 5746 support: the client refused, not the server.
      if (/legacy renegotiation/i.test(why)) return { clientInitiated: null, note: `not tried: the server does not support secure renegotiation (RFC 5746): ${why}` };
      return { clientInitiated: false, note: `the server refused: ${why}` };
    };
    const onError = (err: TlsError) => settle(refused(err));
    const onClose = () => settle({ clientInitiated: false, note: 'the server closed the connection' });
    const timer = setTimeout(() => settle({ clientInitiated: false, note: `the server did not answer the renegotiation within ${timeoutMs} ms` }), timeoutMs);
    socket.on('error', () => {}); // a late alert must never be unhandled
    socket.on('error', onError);
    socket.on('close', onClose);
    let started: boolean | undefined;
    try {
      started = socket.renegotiate({ rejectUnauthorized: false }, (err) => settle(err == null ? { clientInitiated: true, note: null } : refused(err as TlsError)));
    } catch (err) {
      settle({ clientInitiated: null, note: `renegotiation could not be started: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    if (started !== true) settle({ clientInitiated: null, note: `renegotiation could not be started on a ${socket.getProtocol() ?? 'closed'} session` });
  });
}
