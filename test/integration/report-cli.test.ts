// `mxprobe report FILE…` through the real CLI: saved results re-rendered (JSON round trip),
// judged again (--at, --days-ahead), merged (shards, duplicates), exit codes and one-line
// errors for hostile files.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { everyKindOfResult, goodResult, mixedResult, undeterminedResult } from '../helpers/batch.ts';
import { ndjsonRow } from '../../src/render/ndjson.ts';
import { renderJson } from '../../src/render/json.ts';
import { rejudge } from '../../src/saved/facts-of.ts';
import type { DomainResult } from '../../src/model/domain.ts';
import { NOW } from '../helpers/facts.ts';
import { readCsvFile } from '../helpers/batch.ts';

let dir: string;
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const ndjson = (results: readonly DomainResult[]) => results.map((r) => ndjsonRow(r, { transcript: true })).join('');
const asJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-report-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('mxprobe report', () => {
  test('round trip: JSON in, report --format json out: the same results (facts and judgement)', async () => {
    const results = everyKindOfResult();
    const many = await runCli(['report', file('all.json', renderJson(results)), '--format', 'json']);
    assert.equal(many.code, 1, many.stderr);
    assert.deepStrictEqual(many.json().domains, asJson(results));
    assert.match(many.stderr, /^Summary\n {2}domains {3}9 from 1 saved file\n/, 'the batch summary on stderr, JSON on stdout');
    const one = await runCli(['report', file('one.ndjson', ndjson([goodResult()])), '--json']);
    assert.equal(one.code, 0, one.stderr);
    assert.deepStrictEqual(one.json(), asJson({ schemaVersion: 2, domains: [goodResult()] }));
    assert.equal(one.stderr, '', 'one domain: no summary');
    // NDJSON out equals NDJSON in, byte for byte.
    const lines = ndjson(results);
    const again = await runCli(['report', file('all.ndjson', lines), '--format', 'ndjson', '--quiet']);
    assert.equal(again.stdout, lines);
    assert.equal(again.stderr, '');
  });

  test('--at and --days-ahead judge the saved facts again; --warn-days alone as of each row\'s probe', async () => {
    const results = [goodResult({}, 2), mixedResult()];
    const saved = file('two.ndjson', ndjson(results));
    const at = new Date(NOW.getTime() + 70 * 86_400_000);
    const run = await runCli(['report', saved, '--format', 'json', '--at', at.toISOString()]);
    assert.equal(run.code, 1);
    const expected = results.map((r) => asJson(rejudge(asJson(r), { now: at, warnDays: 30 })));
    assert.deepStrictEqual(run.json().domains, expected);
    const leaf = run.json().domains[0].mx[0].addresses[0].certificate;
    assert.equal(leaf.expired, true, 'the 60-day certificate has expired 70 days on');
    assert.match(run.stderr, /judged as of 2026-08-10T12:00:00Z/);
    const ahead = await runCli(['report', saved, '--format', 'json', '--at', '2026-06-01T12:00:00Z', '--days-ahead', '70', '-q']);
    assert.deepStrictEqual(ahead.json().domains, expected, '--days-ahead counts from --at');
    const warn = await runCli(['report', saved, '--format', 'json', '--warn-days', '90', '-q']);
    const codes = warn.json().domains[0].mx[0].addresses[0].problems.map((p: { code: string }) => p.code);
    assert.deepEqual(codes, ['CERT_EXPIRES_SOON'], 'judged as of its probe, with 90 warning days');
    for (const [flag, value] of [['--at', 'tomorrow'], ['--at', '2027-13-45'], ['--days-ahead', '-1'], ['--warn-days', 'x']]) {
      const bad = await runCli(['report', saved, flag!, value!]);
      assert.equal(bad.code, 2, `${flag} ${value}`);
      assert.match(bad.stderr, new RegExp(`^mxprobe: ${flag} must be `));
    }
  });

  test('exit codes as the probe\'s: 0 all pass, 1 one fails, 3 undetermined and none failed', async () => {
    assert.equal((await runCli(['report', file('pass.ndjson', ndjson([goodResult({}, 2), goodResult({}, 3)])), '-q'])).code, 0);
    assert.equal((await runCli(['report', file('fail.ndjson', ndjson([goodResult({}, 2), mixedResult()])), '-q'])).code, 1);
    assert.equal((await runCli(['report', file('undetermined.ndjson', ndjson([goodResult({}, 2), undeterminedResult()])), '-q'])).code, 3);
  });

  test('several files are one audit; CSV carries the union of their input columns, in the order first seen', async () => {
    const a = file('a.ndjson', ndjson([goodResult({ partner: 'Acme', ticket: 'T-1' }, 2)]));
    const b = file('b.ndjson', ndjson([{ ...mixedResult({ partner: 'Beta', region: 'EU' }) }]));
    const out = path.join(dir, 'merged.csv');
    const run = await runCli(['report', a, b, '--format', 'csv', '--output', out, '-q']);
    assert.equal(run.code, 1, run.stderr);
    const csv = await readCsvFile(out);
    assert.deepEqual(csv.header.extraColumns.slice(-3), ['partner', 'ticket', 'region']);
    assert.deepEqual(csv.rows.map((r) => [r.domain, r.columns.partner, r.columns.ticket ?? '', r.columns.region ?? '']), [
      ['example.com', 'Acme', 'T-1', ''],
      ['partner.example', 'Beta', '', 'EU'],
    ]);
    const twice = await runCli(['report', a, a]);
    assert.equal(twice.code, 2);
    assert.equal(twice.stderr, `mxprobe: ${a} line 1: the input row of line 2 (example.com) is also in ${a} line 1: a file given twice, or outputs of overlapping runs?\n`);
    const over = await runCli(['report', a, '--output', a]);
    assert.equal(over.code, 2);
    assert.match(over.stderr, /is the saved file .*a\.ndjson: writing it would destroy it/);
  });

  test('hostile files: one line naming the file and the line, exit 2, never a stack trace; terminal controls in what is quoted are neutralised', async () => {
    const good = ndjsonRow(goodResult());
    const evil = '\u001b[31mred\u202eevil';
    const hostile: Array<[string, string, RegExp]> = [
      ['garbage', 'this is not json\n', /line 1: not JSON/],
      ['wrong schema', good.replace('"schemaVersion":2', '"schemaVersion":7'), /line 1: schemaVersion 7, this mxprobe reads 2/],
      ['missing field', `${good}${good.replace(/"outcome":"probed",/, '')}`, /line 2: outcome: missing/],
      ['a huge line', `${good}{"domain":"${'x'.repeat(10 * 1024 * 1024)}"}\n`, /line 2: longer than 8 MiB/],
      ['duplicate with a hostile domain', `${ndjsonRow({ ...goodResult(), domain: evil, input: evil })}${ndjsonRow({ ...goodResult(), domain: evil, input: evil })}`, /line 2: the input row of line 2 \(.*red.*evil\) is also in/],
      ['empty', '', /no result in /],
    ];
    for (const [name, text, message] of hostile) {
      const run = await runCli(['report', file(`hostile-${name.replace(/ /g, '-')}.ndjson`, text)]);
      assert.equal(run.code, 2, `${name}: ${run.stderr}`);
      assert.match(run.stderr, message, name);
      assert.equal(run.stderr.split('\n').length, 2, `${name}: one line`);
      assert.ok(!/[\u001b\u202e]/.test(run.stderr), `${name}: no raw escape or bidi override`);
      assert.ok(!/\n\s+at /.test(run.stderr), `${name}: no stack trace`);
      assert.equal(run.stdout, '', `${name}: nothing written`);
    }
    // A run killed while writing: the cut last line is skipped with a warning, the rest reported.
    const lines = ndjson([goodResult({}, 2), goodResult({}, 3), goodResult({}, 4)]);
    const killed = await runCli(['report', file('killed.ndjson', lines.slice(0, -100)), '--format', 'ndjson', '-q']);
    assert.equal(killed.code, 0);
    assert.equal(killed.stdout.trim().split('\n').length, 2);
    assert.match(killed.stderr, /^mxprobe: warning: .*killed\.ndjson line 3: the last line is cut short \(a run killed while writing\?\): skipped; the 2 rows before it are read\n$/);
  });

  test('standard input, once; an output that cannot be written is 74', async () => {
    const lines = ndjson([goodResult({}, 2), goodResult({}, 3)]);
    const fromStdin = await runCli(['report', '-', '--format', 'ndjson', '-q'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      onStart: (child) => child.stdin!.end(lines),
    });
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.equal(fromStdin.stdout, lines);
    const twice = await runCli(['report', '-', '-']);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /can be read only once/);
    const full = await runCli(['report', file('full.ndjson', lines), '--output', '/dev/full', '-q']);
    assert.equal(full.code, 74);
    assert.match(full.stderr, /^mxprobe: cannot write --output \/dev\/full: ENOSPC/);
  });
});
