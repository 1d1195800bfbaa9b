import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { analyseMessages, HeadersAnalyser, headersExitStatus } from '../../src/headers/analyse.ts';
import type { MessageResult } from '../../src/model/headers.ts';
import { HEADER_LIMITS, type HeaderLimits } from '../../src/headers/read-message.ts';
import { parseReceived } from '../../src/headers/parse-received.ts';
import { renderHeadersText } from '../../src/render/headers-text.ts';
import { renderHeadersJson } from '../../src/render/headers-json.ts';
import type { HeadersReport } from '../../src/model/headers.ts';

const NOW = new Date('2026-09-20T00:00:00Z');
const dir = new URL('../fixtures/headers/', import.meta.url);
const corpus = readdirSync(fileURLToPath(dir))
  .sort()
  .map((f) => readFileSync(fileURLToPath(new URL(f, dir))));

/** mulberry32: a small seeded generator, so a failing case can be replayed (HEADERS_FUZZ_SEED). */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pieces that steer mutations into the parser's interesting states. */
const PIECES = [
  '(', ')', '((', '))', '[', ']', '<', '>', ';', '"', '\\', ':', '=', '/', ',', '\n', '\r\n', '\n ', '\n\t', '\n\n', ' ', '\t',
  'From ', '\nFrom x Mon Jan  1 00:00:00 2024\n', 'Received: ', 'from ', ' by ', ' with ', ' id ', ' for ', ' tls ', 'ESMTPS', 'ESMTP', 'LMTP',
  '(using TLSv1.3 with cipher ', '(256/256 bits)', ' verified FAIL)', '(version=TLS1_2, cipher=', 'verify=NOT', 'bits=128',
  '(TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256)', '(TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO)', '[IPv6:::1]', '[127.0.0.1]', '[local]', 'helo=',
  '(Google Transport Security)', 'Microsoft SMTP Server', '(TLS)', 'encrypted)', '(Client CN "x", Issuer "y" (verified OK))',
  '; Mon, 1 Jan 2024 00:00:00 +0000', '31 Feb 9999 99:99', '\u0000', '\u001b[2J', '\u202e', '\ufeff', '\ud800', '\uffff', '€',
];

function mutate(base: string, random: () => number): string {
  let text = base;
  const steps = 1 + Math.floor(random() * 8);
  for (let s = 0; s < steps; s++) {
    const at = Math.floor(random() * (text.length + 1));
    const choice = random();
    if (choice < 0.45) {
      const piece = PIECES[Math.floor(random() * PIECES.length)] ?? '';
      text = text.slice(0, at) + piece.repeat(1 + Math.floor(random() * (random() < 0.1 ? 200 : 3))) + text.slice(at);
    } else if (choice < 0.65) {
      text = text.slice(0, at) + text.slice(at + Math.floor(random() * 40));
    } else if (choice < 0.8) {
      const len = Math.floor(random() * 200);
      text = text.slice(0, at) + text.slice(at, at + len).repeat(2) + text.slice(at);
    } else if (choice < 0.9) {
      text = text.slice(0, at);
    } else {
      text = text.slice(0, at) + String.fromCharCode(Math.floor(random() * 0x10000)) + text.slice(at);
    }
  }
  return text;
}

/** What must hold for every report, whatever the input and the caps. */
function checkReport(report: HeadersReport, limits: HeaderLimits = HEADER_LIMITS): void {
  assert.equal(report.schemaVersion, 1);
  assert.ok(report.messages.length <= limits.messages);
  assert.ok(report.input.bytes <= limits.inputBytes);
  for (const m of report.messages) {
    assert.ok(m.hops.length <= limits.receivedFields);
    m.hops.forEach((h, i) => assert.equal(h.order, i + 1));
    const v = m.verdict;
    assert.equal(v.pass, v.allNetworkHopsEncrypted === true);
    if (v.allNetworkHopsEncrypted === true) assert.deepEqual([v.unencryptedHops, v.unknownHops], [[], []]);
    if (v.allNetworkHopsEncrypted === false) assert.ok(v.firstUnencryptedHop !== null);
    // Nothing unread may pass: a cap that touched the message leaves it unknown, or false when a plaintext hop was read.
    const unread = m.receivedTruncated || m.headerTruncated || m.inputCut || m.hops.some((h) => h.truncated);
    assert.equal(v.complete, !unread);
    if (unread) assert.equal(v.pass, false);
    if (unread && v.unencryptedHops.length === 0) assert.equal(v.allNetworkHopsEncrypted, null);
    for (const h of m.hops) {
      assert.ok(h.raw.length <= limits.fieldChars);
      if (h.truncated) assert.deepEqual([h.encrypted, h.local, h.grade], [null, false, null]);
      if (h.encrypted === false && !h.local) assert.equal(h.grade, 'F');
      if (h.encrypted === null) assert.equal(h.grade, null);
    }
  }
  const input = report.input;
  if (!input.complete) assert.equal(input.pass, false);
  if (input.pass) assert.ok(report.messages.every((m) => m.verdict.pass) && report.messages.length > 0);
  if (report.messages.some((m) => !m.verdict.complete) || !input.complete) assert.notEqual(headersExitStatus(report), 0);
  const json = renderHeadersJson(report);
  assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(report)));
  assert.doesNotMatch(renderHeadersText(report, { colorLevel: 0 }), /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
}

