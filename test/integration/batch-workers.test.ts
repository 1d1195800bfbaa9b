// `--workers N` through the BUILT CLI (dist/probe-worker.js): a batch over a fake DNS and a fleet of
// fake SMTP servers on 127.0.0.x gives the same rows with 1 and 2 workers and ends by itself (no
// handle of a worker keeps the process alive); the command line and --workers 1 start no worker; a
// SIGINT gives the probes in the workers their grace, exits 130 with the finished rows, and
// --resume completes the rest; a worker that dies ends the run as a bug does (exit 70, one line,
// the rows written so far kept) and --resume completes it. Workers are counted by a preloaded
// module that signs every Worker the process starts (on standard error, removed from it here).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeDns, type FakeDnsServer, type FakeZone } from '../helpers/fake-dns.ts';
import { startSmtpFleet, type SmtpFleet } from '../helpers/smtp-fleet.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { runCli } from '../helpers/run-cli.ts';
import { readCsvFile } from '../helpers/batch.ts';
import { STOP_GRACE_MS } from '../../src/pipeline/runner.ts';

const DOMAINS = 40;
const TARPIT = '127.0.0.6';
const WORKER_MARK = '@@mxprobe-test-worker-started';

let pki: TestPki;
let fleet: SmtpFleet;
let dns: FakeDnsServer;
let dir: string;
/** Preloaded in the CLI: each Worker started writes WORKER_MARK on standard error. */
let countWorkers: string;
/** Preloaded too: in a probe worker, the third probe message throws outside any probe (a bug). */
let crashWorker: string;

/** d{i}.test → MX mx{i}.test (a probe each) → 127.0.0.(2 + i mod 4); slow{i}.test → tarpit{i}.test (never answers). */
function zone(): FakeZone {
  const z: FakeZone = {};
  for (let i = 0; i < DOMAINS; i++) {
    z[`d${i}.test`] = { MX: [{ preference: 10, exchange: `mx${i}.test` }] };
    z[`mx${i}.test`] = { A: [`127.0.0.${2 + (i % 4)}`] };
  }
  for (let i = 0; i < 8; i++) {
    z[`tarpit${i}.test`] = { A: [TARPIT] };
    z[`slow${i}.test`] = { MX: [{ preference: 10, exchange: `tarpit${i}.test` }] };
  }
  return z;
}

/** Options of a probe against the fake fleet. */
const probeArgs = (): string[] => [
  '--resolver', dns.address, '--port', String(fleet.port), '--ca-file', pki.caFile,
  '--timeout', '20', '--connect-timeout', '10', '--dns-timeout', '5', '--allow-special-addresses',
];
/** …and of a batch (--retries goes with --input only). */
const common = (): string[] => [...probeArgs(), '--retries', '0'];

const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

const domainsInput = () => write('domains.csv', `domain,partner\n${Array.from({ length: DOMAINS }, (_, i) => `d${i}.test,P${i}`).join('\n')}\n`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Workers the process started. */
  workers: number;
}

/** The built CLI with `preload` modules; `onStart` sees the child (to signal it). */
async function cli(args: readonly string[], preload: readonly string[] = [countWorkers], onStart?: (child: ChildProcess) => void): Promise<Run> {
  // A run that does not end by itself (a worker holding the process open) fails at the kill.
  const run = await runCli(args, {
    env: { MXPROBE_DEBUG: undefined },
    nodeArgs: preload.flatMap((p) => ['--import', p]),
    killAfterMs: 60_000,
    ...(onStart !== undefined ? { onStart } : {}),
  });
  const lines = run.stderr.split('\n');
  return { code: run.code, stdout: run.stdout, workers: lines.filter((l) => l === WORKER_MARK).length, stderr: lines.filter((l) => l !== WORKER_MARK).join('\n') };
}

/** The rows of a CSV output, by input line, without what depends on the moment. */
async function rowsOf(file: string): Promise<string[]> {
  return (await readCsvFile(file)).rows.map((r) => [r.columns.line, r.input, r.columns.level, r.columns.pass, r.columns.problems, r.columns.partner].join('|')).sort();
}

