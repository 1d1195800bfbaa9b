// Batch audits at their edges, through the real CLI over a fake DNS and a fleet of fake SMTP
// servers on 127.0.0.x (one of them a tarpit that never answers): every input row exactly
// once (duplicates, invalid rows, kill -9 and --resume), the verdict of a resumed run, the
// input as output, a closed standard output, signals, output errors, resumed headers.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeDns, type FakeDnsServer, type FakeZone } from '../helpers/fake-dns.ts';
import { startSmtpFleet, type SmtpFleet } from '../helpers/smtp-fleet.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { BIN, ROOT, problemsOf, runCli, type CliRun } from '../helpers/run-cli.ts';
import { readCsvFile } from '../helpers/batch.ts';
import { STOP_GRACE_MS } from '../../src/pipeline/runner.ts';

const DOMAINS = 160;
const TARPIT = '127.0.0.6';

let pki: TestPki;
let fleet: SmtpFleet;
let dns: FakeDnsServer;
let dir: string;

/** d{i}.test → mx{i % 4}.test (127.0.0.2–5); slow{i}.test → tarpit{i}.test (never answers); nullmx.test; nx.test is not there. */
function zone(): FakeZone {
  const z: FakeZone = {};
  for (let m = 0; m < 4; m++) z[`mx${m}.test`] = { A: [`127.0.0.${2 + m}`] };
  for (let i = 0; i < DOMAINS; i++) z[`d${i}.test`] = { MX: [{ preference: 10, exchange: `mx${i % 4}.test` }] };
  // Each slow domain its own MX name on the tarpit's one address: probes apart, under one --per-host cap.
  for (let i = 0; i < 12; i++) {
    z[`tarpit${i}.test`] = { A: [TARPIT] };
    z[`slow${i}.test`] = { MX: [{ preference: 10, exchange: `tarpit${i}.test` }] };
  }
  z['nullmx.test'] = { MX: [{ preference: 0, exchange: '.' }] };
  return z;
}

/** Options of a probe against the fake fleet, single mode or batch. */
function probeOptions(resolver = dns): string[] {
  // The MX hosts resolve to loopback, a special-purpose range: allowed for these tests.
  return ['--resolver', resolver.address, '--port', String(fleet.port), '--ca-file', pki.caFile, '--timeout', '5', '--dns-timeout', '1', '--allow-special-addresses'];
}

/** Options of a batch against the fake fleet (--retries goes with --input only). */
function common(resolver = dns): string[] {
  return [...probeOptions(resolver), '--retries', '0'];
}

/** The fleet's options for these arguments: a batch's, or a single probe's. */
function optionsFor(args: readonly string[]): string[] {
  return args.includes('--input') ? common() : probeOptions();
}

const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

/** What a run of the CLI gave: its exit and its output. */
type Spawned = Pick<CliRun, 'code' | 'signal' | 'stdout' | 'stderr'>;

/** The built CLI with the given stdio (fds or pipes); `onStart` sees the child (to signal it, close its stdout…). */
function spawnCli(args: readonly string[], stdio: StdioOptions, onStart?: (child: ChildProcess) => void): Promise<CliRun> {
  return runCli(args, { stdio, killAfterMs: 60_000, ...(onStart !== undefined ? { onStart } : {}) });
}

/**
 * `mxprobe ARGS | READER` through bash: a real pipe (Node's own child pipes are socket
 * pairs), the CLI's exit code from PIPESTATUS, what the reader printed as stdout.
 */
