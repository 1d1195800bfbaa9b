// The MTA-STS judge and the TLS reporting judge over tables of facts: every MX host must match
// a pattern and every matching host must verify (errors in enforce mode, warnings in testing,
// nothing in none); each failure of the record, the fetch and the policy is a problem of its
// own code; what a sender enforcing MTA-STS does, told by sender-policy row (f) alone (its
// judge over the verdict: policyOutcome, mtaStsDelivery); TLSRPT_MISSING only where mail TLS is
// enforced. And the judge stays pure: it imports no fetching module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { judgeMtaSts, judgeTlsRpt, mtaStsDelivery, type MtaStsHostInput } from '../../src/judge/mta-sts.ts';
import { PROBLEMS } from '../../src/judge/problem-catalogue.ts';
import { policyOutcome, senderPolicy } from '../../src/judge/sender-policies.ts';
import { judgeAddress } from '../../src/judge/judge-address.ts';
import { judgePolicy } from '../../src/judge/judge-policy.ts';
import type { Level } from '../../src/model/levels.ts';
import type { PolicyOutcome } from '../../src/model/policy.ts';
import type { MtaStsFacts, PolicyFetchFacts } from '../../src/model/mta-sts.ts';
import { mtaStsFacts } from '../../src/mta-sts/facts.ts';
import { addressFacts, mxHost, NOW } from '../helpers/facts.ts';

const policyText = (mode: string, mx: string[] = ['mx1.example.com', '*.mail.example.com']) =>
  `version: STSv1\nmode: ${mode}\n${mx.map((m) => `mx: ${m}\n`).join('')}max_age: 86400\n`;

const fetched = (body: string | null, failure: PolicyFetchFacts['failure'] = null): PolicyFetchFacts => ({
  url: 'https://mta-sts.example.com/.well-known/mta-sts.txt', status: failure === null ? 200 : 404, contentType: 'text/plain', location: null, bytes: 0, body, ms: 1, failure,
});
const facts = (body: string | null, failure: PolicyFetchFacts['failure'] = null, txt: string[] | null = ['v=STSv1; id=1']): MtaStsFacts =>
  mtaStsFacts('example.com', txt, txt !== null && txt.length > 0 ? fetched(body, failure) : null);

/** An MX host with one address, by the level its probe reached (null: not reachable). */
interface Host {
  host: string;
  level: Level | null;
}
const GOOD: Host[] = [
  { host: 'mx1.example.com', level: 'verify' },
  { host: 'a.mail.example.com', level: 'verify' },
];
/** The hosts as the MTA-STS judge takes them (as judgeDomain gives them: verified when the level is verify). */
const input = (hosts: readonly Host[]): MtaStsHostInput[] => hosts.map((h) => ({ host: h.host, verified: h.level === null ? null : h.level === 'verify' }));
const codes = (v: { problems: Array<{ code: string; severity: string }> }) => v.problems.map((p) => `${p.code}:${p.severity}`);
const judged = judgeAddress(addressFacts(), judgePolicy({ required: ['tls-required'], warnDays: 30 }), NOW);

/**
 * What an MTA-STS sender does over the domain: sender-policy row (f) over the hosts, with the
 * facts as judgeDomain hands them on (the verdict's mode and MX match; absent: not gathered).
 */
function rowF(f: MtaStsFacts | undefined, hosts: readonly Host[]): Pick<PolicyOutcome, 'delivered' | 'encrypted' | 'authenticated'> {
  const v = judgeMtaSts(f, input(hosts));
  const mx = hosts.map((h) => ({ ...mxHost(h.host, 10, []), addresses: [{ ...judged, host: h.host, level: h.level }] }));
  const domain = { domain: 'example.com', outcome: 'probed' as const, mx: [], dns: [], ...(f !== undefined ? { mtaSts: { ...f, mode: v.mode, mxMatch: v.mxMatch } } : {}) };
  const { delivered, encrypted, authenticated } = policyOutcome(senderPolicy('mta-sts'), domain, mx);
  return { delivered, encrypted, authenticated };
}

