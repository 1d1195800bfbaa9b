/**
 * The signature scheme a TLS 1.0–1.2 server used to sign its key exchange, read from the
 * plaintext handshake records it sent (socket-tap.ts records them). Node cannot say it, and
 * it matters: OpenSSL 3 at security level 1 or more refuses SHA-1 and MD5 signatures
 * ("legacy sigalg disallowed"), so a server that signs with them loses current senders.
 *
 * ServerKeyExchange (RFC 5246 §7.4.3; ECDHE: RFC 8422 §5.4): the DH or ECDH parameters, then
 * in TLS 1.2 the SignatureAndHashAlgorithm (RFC 5246 §7.4.1.4.1; named as RFC 8446 §4.2.3
 * SignatureScheme), then the signature. TLS 1.0/1.1 carry no scheme: RSA signs an MD5+SHA-1
 * digest, (EC)DSA a SHA-1 digest (RFC 4346 §7.4.3).
 *
 * The records and the message are read by the TLS wire module (wire/server-flight.ts,
 * wire/server-key-exchange.ts). Pure and total: any input, however malformed, gives a result,
 * never an exception.
 */
import { WireError } from './wire/byte-reader.js';
import { HANDSHAKE_TYPE } from './wire/handshake.js';
import { readServerFlight } from './wire/server-flight.js';
import { readServerKeyExchange } from './wire/server-key-exchange.js';

/** Node's getEphemeralKeyInfo().type of an ephemeral key exchange. @example const kx: KeyExchangeKind = 'ECDH'; */
export type KeyExchangeKind = 'ECDH' | 'DH';

/** Most records read: the server's first flight is a handful of records. */
const MAX_RECORDS = 64;

/** RFC 8446 §4.2.3 names, and the TLS 1.2 hash/signature pairs they cover (RFC 5246 §7.4.1.4.1). */
const SCHEMES: Record<number, string> = {
  0x0101: 'rsa_pkcs1_md5',
  0x0201: 'rsa_pkcs1_sha1',
  0x0202: 'dsa_sha1',
  0x0203: 'ecdsa_sha1',
  0x0301: 'rsa_pkcs1_sha224',
  0x0302: 'dsa_sha224',
  0x0303: 'ecdsa_sha224',
  0x0401: 'rsa_pkcs1_sha256',
  0x0402: 'dsa_sha256',
  0x0403: 'ecdsa_secp256r1_sha256',
  0x0501: 'rsa_pkcs1_sha384',
  0x0502: 'dsa_sha384',
  0x0503: 'ecdsa_secp384r1_sha384',
  0x0601: 'rsa_pkcs1_sha512',
  0x0602: 'dsa_sha512',
  0x0603: 'ecdsa_secp521r1_sha512',
  0x0804: 'rsa_pss_rsae_sha256',
  0x0805: 'rsa_pss_rsae_sha384',
  0x0806: 'rsa_pss_rsae_sha512',
  0x0807: 'ed25519',
  0x0808: 'ed448',
  0x0809: 'rsa_pss_pss_sha256',
  0x080a: 'rsa_pss_pss_sha384',
  0x080b: 'rsa_pss_pss_sha512',
};

/**
 * The scheme that signed the ServerKeyExchange, or null when there was none (RSA key
 * transport) or it cannot be read (truncated or malformed records, an unknown layout).
 * `protocol` and `cipher` (OpenSSL's name) are the negotiated ones; `kx` the ephemeral key
 * exchange Node reports (getEphemeralKeyInfo().type).
 *
 * @example serverKeyExchangeSignature(tap.received(), 'TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDH') // 'rsa_pss_rsae_sha256'
 */
export function serverKeyExchangeSignature(serverBytes: Buffer, protocol: string, cipher: string, kx: KeyExchangeKind | null): string | null {
  if (kx === null || (protocol !== 'TLSv1' && protocol !== 'TLSv1.1' && protocol !== 'TLSv1.2')) return null;
  const body = serverKeyExchange(serverBytes);
  const exchange = body !== null ? readServerKeyExchange(body, kx, protocol === 'TLSv1.2') : null;
  if (exchange === null) return null;
  // RFC 4346 §7.4.3: no scheme on the wire before TLS 1.2; the certificate's key type decides the digest.
  if (exchange.scheme === null) return /ECDSA/.test(cipher) ? 'ecdsa_sha1' : /DSS/.test(cipher) ? 'dsa_sha1' : 'rsa_pkcs1_md5_sha1';
  return SCHEMES[exchange.scheme] ?? `0x${exchange.scheme.toString(16).padStart(4, '0')}`;
}

/**
 * The body of the first ServerKeyExchange message of the server's plaintext flight, or null:
 * the flight ended (ServerHelloDone, ChangeCipherSpec) or was cut before one, or cannot be read.
 */
function serverKeyExchange(bytes: Buffer): Buffer | null {
  try {
    for (const event of readServerFlight(bytes, { maxRecords: MAX_RECORDS })) {
      if (event.kind === 'change-cipher-spec') return null; // what follows is encrypted
      if (event.kind !== 'handshake') continue;
      if (event.type === HANDSHAKE_TYPE.serverKeyExchange) return event.body;
      if (event.type === HANDSHAKE_TYPE.serverHelloDone) return null;
    }
  } catch (err) {
    if (!(err instanceof WireError)) throw err; // a bug, not bad input
  }
  return null; // the flight was cut short or malformed: the scheme cannot be read
}
