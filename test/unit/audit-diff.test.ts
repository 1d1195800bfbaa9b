// The audit diff (judge/audit-diff.ts) over pairs of saved results built from judged facts, and
// its renderings (text, JSON, HTML): what changed, in which group, in which order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { diffAudits, diffDigest, type DiffChange, type DiffKey } from '../../src/judge/audit-diff.ts';
import type { DomainFacts, DomainResult } from '../../src/model/domain.ts';
import { renderDiffText } from '../../src/render/diff-text.ts';
import { renderDiffJson } from '../../src/render/diff-json.ts';
import { renderDiffHtml } from '../../src/render/diff-html.ts';
import { addressFacts, certFacts, certInfo, daysFromNow, domainFacts, intermediate, mxHost, NOW, plainAddress, requirement, root } from '../helpers/facts.ts';

const VERIFY = { required: requirement('verify'), warnDays: 30 };
const DAY = 86_400_000;

/** A judged result of `domain` with the given MX hosts (default: one verified address), and its input columns. */
function result(domain: string, mx?: DomainFacts['mx'], options: { columns?: Record<string, string>; now?: Date; facts?: Partial<DomainFacts> } = {}): DomainResult {
  const facts = domainFacts({ domain, input: domain, ...(mx !== undefined ? { mx } : {}), ...options.facts });
  return { ...judgeDomain(facts, VERIFY, options.now ?? NOW), source: { line: 2, columns: options.columns ?? {} } };
}
const leaf = (fingerprint: string, days = 60.5) => certFacts([certInfo({ fingerprint256: fingerprint, notAfter: daysFromNow(days) }), intermediate(), root()], null);
/** A certificate for every host of example.com. */
const wildcard = certFacts([certInfo({ san: ['DNS:*.example.com'] }), intermediate(), root()], null);
const host = (name: string, ...addresses: Parameters<typeof addressFacts>[0][]) => mxHost(name, 10, addresses.map((a) => addressFacts({ certificate: wildcard, ...a })));
const selfSigned = certFacts([certInfo({ fingerprint256: 'EE:EE', issuer: 'CN=mx.example.com', selfSigned: true, selfIssued: true })], 'DEPTH_ZERO_SELF_SIGNED_CERT');

/** A change as the table states it: group, kind and its particulars (key and domain left out where they are the row's). */
type Expected = Partial<DiffChange> & Pick<DiffChange, 'group' | 'kind'>;
const brief = (c: DiffChange): Record<string, unknown> => {
  const { key: _key, domain: _domain, message: _message, severity: _severity, ...rest } = c as DiffChange & { message?: string; severity?: string };
  return rest;
};