test('enforce: every host listed and verified: no problem, and an MTA-STS sender (row f) delivers everywhere, encrypted and authenticated', () => {
  const v = judgeMtaSts(facts(policyText('enforce')), input(GOOD));
  assert.equal(v.mode, 'enforce');
  assert.deepEqual(v.problems, []);
  assert.deepEqual(v.mxMatch, [
    { host: 'mx1.example.com', pattern: 'mx1.example.com', verified: true },
    { host: 'a.mail.example.com', pattern: '*.mail.example.com', verified: true },
  ]);
  assert.deepEqual(rowF(facts(policyText('enforce')), GOOD), { delivered: 'yes', encrypted: 'yes', authenticated: 'yes' });
});

test('the verdict says what the policy is, not what a sender does: no delivery of its own beside sender-policy row (f)', () => {
  for (const f of [facts(policyText('enforce')), facts(policyText('testing')), facts(null, null, []), undefined]) {
    assert.deepEqual(Object.keys(judgeMtaSts(f, input(GOOD))).sort(), ['mode', 'mxMatch', 'problems']);
  }
});

test('a host matching no pattern, and a listed host that does not verify: errors in enforce, warnings in testing, nothing in none', () => {
  const hosts: Host[] = [
    { host: 'mx1.example.com', level: 'verify' },
    { host: 'b.a.mail.example.com', level: 'verify' }, // *. matches one label only
    { host: 'x.mail.example.com', level: 'encrypt' },
  ];
  const enforce = judgeMtaSts(facts(policyText('enforce')), input(hosts));
  assert.deepEqual(codes(enforce), ['MTA_STS_MX_MISMATCH:error', 'MTA_STS_MX_NOT_VERIFIED:error']);
  assert.deepEqual(enforce.problems.map((p) => [p.scope, p.host]), [['host', 'b.a.mail.example.com'], ['host', 'x.mail.example.com']]);
  assert.match(enforce.problems[0]!.message, /b\.a\.mail\.example\.com matches no mx pattern of the MTA-STS policy \(mx1\.example\.com, \*\.mail\.example\.com\): senders that enforce MTA-STS do not deliver to it/);
  assert.deepEqual(rowF(facts(policyText('enforce')), hosts), { delivered: 'partly', encrypted: 'yes', authenticated: 'yes' });
  const testing = judgeMtaSts(facts(policyText('testing')), input(hosts));
  assert.deepEqual(codes(testing), ['MTA_STS_MX_MISMATCH:warning', 'MTA_STS_MX_NOT_VERIFIED:warning']);
  assert.match(testing.problems[0]!.message, /in testing mode senders still deliver/);
  assert.deepEqual(rowF(facts(policyText('testing')), hosts), { delivered: 'yes', encrypted: 'yes', authenticated: 'no' });
  const none = judgeMtaSts(facts('version: STSv1\nmode: none\nmax_age: 86400\n'), input(hosts));
  assert.deepEqual(none.problems, []);
  assert.deepEqual(none.mxMatch, []);
  assert.equal(none.mode, 'none');
  assert.deepEqual(rowF(facts('version: STSv1\nmode: none\nmax_age: 86400\n'), hosts), { delivered: 'yes', encrypted: 'yes', authenticated: 'no' });
});

test('each failure of the record, the fetch and the policy is a problem of its own code, and leaves no MTA-STS (mode none)', () => {
  const cases: Array<[MtaStsFacts, string[], RegExp]> = [
    [facts(null, null, ['v=STSv1']), ['MTA_STS_RECORD_INVALID:error'], /record of the domain is not valid: the record has no id field/],
    [facts(null, null, ['v=STSv1; id=1', 'v=STSv1; id=2']), ['MTA_STS_RECORD_INVALID:error'], /2 TXT records/],
    [facts(null, { kind: 'redirect', message: 'https://mta-sts.example.com/.well-known/mta-sts.txt answered 301' }), ['MTA_STS_POLICY_UNREACHABLE:error'], /cannot be fetched: .*answered 301; senders ignore MTA-STS/],
    [facts(null, { kind: 'certificate', message: 'the certificate of mta-sts.example.com does not verify' }), ['MTA_STS_POLICY_UNREACHABLE:error'], /does not verify/],
    [facts(null, { kind: 'encoding', message: 'the policy is not valid UTF-8 (RFC 8461 §3.2)' }), ['MTA_STS_POLICY_INVALID:error'], /^The MTA-STS policy is not valid: the policy is not valid UTF-8/],
    [facts('version: STSv1\nmode: enforce\nnmx: mx1.example.com\nmax_age: 86400\n'), ['MTA_STS_UNKNOWN_KEY:warning', 'MTA_STS_POLICY_INVALID:error'], /unknown key "nmx" on line 3, which senders ignore \(did you mean "mx"\?\)/],
    [facts(policyText('enforce', ['192.0.2.1'])), ['MTA_STS_POLICY_INVALID:error'], /the mx pattern "192\.0\.2\.1" is not valid: an IP address/],
  ];
  for (const [f, want, message] of cases) {
    const v = judgeMtaSts(f, input(GOOD));
    assert.deepEqual(codes(v), want, JSON.stringify(f));
    assert.match(v.problems.map((p) => p.message).join(' | '), message);
    assert.equal(v.mode, 'none');
    // Without a usable policy an MTA-STS sender delivers as an opportunistic one: nothing authenticated.
    assert.deepEqual(rowF(f, GOOD), { delivered: 'yes', encrypted: 'yes', authenticated: 'no' });
  }
});

