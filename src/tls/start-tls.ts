/**
 * Upgrades an SMTP socket to TLS after the server's 220 to STARTTLS (RFC 3207), or right
 * after connecting with implicit TLS (RFC 8314 §3), and reads what the handshake
 * established: protocol, cipher, key exchange, the peer's chain and OpenSSL's verdict on it.
 * The handshake is deliberately permissive (TLS 1.0 up, security level 0) so that weak
 * servers yield facts to judge instead of a bare failure. `modernHandshake` is the other
 * one: what a sender with current TLS defaults gets (TLS 1.2 up, security level 2).
 */
import tls from 'node:tls';
import type { Socket } from 'node:net';
import { ipFamily } from '../input/ip-family.js';
import type { CertificateFacts } from '../model/certificate.js';
import type { TlsFacts } from '../model/tls.js';
import { peerChain } from '../cert/describe-chain.js';
import { certificateFactsOf } from '../cert/certificate-facts.js';
import { tapSocket, type SocketTap } from './socket-tap.js';
import { presentedCertificates } from './presented-chain.js';
import type { TrustStore } from '../cert/trust-store.js';
import { StageError } from '../smtp/connection.js';
import { serverKeyExchangeSignature, type KeyExchangeKind } from './server-signature.js';

/** The session startTls established, and its facts. @example const { socket, tls, certificate } = await startTls(socket, host, trust, 10_000); */
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
  /**
   * The OCSP response the server stapled (RFC 6066 §8), as sent and not validated (Node does
   * not validate it); null when none was asked for (HandshakeOptions.requestOCSP) or sent.
   */
  ocspResponse: Buffer | null;
}

/**
 * What a deep check (`--deep`) changes in the permissive handshake: the signature algorithms
 * offered (to see the certificate a server holds for one family, RFC 8446 §4.2.3, RFC 5246
 * §7.4.1.4.1), the TLS 1.0-1.2 cipher suites offered (OpenSSL's cipher string; TLS 1.3's stay
 * Node's), the versions, and a request for a stapled OCSP response (status_request, RFC 6066
 * §8). Absent options leave the probe's handshake exactly as it is.
 *
 * @example const only: HandshakeOptions = { sigalgs: 'ecdsa_secp256r1_sha256', ciphers: 'aECDSA', requestOCSP: true };
 */
export interface HandshakeOptions {
  /** OpenSSL's sigalgs list, e.g. 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256'. */
  sigalgs?: string;
  /** OpenSSL's cipher string for TLS 1.0-1.2 (security level 0 is added), e.g. 'aRSA'. */
  ciphers?: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  /** Ask for a stapled OCSP response (TlsSession.ocspResponse). */
  requestOCSP?: boolean;
}

/** Most handshake bytes recorded to read the presented chain (chains are rarely over 10 KiB). */
const MAX_HANDSHAKE_BYTES = 256 * 1024;

/**
 * The permissive handshake that gathers the facts. `signal` aborts it: the TLS socket is
 * destroyed and the promise rejects with a StageError of kind `aborted`.
 *
 * @example const session = await startTls(socket, 'mx.example.com', trust, 10_000);
 */