const CASES: Array<{ name: string; old: DomainResult[]; new: DomainResult[]; expected: Expected[]; warnDays?: number; key?: DiffKey }> = [
  { name: 'the same audit: no change', old: [result('a.example')], new: [result('a.example')], expected: [] },
  {
    name: 'a certificate replaced by a self-signed one: a regression, the level down, a new problem, the certificate replaced',
    old: [result('a.example', [host('mx.example.com', { certificate: leaf('AA:AA') })])],
    new: [result('a.example', [host('mx.example.com', { certificate: selfSigned })])],
    expected: [
      { group: 'regression', kind: 'pass', old: true, new: false },
      { group: 'worse', kind: 'level', old: 'verify', new: 'encrypt' },
      { group: 'worse', kind: 'problem-appeared', code: 'CERT_SELF_SIGNED', scope: 'address', host: 'mx.example.com', ip: '192.0.2.10' },
      { group: 'changed', kind: 'certificate-replaced', host: 'mx.example.com', old: ['AA:AA'], new: ['EE:EE'], notAfter: daysFromNow(60.5) },
    ],
  },
  {
    name: 'fixed: better, the problem gone',
    old: [result('a.example', [host('mx.example.com', { certificate: selfSigned })])],
    new: [result('a.example', [host('mx.example.com', { certificate: leaf('EE:EE') })])],
    expected: [
      { group: 'better', kind: 'pass', old: false, new: true },
      { group: 'better', kind: 'level', old: 'encrypt', new: 'verify' },
      { group: 'better', kind: 'problem-gone', code: 'CERT_SELF_SIGNED', scope: 'address', host: 'mx.example.com', ip: '192.0.2.10' },
    ],
  },
  {
    name: 'unreachable now: passed, now undetermined is a regression',
    old: [result('a.example')],
    new: [result('a.example', [host('mx.example.com', { connected: false, banner: null, ehlo: null, starttls: false, starttlsReply: null, tls: null, ehloTls: null, certificate: null, failure: { stage: 'connect', kind: 'timeout', message: 'timed out' } })])],
    expected: [
      { group: 'regression', kind: 'pass', old: true, new: null },
      { group: 'worse', kind: 'level', old: 'verify', new: null },
      { group: 'worse', kind: 'problem-appeared', code: 'TIMEOUT', scope: 'address', host: 'mx.example.com', ip: '192.0.2.10' },
    ],
  },
  {
    name: 'failed, now undetermined: changed, not better',
    old: [result('a.example', [mxHost('mx.example.com', 10, [plainAddress()])])],
    new: [result('a.example', [host('mx.example.com', { connected: false, banner: null, ehlo: null, starttls: false, starttlsReply: null, tls: null, ehloTls: null, certificate: null, failure: { stage: 'connect', kind: 'timeout', message: 'timed out' } })])],
    expected: [
      { group: 'worse', kind: 'level', old: 'none', new: null },
      { group: 'worse', kind: 'problem-appeared', code: 'TIMEOUT', scope: 'address', host: 'mx.example.com', ip: '192.0.2.10' },
      { group: 'changed', kind: 'pass', old: false, new: null },
      { group: 'better', kind: 'problem-gone', code: 'STARTTLS_NOT_OFFERED', scope: 'address', host: 'mx.example.com', ip: '192.0.2.10' },
    ],
  },
  {
    name: 'MX hosts and addresses: a host added, one gone, an address added and one gone',
    old: [result('a.example', [host('mx1.example.com', { ip: '192.0.2.1' }), host('mx2.example.com', { ip: '192.0.2.2' })])],
    new: [result('a.example', [host('mx1.example.com', { ip: '192.0.2.9' }), host('mx3.example.com', { ip: '192.0.2.3' })])],
    expected: [
      { group: 'changed', kind: 'mx-removed', host: 'mx2.example.com' },
      { group: 'changed', kind: 'mx-added', host: 'mx3.example.com' },
      { group: 'changed', kind: 'address-removed', host: 'mx1.example.com', ip: '192.0.2.1' },
      { group: 'changed', kind: 'address-added', host: 'mx1.example.com', ip: '192.0.2.9' },
    ],
  },
  {
    name: 'a certificate now inside --warn-days (as NEW judged it), the same certificate a month on',
    old: [result('a.example', [host('mx.example.com', { certificate: leaf('AA:AA', 45) })])],
    new: [result('a.example', [host('mx.example.com', { certificate: leaf('AA:AA', 45) })], { now: new Date(NOW.getTime() + 30 * DAY) })],
    expected: [{ group: 'worse', kind: 'expires-soon', host: 'mx.example.com', notAfter: daysFromNow(45), daysLeft: 15 }],
  },
  {
    name: 'expired since: said once, by the new CERT_EXPIRED',
    old: [result('a.example', [host('mx.example.com', { certificate: leaf('AA:AA', 45) })], { facts: {} })],
    new: [result('a.example', [host('mx.example.com', { certificate: leaf('AA:AA', 45) })], { now: new Date(NOW.getTime() + 50 * DAY) })],
    expected: [
      { group: 'regression', kind: 'pass', old: true, new: false },
      { group: 'worse', kind: 'level', old: 'verify', new: 'encrypt' },
      { group: 'worse', kind: 'problem-appeared', code: 'CERT_EXPIRED', scope: 'address', host: 'mx.example.com', ip: '192.0.2.10' },
    ],
  },
  {
    name: 'inside the window in OLD already: nothing new',
    old: [result('a.example', [host('mx.example.com', { certificate: leaf('AA:AA', 45) })], { now: new Date(NOW.getTime() + 20 * DAY) })],
    new: [result('a.example', [host('mx.example.com', { certificate: leaf('AA:AA', 45) })], { now: new Date(NOW.getTime() + 30 * DAY) })],
    expected: [],
  },
  {
    name: 'a shorter --warn-days: 15 days left is outside a 10-day window',
    old: [result('a.example', [host('mx.example.com', { certificate: leaf('AA:AA', 45) })])],
    new: [result('a.example', [host('mx.example.com', { certificate: leaf('AA:AA', 45) })], { now: new Date(NOW.getTime() + 30 * DAY) })],
    warnDays: 10,
    expected: [],
  },
  {
    name: 'domains added and removed; regressions first, then by key',
    old: [result('b.example'), result('gone.example'), result('z.example')],
    new: [result('b.example'), result('new.example'), result('z.example', [mxHost('mx.example.com', 10, [plainAddress()])])],
    expected: [
      { group: 'regression', kind: 'pass', old: true, new: false },
      { group: 'worse', kind: 'level', old: 'verify', new: 'none' },
      { group: 'worse', kind: 'problem-appeared', code: 'STARTTLS_NOT_OFFERED', scope: 'address', host: 'mx.example.com', ip: '192.0.2.10' },
      { group: 'changed', kind: 'removed', pass: true, level: 'verify' },
      { group: 'changed', kind: 'added', pass: true, level: 'verify' },
    ],
  },
  {
    name: '--key: rows matched by an input column, whatever their domain',
    old: [result('old-name.example', undefined, { columns: { id: 'P-1' } })],
    new: [result('new-name.example', [host('mx2.example.com', {})], { columns: { id: 'P-1' } })],
    key: { column: 'id' },
    expected: [
      { group: 'changed', kind: 'domain', old: 'old-name.example', new: 'new-name.example' },
      { group: 'changed', kind: 'mx-removed', host: 'mx.example.com' },
      { group: 'changed', kind: 'mx-added', host: 'mx2.example.com' },
    ],
  },
];

