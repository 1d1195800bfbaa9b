// How --deep is shown (issue 10 "Output"): the text report's grid and per-address lines (both
// widths, tier colours, hostile server text), the graded problems' length (over every graded
// code), the one-line verdict, the JSON fields of `deep` and `grade`, the CSV columns
// deep_worst_tier and weak_suites (and --resume of a CSV written without them), JUnit and the
// batch row's tag. Results are built by hand (test/helpers/deep-results.ts) and judged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Chalk } from 'chalk';
import { renderText, textRenderer, verdictLine } from '../../src/render/text.ts';
import { renderJson } from '../../src/render/json.ts';
import { csvHeader, csvRow, CSV_COLUMNS, CSV_WEAK_SUITES } from '../../src/render/csv.ts';
import { junitReport } from '../../src/render/junit.ts';
import { deepSection, shortSuiteName } from '../../src/render/deep-text.ts';
import { readDone, ResumeError } from '../../src/batch/resume.ts';
import { cells } from '../helpers/csv-cells.ts';
import { GRADE_CODES, gradeAddress, MESSAGE_NAMES } from '../../src/judge/deep-grade.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { CIPHER_SUITES } from '../../src/model/cipher-suites.ts';
import type { GradedFactKind } from '../../src/model/tls-guidelines.ts';
import { golden } from '../helpers/golden.ts';
import { deepFacts, protocols, suites } from '../helpers/deep-facts.ts';
import { deepResults, suitesOfTier, weakDeep } from '../helpers/deep-results.ts';
import { addressFacts, certFacts, certInfo, domainFacts, mxHost, NOW, requirement } from '../helpers/facts.ts';
import { goodResult } from '../helpers/batch.ts';