before(async () => {
  pki = await makeTestPki();
  fleet = await startSmtpFleet({ count: 5, tls: { key: pki.certs.wildcard.key, cert: pki.certs.wildcard.cert }, delayMs: 2, silent: [TARPIT] });
  dns = await startFakeDns(zone());
  dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-batch-workers-'));
  countWorkers = write(
    'count-workers.mjs',
    `import { createRequire, syncBuiltinESMExports } from 'node:module';
const threads = createRequire(import.meta.url)('node:worker_threads');
const Original = threads.Worker;
threads.Worker = class extends Original { constructor(...args) { super(...args); process.stderr.write(${JSON.stringify(`${WORKER_MARK}\n`)}); } };
syncBuiltinESMExports();
`,
  );
  crashWorker = write(
    'crash-worker.mjs',
    `import { isMainThread, parentPort } from 'node:worker_threads';
if (!isMainThread) {
  let n = 0;
  const crash = (m) => { if (m.kind === 'probe' && ++n === 3) throw new Error('injected worker fault'); };
  // Right after the worker's own listener: the first listener starts the port, and the messages
  // queued until then go to the listeners there are.
  const on = parentPort.on.bind(parentPort);
  parentPort.on = (event, listener) => {
    on(event, listener);
    if (event === 'message' && listener !== crash) on('message', crash);
    return parentPort;
  };
}
`,
  );
});

