/**
 * The certificate chain exactly as the server presented it: the DER certificates of its
 * Certificate handshake message, in the order sent. Node's getPeerCertificate(true) cannot say
 * this: it returns a chain rebuilt by OpenSSL's verifier (sorted by issuer, unrelated certificates
 * dropped, the root added from the trust store).
 *
 * Input: the raw bytes the server sent from its first TLS record on (socket-tap.ts records
 * them), and for TLS 1.3, where everything after the ServerHello is encrypted, the NSS key log
 * lines of the session (tls.TLSSocket 'keylog' events) and the negotiated suite's standard name.
 * The handshake is read by the TLS wire module (wire/server-flight.ts, which decrypts TLS 1.3,
 * and wire/certificate-message.ts); this module finds the Certificate message in it (TLS
 * 1.0-1.2: RFC 5246 §7.4.2; TLS 1.3: RFC 8446 §4.4.2) and says why when there is none. A
 * HelloRetryRequest and middlebox-compatibility ChangeCipherSpec records are skipped.
 *
 * Pure (no I/O) and total: any input, however malformed, gives a result, never an exception.
 * Every length is checked against the bytes present; records, certificates and message sizes
 * are capped.
 */
import { WireError, wireError } from './wire/byte-reader.js';
import { parseCertificateMessage } from './wire/certificate-message.js';
import { HANDSHAKE_TYPE, handshakeName } from './wire/handshake.js';
import { alertName } from './wire/records.js';
import { readServerFlight } from './wire/server-flight.js';
import { WIRE_VERSION } from '../model/wire-versions.js';

/** @example const presented: PresentedChain = presentedCertificates(tap.received(), keylog, 'TLS_AES_256_GCM_SHA384'); */
export type PresentedChain = { certificates: Buffer[] } | { error: string };

/** Most TLS records read before giving up (a chain rarely needs more than 10). */
const MAX_RECORDS = 4096;
/** Most certificates accepted in one Certificate message. */
const MAX_CERTIFICATES = 64;

/**
 * The certificates of the server's Certificate message, in the order sent, or why they cannot
 * be had. `serverBytes`: everything the server sent from its first TLS record on (a tail past
 * the Certificate message may be missing). `keylogLines`: the session's key log lines (TLS 1.3
 * only; the last SERVER_HANDSHAKE_TRAFFIC_SECRET that decrypts is used). `cipherStandardName`:
 * getCipher().standardName, checked against the ServerHello for TLS 1.3.
 *
 * @example presentedCertificates(tap.received(), keylog, 'TLS_AES_256_GCM_SHA384') // { certificates: [leafDer, intermediateDer] }
 */
export function presentedCertificates(
  serverBytes: Buffer,
  keylogLines: readonly Buffer[] | readonly string[],
  cipherStandardName: string,
): PresentedChain {
  try {
    return { certificates: parse(serverBytes, keylogLines, cipherStandardName) };
  } catch (err) {
    if (err instanceof WireError) return { error: err.message };
    // A bug, not bad input: still never thrown at the caller, but marked as such.
    return { error: `internal error: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function parse(serverBytes: Buffer, keylogLines: readonly (Buffer | string)[], cipherStandardName: string): Buffer[] {
  /** The version the ServerHello chose; null before it. */
  let version: number | null = null;
  const flight = readServerFlight(serverBytes, { maxRecords: MAX_RECORDS, tls13Keys: { keylog: keylogLines, cipherStandardName } });
  for (const event of flight) {
    switch (event.kind) {
      case 'change-cipher-spec':
        // Before a Certificate: a TLS 1.3 middlebox-compatibility CCS (ignored, RFC 8446 §5), or a
        // TLS ≤1.2 server switching to encryption without one (an abbreviated, resumed handshake).
        if (version !== null && version !== WIRE_VERSION.tls13) wireError('the server switched to encryption without sending a Certificate (resumed session?)');
        break;
      case 'application-data':
        return wireError(`record ${event.record}: application data before the Certificate message`);
      case 'alert':
        return wireError(`the server sent a ${event.level === 2 ? 'fatal ' : ''}alert before its Certificate: ${alertName(event.description)}`);
      case 'server-hello':
        if (!event.hello.helloRetryRequest) version = event.hello.version; // after a HelloRetryRequest, the real ServerHello follows
        break;
      case 'handshake': {
        const { type, body } = event;
        if (version === null) {
          if (type === HANDSHAKE_TYPE.helloRequest) break;
          return wireError(`expected a ServerHello, the server sent ${handshakeName(type)}`);
        }
        if (type === HANDSHAKE_TYPE.certificate) return parseCertificateMessage(body, version === WIRE_VERSION.tls13, MAX_CERTIFICATES);
        if (version === WIRE_VERSION.tls13) {
          if (type === HANDSHAKE_TYPE.encryptedExtensions || type === HANDSHAKE_TYPE.certificateRequest) break;
          if (type === HANDSHAKE_TYPE.compressedCertificate) wireError('the server sent a CompressedCertificate (RFC 8879): not supported');
          return wireError(`no Certificate message: the server sent ${handshakeName(type)} (PSK or resumed session?)`);
        }
        if (type === HANDSHAKE_TYPE.helloRequest) break;
        return wireError(`no Certificate message: the server sent ${handshakeName(type)} (anonymous, PSK or resumed session?)`);
      }
    }
  }
  return wireError(
    version === null
      ? `no ServerHello in the ${serverBytes.length} bytes received`
      : `no complete Certificate message in the ${serverBytes.length} bytes received`,
  );
}