test('warnings that do not invalidate: a duplicated field (record or policy), an unknown key beside a valid policy', () => {
  const v = judgeMtaSts(mtaStsFacts('example.com', ['v=STSv1; id=1; id=2'], fetched(`${policyText('enforce')}mode: testing\nrenewal: weekly\n`)), input(GOOD));
  assert.equal(v.mode, 'enforce');
  assert.deepEqual(codes(v), ['MTA_STS_DUPLICATE_FIELD:warning', 'MTA_STS_UNKNOWN_KEY:warning', 'MTA_STS_DUPLICATE_FIELD:warning']);
});

test('no record: nothing to report, mode none; unknown (failed look-up, a stopped fetch, nothing gathered): mode null, no problem, row (f) unknown', () => {
  const none = judgeMtaSts(facts(null, null, []), input(GOOD));
  assert.deepEqual([none.mode, none.problems], ['none', []]);
  for (const f of [facts(null, null, null), facts(null, { kind: 'aborted', message: 'stopped' }), undefined]) {
    const v = judgeMtaSts(f, input(GOOD));
    assert.deepEqual([v.mode, v.problems], [null, []]);
    assert.deepEqual(rowF(f, GOOD), { delivered: 'unknown', encrypted: 'unknown', authenticated: 'unknown' });
  }
  // A host none of whose addresses was reached says nothing: row (f) is told by the others.
  assert.deepEqual(rowF(facts(policyText('enforce')), [...GOOD, { host: 'x.mail.example.com', level: null }]), { delivered: 'yes', encrypted: 'yes', authenticated: 'yes' });
  assert.deepEqual(rowF(facts(policyText('enforce')), [{ host: 'x.mail.example.com', level: null }]), { delivered: 'unknown', encrypted: 'unknown', authenticated: 'unknown' });
});

test('mtaStsDelivery over every mode and address kind: enforce delivers only to a listed host over verified TLS; others deliver as opportunistic TLS', () => {
  const listed = { mode: 'enforce' as const, mxMatch: [{ host: 'mx1.example.com', pattern: 'mx1.example.com', verified: true }, { host: 'mx2.example.com', pattern: null, verified: true }] };
  const kinds = [
    { encrypted: true, verified: true, refusesPlaintext: false },
    { encrypted: true, verified: false, refusesPlaintext: false },
    { encrypted: false, verified: false, refusesPlaintext: false },
    { encrypted: false, verified: false, refusesPlaintext: true },
  ];
  assert.deepEqual(kinds.map((k) => mtaStsDelivery(listed, 'mx1.example.com', k)?.delivered), [true, false, false, false]);
  assert.deepEqual(kinds.map((k) => mtaStsDelivery(listed, 'mx2.example.com', k)?.delivered), [false, false, false, false]);
  for (const mode of ['testing', 'none'] as const) {
    const d = kinds.map((k) => mtaStsDelivery({ mode, mxMatch: [] }, 'mx2.example.com', k));
    assert.deepEqual(d.map((x) => x?.delivered), [true, true, true, false], mode);
    assert.deepEqual(d.map((x) => x?.authenticated), [false, false, false, false], mode);
  }
  for (const k of kinds) {
    const d = mtaStsDelivery(listed, 'mx1.example.com', k);
    assert.ok(d !== null && (!d.delivered || (d.encrypted && d.authenticated)), 'enforce never delivers unencrypted or unauthenticated');
  }
  assert.equal(mtaStsDelivery({ mode: null, mxMatch: [] }, 'mx1.example.com', kinds[0]!), null);
});

