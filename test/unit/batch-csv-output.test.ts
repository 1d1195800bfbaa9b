import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, csvColumnNames, csvHeader, csvNeedsEscape, csvRow, CSV_COLUMNS } from '../../src/render/csv.ts';
import { ndjsonRow } from '../../src/render/ndjson.ts';
import { withoutTranscripts } from '../../src/render/without-transcripts.ts';
import { csvCellValue } from '../../src/batch/resume.ts';
import type { DomainResult } from '../../src/model/domain.ts';
import { addressFacts, domainFacts, mxHost, NOW } from '../helpers/facts.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { goodResult, invalidResult, mixedResult, readAll, undeterminedResult } from '../helpers/batch.ts';

test('the header: fixed columns, then carried ones, renamed input_… on a collision; CRLF', () => {
  assert.equal(
    csvHeader([]),
    'domain,level,required,pass,mx_hosts,addresses,starttls,min_protocol,earliest_expiry,days_left,problems,line,satisfied,dnssec,dane,mta_sts,tls_rpt,deep_worst_tier,weak_suites\r\n',
  );
  assert.deepEqual(csvColumnNames(['partner', 'Level', 'input_level', 'PASS']).slice(CSV_COLUMNS.length), ['partner', 'input_Level', 'input_input_level', 'input_PASS']);
  assert.equal(csvHeader(['=evil', 'a,b', 'x\ny']).split(',').length, CSV_COLUMNS.length + 4);
  assert.match(csvHeader(['=evil', 'a,b', 'x\ny']), /,'=evil,"a,b",x\\x0ay\r\n$/);
});

test('cells: the fixed columns of a good, a mixed, an undetermined and an invalid row', () => {
  const rows = [goodResult(), mixedResult(), undeterminedResult(), invalidResult('=cmd|" /C calc"!A0', 'not a domain')].map((r) => csvRow(r, []));
  assert.deepEqual(rows, [
    // dnssec, dane, mta_sts, tls_rpt: empty when not gathered; deep_worst_tier, weak_suites: empty without --deep.
    'example.com,verify,encrypt,true,mx.example.com,192.0.2.10,all,TLSv1.3,2026-08-01,60,,2,plain;opportunistic;tls-required;verify,,,,,,\r\n',
    // MX in preference order (mx1 before mx2), addresses in that order, the oldest protocol and the earliest (expired) leaf.
    'partner.example,none,encrypt,false,mx1.partner.example;mx2.partner.example,198.51.100.7;198.51.100.8;2001:db8::25,some,TLSv1.2,2026-05-30,-3,STARTTLS_NOT_OFFERED;CERT_EXPIRED,3,plain,,,,,,\r\n',
    'flaky.example,,encrypt,,,,,,,,DNS_FAILURE,4,,,,,,,\r\n',
    `"'=cmd|"" /C calc""!A0",,encrypt,false,,,,,,,INVALID_INPUT,5,,,,,,,\r\n`,
  ]);
  // Single mode has no input line: the cell is empty.
  const { source: _source, ...single } = goodResult();
  assert.match(csvRow(single, []), /,60,,,plain;opportunistic;tls-required;verify,,,,,,\r\n$/);
});

test('starttls is over reached addresses only; problems are distinct in first-seen order', () => {
  const unreachable = addressFacts({ ip: '192.0.2.99', connected: false, banner: null, ehlo: null, starttls: false, starttlsReply: null, tls: null, ehloTls: null, certificate: null, failure: { stage: 'connect', kind: 'connect', message: 'connection refused' } });
  const result = judgeDomain(
    domainFacts({ mx: [mxHost('mx.example.com', 10, [addressFacts(), unreachable, addressFacts({ ip: '192.0.2.11' }), unreachable])] }),
    { required: ['tls-required'], warnDays: 30 },
    NOW,
  );
  const cells = csvRow(result, []).trimEnd().split(',');
  assert.equal(cells[5], '192.0.2.10;192.0.2.99;192.0.2.11');
  assert.equal(cells[6], 'all');
  assert.equal(cells[10], 'CONNECT_FAILED');
  const none = judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [unreachable])] }), { required: ['tls-required'], warnDays: 30 }, NOW);
  assert.equal(csvRow(none, []).split(',')[6], '');
});