/** Small caps, so that random inputs reach them; sometimes the real ones. */
function randomLimits(random: () => number): HeaderLimits {
  if (random() < 0.5) return HEADER_LIMITS;
  const pick = (real: number, small: number) => (random() < 0.5 ? real : 1 + Math.floor(random() * small));
  return {
    headerChars: pick(HEADER_LIMITS.headerChars, 2000),
    receivedFields: pick(HEADER_LIMITS.receivedFields, 6),
    fieldChars: pick(HEADER_LIMITS.fieldChars, 300),
    messages: pick(HEADER_LIMITS.messages, 3),
    inputBytes: pick(HEADER_LIMITS.inputBytes, 3000),
  };
}

test('read + parse + judge + render never throw: random bytes and mutated fixtures (2,000 cases)', () => {
  const seed = Number(process.env.HEADERS_FUZZ_SEED ?? 20260920);
  const random = generator(seed);
  const started = performance.now();
  let slowest = 0;
  for (let n = 0; n < 2000; n++) {
    let input: string | Uint8Array;
    if (n % 4 === 0) {
      const bytes = new Uint8Array(Math.floor(random() * 4096));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      input = bytes;
    } else {
      const base = corpus[Math.floor(random() * corpus.length)]?.toString('utf8') ?? '';
      input = mutate(base, random);
    }
    const limits = randomLimits(random);
    const t0 = performance.now();
    try {
      checkReport(analyseMessages(input, NOW, limits), limits);
    } catch (error) {
      const shown = typeof input === 'string' ? JSON.stringify(input.slice(0, 300)) : `${input.length} random bytes`;
      throw new Error(`case ${n} (seed ${seed}, limits ${JSON.stringify(limits)}): ${String(error)}\ninput: ${shown}`, { cause: error });
    }
    slowest = Math.max(slowest, performance.now() - t0);
  }
  const total = performance.now() - started;
  console.log(`fuzz: 2000 cases in ${total.toFixed(0)} ms, slowest ${slowest.toFixed(1)} ms (seed ${seed})`);
  assert.ok(total < 60_000, `fuzzing took ${total} ms`);
});

test('streaming: the bytes cut into random chunks (UTF-8 sequences and CRLF split too) give the same report (500 cases)', () => {
  const random = generator(Number(process.env.HEADERS_FUZZ_SEED ?? 20260920) + 1);
  for (let n = 0; n < 500; n++) {
    const base = corpus[Math.floor(random() * corpus.length)]?.toString('utf8') ?? '';
    const bytes = Buffer.from(n % 2 === 0 ? mutate(base, random) : `${base}\n${mutate(base, random)}`, 'utf8');
    const limits = randomLimits(random);
    const whole = analyseMessages(bytes, NOW, limits);
    const messages: MessageResult[] = [];
    const analyser = new HeadersAnalyser({ now: NOW, limits, onMessage: (m) => messages.push(m) });
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + Math.floor(random() * (random() < 0.5 ? 4 : 300));
      if (!analyser.push(bytes.subarray(at, at + size))) break;
      at += size;
    }
    const input = analyser.end();
    assert.deepEqual({ messages, input }, { messages: whole.messages, input: whole.input }, `case ${n}: ${JSON.stringify(bytes.toString('utf8').slice(0, 200))}`);
  }
});

test('parseReceived never throws on random field values', () => {
  const random = generator(7);
  for (let n = 0; n < 2000; n++) {
    const len = Math.floor(random() * 300);
    let value = '';
    for (let i = 0; i < len; i++) value += random() < 0.3 ? (PIECES[Math.floor(random() * PIECES.length)] ?? '') : String.fromCharCode(32 + Math.floor(random() * 95));
    const facts = parseReceived(value);
    assert.ok(facts.encrypted === true || facts.encrypted === false || facts.encrypted === null);
  }
});

const MB = 1024 * 1024;

/** 20 MB inputs built to hurt a parser: one endless line, deep nesting, endless folding, many messages, worst-case fields. */
const SHAPES: Array<[string, () => string]> = [
  ['one 20 MB line of "("', () => `Received: ${'('.repeat(20 * MB)}`],
  ['20 MB without a line break', () => 'x'.repeat(20 * MB)],
  ['one field folded over 20 MB', () => `Received: from a\n${' (((( [[[[ <<<< """" \\\\\n'.repeat(MB)}`],
  ['20 MB of Received fields', () => 'Received: from a (b [192.0.2.1]) by c with ESMTPS id d; Mon, 1 Jan 2024 00:00:00 +0000\n'.repeat(230_000)],
  ['20 MB mbox of empty messages', () => 'From a\n\n'.repeat(Math.floor((20 * MB) / 8))],
  [
    '20 MB mbox of 1 MiB headers of worst-case fields',
    () => {
      const field = `Received: from ${'a [1.2.3.4] helo=x ('.repeat(800)}\n`;
      const header = field.repeat(Math.ceil(MB / field.length));
      return Array.from({ length: 20 }, (_, i) => `From m${i} Mon Jan  1 00:00:00 2024\n${header}\nbody\n\n`).join('');
    },
  ],
  ['20 MB of "<" and ";" in one field', () => `Received: ${'<;'.repeat(10 * MB)}`],
  ['20 MB of CR only', () => `Received: a${'\r'.repeat(20 * MB)}`],
];

test('20 MB hostile inputs finish quickly (time printed)', () => {
  for (const [name, build] of SHAPES) {
    const input = build();
    const t0 = performance.now();
    const report = analyseMessages(input, NOW);
    renderHeadersJson(report);
    const ms = performance.now() - t0;
    console.log(`perf: ${name}: ${(input.length / MB).toFixed(1)} MB in ${ms.toFixed(0)} ms, ${report.messages.length} message(s), ${report.messages.reduce((n, m) => n + m.hops.length, 0)} hop(s)`);
    assert.ok(ms < 10_000, `${name} took ${ms} ms`);
  }
});
