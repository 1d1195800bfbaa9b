import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/run-cli.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/headers/${name}`, import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/mxprobe.js', import.meta.url));
const MiB = 1024 * 1024;

/** Peak RSS allowed for inputs of any size: the CLI keeps one message's header at a time (generous: Node alone is ~45 MB). */
const RSS_BOUND_KIB = 256 * 1024;

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mxprobe-headers-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a test input into the test's own directory; returns its path. */
function inputFile(name: string, text: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const tls = (i: number) =>
  `Received: from a${i}.example (a${i}.example [192.0.2.${(i % 250) + 1}])\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\n\tby b${i}.example (Postfix) with ESMTPS id T${i}; Mon, 1 Jan 2024 00:00:00 +0000\n`;
const plain = 'Received: from p.example (p.example [198.51.100.9]) by a0.example (Postfix) with ESMTP id P; Mon, 1 Jan 2024 00:00:00 +0000\n';
const fromLine = (i: number) => `From s${i}@example Mon Jan  1 00:00:00 2024\n`;

/** Runs `mxprobe headers` with `input` on standard input. */
function withStdin(args: string[], input: Buffer | string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'headers', ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {}); // the CLI may stop reading early (the input cap)
    child.stdin.end(input);
  });
}

const RSS_MARK = '\n@@headers-test-maxrss=';
const RSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write(${JSON.stringify(RSS_MARK)}+process.resourceUsage().maxRSS+'\\n'))`;

interface CountedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Bytes written to standard output; only its first and last 64 KiB are kept. */
  bytes: number;
  head: string;
  tail: string;
  stderr: string;
  maxRssKiB: number;
}

/**
 * Runs the CLI with its output counted, not kept (a report may be far larger than a test should
 * hold), and its peak RSS. `closeAfter`: close the reading end of standard output after that
 * many bytes, as `| head` does. `stdout: 'full'` writes to /dev/full instead.
 */
function runCounted(args: string[], options: { closeAfter?: number; stdout?: 'pipe' | 'full'; killAfterMs?: number } = {}): Promise<CountedRun> {
  return new Promise((resolve, reject) => {
    const full = options.stdout === 'full' ? openSync('/dev/full', 'w') : null;
    const child = spawn(process.execPath, ['--import', RSS_HOOK, BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', NODE_OPTIONS: '' },
      stdio: ['ignore', full ?? 'pipe', 'pipe'],
    });
    if (full !== null) closeSync(full);
    let bytes = 0;
    let head = '';
    let tail = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 120_000);
    child.stdout?.on('data', (d: Buffer) => {
      bytes += d.length;
      if (head.length < 65536) head += d.toString('utf8').slice(0, 65536 - head.length);
      tail = (tail + d.toString('utf8')).slice(-65536);
      if (options.closeAfter !== undefined && bytes >= options.closeAfter) child.stdout?.destroy();
    });
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const mark = stderr.lastIndexOf(RSS_MARK);
      const maxRssKiB = mark === -1 ? Number.NaN : Number.parseInt(stderr.slice(mark + RSS_MARK.length), 10);
      resolve({ code, signal, bytes, head, tail, stderr: mark === -1 ? stderr : stderr.slice(0, mark), maxRssKiB });
    });
  });
}

/** The `inputs` and `input` at the end of a JSON report (the `messages` before them may be too large to keep). */
function jsonTail(run: CountedRun): { inputs: any[]; input: any } {
  const at = run.tail.lastIndexOf('\n  "inputs": ');
  assert.ok(at !== -1, `no inputs at the end of the report: ${run.tail.slice(-300)}`);
  return JSON.parse(`{${run.tail.slice(at)}`);
}

test('every network hop encrypted: exit 0, PASS verdict and a table of hops', async () => {
  const run = await runCli(['headers', fixture('postfix.eml')]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^PASS message 1 /m);
  assert.match(run.stdout, /TLSv1\.3/);
  assert.doesNotMatch(run.stdout, /==>/, 'one file: no heading');
});

test('a plaintext hop in the middle: exit 1, FAIL naming the hop', async () => {
  const run = await runCli(['headers', fixture('mixed-path.eml')]);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /^FAIL /m);
});

