// Item 5, "nothing unread may pass": the rule of judge/judge-hops.ts over every cap of
// HEADER_LIMITS, with small limits. For each cap: the same input passes when read in full, and
// becomes unknown (never a pass, exit 1) when the cap leaves something unread; a plaintext hop
// read before the cap still fails it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseMessages, HeadersAnalyser, headersExitStatus } from '../../src/headers/analyse.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HEADER_LIMITS, type HeaderLimits } from '../../src/headers/read-message.ts';
import { groupedDigits, sizeText } from '../../src/judge/problem-catalogue.ts';
import type { HeadersReport } from '../../src/model/headers.ts';

const NOW = new Date('2024-01-02T00:00:00Z');

const tls = (i: number) =>
  `Received: from a${i}.example (a${i}.example [192.0.2.${(i % 250) + 1}])\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\n\tby b${i}.example (Postfix) with ESMTPS id T${i}; Mon, 1 Jan 2024 00:00:00 +0000\n`;
const plain = 'Received: from p.example (p.example [198.51.100.9]) by a0.example (Postfix) with ESMTP id P; Mon, 1 Jan 2024 00:00:00 +0000\n';
const message = (fields: string, n = 0) => `${fields}Message-ID: <m${n}@example>\n\nbody\n`;
const mbox = (...messages: string[]) => messages.map((m, i) => `From s${i}@example Mon Jan  1 00:00:00 2024\n${m}\n`).join('');

interface CapCase {
  cap: keyof HeaderLimits;
  limits: Partial<HeaderLimits>;
  /** Read in full it passes; under `limits` the cap leaves part of it unread. */
  input: string;
  /** The same, with a plaintext hop in the part that is still read. */
  plainRead: string | null;
  /** The problem that says what was left unread, and whether it belongs to a message or to the input. */
  code: string;
  touches: 'message' | 'input';
}

const CASES: CapCase[] = [
  {
    cap: 'receivedFields',
    limits: { receivedFields: 3 },
    input: message(tls(1) + tls(2) + tls(3) + tls(4)),
    plainRead: message(tls(1) + plain + tls(3) + tls(4)),
    code: 'TOO_MANY_RECEIVED_FIELDS',
    touches: 'message',
  },
  {
    cap: 'headerChars',
    limits: { headerChars: 600 },
    input: message(`${tls(1)}${tls(2)}X-Pad: ${'p'.repeat(1000)}\n${tls(3)}`),
    plainRead: message(`${plain}${tls(2)}X-Pad: ${'p'.repeat(1000)}\n${tls(3)}`),
    code: 'HEADER_TOO_LARGE',
    touches: 'message',
  },
  {
    cap: 'fieldChars',
    limits: { fieldChars: 100 },
    input: message(tls(1) + tls(2)),
    plainRead: message(`${tls(1)}Received: from p.example ([198.51.100.9]) by q.example with ESMTP; 1 Jan 2024 00:00 +0000\n`),
    code: 'HOP_FIELD_TRUNCATED',
    touches: 'message',
  },
  {
    cap: 'messages',
    limits: { messages: 2 },
    input: mbox(message(tls(1), 1), message(tls(2), 2), message(tls(3), 3)),
    plainRead: mbox(message(plain, 1), message(tls(2), 2), message(tls(3), 3)),
    code: 'TOO_MANY_MESSAGES',
    touches: 'input',
  },
  {
    // Cut in the body of the first message: the second is not read at all.
    cap: 'inputBytes',
    limits: { inputBytes: Buffer.byteLength(mbox(message(tls(1), 1))) - 3 },
    input: mbox(message(tls(1), 1), message(tls(2), 2)),
    plainRead: mbox(message(plain, 1), message(tls(2), 2)),
    code: 'INPUT_TOO_LARGE',
    touches: 'input',
  },
  {
    // Cut inside the second message's header: that message is unknown, and the input too.
    cap: 'inputBytes',
    limits: { inputBytes: Buffer.byteLength(mbox(message(tls(1), 1))) + 'From s1@example Mon Jan  1 00:00:00 2024\n'.length + plain.length + 60 },
    input: mbox(message(tls(1), 1), message(tls(2) + tls(3) + tls(4), 2)),
    plainRead: mbox(message(tls(1), 1), message(plain + tls(3) + tls(4), 2)),
    code: 'INPUT_TOO_LARGE',
    touches: 'message',
  },
];

const analyse = (text: string, limits?: Partial<HeaderLimits>): HeadersReport => analyseMessages(text, NOW, limits);

test('every cap of HEADER_LIMITS has a case here', () => {
  assert.deepEqual([...new Set(CASES.map((c) => c.cap))].sort(), Object.keys(HEADER_LIMITS).sort());
});

test('the README and `headers --help` state every cap as HEADER_LIMITS has it', () => {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const section = readme.slice(readme.indexOf('## `mxprobe headers`'), readme.indexOf('## How it is built'));
  const help = readFileSync(fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)), 'utf8').replace(/\s+/g, ' ');
  const stated: Record<keyof HeaderLimits, string> = {
    inputBytes: `${sizeText(HEADER_LIMITS.inputBytes, 'bytes')} of each input`,
    messages: `${HEADER_LIMITS.messages.toLocaleString('en-US')} messages of each input`,
    headerChars: `${sizeText(HEADER_LIMITS.headerChars, 'characters')} of each message's header`,
    receivedFields: `the newest ${HEADER_LIMITS.receivedFields} of each header`,
    fieldChars: `${sizeText(HEADER_LIMITS.fieldChars, 'characters')} of each unfolded field`,
  };
  for (const [cap, text] of Object.entries(stated)) assert.ok(section.includes(text), `README: ${cap}: "${text}"`);
  const inHelp = [
    `${sizeText(HEADER_LIMITS.inputBytes, 'bytes')} an input`,
    `${HEADER_LIMITS.messages.toLocaleString('en-US')} messages an input`,
    `${sizeText(HEADER_LIMITS.headerChars, 'characters')} a header`,
    `${HEADER_LIMITS.receivedFields} Received fields a header`,
    `${sizeText(HEADER_LIMITS.fieldChars, 'characters')} a field`,
  ];
  for (const text of inHelp) assert.ok(help.includes(text), `headers --help: "${text}"`);
});

