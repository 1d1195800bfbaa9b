/**
 * Judges DANE (RFC 7672 §2–3, RFC 7671) as a DANE sender (Postfix on OpenSSL) does: the DANE
 * outcome of one address from its host's TLSA facts and the certificates the server sent, and
 * the problems of one host's TLSA RRset. Pure: `now` is a parameter; no trust store is involved.
 */
import type { CertificateInfo, PathCertificate } from '../model/certificate.js';
import type { DaneOutcome, TlsaFacts, TlsaMatch, TlsaRecord } from '../model/dane.js';
import type { Problem } from '../model/problem.js';
import { matchHostName } from '../rules/name-match.js';
import {
  bareTrustAnchorKey,
  consultedRecords,
  recordMatches,
  tlsaSubject,
  tlsaText,
  tlsaUsability,
  type TlsaSubject,
  type TlsaUnusableReason,
} from '../rules/dane-match.js';
import { problem } from './problem-catalogue.js';
import { verifyPath, type PathCheck, type PathFailure } from './verify-path.js';

/**
 * What the DANE judge of one address takes.
 *
 * @example const input: DaneAddressInput = { host: 'mx.example.com', ip: '192.0.2.1', referenceNames: daneReferenceNames('mx.example.com', []), hostSecure: true, tlsa, chain: facts.certificate?.chain ?? 'no-tls' };
 */
export interface DaneAddressInput {
  /** The MX host (as published in the MX record). */
  host: string;
  ip: string;
  /** The names a DANE-TA leaf must carry, one of them (daneReferenceNames). */
  referenceNames: readonly string[];
  /**
   * The MX answer and this host's address answers were DNSSEC-secure. Else DANE does not apply
   * whatever the TLSA answer is (RFC 7672 §2.2.1, §2.2.2): a sender does not even ask for it.
   */
  hostSecure: boolean;
  /** The host's TLSA facts (`_25._tcp.HOST`, after CNAMEs). */
  tlsa: TlsaFacts;
  /**
   * The certificates as the server sent them, leaf first; `no-tls` when the address was reached
   * and no TLS session was made (no STARTTLS, a failed handshake); `unreached` when the probe did
   * not get that far (no connection, a timeout before TLS was offered).
   */
  chain: readonly CertificateInfo[] | 'no-tls' | 'unreached';
}

/**
 * The DANE judgement of one address: its outcome, and the problems it has (scope `address`).
 *
 * @example const { outcome, problems } = judgeDane(input, new Date());
 */
export interface DaneJudgement {
  outcome: DaneOutcome;
  problems: Problem[];
}

/**
 * The reference identifiers a DANE-TA(2) leaf must match, one of them (RFC 7672 §3.2.2): the
 * TLSA base domain (the MX host after CNAMEs, the last of `cnames`) and the MX host name as
 * published. A caller may add the next-hop domain (the RFC allows it; Postfix accepts it).
 * Lower-case, without trailing dot, each once.
 *
 * @example daneReferenceNames('mx.example.com', ['mx.provider.example']) // ['mx.provider.example', 'mx.example.com']
 */
export function daneReferenceNames(host: string, cnames: readonly string[], nextHop?: string): string[] {
  const names = [cnames.at(-1), host, nextHop].filter((n): n is string => n !== undefined && n !== '');
  return [...new Set(names.map((n) => n.toLowerCase().replace(/\.$/, '')))];
}

/** Chain-end checks of a PKIX path: with DANE-TA the TLSA record is the anchor, not a store. */
const PKIX_ONLY: ReadonlySet<PathCheck> = new Set(['self-signed-leaf', 'untrusted-root', 'anchor-issuer-unknown', 'issuer-missing', 'issuer-unknown', 'openssl']);
const TIME_CHECKS: ReadonlySet<PathCheck> = new Set(['leaf-expired', 'leaf-not-yet-valid', 'ca-expired', 'ca-not-yet-valid']);

/** What each remaining path check means, in words, for DANE-TA messages. */
const CHECK_WORDS: Record<PathCheck, string> = {
  'self-signed-leaf': 'the leaf is self-signed',
  'untrusted-root': 'the chain ends at an untrusted root',
  'anchor-issuer-unknown': "the anchor's issuer is unknown",
  'issuer-missing': 'an issuer is missing',
  'issuer-unknown': 'an issuer is unknown',
  'critical-extension': 'has a critical extension OpenSSL does not handle',
  'issuer-not-ca': 'is not a CA (basicConstraints)',
  'issuer-key-usage': 'may not sign certificates (keyUsage without keyCertSign)',
  purpose: 'is not for TLS servers (extendedKeyUsage or keyUsage)',
  'path-length': "exceeds a CA's pathLenConstraint",
  signature: 'has a signature that does not verify with its issuer',
  'leaf-not-yet-valid': 'is not valid yet',
  'leaf-expired': 'has expired',
  'ca-not-yet-valid': 'is not valid yet',
  'ca-expired': 'has expired',
  openssl: 'is refused by OpenSSL',
};

