/**
 * How a domain enforces mail TLS, in short words for every output: its DANE state over its
 * addresses (RFC 7672), its MTA-STS mode and MX match (RFC 8461), where TLS reports go
 * (RFC 8460) and the DNSSEC state of its MX answer. One summary shared by the text report,
 * CSV, JUnit and the batch rows, so that they cannot tell different stories. Pure; every
 * string that came from DNS or HTTP passes through sanitize().
 */
import type { AddressResult } from '../model/address.js';
import type { DaneStatus } from '../model/dane.js';
import type { DnssecState } from '../model/dns.js';
import type { DomainResult, MxHostFacts } from '../model/domain.js';
import { allProblems } from '../judge/all-problems.js';
import { sanitize } from './sanitize.js';

/** A host name or URI shown in a summary is cut here (the problems list names it in full). */
const NAME_MAX = 100;
/** At most this many hosts are named in one part of a line; the rest is counted. */
const NAMES_SHOWN = 3;

type Result = Pick<DomainResult, 'domain' | 'mx' | 'dns' | 'problems' | 'policies' | 'mtaSts' | 'tlsRpt' | 'dnssec'>;

const sameName = (a: string, b: string) => a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');

function hostsByPreference(result: Pick<DomainResult, 'mx'>): MxHostFacts<AddressResult>[] {
  return [...result.mx].sort((a, b) => a.preference - b.preference);
}

/** Up to NAMES_SHOWN names, sanitised, and "and N more". */
function names(list: readonly string[]): string {
  const distinct = [...new Set(list)];
  const shown = distinct.slice(0, NAMES_SHOWN).map((n) => sanitize(n, NAME_MAX));
  return distinct.length > NAMES_SHOWN ? `${shown.join(', ')} and ${distinct.length - NAMES_SHOWN} more` : shown.join(', ');
}

/**
 * The DNSSEC state of the domain's MX answer (RFC 4035 §4.3), or null when it is not known
 * (the resolver was not checked or does not validate, or no MX query was asked: --server).
 *
 * @example domainDnssec(result) // 'secure'
 */
export function domainDnssec(result: Pick<DomainResult, 'domain' | 'dns'>): DnssecState | null {
  return result.dns.find((q) => q.type === 'MX' && sameName(q.name, result.domain))?.dnssec ?? null;
}

/**
 * The distinct DANE statuses of the domain's addresses, in MX preference then address order
 * (first seen first); [] when no address has a DANE outcome (not judged).
 *
 * @example daneStatuses(result) // ['valid', 'invalid']
 */
export function daneStatuses(result: Pick<DomainResult, 'mx'>): DaneStatus[] {
  const statuses = hostsByPreference(result).flatMap((h) => h.addresses.flatMap((a) => (a.dane === undefined ? [] : [a.dane.status])));
  return [...new Set(statuses)];
}

/** The DANE line when the run's resolver does not validate DNSSEC (DNSSEC_NOT_VALIDATED). */
const NOT_VALIDATED = 'not checked: the DNS resolver does not validate DNSSEC (use a validating one, e.g. --resolver)';

/** What each DANE status means for the domain, as the summary says it (RFC 7672). */
const DANE_WORDS: Record<DaneStatus, string> = {
  valid: 'valid',
  invalid: 'invalid (no TLSA record matches the certificate: DANE senders do not deliver)',
  unusable: 'no usable TLSA record (DANE senders require TLS but authenticate nothing)',
  insecure: 'DNSSEC insecure: DANE does not apply',
  bogus: 'DNSSEC bogus: DANE senders defer the mail',
  none: 'not published',
  indeterminate: 'TLSA look-up failed: cannot tell',
};

/** The same, short, for one part of a line whose addresses differ. */
const DANE_SHORT: Record<DaneStatus, string> = {
  valid: 'valid',
  invalid: 'invalid',
  unusable: 'no usable record',
  insecure: 'DNSSEC insecure',
  bogus: 'DNSSEC bogus',
  none: 'not published',
  indeterminate: 'cannot tell',
};

/** The order of the parts of a mixed line: what works, then what a DANE sender refuses, then what does not apply. */
const DANE_ORDER: readonly DaneStatus[] = ['valid', 'invalid', 'bogus', 'indeterminate', 'unusable', 'none', 'insecure'];

/** Why an address a DANE record authenticates is not PKIX-verified, in a word. */
function pkixShortfall(a: AddressResult): string {
  const cert = a.certificate;
  if (cert === null) return 'no certificate';
  const codes = new Set(a.problems.map((p) => p.code));
  if (!cert.trusted) {
    if (codes.has('CERT_SELF_SIGNED')) return 'self-signed';
    if (codes.has('CERT_EXPIRED')) return 'expired';
    if (codes.has('CERT_CHAIN_INCOMPLETE')) return 'incomplete chain';
    return 'not trusted';
  }
  if (!cert.nameMatch) return 'name mismatch';
  return 'not verified';
}