export function startTls(
  socket: Socket,
  host: string,
  trust: TrustStore,
  timeoutMs: number,
  signal?: AbortSignal,
  options: HandshakeOptions = {},
): Promise<TlsSession> {
  const sni = serverName(host);
  // Node reports only a rebuilt chain; to report what the server sent, the handshake's
  // bytes are recorded on their way in and its key log kept (TLS 1.3 encrypts them).
  const keylog: Buffer[] = [];
  let ticket = false;
  let onTicket: (() => void) | null = null;
  let ocspResponse: Buffer | null = null;
  const prepare = (secure: tls.TLSSocket) => {
    secure.on('keylog', (line: Buffer) => keylog.push(line));
    // Emitted during the handshake, with undefined when the server stapled nothing.
    if (options.requestOCSP === true) secure.once('OCSPResponse', (response?: Buffer) => (ocspResponse = response ?? null));
    secure.once('session', () => {
      ticket = true;
      onTicket?.();
    });
    // A closed session sends no ticket: stop waiting (what follows sees the close).
    secure.once('close', () => onTicket?.());
  };
  const failed = (err: HandshakeErrorEvent, tap: SocketTap) => {
    const plaintext = plaintextReply(tap.received());
    const message = `TLS handshake failed: ${handshakeError(err)}`;
    return plaintext === null ? new StageError('tls', message) : new PlaintextReplyError(`${message} (the server answered in plaintext: "${plaintext}")`, plaintext);
  };
  const established = (secure: tls.TLSSocket, tap: SocketTap): TlsSession => {
    const ticketArrived = (capMs: number) =>
      new Promise<void>((done) => {
        // Resume on a later turn: writing from inside the 'session' callback gets no reply.
        const later = () => setImmediate(done);
        if (ticket || secure.destroyed) return later();
        // Not unref'd: when the server has closed the connection, this timer is all that keeps
        // the process alive, and an empty event loop would end the CLI silently with exit 0.
        const cap = setTimeout(later, capMs);
        onTicket = () => {
          onTicket = null;
          clearTimeout(cap);
          later();
        };
      });
    const facts = tlsFacts(secure, sni, () => tap.received());
    const certificate = certificateFacts(secure, trust, tap, keylog, facts.cipher);
    tap.stopRecording();
    secure.removeAllListeners('keylog');
    return { socket: secure, tls: facts, certificate, ticketArrived, ocspResponse };
  };
  return clientHandshake(socket, {
    sni,
    secureContext: deepContext(trust, options),
    requestOCSP: options.requestOCSP === true,
    recordBytes: MAX_HANDSHAKE_BYTES,
    timeoutMs,
    signal,
    prepare,
    failed,
    established,
  });
}

/** The contexts of deep handshakes, per trust store and options (building one loads every anchor: ~18 ms). */
const deepContexts = new WeakMap<TrustStore, Map<string, tls.SecureContext>>();

/**
 * The trust store's own context when `options` change nothing in it; else one with the same
 * anchors and security level 0 and the options' signature algorithms, ciphers and versions
 * (they are context options in Node: tls.connect ignores them beside a `secureContext`).
 */
function deepContext(trust: TrustStore, options: HandshakeOptions): tls.SecureContext {
  const { sigalgs, ciphers, minVersion, maxVersion } = options;
  if (sigalgs === undefined && ciphers === undefined && minVersion === undefined && maxVersion === undefined) return trust.secureContext;
  const key = JSON.stringify([sigalgs, ciphers, minVersion, maxVersion]);
  let contexts = deepContexts.get(trust);
  if (contexts === undefined) deepContexts.set(trust, (contexts = new Map()));
  let context = contexts.get(key);
  if (context === undefined) {
    context = tls.createSecureContext({
      ca: [...trust.anchorPems()],
      minVersion: minVersion ?? 'TLSv1',
      ...(maxVersion !== undefined ? { maxVersion } : {}),
      ciphers: `${ciphers ?? 'DEFAULT'}@SECLEVEL=0`,
      ...(sigalgs !== undefined ? { sigalgs } : {}),
    });
    contexts.set(key, context);
  }
  return context;
}

/** SNI for a host name only: passing an IP literal as servername is deprecated (DEP0123), and SNI is for names. */
function serverName(host: string): string | null {
  return ipFamily(host) === 0 ? host : null;
}

type HandshakeErrorEvent = NodeJS.ErrnoException & { reason?: string };

