/**
 * Does a TLSA record match a certificate? Pure rules of RFC 6698 §2.1 and RFC 7671 as OpenSSL's
 * DANE code applies them (ssl/ssl_lib.c dane_tlsa_add, crypto/x509/x509_vfy.c dane_match), which
 * Postfix uses: which records are usable for SMTP, which of them a sender consults (digest
 * agility), and the bytes a selector and matching type designate.
 */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import type { TlsaRecord } from '../model/dane.js';

/** RFC 7218 names of the certificate usages. */
export const TLSA_USAGE_NAMES: Readonly<Record<number, string>> = { 0: 'PKIX-TA', 1: 'PKIX-EE', 2: 'DANE-TA', 3: 'DANE-EE' };

/** Digest sizes in bytes of the matching types 1 (SHA2-256) and 2 (SHA2-512) (RFC 6698 §2.1.3). */
const DIGEST_BYTES: Readonly<Record<number, number>> = { 1: 32, 2: 64 };

/**
 * Why a record is not used: `pkix-usage` PKIX-TA(0)/PKIX-EE(1), which SMTP does not use (RFC
 * 7672 §3.1.3); `unknown-usage`, `unknown-selector`, `unknown-matching-type` parameters RFC 6698
 * does not define (RFC 7671 §4.1: such records are ignored); `bad-data` association data that
 * cannot be what its type says (not hex, a digest of the wrong length, a certificate or key
 * that does not parse), which OpenSSL refuses to load.
 *
 * @example const reason: TlsaUnusableReason = 'pkix-usage';
 */
export type TlsaUnusableReason = 'pkix-usage' | 'unknown-usage' | 'unknown-selector' | 'unknown-matching-type' | 'bad-data';

/**
 * Whether SMTP can use a record, and if not, why in words.
 *
 * @example tlsaUsability({ usage: 1, selector: 1, matchingType: 1, data: '00'.repeat(32) }) // { usable: false, reason: 'pkix-usage', detail: '…' }
 */
export function tlsaUsability(record: TlsaRecord): { usable: true } | { usable: false; reason: TlsaUnusableReason; detail: string } {
  const { usage, selector, matchingType, data } = record;
  if (usage === 0 || usage === 1) {
    return { usable: false, reason: 'pkix-usage', detail: `usage ${usage} (${TLSA_USAGE_NAMES[usage]}) is not used for SMTP: a DANE sender ignores it (RFC 7672 §3.1.3)` };
  }
  if (usage !== 2 && usage !== 3) return { usable: false, reason: 'unknown-usage', detail: `usage ${usage} is not defined (RFC 6698 §2.1.1): it is ignored` };
  if (selector !== 0 && selector !== 1) return { usable: false, reason: 'unknown-selector', detail: `selector ${selector} is not defined (RFC 6698 §2.1.2): the record is ignored` };
  if (matchingType !== 0 && matchingType !== 1 && matchingType !== 2) {
    return { usable: false, reason: 'unknown-matching-type', detail: `matching type ${matchingType} is not defined (RFC 6698 §2.1.3): the record is ignored` };
  }
  if (!/^(?:[0-9a-f]{2})+$/i.test(data)) return { usable: false, reason: 'bad-data', detail: 'the association data is empty or not hexadecimal: the record is ignored' };
  const bytes = data.length / 2;
  const digest = DIGEST_BYTES[matchingType];
  if (digest !== undefined && bytes !== digest) {
    return { usable: false, reason: 'bad-data', detail: `a ${matchingType === 1 ? 'SHA-256' : 'SHA-512'} digest has ${digest} bytes, this one ${bytes}: the record is ignored` };
  }
  if (matchingType === 0 && !fullDataParses(selector, Buffer.from(data, 'hex'))) {
    return { usable: false, reason: 'bad-data', detail: `the association data is no DER ${selector === 0 ? 'certificate' : 'SubjectPublicKeyInfo'}: the record is ignored` };
  }
  return { usable: true };
}

function fullDataParses(selector: 0 | 1, der: Buffer): boolean {
  try {
    if (selector === 0) return new X509Certificate(der).raw.equals(der);
    createPublicKey({ key: der, format: 'der', type: 'spki' });
    return true;
  } catch {
    return false;
  }
}

const normalised = (r: TlsaRecord): TlsaRecord => ({ ...r, data: r.data.toLowerCase() });