/**
 * The domain satisfies the DANE sender's policy: the `dane` row of the sender-policy table
 * says so; without that row (a result of a judge without it), every address is DANE-valid.
 */
function satisfiesDane(result: Result, judged: readonly AddressResult[]): boolean {
  const row = result.policies.find((p) => p.id === ('dane' as string));
  if (row !== undefined) return row.satisfied === true;
  return judged.length > 0 && judged.every((a) => a.dane?.status === 'valid');
}

/**
 * The DANE summary of a domain: the main line ("valid on 2/2 addresses (3 1 1), rollover-safe")
 * and, when the domain satisfies the DANE sender with certificates PKIX does not trust, a
 * note that says so. Null when nothing about DANE was gathered (no TLSA facts, no outcome).
 *
 * @example daneSummary(result)?.line // 'valid on 2/2 addresses (3 1 1), rollover-safe'
 */
export function daneSummary(result: Result): { line: string; pkixNote: string | null } | null {
  // Behind a resolver that does not validate, no answer can be told secure: say that once, not "cannot tell" per address.
  if (result.dnssec?.validating === false) return { line: NOT_VALIDATED, pkixNote: null };
  const hosts = hostsByPreference(result);
  const judged = hosts.flatMap((h) => h.addresses.filter((a) => a.dane !== undefined));
  if (judged.length === 0) {
    const tlsa = hosts.flatMap((h) => (h.tlsa === undefined ? [] : [h.tlsa]));
    if (tlsa.length === 0) return null;
    // TLSA looked up, no address judged (none reachable): what DNS said.
    if (tlsa.some((t) => t.dnssec === 'bogus')) return { line: DANE_WORDS.bogus, pkixNote: null };
    if (tlsa.some((t) => t.dnssec === 'indeterminate')) return { line: DANE_WORDS.indeterminate, pkixNote: null };
    if (tlsa.every((t) => t.dnssec === 'secure' && t.records.length === 0)) return { line: DANE_WORDS.none, pkixNote: null };
    if (tlsa.every((t) => t.dnssec === 'insecure')) return { line: DANE_WORDS.insecure, pkixNote: null };
    return { line: 'TLSA published, no address checked', pkixNote: null };
  }
  const total = judged.length;
  const parts: string[] = [];
  for (const status of DANE_ORDER) {
    const these = judged.filter((a) => a.dane?.status === status);
    if (these.length === 0) continue;
    if (these.length === total) {
      // One story for every address.
      parts.push(status === 'valid' ? `valid on ${total}/${total} address${total === 1 ? '' : 'es'}` : DANE_WORDS[status]);
    } else {
      const where = status === 'valid' ? '' : ` (${names(these.map((a) => a.host))})`;
      parts.push(`${DANE_SHORT[status]} on ${these.length}/${total}${status === 'valid' ? ' addresses' : ''}${where}`);
    }
    if (status === 'valid') {
      const records = [...new Set(these.flatMap((a) => (a.dane?.matched == null ? [] : [`${a.dane.matched.usage} ${a.dane.matched.selector} ${a.dane.matched.matchingType}`])))];
      if (records.length > 0) parts[parts.length - 1] += ` (${records.join(', ')})`;
    }
  }
  const rollovers = hosts.flatMap((h) => (h.rollover === undefined ? [] : [{ host: h.host, safe: h.rollover.safe }]));
  let line = parts.join('; ');
  if (rollovers.length > 0) {
    const unsafe = rollovers.filter((r) => !r.safe);
    line += unsafe.length === 0 ? ', rollover-safe' : `; not rollover-safe: ${names(unsafe.map((r) => r.host))}`;
  }
  // RFC 7672 §8.1: where the TLSA base domain is not the MX host name, DANE was judged on a handshake with that SNI.
  const snis = judged.flatMap((a) => (a.daneHandshake === undefined ? [] : [`${a.host} → ${a.daneHandshake.sni}`]));
  if (snis.length > 0) line += `; checked with a DANE sender's SNI, the TLSA base domain (${names(snis)})`;
  // The point: DANE authenticates a certificate PKIX does not trust; say so in words.
  let pkixNote: string | null = null;
  if (satisfiesDane(result, judged)) {
    const unverified = judged.filter((a) => a.dane?.status === 'valid' && a.level !== 'verify');
    if (unverified.length > 0) {
      const why = [...new Set(unverified.map(pkixShortfall))].join(', ');
      pkixNote =
        `DANE authenticates ${names(unverified.map((a) => a.host))} although PKIX does not verify ${unverified.length === 1 ? 'its certificate' : 'their certificates'} (${why}): ` +
        'DANE senders deliver, senders that verify by PKIX do not.';
    }
  }
  return { line, pkixNote };
}