test('formula injection: = + - @ TAB CR LF and a leading quote get a leading quote; the value reads back', () => {
  const cases: Array<[string, string]> = [
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', `"'\r=1"`],
    ['\n=1', `"'\n=1"`],
    ["'=1", "''=1"],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['a=1', 'a=1'],
    ['1-2', '1-2'],
    ['', ''],
    ['plain, comma', '"plain, comma"'],
    ['say "hi"', '"say ""hi"""'],
  ];
  for (const [value, cell] of cases) {
    assert.equal(csvCell(value), cell, JSON.stringify(value));
    assert.equal(csvCellValue(cell), value, JSON.stringify(cell));
  }
});

test('formula injection, the rule: every white-space prefix before = + - @ and their fullwidth forms is escaped; TAB/CR/LF first too; all read back', () => {
  // What spreadsheets trim before deciding a cell is a formula (Excel, LibreOffice, Google Sheets).
  const spaces = [' ', '  ', '\t', '\u00a0', '\u1680', '\u2000', '\u2003', '\u200a', '\u2028', '\u202f', '\u205f', '\u3000', '\ufeff', '\u200b', '\u200d', '\u2060', '\r', '\n', '\v', '\f'];
  const prefixes = ['', ...spaces, ...spaces.flatMap((a) => spaces.slice(0, 6).map((b) => a + b))];
  const triggers = ['=', '+', '-', '@', '\uff1d', '\uff0b', '\uff0d', '\uff20'];
  const harmless = ['a', '1', '#', '"', 'é', '(', '.', '*', '\u2212', ''];
  const tails = ['1+1', 'SUM(A1:A9)', 'HYPERLINK("http://x")', '', ' x, "y"'];
  /** A spreadsheet's view: the first character after the white space it trims; TAB/CR/LF first always counts. */
  const evaluated = (v: string) => /^[\t\r\n]/.test(v) || triggers.includes(v.replace(/^[\s\u200b-\u200d\u2060]+/, '').charAt(0));
  let escaped = 0;
  let checked = 0;
  for (const prefix of prefixes) {
    for (const first of [...triggers, ...harmless, "'"]) {
      for (const tail of tails) {
        const value = prefix + first + tail;
        const cell = csvCell(value);
        const inner = cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
        const want = evaluated(value) || value.startsWith("'");
        assert.equal(inner.startsWith("'") && inner.slice(1) === value, want, `${JSON.stringify(value)} → ${JSON.stringify(cell)}`);
        if (!want) assert.equal(inner, value, JSON.stringify(value));
        assert.equal(csvCellValue(cell), value, `round trip of ${JSON.stringify(value)}`);
        if (want) escaped += 1;
        checked += 1;
      }
    }
  }
  assert.ok(checked > 10_000 && escaped > 4_000, `${checked} values, ${escaped} escaped`);
  // The three: leading spaces and the fullwidth equals sign.
  assert.equal(csvCell(' =1+1'), "' =1+1");
  assert.equal(csvCell('  @x'), "'  @x");
  assert.equal(csvCell('\uff1d1+1'), "'\uff1d1+1");
});

test('server and input text is sanitised: no control character reaches a cell; days_left stays a number', () => {
  const hostile = judgeDomain(
    domainFacts({
      domain: 'evil.example',
      mx: [mxHost('=mx\u001b[2J.evil.example', 10, [addressFacts({ tls: { protocol: '-TLS\u0007', cipher: 'x', cipherOpenssl: 'x', keyExchange: null, sni: null } })])],
    }),
    { required: ['tls-required'], warnDays: 30 },
    NOW,
  );
  const row = csvRow({ ...hostile, source: { line: 2, columns: { note: 'multi\nline\r\n\u202eevil', f: '@x', dup: '=1' } } }, ['note', 'f', 'missing', 'dup']);
  assert.doesNotMatch(row.slice(0, -2), /[\u0000-\u001f\u007f-\u009f\u202e]/);
  const cells = row.slice(0, -2).split(',');
  assert.equal(cells[4], "'=mx\\x1b[2J.evil.example");
  assert.equal(cells[7], "'-TLS\\x07");
  assert.deepEqual(cells.slice(CSV_COLUMNS.length), ['multi\\x0aline\\x0d\\x0a\\u202eevil', "'@x", '', "'=1"]);
  const expired = csvRow(mixedResult(), []).split(',');
  assert.equal(expired[9], '-3');
});