test('the severities of the new codes (a public contract)', () => {
  const want = {
    MTA_STS_RECORD_INVALID: 'error', MTA_STS_POLICY_UNREACHABLE: 'error', MTA_STS_POLICY_INVALID: 'error', MTA_STS_MX_MISMATCH: 'error',
    MTA_STS_MX_NOT_VERIFIED: 'error', MTA_STS_UNKNOWN_KEY: 'warning', MTA_STS_DUPLICATE_FIELD: 'warning', TLSRPT_MISSING: 'info', TLSRPT_INVALID: 'warning',
  } as const;
  for (const [code, severity] of Object.entries(want)) assert.equal(PROBLEMS[code as keyof typeof want].severity, severity, code);
});

test('TLS-RPT: missing is information only where DANE or MTA-STS is deployed; invalid is a warning per reason; a failed look-up or nothing gathered says nothing', () => {
  const missing = { txt: [], record: null, rua: [], error: null };
  assert.deepEqual(judgeTlsRpt(missing, true).map((p) => `${p.code}:${p.severity}`), ['TLSRPT_MISSING:info']);
  assert.deepEqual(judgeTlsRpt(missing, false), []);
  const bad = { txt: ['v=TLSRPTv1; rua=ftp://x.example/r, mailto:nobody'], record: 'v=TLSRPTv1; rua=ftp://x.example/r, mailto:nobody', rua: [], error: 'x' };
  for (const enforced of [true, false]) {
    assert.deepEqual(judgeTlsRpt(bad, enforced).map((p) => `${p.code}:${p.severity}`), ['TLSRPT_INVALID:warning', 'TLSRPT_INVALID:warning']);
  }
  const good = { txt: ['v=TLSRPTv1; rua=mailto:tls@example.com'], record: 'v=TLSRPTv1; rua=mailto:tls@example.com', rua: ['mailto:tls@example.com'], error: null };
  assert.deepEqual(judgeTlsRpt(good, true), []);
  assert.deepEqual(judgeTlsRpt({ ...missing, txt: null }, true), []);
  assert.deepEqual(judgeTlsRpt(undefined, true), []);
});

test('the judge is pure: judge/mta-sts.ts imports no fetching module and no node: module', () => {
  const source = readFileSync(new URL('../../src/judge/mta-sts.ts', import.meta.url), 'utf8');
  const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
  assert.ok(!imports.some((i) => i?.startsWith('node:') || /fetch-policy|gather/.test(i ?? '')), imports.join(', '));
});

test('a hostile policy (64 KiB of the same fault) gives one problem per code, listing the first few and counting the rest', () => {
  const head = 'version: STSv1\nmode: enforce\nmax_age: 86400\n';
  const cases: Array<[string, string[], RegExp]> = [
    [`${head}mx: mx1.example.com\n${'x: y\n'.repeat(13_000)}`, ['MTA_STS_UNKNOWN_KEY:warning'], /13000 unknown keys.*"x" on line 5.*and 12995 more/],
    [`${head}${'mx: 192.0.2.1\n'.repeat(4_000)}`, ['MTA_STS_POLICY_INVALID:error'], /not valid: line 4: .*and 3995 more/],
    [`${head}mx: mx1.example.com\n${'mode: testing\n'.repeat(4_000)}`, ['MTA_STS_DUPLICATE_FIELD:warning'], /"mode" on line 5.*and 3995 more/],
  ];
  for (const [body, want, message] of cases) {
    assert.ok(body.length <= 64 * 1024, 'within the fetch cap');
    const v = judgeMtaSts(facts(body), [{ host: 'mx1.example.com', verified: true }]);
    assert.deepEqual(codes(v), want);
    assert.match(v.problems[0]?.message ?? '', message);
    assert.ok((v.problems[0]?.message.length ?? 0) < 1000, 'a message of bounded length');
  }
  // Many patterns, none matching: the mismatch names a few.
  const v = judgeMtaSts(facts(`${head}${Array.from({ length: 3000 }, (_, i) => `mx: h${i}.example.net\n`).join('')}`), [{ host: 'mx1.example.com', verified: true }]);
  assert.deepEqual(codes(v), ['MTA_STS_MX_MISMATCH:error']);
  assert.ok((v.problems[0]?.message.length ?? 0) < 1000);
});
