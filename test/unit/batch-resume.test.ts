import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { continueOutput, readDone, ResumeError, type EarlierRow } from '../../src/batch/resume.ts';
import { csvHeader, csvHeaderCells, csvRow } from '../../src/render/csv.ts';
import { ndjsonRow } from '../../src/render/ndjson.ts';
import { SummaryAccumulator } from '../../src/judge/batch-summary.ts';
import type { DomainResult } from '../../src/model/domain.ts';
import { everyKindOfResult, goodResult, invalidResult, mixedResult, readAll } from '../helpers/batch.ts';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mxprobe-resume-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const named = (domain: string, line: number, columns: Record<string, string> = {}): DomainResult => ({ ...goodResult(columns, line), domain, input: domain });
const HOSTILE_INPUTS = ['=cmd|x', 'a,b', 'say "hi"', "'quoted", '-1', 'tab\there', 'bidi\u202eevil', ''];

test('a missing file is an empty start', async () => {
  assert.deepEqual(await readDone('/nonexistent/dir/out.csv', 'csv'), { done: new Set(), validBytes: 0, rows: 0, repeated: new Map(), header: null });
  assert.equal((await readDone('/nonexistent/dir/out.ndjson', 'ndjson')).validBytes, 0);
});

test('CSV: a complete file gives every input line, the header, and its whole length', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'out.csv');
    const extra = ['partner', 'level'];
    const text = csvHeader(extra) + [named('a.example', 2, { partner: 'A, "x"', level: '=1' }), mixedResult({ partner: 'P\nQ' }), named('b.example', 4)].map((r) => csvRow(r, extra)).join('');
    await writeFile(path, text);
    const done = await readDone(path, 'csv');
    assert.deepEqual([...done.done], [2, 3, 4]);
    assert.equal(done.rows, 3);
    assert.equal(done.validBytes, Buffer.byteLength(text));
    assert.deepEqual(done.header?.slice(-3), ['weak_suites', 'partner', 'input_level']);
  });
});

test('CSV: a partial last record (cut anywhere, even inside quotes or between CR and LF) is not counted', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'out.csv');
    const complete = csvHeader(['note']) + csvRow(named('a.example', 2, { note: 'x' }), ['note']);
    const last = csvRow(invalidResult('bad,"name"', 'x', 3, { note: 'y, "z"' }), ['note']);
    for (let cut = 0; cut < last.length; cut++) {
      await writeFile(path, complete + last.slice(0, cut));
      const seen: EarlierRow[] = [];
      const done = await readDone(path, 'csv', (row) => seen.push(row));
      assert.equal(done.validBytes, Buffer.byteLength(complete), `cut at ${cut}`);
      assert.deepEqual([...done.done], [2], `cut at ${cut}`);
      assert.deepEqual(seen.map((r) => r.line), [2], `cut at ${cut}: only complete rows reach the summary`);
    }
    // After truncating to validBytes and appending, the file is whole again.
    await writeFile(path, `${complete}${last.slice(0, 9)}`);
    const done = await readDone(path, 'csv');
    await truncate(path, done.validBytes);
    await appendFile(path, last);
    assert.deepEqual([...(await readDone(path, 'csv')).done], [2, 3]);
    // A header cut short: start again from nothing.
    await writeFile(path, csvHeader([]).slice(0, 20));
    assert.equal((await readDone(path, 'csv')).validBytes, 0);
  });
});

test('rows are keyed by input line: repeated domains and repeated invalid text each keep their own row', async () => {
  // The issue's cases: after one `a..b` row every later one was skipped, and an invalid
  // `k1.example,extra,x,y` hid a valid `k1.example`.
  const input = `domain,p\n${HOSTILE_INPUTS.map((v, i) => `"${v.replace(/"/g, '""')}",${i}`).join('\n')}\na..b,1\nok.example,9\na..b,2\nOK.example.,10\nk1.example,x,y,z\nk1.example,11\n`;
  const { rows } = await readAll(input);
  for (const format of ['csv', 'ndjson'] as const) {
    await withDir(async (dir) => {
      const path = join(dir, `out.${format}`);
      const results = rows.map((row) =>
        row.domain === null ? invalidResult(row.input, row.error ?? '', row.line, row.columns) : named(row.domain, row.line, row.columns),
      );
      await writeFile(path, format === 'csv' ? csvHeader(['p']) + results.map((r) => csvRow(r, ['p'])).join('') : results.map((r) => ndjsonRow(r)).join(''));
      const done = await readDone(path, format);
      assert.deepEqual([...done.done].sort((a, b) => a - b), rows.map((r) => r.line), format);
      assert.equal(done.rows, rows.length);
      assert.equal(done.repeated.size, 0);
      // Half of them written: exactly the other half is left to do.
      const half = results.filter((_, i) => i % 2 === 0);
      await writeFile(path, format === 'csv' ? csvHeader(['p']) + half.map((r) => csvRow(r, ['p'])).join('') : half.map((r) => ndjsonRow(r)).join(''));
      const partial = await readDone(path, format);
      assert.deepEqual(rows.filter((r) => !partial.done.has(r.line)).map((r) => r.line), rows.filter((_, i) => i % 2 === 1).map((r) => r.line), format);
    });
  }
});

