import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/run-cli.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/headers/${name}`, import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/mxprobe.js', import.meta.url));

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
    child.stdin.on('error', () => {}); // the CLI may stop reading early (too large)
    child.stdin.end(input);
  });
}

test('every network hop encrypted: exit 0, PASS verdict and a table of hops', async () => {
  const run = await runCli(['headers', fixture('postfix.eml')]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^PASS message 1 /m);
  assert.match(run.stdout, /TLSv1\.3/);
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

test('standard input, - or nothing, gives the same report as the file', async () => {
  const text = readFileSync(fixture('postfix.eml'));
  const fromFile = await runCli(['headers', '--json', fixture('postfix.eml')]);
  for (const args of [['--json'], ['--json', '-']]) {
    const run = await withStdin(args, text);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).messages, fromFile.json().messages);
  }
});

test('unreadable input: exit 2 with one line, no stack trace', async () => {
  for (const args of [['headers', '/nonexistent/message.eml'], ['headers', fileURLToPath(new URL('.', import.meta.url))]]) {
    const run = await runCli(args);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^mxprobe: .+\n$/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  }
  const empty = await withStdin([], 'not a message at all');
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /no message header found/);
});

test('input over the size cap is refused, not read into memory', async () => {
  const run = await withStdin([], Buffer.alloc(65 * 1024 * 1024, 0x61));
  assert.equal(run.code, 2);
  assert.match(run.stderr, /larger than 64 MiB/);
});

test('hostile header text cannot drive the terminal', async () => {
  const run = await runCli(['headers', fixture('garbage.eml')]);
  assert.ok(run.code === 0 || run.code === 1);
  assert.doesNotMatch(run.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
});