test('the seed FAQ example: sendmail formats with RC4 and 3DES are graded D with weak-cipher errors', async () => {
  const run = await runCli(['headers', '--json', fixture('faq-000.eml')]);
  const report = run.json();
  assert.equal(report.schemaVersion, 1);
  const hops = report.messages[0].hops;
  assert.deepEqual(hops.map((h: any) => h.tls?.cipher), ['RC4-MD5', 'EDH-RSA-DESCBC3-SHA']);
  assert.ok(report.messages[0].problems.some((p: any) => p.code === 'HOP_WEAK_CIPHER'));
});

test('headers JSON (schema version 1, with additions): every problem says its scope, the one problem shape of the probe', async () => {
  const run = await runCli(['headers', '--json', fixture('faq-000.eml'), fixture('mixed-path.eml'), fixture('truncated.eml')]);
  const report = run.json();
  assert.equal(report.schemaVersion, 1, 'only fields were added: the version stays');
  let seen = 0;
  const check = (p: any, scope: string, hop: number | null) => {
    assert.deepEqual(Object.keys(p), ['code', 'severity', 'message', 'hint', 'scope', 'hop']);
    assert.deepEqual([p.scope, p.hop], [scope, hop], p.code);
    seen += 1;
  };
  for (const m of report.messages) {
    assert.ok('inputError' in m && m.inputError === null);
    for (const h of m.hops) for (const p of h.problems) check(p, 'hop', h.order);
    for (const p of m.problems) check(p, p.hop === null ? 'message' : 'hop', p.hop);
  }
  for (const i of report.inputs) for (const p of i.problems) check(p, 'input', null);
  assert.ok(seen > 5, `${seen} problems`);
});

test('standard input, - or nothing, gives the same report as the file', async () => {
  const text = readFileSync(fixture('postfix.eml'));
  const fromFile = await runCli(['headers', '--json', fixture('postfix.eml')]);
  assert.equal(fromFile.json().input.file, fixture('postfix.eml'));
  for (const args of [['--json'], ['--json', '-']]) {
    const run = await withStdin(args, text);
    assert.equal(run.code, 0, run.stderr);
    const withoutFile = (messages: any[]) => messages.map(({ file, ...rest }) => rest);
    assert.deepEqual(withoutFile(JSON.parse(run.stdout).messages), withoutFile(fromFile.json().messages));
    assert.ok(JSON.parse(run.stdout).messages.every((m: any) => m.file === '-'));
  }
});

test('unreadable input: exit 2 with one line, no stack trace', async () => {
  for (const args of [['headers', '/nonexistent/message.eml'], ['headers', fileURLToPath(new URL('.', import.meta.url))]]) {
    const run = await runCli(args);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^mxprobe: cannot read .+: E[A-Z]+\n$/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  }
  const empty = await withStdin([], 'not a message at all');
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /no message header found/);
});

