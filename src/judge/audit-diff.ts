/**
 * What changed between two audits (`mxprobe diff OLD NEW`): each saved result is reduced to a
 * small digest (diffDigest: its verdict, its problems by code and place, per MX host its
 * addresses, leaf fingerprints and soonest expiry), the digests of both audits are matched by
 * key (the domain, or a carried input column such as an id: `--key`), and the differences are
 * listed, regressions first: a row that passed and does not (`regression`), then what got worse
 * (level down, a problem appeared, a certificate now inside the warning window), what changed
 * (domains added or removed, a certificate replaced, MX hosts or addresses), what got better.
 * Pure: the digests hold no time; "inside --warn-days" reads the days left as NEW judged them.
 */
import type { DomainResult } from '../model/domain.js';
import type { Level } from '../model/levels.js';
import { levelRank } from '../model/levels.js';
import type { Problem } from '../model/problem.js';
import { allProblems } from './all-problems.js';

/**
 * The schema version of the diff's JSON (`"format": "mxprobe-diff"`); it changes only for an
 * incompatible change (README "mxprobe diff").
 *
 * @example JSON.parse(stdout).schemaVersion === DIFF_SCHEMA_VERSION
 */
export const DIFF_SCHEMA_VERSION = 1;

/** A problem as the diff knows it: its code and where it is (its identity), with its words. */
interface DigestProblem {
  code: string;
  severity: Problem['severity'];
  scope: Problem['scope'];
  host?: string;
  ip?: string;
  message: string;
}

/** One MX host of a digest. */
interface DigestHost {
  ips: string[];
  /** Leaf fingerprints (SHA-256) of the certificates its addresses presented, sorted, distinct. */
  leaves: string[];
  /** The soonest expiry over its addresses' leaves, with the days left as judged; null without a certificate. */
  expiry: { notAfter: string; daysLeft: number } | null;
}

/**
 * One row of an audit, reduced to what the diff compares.
 *
 * @example const digest: DiffDigest = diffDigest(result, 'domain');
 */
export interface DiffDigest {
  /** What rows are matched by: the domain, or the value of the `--key` column. */
  key: string;
  domain: string;
  pass: boolean | null;
  level: Level | null;
  /** Every problem by identity (code and place); CERT_EXPIRES_SOON left out (the diff's own --warn-days says it). */
  problems: Map<string, DigestProblem>;
  hosts: Map<string, DigestHost>;
}

/**
 * How rows are matched: by domain, or by a carried input column (`--key partner_id`).
 *
 * @example const key: DiffKey = { column: 'partner_id' };
 */
export type DiffKey = 'domain' | { column: string };

const problemId = (p: Pick<Problem, 'code' | 'scope' | 'host' | 'ip'>) => [p.code, p.scope, p.host ?? '', p.ip ?? ''].join('\u0000');

/**
 * A saved result reduced to what the diff compares; null when `key` names a column the row
 * does not carry.
 *
 * @example diffDigest(result, { column: 'id' })?.key // the row's id cell
 */
export function diffDigest(result: DomainResult, key: DiffKey): DiffDigest | null {
  const keyValue = key === 'domain' ? result.domain : result.source?.columns[key.column];
  if (keyValue === undefined) return null;
  const problems = new Map<string, DigestProblem>();
  for (const p of allProblems(result)) {
    if (p.code === 'CERT_EXPIRES_SOON') continue;
    problems.set(problemId(p), {
      code: p.code,
      severity: p.severity,
      scope: p.scope,
      ...(p.host !== undefined ? { host: p.host } : {}),
      ...(p.ip !== undefined ? { ip: p.ip } : {}),
      message: p.message,
    });
  }
  const hosts = new Map<string, DigestHost>();
  for (const host of result.mx) {
    const leaves = new Set<string>();
    let expiry: DigestHost['expiry'] = null;
    for (const a of host.addresses) {
      const leaf = a.certificate?.chain[0];
      if (a.certificate === null || leaf === undefined) continue;
      leaves.add(leaf.fingerprint256);
      if (expiry === null || a.certificate.daysLeft < expiry.daysLeft) expiry = { notAfter: leaf.notAfter, daysLeft: a.certificate.daysLeft };
    }
    const entry = hosts.get(host.host);
    const ips = host.addresses.map((a) => a.ip).concat(entry?.ips ?? []);
    hosts.set(host.host, { ips: [...new Set(ips)].sort(), leaves: [...leaves].sort(), expiry });
  }
  return { key: keyValue, domain: result.domain, pass: result.pass, level: result.level, problems, hosts };
}

/**
 * Where a change belongs, in the order shown: `regression` (passed in OLD, not in NEW), `worse`,
 * `changed`, `better`.
 *
 * @example const first: DiffGroup = 'regression';
 */
export type DiffGroup = 'regression' | 'worse' | 'changed' | 'better';

/**
 * One difference between the audits. Every change names its row (`key`, `domain`); the other
 * fields depend on `kind` (README "mxprobe diff").
 *
 * @example const line = (c: DiffChange) => `${c.group} ${c.kind} ${c.domain}`;
 */
export type DiffChange = { group: DiffGroup; key: string; domain: string } & (
  | { kind: 'added' | 'removed'; pass: boolean | null; level: Level | null }
  | { kind: 'pass'; old: boolean | null; new: boolean | null }
  /** Matched by a column (--key): the row's domain changed. */
  | { kind: 'domain'; old: string; new: string }
  | { kind: 'level'; old: Level | null; new: Level | null }
  | ({ kind: 'problem-appeared' | 'problem-gone' } & DigestProblem)
  | { kind: 'certificate-replaced'; host: string; old: string[]; new: string[]; notAfter: string | null }
  | { kind: 'expires-soon'; host: string; notAfter: string; daysLeft: number }
  | { kind: 'mx-added' | 'mx-removed'; host: string }
  | { kind: 'address-added' | 'address-removed'; host: string; ip: string }
);