/** One handshake of clientHandshake: how to make it, and what to make of it. */
interface Handshake<T> {
  sni: string | null;
  secureContext: tls.SecureContext;
  /** Ask for a stapled OCSP response (status_request, RFC 6066 §8). */
  requestOCSP?: boolean;
  /** Bytes of what the server sends that the tap records (0: none). */
  recordBytes: number;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** Listeners the TLS socket needs before the handshake runs. */
  prepare?: (secure: tls.TLSSocket) => void;
  /** The StageError (kind `tls`) for a failed handshake. */
  failed: (err: HandshakeErrorEvent, tap: SocketTap) => StageError;
  /** Reads the established session, in the 'secureConnect' callback itself. */
  established: (secure: tls.TLSSocket, tap: SocketTap) => T;
}

/**
 * The client handshake of both upgrades: over a tap of `socket` (a socket handed over
 * paused, with bytes still buffered, is read from its start), SNI for a name only, no
 * verification by Node (trust is judged from the facts). It settles once: with what
 * `established` reads, or with a StageError: `failed`'s, `timeout` after `timeoutMs`,
 * `aborted` when `signal` fires; or with what `established` threw (a bug in mxprobe). The
 * TLS socket is destroyed on every failure.
 */
function clientHandshake<T>(socket: Socket, handshake: Handshake<T>): Promise<T> {
  const { sni, secureContext, recordBytes, timeoutMs, signal } = handshake;
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortError());
      return;
    }
    const tap = tapSocket(socket, recordBytes);
    const secure = tls.connect({
      socket: tap.stream,
      ...(sni !== null ? { servername: sni } : {}),
      secureContext,
      ...(handshake.requestOCSP === true ? { requestOCSP: true } : {}),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    handshake.prepare?.(secure);
    skipPeerCertificateObject(secure);
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      restorePeerCertificate(secure);
    };
    const fail = (error: StageError) => {
      settle();
      secure.destroy();
      reject(error);
    };
    const onAbort = () => fail(abortError());
    const timer = setTimeout(() => fail(new StageError('timeout', 'timeout during the TLS handshake')), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    secure.once('error', (err: HandshakeErrorEvent) => fail(handshake.failed(err, tap)));
    secure.once('secureConnect', () => {
      settle();
      secure.removeAllListeners('error');
      try {
        resolve(handshake.established(secure, tap));
      } catch (err) {
        secure.destroy();
        reject(err); // reading the session is mxprobe's own work: a failure there is a bug, not the server's doing
      }
    });
  });
}

/**
 * Node's handshake ends (onConnectSecure in _tls_wrap.js) by building getPeerCertificate(true),
 * every certificate of the chain as a JS object, only to hand it to checkServerIdentity, which
 * is a no-op here (names are judged from the facts): ~0.5 ms of CPU per handshake, a tenth of a
 * probe, for an object nobody reads. Until the handshake settles, the socket's own
 * getPeerCertificate answers an empty object; then the prototype's is back (the rebuilt-chain
 * fallback of certificateFacts uses it).
 */
function skipPeerCertificateObject(secure: tls.TLSSocket): void {
  Object.defineProperty(secure, 'getPeerCertificate', { value: () => ({}), configurable: true, writable: true });
}

function restorePeerCertificate(secure: tls.TLSSocket): void {
  delete (secure as { getPeerCertificate?: unknown }).getPeerCertificate;
}

/**
 * One line for a handshake error. OpenSSL's own message is a multi-field dump with a source path
 * and a trailing newline ("80AC…:error:0A00010B:SSL routines:ssl3_get_record:wrong version
 * number:../deps/openssl/…:350:\n"); its `reason` and `code` say the same in a readable line.
 */
function handshakeError(err: HandshakeErrorEvent): string {
  const text = typeof err.reason === 'string' && err.reason !== '' ? err.reason : (err.message.trim().split('\n')[0] ?? '');
  return err.code !== undefined && !text.includes(err.code) ? `${text} (${err.code})` : text;
}

const abortError = () => new StageError('aborted', 'probe aborted during the TLS handshake');

/**
 * The handshake failed because the server answered in plaintext SMTP (a greeting, or a
 * reply to the ClientHello read as a command): with implicit TLS, a STARTTLS port.
 *
 * @example if (err instanceof PlaintextReplyError) console.log(err.reply) // '220 mx.example.com ESMTP'
 */
