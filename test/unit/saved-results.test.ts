// Saved results (src/saved/): reading NDJSON and JSON documents of earlier runs as hostile
// input (one-line errors with the file and the line, caps, a cut last line), merging files
// into one audit (duplicates, shards), and the facts of a judged result judged again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import type { JudgePolicy } from '../../src/judge/judge-address.ts';
import type { DomainFacts, DomainResult } from '../../src/model/domain.ts';
import { factsOf, rejudge } from '../../src/saved/facts-of.ts';
import { MAX_LINE_BYTES, parseSavedRow, readSaved, SavedInputError, type SavedFile } from '../../src/saved/read-saved.ts';
import { mergeSaved } from '../../src/saved/merge-saved.ts';
import { savedResultProblem } from '../../src/saved/result-shape.ts';
import { ndjsonRow } from '../../src/render/ndjson.ts';
import { jsonRenderer, renderJson } from '../../src/render/json.ts';
import { renderAll } from '../../src/render/report-renderer.ts';
import { addressFacts, certFacts, certInfo, daysFromNow, domainFacts, intermediate, mxHost, NOW, plainAddress, requirement, root } from '../helpers/facts.ts';
import { everyKindOfResult } from '../helpers/batch.ts';
import { partialDeep, weakDeep } from '../helpers/deep-results.ts';
import { rptFacts, stsFacts, tlsa } from '../helpers/mail-tls-results.ts';

const DAY = 86_400_000;

async function* chunksOf(text: string | Buffer, size = 1000): AsyncGenerator<Buffer> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
const read = (text: string | Buffer, name = 'saved.ndjson', size?: number) => readSaved(chunksOf(text, size), name, { remaining: 1024 ** 3 });
const ndjson = (results: readonly DomainResult[]) => results.map((r) => ndjsonRow(r)).join('');
const asJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Facts of many kinds: verified, plaintext, expired and expiring certificates, failures, DANE, MTA-STS, deep facts, no mail. */
function factsTable(): Array<[string, DomainFacts]> {
  const host = 'mx.example.com';
  return [
    ['verified', domainFacts()],
    ['plaintext', domainFacts({ mx: [mxHost(host, 10, [plainAddress()])] })],
    ['expired', domainFacts({ mx: [mxHost(host, 10, [addressFacts({ certificate: certFacts([certInfo({ notAfter: daysFromNow(-3) }), intermediate(), root()], null) })])] })],
    ['expires in 10 days', domainFacts({ mx: [mxHost(host, 10, [addressFacts({ certificate: certFacts([certInfo({ notAfter: daysFromNow(10) }), intermediate(), root()], null) })])] })],
    ['self-signed', domainFacts({ mx: [mxHost(host, 10, [addressFacts({ certificate: certFacts([certInfo({ issuer: 'CN=mx.example.com', selfSigned: true, selfIssued: true })], 'DEPTH_ZERO_SELF_SIGNED_CERT') })])] })],
    ['timeout', domainFacts({ mx: [mxHost(host, 10, [addressFacts({ connected: false, banner: null, ehlo: null, starttls: false, starttlsReply: null, tls: null, ehloTls: null, certificate: null, failure: { stage: 'connect', kind: 'timeout', message: 'timed out' } })])] })],
    ['two hosts', domainFacts({ mx: [mxHost('mx1.example.com', 10, [addressFacts({ ip: '192.0.2.1' })]), mxHost('mx2.example.com', 20, [plainAddress({ ip: '2001:db8::2', family: 6 })], { cnames: ['x.example.net'] })] })],
    [
      'DANE and MTA-STS',
      domainFacts({
        mxAuthenticated: true,
        dnssec: { validating: true, mx: 'secure' },
        dns: [
          { name: 'example.com', type: 'MX', rcode: 'NOERROR', authenticated: true, dnssec: 'secure', cnames: [], answers: ['10 mx.example.com'], server: '127.0.0.1:53', ms: 1 },
          { name: host, type: 'A', rcode: 'NOERROR', authenticated: true, dnssec: 'secure', cnames: [], answers: ['192.0.2.10'], server: '127.0.0.1:53', ms: 1 },
        ],
        mx: [mxHost(host, 10, [addressFacts()], { tlsa: tlsa(host, 'secure') })],
        mtaSts: stsFacts('example.com', { mx: ['mx.example.com'] }),
        tlsRpt: rptFacts(['mailto:tls@example.com']),
      }),
    ],
    ['MTA-STS testing, host not listed', domainFacts({ mtaSts: stsFacts('example.com', { mode: 'testing', mx: ['other.example.net'] }) })],
    ['deep, weak', domainFacts({ mx: [mxHost(host, 10, [addressFacts({ deep: weakDeep(host) })])] })],
    ['deep, partial', domainFacts({ mx: [mxHost(host, 10, [addressFacts({ deep: partialDeep() })])] })],
    ['nxdomain', domainFacts({ outcome: 'nxdomain', mx: [], dns: [{ name: 'example.com', type: 'MX', rcode: 'NXDOMAIN', authenticated: false, cnames: [], answers: [], server: null, ms: 1 }] })],
  ];
}

