// Distinct-target benchmark (`npm run bench:distinct`, also run by `npm run bench:batch`): the
// client's CPU per probe when every domain is its own server, so that nothing is shared and
// every domain costs a full DNS + TCP + SMTP + TLS handshake + judging + a CSV row.
//
//   mxprobe --input FILE --format csv --output OUT --resolver DNS --port P --ca-file CA
//           --concurrency 64 --per-host 64 --quiet --allow-special-addresses [--workers W]
//
// Set-up, loopback only: one private Postfix (test/helpers/postfix.ts: STARTTLS, TLS 1.2 and
// 1.3, the test PKI's RSA-2048 `*.test.example` certificate), a fake DNS server in this process
// (test/helpers/fake-dns.ts) where dI.test.example has no MX and A 127.0.0.1 (an implicit MX:
// each domain is its own mail host, so each is a probe of its own), the input CSV.
//
// Measured per run, by /usr/bin/time on the child: wall time, user + system CPU of the whole
// process (every thread), peak RSS; CPU per probe = CPU / domains (one probe per domain);
// probes/s; the machine's busy CPU over the run (/proc/stat) less the client's = what Postfix,
// the fake DNS server and the rest used, so that the share of the 2 cores the server takes is
// on record when the worker scaling is read.
//
// Anchor, in the same run: `posttls-finger -c -l secure -F CA [127.0.0.1]:P dI.test.example`
// for every domain, 64 at a time by `xargs -P 64` (a C process per target, which says QUIT):
// its CPU per target is xargs's children's rusage / N.
//
// Worker scaling: when the CLI has `--workers`, each case runs with --workers 1 and --workers
// W (BENCH_WORKERS, default the core count); printed: probes/s, client cores used (CPU / wall)
// and the ratios. On a 2-core machine the server's own CPU shares the cores, so the probes/s
// ratio is bounded by what Postfix leaves; the client's CPU per probe and cores used show the
// client's side of the scaling.
//
// Goal (issue 11): ≤ 4 ms client CPU per distinct-target probe (--workers 1).
// Env: BENCH_DISTINCT_DOMAINS (domains, default 1000), BENCH_REPEAT (runs per case, default 3: the
// median is reported), BENCH_WORKERS, BENCH_CLI (another JS file than bin/mxprobe.js),
// BENCH_PROFILE=DIR (run mxprobe once more with --cpu-prof into DIR), BENCH_KEEP=1.
// Exit: 0 after reporting (PASS or MISS, or skipped without Postfix), 1 when a run failed.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeDns, type FakeZone } from '../test/helpers/fake-dns.ts';
import { makeTestPki } from '../test/helpers/pki.ts';
import { startPostfix } from '../test/helpers/postfix.ts';
import { CHILD_ENV, ROOT, intEnv, median, table } from './harness.ts';

const BIN = process.env.BENCH_CLI !== undefined && process.env.BENCH_CLI !== '' ? path.resolve(process.env.BENCH_CLI) : path.join(ROOT, 'bin', 'mxprobe.js');
const N = intEnv('BENCH_DISTINCT_DOMAINS', 1000, 1);
const REPEAT = intEnv('BENCH_REPEAT', 3, 1);
const WORKERS = intEnv('BENCH_WORKERS', os.availableParallelism(), 1);
const CONCURRENCY = 64;
const CPU_GOAL_MS = 4;
const POSTTLS_FINGER = '/usr/sbin/posttls-finger';
const KEEP = process.env.BENCH_KEEP === '1';

const domainName = (i: number) => `d${i}.test.example`;

interface Timed {
  code: number | null;
  wallS: number;
  cpuS: number;
  maxRssKiB: number;
  /** Busy CPU seconds of the whole machine over the run (every core). */
  machineBusyS: number;
  stderr: string;
}

/** Busy (not idle, not iowait) CPU seconds of the machine so far. */
function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return (total - idle) / 100; // USER_HZ
}