/**
 * The records a DANE sender consults, in their published order: the usable ones (tlsaUsability),
 * and of those, per usage and selector, the exact (`x x 0`) ones and those of the strongest
 * digest present (SHA-512 over SHA-256): RFC 7671 §9 digest algorithm agility, as OpenSSL
 * applies it by default (and Postfix with it). So `3 1 1` beside a `3 1 2` is not consulted.
 * Data is lower-cased; duplicates are kept once.
 *
 * @example consultedRecords([{ usage: 3, selector: 1, matchingType: 1, data: a }, { usage: 3, selector: 1, matchingType: 2, data: b }]) // only the 3 1 2 record
 */
export function consultedRecords(records: readonly TlsaRecord[]): TlsaRecord[] {
  const usable = records.filter((r) => tlsaUsability(r).usable).map(normalised);
  const strongest = new Map<string, number>();
  for (const r of usable) {
    const group = `${r.usage} ${r.selector}`;
    if (r.matchingType !== 0) strongest.set(group, Math.max(strongest.get(group) ?? 0, r.matchingType));
  }
  const seen = new Set<string>();
  return usable.filter((r) => {
    const key = `${r.usage} ${r.selector} ${r.matchingType} ${r.data}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return r.matchingType === 0 || r.matchingType === strongest.get(`${r.usage} ${r.selector}`);
  });
}

/**
 * A certificate read once for matching: its DER, and its SubjectPublicKeyInfo DER exactly as it
 * stands in the certificate (null when Node's re-encoding of the key is not found verbatim in
 * the certificate, so the exact bytes are unknown; no such certificate is seen to match a
 * selector-1 record).
 *
 * @example const c = tlsaSubject(pem); c.spki?.length
 */
export interface TlsaSubject {
  x509: X509Certificate;
  der: Buffer;
  spki: Buffer | null;
}

/**
 * Reads a PEM (or DER) certificate for matching; null when it does not parse.
 *
 * @example tlsaSubject(chain[0].pem)?.der.length
 */
export function tlsaSubject(certificate: string | Buffer): TlsaSubject | null {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certificate);
  } catch {
    return null;
  }
  const der = x509.raw;
  let spki: Buffer | null = null;
  try {
    const exported = x509.publicKey.export({ type: 'spki', format: 'der' });
    spki = der.includes(exported) ? exported : null;
  } catch {
    spki = null;
  }
  return { x509, der, spki };
}

/**
 * The association data a record of this selector and matching type would carry for the
 * certificate, lower-case hex (RFC 6698 §2.1.2, §2.1.3); null when the selector's bytes are
 * unknown or the parameters undefined.
 *
 * @example associationData(tlsaSubject(pem)!, 1, 1) // the "3 1 1" data: SHA-256 of the SPKI
 */
export function associationData(subject: TlsaSubject, selector: number, matchingType: number): string | null {
  const bytes = selector === 0 ? subject.der : selector === 1 ? subject.spki : null;
  if (bytes === null) return null;
  if (matchingType === 0) return bytes.toString('hex');
  if (matchingType === 1) return createHash('sha256').update(bytes).digest('hex');
  if (matchingType === 2) return createHash('sha512').update(bytes).digest('hex');
  return null;
}

/**
 * The record's data equals what its selector and matching type designate in the certificate.
 * Usage is not looked at here: which certificate of a chain a usage may match is the judge's.
 *
 * @example recordMatches({ usage: 3, selector: 1, matchingType: 1, data }, tlsaSubject(leafPem)!) // true
 */
export function recordMatches(record: TlsaRecord, subject: TlsaSubject): boolean {
  const expected = associationData(subject, record.selector, record.matchingType);
  return expected !== null && expected === record.data.toLowerCase();
}

/**
 * The public key of a `2 1 0` record (a bare DANE-TA key, RFC 7671 §5.2.2), or null for any
 * other record or data that is no key.
 *
 * @example bareTrustAnchorKey({ usage: 2, selector: 1, matchingType: 0, data: spkiHex })?.asymmetricKeyType
 */
export function bareTrustAnchorKey(record: TlsaRecord): ReturnType<typeof createPublicKey> | null {
  if (record.usage !== 2 || record.selector !== 1 || record.matchingType !== 0) return null;
  try {
    return createPublicKey({ key: Buffer.from(record.data, 'hex'), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

/**
 * A record in presentation form: "3 1 1 8cb0fc…" (the data cut to `dataChars` characters).
 *
 * @example tlsaText({ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }, 8) // '3 1 1 abababab…'
 */
export function tlsaText(record: TlsaRecord, dataChars = 16): string {
  const data = record.data.length > dataChars ? `${record.data.slice(0, dataChars)}…` : record.data;
  return `${record.usage} ${record.selector} ${record.matchingType} ${data}`;
}
