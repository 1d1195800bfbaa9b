/**
 * What the server sent in its handshake, in order, as events: the ServerHello, each handshake
 * message, each alert, ChangeCipherSpec, application data. Reads the records (records.ts),
 * reassembles messages across them (handshake.ts), switches on the ServerHello's version, and
 * for TLS 1.3, where everything after the ServerHello is encrypted, opens the records with the
 * session's key log (tls13-decrypt.ts) when given it. What the events mean is the caller's
 * business: the presented chain, the key exchange's signature, the answer to a hand-built
 * ClientHello.
 *
 * Pure: no I/O. Lazy: reading stops where the caller stops. Throws only WireError, for framing
 * the reader cannot go past (a record that is not TLS or is cut short, a ServerHello that
 * cannot be read, a record that does not decrypt, a plaintext handshake record after TLS 1.3's
 * ServerHello).
 */
import { suiteName } from '../../model/cipher-suites.js';
import { WIRE_VERSION } from '../../model/wire-versions.js';
import { wireError } from './byte-reader.js';
import { HANDSHAKE_TYPE, HandshakeStream } from './handshake.js';
import { CONTENT_TYPE, readRecords } from './records.js';
import { parseServerHello, type ServerHello } from './server-hello.js';
import { HandshakeDecrypter, handshakeSecrets, TLS13_SUITES } from './tls13-decrypt.js';

/** How much to read, and how to read TLS 1.3. @example const options: FlightOptions = { maxRecords: 64 }; */
export interface FlightOptions {
  /** Most records read; past it, a WireError. */
  maxRecords: number;
  /**
   * To read a TLS 1.3 handshake past its ServerHello: the session's NSS key log lines and the
   * suite Node reports (getCipher().standardName), which the ServerHello must agree with.
   * Without it, the encrypted records come as `application-data` events.
   */
  tls13Keys?: { keylog: readonly (Buffer | string)[]; cipherStandardName: string };
}

/**
 * One thing the server sent. `record` is the index of the record it came in (from 1); a
 * handshake message spanning records carries that of its last. A HelloRetryRequest comes as
 * a `server-hello` with `helloRetryRequest` set; the real ServerHello follows it.
 *
 * @example for (const event of readServerFlight(bytes, { maxRecords: 64 })) if (event.kind === 'server-hello') return event.hello;
 */
export type FlightEvent =
  | { kind: 'server-hello'; hello: ServerHello; record: number }
  | { kind: 'handshake'; type: number; body: Buffer; record: number }
  | { kind: 'alert'; level: number; description: number; record: number }
  | { kind: 'change-cipher-spec'; record: number }
  | { kind: 'application-data'; record: number };

/**
 * The events of `serverBytes` (everything the server sent from its first TLS record on), in
 * order. A TLS ≤1.2 flight ends at its ChangeCipherSpec (what follows is encrypted); a TLS 1.3
 * one goes on through the decrypted records when `tls13Keys` is given.
 *
 * @example
 * for (const event of readServerFlight(tap.received(), { maxRecords: 64 })) {
 *   if (event.kind === 'handshake' && event.type === HANDSHAKE_TYPE.serverKeyExchange) return event.body;
 * }
 */
export function* readServerFlight(serverBytes: Buffer, options: FlightOptions): Generator<FlightEvent, void, undefined> {
  if (!Buffer.isBuffer(serverBytes)) wireError('server bytes: not a Buffer');
  const messages = new HandshakeStream();
  let phase: 'hello' | 'tls12' | 'tls13' = 'hello';
  let decrypter: HandshakeDecrypter | null = null;

  for (const record of readRecords(serverBytes, options.maxRecords)) {
    const at = record.index;
    let type = record.type;
    let content = record.fragment;
    if (type === CONTENT_TYPE.changeCipherSpec) {
      yield { kind: 'change-cipher-spec', record: at };
      if (phase === 'tls12') return; // the records after it are encrypted
      continue; // before a ServerHello, or TLS 1.3's middlebox-compatibility CCS (RFC 8446 §5)
    }
    if (type === CONTENT_TYPE.applicationData && decrypter !== null) {
      ({ type, content } = decrypter.open(record.header, record.fragment, at));
    } else if (type === CONTENT_TYPE.handshake && phase === 'tls13') {
      wireError(`record ${at}: plaintext handshake record after the TLS 1.3 ServerHello`);
    }
    if (type === CONTENT_TYPE.alert) {
      yield { kind: 'alert', level: content.length >= 1 ? content.readUInt8(0) : -1, description: content.length >= 2 ? content.readUInt8(1) : -1, record: at };
      continue;
    }
    if (type === CONTENT_TYPE.applicationData) {
      yield { kind: 'application-data', record: at };
      continue;
    }
    if (type !== CONTENT_TYPE.handshake) wireError(`record ${at}: unknown content type ${type}`);
    // RFC 5246 §6.2.1: no zero-length handshake fragments (TLS 1.3 pads, so its inner content may be empty).
    if (content.length === 0 && phase !== 'tls13') wireError(`record ${at}: empty handshake record`);
    messages.push(content);

    for (let message = messages.next(); message !== null; message = messages.next()) {
      if (phase !== 'hello' || message.type !== HANDSHAKE_TYPE.serverHello) {
        yield { kind: 'handshake', type: message.type, body: message.body, record: at };
        continue;
      }
      const hello = parseServerHello(message.body);
      yield { kind: 'server-hello', hello, record: at };
      if (hello.helloRetryRequest) continue;
      if (hello.version !== WIRE_VERSION.tls13) {
        phase = 'tls12';
        continue;
      }
      phase = 'tls13';
      if (options.tls13Keys !== undefined) decrypter = tls13Decrypter(hello, options.tls13Keys, messages.pending);
      // The key changes after the ServerHello: nothing may follow it in the same record (RFC 8446 §5.1).
      else if (messages.pending !== 0) wireError('handshake bytes after the TLS 1.3 ServerHello in the same record');
    }
  }
}

/** The decrypter of a TLS 1.3 session's handshake, or a WireError saying why there is none. */
function tls13Decrypter(hello: ServerHello, keys: NonNullable<FlightOptions['tls13Keys']>, pending: number): HandshakeDecrypter {
  const suite = TLS13_SUITES.get(hello.cipherSuite);
  if (suite === undefined) return wireError(`TLS 1.3 ServerHello with unknown cipher suite 0x${hello.cipherSuite.toString(16)}`);
  const name = suiteName(hello.cipherSuite);
  if (name !== keys.cipherStandardName) {
    wireError(`the ServerHello selected ${name}, the session reports ${keys.cipherStandardName || 'no cipher'}`);
  }
  if (pending !== 0) wireError('handshake bytes after the TLS 1.3 ServerHello in the same record');
  const candidates = handshakeSecrets(keys.keylog, suite);
  if (candidates.length === 0) wireError(`TLS 1.3 needs the key log: no SERVER_HANDSHAKE_TRAFFIC_SECRET of ${suite.hashLength} bytes in it`);
  return new HandshakeDecrypter(suite, candidates);
}