test('round trip: rows written with carried columns read back through openInput', async () => {
  const columns = ['partner', 'Level', 'notes'];
  const values: Array<Record<string, string>> = [
    { partner: 'Acme, Inc.', Level: 'gold', notes: 'say "hi"' },
    { partner: 'Grüße 你好 ✓', Level: '', notes: '' },
    { partner: '=SUM(A1)', Level: '-1', notes: '@home' },
    { partner: ' spaced ', Level: '"', notes: "'quoted" },
  ];
  const results: DomainResult[] = values.map((v, i) => goodResult(v, i + 2));
  const csv = csvHeader(columns) + results.map((r) => csvRow(r, columns)).join('') + csvRow(invalidResult('bad,name', 'x'), columns);
  const { header, rows } = await readAll(...csv.match(/[^]{1,7}/g)!);
  assert.deepEqual(header.extraColumns, ['level', 'required', 'pass', 'mx_hosts', 'addresses', 'starttls', 'min_protocol', 'earliest_expiry', 'days_left', 'problems', 'line', 'satisfied', 'dnssec', 'dane', 'mta_sts', 'tls_rpt', 'deep_worst_tier', 'weak_suites', 'partner', 'input_Level', 'notes']);
  assert.equal(rows.length, 5);
  // What a spreadsheet shows: the values exactly, formula-looking ones (and a leading quote) behind one more quote.
  const shown = (value: string) => (csvNeedsEscape(value) ? `'${value}` : value);
  for (const [i, v] of values.entries()) {
    assert.deepEqual(rows[i]?.columns, { ...Object.fromEntries(header.extraColumns.map((c) => [c, rows[i]?.columns[c]])), partner: shown(v.partner ?? ''), input_Level: shown(v.Level ?? ''), notes: shown(v.notes ?? '') });
    assert.equal(rows[i]?.domain, 'example.com');
    assert.equal(rows[i]?.line, i + 2);
  }
  assert.equal(rows[0]?.columns.partner, 'Acme, Inc.');
  assert.equal(rows[1]?.columns.partner, 'Grüße 你好 ✓');
  assert.equal(rows[2]?.columns.partner, "'=SUM(A1)");
  assert.equal(rows[3]?.columns.partner, ' spaced ');
  assert.equal(rows[3]?.columns.input_Level, '"');
  assert.equal(rows[0]?.columns.days_left, '60');
  assert.equal(rows[4]?.input, 'bad,name');
  assert.equal(rows[4]?.line, 6);
});

test('NDJSON: one line per result, no transcript, C1 and bidi escaped, parses back', () => {
  const result = mixedResult({ partner: 'x\u0085y\u202ez\u2028' });
  const withTranscript: DomainResult = {
    ...result,
    mx: result.mx.map((h) => ({ ...h, addresses: h.addresses.map((a) => ({ ...a, transcript: [{ dir: 'S' as const, text: '220 hi', ms: 1 }] })) })),
  };
  const line = ndjsonRow(withTranscript);
  assert.ok(line.endsWith('}\n'));
  assert.equal(line.indexOf('\n'), line.length - 1);
  assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u202e\u2028](?!$)/);
  assert.doesNotMatch(line, /"transcript"/);
  assert.match(line, /x\\u0085y\\u202ez\\u2028/);
  assert.deepEqual(JSON.parse(line), { schemaVersion: 2, ...JSON.parse(JSON.stringify(withoutTranscripts(withTranscript))) });
  assert.match(ndjsonRow(withTranscript, { transcript: true }), /"transcript":\[\{"dir":"S","text":"220 hi"/);
  assert.equal(JSON.parse(line).source.columns.partner, 'x\u0085y\u202ez\u2028');
});