const POLICIES: Array<Partial<JudgePolicy>> = [
  { required: requirement('encrypt'), warnDays: 30 },
  { required: requirement('verify'), warnDays: 14 },
  { required: requirement('verify'), warnDays: 30, graded: true, profile: 'mozilla-intermediate' },
  { required: requirement('dane'), warnDays: 30 },
  { required: requirement('a,f'), warnDays: 30, profile: 'mozilla-intermediate' },
];
const TIMES = [NOW, new Date(NOW.getTime() + 45 * DAY), new Date(NOW.getTime() + 400 * DAY)];

test('factsOf strips exactly what judging adds: judging the facts of a judged result again gives the same result, in memory and through JSON', () => {
  let cases = 0;
  for (const [name, facts] of factsTable()) {
    for (const policy of POLICIES) {
      for (const now of TIMES) {
        const judged = judgeDomain(facts, policy, now);
        assert.deepStrictEqual(judgeDomain(factsOf(judged), policy, now), judged, `${name} ${JSON.stringify(policy)} ${now.toISOString()}`);
        // As saved (JSON drops undefined fields) and read back.
        const saved = asJson(judged);
        assert.deepStrictEqual(asJson(judgeDomain(factsOf(saved), policy, now)), saved, `${name} through JSON`);
        assert.deepStrictEqual(asJson(factsOf(saved)), asJson(facts), `${name}: the facts themselves`);
        cases += 1;
      }
    }
  }
  assert.equal(cases, 12 * 5 * 3);
});

test('rejudge: the saved requirement, profile and source are kept; --at moves expiry verdicts; an invalid row stays as it is', () => {
  for (const [name, facts] of factsTable()) {
    for (const policy of POLICIES) {
      const source = { line: 7, columns: { partner: 'Acme' }, shard: { index: 2, count: 4 } };
      const saved = asJson({ ...judgeDomain(facts, policy, NOW), source });
      for (const now of TIMES) {
        const expected = asJson({ ...judgeDomain(facts, { ...policy, warnDays: 21 }, now), source });
        assert.deepStrictEqual(asJson(rejudge(saved, { now, warnDays: 21 })), expected, `${name} ${JSON.stringify(policy)} ${now.toISOString()}`);
      }
    }
  }
  const expiring = judgeDomain(factsTable()[3]![1], { required: requirement('verify'), warnDays: 30 }, NOW);
  assert.ok(expiring.mx[0]!.addresses[0]!.problems.some((p) => p.code === 'CERT_EXPIRES_SOON'));
  const later = rejudge(expiring, { now: new Date(NOW.getTime() + 20 * DAY), warnDays: 30 });
  assert.equal(later.pass, false);
  assert.ok(later.mx[0]!.addresses[0]!.problems.some((p) => p.code === 'CERT_EXPIRED'));
  const invalid = everyKindOfResult().find((r) => r.outcome === 'invalid-input')!;
  assert.equal(rejudge(invalid, { now: TIMES[2]!, warnDays: 5 }), invalid);
  const withWarning = { ...expiring, problems: [...expiring.problems, { code: 'INPUT_EXTRA_FIELDS', severity: 'warning', message: 'Line 3: 5 fields.', hint: 'h', scope: 'input' } as const] };
  assert.deepEqual(rejudge(withWarning, { now: NOW, warnDays: 30 }).problems.at(-1)?.code, 'INPUT_EXTRA_FIELDS');
});