for (const c of CASES) {
  test(`cap ${c.cap} (${c.code}, ${c.touches}): read in full it passes; cut, it is unknown and exits 1`, () => {
    const full = analyse(c.input);
    assert.equal(headersExitStatus(full), 0, 'read in full, the input passes');

    const cut = analyse(c.input, c.limits);
    assert.equal(headersExitStatus(cut), 1, 'a cap that left something unread: exit 1, never 0');
    const last = cut.messages.at(-1);
    assert.ok(last !== undefined);
    if (c.touches === 'message') {
      assert.equal(last.verdict.pass, false);
      assert.equal(last.verdict.allNetworkHopsEncrypted, null, 'unknown, not false: no plaintext hop was read');
      assert.equal(last.verdict.complete, false);
      assert.ok(last.problems.some((p) => p.code === c.code), `${c.code} among ${last.problems.map((p) => p.code).join(', ')}`);
    } else {
      assert.ok(cut.messages.every((m) => m.verdict.pass), 'each message read passes on its own');
      assert.ok(cut.input.problems.some((p) => p.code === c.code), `${c.code} among the input's problems`);
      assert.equal(cut.input.complete, false);
    }
    assert.equal(cut.input.pass, false);
    assert.ok(cut.messages.length > 0);
  });

  if (c.plainRead !== null) {
    test(`cap ${c.cap}: a plaintext hop read before the cut still fails (false, exit 1)`, () => {
      const cut = analyse(c.plainRead ?? '', c.limits);
      assert.equal(headersExitStatus(cut), 1);
      assert.ok(cut.messages.some((m) => m.verdict.allNetworkHopsEncrypted === false));
    });
  }
}

test('a field the input stopped in is cut: "with ESMTPS" cut to "with ESMTP" is unknown, not plaintext', () => {
  const text = message(tls(1) + tls(2));
  const at = Buffer.byteLength(text.slice(0, text.lastIndexOf('ESMTPS') + 'ESMTP'.length));
  const report = analyse(text, { inputBytes: at });
  const hop = report.messages[0]?.hops[0];
  assert.deepEqual([hop?.truncated, hop?.encrypted, report.messages[0]?.verdict.allNetworkHopsEncrypted], [true, null, null]);
});

test('the input cap cuts a UTF-8 sequence or a line anywhere: never a pass, never a throw', () => {
  const text = mbox(message(tls(1), 1), message(`Subject: ünïcödé ${'€'.repeat(50)}\n${tls(2)}`, 2));
  const bytes = Buffer.byteLength(text);
  for (let cap = 1; cap < bytes; cap += 7) {
    const report = analyse(text, { inputBytes: cap });
    assert.equal(report.input.bytes, cap);
    assert.notEqual(headersExitStatus(report), 0, `cap ${cap}`);
  }
  assert.equal(headersExitStatus(analyse(text, { inputBytes: bytes })), 0, 'an input of exactly the cap is read in full');
});

test('a read error inside a header is INPUT_READ_ERROR (its code named), not the 64 MiB cap of INPUT_TOO_LARGE', () => {
  const messages: any[] = [];
  const analyser = new HeadersAnalyser({ file: 'disk.eml', now: NOW, onMessage: (m) => messages.push(m) });
  analyser.push(Buffer.from(`${tls(1)}Subject: cut`));
  const input = analyser.end('EIO');
  const codes = messages[0].problems.map((p: any) => p.code);
  assert.ok(codes.includes('INPUT_READ_ERROR'), codes.join());
  assert.ok(!codes.includes('INPUT_TOO_LARGE'), codes.join());
  const read = messages[0].problems.find((p: any) => p.code === 'INPUT_READ_ERROR');
  assert.match(read.message, /EIO/);
  assert.doesNotMatch(read.hint, /MiB/);
  assert.deepEqual([read.scope, read.hop], ['message', null]);
  assert.equal(messages[0].verdict.pass, false, 'nothing unread may pass');
  assert.deepEqual(input.problems.map((p) => [p.code, p.scope]), [['INPUT_READ_ERROR', 'input']]);
  assert.equal(input.complete, false);
  // The cap is still the cap.
  const capped = analyseMessages(`${tls(1)}Subject: cut`, NOW, { inputBytes: 20 });
  assert.ok(capped.messages[0]?.problems.some((p) => p.code === 'INPUT_TOO_LARGE'));
  assert.ok(!capped.messages[0]?.problems.some((p) => p.code === 'INPUT_READ_ERROR'));
});

test('the caps in the hints group their digits as en-US does, without loading ICU', () => {
  for (const n of [0, 7, 999, 1000, 10_000, 65_536, 1_234_567, 1_000_000_000]) assert.equal(groupedDigits(n), n.toLocaleString('en-US'), String(n));
});
