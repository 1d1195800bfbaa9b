import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countRecords, InputError, MAX_RECORD_CHARS, openInput } from '../../src/batch/read-input.ts';
import { chunks, gc, readAll } from '../helpers/batch.ts';

const pick = (rows: Array<{ line: number; domain: string | null; error: string | null }>) =>
  rows.map((r) => [r.line, r.domain, r.error === null ? null : 'error']);

test('CSV: quoted fields with commas, doubled quotes and line breaks; line numbers count physical lines', async () => {
  const { header, rows } = await readAll(
    'domain,partner,notes\n' +
      'a.example,"Acme, Inc.","say ""hi"""\n' +
      'b.example,"Two\nline\r\nname",x\n' +
      'c.example,C,"tail, with ""quotes"", and\na break"\n' +
      'd.example,D,\n',
  );
  assert.deepEqual(header, { kind: 'csv', domainColumn: 'domain', extraColumns: ['partner', 'notes'] });
  assert.deepEqual(pick(rows), [
    [2, 'a.example', null],
    [3, 'b.example', null],
    [6, 'c.example', null],
    [8, 'd.example', null],
  ]);
  assert.deepEqual(rows[0]?.columns, { partner: 'Acme, Inc.', notes: 'say "hi"' });
  assert.deepEqual(rows[1]?.columns, { partner: 'Two\nline\r\nname', notes: 'x' });
  assert.deepEqual(rows[2]?.columns, { partner: 'C', notes: 'tail, with "quotes", and\na break' });
  assert.deepEqual(rows[3]?.columns, { partner: 'D', notes: '' });
});

test('CSV: UTF-8 BOM, CRLF, blank lines and all-empty spreadsheet rows, even split across chunks', async () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const text = 'Domain,Partner\r\n\r\na.example,Å\r\n,\r\n   \r\n"",""\r\nb.example,B\r\n\r\n';
  const whole = await readAll(Buffer.concat([bom, Buffer.from(text)]));
  assert.equal(whole.header.domainColumn, 'Domain');
  assert.deepEqual(pick(whole.rows), [
    [3, 'a.example', null],
    [7, 'b.example', null],
  ]);
  assert.equal(whole.rows[0]?.columns.Partner, 'Å');
  // The same bytes one at a time: BOM, CRLF and the two bytes of Å each split.
  const bytes = Buffer.concat([bom, Buffer.from(text)]);
  const split = await readAll(...[...bytes].map((b) => Buffer.from([b])));
  assert.deepEqual(split, whole);
  // A BOM in string input is dropped too.
  assert.deepEqual((await readAll(`\ufeff${text}`)).rows, whole.rows);
});

test('CSV: lone CR ends lines (old Mac files)', async () => {
  const { rows } = await readAll('domain,x\ra.example,1\rb.example,"2\r3"\rc.example,4');
  assert.deepEqual(pick(rows), [
    [2, 'a.example', null],
    [3, 'b.example', null],
    [5, 'c.example', null],
  ]);
  assert.equal(rows[1]?.columns.x, '2\r3');
});

test('CSV: a file without a domain or email column is unusable', async () => {
  await assert.rejects(readAll('name,owner\nAcme,ops\n'), (err: unknown) => err instanceof InputError && /no "domain" or "email" column \(found "name", "owner"\)/.test(err.message));
  // A list whose first line has a comma is read as a CSV header, and says so.
  await assert.rejects(readAll('a.example, b.example\n'), /no "domain" or "email" column.*plain list/);
});

test('CSV: duplicate header names (case-insensitive, trimmed) are unusable', async () => {
  await assert.rejects(readAll('domain,owner, Owner \na.example,x,y\n'), (err: unknown) => err instanceof InputError && /names the column "Owner" twice/.test(err.message));
  await assert.rejects(readAll('Domain,DOMAIN\na.example,b.example\n'), /names the column "DOMAIN" twice/);
});

test('CSV: empty header names become column_N', async () => {
  const { header, rows } = await readAll('domain,,partner,\na.example,1,P,2\n');
  assert.deepEqual(header.extraColumns, ['column_2', 'partner', 'column_4']);
  assert.deepEqual(rows[0]?.columns, { column_2: '1', partner: 'P', column_4: '2' });
});