test('hostile header text cannot drive the terminal', async () => {
  const run = await runCli(['headers', fixture('garbage.eml')]);
  assert.ok(run.code === 0 || run.code === 1);
  assert.doesNotMatch(run.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
});

// Item 5 at the real caps: whatever a cap leaves unread is never a pass (exit 1, never 0).

test('cap: more than 500 Received fields, a plaintext first hop past the cap: unknown, exit 1', async () => {
  const fields = Array.from({ length: 500 }, (_, i) => tls(i + 1)).join('');
  const run = await runCli(['headers', inputFile('501-fields.eml', `${fields}${plain}\nbody\n`)]);
  assert.equal(run.code, 1, run.stdout.slice(-500));
  assert.match(run.stdout, /^UNKNOWN message 1: the header was not read in full \(unread: the oldest 1 Received field\)/m);
  assert.match(run.stdout, /TOO_MANY_RECEIVED_FIELDS The message has 501 Received fields/);
  assert.doesNotMatch(run.stdout, /every network hop used TLS/);
});

test('cap: a header over 1 MiB, a plaintext first hop past the cap: unknown, exit 1', async () => {
  const text = `${tls(1)}${tls(2)}X-Pad: ${'p'.repeat(1100 * 1024)}\n${plain}\nbody\n`;
  const run = await runCli(['headers', '--json', inputFile('big-header.eml', text)]);
  assert.equal(run.code, 1);
  const m = run.json().messages[0];
  assert.deepEqual([m.verdict.pass, m.verdict.allNetworkHopsEncrypted, m.verdict.complete, m.headerTruncated], [false, null, false, true]);
  assert.ok(m.problems.some((p: any) => p.code === 'HEADER_TOO_LARGE'));
});

test('cap: a Received field over 16 KiB says ESMTPS before the cut: the hop is unknown, exit 1', async () => {
  const long = `Received: from a.example (a.example [192.0.2.1]) by b.example with ESMTPS id X (${'c'.repeat(17 * 1024)}); Mon, 1 Jan 2024 00:00:00 +0000\n`;
  const run = await runCli(['headers', '--json', inputFile('long-field.eml', `${tls(1)}${long}\nbody\n`)]);
  assert.equal(run.code, 1);
  const m = run.json().messages[0];
  assert.deepEqual(m.hops.map((h: any) => [h.truncated, h.encrypted]), [[true, null], [false, true]]);
  assert.equal(m.verdict.allNetworkHopsEncrypted, null);
  assert.ok(m.problems.some((p: any) => p.code === 'HOP_FIELD_TRUNCATED'));
});

test('cap: 10,001 messages, the last one plaintext: 10,000 read, the input unknown, exit 1', async () => {
  const messages = Array.from({ length: 10_000 }, (_, i) => `${fromLine(i)}${tls(i)}\nbody\n\n`).join('');
  const run = await runCli(['headers', inputFile('10001.mbox', `${messages}${fromLine(10_000)}${plain}\nbody\n`)], { killAfterMs: 120_000 });
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stdout.match(/^PASS message \d+:/gm)?.length, 10_000);
  assert.doesNotMatch(run.stdout, /message 10001/);
  assert.match(run.stdout, /UNKNOWN .*10001\.mbox: only the first 10000 of 10001 messages were read, so it cannot pass/);
  assert.match(run.stdout, /TOO_MANY_MESSAGES/);
});

test('cap: an input over 64 MiB is read up to the cap, in bounded memory; what follows is unread: exit 1', async () => {
  // One message with a 64 MiB body, then a plaintext message past the cap.
  const file = path.join(dir, 'over-64MiB.mbox');
  const out = createWriteStream(file);
  out.write(`${fromLine(1)}${tls(1)}\n`);
  const line = `${'b'.repeat(1023)}\n`;
  for (let i = 0; i < 64 * 1024; i++) out.write(line);
  out.write(`\n${fromLine(2)}${plain}\nbody\n`);
  await new Promise<void>((resolve) => out.end(resolve));
  const run = await runCounted(['headers', '--json', file]);
  assert.equal(run.code, 1, run.stderr);
  const { input } = jsonTail(run);
  assert.deepEqual([input.bytes, input.complete, input.pass, input.messagesRead], [64 * MiB, false, false, 1]);
  assert.deepEqual(input.problems.map((p: any) => p.code), ['INPUT_TOO_LARGE']);
  assert.ok(run.maxRssKiB < RSS_BOUND_KIB, `peak RSS ${run.maxRssKiB} KiB`);
  // Standard input is capped alike; 65 MiB of one line holds no header at all.
  const stdin = await withStdin([], Buffer.alloc(65 * MiB, 0x61));
  assert.equal(stdin.code, 2);
  assert.match(stdin.stderr, /no message header found in standard input/);
  assert.match(stdin.stdout, /INPUT_TOO_LARGE/);
});

// Items 14 and 15: streaming, linear, bounded memory, text and JSON alike.

function hopHeavyMbox(name: string, messages: number, hops: number, bodyBytes: number): string {
  const file = path.join(dir, name);
  const fields = Array.from({ length: hops }, (_, i) => tls(i + 1)).join('');
  const body = `${'x'.repeat(99)}\n`.repeat(Math.ceil(bodyBytes / 100));
  writeFileSync(file, Array.from({ length: messages }, (_, i) => `${fromLine(i)}${fields}Subject: ${i}\n\n${body}\n`).join(''));
  return file;
}

