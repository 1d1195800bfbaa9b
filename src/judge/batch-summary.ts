/**
 * The end-of-batch summary, accumulated as results stream past: counts by level and against
 * the requirement, the most frequent problems, and a renewal calendar of the certificates
 * that expire soonest. Pure and bounded: memory does not grow with the number of domains
 * (counters, one entry per problem code, at most `calendarCapacity` certificates).
 * Rows read back from an earlier output (`--resume`) are added as {@link RecordedRow}s:
 * what a CSV row keeps of a result.
 */
import type { DomainResult } from '../model/domain.js';
import type { ProblemCode, Severity } from '../model/problem.js';
import type { Level } from '../model/levels.js';
import { PROBLEMS } from './problem-catalogue.js';
import { allProblems } from './all-problems.js';
import { SENDER_POLICIES } from './sender-policies.js';
import type { PolicyLetter, SenderPolicyId } from '../model/policy.js';
import { TLS_PROTOCOLS } from '../model/tls-protocols.js';

export interface SummaryCounts {
  /**
   * By level; `unknown` is a valid domain whose level could not be established (level null,
   * pass null); `noMail` one that accepts no mail at all (NXDOMAIN, null MX, no mail host:
   * level null, pass false).
   */
  none: number;
  encrypt: number;
  verify: number;
  unknown: number;
  noMail: number;
  /** Against each row's required level; pass + fail + undetermined = total. */
  pass: number;
  /** Includes every invalid input row. */
  fail: number;
  undetermined: number;
  /** Input rows that were not a domain (outcome 'invalid-input'): not in any level count, counted in `fail`. */
  invalid: number;
  /** Domains that satisfy each sender policy (judge/sender-policies.ts), whatever they were required to. */
  satisfied: Record<SenderPolicyId, number>;
}

/** What the summary needs of one row: all a CSV row keeps of its result (see {@link recordOf}). */
export interface RecordedRow {
  /** What became of the row: judged with a level or not, no mail accepted, or not a domain. */
  kind: 'judged' | 'no-mail' | 'invalid';
  level: Level | null;
  pass: boolean | null;
  /** Distinct problem codes. */
  codes: readonly ProblemCode[];
  /** The sender policies the domain satisfies (CSV column `satisfied`). */
  satisfied: readonly SenderPolicyId[];
}

/**
 * What became of a row, from its result's outcome: not a domain, a domain that accepts no
 * mail (NXDOMAIN, null MX, no mail host), or judged. Takes `unknown` because `--resume`
 * reads outcomes back from a file that may hold anything.
 *
 * @example rowKind('null-mx') // 'no-mail'
 */
export function rowKind(outcome: unknown): RecordedRow['kind'] {
  if (outcome === 'invalid-input') return 'invalid';
  return outcome === 'nxdomain' || outcome === 'null-mx' || outcome === 'no-mail-host' ? 'no-mail' : 'judged';
}

/**
 * The summary's view of a result. The judge gives a level-less result `pass: false` exactly
 * when the domain accepts no mail (judge-domain.ts), so a CSV row's level and pass cells
 * say the same as the outcome.
 *
 * @example recordOf(result) // { kind: 'no-mail', level: null, pass: false, codes: ['DNS_NXDOMAIN'], satisfied: [] }
 */
export function recordOf(result: Pick<DomainResult, 'outcome' | 'level' | 'pass' | 'problems' | 'mx' | 'policies'>): RecordedRow {
  return {
    kind: rowKind(result.outcome),
    level: result.level,
    pass: result.pass,
    codes: [...new Set(allProblems(result).map((p) => p.code))],
    satisfied: result.policies.filter((p) => p.satisfied === true).map((p) => p.id),
  };
}

/** @example const worst = (s: BatchSummary) => s.topProblems.map((p: ProblemCount) => `${p.code} ${p.count}`); // ['CERT_EXPIRED 12'] */
export interface ProblemCount {
  code: ProblemCode;
  severity: Severity;
  /** Domains that have this problem at least once (not addresses). */
  count: number;
}

