/**
 * A minimal DER reader (X.690) for the few certificate fields Node's X509Certificate does not
 * expose. Bounded and total: every length is checked against the bytes present, every loop is
 * capped, and malformed input gives null, never an exception.
 */

export interface Tlv {
  tag: number;
  /** Offset of the contents. */
  start: number;
  /** Offset just past the contents. */
  end: number;
  /** Offset of the tag byte (the whole encoding is `der.subarray(offset, end)`). */
  offset: number;
}

/** Universal tags (X.690 §8.1.2), as single bytes. @example readTlv(der, 0, der.length)?.tag === SEQUENCE */
export const SEQUENCE = 0x30;
export const SET = 0x31;
export const OID = 0x06;
export const BOOLEAN = 0x01;
export const INTEGER = 0x02;
export const BIT_STRING = 0x03;
export const OCTET_STRING = 0x04;

/** Most elements read from one constructed value (a certificate has a few dozen at most). */
const MAX_CHILDREN = 1024;

/**
 * Reads one tag-length-value at `offset`, or null when it does not fit inside `limit`.
 * Single-byte tags only (certificates use no others); definite lengths only (DER).
 * @example readTlv(der, 0, der.length) // { tag: 0x30, start: 4, end: 1234, offset: 0 }
 */
export function readTlv(der: Buffer, offset: number, limit: number): Tlv | null {
  if (offset < 0 || offset + 2 > limit || limit > der.length) return null;
  const tag = der[offset] as number;
  if ((tag & 0x1f) === 0x1f) return null;
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
  return end <= limit ? { tag, start, end, offset } : null;
}

/**
 * The elements inside a constructed value, in order; null when any of them is malformed or
 * they do not fill it exactly.
 * @example children(der, readTlv(der, 0, der.length)!) // [tbsCertificate, signatureAlgorithm, signature]
 */
export function children(der: Buffer, parent: Tlv): Tlv[] | null {
  const out: Tlv[] = [];
  let at = parent.start;
  while (at < parent.end) {
    if (out.length >= MAX_CHILDREN) return null;
    const tlv = readTlv(der, at, parent.end);
    if (tlv === null) return null;
    out.push(tlv);
    at = tlv.end;
  }
  return out;
}

/**
 * Dotted form of DER OID contents (X.690 §8.19): base-128 arcs, the first holding two.
 * @example decodeOid(Buffer.from('2a864886f70d01010b', 'hex')) // '1.2.840.113549.1.1.11'
 */
export function decodeOid(bytes: Buffer): string | null {
  if (bytes.length === 0 || bytes.length > 64) return null;
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

/** The OID of a TLV that must be one, or null. @example oidOf(der, parts[0]) // '2.5.29.19' */
export function oidOf(der: Buffer, tlv: Tlv | undefined): string | null {
  return tlv !== undefined && tlv.tag === OID ? decodeOid(der.subarray(tlv.start, tlv.end)) : null;
}

/**
 * A non-negative INTEGER as a JavaScript number, or null (negative, or too large to matter:
 * pathLenConstraint and version are small).
 * @example smallInteger(der, pathLenTlv) // 0
 */
export function smallInteger(der: Buffer, tlv: Tlv | undefined): number | null {
  if (tlv === undefined || tlv.tag !== INTEGER || tlv.end === tlv.start || tlv.end - tlv.start > 6) return null;
  if ((der[tlv.start] as number) & 0x80) return null;
  let value = 0;
  for (let i = tlv.start; i < tlv.end; i++) value = value * 256 + (der[i] as number);
  return value;
}

/** String types OpenSSL compares case- and space-insensitively in names (ASN1_MASK_CANON). */
const CANON_STRINGS: Record<number, (bytes: Buffer) => string> = {
  0x0c: (b) => b.toString('utf8'), // UTF8String
  0x13: (b) => b.toString('latin1'), // PrintableString
  0x14: (b) => b.toString('latin1'), // T61String (OpenSSL reads it as Latin-1)
  0x16: (b) => b.toString('latin1'), // IA5String
  0x1a: (b) => b.toString('latin1'), // VisibleString
  0x1e: (b) => (b.length % 2 === 0 ? Buffer.from(b).swap16().toString('utf16le') : b.toString('hex')), // BMPString
  0x1c: (b) => {
    // UniversalString: UTF-32BE
    if (b.length % 4 !== 0) return b.toString('hex');
    let s = '';
    for (let i = 0; i < b.length; i += 4) {
      const cp = b.readUInt32BE(i);
      s += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
    }
    return s;
  },
};

/** OpenSSL's asn1_string_canon: trim, collapse white space to one space, lower-case ASCII. */
function canonText(text: string): string {
  let out = '';
  let space = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) {
      space = out.length > 0;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 0x20) : text[i];
  }
  return out;
}

/** Dotted OIDs of attribute types by their DER contents: a name repeats a handful of them. */
const oidCache = new Map<string, string | null>();

function cachedOid(der: Buffer, tlv: Tlv): string | null {
  if (tlv.tag !== OID) return null;
  const raw = der.toString('latin1', tlv.start, tlv.end);
  let oid = oidCache.get(raw);
  if (oid === undefined) {
    oid = decodeOid(der.subarray(tlv.start, tlv.end));
    if (oidCache.size < 256) oidCache.set(raw, oid);
  }
  return oid;
}

/**
 * A key for a distinguished name (RFC 5280 §4.1.2.4) such that two names have the same key
 * exactly when OpenSSL's X509_NAME_cmp finds them equal: its canonical encoding compares
 * string values converted to UTF-8, trimmed, with white space collapsed and ASCII lower-cased;
 * other value types byte for byte. Null when the name is malformed.
 * @example nameKey(der, issuerTlv) === nameKey(der2, subjectTlv2) // issuer of one is subject of the other
 */
export function nameKey(der: Buffer, name: Tlv): string | null {
  if (name.tag !== SEQUENCE) return null;
  const rdns = children(der, name);
  if (rdns === null) return null;
  // RDNs separated by \u0001, the attributes of one RDN (sorted, as DER sorts a SET) by \u0002.
  let key = '';
  for (const rdn of rdns) {
    if (rdn.tag !== SET) return null;
    const avas = children(der, rdn);
    if (avas === null || avas.length === 0) return null;
    const entries: string[] = [];
    for (const ava of avas) {
      if (ava.tag !== SEQUENCE) return null;
      const type = readTlv(der, ava.start, ava.end);
      const value = type !== null ? readTlv(der, type.end, ava.end) : null;
      const oid = type !== null ? cachedOid(der, type) : null;
      if (value === null || value.end !== ava.end || oid === null) return null;
      const decode = CANON_STRINGS[value.tag];
      entries.push(
        decode !== undefined
          ? `${oid}=${canonText(decode(der.subarray(value.start, value.end)))}`
          : `${oid}#${der.toString('hex', value.offset, value.end)}`,
      );
    }
    key += `${entries.length === 1 ? entries[0] : entries.sort().join('\u0002')}\u0001`;
  }
  return key;
}
