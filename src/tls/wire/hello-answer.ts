/**
 * What a server answered to a hand-built ClientHello (client-hello.ts), read from the bytes it
 * sent: its ServerHello (version, suite, compression, and the extensions the deep checks judge:
 * renegotiation_info RFC 5746, extended_master_secret RFC 7627, TLS 1.3's key share RFC 8446
 * §4.2.8), then for TLS ≤1.2 the Certificate message's certificates and the ServerKeyExchange's
 * group, up to ServerHelloDone (RFC 5246 §7.3); or the alert it refused with. Pure: the socket
 * is the caller's (deep/hello-exchange.ts), which asks again as bytes arrive.
 */
import { WireError } from './byte-reader.js';
import { parseCertificateMessage } from './certificate-message.js';
import { EXTENSION } from './client-hello.js';
import { HANDSHAKE_TYPE } from './handshake.js';
import { alertName, MAX_FRAGMENT } from './records.js';
import { readServerFlight } from './server-flight.js';
import { WIRE_VERSION } from '../../model/wire-versions.js';
import type { ServerHello } from './server-hello.js';
import { keyExchangeGroup, type KeyExchangeGroup } from './server-key-exchange.js';

/** Most records read from one answer; most certificates kept from one Certificate message. */
const MAX_RECORDS = 256;
const MAX_CERTIFICATES = 64;

/**
 * The ServerHello's facts the deep checks use.
 *
 * @example const tls12Secure = (h: ServerHelloFacts) => h.version <= WIRE_VERSION.tls12 && h.renegotiationInfo;
 */
export interface ServerHelloFacts {
  /** The negotiated version (supported_versions' for TLS 1.3). */
  version: number;
  cipherSuite: number;
  compressionMethod: number;
  /** A HelloRetryRequest (RFC 8446 §4.1.4): TLS 1.3 and the suite are chosen, the group named in `group`. */
  helloRetryRequest: boolean;
  /** renegotiation_info present (RFC 5746 §3.6: the server supports secure renegotiation). */
  renegotiationInfo: boolean;
  /** extended_master_secret present (RFC 7627 §5.1). */
  extendedMasterSecret: boolean;
  /** TLS 1.3: the group of the server's key share, or the group a HelloRetryRequest asks for. */
  group: number | null;
}

/**
 * The answer to one hello. `server-hello`: the server accepted the hello (`complete` once a
 * TLS ≤1.2 flight reached ServerHelloDone, or at once for TLS 1.3, whose rest is encrypted);
 * `alert`: it refused; `closed`: it closed without a word; `timeout`: no answer in time;
 * `not-tls`: what it sent is not TLS (`message` says why); `unreached`: the connection failed
 * before the hello was sent.
 *
 * @example const chosen = (a: HelloAnswer) => (a.kind === 'server-hello' ? a.hello.cipherSuite : null);
 */
export type HelloAnswer =
  | { kind: 'server-hello'; hello: ServerHelloFacts; keyExchange: KeyExchangeGroup | null; certificates: Buffer[]; complete: boolean; note: string | null }
  | { kind: 'alert'; level: number; description: number; name: string }
  | { kind: 'closed' }
  | { kind: 'timeout' }
  | { kind: 'not-tls'; message: string }
  | { kind: 'unreached'; message: string };

/** How the reading stands: more bytes may come (`open`), or none will. @example readHelloAnswer(bytes, 'closed') */
export type ReadState = 'open' | 'closed' | 'timeout' | 'too-large';

/**
 * The answer in `bytes` (everything the server sent since the hello), or null while `state` is
 * `open` and the answer is not complete yet. Never throws for the server's bytes: a WireError
 * becomes `not-tls` (or the note of an answer whose ServerHello was read).
 *
 * @example const answer = readHelloAnswer(received, 'open'); if (answer !== null) finish(answer);
 */