/** OpenSSL's default verify depth: no longer issuer path is built. */
const MAX_PATH = 101;

const day = (iso: string) => iso.slice(0, 10);

/**
 * The issuer path of a presented chain as OpenSSL builds it without a trust store (x509_vfy.c
 * build_chain over the sent certificates): from the leaf, at each step a sent certificate that
 * issued the current one (X509_check_issued: names, key identifiers, keyUsage), the first valid
 * at `now` among several; it stops at a self-signed certificate or where no issuer was sent.
 * Indices into `chain`.
 */
function issuerPath(chain: readonly CertificateInfo[], subjects: ReadonlyArray<TlsaSubject | null>, now: number): number[] {
  const path = [0];
  while (path.length < MAX_PATH) {
    const current = path[path.length - 1] as number;
    const subject = subjects[current];
    if (subject === null || subject === undefined || (chain[current] as CertificateInfo).selfSigned) break;
    const candidates = subjects.flatMap((s, j) => (s !== null && !path.includes(j) && subject.x509.checkIssued(s.x509) ? [j] : []));
    const valid = candidates.find((j) => Date.parse((chain[j] as CertificateInfo).notBefore) <= now && now <= Date.parse((chain[j] as CertificateInfo).notAfter));
    const next = valid ?? candidates[0];
    if (next === undefined) break;
    path.push(next);
  }
  return path;
}

/** Where a DANE-TA record's anchor is: a certificate of the issuer path (its depth), or a bare key that signed the path's top. */
interface TrustAnchor {
  record: TlsaRecord;
  /** Depth in the issuer path of the anchor certificate, or of the certificate the bare key signed. */
  depth: number;
  bareKey: boolean;
}

function findTrustAnchor(taRecords: readonly TlsaRecord[], path: readonly number[], subjects: ReadonlyArray<TlsaSubject | null>): TrustAnchor | null {
  // x509_vfy.c check_dane_issuer: DANE-TA records are tried at depth 1 and up, lowest first; the leaf is DANE-EE's.
  for (let depth = 1; depth < path.length; depth++) {
    const subject = subjects[path[depth] as number];
    const record = subject ? taRecords.find((r) => recordMatches(r, subject)) : undefined;
    if (record !== undefined) return { record, depth, bareKey: false };
  }
  // check_dane_pkeys: a bare "2 1 0" key that signed the top of the path (RFC 7671 §5.2.2).
  const top = subjects[path[path.length - 1] as number];
  if (top) {
    for (const record of taRecords) {
      const key = bareTrustAnchorKey(record);
      if (key !== null && top.x509.verify(key)) return { record, depth: path.length - 1, bareKey: true };
    }
  }
  return null;
}

/**
 * The path from the leaf to the anchor verified at `now` as OpenSSL verifies a DANE-TA chain
 * (verify_chain with the TLSA record as the anchor): CA flags, key usage, purpose, path length,
 * critical extensions, each link's signature, and the validity of every certificate; the
 * anchor certificate's own dates only when it is self-signed (OpenSSL's internal_verify checks
 * a non-self-issued top as the issuer of the one below, not its dates).
 */
function verifyDaneTaPath(chain: readonly CertificateInfo[], subjects: ReadonlyArray<TlsaSubject | null>, path: readonly number[], anchor: TrustAnchor, now: Date): PathFailure[] {
  const used = path.slice(0, anchor.depth + 1);
  const certificates: PathCertificate[] = used.map((index, i) => {
    const next = used[i + 1];
    const subject = subjects[index] as TlsaSubject;
    const issuer = next !== undefined ? (subjects[next] as TlsaSubject) : null;
    const signatureValid = issuer !== null ? subject.x509.verify(issuer.x509.publicKey) : anchor.bareKey ? true : null;
    return { ...(chain[index] as CertificateInfo), signatureValid };
  });
  const topIsAnchorCert = !anchor.bareKey;
  const top = certificates[certificates.length - 1] as PathCertificate;
  return verifyPath(certificates, now).filter((f) => {
    if (PKIX_ONLY.has(f.check)) return false;
    if (topIsAnchorCert && f.depth === certificates.length - 1 && TIME_CHECKS.has(f.check) && !top.selfSigned) return false;
    return true;
  });
}