test('CSV: an email column gives the domain and is carried (the address is kept); domain is preferred and email then carried', async () => {
  const byEmail = await readAll('Name,E-Mail,EMAIL\nA,x,ops@Bücher.Example.\n');
  assert.equal(byEmail.header.domainColumn, 'EMAIL');
  assert.deepEqual(byEmail.header.extraColumns, ['Name', 'E-Mail', 'EMAIL']);
  assert.equal(byEmail.rows[0]?.domain, 'xn--bcher-kva.example');
  assert.equal(byEmail.rows[0]?.input, 'ops@Bücher.Example.');
  assert.deepEqual(byEmail.rows[0]?.columns, { Name: 'A', 'E-Mail': 'x', EMAIL: 'ops@Bücher.Example.' });
  const both = await readAll('email,domain\nops@a.example,b.example\n');
  assert.equal(both.header.domainColumn, 'domain');
  assert.equal(both.rows[0]?.domain, 'b.example');
  assert.deepEqual(both.header.extraColumns, ['email']);
});

test('CSV: the require column names sender policies as --require does, case-insensitive, several quoted; empty is null; unknown values make the row invalid', async () => {
  const { header, rows } = await readAll('domain,REQUIRE,p\na.example, Verify ,1\nb.example,,2\nc.example,tlsa,3\nd.example,encrypt\ne.example,"b, D",5\nf.example,TLS-Required,6\ng.example,"c,",7\nh.example,"MTA-STS, dane",8\n');
  assert.deepEqual(header.extraColumns, ['p']);
  assert.deepEqual(
    rows.map((r) => [r.domain, r.required]),
    [
      ['a.example', ['verify']],
      ['b.example', null],
      [null, null],
      ['d.example', ['tls-required']],
      ['e.example', ['opportunistic', 'verify']],
      ['f.example', ['tls-required']],
      [null, null],
      ['h.example', ['dane', 'mta-sts']],
    ],
  );
  assert.equal(rows[2]?.input, 'c.example');
  assert.match(rows[2]?.error ?? '', /unknown requirement "tlsa" \(use none, encrypt, verify, a–f, plain, opportunistic, tls-required, dane, mta-sts; several comma-separated\)/);
  assert.deepEqual(rows[2]?.columns, { p: '3' });
  assert.match(rows[6]?.error ?? '', /unknown requirement "c,"/);
  // A semicolon CSV needs no quotes for several.
  const semi = await readAll('domain;require\na.example;b,d\n');
  assert.deepEqual(semi.rows[0]?.required, ['opportunistic', 'verify']);
});

test('CSV: carried columns are kept exactly (spaces, unicode, formulas, __proto__)', async () => {
  const { rows } = await readAll('domain,__proto__,note,formula\n a.example ,  spaced  ,"Grüße, 你好 ✓ \u202e",=SUM(A1:A2)\n');
  const row = rows[0];
  assert.ok(row);
  assert.equal(row.input, 'a.example');
  assert.equal(row.domain, 'a.example');
  assert.deepEqual(Object.keys(row.columns), ['__proto__', 'note', 'formula']);
  assert.equal(row.columns.__proto__, '  spaced  ');
  assert.equal(Object.getPrototypeOf(row.columns), Object.prototype);
  assert.equal(row.columns.note, 'Grüße, 你好 ✓ \u202e');
  assert.equal(row.columns.formula, '=SUM(A1:A2)');
});

