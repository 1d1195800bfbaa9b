// `mxprobe receive` through the built CLI (dist/): the listening line, the formats (text, NDJSON
// records as sessions end, JSON at the end), --until-decided, --require and the exit codes,
// SIGINT, one-line usage errors, and swaks as a real sender (with and without --tls; skipped
// when swaks is missing, except in CI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { runCli, type CliRun } from '../helpers/run-cli.ts';
import { attempt, connect, deliverUntilFinal, selfSigned } from '../helpers/smtp-sender.ts';

const valid = selfSigned('mx.test');
const BASE = ['receive', '--listen', '127.0.0.1:0', '--cert', valid.certFile, '--key', valid.keyFile, '--no-reverse'];

/** Starts `mxprobe receive`; resolves with the bound port once the listening line is out, and the run's end. */
function startReceive(args: readonly string[]): Promise<{ port: number; child: ChildProcess; done: Promise<CliRun> }> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess | null = null;
    let seen = '';
    const done = runCli([...BASE, ...args], {
      killAfterMs: 60_000,
      onStart: (c) => {
        child = c;
        c.stderr?.on('data', (d: Buffer) => {
          seen += d.toString();
          const m = /^mxprobe: listening on 127\.0\.0\.1:(\d+)\n/.exec(seen);
          if (m !== null && child !== null) resolve({ port: Number(m[1]), child, done });
        });
      },
    });
    done.then((r) => reject(new Error(`ended before listening: ${r.code} ${r.stderr}`)), reject);
  });
}

test('the first line on stderr is the bound address; NDJSON: a session record as each ends, a sender record each at the end; --until-decided ends the run; --require c: exit 1 for a (b) sender', async () => {
  const { port, done } = await startReceive(['--until-decided', '--duration', '40', '--require', 'c', '--format', 'ndjson']);
  const attempts = await deliverUntilFinal(port, '127.0.0.31', 'b', valid.cert);
  assert.deepEqual(attempts.map((a) => a.result), [451, 451, 550]);
  const run = await done;
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /^mxprobe: listening on 127\.0\.0\.1:\d+\n/);
  const records = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => `${r.record}:${r.round ?? r.policies.join('')}`), ['session:1', 'session:2', 'session:3', 'sender:b']);
  for (const r of records) assert.equal(r.schemaVersion, 1);
  const sender = records[3];
  assert.equal(sender.ip, '127.0.0.31');
  assert.deepEqual(sender.observed, [1, 2, 3]);
  assert.deepEqual(sender.missing, []);
  assert.equal(sender.meets, false);
  assert.equal(records[0].tls.sni, 'mx.test');
  assert.deepEqual(records[1].offered, { starttls: true, certificate: 'wrong-name' });
  assert.deepEqual(records[2].offered, { starttls: false, certificate: null });
});

test('JSON: one document at the end with sessions and senders; a (d) sender meets --require d: exit 0', async () => {
  const { port, done } = await startReceive(['--until-decided', '--duration', '40', '--require', 'd', '--json']);
  // 451 (TLS with --cert), leaves after the wrong-name handshake, defers without STARTTLS: decided, the run ends.
  for (let i = 0; i < 3; i += 1) await attempt(port, '127.0.0.32', 'd', valid.cert);
  const run = await done;
  assert.equal(run.code, 0, run.stderr);
  const doc = run.json();
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.senders.length, 1);
  assert.deepEqual(doc.senders[0].policies, ['d']);
  assert.equal(doc.senders[0].meets, true);
  assert.ok(doc.sessions.length >= 3);
});

test('nothing observed before --duration: exit 3, the text report says so', async () => {
  const { done } = await startReceive(['--duration', '0.3']);
  const run = await done;
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stdout, /no sender observed/);
});

test('SIGINT ends the run with the report; the exit code is the verdict (text: a block per session, a verdict line per sender)', async () => {
  const { port, child, done } = await startReceive([]);
  assert.deepEqual((await deliverUntilFinal(port, '127.0.0.33', 'a', valid.cert)).map((a) => a.result), [550]);
  child.kill('SIGINT');
  const run = await done;
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^session 1 {2}127\.0\.0\.33 {2}round 1: STARTTLS offered, --cert\n/);
  assert.match(run.stdout, /\nsender 127\.0\.0\.33: \(a\) plain {2}\[rounds seen 1; decided\]\n/);
});