test('CSV: records across read boundaries (a 2 MB file)', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'out.csv');
    const rows: string[] = [csvHeader(['pad'])];
    for (let i = 0; i < 12_000; i++) rows.push(csvRow(named(`d${i}.example`, i + 2, { pad: `"${'x'.repeat(i % 300)}, y` }), ['pad']));
    await writeFile(path, rows.join('') + 'd-partial.example,ver');
    const done = await readDone(path, 'csv');
    assert.equal(done.rows, 12_000);
    assert.equal(done.done.size, 12_000);
    assert.ok(done.done.has(12_001) && !done.done.has(12_002));
    assert.equal(done.validBytes, (await stat(path)).size - 'd-partial.example,ver'.length);
  });
});

test('CSV: a file that is not mxprobe output is refused; one from before the line column, or of schema version 1, is refused with its reason', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'notes.csv');
    await writeFile(path, 'name,owner\nAcme,ops\n');
    await assert.rejects(readDone(path, 'csv'), ResumeError);
    await writeFile(path, 'domain,level,required,pass,mx_hosts,addresses,starttls,min_protocol,earliest_expiry,days_left,problems,partner\r\na.example,verify,encrypt,true,,,,,,,,A\r\n');
    await assert.rejects(readDone(path, 'csv'), (err: unknown) => err instanceof ResumeError && /earlier mxprobe \(no "line" column\)/.test(err.message));
    // JSON schema version 1: the line column, but no satisfied column.
    await writeFile(path, 'domain,level,required,pass,mx_hosts,addresses,starttls,min_protocol,earliest_expiry,days_left,problems,line,partner\r\na.example,verify,encrypt,true,,,,,,,,2,A\r\n');
    await assert.rejects(readDone(path, 'csv'), (err: unknown) => err instanceof ResumeError && /earlier mxprobe \(JSON schema version 1: no "satisfied" column\).*start a new output file/.test(err.message));
  });
});

test('CSV: an output of this schema version written before the dnssec, dane, mta_sts and tls_rpt columns is refused with its reason; the new header is continued', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'out.csv');
    // What mxprobe wrote before issue 9: the fixed columns ended with satisfied.
    const before = 'domain,level,required,pass,mx_hosts,addresses,starttls,min_protocol,earliest_expiry,days_left,problems,line,satisfied';
    for (const extra of ['', ',partner']) {
      await writeFile(path, `${before}${extra}\r\na.example,verify,encrypt,true,,,,,,,,2,plain${extra === '' ? '' : ',A'}\r\n`);
      await assert.rejects(
        readDone(path, 'csv'),
        (err: unknown) => err instanceof ResumeError && /earlier mxprobe \(no "dnssec", "dane", "mta_sts" and "tls_rpt" columns\).*start a new output file/.test(err.message),
        JSON.stringify(extra),
      );
    }
    // An old input whose own columns bore the new names: this input writes them as input_…, so
    // the header is not the one this run would write, and the file is left as it was (since
    // issue 10 such a header is also that of an mxprobe before deep_worst_tier, refused as such).
    const lookalike = `${before},dnssec,dane,mta_sts,tls_rpt,partner\r\na.example,verify,encrypt,true,,,,,,,,2,plain,x,y,z,w,A\r\n`;
    await writeFile(path, lookalike);
    await assert.rejects(continueOutput(path, 'csv', ['dnssec', 'dane', 'mta_sts', 'tls_rpt', 'partner'], () => {}), (err: unknown) => err instanceof ResumeError && /other columns|no "deep_worst_tier"/.test(err.message));
    assert.equal(await readFile(path, 'utf8'), lookalike);
    // The header this version writes, with carried columns, is read back and continued.
    const text = csvHeader(['partner']) + csvRow(named('a.example', 2, { partner: 'A' }), ['partner']);
    await writeFile(path, text);
    const done = await readDone(path, 'csv');
    assert.deepEqual([...done.done], [2]);
    assert.deepEqual(done.header, csvHeaderCells(['partner']));
  });
});

