/**
 * Upgrades an SMTP socket to TLS after the server's 220 to STARTTLS (RFC 3207) and reads
 * what the handshake established: protocol, cipher, key exchange, the peer's chain and
 * OpenSSL's verdict on it. The handshake is deliberately permissive (TLS 1.0 up, security
 * level 0) so that weak servers yield facts to judge instead of a bare failure.
 */
import tls from 'node:tls';
import type { Socket } from 'node:net';
import { ipFamily } from '../input/ip-family.js';
import type { CertificateFacts, TlsFacts } from '../model/result.js';
import { peerChain } from '../cert/describe-chain.js';
import { certificateFactsOf } from '../cert/certificate-facts.js';
import { tapSocket, type SocketTap } from './socket-tap.js';
import { presentedCertificates } from './presented-chain.js';
import type { TrustStore } from '../cert/trust-store.js';
import { StageError } from '../smtp/connection.js';

export interface TlsSession {
  socket: tls.TLSSocket;
  tls: TlsFacts;
  certificate: CertificateFacts | null;
  /**
   * Resolves once the server's session ticket has arrived (TLS 1.3 sends it after the
   * handshake), or after `capMs`. Sending the first command before the ticket is read costs
   * a delayed-ACK stall (~40 ms on Linux) when the server uses Nagle: the reply waits for
   * the ticket's ACK. Needs the socket to be read (a 'data' listener) to make progress.
   */
  ticketArrived(capMs: number): Promise<void>;
}

/** Most handshake bytes recorded to read the presented chain (chains are rarely over 10 KiB). */
const MAX_HANDSHAKE_BYTES = 256 * 1024;

export function startTls(socket: Socket, host: string, trust: TrustStore, timeoutMs: number): Promise<TlsSession> {
  // Passing an IP literal as servername is deprecated (DEP0123) and SNI is for names only.
  const sni = ipFamily(host) === 0 ? host : null;
  return new Promise((resolve, reject) => {
    // Node reports only a rebuilt chain; to report what the server sent, the handshake's
    // bytes are recorded on their way in and its key log kept (TLS 1.3 encrypts them).
    const tap = tapSocket(socket, MAX_HANDSHAKE_BYTES);
    const keylog: Buffer[] = [];
    const secure = tls.connect({
      socket: tap.stream,
      ...(sni !== null ? { servername: sni } : {}),
      secureContext: trust.secureContext,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    secure.on('keylog', (line: Buffer) => keylog.push(line));
    const timer = setTimeout(() => {
      secure.destroy();
      reject(new StageError('timeout', 'timeout during the TLS handshake'));
    }, timeoutMs);
    let ticket = false;
    let onTicket: (() => void) | null = null;
    secure.once('session', () => {
      ticket = true;
      onTicket?.();
    });
    const ticketArrived = (capMs: number) =>
      new Promise<void>((done) => {
        // Resume on a later turn: writing from inside the 'session' callback gets no reply.
        const later = () => setImmediate(done);
        if (ticket) return later();
        const cap = setTimeout(later, capMs);
        cap.unref();
        onTicket = () => {
          clearTimeout(cap);
          later();
        };
      });
    secure.once('error', (err: NodeJS.ErrnoException & { reason?: string }) => {
      clearTimeout(timer);
      secure.destroy();
      reject(new StageError('tls', `TLS handshake failed: ${handshakeError(err)}`));
    });
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      secure.removeAllListeners('error');
      try {
        const facts = tlsFacts(secure, sni);
        const certificate = certificateFacts(secure, trust, tap, keylog, facts.cipher);
        tap.stopRecording();
        secure.removeAllListeners('keylog');
        resolve({ socket: secure, tls: facts, certificate, ticketArrived });
      } catch (err) {
        secure.destroy();
        reject(new StageError('tls', `cannot read the TLS session: ${(err as Error).message}`));
      }
    });
  });
}

/**
 * One line for a handshake error. OpenSSL's own message is a multi-field dump with a source path
 * and a trailing newline ("80AC…:error:0A00010B:SSL routines:ssl3_get_record:wrong version
 * number:../deps/openssl/…:350:\n"); its `reason` and `code` say the same in a readable line.
 */
function handshakeError(err: NodeJS.ErrnoException & { reason?: string }): string {
  const text = typeof err.reason === 'string' && err.reason !== '' ? err.reason : (err.message.trim().split('\n')[0] ?? '');
  return err.code !== undefined && !text.includes(err.code) ? `${text} (${err.code})` : text;
}

function tlsFacts(secure: tls.TLSSocket, sni: string | null): TlsFacts {
  const cipher = secure.getCipher();
  const ephemeral = secure.getEphemeralKeyInfo() as { type?: string; name?: string; size?: number } | null;
  return {
    protocol: secure.getProtocol() ?? 'unknown',
    cipher: cipher.standardName ?? cipher.name,
    cipherOpenssl: cipher.name,
    keyExchange:
      ephemeral?.type !== undefined ? { type: ephemeral.type, name: ephemeral.name ?? null, size: ephemeral.size ?? 0 } : null,
    sni,
  };
}

/**
 * The certificate facts of the session (cert/certificate-facts.ts): the chain as the server
 * presented it, else as Node rebuilt it, and OpenSSL's own verdict at this moment.
 */
function certificateFacts(secure: tls.TLSSocket, trust: TrustStore, tap: SocketTap, keylog: readonly Buffer[], cipher: string): CertificateFacts | null {
  const session = {
    opensslError: secure.authorized ? null : String(secure.authorizationError ?? 'UNKNOWN'),
    at: new Date(),
  };
  const presented = presentedCertificates(tap.received(), keylog, cipher);
  if ('certificates' in presented && presented.certificates.length > 0) {
    const facts = certificateFactsOf({ ...session, certificates: presented.certificates, source: 'presented' }, trust);
    if (facts !== null) return facts;
  }
  // The sent list could not be read (or Node cannot decode one of its certificates): report the rebuilt chain.
  const peer = secure.getPeerCertificate(true);
  if (peer === null || peer.raw === undefined) return null;
  return certificateFactsOf({ ...session, certificates: peerChain(peer), source: 'rebuilt' }, trust);
}
