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
 * Pure and total: any input, however malformed, gives a result, never an exception.
 */

/** Node's getEphemeralKeyInfo().type of an ephemeral key exchange. @example const kx: KeyExchangeKind = 'ECDH'; */
export type KeyExchangeKind = 'ECDH' | 'DH';

const CT_CCS = 20;
const CT_HANDSHAKE = 22;
const HS_SERVER_KEY_EXCHANGE = 12;
const HS_SERVER_HELLO_DONE = 14;
/** Most records read: the server's first flight is a handful of records. */
const MAX_RECORDS = 64;
/** Most handshake bytes gathered (certificate chains included). */
const MAX_HANDSHAKE_BYTES = 256 * 1024;

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
  if (body === null) return null;
  const paramsEnd = kx === 'ECDH' ? ecdhParamsLength(body) : dhParamsLength(body);
  if (paramsEnd === null) return null;
  if (protocol !== 'TLSv1.2') {
    // RFC 4346 §7.4.3: no scheme on the wire; the certificate's key type decides the digest.
    return /ECDSA/.test(cipher) ? 'ecdsa_sha1' : /DSS/.test(cipher) ? 'dsa_sha1' : 'rsa_pkcs1_md5_sha1';
  }
  if (body.length < paramsEnd + 2) return null;
  const code = body.readUInt16BE(paramsEnd);
  return SCHEMES[code] ?? `0x${code.toString(16).padStart(4, '0')}`;
}

/** The body of the first ServerKeyExchange message in the plaintext records, or null. */
function serverKeyExchange(bytes: Buffer): Buffer | null {
  const chunks: Buffer[] = [];
  let gathered = 0;
  let offset = 0;
  for (let records = 0; records < MAX_RECORDS && offset + 5 <= bytes.length; records++) {
    const type = bytes[offset] as number;
    const length = bytes.readUInt16BE(offset + 3);
    const fragment = bytes.subarray(offset + 5, offset + 5 + length);
    offset += 5 + length;
    if (type === CT_CCS) break; // what follows is encrypted
    if (type !== CT_HANDSHAKE) continue;
    gathered += fragment.length;
    if (gathered > MAX_HANDSHAKE_BYTES) break;
    chunks.push(fragment);
  }
  // One concatenation of the flight: handshake messages may span records (RFC 5246 §6.2.1).
  return findMessage(Buffer.concat(chunks));
}

/** The ServerKeyExchange's body, or null: the flight ended (ServerHelloDone) or was cut before one. */
function findMessage(stream: Buffer): Buffer | null {
  let offset = 0;
  while (offset + 4 <= stream.length) {
    const type = stream[offset] as number;
    const length = stream.readUIntBE(offset + 1, 3);
    if (offset + 4 + length > stream.length) return null;
    if (type === HS_SERVER_KEY_EXCHANGE) return stream.subarray(offset + 4, offset + 4 + length);
    if (type === HS_SERVER_HELLO_DONE) return null;
    offset += 4 + length;
  }
  return null;
}

/** ServerECDHParams (RFC 8422 §5.4): curve_type 3 (named_curve), NamedCurve, opaque point<1..255>. */
function ecdhParamsLength(body: Buffer): number | null {
  if (body.length < 4 || body[0] !== 3) return null;
  const end = 4 + (body[3] as number);
  return end <= body.length ? end : null;
}

/** ServerDHParams (RFC 5246 §7.4.3): dh_p<1..2^16-1>, dh_g<1..2^16-1>, dh_Ys<1..2^16-1>. */
function dhParamsLength(body: Buffer): number | null {
  let offset = 0;
  for (let i = 0; i < 3; i++) {
    if (offset + 2 > body.length) return null;
    offset += 2 + body.readUInt16BE(offset);
  }
  return offset <= body.length ? offset : null;
}