export class PlaintextReplyError extends StageError {
  constructor(
    message: string,
    /** The server's first line, as sent (sanitised where displayed). */
    readonly reply: string,
  ) {
    super('tls', message);
    this.name = 'PlaintextReplyError';
  }
}

/** The server's first line when it looks like an SMTP reply ("220 mx ESMTP"), else null. */
function plaintextReply(received: Buffer): string | null {
  const head = received.subarray(0, 120).toString('latin1');
  return /^([2-5]\d\d(?:[ -][^\r\n]*)?)(?:\r?\n|$)/.exec(head)?.[1] ?? null;
}

function tlsFacts(secure: tls.TLSSocket, sni: string | null, received: () => Buffer): TlsFacts {
  const cipher = secure.getCipher();
  const ephemeral = secure.getEphemeralKeyInfo() as { type?: string; name?: string; size?: number } | null;
  const protocol = secure.getProtocol() ?? 'unknown';
  const kx = ephemeral?.type === 'ECDH' || ephemeral?.type === 'DH' ? (ephemeral.type as KeyExchangeKind) : null;
  return {
    protocol,
    cipher: cipher.standardName ?? cipher.name,
    cipherOpenssl: cipher.name,
    keyExchange:
      ephemeral?.type !== undefined ? { type: ephemeral.type, name: ephemeral.name ?? null, size: ephemeral.size ?? 0 } : null,
    sni,
    // Only TLS 1.0-1.2 sign a ServerKeyExchange, and only with an ephemeral key exchange.
    serverSignature: kx !== null && protocol !== 'TLSv1.3' ? serverKeyExchangeSignature(received(), protocol, cipher.name, kx) : null,
  };
}

/** What a current sender negotiates with this server: the handshake of `modernHandshake`. @example session.protocol // 'TLSv1.3' */
export interface ModernSession {
  socket: tls.TLSSocket;
  protocol: string;
  /** IANA name. */
  cipher: string;
}

/**
 * TLS settings of a sender with current OpenSSL defaults: Debian 12's OpenSSL is built for
 * security level 2 (112-bit security: RSA and DH keys of 2048 bits, no SHA-1 or MD5
 * handshake signatures, no RC4) and current clients require TLS 1.2 or later (RFC 8996).
 * Built once; it needs no trust anchors (trust is judged from the first handshake).
 */
let modernContext: tls.SecureContext | null = null;
const MODERN_OPTIONS = { minVersion: 'TLSv1.2', ciphers: 'DEFAULT@SECLEVEL=2' } as const;

/**
 * A handshake as a sender with current TLS defaults makes it (see MODERN_OPTIONS), over a
 * socket just upgraded (STARTTLS's 220) or just connected (implicit TLS). Rejects with a
 * StageError: kind `tls` and OpenSSL's reason when the handshake fails ("dh key too
 * small"), `timeout`, or `aborted` when `signal` fires.
 *
 * @example const modern = await modernHandshake(socket, 'mx.example.com', 10_000); modern.protocol // 'TLSv1.3'
 */
export function modernHandshake(socket: Socket, host: string, timeoutMs: number, signal?: AbortSignal): Promise<ModernSession> {
  modernContext ??= tls.createSecureContext(MODERN_OPTIONS);
  // Through a tap that records nothing, as startTls does: the socket may arrive paused with
  // bytes buffered (SmtpConnection.detach()).
  return clientHandshake(socket, {
    sni: serverName(host),
    secureContext: modernContext,
    recordBytes: 0,
    timeoutMs,
    signal,
    failed: (err) => new StageError('tls', handshakeError(err)),
    established: (secure) => {
      secure.on('error', () => {}); // a late reset must not crash the process; the caller's reads see the close
      const cipher = secure.getCipher();
      return { socket: secure, protocol: secure.getProtocol() ?? 'unknown', cipher: cipher.standardName ?? cipher.name };
    },
  });
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
