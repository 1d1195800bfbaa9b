/**
 * Is an MX host's TLSA set rollover-safe? Pure: whether the records it publishes keep a DANE
 * sender delivering through the next change of the server's key or of its CA (RFC 7671 §8.1,
 * RFC 7672 §3.1, "TLSA publishing" guidance of Postfix and of RFC 7671 §8). Counted safe only:
 * - `two-keys`: DANE-EE SPKI records (`3 1 x`) for two different keys, the current and the next;
 * - `ee-and-issuer`: a DANE-EE record of the current certificate or key and a DANE-TA record of
 *   the issuer that really signed it (in the chain the server sends, signatures verified).
 * Two records for the same key are not a rollover (internet.nl counted them as one at first).
 */
import { createHash } from 'node:crypto';
import type { CertificateInfo } from '../model/certificate.js';
import type { DaneRollover, TlsaFacts, TlsaRecord } from '../model/dane.js';
import type { Problem } from '../model/problem.js';
import { consultedRecords, recordMatches, tlsaSubject, tlsaText, type TlsaSubject } from '../rules/dane-match.js';
import { daneTrustAnchor } from './dane.js';
import { problem } from './problem-catalogue.js';

/**
 * What is known of the key a DANE-EE record designates: its SubjectPublicKeyInfo's SHA-256
 * and/or SHA-512 digest, lower-case hex.
 */
interface KeyId {
  sha256?: string;
  sha512?: string;
}

const digests = (spki: Buffer): KeyId => ({
  sha256: createHash('sha256').update(spki).digest('hex'),
  sha512: createHash('sha512').update(spki).digest('hex'),
});

/**
 * The key a consulted DANE-EE record designates, by selector and matching type:
 * - any record that matches a leaf the server sent designates that leaf's key (so `3 0 1` of
 *   the current certificate and `3 1 1` of its key are the same key);
 * - `3 1 0`: the key itself; `3 1 1`: its SHA-256; `3 1 2`: its SHA-512 (RFC 6698 §2.1.3);
 * - `3 0 0`: the key of the certificate the record holds;
 * - `3 0 1`, `3 0 2` matching no leaf: unknown (a certificate digest does not tell its key).
 */
function keyOf(record: TlsaRecord, leaves: readonly TlsaSubject[]): KeyId | null {
  const leaf = leaves.find((l) => l.spki !== null && recordMatches(record, l));
  if (leaf?.spki) return digests(leaf.spki);
  if (record.selector === 1) {
    if (record.matchingType === 0) return digests(Buffer.from(record.data, 'hex'));
    return record.matchingType === 1 ? { sha256: record.data } : { sha512: record.data };
  }
  if (record.matchingType === 0) {
    const held = tlsaSubject(Buffer.from(record.data, 'hex'));
    return held?.spki ? digests(held.spki) : null;
  }
  return null;
}

/**
 * Two designated keys compared: `different` exactly when a digest of the same algorithm is known
 * for both and differs (two SPKI records of one matching type with different data, for
 * example), `same` when one is equal, `unknown` when no digest of one algorithm is known for
 * both (`3 1 1` against `3 1 2` of keys the server does not present).
 */
function compareKeys(a: KeyId | null, b: KeyId | null): 'same' | 'different' | 'unknown' {
  if (a === null || b === null) return 'unknown';
  for (const algorithm of ['sha256', 'sha512'] as const) {
    const x = a[algorithm];
    const y = b[algorithm];
    if (x !== undefined && y !== undefined) return x === y ? 'same' : 'different';
  }
  return 'unknown';
}

/**
 * The rollover judgement of one MX host, and its problem (DANE_ROLLOVER_UNSAFE, scope `host`,
 * when not safe). Null where it does not apply: DANE does not apply to the host (`hostSecure`
 * false, a TLSA answer that is not secure) or no usable record is published. `chains` are the
 * chains the host's addresses sent (leaf first); the `two-keys` pattern needs one of the two
 * keys to be the one the server uses when a chain is known, `ee-and-issuer` needs a chain and
 * holds only when it holds for every chain given. Only the records a sender consults count
 * (rules/dane-match.ts consultedRecords: a `3 1 1` beside a `3 1 2` is ignored by senders).
 *
 * @example judgeRollover('mx.example.com', tlsa, true, [chain], new Date()).rollover?.safe // true for "3 1 1 current + 3 1 1 next"
 */