test('CSV: ragged rows: missing fields are empty, extra blank fields ignored, extra values warn but a valid domain is kept', async () => {
  const { rows } = await readAll('domain,partner,owner\na.example\nb.example,B,O,,\nc.example,Acme, Inc.,ops\nbad..name,Acme, Inc.,ops\n');
  assert.deepEqual(rows[0]?.columns, { partner: '', owner: '' });
  assert.equal(rows[0]?.domain, 'a.example');
  assert.equal(rows[1]?.domain, 'b.example');
  assert.equal(rows[0]?.warning, null);
  assert.equal(rows[1]?.warning, null, 'trailing blank fields are no doubt');
  assert.equal(rows[2]?.domain, 'c.example');
  assert.equal(rows[2]?.error, null);
  assert.match(rows[2]?.warning ?? '', /^4 fields where the header has 3 \(a value with an unquoted comma\?\): its other cells may be shifted$/);
  assert.deepEqual(rows[2]?.columns, { partner: 'Acme', owner: ' Inc.' });
  assert.equal(rows[3]?.domain, null, 'an invalid domain stays invalid');
  assert.match(rows[3]?.error ?? '', /4 fields where the header has 3 .*; /);
  assert.equal(rows[3]?.warning, null);
});

test('CSV: a shifted row whose require cell then names no policy keeps its domain; the default applies and the warning says why', async () => {
  const { rows } = await readAll('domain,partner,require\nc.example,Acme, Inc.,verify\nd.example,Acme,verify,extra\ne.example,Acme,tlsa\n');
  assert.equal(rows[0]?.domain, 'c.example');
  assert.equal(rows[0]?.required, null);
  assert.match(rows[0]?.warning ?? '', /its require cell "Inc\." names no sender policy, so the default applies/);
  assert.equal(rows[1]?.domain, 'd.example');
  assert.deepEqual(rows[1]?.required, ['verify']);
  assert.match(rows[1]?.warning ?? '', /4 fields where the header has 3/);
  assert.equal(rows[2]?.domain, null, 'an unshifted row with a bad require is still invalid');
});

test('CSV: bad rows never abort the stream', async () => {
  const { rows } = await readAll('domain,p\nbad..name,1\n,2\n192.0.2.1,3\n#x.example,4\n"a.example"junk,5\nok.example,6\n');
  assert.deepEqual(pick(rows), [
    [2, null, 'error'],
    [3, null, 'error'],
    [4, null, 'error'],
    [5, null, 'error'],
    [6, null, 'error'],
    [7, 'ok.example', null],
  ]);
  assert.equal(rows[1]?.error, 'empty domain');
  assert.match(rows[2]?.error ?? '', /IP address/);
  assert.match(rows[4]?.error ?? '', /text after the closing quote/);
  assert.deepEqual(rows[1]?.columns, { p: '2' });
});

test('CSV: a quote never closed is one invalid row naming its lines', async () => {
  const { rows } = await readAll('domain,p\na.example,1\nb.example,"oops\nc.example,3\nd.example,4\n');
  assert.deepEqual(pick(rows), [
    [2, 'a.example', null],
    [3, null, 'error'],
  ]);
  assert.equal(rows[1]?.input, 'b.example');
  assert.match(rows[1]?.error ?? '', /the quote opened on line 3 is never closed: lines 3-5 were read as one field/);
});

test('CSV: a record longer than the bound is an invalid row, and reading resumes at the next line', async () => {
  const huge = 'x'.repeat(MAX_RECORD_CHARS + 10);
  // An unclosed quote followed by more than MAX_RECORD_CHARS of input, fed in small pieces.
  const text = `domain,p\na.example,"open\n${'filler.example,1\n'.repeat(5000)}z.example,9\n`;
  const pieces = text.match(/[^]{1,1000}/g) ?? [];
  const { rows } = await readAll(...pieces);
  assert.equal(rows[0]?.line, 2);
  assert.equal(rows[0]?.input, 'a.example');
  assert.equal(rows[0]?.domain, null);
  assert.match(rows[0]?.error ?? '', /record longer than 65536 characters/);
  // At most MAX_RECORD_CHARS of input (~3,900 lines here) is lost; the rows after the resync are read.
  const after = rows.slice(1);
  assert.ok(after.length > 1000 && after.length < 5000, `${after.length} rows after the resync`);
  assert.ok(after.every((r) => r.error === null));
  assert.equal(after[0]?.line, 5003 - after.length + 1);
  assert.equal(rows.at(-1)?.domain, 'z.example');
  assert.equal(rows.at(-1)?.line, 5003);
  // An overlong unquoted field and an overlong list line.
  const long = await readAll(`domain\n${huge}\nb.example\n`);
  assert.deepEqual(pick(long.rows), [
    [2, null, 'error'],
    [3, 'b.example', null],
  ]);
  const list = await readAll(`a.example\n${huge}\r\nb.example\n`);
  assert.deepEqual(pick(list.rows), [
    [1, 'a.example', null],
    [2, null, 'error'],
    [3, 'b.example', null],
  ]);
});