/**
 * The DANE-TA anchor of a presented chain, as judgeDane finds it: the first consulted DANE-TA
 * record that matches an issuer of the leaf the server sent (lowest first), or a bare `2 1 0`
 * key that signed the top of the issuer path; with whether every signature from the leaf up to
 * it verifies (a "real issuer", not one that merely bears the issuer's name). Null when none.
 *
 * @example daneTrustAnchor(chain, tlsa.records, new Date())?.chainIndex // 1: the intermediate
 */
export function daneTrustAnchor(chain: readonly CertificateInfo[], records: readonly TlsaRecord[], now: Date): (TlsaMatch & { signaturesVerify: boolean }) | null {
  if (chain.length === 0) return null;
  const subjects = chain.map((c) => tlsaSubject(c.pem));
  const path = issuerPath(chain, subjects, now.getTime());
  const anchor = findTrustAnchor(consultedRecords(records).filter((r) => r.usage === 2), path, subjects);
  if (anchor === null) return null;
  const failures = verifyDaneTaPath(chain, subjects, path, anchor, now);
  return { ...anchor.record, chainIndex: path[anchor.depth] as number, bareKey: anchor.bareKey, signaturesVerify: !failures.some((f) => f.check === 'signature') };
}

const describeCert = (c: CertificateInfo, index: number) => `certificate #${index} (${c.subject || 'no subject'})`;

/**
 * The DANE outcome of one address at `now`, with its problems (scope `address`): DANE-EE(3)
 * records match the leaf alone, names and dates ignored (RFC 7672 §3.1.1); DANE-TA(2) records
 * match an issuer of the leaf that the server sent (or, `2 1 0`, a bare key that signed the
 * top of what it sent), and then the path from the leaf to that anchor must verify and the leaf
 * must name one of `referenceNames` (RFC 7672 §3.1.2, §3.2.2). Records SMTP cannot use are
 * ignored (judgeTlsaSet reports them); digest agility as rules/dane-match.ts consultedRecords.
 *
 * @example judgeDane({ host, ip, referenceNames: daneReferenceNames(host, []), hostSecure: true, tlsa, chain }, new Date()).outcome.status // 'valid'
 */
