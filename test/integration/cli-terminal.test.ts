// The real CLI on a real pseudo-terminal (util-linux `script`, with the size set by `stty`),
// replayed on a small terminal emulator (test/helpers/terminal.ts): a terminal 0 columns wide
// (a pty whose size was never set) must not make the spinner loop forever (item 16); spinner
// frames never wrap, so they never erase a result row; single mode names a domain in flight,
// never a finished one. Only loopback servers: a fake DNS and fake SMTP servers.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeDns, type FakeDnsServer, type FakeZone } from '../helpers/fake-dns.ts';
import { startFakeSmtp, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { BIN, closedPort, ROOT } from '../helpers/run-cli.ts';
import { replay } from '../helpers/terminal.ts';

const HAS_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
/** CI must run these; a workstation without util-linux `script` skips them. */
const skip = !HAS_SCRIPT && process.env.CI !== 'true' ? 'needs util-linux `script` for a pseudo-terminal' : false;
/** Far more than a working run writes here; a runaway spinner writes megabytes. */
const MAX_BYTES = 512 * 1024;
const KILL_MS = 40_000;

interface PtyRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  bytes: number;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the built CLI on a pseudo-terminal `columns` wide; stdout and stderr both reach the terminal. */
function runOnTerminal(columns: number, args: readonly string[]): Promise<PtyRun> {
  const command = `stty cols ${columns} rows ${columns === 0 ? 0 : 40} && exec ${[process.execPath, BIN, ...args].map(shellQuote).join(' ')}`;
  const env: Record<string, string | undefined> = { ...process.env, TERM: 'xterm-256color', NO_COLOR: '1' };
  for (const name of ['CI', 'FORCE_COLOR', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT']) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let bytes = 0;
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // script and the CLI under it
      } catch {
        // already gone
      }
    };
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      bytes += Buffer.byteLength(c);
      if (bytes <= 2 * MAX_BYTES) output += c;
      else kill();
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    const timer = setTimeout(kill, KILL_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, bytes });
    });
  });
}

function assertExited(run: PtyRun, what: string): void {
  assert.equal(run.signal, null, `${what}: had to be killed after ${run.bytes} bytes`);
  assert.ok(run.bytes < MAX_BYTES, `${what}: ${run.bytes} bytes on the terminal`);
  assert.ok(run.code !== null && run.code < 128, `${what}: exit ${run.code}; tail ${JSON.stringify(run.output.slice(-300))}`);
}

let dns: FakeDnsServer;
let smtp: FakeSmtpServer;
let silent: FakeSmtpServer;
let dir: string;

const DOMAINS = 24;

function zone(): FakeZone {
  const z: FakeZone = { 'mx.test': { A: ['127.0.0.1'] } };
  for (let i = 0; i < DOMAINS; i++) z[`d${i}.test`] = { MX: [{ preference: 10, exchange: 'mx.test' }] };
  for (const name of ['a', 'b', 'c']) z[`${name}.test`] = { MX: [{ preference: 10, exchange: 'mx.test' }] };
  return z; // fast.test is not in the zone: NXDOMAIN at once
}

before(async () => {
  // 120 ms per DNS answer: a batch's rows arrive over a second or two, between spinner frames.
  dns = await startFakeDns(zone(), { delayMs: 120 });
  smtp = await startFakeSmtp();
  silent = await startFakeSmtp({ behaviour: 'silent' });
  dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-tty-'));
});

after(async () => {
  await dns?.close();
  await smtp?.close();
  await silent?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the CLI on a terminal', { skip, concurrency: true }, () => {
  for (const columns of [0, 1]) {
    test(`a terminal ${columns} columns wide: no spinner, and mxprobe exits`, async () => {
      const run = await runOnTerminal(columns, ['--server', `127.0.0.1:${await closedPort()}`, '--timeout', '2', '--connect-timeout', '1']);
      assertExited(run, `${columns} columns`);
      assert.equal(run.code, 3, run.output.slice(-500)); // nothing reachable
    });
  }

  test('a batch at 80 columns: progress frames never wrap, so no result row is erased', async () => {
    const list = path.join(dir, 'list.txt');
    writeFileSync(list, `${Array.from({ length: DOMAINS }, (_, i) => `d${i}.test`).join('\n')}\n`);
    const run = await runOnTerminal(80, [
      '--input', list, '--resolver', dns.address, '--port', String(smtp.port), '--allow-special-addresses',
      '--require', 'none', '--concurrency', '2', '--timeout', '5', '--dns-timeout', '2', '-4',
    ]);
    assertExited(run, 'batch');
    assert.equal(run.code, 0, run.output.slice(-800));
    assert.match(run.output, /\u001b\[\d*G/, 'a spinner was drawn');
    const screen = replay(run.output, 80);
    assert.deepEqual(screen.unknown, []);
    assert.deepEqual(screen.wraps, [], 'no line wider than the terminal');
    const rows = screen.lines.filter((l) => /^PASS d\d+\.test: level none \(required: none\)$/.test(l));
    assert.equal(rows.length, DOMAINS, `every row on the screen:\n${screen.lines.join('\n')}`);
    assert.deepEqual(screen.erased.filter((l) => /^(PASS|FAIL|UNKNOWN) /.test(l)), [], 'no result row erased');
  });

  test('single mode names the domains in flight, never one that has finished', async () => {
    // a, b and c wait for a silent server until --timeout; fast.test (NXDOMAIN) finishes first.
    const run = await runOnTerminal(120, [
      'a.test', 'b.test', 'c.test', 'fast.test', '--resolver', dns.address, '--port', String(silent.port), '--allow-special-addresses',
      '--timeout', '2', '--connect-timeout', '1', '--dns-timeout', '1', '-4',
    ]);
    assertExited(run, 'single');
    const frames = [...run.output.matchAll(/probing ([^\r\n\u001b]*)/g)].map((m) => m[1]!);
    const afterFirst = frames.filter((f) => /\(1\/4 done\)/.test(f));
    assert.ok(afterFirst.length > 0, `frames after fast.test finished: ${JSON.stringify(frames.slice(0, 20))}`);
    for (const frame of afterFirst) assert.doesNotMatch(frame, /fast\.test/, `a finished domain named: ${frame}`);
    assert.ok(afterFirst.some((f) => /^[abc]\.test and 2 more/.test(f)), JSON.stringify(afterFirst.slice(0, 5)));
  });
});