/**
 * The MTA-STS mode a sender applies to the domain (judge/mta-sts.ts, the one definition): the
 * policy's mode, `none` without a usable policy (RFC 8461 §5), null when it cannot be told or
 * nothing was gathered.
 *
 * @example mtaStsMode(result) // 'enforce'
 */
export function mtaStsMode(result: Pick<DomainResult, 'mx' | 'mtaSts'>): 'enforce' | 'testing' | 'none' | null {
  return result.mtaSts?.mode ?? null;
}

/** The MTA-STS part of the line: mode, id, MX match (or why there is no policy). */
function mtaStsPart(result: Result): string | null {
  const facts = result.mtaSts;
  if (facts === undefined) return null;
  if (facts.txt === null) return 'look-up failed: cannot tell';
  if (facts.record === null) return 'not published';
  // The judge's verdict, as judgeDomain put it on the result: its mode, MX match and problems.
  const verdict = facts;
  const codes = new Set(allProblems(result).map((p) => p.code));
  if (codes.has('MTA_STS_RECORD_INVALID')) return 'record invalid: senders ignore MTA-STS';
  if (codes.has('MTA_STS_POLICY_UNREACHABLE')) return `policy unreachable (${sanitize(facts.fetch?.failure?.kind ?? 'fetch failed', 40)}): senders ignore MTA-STS`;
  if (codes.has('MTA_STS_POLICY_INVALID')) return 'policy invalid: senders ignore MTA-STS';
  const policy = facts.policy;
  if (verdict.mode === null || policy === null) return facts.fetch?.failure?.kind === 'aborted' ? 'policy fetch stopped: cannot tell' : 'cannot tell';
  const id = facts.id !== null ? `, id ${sanitize(facts.id, 40)}` : '';
  const head = `${verdict.mode}${id}`;
  if (verdict.mode === 'none') return `${head} (policy withdrawn: senders ignore MTA-STS)`;
  const unlisted = verdict.mxMatch.filter((m) => m.pattern === null).map((m) => m.host);
  const listed = verdict.mxMatch.length - unlisted.length;
  // The judge's PKIX verdict per host, as it reported it (the result's problems).
  const unverified = allProblems(result).filter((p) => p.code === 'MTA_STS_MX_NOT_VERIFIED' && p.host !== undefined).map((p) => p.host as string);
  const match =
    verdict.mxMatch.length === 0
      ? 'no MX host to match'
      : unlisted.length === 0
        ? `every MX host listed (${names(policy.mx)})`
        : `${listed}/${verdict.mxMatch.length} MX hosts listed, not ${names(unlisted)}`;
  const notVerified = unverified.length > 0 ? `; certificate not verified: ${names(unverified)}` : '';
  return `${head}, ${match}${notVerified}`;
}

/** The TLS-RPT part: where reports go, or why none do. */
function tlsRptPart(result: Result): string | null {
  const facts = result.tlsRpt;
  if (facts === undefined) return null;
  if (facts.txt === null) return 'TLS-RPT look-up failed';
  if (facts.record === null) return 'no TLS-RPT record';
  if (facts.error !== null || facts.rua.length === 0) return 'TLS-RPT record invalid';
  return `TLS reports to ${facts.rua.map((u) => sanitize(u, NAME_MAX)).join(', ')}`;
}

/**
 * The MTA-STS line of a domain: mode, id, MX match, then where TLS reports go. Null when
 * neither MTA-STS nor TLS-RPT was gathered.
 *
 * @example mtaStsSummary(result) // 'enforce, id 20240101, every MX host listed (*.example.com); TLS reports to mailto:tlsrpt@example.com'
 */
export function mtaStsSummary(result: Result): string | null {
  const sts = mtaStsPart(result);
  const rpt = tlsRptPart(result);
  if (sts === null && rpt === null) return null;
  return [sts ?? 'not checked', rpt].filter((x) => x !== null).join('; ');
}

/**
 * The `tls_rpt` CSV value and JUnit word: the `rua` URIs, sanitised, separated by a space
 * (a URI holds none); empty when none.
 *
 * @example tlsRptTargets(result) // 'mailto:tlsrpt@example.com https://report.example.com/v1'
 */
export function tlsRptTargets(result: Pick<DomainResult, 'tlsRpt'>): string {
  const facts = result.tlsRpt;
  if (facts === undefined || facts.error !== null) return '';
  return facts.rua.map((u) => sanitize(u, NAME_MAX * 10)).join(' ');
}