test('semicolon- and tab-separated files are read when the header names the domain column', async () => {
  const semi = await readAll('Domain;Partner\na.example;Acme, Inc.\n');
  assert.deepEqual(semi.header, { kind: 'csv', domainColumn: 'Domain', extraColumns: ['Partner'] });
  assert.deepEqual(semi.rows[0]?.columns, { Partner: 'Acme, Inc.' });
  const tab = await readAll('partner\temail\nAcme\tops@a.example\n');
  assert.equal(tab.rows[0]?.domain, 'a.example');
});

test('a single-column CSV (header "domain", quoted or not) is a CSV, not a list entry', async () => {
  for (const head of ['domain', '"Domain"', 'EMAIL']) {
    const { header, rows } = await readAll(`${head}\na.example\n`);
    assert.equal(header.kind, 'csv');
    assert.deepEqual(pick(rows), [[2, 'a.example', null]]);
  }
});

test('plain list: comments, blank lines, addresses, IDN, invalid entries; leading comments before a CSV header', async () => {
  const { header, rows } = await readAll('# partners\n\n  example.com  \n\t# not this\nops@Bücher.example\r\n192.0.2.1\nno_such..\nlast.example');
  assert.deepEqual(header, { kind: 'list', domainColumn: null, extraColumns: [] });
  assert.deepEqual(pick(rows), [
    [3, 'example.com', null],
    [5, 'xn--bcher-kva.example', null],
    [6, null, 'error'],
    [7, null, 'error'],
    [8, 'last.example', null],
  ]);
  assert.equal(rows[0]?.input, 'example.com');
  assert.deepEqual(rows[0]?.columns, {});
  const csv = await readAll('# exported 2026-06-01\n\ndomain,p\na.example,1\n');
  assert.equal(csv.header.kind, 'csv');
  assert.deepEqual(pick(csv.rows), [[4, 'a.example', null]]);
});

test('empty input is an empty list; UTF-16 and unreadable files are unusable', async () => {
  assert.deepEqual(await readAll(''), { header: { kind: 'list', domainColumn: null, extraColumns: [] }, rows: [] });
  assert.deepEqual((await readAll('\n# only comments\r\n\n')).rows, []);
  await assert.rejects(readAll(Buffer.from('\ufeffdomain\n', 'utf16le')), (err: unknown) => err instanceof InputError && /UTF-16/.test(err.message));
  await assert.rejects(openInput(createReadStream('/nonexistent/partners.csv')), (err: unknown) => err instanceof InputError && /cannot read the input: ENOENT/.test(err.message));
});

test('stopping early closes the source', async () => {
  let closed = false;
  async function* source() {
    try {
      yield 'domain\n';
      for (let i = 0; ; i++) yield `d${i}.example\n`;
    } finally {
      closed = true;
    }
  }
  const { rows } = await openInput(source());
  let n = 0;
  for await (const _row of rows) if (++n === 3) break;
  assert.equal(closed, true);
});