export function judgeRollover(
  host: string,
  tlsa: TlsaFacts,
  hostSecure: boolean,
  chains: ReadonlyArray<readonly CertificateInfo[]>,
  now: Date,
): { rollover: DaneRollover | null; problems: Problem[] } {
  if (!hostSecure || tlsa.dnssec !== 'secure' || tlsa.error !== null) return { rollover: null, problems: [] };
  const records = consultedRecords(tlsa.records);
  if (records.length === 0) return { rollover: null, problems: [] };
  const known = chains.filter((c) => c.length > 0);
  const leaves = known.map((c) => tlsaSubject((c[0] as CertificateInfo).pem)).filter((s): s is TlsaSubject => s !== null);
  const matchesEveryLeaf = (r: TlsaRecord) => leaves.length > 0 && leaves.length === known.length && leaves.every((l) => recordMatches(r, l));
  const ee = records.filter((r) => r.usage === 3);
  const ta = records.filter((r) => r.usage === 2);
  const safe = (pattern: DaneRollover['pattern'], message: string) => ({ rollover: { safe: true, pattern, message }, problems: [] });

  // two-keys: 3 1 x records of two provably different keys (one of them the current one, when known).
  const spki = ee.filter((r) => r.selector === 1);
  for (const current of spki) {
    if (known.length > 0 && !matchesEveryLeaf(current)) continue;
    const next = spki.find((r) => r !== current && compareKeys(keyOf(current, leaves), keyOf(r, leaves)) === 'different');
    if (next !== undefined) {
      return safe('two-keys', `${host} publishes DANE-EE records for two different keys (TLSA ${tlsaText(current)} and TLSA ${tlsaText(next)}): the next key is published before it is used.`);
    }
  }

  // ee-and-issuer: a DANE-EE record of the current leaf, and a DANE-TA record of its real issuer.
  const currentEe = ee.find(matchesEveryLeaf);
  const anchors = known.map((c) => daneTrustAnchor(c, ta, now));
  const realIssuer = known.length > 0 && anchors.every((a) => a !== null && a.signaturesVerify) ? anchors[0] : null;
  if (currentEe !== undefined && realIssuer) {
    return safe('ee-and-issuer', `${host} publishes a DANE-EE record of its current ${currentEe.selector === 1 ? 'key' : 'certificate'} (TLSA ${tlsaText(currentEe)}) and a DANE-TA record of the issuer that signed it (TLSA ${tlsaText(realIssuer)}, certificate #${realIssuer.chainIndex} of the chain): a new key from the same CA, or the same key under a new CA, keeps matching.`);
  }

  const why: string[] = [];
  if (ee.length === 0) why.push('only DANE-TA records are published: a change of CA (or of intermediate) breaks them unless its record is published first');
  else {
    const keys = ee.map((r) => keyOf(r, leaves));
    const pairs = ee.flatMap((a, i) => ee.slice(i + 1).map((b, j) => compareKeys(keys[i] ?? null, keys[i + 1 + j] ?? null)));
    if (ee.length === 1) why.push(`one DANE-EE record (TLSA ${tlsaText(ee[0] as TlsaRecord)}) pins one ${(ee[0] as TlsaRecord).selector === 1 ? 'key' : 'certificate'}: the next key is not published`);
    else if (pairs.every((p) => p === 'same')) why.push(`the ${ee.length} DANE-EE records all designate the same key: two records for one key are not a rollover`);
    else if (spki.length < 2) why.push('the DANE-EE records pin certificates (selector 0) rather than two keys: a certificate digest does not show the key it holds, and a new certificate must be published before it exists');
    else if (known.length > 0 && !spki.some(matchesEveryLeaf)) why.push('no DANE-EE SPKI record matches the key the server uses now');
    else why.push('the DANE-EE SPKI records do not show two different keys (digests of different algorithms cannot be compared)');
  }
  if (ta.length > 0 && ee.length > 0) {
    if (known.length === 0) why.push('whether the DANE-TA record is the real issuer cannot be told without a TLS session');
    else if (!realIssuer) why.push('no DANE-TA record matches the issuer that really signed the chain the server sends');
    else if (currentEe === undefined) why.push('the DANE-EE records do not match the certificate the server uses now');
  }
  const message = `The TLSA records of ${host} are not rollover-safe: ${why.join('; ')}.`;
  return { rollover: { safe: false, pattern: null, message }, problems: [problem('DANE_ROLLOVER_UNSAFE', message, { scope: 'host', host })] };
}