after(async () => {
  await fleet?.close();
  await dns?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('--workers', () => {
  test('a batch gives the same rows with 1 and 2 workers, starts as many workers as asked, and ends by itself', async () => {
    const input = domainsInput();
    const outputs: Array<{ workers: number; rows: string[] }> = [];
    for (const workers of ['1', '2']) {
      const out = path.join(dir, `same-${workers}.csv`);
      const before = fleet.totalConnections();
      const run = await cli(['--input', input, '--format', 'csv', '--output', out, '--workers', workers, '--quiet', ...common()]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
      assert.equal(fleet.totalConnections() - before, DOMAINS, 'every MX address probed once');
      outputs.push({ workers: run.workers, rows: await rowsOf(out) });
    }
    assert.deepEqual(outputs.map((o) => o.workers), [0, 2], '--workers 1 probes in the main thread');
    assert.equal(outputs[0]?.rows.length, DOMAINS);
    assert.deepEqual(outputs[1]?.rows, outputs[0]?.rows);
  });

  test('--deep runs in the workers too (its module is loaded there): the same deep facts as in the main thread', async () => {
    const input = write('deep.csv', 'domain\nd1.test\n');
    const deep = (workers: string) => cli(['--input', input, '--format', 'ndjson', '--deep', '--workers', workers, '--quiet', ...common()]);
    const [one, two] = [await deep('1'), await deep('2')];
    assert.deepEqual([one.code, two.code, two.workers], [0, 0, 2], two.stderr);
    const protocols = (run: Run) => {
      const address = JSON.parse(run.stdout).mx[0].addresses[0];
      assert.ok(address.deep, run.stdout.slice(0, 500));
      return address.deep.protocols.map((p: any) => `${p.version} ${p.accepted}`);
    };
    assert.deepEqual(protocols(two), protocols(one));
  });

  test('domains given as arguments and --server start no worker', async () => {
    const args = await cli(['d1.test', 'd2.test', '--format', 'csv', ...probeArgs()]);
    assert.equal(args.code, 0, args.stderr);
    const server = await cli(['--server', `127.0.0.2:${fleet.port}`, '--name', 'mx.test.example', '--format', 'csv', '--ca-file', pki.caFile]);
    assert.equal(server.code, 0, server.stderr);
    assert.deepEqual([args.workers, server.workers], [0, 0]);
  });

  test('SIGINT with probes hanging in the workers: their grace, exit 130 with the finished rows, none for the unfinished; --resume completes every row once', async () => {
    const rows = ['domain'];
    for (let i = 0; i < 4; i++) rows.push(`d${i}.test`);
    for (let i = 0; i < 6; i++) rows.push(`slow${i}.test`);
    for (let i = 4; i < DOMAINS; i++) rows.push(`d${i}.test`);
    const input = write('tarpit.csv', `${rows.join('\n')}\n`);
    const out = path.join(dir, 'sigint.csv');
    const tarpit = fleet.byIp.get(TARPIT)!;
    const start = tarpit.connections;
    let signalledAt = 0;
    let connectionsAtSignal = 0;
    let exitedAt = 0;
    // --timeout 60: the tarpit's probes would hang a minute.
    const args = ['--input', input, '--format', 'csv', '--output', out, '--workers', '2', '--concurrency', '4', '--per-host', '2', ...common(), '--timeout', '60', '--connect-timeout', '60'];
    const run = await cli(args, [countWorkers], (child) => {
      const poll = setInterval(() => {
        const written = existsSync(out) ? readFileSync(out, 'utf8').split('\r\n').length - 2 : 0;
        if (written >= 4 && tarpit.connections - start >= 2) {
          clearInterval(poll);
          signalledAt = performance.now();
          connectionsAtSignal = fleet.totalConnections();
          child.kill('SIGINT');
        }
      }, 20);
      child.on('close', () => {
        clearInterval(poll);
        exitedAt = performance.now();
      });
    });
    const ms = exitedAt - signalledAt;
    assert.equal(run.code, 130, run.stderr);
    assert.equal(run.workers, 2);
    assert.equal(fleet.totalConnections(), connectionsAtSignal, 'no connection after the signal');
    assert.ok(ms >= STOP_GRACE_MS - 500, `${Math.round(ms)} ms after SIGINT: the probes in flight get their grace`);
    assert.ok(ms < STOP_GRACE_MS + 10_000, `${Math.round(ms)} ms after SIGINT: not the probes' 60 s deadline`);
    assert.match(run.stderr, /^interrupted: partial results — \d+ domains done, \d+ unfinished \(not written: --resume redoes them\)/m);
    const partial = (await readCsvFile(out)).rows.map((r) => r.input);
    assert.ok(partial.length >= 4 && !partial.some((d) => d.startsWith('slow')), partial.join(' '));

    // The tarpit answers nothing: resume with a short deadline, so that its rows end (as timeouts).
    const resumed = await cli(['--input', input, '--format', 'csv', '--output', out, '--resume', '--workers', '2', '--quiet', ...common(), '--timeout', '1', '--connect-timeout', '1']);
    assert.equal(resumed.code, 3, resumed.stderr); // the tarpit's rows are undetermined
    const lines = (await readCsvFile(out)).rows.map((r) => Number(r.columns.line));
    assert.equal(new Set(lines).size, lines.length, 'no row twice');
    assert.equal(lines.length, rows.length - 1, 'every row once');
  });

  test('a worker that dies: exit 70 with one line, the rows written so far kept; --resume completes every row once', async () => {
    const input = domainsInput();
    const out = path.join(dir, 'crash.csv');
    const args = ['--input', input, '--format', 'csv', '--output', out, '--workers', '2', '--concurrency', '1', ...common()];
    const crashed = await cli(args, [countWorkers, crashWorker]);
    assert.equal(crashed.code, 70, crashed.stderr);
    assert.equal(crashed.stderr, 'mxprobe: internal error: a probe worker failed: injected worker fault\n');
    const kept = await rowsOf(out);
    assert.ok(kept.length >= 2 && kept.length < DOMAINS, `${kept.length} rows kept`);
    const resumed = await cli([...args, '--resume', '--quiet']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const clean = path.join(dir, 'crash-clean.csv');
    await cli(['--input', input, '--format', 'csv', '--output', clean, '--workers', '1', '--quiet', ...common()]);
    assert.deepEqual(await rowsOf(out), await rowsOf(clean), 'every row once, as in a clean run');
  });
});