/** One leaf certificate, as served by one MX host, with the domains that rely on it. @example const lapsing = (s: BatchSummary) => s.renewals.filter((r: RenewalEntry) => r.daysLeft < 14); */
export interface RenewalEntry {
  /** The first domain seen using it (an example; `domains` says how many). */
  domain: string;
  /** MX host name (A-label) that served it. */
  host: string;
  /** The first address it was seen on. */
  ip: string;
  /** SHA-256 fingerprint of the leaf (colon-separated hex). */
  fingerprint: string;
  /** ISO 8601. */
  notAfter: string;
  /** Whole days left at judging time (negative once expired). */
  daysLeft: number;
  /** How many domains use this certificate on this MX host. */
  domains: number;
}

/** How many domains satisfy one sender policy. @example const line = (p: PolicyCount) => `(${p.policy}) ${p.count}`; // '(d) 900' */
export interface PolicyCount {
  id: SenderPolicyId;
  /** The FAQs' letter. */
  policy: PolicyLetter;
  name: string;
  count: number;
}

/**
 * The TLS versions negotiated, by address: each reached address of each domain counts once
 * (an address serving several domains counts for each). `version` is a name of the protocol
 * table (model/tls-protocols.ts), `other` for a name not in it, `no TLS` for an address that
 * was reached (greeted) and gave no TLS session.
 *
 * @example const legacy = (s: BatchSummary) => (s.tlsVersions ?? []).filter((v: TlsVersionCount) => v.version === 'TLSv1' || v.version === 'TLSv1.1');
 */
export interface TlsVersionCount {
  version: TlsVersionSeen;
  count: number;
}

/** A row of {@link TlsVersionCount}: a closed list, so the counts stay bounded. @example const seen: TlsVersionSeen = 'no TLS'; */
export type TlsVersionSeen = (typeof TLS_PROTOCOLS)[number]['name'] | 'other' | 'no TLS';

/** The order the TLS version counts are listed in: newest first, then the others. */
const TLS_VERSIONS_SHOWN: readonly TlsVersionSeen[] = [...TLS_PROTOCOLS.map((p) => p.name).reverse(), 'other', 'no TLS'];

/**
 * The end-of-run summary ({@link SummaryAccumulator}.summary()): counts, top problems, the
 * renewal calendar, TLS versions; what the batch's summary text and the HTML report show.
 *
 * @example const failed = (s: BatchSummary) => `${s.fail} of ${s.total} failed`;
 */
export interface BatchSummary {
  total: number;
  byLevel: { none: number; encrypt: number; verify: number; unknown: number };
  /** Domains that accept no mail (NXDOMAIN, null MX, no mail host): failures, not in byLevel. */
  noMail: number;
  pass: number;
  fail: number;
  undetermined: number;
  invalid: number;
  /** Domains that satisfy each sender policy, a row per policy of the table (judge/sender-policies.ts). */
  satisfied: PolicyCount[];
  /** Most frequent first (count descending, then code). */
  topProblems: ProblemCount[];
  /** Soonest expiry first; one entry per (MX host, leaf fingerprint). */
  renewals: RenewalEntry[];
  /**
   * TLS versions seen over the results added with their facts (not over CSV rows read back
   * by `--resume`), newest first, only those seen; absent in summaries made before it existed.
   */
  tlsVersions?: TlsVersionCount[];
}

export interface SummaryOptions {
  /** Certificates kept for the renewal calendar (the soonest ones); default 20. */
  calendarCapacity?: number;
}

interface Tracked extends RenewalEntry {
  /** Parsed notAfter, for ordering. */
  time: number;
  key: string;
}

const DEFAULT_CALENDAR = 20;
const DEFAULT_TOP_PROBLEMS = 10;

/** Total order of the calendar: soonest first, ties broken by host then fingerprint. */
function earlier(a: { time: number; host: string; fingerprint: string }, b: { time: number; host: string; fingerprint: string }): boolean {
  if (a.time !== b.time) return a.time < b.time;
  if (a.host !== b.host) return a.host < b.host;
  return a.fingerprint < b.fingerprint;
}