test('reading: NDJSON, the batch JSON document and the indented JSON document give the same rows, whatever the chunking', async () => {
  const results = everyKindOfResult();
  const batch = renderAll(jsonRenderer({ layout: 'rows', transcript: false }), results, { startedAt: NOW, durationMs: 0 });
  for (const [name, text] of [['ndjson', ndjson(results)], ['batch json', batch], ['report json', renderJson(results)], ['crlf ndjson', `\ufeff${ndjson(results).replace(/\n/g, '\r\n')}`]] as const) {
    for (const size of [1, 7, 65536]) {
      const saved = await read(text, name, size);
      assert.deepEqual(saved.warnings, [], name);
      assert.deepStrictEqual(saved.rows.map(parseSavedRow).map(asJson), asJson(results), `${name} in chunks of ${size}`);
      assert.deepEqual(saved.rows.map((r) => r.line), results.map((r) => r.source?.line ?? null));
    }
  }
  const ndjsonRows = await read(ndjson(results));
  assert.deepEqual(ndjsonRows.rows.map((r) => r.where), results.map((_, i) => `line ${i + 1}`));
  assert.deepEqual((await read('')).rows, [], 'an empty file holds no row');
});

test('a run killed while writing: a cut last line, or a batch document without its end, is read with a warning', async () => {
  const results = everyKindOfResult();
  const text = ndjson(results);
  const cut = text.slice(0, text.length - 200);
  const saved = await read(cut, 'killed.ndjson');
  assert.equal(saved.rows.length, results.length - 1);
  assert.match(saved.warnings.join('\n'), new RegExp(`^killed.ndjson line ${results.length}: the last line is cut short .*skipped; the ${results.length - 1} rows before it are read$`));
  const batch = renderAll(jsonRenderer({ layout: 'rows', transcript: false }), results, { startedAt: NOW, durationMs: 0 });
  const unended = await read(batch.slice(0, batch.lastIndexOf('\n]}')), 'killed.json');
  assert.equal(unended.rows.length, results.length);
  assert.match(unended.warnings[0]!, /^killed.json: the JSON document has no end/);
  const halfRow = await read(batch.slice(0, batch.length - 300), 'killed.json');
  assert.equal(halfRow.rows.length, results.length - 1);
  assert.match(halfRow.warnings[0]!, /the last line is cut short/);
});

test('hostile files: one line naming the file and the line, never a crash', async () => {
  const good = ndjsonRow(everyKindOfResult()[0]!);
  const row = JSON.parse(good);
  const line2 = (value: unknown) => `${good}${JSON.stringify(value)}\n`;
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['garbage', 'hello world\n', /^f line 1: not JSON/],
    ['binary', Buffer.from([0, 1, 2, 255, 254, 10]), /^f line 1: not JSON/],
    ['a number', `${good}42\n`, /^f line 2: a JSON object \(a domain's result\) expected, not 42/],
    ['an array', `${good}[1]\n`, /^f line 2: a JSON object .* not an array/],
    ['a row without a schema version', line2({ ...row, schemaVersion: undefined }), /^f line 2: no schemaVersion/],
    ['another schema version', line2({ ...row, schemaVersion: 1 }), /^f line 2: schemaVersion 1, this mxprobe reads 2/],
    ['a document of another version', '{"schemaVersion":3,"domains":[\n', /^f line 1: schemaVersion 3, this mxprobe reads 2/],
    ['a document without domains', '{"schemaVersion":2,"domains":{}}\n', /no "domains" array/],
    ['no domain', line2({ ...row, domain: undefined }), /^f line 2: domain: missing$/],
    ['an unknown outcome', line2({ ...row, outcome: 'great' }), /^f line 2: outcome: one of "probed", .* expected, not "great"/],
    ['an unknown level', line2({ ...row, mx: [{ ...row.mx[0], addresses: [{ ...row.mx[0].addresses[0], level: 'best' }] }] }), /^f line 2: mx\[0\]\.addresses\[0\]\.level: one of/],
    ['mx not an array', line2({ ...row, mx: {} }), /^f line 2: mx: an array expected, not an object/],
    ['an unknown problem code', line2({ ...row, problems: [{ code: 'NOPE', severity: 'error', message: 'm', hint: 'h', scope: 'domain' }] }), /problems\[0\]\.code: one of/],
    ['a certificate without its verdict', line2({ ...row, mx: [{ ...row.mx[0], addresses: [{ ...row.mx[0].addresses[0], certificate: { ...row.mx[0].addresses[0].certificate, daysLeft: 'soon' } }] }] }), /certificate\.daysLeft: a number expected, not a string/],
    ['a bad shard', line2({ ...row, source: { line: 2, columns: {}, shard: { index: 5, count: 4 } } }), /source\.shard: K\/N with 1 ≤ K ≤ N/],
    ['no required policy', line2({ ...row, requiredPolicies: [] }), /requiredPolicies: no sender policy/],
    ['a bad line in the batch document', '{"schemaVersion":2,"domains":[\n{"x":\n]}\n', /^f line 2: not JSON/],
    ['more after the document', `{"schemaVersion":2,"domains":[]}\n${good}`, /^f line 2: more after the end/],
    ['a truncated indented document', renderJson(everyKindOfResult()).slice(0, 500), /^f line 1: not JSON/],
  ];
  for (const [name, text, message] of cases) {
    await assert.rejects(read(text, 'f'), (err: Error) => {
      assert.ok(err instanceof SavedInputError, `${name}: ${err.stack}`);
      assert.match(err.message, message, name);
      assert.ok(!err.message.includes('\n'), `${name}: one line`);
      return true;
    });
  }
});

test('caps: a line longer than the cap is refused before it is held whole; the files together have a cap too', async () => {
  let yielded = 0;
  async function* huge(): AsyncGenerator<Buffer> {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 64; i++) {
      yielded += 1;
      yield chunk;
    }
  }
  await assert.rejects(readSaved(huge(), 'big.ndjson', { remaining: 1024 ** 3 }), { name: 'SavedInputError', message: `big.ndjson line 1: longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB, not a saved result of mxprobe` });
  assert.ok(yielded <= MAX_LINE_BYTES / (1024 * 1024) + 1, `stopped reading after ${yielded} MiB`);
  await assert.rejects(read(Buffer.alloc(10 * 1024 * 1024, 0x7b)), /line 1: longer than/);
  await assert.rejects(readSaved(chunksOf(ndjson(everyKindOfResult())), 'b', { remaining: 1000 }), /hold more than 1024 MiB together/);
});