/**
 * The diff of two audits: every change, regressions first, and the counts.
 *
 * @example const diff: AuditDiff = diffAudits(oldDigests, newDigests, { warnDays: 30 }); diff.counts.regression
 */
export interface AuditDiff {
  /** Rows matched in OLD and in NEW. */
  rows: { old: number; new: number };
  changes: DiffChange[];
  counts: Record<DiffGroup, number> & { added: number; removed: number };
}

const GROUP_ORDER: DiffGroup[] = ['regression', 'worse', 'changed', 'better'];
const KIND_ORDER: DiffChange['kind'][] = [
  'pass',
  'level',
  'removed',
  'added',
  'domain',
  'problem-appeared',
  'expires-soon',
  'problem-gone',
  'certificate-replaced',
  'mx-removed',
  'mx-added',
  'address-removed',
  'address-added',
];

/** Levels ranked, undetermined lowest: a level that can no longer be told is worse. */
const rank = (level: Level | null) => (level === null ? -1 : levelRank(level));

function rowChanges(old: DiffDigest, now: DiffDigest, warnDays: number): DiffChange[] {
  const changes: DiffChange[] = [];
  const row = { key: now.key, domain: now.domain };
  if (old.pass !== now.pass) {
    // Lost: a regression. Gained: better. Failed, now undetermined: changed (not known to be better). Undetermined, now failed: worse.
    const group: DiffGroup = old.pass === true ? 'regression' : now.pass === true ? 'better' : now.pass === null ? 'changed' : 'worse';
    changes.push({ ...row, group, kind: 'pass', old: old.pass, new: now.pass });
  }
  if (old.domain !== now.domain) changes.push({ ...row, group: 'changed', kind: 'domain', old: old.domain, new: now.domain });
  if (old.level !== now.level) changes.push({ ...row, group: rank(now.level) < rank(old.level) ? 'worse' : 'better', kind: 'level', old: old.level, new: now.level });
  for (const [id, p] of now.problems) if (!old.problems.has(id)) changes.push({ ...row, group: p.severity === 'info' ? 'changed' : 'worse', kind: 'problem-appeared', ...p });
  for (const [id, p] of old.problems) if (!now.problems.has(id)) changes.push({ ...row, group: p.severity === 'info' ? 'changed' : 'better', kind: 'problem-gone', ...p });
  for (const [host, h] of now.hosts) {
    const before = old.hosts.get(host);
    if (before === undefined) {
      changes.push({ ...row, group: 'changed', kind: 'mx-added', host });
    } else {
      for (const ip of h.ips) if (!before.ips.includes(ip)) changes.push({ ...row, group: 'changed', kind: 'address-added', host, ip });
      for (const ip of before.ips) if (!h.ips.includes(ip)) changes.push({ ...row, group: 'changed', kind: 'address-removed', host, ip });
      if (before.leaves.length > 0 && h.leaves.length > 0 && before.leaves.join() !== h.leaves.join()) {
        changes.push({ ...row, group: 'changed', kind: 'certificate-replaced', host, old: before.leaves, new: h.leaves, notAfter: h.expiry?.notAfter ?? null });
      }
    }
    // Inside the warning window now, and was not (or the host is new).
    const inside = (e: DigestHost['expiry'] | undefined) => e !== null && e !== undefined && e.daysLeft < warnDays;
    // An expired leaf whose CERT_EXPIRED appeared at the host is said once, by the problem.
    const saidExpired = h.expiry !== null && h.expiry.daysLeft < 0 && changes.some((c) => c.kind === 'problem-appeared' && c.code === 'CERT_EXPIRED' && c.host === host);
    if (h.expiry !== null && inside(h.expiry) && !inside(before?.expiry) && !saidExpired) {
      changes.push({ ...row, group: 'worse', kind: 'expires-soon', host, notAfter: h.expiry.notAfter, daysLeft: h.expiry.daysLeft });
    }
  }
  for (const host of old.hosts.keys()) if (!now.hosts.has(host)) changes.push({ ...row, group: 'changed', kind: 'mx-removed', host });
  return changes;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Compares two audits given as digests with unique keys (see the module comment).
 * `warnDays`: a certificate with fewer days left (as NEW judged them) is inside the window.
 *
 * @example diffAudits(jan.map((r) => diffDigest(r, 'domain')!), feb.map((r) => diffDigest(r, 'domain')!), { warnDays: 30 }).changes
 */
export function diffAudits(old: Iterable<DiffDigest>, now: Iterable<DiffDigest>, options: { warnDays: number }): AuditDiff {
  const before = new Map<string, DiffDigest>();
  for (const d of old) before.set(d.key, d);
  const changes: DiffChange[] = [];
  const seen = new Set<string>();
  for (const d of now) {
    seen.add(d.key);
    const o = before.get(d.key);
    if (o === undefined) changes.push({ group: 'changed', kind: 'added', key: d.key, domain: d.domain, pass: d.pass, level: d.level });
    else changes.push(...rowChanges(o, d, options.warnDays));
  }
  for (const [key, o] of before) if (!seen.has(key)) changes.push({ group: 'changed', kind: 'removed', key, domain: o.domain, pass: o.pass, level: o.level });
  changes.sort((a, b) => GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group) || compare(a.key, b.key) || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  const counts = { regression: 0, worse: 0, changed: 0, better: 0, added: 0, removed: 0 };
  for (const c of changes) {
    counts[c.group] += 1;
    if (c.kind === 'added' || c.kind === 'removed') counts[c.kind] += 1;
  }
  return { rows: { old: before.size, new: seen.size }, changes, counts };
}