test('1,000 messages of 60 hops (~30 MB), text and JSON: every message shown, bounded memory', async () => {
  const file = hopHeavyMbox('1000x60.mbox', 1000, 60, 20_000);
  const text = await runCounted(['headers', file]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.tail, /^PASS message 1000 /m);
  assert.ok(text.maxRssKiB < RSS_BOUND_KIB, `text: peak RSS ${text.maxRssKiB} KiB for ${text.bytes} bytes of report`);
  const json = await runCounted(['headers', '--json', file]);
  assert.equal(json.code, 0, json.stderr);
  assert.ok(json.head.startsWith('{\n  "schemaVersion": 1,\n  "messages": [\n    {\n'));
  const { input } = jsonTail(json);
  assert.deepEqual([input.messagesRead, input.pass, input.kind], [1000, true, 'mbox']);
  assert.ok(json.maxRssKiB < RSS_BOUND_KIB, `JSON: peak RSS ${json.maxRssKiB} KiB for ${json.bytes} bytes of report`);
});

test('output closed early (| head): stops quietly with 141; a full disk: one line and 74', async () => {
  const file = hopHeavyMbox('pipe.mbox', 300, 20, 0);
  for (const args of [['headers', file], ['headers', '--json', file]]) {
    const run = await runCounted(args, { closeAfter: 1 });
    assert.equal(run.code, 141, `${args.join(' ')}: ${run.stderr}`);
    assert.equal(run.stderr, '');
  }
  if (!existsSync('/dev/full')) return;
  const full = await runCounted(['headers', file], { stdout: 'full' });
  assert.equal(full.code, 74);
  // The one message of a failed standard output (cli/output.ts), as the probe's (batch-edges.test.ts).
  assert.equal(full.stderr, 'mxprobe: cannot write to standard output: ENOSPC (no space left on the device)\n');
});

// Several files.

test('several files: a heading per file, one JSON document, the worst exit code', async () => {
  const files = [fixture('postfix.eml'), fixture('mixed-path.eml'), fixture('two-messages.mbox')];
  const text = await runCli(['headers', ...files]);
  assert.equal(text.code, 1, text.stderr);
  assert.deepEqual(text.stdout.match(/^==> .+ <==$/gm), files.map((f) => `==> ${f} <==`));
  assert.match(text.stdout, /<==\nPASS message 1 <tls-test-1@sender\.example>/);
  const json = (await runCli(['headers', '--json', ...files])).json();
  assert.deepEqual(json.messages.map((m: any) => [path.basename(m.file), m.index]), [['postfix.eml', 1], ['mixed-path.eml', 1], ['two-messages.mbox', 1], ['two-messages.mbox', 2]]);
  assert.deepEqual(json.inputs.map((i: any) => [path.basename(i.file), i.kind, i.pass]), [['postfix.eml', 'message', true], ['mixed-path.eml', 'message', false], ['two-messages.mbox', 'mbox', false]]);
  assert.deepEqual([json.input.kind, json.input.messagesRead], ['several', 4]);
  const pass = await runCli(['headers', fixture('postfix.eml'), fixture('gmail.eml')]);
  assert.equal(pass.code, 0, pass.stdout);
});

test('several files: an unreadable one is skipped with one line and exit 2; one without a message makes it 1', async () => {
  const evil = inputFile('evil\u001b[31m.eml', 'no header here\n');
  const missing = path.join(dir, 'missing\u001b]0;x\u0007.eml');
  const run = await runCli(['headers', fixture('postfix.eml'), missing, fixture('two-messages.mbox')]);
  assert.equal(run.code, 2);
  assert.equal(run.stderr, `mxprobe: cannot read ${path.join(dir, 'missing\\x1b]0;x\\x07.eml')}: ENOENT\n`);
  assert.match(run.stdout, /PASS message 1 <tls-test-1@sender\.example>/);
  assert.match(run.stdout, /message 2 <mbox-2@sender\.example>/);

  const none = await runCli(['headers', fixture('postfix.eml'), evil]);
  assert.equal(none.code, 1, 'a file without a message proves nothing, but another file held one');
  assert.equal(none.stderr, `mxprobe: no message header found in ${path.join(dir, 'evil\\x1b[31m.eml')}\n`);
  assert.match(none.stdout, /==> .*evil\\x1b\[31m\.eml <==\nUNKNOWN no message header found in /);
  assert.doesNotMatch(none.stdout + none.stderr, /\u001b/);

  const nothing = await runCli(['headers', evil, evil]);
  assert.equal(nothing.code, 2, 'no file held a message');

  const twice = await runCli(['headers', '-', '-']);
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /^mxprobe: standard input \('-'\) can be read only once\n$/);
});