export function judgeDane(input: DaneAddressInput, now: Date): DaneJudgement {
  const { host, ip, tlsa } = input;
  const where = `${host} [${ip}]`;
  const at = { scope: 'address', host, ip } as const;
  const outcome = (status: DaneOutcome['status'], message: string, matched: TlsaMatch | null = null): DaneOutcome => ({ status, matched, message });
  const only = (o: DaneOutcome): DaneJudgement => ({ outcome: o, problems: [] });

  // RFC 7672 §2.2: DANE applies only to a host whose MX and address answers are secure.
  if (!input.hostSecure) {
    return only(outcome('insecure', `The MX or address answers for ${host} are not DNSSEC-secure: DANE does not apply (RFC 7672 §2.2), whatever TLSA records say; a DANE sender uses opportunistic TLS.`));
  }
  if (tlsa.dnssec === 'bogus') {
    return only(outcome('bogus', `DNSSEC validation of the TLSA answer for ${tlsa.name} failed (bogus): a DANE sender defers mail to ${host} (RFC 7672 §2.1.1).`));
  }
  if (tlsa.error !== null || tlsa.dnssec === 'indeterminate') {
    return only(outcome('indeterminate', `The TLSA look-up for ${tlsa.name} gave no usable answer (${tlsa.error ?? 'DNSSEC state indeterminate'}): a DANE sender defers the mail; the DANE state of ${where} is unknown.`));
  }
  if (tlsa.dnssec === 'insecure') {
    return only(outcome('insecure', `The TLSA answer for ${tlsa.name} is not DNSSEC-signed (insecure): DANE does not apply (RFC 7672 §2.2); a DANE sender uses opportunistic TLS.`));
  }
  if (tlsa.records.length === 0) {
    return only(outcome('none', `${tlsa.name} has no TLSA records (a DNSSEC-secure denial): DANE does not apply to ${host}.`));
  }
  const records = consultedRecords(tlsa.records);
  if (records.length === 0) {
    return only(outcome('unusable', `${host} publishes ${tlsa.records.length} TLSA record(s), none usable for SMTP: a DANE sender requires TLS at ${where} but does not authenticate the server (RFC 7672 §2.2).`));
  }
  if (input.chain === 'unreached') {
    return only(outcome('indeterminate', `${where} was not reached: whether its certificate matches the TLSA records of ${host} is unknown.`));
  }
  if (input.chain === 'no-tls' || input.chain.length === 0) {
    const message = `${host} publishes usable TLSA records, but ${where} made no TLS session: a DANE sender requires one and does not deliver there (RFC 7672 §2.2).`;
    return { outcome: outcome('invalid', message), problems: [problem('DANE_NO_MATCH', message, at)] };
  }
  const chain = input.chain;
  const subjects = chain.map((c) => tlsaSubject(c.pem));
  const leaf = subjects[0] ?? null;

  // DANE-EE(3): the leaf only; no name or date checks (RFC 7672 §3.1.1; Postfix sets DANE_FLAG_NO_DANE_EE_NAMECHECKS).
  const eeRecords = records.filter((r) => r.usage === 3);
  const ee = leaf === null ? undefined : eeRecords.find((r) => recordMatches(r, leaf));
  if (ee !== undefined) {
    const what = ee.selector === 1 ? 'public key' : 'certificate';
    return only(outcome('valid', `The ${what} of ${where} matches TLSA ${tlsaText(ee)} (DANE-EE: the server's own ${what}; names and dates are not checked, RFC 7672 §3.1.1).`, { ...ee, chainIndex: 0, bareKey: false }));
  }

  // DANE-TA(2): an issuer of the leaf the server sent, then the path and the name (RFC 7672 §3.1.2).
  const taRecords = records.filter((r) => r.usage === 2);
  const path = issuerPath(chain, subjects, now.getTime());
  const anchor = findTrustAnchor(taRecords, path, subjects);
  if (anchor === null) {
    const parts: string[] = [];
    if (eeRecords.length > 0) parts.push(`no DANE-EE record matches the leaf`);
    if (taRecords.length > 0) {
      const strays = taRecords.flatMap((r) =>
        subjects.flatMap((s, index) => {
          if (s === null || !recordMatches(r, s)) return [];
          const c = chain[index] as CertificateInfo;
          if (index === 0) return [`TLSA ${tlsaText(r)} matches the leaf itself, which DANE-TA does not accept (publish it as usage 3)`];
          return [`TLSA ${tlsaText(r)} matches ${describeCert(c, index)}, which is not an issuer of the leaf`];
        }),
      );
      parts.push(strays.length > 0 ? strays.join('; ') : 'no DANE-TA record matches a certificate the server sent (the trust anchor must be in its chain, or be a bare 2 1 0 key)');
    }
    const message = `None of the ${records.length} usable TLSA record(s) of ${host} authenticates ${where}: ${parts.join('; ')}. A DANE sender does not deliver.`;
    return { outcome: outcome('invalid', message), problems: [problem('DANE_NO_MATCH', message, at)] };
  }

  const anchorIndex = path[anchor.depth] as number;
  const anchorText = anchor.bareKey
    ? `the bare key of TLSA ${tlsaText(anchor.record)}, which signed ${describeCert(chain[anchorIndex] as CertificateInfo, anchorIndex)}`
    : `TLSA ${tlsaText(anchor.record)}, which matches ${describeCert(chain[anchorIndex] as CertificateInfo, anchorIndex)}`;
  const problems: Problem[] = [];
  const failures = verifyDaneTaPath(chain, subjects, path, anchor, now);
  const timeFailures = failures.filter((f) => TIME_CHECKS.has(f.check));
  const otherFailures = failures.filter((f) => !TIME_CHECKS.has(f.check));
  const failureText = (f: PathFailure) => {
    const index = path[f.depth] as number;
    const c = chain[index] as CertificateInfo;
    const who = index === 0 ? 'the leaf' : describeCert(c, index);
    const dates = f.check.endsWith('expired') ? ` on ${day(c.notAfter)}` : f.check.endsWith('not-yet-valid') ? ` until ${day(c.notBefore)}` : '';
    return `${who} ${CHECK_WORDS[f.check]}${dates}`;
  };
  if (timeFailures.length > 0) {
    problems.push(problem('DANE_TA_EXPIRED', `Under DANE-TA (${anchorText}) the chain of ${where} is out of date: ${timeFailures.map(failureText).join('; ')}. A DANE sender does not deliver (DANE-TA checks dates; DANE-EE would not).`, at));
  }
  if (otherFailures.length > 0) {
    problems.push(problem('DANE_TA_CHAIN_INVALID', `Under DANE-TA (${anchorText}) the chain of ${where} does not verify: ${otherFailures.map(failureText).join('; ')}. A DANE sender does not deliver.`, at));
  }
  const leafInfo = chain[0] as CertificateInfo;
  const names = input.referenceNames.map((n) => ({ n, m: matchHostName(n, leafInfo.san, leafInfo.commonNames) }));
  const named = names.find((x) => x.m.match);
  if (named === undefined) {
    problems.push(problem('DANE_TA_NAME_MISMATCH', `Under DANE-TA (${anchorText}) the certificate of ${where} names none of ${input.referenceNames.join(', ') || '(no name)'} (it names ${[...leafInfo.san, ...leafInfo.commonNames.map((cn) => `CN=${cn}`)].join(', ') || 'nothing'}): a DANE sender does not deliver (RFC 7672 §3.2.2).`, at));
  }
  if (problems.length > 0) {
    return { outcome: outcome('invalid', problems.map((p) => p.message).join(' ')), problems };
  }
  const matched: TlsaMatch = { ...anchor.record, chainIndex: anchorIndex, bareKey: anchor.bareKey };
  return only(outcome('valid', `The chain of ${where} leads to ${anchorText} (DANE-TA); it verifies at ${now.toISOString().slice(0, 10)} and the leaf names ${named?.m.matchedName ?? named?.n} (RFC 7672 §3.1.2).`, matched));
}