test('the diff over pairs of saved results: each change in its group, regressions first', () => {
  for (const c of CASES) {
    const key = c.key ?? 'domain';
    const digests = (rows: DomainResult[]) => rows.map((r) => diffDigest(JSON.parse(JSON.stringify(r)), key)!);
    const diff = diffAudits(digests(c.old), digests(c.new), { warnDays: c.warnDays ?? 30 });
    assert.deepEqual(diff.changes.map(brief), c.expected, c.name);
    assert.equal(diff.counts.regression, c.expected.filter((e) => e.group === 'regression').length, c.name);
    assert.deepEqual(diff.rows, { old: c.old.length, new: c.new.length });
  }
});

test('the order: groups regression, worse, changed, better; within a group by key', () => {
  const diff = diffAudits(
    ['c', 'a', 'b'].map((d) => diffDigest(result(`${d}.example`), 'domain')!),
    ['c', 'a', 'b'].map((d) => diffDigest(result(`${d}.example`, [mxHost('mx.example.com', 10, [plainAddress()])]), 'domain')!),
    { warnDays: 30 },
  );
  const order = diff.changes.map((c) => `${c.group} ${c.key} ${c.kind}`);
  assert.deepEqual(order.slice(0, 3), ['regression a.example pass', 'regression b.example pass', 'regression c.example pass']);
  assert.deepEqual(order.slice(3, 5), ['worse a.example level', 'worse a.example problem-appeared']);
});

test('a row without the --key column has no digest', () => {
  assert.equal(diffDigest(result('a.example'), { column: 'id' }), null);
  assert.equal(diffDigest(result('a.example', undefined, { columns: { id: 'X' } }), { column: 'id' })?.key, 'X');
});

test('renderings: text a line per change (sanitised), JSON of the documented shape, HTML escaped and static', () => {
  const evil = '<script>alert(1)</script>\u001b[31m\u202e';
  const old = [result('a.example'), result('b.example')];
  const now = [result('a.example', [host('mx.example.com', { certificate: selfSigned })]), { ...result('b.example'), domain: 'b.example' }, result('x.example', undefined, { columns: {} })].map((r, i) =>
    i === 2 ? { ...r, domain: evil, input: evil } : r,
  );
  const diff = diffAudits(old.map((r) => diffDigest(r, 'domain')!), now.map((r) => diffDigest(r, 'domain')!), { warnDays: 30 });
  const text = renderDiffText(diff);
  assert.match(text, /^Regressions: passed in OLD, not in NEW \(1\)\n {2}a\.example {2}pass → fail\nWorse \(2\)\n/);
  assert.match(text, /\n1 regression, 2 worse, 2 changed, 0 better; 2 rows in OLD, 3 in NEW \(1 added, 0 removed\)\n$/);
  assert.ok(!/[\u001b\u202e]/.test(text), 'terminal controls sanitised');
  assert.ok(text.includes('<script>alert(1)</script>\\x1b[31m\\u202e  new in NEW'), 'a hostile domain shown as text');
  const about = { old: ['jan.ndjson'], new: ['feb.ndjson'], key: 'domain' as const, warnDays: 30 };
  const json = JSON.parse(renderDiffJson(diff, about));
  assert.deepEqual(Object.keys(json), ['format', 'schemaVersion', 'old', 'new', 'key', 'warnDays', 'counts', 'changes']);
  assert.equal(json.format, 'mxprobe-diff');
  assert.equal(json.schemaVersion, 1);
  assert.deepEqual(json.counts, { regression: 1, worse: 2, changed: 2, better: 0, added: 1, removed: 0 });
  assert.deepEqual(json.old, { files: ['jan.ndjson'], rows: 2 });
  assert.ok(!/[\u001b\u202e]/.test(renderDiffJson(diff, about)), 'JSON escapes terminal controls');
  const html = renderDiffHtml(diff, about);
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.match(html, /script-src 'none'/, 'a static page: no script may run');
  assert.ok(!html.includes('<script>alert'), 'the hostile domain is escaped');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.equal((html.match(/<tr>/g) ?? []).length, diff.changes.length);
  assert.equal(renderDiffText(diffAudits([], [], { warnDays: 30 })), 'no change; 0 rows in OLD, 0 in NEW\n');
});