/**
 * @example
 * const acc = new SummaryAccumulator();
 * for await (const result of results) acc.add(result);
 * const summary = acc.summary(); // summary.renewals[0] expires soonest
 */
export class SummaryAccumulator {
  private readonly c: SummaryCounts = {
    none: 0,
    encrypt: 0,
    verify: 0,
    unknown: 0,
    noMail: 0,
    pass: 0,
    fail: 0,
    undetermined: 0,
    invalid: 0,
    satisfied: Object.fromEntries(SENDER_POLICIES.map((p) => [p.id, 0])) as Record<SenderPolicyId, number>,
  };
  private n = 0;
  /** Domains per problem code: bounded by the closed list of codes. */
  private readonly problems = new Map<ProblemCode, { severity: Severity; count: number }>();
  /** Addresses per TLS version: bounded by the closed list {@link TlsVersionSeen}. */
  private readonly versions = new Map<TlsVersionSeen, number>();
  /**
   * The `capacity` soonest distinct certificates seen so far, by `${host}\n${fingerprint}`.
   * A certificate outside them is later than `capacity` others already seen; since the
   * cut-off only moves earlier as more arrive, it can never come back into the calendar, so
   * dropping it loses nothing and the kept entries' domain counts stay exact.
   */
  private readonly calendar = new Map<string, Tracked>();
  /** The latest kept entry (the one to evict), or null when not known (recomputed lazily). */
  private latest: Tracked | null = null;
  private readonly capacity: number;