export function readHelloAnswer(bytes: Buffer, state: ReadState): HelloAnswer | null {
  let hello: ServerHelloFacts | null = null;
  let keyExchange: KeyExchangeGroup | null = null;
  let certificates: Buffer[] = [];
  const answered = (complete: boolean, note: string | null): HelloAnswer =>
    hello === null ? { kind: 'closed' } : { kind: 'server-hello', hello, keyExchange, certificates, complete, note };
  try {
    for (const event of readServerFlight(bytes.subarray(0, completeRecords(bytes)), { maxRecords: MAX_RECORDS })) {
      if (event.kind === 'alert') {
        if (hello !== null) return answered(false, `alert ${alertName(event.description)} after the ServerHello`);
        return { kind: 'alert', level: event.level, description: event.description, name: alertName(event.description) };
      }
      if (event.kind === 'server-hello') {
        hello = helloFacts(event.hello);
        if (hello.version === WIRE_VERSION.tls13 || hello.helloRetryRequest) return answered(true, null);
        continue;
      }
      if (hello === null) return { kind: 'not-tls', message: `${event.kind === 'handshake' ? 'a handshake message' : event.kind} before the ServerHello` };
      if (event.kind !== 'handshake') return answered(false, `${event.kind} before ServerHelloDone`);
      if (event.type === HANDSHAKE_TYPE.certificate) certificates = parseCertificateMessage(event.body, false, MAX_CERTIFICATES);
      else if (event.type === HANDSHAKE_TYPE.serverKeyExchange) keyExchange = keyExchangeGroup(event.body, hello.version >= WIRE_VERSION.tls12);
      else if (event.type === HANDSHAKE_TYPE.serverHelloDone) return answered(true, null);
    }
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    if (hello !== null) return answered(false, `the server's answer is not TLS after the ServerHello: ${err.message}`);
    return { kind: 'not-tls', message: `the server's answer is not TLS: ${err.message}` };
  }
  switch (state) {
    case 'open':
      return null;
    case 'closed':
      return answered(false, 'the server closed the connection before ServerHelloDone');
    case 'timeout':
      return hello === null ? { kind: 'timeout' } : answered(false, 'no ServerHelloDone in time');
    case 'too-large':
      return hello === null
        ? { kind: 'not-tls', message: `the server's answer is not TLS: more than the bytes a hello's answer may take` }
        : answered(false, 'the answer grew past the bytes a hello\'s answer may take before ServerHelloDone');
  }
}

function helloFacts(hello: ServerHello): ServerHelloFacts {
  const has = (type: number) => hello.extensions.some((e) => e.type === type);
  const share = hello.extensions.find((e) => e.type === EXTENSION.keyShare);
  return {
    version: hello.version,
    cipherSuite: hello.cipherSuite,
    compressionMethod: hello.compressionMethod,
    helloRetryRequest: hello.helloRetryRequest,
    renegotiationInfo: has(EXTENSION.renegotiationInfo),
    extendedMasterSecret: has(EXTENSION.extendedMasterSecret),
    // RFC 8446 §4.2.8: KeyShareServerHello and KeyShareHelloRetryRequest both begin with the group.
    group: share !== undefined && share.data.length >= 2 ? share.data.readUInt16BE(0) : null,
  };
}

/**
 * How many leading bytes hold whole records: the reader is given only those, so a record still
 * arriving is waited for, not called cut short. A header that is not TLS ends the count there
 * with the rest included, so the reader names it at once.
 */
function completeRecords(bytes: Buffer): number {
  let offset = 0;
  while (bytes.length - offset >= 5) {
    const length = bytes.readUInt16BE(offset + 3);
    if (bytes.readUInt8(offset + 1) !== 3 || length > MAX_FRAGMENT) return bytes.length;
    if (bytes.length - offset - 5 < length) break;
    offset += 5 + length;
  }
  // Fewer than 5 bytes of something that is not even a record header: let the reader say so.
  if (offset === 0 && bytes.length > 0 && bytes.length < 5 && bytes.readUInt8(0) !== 0x15 && bytes.readUInt8(0) !== 0x16) return bytes.length;
  return offset;
}
