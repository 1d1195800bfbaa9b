import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDone, resumeKey, ResumeError } from '../../src/batch/resume.ts';
import { csvHeader, csvRow } from '../../src/render/csv.ts';
import { ndjsonRow } from '../../src/render/ndjson.ts';
import type { DomainResult } from '../../src/model/result.ts';
import { goodResult, invalidResult, mixedResult, readAll } from '../helpers/batch.ts';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mxprobe-resume-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const named = (domain: string, columns: Record<string, string> = {}): DomainResult => ({ ...goodResult(columns), domain, input: domain });
const HOSTILE_INPUTS = ['=cmd|x', 'a,b', 'say "hi"', "'quoted", '-1', 'tab\there', 'bidi\u202eevil', ''];

test('a missing file is an empty start', async () => {
  assert.deepEqual(await readDone('/nonexistent/dir/out.csv', 'csv'), { done: new Set(), validBytes: 0, rows: 0, repeated: new Map(), header: null });
  assert.equal((await readDone('/nonexistent/dir/out.ndjson', 'ndjson')).validBytes, 0);
});

test('CSV: a complete file gives every key, the header, and its whole length', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'out.csv');
    const extra = ['partner', 'level'];
    const text = csvHeader(extra) + [named('a.example', { partner: 'A, "x"', level: '=1' }), mixedResult({ partner: 'P\nQ' }), named('b.example')].map((r) => csvRow(r, extra)).join('');
    await writeFile(path, text);
    const done = await readDone(path, 'csv');
    assert.deepEqual([...done.done], ['a.example', 'partner.example', 'b.example']);
    assert.equal(done.rows, 3);
    assert.equal(done.validBytes, Buffer.byteLength(text));
    assert.deepEqual(done.header?.slice(-2), ['partner', 'input_level']);
  });
});

test('CSV: a partial last record (cut anywhere, even inside quotes or between CR and LF) is not counted', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'out.csv');
    const complete = csvHeader(['note']) + csvRow(named('a.example', { note: 'x' }), ['note']);
    const last = csvRow(invalidResult('bad,"name"', 'x', 3, { note: 'y, "z"' }), ['note']);
    for (let cut = 0; cut < last.length; cut++) {
      await writeFile(path, complete + last.slice(0, cut));
      const done = await readDone(path, 'csv');
      assert.equal(done.validBytes, Buffer.byteLength(complete), `cut at ${cut}`);
      assert.deepEqual([...done.done], ['a.example'], `cut at ${cut}`);
    }
    // After truncating to validBytes and appending, the file is whole again.
    await writeFile(path, `${complete}${last.slice(0, 9)}`);
    const done = await readDone(path, 'csv');
    await truncate(path, done.validBytes);
    await appendFile(path, last);
    assert.deepEqual([...(await readDone(path, 'csv')).done], ['a.example', 'bad,"name"']);
    // A header cut short: start again from nothing.
    await writeFile(path, csvHeader([]).slice(0, 20));
    assert.equal((await readDone(path, 'csv')).validBytes, 0);
  });
});

test('CSV: quoted and formula-escaped first cells are undone; keys match resumeKey of the input rows', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'out.csv');
    const input = `domain,p\n${HOSTILE_INPUTS.map((v, i) => `"${v.replace(/"/g, '""')}",${i}`).join('\n')}\nok.example,9\nOK.example.,10\n`;
    const { rows } = await readAll(input);
    const results = rows.map((row) => (row.domain === null ? invalidResult(row.input, row.error ?? '', row.line, row.columns) : named(row.domain, row.columns)));
    await writeFile(path, csvHeader(['p']) + results.map((r) => csvRow(r, ['p'])).join(''));
    const done = await readDone(path, 'csv');
    for (const row of rows) assert.ok(done.done.has(resumeKey(row, 'csv')), JSON.stringify(row.input));
    assert.equal(done.rows, rows.length);
    assert.ok(done.done.has('=cmd|x') && done.done.has('say "hi"') && done.done.has("'quoted") && done.done.has('tab\\x09here'));
    assert.deepEqual(done.repeated, new Map([['ok.example', 2]]));
  });
});

test('CSV: records across read boundaries (a 2 MB file)', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'out.csv');
    const rows: string[] = [csvHeader(['pad'])];
    for (let i = 0; i < 12_000; i++) rows.push(csvRow(named(`d${i}.example`, { pad: `"${'x'.repeat(i % 300)}, y` }), ['pad']));
    await writeFile(path, rows.join('') + 'd-partial.example,ver');
    const done = await readDone(path, 'csv');
    assert.equal(done.rows, 12_000);
    assert.equal(done.done.size, 12_000);
    assert.ok(done.done.has('d11999.example') && !done.done.has('d-partial.example'));
    assert.equal(done.validBytes, (await stat(path)).size - 'd-partial.example,ver'.length);
  });
});

test('CSV: a file that is not mxprobe output is refused', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'notes.csv');
    await writeFile(path, 'name,owner\nAcme,ops\n');
    await assert.rejects(readDone(path, 'csv'), ResumeError);
  });
});

test('NDJSON: complete lines are keys; a partial or damaged tail is cut; invalid rows are keyed by input', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'out.ndjson');
    const lines = [named('a.example'), invalidResult('=x,"y"', 'bad'), mixedResult({ p: 'z\u202e' })].map((r) => ndjsonRow(r));
    const complete = lines.join('');
    await writeFile(path, complete);
    let done = await readDone(path, 'ndjson');
    assert.deepEqual([...done.done], ['a.example', '=x,"y"', 'partner.example']);
    assert.equal(done.validBytes, Buffer.byteLength(complete));
    assert.equal(done.header, null);
    for (const tail of [lines[0]?.slice(0, 30) ?? '', '\u0000'.repeat(4096), 'garbage\n', '{"domain": 1}\n\n']) {
      await writeFile(path, complete + tail);
      done = await readDone(path, 'ndjson');
      assert.equal(done.validBytes, Buffer.byteLength(complete), JSON.stringify(tail.slice(0, 20)));
      assert.equal(done.done.size, 3);
    }
    assert.equal(resumeKey({ domain: null, input: '=x,"y"' }, 'ndjson'), '=x,"y"');
    await writeFile(path, 'not json\n' + complete);
    await assert.rejects(readDone(path, 'ndjson'), ResumeError);
  });
});