  constructor(options: SummaryOptions = {}) {
    const capacity = options.calendarCapacity ?? DEFAULT_CALENDAR;
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`calendarCapacity must be a whole number ≥ 0, not ${capacity}`);
    this.capacity = capacity;
  }

  /** Results added so far. */
  get total(): number {
    return this.n;
  }

  /** A snapshot of the counters. */
  get counts(): Readonly<SummaryCounts> {
    return { ...this.c, satisfied: { ...this.c.satisfied } };
  }

  /** Certificates currently tracked for the calendar (at most `calendarCapacity`; for tests). */
  get trackedCertificates(): number {
    return this.calendar.size;
  }

  add(result: DomainResult): void {
    this.addRecorded(recordOf(result));
    this.addFacts(result);
  }

  /**
   * What only a result's facts tell (not a CSV row): its certificates for the renewal calendar
   * and its TLS versions. For a row read back whole (NDJSON, `--resume`), after addRecorded.
   */
  addFacts(result: Pick<DomainResult, 'domain' | 'mx'>): void {
    this.addCertificates(result);
    this.addTlsVersions(result);
  }

  /** Counts the TLS version of each reached address of a result. */
  private addTlsVersions(result: Pick<DomainResult, 'mx'>): void {
    for (const host of result.mx) {
      for (const address of host.addresses) {
        if (address.tls === null && address.banner === null) continue; // not reached
        const name = address.tls?.protocol;
        const version: TlsVersionSeen = name === undefined ? 'no TLS' : (TLS_PROTOCOLS.find((p) => p.name === name)?.name ?? 'other');
        this.versions.set(version, (this.versions.get(version) ?? 0) + 1);
      }
    }
  }

  /**
   * Counts a row known only by what a CSV row keeps (an earlier output read by `--resume`):
   * everything but the renewal calendar. Codes not in the catalogue are ignored.
   */
  addRecorded(row: RecordedRow): void {
    this.n += 1;
    const c = this.c;
    if (row.kind === 'invalid') {
      c.invalid += 1;
      c.fail += 1;
    } else {
      if (row.level !== null) c[row.level] += 1;
      else if (row.kind === 'no-mail') c.noMail += 1;
      else c.unknown += 1;
      if (row.pass === true) c.pass += 1;
      else if (row.pass === false || row.kind === 'no-mail') c.fail += 1;
      else c.undetermined += 1;
    }
    for (const id of new Set(row.satisfied)) if (Object.hasOwn(c.satisfied, id)) c.satisfied[id] += 1;

    const seen = new Set<ProblemCode>();
    for (const code of row.codes) {
      if (seen.has(code) || !Object.hasOwn(PROBLEMS, code)) continue;
      seen.add(code);
      const entry = this.problems.get(code);
      // The catalogue's severity: in one domain's result it is relative to that domain's requirement.
      if (entry === undefined) this.problems.set(code, { severity: PROBLEMS[code].severity, count: 1 });
      else entry.count += 1;
    }
  }

  /** Adds a result's leaf certificates to the renewal calendar (not to the counts). */
  addCertificates(result: Pick<DomainResult, 'domain' | 'mx'>): void {
    if (this.capacity === 0) return;
    const counted = new Set<string>(); // a domain counts once per certificate, however many addresses serve it
    for (const host of result.mx) {
      for (const address of host.addresses) {
        const cert = address.certificate;
        const leaf = cert?.chain[0];
        if (cert === null || cert === undefined || leaf === undefined) continue;
        const key = `${host.host}\n${leaf.fingerprint256}`;
        if (counted.has(key)) continue;
        counted.add(key);
        this.track(key, result.domain, host.host, address.ip, leaf.fingerprint256, leaf.notAfter, cert.daysLeft);
      }
    }
  }

  private track(key: string, domain: string, host: string, ip: string, fingerprint: string, notAfter: string, daysLeft: number): void {
    const known = this.calendar.get(key);
    if (known !== undefined) {
      known.domains += 1;
      return;
    }
    const parsed = Date.parse(notAfter);
    const candidate = { time: Number.isNaN(parsed) ? Number.POSITIVE_INFINITY : parsed, host, fingerprint };
    if (this.calendar.size >= this.capacity) {
      const latest = this.latestEntry();
      if (!earlier(candidate, latest)) return; // later than every kept one: never in the calendar
      this.calendar.delete(latest.key);
      this.latest = null;
    }
    const entry: Tracked = { ...candidate, key, domain, ip, notAfter, daysLeft, domains: 1 };
    this.calendar.set(key, entry);
    if (this.latest !== null && earlier(this.latest, entry)) this.latest = entry;
  }

  /** The latest kept certificate: a scan of at most `capacity` entries, only after an eviction. */
  private latestEntry(): Tracked {
    if (this.latest === null) {
      for (const entry of this.calendar.values()) if (this.latest === null || earlier(this.latest, entry)) this.latest = entry;
    }
    return this.latest as Tracked;
  }

  /**
   * @param topProblems how many problem codes to list (default 10)
   * @param calendarSize how many certificates to list (default and at most `calendarCapacity`)
   */
  summary(topProblems = DEFAULT_TOP_PROBLEMS, calendarSize = this.capacity): BatchSummary {
    const problems = [...this.problems.entries()]
      .map(([code, { severity, count }]): ProblemCount => ({ code, severity, count }))
      .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
      .slice(0, Math.max(0, topProblems));
    const renewals = [...this.calendar.values()]
      .sort((a, b) => (earlier(a, b) ? -1 : earlier(b, a) ? 1 : 0))
      .slice(0, Math.max(0, Math.min(calendarSize, this.capacity)))
      .map(({ domain, host, ip, fingerprint, notAfter, daysLeft, domains }): RenewalEntry => ({ domain, host, ip, fingerprint, notAfter, daysLeft, domains }));
    const c = this.c;
    return {
      total: this.n,
      byLevel: { none: c.none, encrypt: c.encrypt, verify: c.verify, unknown: c.unknown },
      noMail: c.noMail,
      pass: c.pass,
      fail: c.fail,
      undetermined: c.undetermined,
      invalid: c.invalid,
      satisfied: SENDER_POLICIES.map((p): PolicyCount => ({ id: p.id, policy: p.letter, name: p.name, count: c.satisfied[p.id] })),
      topProblems: problems,
      renewals,
      tlsVersions: TLS_VERSIONS_SHOWN.filter((v) => this.versions.has(v)).map((version): TlsVersionCount => ({ version, count: this.versions.get(version) ?? 0 })),
    };
  }
}