test('countRecords counts what openInput returns (list, CSV with multi-line fields, CRLF, BOM)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mxprobe-count-'));
  try {
    const files: Record<string, string> = {
      'list.txt': '# c\n\na.example\n  # d\nb.example\r\nbad..x\nlast.example',
      'data.csv': '\ufeff# exported\r\nDomain,Notes\r\na.example,"x\r\ny, z"\r\n\r\n,,\r\nb.example,\r\nbad..,"q ""w"""\r\n#c.example,1',
      'empty.csv': '',
      'semi.csv': 'domain;p\na.example;1\n;\n',
    };
    // And random well-formed CSVs: quoted fields with commas, quotes and breaks, blank lines, CRLF / LF / CR.
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const atoms = ['a.example', 'bad..x', '', ' ', '#c', 'x@b.example', '"q, ""r""\n s"', '"\r\n"', '""', 'Grüße'];
    for (let f = 0; f < 30; f++) {
      const eol = ['\n', '\r\n', '\r'][random(3)] ?? '\n';
      const records = ['domain,p'];
      for (let r = random(40); r > 0; r--) records.push(random(5) === 0 ? '' : `${atoms[random(atoms.length)]},${atoms[random(atoms.length)]}`);
      files[`random-${f}.csv`] = records.join(eol) + (random(2) === 0 ? eol : '');
    }
    for (const [name, text] of Object.entries(files)) {
      const path = join(dir, name);
      await writeFile(path, text);
      const { rows } = await openInput(createReadStream(path));
      let n = 0;
      for await (const _row of rows) n++;
      assert.equal(await countRecords(path), n, name);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('200,000 rows stream through in constant memory', async () => {
  const ROWS = 200_000;
  function* generate(): Generator<string> {
    yield '\ufeffdomain,partner,owner,require,notes\r\n';
    let batch = '';
    for (let i = 0; i < ROWS; i++) {
      const notes = i % 10 === 0 ? `"multi\r\nline, ""quoted"" ${i}"` : `n${i}`;
      const domain = i % 1000 === 999 ? 'bad..example' : `host-${i}.example${i % 3 === 0 ? '.' : ''}`;
      batch += `${domain},Partner ${i},=owner${i},${i % 2 === 0 ? 'verify' : ''},${notes}\r\n`;
      if (batch.length > 60_000) {
        yield batch;
        batch = '';
      }
    }
    yield batch;
  }
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  let retained = 0;
  const started = performance.now();
  const { rows } = await openInput((async function* () { yield* generate(); })());
  let n = 0;
  let invalid = 0;
  let lastLine = 0;
  for await (const row of rows) {
    n++;
    if (row.domain === null) invalid++;
    lastLine = row.line;
    if (n % 10_000 === 0) {
      peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      if (n % 50_000 === 0) {
        gc();
        retained = Math.max(retained, process.memoryUsage().heapUsed - base);
      }
    }
  }
  const ms = performance.now() - started;
  const MB = 1024 * 1024;
  console.log(`# 200k rows: ${ms.toFixed(0)} ms, heap growth peak ${(peak / MB).toFixed(1)} MB, retained after gc ${(retained / MB).toFixed(1)} MB`);
  assert.equal(n, ROWS);
  assert.equal(invalid, ROWS / 1000);
  assert.equal(lastLine, 1 + ROWS + ROWS / 10);
  // The raw peak is garbage V8 has not collected yet (it plateaus: the same at 400k rows);
  // what the reader keeps is what survives a full collection.
  assert.ok(retained < 10 * MB, `heap retained ${(retained / MB).toFixed(1)} MB`);
  assert.ok(peak < 100 * MB, `heap grew by ${(peak / MB).toFixed(1)} MB`);
});

test('domains kept for the whole run do not pin the input text they were read from', async () => {
  const ROWS = 20_000;
  const pad = 'p'.repeat(1000);
  function* generate(): Generator<string> {
    yield 'domain,notes\n';
    let batch = '';
    for (let i = 0; i < ROWS; i++) {
      batch += i % 2 === 0 ? `host-${i}.example,${pad}\n` : `x-${i}@host-${i}.example.,${pad}\n`;
      if (batch.length > 60_000) {
        yield batch;
        batch = '';
      }
    }
    yield batch;
  }
  gc();
  const base = process.memoryUsage().heapUsed;
  const { rows } = await openInput((async function* () {
    yield* generate();
  })());
  const kept = new Set<string>();
  for await (const row of rows) {
    kept.add(row.domain ?? '');
    kept.add(row.input);
  }
  gc();
  const retained = process.memoryUsage().heapUsed - base;
  assert.equal(kept.size, ROWS * 1.5);
  // 30,000 short strings and their Set take ~2 MB; pinned pieces would be the whole 20 MB input.
  assert.ok(retained < 8 * 1024 * 1024, `retained ${(retained / 1024 / 1024).toFixed(1)} MB`);
});