test('the shape check accepts every kind of result a run writes, and a few judged kinds more', () => {
  for (const result of [...everyKindOfResult(), ...factsTable().map(([, f]) => judgeDomain(f, POLICIES[2]!, NOW))]) assert.equal(savedResultProblem(asJson(result)), null, result.domain);
});

function file(name: string, rows: Array<Partial<{ domain: string; input: string; line: number | null; shard: { index: number; count: number } | null }>>): SavedFile {
  return {
    name,
    warnings: [],
    rows: rows.map((r, i) => ({ file: name, where: `line ${i + 1}`, text: '{}', domain: r.domain ?? `d${i}.example`, input: r.input ?? r.domain ?? `d${i}.example`, line: r.line === undefined ? i + 2 : r.line, shard: r.shard ?? null, columns: [] })),
  };
}

test('merging: rows of every file in order; the same input row twice, shards of different N, a missing shard or a mix are errors', () => {
  const s = (index: number, count = 3) => ({ index, count });
  const parts = [file('p1', [{ line: 2, shard: s(1) }, { line: 5, shard: s(1) }]), file('p2', [{ line: 3, shard: s(2) }]), file('p3', [{ line: 4, shard: s(3) }])];
  assert.deepEqual(mergeSaved(parts).rows.map((r) => r.line), [2, 5, 3, 4]);
  assert.deepEqual(mergeSaved(parts).warnings, []);
  assert.throws(() => mergeSaved([parts[0]!, parts[2]!]), { message: 'no row of shard 2/3 in the files given: a part of the audit is missing' });
  assert.deepEqual(mergeSaved([parts[0]!, parts[2]!, file('p2', [])]).warnings, ['no row of shard 2/3: taken to be the empty file given (a shard of a small input may take no row)']);
  assert.throws(() => mergeSaved([parts[0]!, parts[0]!]), { message: 'p1 line 1: the input row of line 2 (d0.example) is also in p1 line 1: a file given twice, or outputs of overlapping runs?' });
  assert.throws(() => mergeSaved([...parts, file('p4', [{ line: 9, shard: s(1, 4) }])]), /p4 line 1: a row of shard 1\/4, where p1 line 1 is of shard 1\/3: the parts of one audit share N/);
  assert.throws(() => mergeSaved([...parts, file('whole', [{ line: 9 }])]), /whole line 1: a row of a run without --shard, where p1 line 1 is of shard 1\/3/);
  // Without shards: concatenated; the same domain on two input lines is two rows, given as arguments twice is one.
  assert.equal(mergeSaved([file('a', [{ domain: 'x.example', line: 2 }]), file('b', [{ domain: 'x.example', line: 3 }])]).rows.length, 2);
  assert.throws(() => mergeSaved([file('a', [{ domain: 'x.example', line: null }]), file('b', [{ domain: 'x.example', line: null }])]), /b line 1: the domain x.example is also in a line 1/);
});