const UNUSABLE_CODE: Record<TlsaUnusableReason, 'DANE_UNUSABLE_USAGE' | 'DANE_UNUSABLE_RECORD'> = {
  'pkix-usage': 'DANE_UNUSABLE_USAGE',
  'unknown-usage': 'DANE_UNUSABLE_USAGE',
  'unknown-selector': 'DANE_UNUSABLE_RECORD',
  'unknown-matching-type': 'DANE_UNUSABLE_RECORD',
  'bad-data': 'DANE_UNUSABLE_RECORD',
};

/** At most this many records are named in one problem message. */
const LISTED = 5;

/**
 * The problems of one MX host's TLSA RRset (scope `host`), where DANE applies (`hostSecure`):
 * DNSSEC_BOGUS for a TLSA answer that failed validation; DANE_UNUSABLE_USAGE for records of a
 * usage SMTP does not use (PKIX-TA, PKIX-EE, undefined); DANE_UNUSABLE_RECORD for records of
 * an undefined selector or matching type, or with data that cannot be what its type says. A
 * record that is not DNSSEC-secure is nobody's concern (a sender does not use it).
 *
 * @example judgeTlsaSet('mx.example.com', { name: '_25._tcp.mx.example.com', baseDomain: 'mx.example.com', cnames: [], records: [{ usage: 1, selector: 1, matchingType: 1, data }], dnssec: 'secure', error: null }, true) // [DANE_UNUSABLE_USAGE]
 */
export function judgeTlsaSet(host: string, tlsa: TlsaFacts, hostSecure: boolean): Problem[] {
  if (!hostSecure) return [];
  const at = { scope: 'host', host } as const;
  if (tlsa.dnssec === 'bogus') {
    return [problem('DNSSEC_BOGUS', `DNSSEC validation of the TLSA answer for ${tlsa.name} failed (bogus${tlsa.error !== null ? `: ${tlsa.error}` : ''}): a DANE sender defers all mail to ${host} until it is fixed (RFC 7672 §2.1.1).`, at)];
  }
  if (tlsa.dnssec !== 'secure' || tlsa.error !== null) return [];
  const byCode = new Map<'DANE_UNUSABLE_USAGE' | 'DANE_UNUSABLE_RECORD', string[]>();
  for (const record of tlsa.records) {
    const usability = tlsaUsability(record);
    if (usability.usable) continue;
    const code = UNUSABLE_CODE[usability.reason];
    byCode.set(code, [...(byCode.get(code) ?? []), `TLSA ${tlsaText(record)}: ${usability.detail}`]);
  }
  const usable = consultedRecords(tlsa.records).length;
  const consequence = usable > 0 ? `the other ${usable} usable record(s) decide` : 'no usable record is left, so a DANE sender requires TLS but authenticates nothing';
  return [...byCode].map(([code, lines]) => {
    const listed = lines.slice(0, LISTED).join('; ') + (lines.length > LISTED ? `; and ${lines.length - LISTED} more` : '');
    return problem(code, `${tlsa.name} publishes ${lines.length} TLSA record(s) a DANE sender ignores (${listed}); ${consequence}.`, at);
  });
}
