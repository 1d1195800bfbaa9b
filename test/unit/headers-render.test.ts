import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { analyseMessages, combineInputs } from '../../src/headers/analyse.ts';
import { HeadersTextStream, renderHeadersText } from '../../src/render/headers-text.ts';
import { HeadersJsonStream, renderHeadersJson } from '../../src/render/headers-json.ts';
import { boxTable } from '../../src/render/headers-table.ts';
import { displayWidth } from '../../src/render/text-width.ts';
import type { HeadersReport } from '../../src/model/headers.ts';
import { golden } from '../helpers/golden.ts';

const require = createRequire(import.meta.url);
const CliTable = require('cli-table3') as new (options: object) => { push(...rows: string[][]): void; toString(): string };

const NOW = new Date('2026-09-20T00:00:00Z');
const dir = new URL('../fixtures/headers/', import.meta.url);
const fixtures = readdirSync(fileURLToPath(dir)).sort();
const report = (name: string): HeadersReport => analyseMessages(readFileSync(fileURLToPath(new URL(name, dir))), NOW);

/** C0 (but line feed), DEL, C1, bidi controls: nothing a terminal would act on. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test('text report without colour matches the golden file', () => {
  const text = ['mixed-path.eml', 'faq-002.eml', 'two-messages.mbox', 'microsoft365.eml'].map((f) => renderHeadersText(report(f), { colorLevel: 0 })).join('\n');
  golden('headers-report.txt', text);
});

test('no raw control characters from any fixture, even with colour', () => {
  for (const f of fixtures) {
    const text = renderHeadersText(report(f), { colorLevel: 1 }).replace(/\u001b\[[0-9;]*m/g, '');
    assert.doesNotMatch(text, RAW_CONTROL, f);
  }
  const garbage = renderHeadersText(report('garbage.eml'), { colorLevel: 0 });
  assert.match(garbage, /\\x1b\[31mevil\\x1b\[0m\.example \[192\.0\.2\.66\]/);
  assert.match(garbage, /mx\.example\\x07/);
  assert.match(garbage, /garbage \\x1b\]0;owned\\x07/);
});

test('colour level 0 writes no escape sequence at all', () => {
  for (const f of fixtures) assert.doesNotMatch(renderHeadersText(report(f), { colorLevel: 0 }), /\u001b/, f);
});

test('verdict lines: PASS, FAIL, UNKNOWN', () => {
  const first = (f: string) => renderHeadersText(report(f), { colorLevel: 0 }).split('\n')[0];
  assert.equal(first('postfix.eml'), 'PASS message 1 <tls-test-1@sender.example> "TLS test": every network hop used TLS (2 network hops, 2 local)');
  assert.equal(
    first('faq-000.eml'),
    'PASS message 1 <3C14002A.FAB442A3@example.edu> "test": every network hop used TLS (2 network hops, 0 local); weakest: hop 1 (grue.example.edu → email.example.edu), grade D',
  );
  assert.equal(
    first('mixed-path.eml'),
    'FAIL message 1 <mixed-1@sender.example> "encrypted, then plain, then encrypted": hop 2 (relay.sender.example → gw.partner.example) was not encrypted',
  );
  assert.equal(first('garbage.eml'), 'UNKNOWN message 1 "garbage \\x1b]0;owned\\x07": no hop was plaintext, but TLS is unknown on hop 1, hop 2, hop 3, hop 4, hop 6 and 2 more');
  assert.equal(renderHeadersText(analyseMessages(''), { colorLevel: 0 }), 'UNKNOWN no message header found in the input.\n');
});

test('the table shows order, from → by, time, protocol, cipher, verified, grade', () => {
  const text = renderHeadersText(report('postfix.eml'), { colorLevel: 0 });
  assert.match(text, /│ # │ From → By +│ Time \(UTC\) +│ Protocol +│ Cipher +│ Verified +│ Grade +│/);
  assert.match(text, /│ 2 │ mail\.sender\.example \[198\.51\.100\.7\] │ 2026-09-14 08:11:12Z │ TLSv1\.3 +│ TLS_AES_256_GCM_SHA384 +│ yes +│ A +│/);
  assert.match(text, /Local: hop 3 from the loopback address 127\.0\.0\.1; hop 4 with LMTP/);
});

test('JSON: the same facts, schemaVersion 1, unsafe characters escaped', () => {
  for (const f of fixtures) {
    const r = report(f);
    const json = renderHeadersJson(r);
    assert.doesNotMatch(json, RAW_CONTROL, f);
    assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(r)), f);
  }
  const parsed = JSON.parse(renderHeadersJson(report('faq-002.eml'))) as HeadersReport;
  assert.equal(parsed.schemaVersion, 1);
  assert.equal(parsed.input.kind, 'headers');
  const hop = parsed.messages[0]?.hops[1];
  assert.deepEqual(hop?.tls, {
    protocol: 'TLSv1/SSLv3', version: 'TLSv1/SSLv3', cipher: 'EDH-RSA-DES-CBC3-SHA', bits: 168, keyExchange: null, verified: 'fail',
    raw: 'using TLSv1/SSLv3 with cipher EDH-RSA-DES- CBC3-SHA (168 bits) verified FAIL',
  });
  assert.deepEqual(parsed.messages[0]?.verdict, {
    allNetworkHopsEncrypted: true, pass: true, complete: true, networkHops: [1, 2], localHops: [], unencryptedHops: [], unknownHops: [],
    firstUnencryptedHop: null, weakestHop: 1, weakestGrade: 'D',
  });
  assert.match(renderHeadersJson(report('garbage.eml')), /\\u001b\[31mevil/);
});

test('JSON written a piece at a time is the same text as JSON.stringify of the whole document', () => {
  for (const f of fixtures) {
    const r = report(f);
    const whole = `${JSON.stringify({ schemaVersion: r.schemaVersion, messages: r.messages, inputs: r.inputs, input: r.input }, null, 2)}\n`;
    const safe = whole.replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
    assert.equal(renderHeadersJson(r), safe, f);
  }
  const empty = new HeadersJsonStream();
  const none = analyseMessages('', NOW);
  assert.deepEqual(JSON.parse(empty.start() + empty.end(none.inputs, none.input)).messages, []);
});

test('several inputs: one document, each message names its file, inputs listed, input sums them', () => {
  const a = analyseMessages(readFileSync(fileURLToPath(new URL('postfix.eml', dir))), NOW, undefined, 'a.eml');
  const b = analyseMessages(readFileSync(fileURLToPath(new URL('two-messages.mbox', dir))), NOW, undefined, 'b.mbox');
  const doc = new HeadersJsonStream();
  const inputs = [a.input, b.input];
  const text = doc.start() + [...a.messages, ...b.messages].map((m) => doc.message(m)).join('') + doc.end(inputs, combineInputs(inputs));
  const parsed = JSON.parse(text) as HeadersReport;
  assert.deepEqual(parsed.messages.map((m) => [m.file, m.index]), [['a.eml', 1], ['b.mbox', 1], ['b.mbox', 2]]);
  assert.deepEqual(parsed.inputs.map((i) => [i.file, i.kind, i.messagesRead]), [['a.eml', 'message', 1], ['b.mbox', 'mbox', 2]]);
  assert.deepEqual([parsed.input.kind, parsed.input.file, parsed.input.messagesRead, parsed.input.pass], ['several', null, 3, false]);
  assert.equal(parsed.input.bytes, a.input.bytes + b.input.bytes);
});

test('text: a heading per input when there are several, written a piece at a time', () => {
  const a = analyseMessages(readFileSync(fileURLToPath(new URL('postfix.eml', dir))), NOW, undefined, 'a\u001b[31m.eml');
  const none = analyseMessages('no header here', NOW, undefined, '-');
  const stream = new HeadersTextStream({ colorLevel: 0, headings: true });
  let out = stream.input('a\u001b[31m.eml');
  for (const m of a.messages) out += stream.message(m);
  out += stream.inputEnd(a.input) + stream.input('-');
  out += stream.inputEnd(none.input);
  assert.match(out, /^==> a\\x1b\[31m\.eml <==\nPASS message 1 /);
  assert.match(out, /\n\n==> standard input <==\nUNKNOWN no message header found in standard input\.\n/);
  assert.doesNotMatch(out, /\u001b/);
  const whole: HeadersReport = { schemaVersion: 1, messages: a.messages, inputs: [a.input, none.input], input: combineInputs([a.input, none.input]) };
  assert.equal(renderHeadersText(whole, { colorLevel: 0 }), out);
});

test('the hop table draws what cli-table3 draws, in one pass', () => {
  const random = (() => {
    let x = 7;
    return () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  })();
  const pieces = ['a', 'mx.example', '[192.0.2.1]', '→', '—', 'ünï', '漢字', '\n', ' ', 'TLS_AES_256_GCM_SHA384', ''];
  const cell = () => Array.from({ length: Math.floor(random() * 5) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
  for (let n = 0; n < 50; n++) {
    const cols = 1 + Math.floor(random() * 7);
    const head = Array.from({ length: cols }, (_, i) => `h${i}`);
    const rows = Array.from({ length: 1 + Math.floor(random() * 6) }, () => Array.from({ length: cols }, cell));
    const table = new CliTable({ head, style: { head: [], border: [] } });
    table.push(...rows);
    assert.equal(boxTable(head, rows), table.toString(), JSON.stringify(rows));
  }
  assert.equal(displayWidth('\u001b[1mTLS\u001b[22m 漢 e\u0301'), 8);
});