test('usage errors are one line with exit 2: no --listen, a bad --listen, an unknown --require, a missing --cert, a key that is no key, an endless --cert', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['receive', '--cert', valid.certFile, '--key', valid.keyFile], /needs --listen/],
    [['receive', '--listen', 'nowhere:25x', '--cert', valid.certFile, '--key', valid.keyFile], /--listen "nowhere:25x"/],
    [[...BASE, '--require', 'z\x1b[31m'], /--require "z\\x1b\[31m"/],
    [['receive', '--listen', '127.0.0.1:0', '--cert', '/nonexistent/c.pem', '--key', valid.keyFile], /cannot read --cert/],
    [['receive', '--listen', '127.0.0.1:0', '--cert', valid.certFile, '--key', valid.certFile], /--key .* holds no private key/],
    // A device that never ends is read no further than the cap, like a huge file.
    [['receive', '--listen', '127.0.0.1:0', '--cert', '/dev/zero', '--key', valid.keyFile], /--cert "\/dev\/zero" is larger than 1 MiB/],
  ];
  for (const [args, message] of cases) {
    const run = await runCli(args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, message);
    assert.doesNotMatch(run.stderr, /\x1b|\n\s+at /);
  }
});

test('an address already in use: one line, exit 2', async () => {
  const { port, child, done } = await startReceive([]);
  const run = await runCli(['receive', '--listen', `127.0.0.1:${port}`, '--cert', valid.certFile, '--key', valid.keyFile, '--no-reverse']);
  child.kill('SIGTERM');
  await done;
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^mxprobe: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE\n$/);
});

const hasSwaks = spawnSync('swaks', ['--version'], { stdio: 'ignore' }).status === 0;
const skipSwaks = !hasSwaks && process.env.CI === undefined ? 'swaks is not installed (scripts/install-test-deps.sh)' : false;

test('swaks as a sender: without --tls it is (a); with --tls it goes through rounds 1 and 2 and gives up in round 3 ((c): it requires TLS and does not verify)', { skip: skipSwaks }, async () => {
  // Not --until-decided: the first sender is decided at once, and the run would end with it.
  const { port, child, done } = await startReceive(['--duration', '40', '--format', 'ndjson']);
  const swaks = (from: string, tls: boolean) => {
    const r = spawnSync('swaks', ['--server', '127.0.0.1', '--port', String(port), '--local-interface', from, '--to', 'to@bank.test', '--from', 'from@partner.test', ...(tls ? ['--tls'] : [])], { encoding: 'utf8', timeout: 20_000 });
    return `${r.stdout}${r.stderr}`;
  };
  assert.match(swaks('127.0.0.34', false), /<\*\* +550 /);
  assert.match(swaks('127.0.0.35', true), /<~\* +451 /);
  assert.match(swaks('127.0.0.35', true), /<~\* +451 /);
  assert.match(swaks('127.0.0.35', true), /Host did not advertise STARTTLS/);
  child.kill('SIGTERM');
  const run = await done;
  const senders = run.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.record === 'sender');
  assert.deepEqual(senders.map((s) => `${s.ip}:${s.policies.join('')}`), ['127.0.0.34:a', '127.0.0.35:c']);
  assert.equal(run.code, 0);
});

test('SIGTERM with a silent client connected: the session is cut after the grace period and recorded, the run ends (exit 3: nothing observed)', async () => {
  const { port, child, done } = await startReceive(['--format', 'ndjson']);
  const silent = await connect(port, '127.0.0.36');
  await silent.reply();
  const t0 = Date.now();
  child.kill('SIGTERM');
  const run = await done;
  silent.close();
  assert.equal(run.code, 3, run.stderr);
  assert.ok(Date.now() - t0 < 20_000, 'ends after the 2 s grace, not at the idle deadline (60 s)');
  const records = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => [r.record, r.ip, r.counted, r.ehlo]), [['session', '127.0.0.36', false, null]]);
});
