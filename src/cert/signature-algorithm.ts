/**
 * The signature algorithm of a certificate, which Node's X509Certificate does not expose
 * (NODE-FACTS). Read straight from the DER (RFC 5280 §4.1: Certificate ::= SEQUENCE {
 * tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signature }) by a minimal
 * bounds-checked walker: node-forge's ASN.1 decoder did the same job but cost ~13 ms of
 * start-up and 600 KB of bundle for one OID.
 */

/** OIDs of signature algorithms seen on mail servers, by the names OpenSSL prints. */
const NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10040.4.3': 'dsa-with-SHA1',
  '2.16.840.1.101.3.4.3.2': 'dsa-with-SHA256',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

/** Hash algorithms too weak for certificate signatures (SHA-1 collisions since 2017, MD5 since 2008). */
export function isWeakSignature(name: string): boolean {
  return /md2|md5|sha1(?!\d)|SHA1$/i.test(name);
}

interface Tlv {
  tag: number;
  /** Offset of the contents. */
  start: number;
  /** Offset just past the contents. */
  end: number;
}

/** Reads one DER tag-length-value at `offset`, or null when it does not fit inside `limit`. */
function readTlv(der: Buffer, offset: number, limit: number): Tlv | null {
  if (offset + 2 > limit) return null;
  const tag = der[offset] as number;
  let length = der[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > limit) return null;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[start + i] as number);
    start += bytes;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : null;
}

/** Dotted form of DER OID contents (X.690 §8.19): base-128 arcs, the first holding two. */
function decodeOid(bytes: Buffer): string | null {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) return null;
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  return arcs.length >= 2 && (bytes[bytes.length - 1]! & 0x80) === 0 ? arcs.join('.') : null;
}

const SEQUENCE = 0x30;
const OID = 0x06;

/** @example signatureAlgorithm(x509.raw) // 'sha256WithRSAEncryption' */
export function signatureAlgorithm(der: Buffer): string {
  const cert = readTlv(der, 0, der.length);
  if (cert === null || cert.tag !== SEQUENCE) return 'unknown';
  const tbs = readTlv(der, cert.start, cert.end);
  if (tbs === null || tbs.tag !== SEQUENCE) return 'unknown';
  const algorithm = readTlv(der, tbs.end, cert.end);
  if (algorithm === null || algorithm.tag !== SEQUENCE) return 'unknown';
  const oid = readTlv(der, algorithm.start, algorithm.end);
  if (oid === null || oid.tag !== OID) return 'unknown';
  const dotted = decodeOid(der.subarray(oid.start, oid.end));
  return dotted === null ? 'unknown' : (NAMES[dotted] ?? dotted);
}