test('CSV: header names with control characters or over 1,000 characters read back as csvHeaderCells writes them', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'out.csv');
    const extra = ['tab\there', 'esc\u001b[2J', 'x'.repeat(1500), '=formula', ' @lead', 'line\r\nbreak', 'bidi\u202e'];
    await writeFile(path, csvHeader(extra) + csvRow(named('a.example', 2), extra));
    const done = await readDone(path, 'csv');
    assert.deepEqual(done.header, csvHeaderCells(extra));
    assert.equal(done.header?.[csvHeaderCells([]).length + 2]?.length, 1001, 'cut at 1,000 characters and marked');
  });
});

test('NDJSON: complete lines are rows; a partial or damaged tail is cut', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'out.ndjson');
    const lines = [named('a.example', 2), invalidResult('=x,"y"', 'bad', 5), mixedResult({ p: 'z\u202e' })].map((r) => ndjsonRow(r));
    const complete = lines.join('');
    await writeFile(path, complete);
    let done = await readDone(path, 'ndjson');
    assert.deepEqual([...done.done], [2, 5, 3]);
    assert.equal(done.validBytes, Buffer.byteLength(complete));
    assert.equal(done.header, null);
    for (const tail of [lines[0]?.slice(0, 30) ?? '', '\u0000'.repeat(4096), 'garbage\n', '{"domain": 1}\n\n']) {
      await writeFile(path, complete + tail);
      done = await readDone(path, 'ndjson');
      assert.equal(done.validBytes, Buffer.byteLength(complete), JSON.stringify(tail.slice(0, 20)));
      assert.equal(done.done.size, 3);
    }
    await writeFile(path, 'not json\n' + complete);
    await assert.rejects(readDone(path, 'ndjson'), ResumeError);
  });
});

test('the summary rebuilt from an earlier output equals the summary of its results (NDJSON: all of it; CSV: all but the calendar and the TLS versions)', async () => {
  const results = everyKindOfResult();
  const direct = new SummaryAccumulator();
  for (const r of results) direct.add(r);
  const want = direct.summary();
  assert.ok(want.noMail === 3 && want.invalid === 1 && want.undetermined === 1 && want.fail >= 5 && want.renewals.length > 0, JSON.stringify(want));
  for (const format of ['csv', 'ndjson'] as const) {
    await withDir(async (dir) => {
      const path = join(dir, `out.${format}`);
      await writeFile(path, format === 'csv' ? csvHeader([]) + results.map((r) => csvRow(r, [])).join('') : results.map((r) => ndjsonRow(r)).join(''));
      const rebuilt = new SummaryAccumulator();
      await readDone(path, format, (row) => {
        rebuilt.addRecorded(row.record);
        if (row.result !== null) rebuilt.addFacts(row.result);
      });
      const got = rebuilt.summary();
      if (format === 'ndjson') assert.deepEqual(got, want);
      else assert.deepEqual({ ...got, renewals: want.renewals, tlsVersions: want.tlsVersions }, want);
      assert.deepEqual(rebuilt.counts, direct.counts, format);
    });
  }
});

test('NDJSON rows say their schema version first; a file of schema version 1 (or another) is refused with its reason, never appended to', async () => {
  const row = ndjsonRow(named('a.example', 2));
  assert.match(row, /^\{"schemaVersion":2,"domain":"a\.example",/);
  await withDir(async (dir) => {
    const path = join(dir, 'out.ndjson');
    const { schemaVersion: _v, ...v1 } = JSON.parse(row);
    await writeFile(path, `${JSON.stringify(v1)}\n`);
    await assert.rejects(readDone(path, 'ndjson'), (err: unknown) => err instanceof ResumeError && /earlier mxprobe \(JSON schema version 1\).*start a new output file/.test(err.message));
    await writeFile(path, `${JSON.stringify({ ...v1, schemaVersion: 3 })}\n`);
    await assert.rejects(readDone(path, 'ndjson'), (err: unknown) => err instanceof ResumeError && /JSON schema version 3/.test(err.message));
    // A version-1 row after version-2 ones: the file is mixed, not continued.
    await writeFile(path, `${row}${JSON.stringify({ ...v1, source: { line: 3, columns: {} } })}\n`);
    await assert.rejects(readDone(path, 'ndjson'), ResumeError);
    await writeFile(path, row);
    assert.deepEqual([...(await readDone(path, 'ndjson')).done], [2]);
  });
});