function shellPipe(args: readonly string[], reader: string): Promise<Spawned> {
  return new Promise((resolve) => {
    const child = spawn('/bin/bash', ['-c', `"$@" | ${reader}; exit "\${PIPESTATUS[0]}"`, 'bash', process.execPath, BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', CI: 'true' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Lines of the summary that say what the output holds (not the speed). */
const verdictLines = (stderr: string) => stderr.split('\n').filter((l) => /^ {2}(levels|required) /.test(l));

before(async () => {
  pki = await makeTestPki();
  fleet = await startSmtpFleet({ count: 5, tls: { key: pki.certs.wildcard.key, cert: pki.certs.wildcard.cert }, delayMs: 2, silent: [TARPIT] });
  dns = await startFakeDns(zone());
  dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-batch-edges-'));
});

after(async () => {
  await fleet?.close();
  await dns?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('every input row gives exactly one output row', () => {
  test('a domain listed twice: a row each, judged with its own require and columns, probed once; the exit code does not depend on row order', async () => {
    const rows = ['d1.test,none,First', 'D1.TEST.,verify,Second'];
    const codes: Array<number | null> = [];
    for (const order of [rows, [...rows].reverse()]) {
      const input = write('twice.csv', `domain,require,partner\n${order.join('\n')}\n`);
      const before = fleet.totalConnections();
      const run = await runCli(['--input', input, '--format', 'ndjson', '--quiet', ...common()]);
      codes.push(run.code);
      const out = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(out.length, 2, run.stdout);
      const byPartner = new Map(out.map((r: any) => [r.source.columns.partner, r]));
      assert.deepEqual([byPartner.get('First')?.required, byPartner.get('First')?.pass], ['none', true]);
      assert.deepEqual([byPartner.get('Second')?.required, byPartner.get('Second')?.pass], ['verify', false], 'the wildcard certificate does not name mx1.test');
      assert.equal(byPartner.get('Second')?.input, 'D1.TEST.');
      assert.equal(byPartner.get('First')?.level, byPartner.get('Second')?.level, 'the same facts');
      assert.equal(fleet.totalConnections() - before, 1, 'the domain (and its one MX address) probed once');
    }
    assert.deepEqual(codes, [1, 1]);
  });

  /** ~200 rows: domains, duplicates with other columns, the same invalid text again and again, a row with extra fields, no-mail domains. */
  function bigInput(): string {
    const lines = ['domain,partner,require'];
    for (let i = 0; i < DOMAINS; i++) {
      lines.push(`d${i}.test,P${i},`);
      if (i % 16 === 3) lines.push('a..b,bad,'); // the same invalid input, many times
      if (i % 20 === 10) lines.push(`D${i - 5}.test.,dup${i},verify`); // listed again, another require
      if (i === 40) lines.push('d9.test,extra,x,y', 'd9.test,P9-again,'); // the pair
      if (i === 80) lines.push('nx.test,gone,', 'nullmx.test,none,', 'ops@d3.test,mail,');
    }
    return `${lines.join('\n')}\n`;
  }

  /** line → what the row says, for an output in either format; fails on a line seen twice. */
  async function rowsByLine(file: string, format: 'csv' | 'ndjson'): Promise<Map<number, string>> {
    const byLine = new Map<number, string>();
    const add = (line: number, text: string) => {
      assert.ok(!byLine.has(line), `line ${line} written twice`);
      byLine.set(line, text);
    };
    if (format === 'csv') {
      for (const r of (await readCsvFile(file)).rows) add(Number(r.columns.line), [r.input, r.columns.level, r.columns.required, r.columns.pass, r.columns.problems, r.columns.partner].join('|'));
    } else {
      for (const l of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
        const r = JSON.parse(l);
        add(r.source.line, [r.domain, r.level, r.required, r.pass, [...new Set(problemsOf(r).map((p: any) => p.code))].join(';'), r.source.columns.partner].join('|'));
      }
    }
    return byLine;
  }

  for (const format of ['csv', 'ndjson'] as const) {
    test(`${format}: kill -9 at random points, then --resume until done: every input row exactly once, as in a clean run, with its verdict`, async (t) => {
      const slow = await startFakeDns(zone(), { delayMs: 10 });
      try {
        const input = write(`big-${format}.csv`, bigInput());
        const inputLines = bigInput().trimEnd().split('\n').length - 1;
        const args = ['--input', input, '--format', format, '--concurrency', '3', ...common(slow)];
        const clean = path.join(dir, `clean.${format}`);
        const cleanRun = await spawnCli([...args, '--output', clean], ['ignore', 'pipe', 'pipe']);
        assert.equal(cleanRun.code, 1, cleanRun.stderr);
        const want = await rowsByLine(clean, format);
        assert.equal(want.size, inputLines, 'the clean run: one row per input row');

        // A seeded generator, so that a failure can be replayed (the seed is in the diagnostics).
        let seed = Number(process.env.MXPROBE_TEST_SEED ?? Date.now() % 100_000);
        t.diagnostic(`seed ${seed}`);
        const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
        const out = path.join(dir, `resumed.${format}`);
        const cleanBytes = readFileSync(clean).length;
        const size = () => (existsSync(out) ? readFileSync(out).length : 0);
        let kills = 0;
        let midRun = 0;
        let last: Spawned | null = null;
        for (let cycle = 0; cycle < 12; cycle++) {
          // Six kills at random points: one during start-up, the others once the output has
          // grown past a random size (so the kill may land inside a row), then let it finish.
          const before = size();
          const startupKill = cycle === 2 ? 30 + random() * 150 : null;
          const threshold = cycle < 6 && startupKill === null ? before + 1 + random() * (cleanBytes - before) * 0.7 : null;
          let killed = false;
          const run = await spawnCli([...args, '--output', out, '--resume', '--quiet'], ['ignore', 'pipe', 'pipe'], (child) => {
            const kill = () => (killed = child.kill('SIGKILL'));
            if (startupKill !== null) setTimeout(kill, startupKill);
            if (threshold === null) return;
            const poll = setInterval(() => {
              if (size() >= threshold) {
                clearInterval(poll);
                kill();
              }
            }, 3);
            child.on('close', () => clearInterval(poll));
          });
          if (run.signal === 'SIGKILL' && killed) {
            kills += 1;
            if (size() > before) midRun += 1;
            continue;
          }
          last = run;
          break;
        }
        assert.ok(last !== null, 'the resumed runs finished');
        t.diagnostic(`${kills} kills, ${midRun} with rows written`);
        assert.ok(kills >= 3 && midRun >= 2, `${kills} kills, ${midRun} after rows were written`);
        const got = await rowsByLine(out, format);
        assert.deepEqual(new Map([...got].sort((a, b) => a[0] - b[0])), new Map([...want].sort((a, b) => a[0] - b[0])));
        if (format === 'csv') assert.equal(readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('domain,')).length, 1, 'one header');

        // The verdict of a resumed run covers the whole output: the same as the clean run's.
        const again = await spawnCli([...args, '--output', out, '--resume'], ['ignore', 'pipe', 'pipe']);
        assert.equal(again.code, cleanRun.code, again.stderr);
        assert.deepEqual(verdictLines(again.stderr), verdictLines(cleanRun.stderr));
        assert.match(again.stderr, new RegExp(`domains {3}${inputLines} \\(${inputLines} from the earlier output, 0 in this run\\)`));
      } finally {
        await slow.close();
      }
    });
  }

  test('a resumed run with nothing left keeps the verdict of the whole output (exit 1, not 0; every row in the summary)', async () => {
    const input = write('verdict-input.csv', 'domain\nd1.test\nnx.test\nd2.test\nbad..name\n');
    for (const format of ['csv', 'ndjson'] as const) {
      const out = path.join(dir, `verdict-output.${format}`);
      const first = await runCli(['--input', input, '--format', format, '--output', out, ...common()]);
      assert.equal(first.code, 1, first.stderr);
      const resumed = await runCli(['--input', input, '--format', format, '--output', out, '--resume', ...common()]);
      assert.equal(resumed.code, 1, resumed.stderr);
      assert.match(resumed.stderr, /domains {3}4 \(4 from the earlier output, 0 in this run\)/);
      assert.deepEqual(verdictLines(resumed.stderr), verdictLines(first.stderr));
      assert.deepEqual(verdictLines(first.stderr), ['  levels    verify 0  encrypt 2  none 0  no mail 1  unknown 0  invalid 1', '  required  pass 2  fail 2 (1 accept no mail, 1 invalid input)  undetermined 0']);
    }
  });

  test('an output of JSON schema version 1 (NDJSON rows without schemaVersion, CSV without satisfied) is refused by --resume with one line, exit 2, the file untouched', async () => {
    const input = write('v1-input.csv', 'domain\nd1.test\nd2.test\n');
    const files = {
      ndjson: write('v1-output.ndjson', '{"domain":"d1.test","input":"d1.test","outcome":"probed","level":"encrypt","required":"encrypt","pass":true,"problems":[],"mx":[],"source":{"line":2,"columns":{}}}\n'),
      csv: write('v1-output.csv', 'domain,level,required,pass,mx_hosts,addresses,starttls,min_protocol,earliest_expiry,days_left,problems,line\r\nd1.test,encrypt,encrypt,true,mx1.test,127.0.0.3,all,TLSv1.3,2027-01-01,200,,2\r\n'),
    };
    for (const [format, file] of Object.entries(files)) {
      const before = readFileSync(file, 'utf8');
      const run = await runCli(['--input', input, '--format', format, '--output', file, '--resume', ...common()]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /^mxprobe: --resume: .* was written by an earlier mxprobe \(JSON schema version 1[):].*start a new output file\n$/);
      assert.equal(readFileSync(file, 'utf8'), before, `${format}: not appended to`);
    }
  });

  test('the email column is carried; a row with extra fields is probed with INPUT_EXTRA_FIELDS naming its line', async () => {
    const input = write('email.csv', 'email,partner\nops@d1.test,A\nops@d2.test,B, Inc.\n');
    const out = path.join(dir, 'email.csv.out');
    const run = await runCli(['--input', input, '--format', 'csv', '--output', out, ...common()]);
    assert.equal(run.code, 0, run.stderr);
    const { header, rows: written } = await readCsvFile(out);
    assert.deepEqual(header.extraColumns.slice(-2), ['email', 'partner']);
    const rows = written.sort((a, b) => Number(a.columns.line) - Number(b.columns.line)); // rows come as they finish
    assert.deepEqual(rows.map((r) => [r.input, r.columns.email, r.columns.partner, r.columns.level]), [['d1.test', 'ops@d1.test', 'A', 'encrypt'], ['d2.test', 'ops@d2.test', 'B', 'encrypt']]);
    assert.equal(rows[0]?.columns.problems, 'CERT_NAME_MISMATCH');
    assert.equal(rows[1]?.columns.problems, 'CERT_NAME_MISMATCH;INPUT_EXTRA_FIELDS');
    const json = await runCli(['--input', input, '--format', 'ndjson', '--quiet', ...common()]);
    const second = json.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((r: any) => r.source.line === 3);
    const warning = problemsOf(second).find((p: any) => p.code === 'INPUT_EXTRA_FIELDS');
    assert.equal(warning.severity, 'warning');
    assert.match(warning.message, /^Line 3: 3 fields where the header has 2/);
  });
});

describe('the input is never the output', () => {
  test('--output naming the --input file (directly, through a symbolic or a hard link, or as redirected standard input) is refused with exit 2, the input intact', async () => {
    const text = 'domain\nd1.test\nd2.test\n';
    const input = write('self.csv', text);
    symlinkSync(input, path.join(dir, 'self-link.csv'));
    linkSync(input, path.join(dir, 'self-hard.csv'));
    for (const output of [input, path.join(dir, 'self-link.csv'), path.join(dir, 'self-hard.csv'), path.join(dir, '.', 'self.csv')]) {
      for (const extra of [[], ['--resume']]) {
        const before = fleet.totalConnections();
        const run = await runCli(['--input', input, '--format', 'csv', '--output', output, ...extra, ...common()]);
        assert.equal(run.code, 2, `${output} ${extra.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, /^mxprobe: --output \S+ is the --input file: writing it would destroy the input; choose another output file\n$/);
        assert.equal(readFileSync(input, 'utf8'), text);
        assert.equal(fleet.totalConnections(), before, 'nothing probed');
      }
    }
    const fd = openSync(input, 'r');
    try {
      const run = await spawnCli(['--input', '-', '--format', 'csv', '--output', input, ...common()], [fd, 'pipe', 'pipe']);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /is the --input file \(standard input\)/);
    } finally {
      closeSync(fd);
    }
    assert.equal(readFileSync(input, 'utf8'), text);
  });
});

describe('a closed standard output', () => {
  test('batch: `| head -2` stops the run quietly (no new probes), exit 141', { skip: !existsSync('/bin/bash') }, async () => {
    const slow = await startFakeDns(zone(), { delayMs: 30 });
    try {
      const input = write('pipe.txt', `${Array.from({ length: DOMAINS }, (_, i) => `d${i}.test`).join('\n')}\n`);
      const queriesBefore = slow.queries.length;
      const run = await shellPipe(['--input', input, '--format', 'csv', '--concurrency', '2', ...common(slow)], 'head -2');
      assert.equal(run.code, 141, run.stderr);
      assert.equal(run.stdout.split('\n').length, 3, 'what head printed');
      assert.doesNotMatch(run.stderr, /Error|at .*\.js:\d+|EPIPE|internal error/, 'no stack trace, no error spam');
      assert.match(run.stderr, /^stopped: standard output was closed by its reader: partial results/m);
      const mxQueries = slow.queries.slice(queriesBefore).filter((q) => q.type === 'MX').length;
      assert.ok(mxQueries < DOMAINS / 2, `stopped early: ${mxQueries} of ${DOMAINS} domains looked up`);
    } finally {
      await slow.close();
    }
  });

  test('single mode: standard output closed before the report (`| true`): exit 141, nothing on stderr', { skip: !existsSync('/bin/bash') }, async () => {
    for (const format of ['text', 'json', 'csv']) {
      const run = await shellPipe(['d1.test', '--format', format, ...probeOptions()], 'true');
      assert.equal(run.code, 141, `${format}: ${run.stderr}`);
      assert.equal(run.stderr, '');
    }
  });
});

describe('a closed standard error', () => {
  test('progress and summary cannot be shown: the run and its report go on, the verdict decides the exit code', async () => {
    // Long enough (about 6 s) for a plain progress line (every 5 s) to meet the closed pipe.
    const slow = await startFakeDns(zone(), { delayMs: 500 });
    try {
      const input = write('stderr-closed.csv', `domain\n${Array.from({ length: 11 }, (_, i) => `d${i}.test`).join('\n')}\nnx.test\n`);
      const out = path.join(dir, 'stderr-closed.out.csv');
      const run = await spawnCli(['--input', input, '--format', 'csv', '--output', out, '--concurrency', '1', ...common(slow)], ['ignore', 'pipe', 'pipe'], (child) => child.stderr?.destroy());
      assert.equal(run.code, 1);
      assert.equal((await readCsvFile(out)).rows.length, 12);
    } finally {
      await slow.close();
    }
  });
});

describe('signals', () => {
  /** fast rows first, then rows whose MX is the tarpit (probes that hang), then more fast rows. */
  function tarpitInput(): string {
    const rows = ['domain'];
    for (let i = 0; i < 4; i++) rows.push(`d${i}.test`);
    for (let i = 0; i < 8; i++) rows.push(`slow${i}.test`);
    for (let i = 4; i < 40; i++) rows.push(`d${i}.test`);
    return `${rows.join('\n')}\n`;
  }

  /** Starts a batch against the tarpit, waits until the fast rows are written and the tarpit holds connections, then signals. */
  function signalled(out: string, signals: Array<{ signal: NodeJS.Signals; afterMs: number }>): Promise<Spawned & { ms: number; connectionsAtSignal: number }> {
    const input = write(`tarpit-${path.basename(out)}.csv`, tarpitInput());
    let firstSignalAt = 0;
    let connectionsAtSignal = 0;
    let exitedAt = 0;
    const tarpit = fleet.byIp.get(TARPIT)!;
    const startConnections = tarpit.connections;
    // --timeout 60: the tarpit's probes would hang a minute; --retries 2: a retry would be due.
    const args = ['--input', input, '--format', 'csv', '--output', out, '--concurrency', '4', '--per-host', '2', ...common(), '--timeout', '60', '--connect-timeout', '60', '--retries', '2'];
    return spawnCli(args, ['ignore', 'pipe', 'pipe'], (child) => {
      const poll = setInterval(() => {
        const rows = existsSync(out) ? readFileSync(out, 'utf8').split('\r\n').length - 2 : 0;
        if (rows >= 4 && tarpit.connections - startConnections >= 2) {
          clearInterval(poll);
          firstSignalAt = performance.now();
          connectionsAtSignal = fleet.totalConnections();
          for (const { signal, afterMs } of signals) setTimeout(() => child.kill(signal), afterMs);
        }
      }, 20);
      child.on('close', () => {
        clearInterval(poll);
        exitedAt = performance.now();
      });
    }).then((r) => ({ ...r, ms: exitedAt - firstSignalAt, connectionsAtSignal }));
  }

  test('SIGINT with probes hanging and rows waiting: no new probe, 3 s for those in flight, then exit 130 with the finished rows, none for the unfinished', async () => {
    const out = path.join(dir, 'sigint.csv');
    const run = await signalled(out, [{ signal: 'SIGINT', afterMs: 0 }]);
    assert.equal(run.code, 130, run.stderr);
    // Slots full (two probes hang in the tarpit, two rows wait for its --per-host cap, the rest for a slot).
    assert.equal(fleet.totalConnections(), run.connectionsAtSignal, 'no connection after the signal: no new probe, no retry');
    // The grace period is given, then the run ends: well before the probes' 60 s deadline.
    assert.ok(run.ms >= STOP_GRACE_MS - 500, `${Math.round(run.ms)} ms after SIGINT: the probes in flight get their grace`);
    assert.ok(run.ms < STOP_GRACE_MS + 5000, `${Math.round(run.ms)} ms after SIGINT`);
    const { rows } = await readCsvFile(out);
    const domains = rows.map((r) => r.input);
    for (let i = 0; i < 4; i++) assert.ok(domains.includes(`d${i}.test`), `finished row d${i}.test flushed`);
    assert.ok(!domains.some((d) => d.startsWith('slow')), `no row for an unfinished probe: ${domains.join(' ')}`);
    assert.ok(rows.length < 30, `${rows.length} rows: no new probes after the signal`);
    assert.ok(readFileSync(out, 'utf8').endsWith('\r\n'));
    assert.match(run.stderr, /^interrupted: partial results — \d+ domains done, \d+ unfinished \(not written: --resume redoes them\)/m);
    assert.match(run.stderr, /^Summary$/m);
  });

  test('SIGINT while waiting for more input on standard input: the read is woken, exit 130 at once', async () => {
    const out = path.join(dir, 'stdin-wait.csv');
    let signalledAt = 0;
    const run = await spawnCli(['--input', '-', '--format', 'csv', '--output', out, ...common()], ['pipe', 'pipe', 'pipe'], (child) => {
      child.stdin?.write('domain\nd1.test\n'); // and then nothing more, the pipe left open
      const poll = setInterval(() => {
        if (existsSync(out) && readFileSync(out, 'utf8').split('\r\n').length >= 3) {
          clearInterval(poll);
          signalledAt = performance.now();
          child.kill('SIGINT');
        }
      }, 20);
      child.on('close', () => clearInterval(poll));
    });
    const ms = performance.now() - signalledAt;
    assert.equal(run.code, 130, run.stderr);
    assert.ok(ms < STOP_GRACE_MS, `${Math.round(ms)} ms: nothing in flight, no grace to wait for`);
    assert.equal((await readCsvFile(out)).rows.length, 1);
  });

  test('a second signal exits at once', async () => {
    const out = path.join(dir, 'sigint2.csv');
    const run = await signalled(out, [
      { signal: 'SIGINT', afterMs: 0 },
      { signal: 'SIGTERM', afterMs: 300 },
    ]);
    assert.equal(run.code, 130, run.stderr);
    assert.ok(run.ms < STOP_GRACE_MS - 500, `${Math.round(run.ms)} ms after the first signal: the second did not wait for the grace`);
    assert.ok((await readCsvFile(out)).rows.length >= 4, 'the finished rows are kept');
  });
});

describe('output errors', () => {
  const input = () => write('small.csv', 'domain\nd1.test\nd2.test\nnx.test\n');
  const single = () => ['d1.test', ...probeOptions()];

  test('-o /dev/null: nothing to fsync on a device, the verdict decides the exit code', { skip: !existsSync('/dev/null') }, async () => {
    const batch = await runCli(['--input', input(), '--format', 'csv', '-o', '/dev/null', ...common()]);
    assert.equal(batch.code, 1, batch.stderr);
    const one = await runCli([...single(), '--format', 'csv', '-o', '/dev/null']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stderr, '');
  });

  test('-o /dev/stdout into a pipe: the rows arrive, the verdict decides the exit code', { skip: !existsSync('/dev/stdout') || !existsSync('/bin/bash') }, async () => {
    // A real pipe: Node's own child pipes are sockets, which /dev/stdout cannot open.
    const piped = (args: string[]) => shellPipe(args, 'cat');
    const batch = await piped(['--input', input(), '--format', 'csv', '-o', '/dev/stdout', '--quiet', ...common()]);
    assert.equal(batch.code, 1, batch.stderr);
    assert.equal(batch.stdout.split('\r\n').filter(Boolean).length, 4, batch.stdout);
    const one = await piped([...single(), '--format', 'ndjson', '-o', '/dev/stdout']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(JSON.parse(one.stdout).domain, 'd1.test');
  });

  test('-o /dev/full: ENOSPC stops the run with one line, exit 74', { skip: !existsSync('/dev/full') }, async () => {
    for (const args of [['--input', input(), '--format', 'csv', '--quiet'], [...single().slice(0, 1), '--format', 'csv'], [...single().slice(0, 1), '--format', 'text']]) {
      const run = await runCli([...args, '-o', '/dev/full', ...optionsFor(args)]);
      assert.equal(run.code, 74, run.stderr);
      assert.equal(run.stderr, 'mxprobe: cannot write --output /dev/full: ENOSPC (no space left on the device)\n');
    }
  });

  test('standard output on /dev/full: one line, exit 74', { skip: !existsSync('/dev/full') }, async () => {
    const full = openSync('/dev/full', 'w');
    try {
      for (const args of [['--input', input(), '--format', 'csv', '--quiet'], ['d1.test', '--format', 'json']]) {
        const run = await spawnCli([...args, ...optionsFor(args)], ['ignore', full, 'pipe']);
        assert.equal(run.code, 74, run.stderr);
        assert.equal(run.stderr, 'mxprobe: cannot write to standard output: ENOSPC (no space left on the device)\n');
      }
    } finally {
      closeSync(full);
    }
  });

  test('-o /proc/version: EIO is one line and exit 74 (or, where it cannot even be opened, exit 2)', { skip: !existsSync('/proc/version') }, async () => {
    let writable = true;
    try {
      closeSync(openSync('/proc/version', 'r+'));
    } catch {
      writable = false;
    }
    for (const args of [['--input', input(), '--format', 'csv', '--quiet'], [...single().slice(0, 1), '--format', 'json']]) {
      const run = await runCli([...args, '-o', '/proc/version', ...optionsFor(args)]);
      assert.equal(run.code, writable ? 74 : 2, run.stderr);
      assert.match(run.stderr, writable ? /^mxprobe: cannot write --output \/proc\/version: EIO \(input\/output error\)\n$/ : /^mxprobe: cannot write --output \/proc\/version: E[A-Z]+/);
    }
  });

  test('-o DIR (also with --resume), --resume -o DEVICE: a usage error, exit 2, before anything is probed', async () => {
    const out = path.join(dir, 'a-directory');
    mkdirSync(out, { recursive: true });
    for (const args of [['--input', input(), '--format', 'csv'], ['--input', input(), '--format', 'csv', '--resume'], ['--input', input(), '--format', 'ndjson', '--resume'], [...single().slice(0, 1)]]) {
      const before = fleet.totalConnections();
      const run = await runCli([...args, '-o', out, ...optionsFor(args)]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^mxprobe: --output \S+ is a directory: give a file name\n$/);
      assert.equal(fleet.totalConnections(), before, 'nothing probed');
    }
    if (existsSync('/dev/null')) {
      // --resume reads the earlier output back: only a regular file can be one.
      const run = await runCli(['--input', input(), '--format', 'csv', '--resume', '-o', '/dev/null', ...common()]);
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stderr, 'mxprobe: --resume needs --output to be a regular file; /dev/null is not one\n');
    }
  });
});

describe('resuming an output whose header was sanitised', () => {
  test('a header name with a control character or over 1,000 characters: --resume accepts the file every time; another header is still refused', async () => {
    const long = 'L'.repeat(1200);
    const input = write('odd-header.csv', `domain,"tab\there",${long},"esc\u001b[31m"\nd1.test,a,b,c\nd2.test,d,e,f\n`);
    const out = path.join(dir, 'odd-header.out.csv');
    const first = await runCli(['--input', input, '--format', 'csv', '--output', out, ...common()]);
    assert.equal(first.code, 0, first.stderr);
    const header = readFileSync(out, 'utf8').split('\r\n')[0] ?? '';
    assert.doesNotMatch(header, /[\u0000-\u001f]/);
    assert.ok(header.length < 1200, 'the long name is cut');
    for (let i = 0; i < 2; i++) {
      const again = await runCli(['--input', input, '--format', 'csv', '--output', out, '--resume', ...common()]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /domains {3}2 \(2 from the earlier output, 0 in this run\)/);
    }
    const other = write('other-header.csv', `domain,"tab\there",${long},"esc\u001b[32m"\nd1.test,a,b,c\n`);
    const refused = await runCli(['--input', other, '--format', 'csv', '--output', out, '--resume', ...common()]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /has other columns than this input would write/);
  });
});
