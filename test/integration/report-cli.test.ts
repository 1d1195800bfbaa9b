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
    for (const [flag, value] of [['--at', 'tomorrow'], ['--at', '2027-13-45'], ['--at', '2027-01-31T12:00:00'], ['--days-ahead', '-1'], ['--warn-days', 'x']]) {
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
      [
        'deep facts of no shape a renderer knows',
        ndjsonRow({ ...goodResult(), mx: [{ ...goodResult().mx[0]!, addresses: [{ ...goodResult().mx[0]!.addresses[0]!, deep: {} as never }] }] }),
        /line 1: a field of a shape mxprobe does not write: cannot be reported \(/,
      ],
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

describe('mxprobe diff', () => {
  test('the monthly audit: exit 1 on a regression, 0 without; text, JSON and an HTML file', async () => {
    const jan = file('jan.ndjson', ndjson([goodResult({ id: 'P-1' }, 2), { ...mixedResult({ id: 'P-2' }) }]));
    const same = await runCli(['diff', jan, jan]);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(same.stdout, 'no change; 2 rows in OLD, 2 in NEW\n');
    const worse = { ...mixedResult({ id: 'P-1' }), domain: 'example.com', input: 'example.com', source: { line: 2, columns: { id: 'P-1' } } };
    const feb = file('feb.ndjson', ndjson([worse, { ...mixedResult({ id: 'P-2' }) }]));
    const text = await runCli(['diff', jan, feb]);
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, /^Regressions: passed in OLD, not in NEW \(1\)\n {2}example\.com {2}pass → fail\n/);
    const json = await runCli(['diff', jan, feb, '--json', '--key', 'id']);
    assert.equal(json.code, 1);
    assert.equal(json.json().format, 'mxprobe-diff');
    assert.deepEqual(json.json().key, { column: 'id' });
    assert.equal(json.json().changes[0].key, 'P-1');
    const better = await runCli(['diff', feb, jan]);
    assert.equal(better.code, 0, 'better only: no regression');
    assert.match(better.stdout, /^Better \(/m);
    const page = path.join(dir, 'changes.html');
    const html = await runCli(['diff', jan, feb, '--format', 'html', '--output', page]);
    assert.equal(html.code, 1);
    assert.equal(html.stdout, '');
    const { readFileSync } = await import('node:fs');
    assert.match(readFileSync(page, 'utf8'), /^<!DOCTYPE html>[\s\S]*Regressions: passed in OLD, not in NEW \(1\)/);
  });

  test('bad input: one line and exit 2 (a missing file, a hostile file, a --key column the rows lack or repeat)', async () => {
    const jan = file('jan2.ndjson', ndjson([goodResult({ id: 'P-1' }, 2), goodResult({ id: 'P-1' }, 3)]));
    const cases: Array<[string[], RegExp]> = [
      [['diff', jan, path.join(dir, 'missing.ndjson')], /^mxprobe: cannot read .*missing\.ndjson: ENOENT\n$/],
      [['diff', jan, file('garbage.ndjson', '\u001b[2J<html>\n')], /^mxprobe: .*garbage\.ndjson line 1: not JSON/],
      [['diff', jan, jan, '--key', 'partner'], /line 1: no input column "partner" to match rows by \(--key\)\n$/],
      [['diff', jan, jan, '--key', 'id'], /line 2: "P-1" of --key "id" is also on line 1: --key needs a column that names one row\n$/],
      [['diff', jan, jan, '--warn-days', 'soon'], /^mxprobe: --warn-days must be a whole number/],
      [['diff', jan], /missing required argument 'new'/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.split('\n').length, 2, 'one line');
      assert.ok(!run.stderr.includes('\u001b'), 'no raw escape');
    }
    // A domain on two rows (two partners) is compared once, with a warning.
    const twice = await runCli(['diff', jan, jan]);
    assert.equal(twice.code, 0);
    assert.match(twice.stderr, /^mxprobe: warning: .*jan2\.ndjson: 1 row names a domain an earlier row names: compared once by domain/);
  });
});