const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const SGR = /\u001b\[[0-9;]*m/g;

test('text report with deep facts at 160 and 80 columns (golden, hostile notes)', () => {
  golden('report-deep-160.txt', renderText(deepResults(), { colorLevel: 0, transcript: false, columns: 160 }));
  golden('report-deep-80.txt', renderText(deepResults(), { colorLevel: 0, transcript: false, columns: 80 }));
  for (const columns of [160, 80]) {
    const text = renderText(deepResults(), { colorLevel: 0, transcript: false, columns });
    assert.doesNotMatch(text, RAW);
    for (const result of deepResults()) {
      for (const line of deepSection(result, new Chalk({ level: 0 }), columns).join('\n').split('\n')) assert.ok([...line].length <= columns, `${columns}: ${line}`);
    }
  }
});

test('the grid: accepted / no / ? per protocol, in the colour of the protocol tier, no colour at level 0', () => {
  const [weak, partial] = deepResults();
  const plain = deepSection(weak!, new Chalk({ level: 0 }), 160).join('\n');
  assert.doesNotMatch(plain, /\u001b/);
  assert.match(plain, /│ mx1\.weak\.example │ no +│ accepted │ accepted │ accepted │ accepted │ insufficient │/);
  assert.match(plain, /│ mx2\.weak\.example │ no +│ no +│ no +│ accepted │ accepted │ phase-out +│/);
  assert.match(deepSection(partial!, new Chalk({ level: 0 }), 160).join('\n'), /│ no +│ no +│ \? +│ accepted │ accepted │ phase-out +│[\s\S]*│ partial +│/);
  const coloured = deepSection(weak!, new Chalk({ level: 1 }), 160).join('\n');
  const row = coloured.split('\n').find((l) => l.includes('mx1.weak.example │')) ?? '';
  // TLS 1.0 and 1.1 red (insufficient), TLS 1.2 plain (sufficient), TLS 1.3 green (good).
  assert.deepEqual([...row.matchAll(/(\u001b\[\d+m)?accepted/g)].map((m) => m[1] ?? ''), ['\u001b[31m', '\u001b[31m', '', '\u001b[32m']);
  assert.match(coloured, /\u001b\[33mDHE_RSA_AES_128_CBC_SHA256/, 'phase-out yellow');
});

test('per address: weak suites by tier, counted, shortened and capped; groups, certificates, OCSP, renegotiation, session, injection, connections, partial', () => {
  const [weak, partial] = deepResults();
  const text = deepSection(weak!, new Chalk({ level: 0 }), 10_000).join('\n');
  const insufficient = new Set(suites('TLSv1.2', ...suitesOfTier('insufficient').slice(0, 14), 'TLS_RSA_WITH_3DES_EDE_CBC_SHA').map((s) => s.name)).size;
  assert.match(text, new RegExp(`^  insufficient suites \\(${insufficient}\\): RSA_NULL_MD5, (?:[A-Z0-9_]+, ){7}and ${insufficient - 8} more$`, 'm'));
  assert.match(text, /^  phase-out suites \(3\): DHE_RSA_AES_128_CBC_SHA256, DHE_RSA_AES_256_CBC_SHA256, DHE_RSA_AES_128_GCM_SHA256$/m);
  assert.match(text, /^  cipher suites: 19 accepted, the client's order$/m);
  assert.match(text, /^  key exchange: x25519, secp256r1, secp224r1 \(phase-out\), DH 1024 bits, own prime \(insufficient\)$/m);
  assert.match(text, /^  certificate \(RSA signatures\): RSA 2048, mx\.example\.com, name match, trusted, 60 days left, the probe's own$/m);
  assert.match(text, /^  certificate \(ECDSA signatures\): EC prime256v1, mx\.example\.com, name match, trusted, 60 days left$/m);
  assert.match(text, /^  OCSP: stapled, good, next update 2026-06-08$/m);
  assert.match(text, /^  renegotiation: secure, client-initiated accepted$/m);
  assert.match(text, /^  session: no compression, no extended master secret$/m);
  assert.match(text, /^  STARTTLS injection: vulnerable$/m);
  assert.match(text, /^mx1\.weak\.example \[192\.0\.2\.41\] · 23 connections$/m);
  assert.match(text, /^  cipher suites: 2 accepted, none weak, the server's order$/m);
  const stopped = deepSection(partial!, new Chalk({ level: 0 }), 10_000).join('\n');
  assert.match(stopped, /· 7 connections · partial: 421 \\x1b\[31mgo away\\u202e\\x85 now$/m);
  assert.match(stopped, /^  certificate \(ECDSA signatures\): none, refused: 421 /m);
  assert.match(stopped, /^  not tested: TLS 1\.1 suites: 421 /m);
  assert.doesNotMatch(stopped, RAW);
  assert.equal(shortSuiteName('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'), 'ECDHE_RSA_AES_128_CBC_SHA');
  // Without deep facts: no section at all, the report as before.
  assert.deepEqual(deepSection(goodResult(), new Chalk({ level: 0 }), 160), []);
});

/** Facts with every kind of graded fact many times over: every suite of the table, many groups and DH sizes, many things not told. */
function everythingWeak() {
  const all = CIPHER_SUITES.filter((s) => s.since !== 'TLSv1.3').map((s) => s.name);
  return {
    ...addressFacts({ certificate: certFacts([certInfo({ keyBits: 1024, signatureAlgorithm: 'sha1WithRSAEncryption' })], null) }),
    deep: deepFacts({
      protocols: protocols('SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'),
      ciphers: { accepted: suites('TLSv1', ...all), serverOrder: false, untested: Array.from({ length: 9 }, (_, i) => `untested ${i}`) },
      groups: { accepted: ['secp224r1', 'secp192r1', 'sect163k1', 'sect233k1', 'sect283k1', 'sect409k1', 'sect571k1', 'secp160r1'], dhBits: [512, 768, 1024, 1536, 2048, 3072, 4096], dhGroups: [], untested: ['groups x'] },
      certificates: Array.from({ length: 7 }, (_, i) => ({ offered: 'rsa' as const, certificate: certFacts([certInfo({ subject: `CN=c${i}`, keyBits: 1024 + i, signatureAlgorithm: 'sha1WithRSAEncryption' })], null), note: null })),
      compression: null,
      partial: { stage: 'connect', kind: 'timeout', message: 'deadline' },
    }),
  };
}

test('every graded problem names at most MESSAGE_NAMES subjects and counts the rest; the grade keeps them all', () => {
  const input = everythingWeak();
  const { grade, problems } = gradeAddress(input, 'ncsc');
  const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let capped = 0;
  for (const p of problems) {
    const kinds = (Object.keys(GRADE_CODES) as GradedFactKind[]).filter((k) => Object.values(GRADE_CODES[k]).includes(p.code));
    const subjects = p.code === 'DEEP_PARTIAL' ? grade.missing : grade.facts.filter((f) => kinds.includes(f.kind) && GRADE_CODES[f.kind][f.tier as 'insufficient'] === p.code).map((f) => f.subject);
    const named = subjects.filter((s) => new RegExp(`${escaped(s)}(?![A-Za-z0-9_])`).test(p.message));
    assert.ok(named.length <= MESSAGE_NAMES, `${p.code} names ${named.length}: ${p.message}`);
    if (subjects.length > MESSAGE_NAMES) {
      capped += 1;
      assert.match(p.message, / and \d+ more/, p.code);
    }
  }
  assert.ok(capped >= 4, `the long lists were capped (${capped})`);
  assert.ok(grade.facts.filter((f) => f.kind === 'cipher').length > 100, 'the grade keeps every suite');
});

test('the one-line verdict stays one line, whatever the deep facts hold', () => {
  const result = judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [everythingWeak()])] }), { required: requirement('encrypt'), warnDays: 30, graded: true }, NOW);
  for (const level of [0, 1] as const) {
    const line = verdictLine(result, new Chalk({ level }));
    assert.doesNotMatch(line, /\n/);
    assert.ok(line.replace(SGR, '').length < 400, line);
  }
  const row = textRenderer({ layout: 'rows', colorLevel: 0, transcript: false }).row(result, 0);
  assert.equal(row.split('\n').length, 2, 'one line and its newline');
});

test('JSON: per address `deep` (the facts, each certificate with its verdict) and `grade`; graded on the domain; server text escaped', () => {
  const json = renderJson(deepResults());
  assert.doesNotMatch(json, RAW);
  const [weak, partial] = JSON.parse(json).domains;
  const a = weak.mx[0].addresses[0];
  assert.deepEqual(Object.keys(a.deep), ['protocols', 'ciphers', 'groups', 'certificates', 'ocsp', 'renegotiation', 'compression', 'extendedMasterSecret', 'commandInjection', 'connections', 'partial']);
  assert.deepEqual(Object.keys(a.deep.ciphers), ['accepted', 'serverOrder', 'untested']);
  assert.deepEqual(Object.keys(a.deep.ciphers.accepted[0]), ['protocol', 'code', 'name']);
  assert.equal(a.deep.ciphers.accepted.length, 20, 'every accepted suite, per protocol (3DES twice)');
  const cert = a.deep.certificates[1].certificate;
  assert.deepEqual([a.deep.certificates[1].offered, cert.trusted, cert.nameMatch, cert.daysLeft, cert.expired], ['ecdsa', true, true, 60, false]);
  assert.deepEqual(Object.keys(a.grade), ['profile', 'facts', 'worst', 'complete', 'missing']);
  assert.deepEqual(Object.keys(a.grade.facts[0]), ['kind', 'subject', 'tier', 'seenBy']);
  assert.equal(a.grade.worst, 'insufficient');
  assert.equal(weak.graded, undefined, 'graded only with a graded requirement');
  assert.deepEqual(partial.graded, { profile: 'ncsc', worst: 'phase-out', satisfied: null });
  assert.equal(partial.mx[0].addresses[0].deep.partial.message, '421 \u001b[31mgo away\u202e\u0085 now', 'kept as sent (escaped in the text)');
  assert.match(json, /go away\\u202e\\u0085 now/);
});

test('CSV: deep_worst_tier and weak_suites at the end of the fixed columns; empty without --deep; capped', () => {
  assert.deepEqual(CSV_COLUMNS.slice(-2), ['deep_worst_tier', 'weak_suites']);
  assert.match(csvHeader(['partner']), /,tls_rpt,deep_worst_tier,weak_suites,partner\r\n$/);
  const at = (record: string, name: string) => cells(record)[CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number])];
  const [weak, partial] = deepResults();
  const row = csvRow(weak!, []);
  assert.equal(at(row, 'deep_worst_tier'), 'insufficient');
  const listed = (at(row, 'weak_suites') ?? '').split(';');
  assert.equal(listed[0], 'TLS_RSA_WITH_NULL_MD5', 'insufficient first, by IANA name');
  assert.ok(listed.includes('TLS_DHE_RSA_WITH_AES_128_CBC_SHA256'), 'then phase-out');
  assert.equal(listed.length, new Set(listed).size, 'distinct');
  assert.equal(at(csvRow(partial!, []), 'deep_worst_tier'), 'phase-out');
  assert.equal(at(csvRow(partial!, []), 'weak_suites'), '');
  assert.deepEqual([at(csvRow(goodResult(), []), 'deep_worst_tier'), at(csvRow(goodResult(), []), 'weak_suites')], ['', '']);
  const all = judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [everythingWeak()])] }), { required: requirement('encrypt'), warnDays: 30 }, NOW);
  const many = (at(csvRow(all, []), 'weak_suites') ?? '').split(';');
  assert.equal(many.length, CSV_WEAK_SUITES + 1);
  assert.match(many.at(-1) ?? '', /^\+\d+ more$/);
});