/** Runs `file args` under /usr/bin/time; user + system include every thread and waited-for child. */
function timed(file: string, args: string[], tmp: string, stdin: string | null = null, env: NodeJS.ProcessEnv = CHILD_ENV): Promise<Timed> {
  const out = path.join(tmp, `time-${process.hrtime.bigint()}.txt`);
  return new Promise((resolve, reject) => {
    const busy0 = machineBusySeconds();
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', out, file, ...args], {
      cwd: ROOT,
      env,
      stdio: [stdin === null ? 'ignore' : 'pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
    if (stdin !== null) child.stdin?.end(stdin);
    child.once('error', reject);
    child.once('close', (code) => {
      const busy = machineBusySeconds() - busy0;
      const lines = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : [];
      const [wall, user, sys, rss] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
      if (wall === undefined || user === undefined || sys === undefined || rss === undefined || !Number.isFinite(wall)) {
        reject(new Error(`/usr/bin/time gave no figures for ${file}: ${lines.join(' | ')} ${stderr}`));
        return;
      }
      resolve({ code, wallS: wall, cpuS: user + sys, maxRssKiB: rss, machineBusyS: busy, stderr });
    });
  });
}

function supportsWorkers(): boolean {
  try {
    return execFileSync(process.execPath, [BIN, '--help'], { env: CHILD_ENV, encoding: 'utf8' }).includes('--workers');
  } catch {
    return false;
  }
}

function countRows(file: string): { rows: number; verify: number } {
  const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
  return { rows: lines.length, verify: lines.filter((l) => l.includes(',verify,') || l.includes(',PASS,')).length };
}

interface Case {
  label: string;
  runs: Timed[];
}

const fmt = (v: number, digits = 2) => v.toFixed(digits);

async function main(): Promise<number> {
  if (!existsSync('/usr/bin/time')) {
    console.log('distinct-target bench skipped: /usr/bin/time (GNU time) is not installed');
    return 0;
  }
  const pki = await makeTestPki();
  const started = await startPostfix({
    certPem: pki.certs.wildcard.cert,
    keyPem: pki.certs.wildcard.key,
    myhostname: 'mx.test.example',
  });
  if (!started.ok) {
    console.log(`distinct-target bench skipped: Postfix could not start here: ${started.reason.split('\n')[0]}`);
    return 0;
  }
  const pf = started.instance;
  const zone: FakeZone = {};
  for (let i = 0; i < N; i++) zone[domainName(i)] = { A: ['127.0.0.1'] };
  const dns = await startFakeDns(zone);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-distinct-'));
  const input = path.join(tmp, 'domains.csv');
  writeFileSync(input, `domain\n${Array.from({ length: N }, (_, i) => domainName(i)).join('\n')}\n`);
  const workers = supportsWorkers();
  const cases: Case[] = [];
  try {
    console.log(`# mxprobe distinct-target benchmark — node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`${N} domains, each its own implicit-MX name, on one loopback Postfix (STARTTLS, RSA-2048); ${CONCURRENCY} at a time; median of ${REPEAT} runs\n`);
    const mxprobeArgs = (w: number | null, output: string) => [
      BIN, '--input', input, '--format', 'csv', '--output', output, '--resolver', dns.address, '--port', String(pf.tlsPort),
      '--ca-file', pki.caFile, '--concurrency', String(CONCURRENCY), '--per-host', String(CONCURRENCY), '--quiet', '--allow-special-addresses',
      ...(w !== null ? ['--workers', String(w)] : []),
    ];
    const variants: Array<number | null> = workers ? [1, WORKERS] : [null];
    for (const w of variants) cases.push({ label: w === null ? 'mxprobe' : `mxprobe --workers ${w}`, runs: [] });
    const anchor: Case = { label: 'posttls-finger × N, xargs -P 64', runs: [] };
    const haveFinger = existsSync(POSTTLS_FINGER);
    for (let r = 0; r < REPEAT; r++) {
      for (const [k, w] of variants.entries()) {
        const output = path.join(tmp, `out-${r}-${k}.csv`);
        rmSync(output, { force: true });
        const run = await timed(process.execPath, mxprobeArgs(w, output), tmp);
        const { rows, verify } = countRows(output);
        if (run.code !== 0 || rows !== N || verify !== N) {
          throw new Error(`${cases[k]?.label}: exit ${run.code}, ${rows} rows, ${verify} at verify (want ${N}): ${run.stderr.slice(-500)}`);
        }
        cases[k]?.runs.push(run);
      }
      if (haveFinger) {
        const list = Array.from({ length: N }, (_, i) => domainName(i)).join('\n');
        const run = await timed(
          'xargs',
          ['-P', String(CONCURRENCY), '-I{}', POSTTLS_FINGER, '-c', '-l', 'secure', '-F', pki.caFile, '-t', '10', '-T', '20', `[127.0.0.1]:${pf.tlsPort}`, '{}'],
          tmp,
          `${list}\n`,
          // posttls-finger reads main.cf: the private instance's (it only needs one to exist).
          { ...CHILD_ENV, MAIL_CONFIG: pf.configDir },
        );
        if (run.code !== 0) throw new Error(`posttls-finger via xargs: exit ${run.code}: ${run.stderr.slice(-500)}`);
        anchor.runs.push(run);
      }
    }
    if (process.env.BENCH_PROFILE !== undefined && process.env.BENCH_PROFILE !== '') {
      const dir = path.resolve(process.env.BENCH_PROFILE);
      const output = path.join(tmp, 'out-profile.csv');
      await timed(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, ...mxprobeArgs(workers ? 1 : null, output)], tmp);
      console.log(`CPU profile written to ${dir}`);
    }

    const all = anchor.runs.length > 0 ? [...cases, anchor] : cases;
    const summary = all.map((c) => {
      const wall = median(c.runs.map((t) => t.wallS));
      const cpu = median(c.runs.map((t) => t.cpuS));
      const busy = median(c.runs.map((t) => t.machineBusyS));
      const rss = Math.max(...c.runs.map((t) => t.maxRssKiB));
      return { label: c.label, wall, cpu, cpuPerProbeMs: (cpu * 1000) / N, perSecond: N / wall, cores: cpu / wall, othersCores: Math.max(0, busy - cpu) / wall, rssMiB: rss / 1024 };
    });
    console.log(
      table(
        ['run', 'wall s', 'client CPU s', 'CPU ms / probe', 'probes/s', 'client cores', 'server + rest cores', 'peak RSS MiB'],
        summary.map((s) => [s.label, fmt(s.wall), fmt(s.cpu), fmt(s.cpuPerProbeMs), fmt(s.perSecond, 0), fmt(s.cores), fmt(s.othersCores), fmt(s.rssMiB, 0)]),
      ),
    );
    const one = summary[0];
    if (one === undefined) return 1;
    const anchorRow = anchor.runs.length > 0 ? summary[summary.length - 1] : undefined;
    console.log('');
    if (anchorRow !== undefined) {
      console.log(`client CPU per probe, mxprobe / posttls-finger (a process per target): ${fmt(one.cpuPerProbeMs / anchorRow.cpuPerProbeMs)}×`);
    } else {
      console.log(`anchor skipped: ${POSTTLS_FINGER} is not installed`);
    }
    if (workers && summary.length >= 2) {
      const many = summary[1];
      if (many !== undefined) {
        console.log(
          `--workers ${WORKERS} / --workers 1: probes/s ${fmt(many.perSecond / one.perSecond)}×, client cores used ${fmt(many.cores / one.cores)}×, ` +
            `CPU per probe ${fmt(many.cpuPerProbeMs / one.cpuPerProbeMs)}× (the server used ${fmt(many.othersCores)} of the ${os.cpus().length} cores)`,
        );
      }
    }
    console.log(`goal ≤ ${CPU_GOAL_MS} ms client CPU per distinct-target probe: ${one.cpuPerProbeMs <= CPU_GOAL_MS ? 'PASS' : 'MISS'} (${fmt(one.cpuPerProbeMs)} ms)`);
    return 0;
  } finally {
    await dns.close();
    await pf.stop();
    if (!KEEP) rmSync(tmp, { recursive: true, force: true });
    else console.log(`kept ${tmp}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`distinct-target bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