test('--resume refuses a CSV written before deep_worst_tier and weak_suites, with its reason', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mxprobe-deep-resume-'));
  try {
    const file = path.join(dir, 'out.csv');
    const before = CSV_COLUMNS.slice(0, CSV_COLUMNS.indexOf('deep_worst_tier')).join(',');
    await writeFile(file, `${before},partner\r\na.example,verify,encrypt,true,,,,,,,,2,plain,,,,,A\r\n`);
    await assert.rejects(readDone(file, 'csv'), (err: unknown) => err instanceof ResumeError && /earlier mxprobe \(no "deep_worst_tier" and "weak_suites" columns\).*start a new output file/.test(err.message));
    await writeFile(file, csvHeader([]) + csvRow(deepResults()[0]!, []));
    assert.ok((await readDone(file, 'csv')).header !== null);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('JUnit lists the deep problems as it lists the others; the batch text row tags the worst tier where deep ran', () => {
  const [weak, partial] = deepResults();
  const [failing] = deepResults(true);
  assert.equal(failing!.pass, false);
  const xml = junitReport([failing!, partial!], { name: 'mxprobe', timestamp: NOW, durationMs: 1 });
  for (const code of ['TLS_PROTOCOL_INSUFFICIENT', 'TLS_CIPHER_INSUFFICIENT', 'STARTTLS_COMMAND_INJECTION', 'DEEP_PARTIAL']) assert.match(xml, new RegExp(code));
  assert.doesNotMatch(xml, RAW);
  const rows = textRenderer({ layout: 'rows', colorLevel: 0, transcript: false });
  assert.match(rows.row(weak!, 0), /^PASS weak\.example: level verify \(required: encrypt\) · deep insufficient\n$/);
  assert.match(rows.row(partial!, 0), /^UNKNOWN partial\.example: .* · deep phase-out, partial — /);
  assert.doesNotMatch(rows.row(goodResult(), 0), /deep/);
  assert.match(textRenderer({ layout: 'rows', colorLevel: 1, transcript: false }).row(weak!, 0), /\u001b\[31mdeep insufficient/);
  assert.ok(weakDeep().connections > 0);
});
