// Batch benchmark (`npm run bench:batch`): the built CLI in batch mode against N generated
// domains spread over M fake MX servers on loopback, every DNS answer and SMTP reply delayed
// to look like the internet.
//
//   mxprobe --input FILE --format csv --output OUT --resolver 127.0.0.1:P --port PORT
//           --ca-file CA --concurrency C --quiet --allow-special-addresses
//
// Set-up, all in this process, loopback only:
//   - M SMTP servers (test/helpers/smtp-fleet.ts) on 127.0.0.2 … 127.0.0.(M+1), one port for all,
//     each waiting SMTP_DELAY before every reply (banner, EHLO, STARTTLS, EHLO, QUIT), serving a
//     *.test.example certificate from the test PKI (trusted through --ca-file: every domain
//     reaches `verify`, so the CLI must exit 0);
//   - a fake DNS server (test/helpers/fake-dns.ts) behind a UDP proxy that holds every query
//     DNS_DELAY before passing it on: domain pI.bench.test → MX mx(I mod M).test.example →
//     A 127.0.0.(2 + I mod M), no AAAA;
//     The DNS delay defaults to the SMTP one (50 ms): a resolver answering for partner domains it
//     has not cached pays one or more round trips to authoritative servers, tens of ms; and since
//     every domain needs its own MX query, that delay is what bounds the steady state (C / D),
//     so with no delay the bench would only measure CPU;
//   - the input CSV (domain,partner), written as a stream to a temporary file.
//   Names not in the zone get NXDOMAIN after the same delay, without AD: the root SOA of the
//   resolver check (so the resolver does not validate and no TLSA is asked) and each domain's
//   _mta-sts and _smtp._tls TXT (issue 9: two more queries per domain, beside its MX query).
//
// Measured per N: wall time (spawn to exit), domains/s, peak RSS of the CLI process
// (/usr/bin/time %M, else polled VmHWM), probes made (connections the fleet accepted), rows
// written, DNS queries by type, the most simultaneous connections any one server saw.
//
// Goals (issue 3): throughput ≥ 90% of the bound set by concurrency and the emulated delays
// (derived below and printed); peak RSS < 300 MB at the largest N and growing no faster than
// linearly; probes ≈ distinct MX addresses (M).
//
// Probe workers (issue 11, --workers): with BENCH_WORKERS=W each N runs twice, --workers 1 and
// --workers W (without it the CLI's default, one worker per core). Measured besides: the CLI's
// CPU (user + system of every thread, from process.resourceUsage() at its exit through a
// preloaded module), its main thread's CPU (/proc/self/task/PID/stat at exit), and this
// process's CPU (the fleet and the fake DNS: on a 2-core machine they share the cores with the
// CLI). Printed: domains/s, CPU per domain, the client's cores used, and the client's capacity
// on K free cores, N / max(main-thread CPU, CPU / K): what it would reach if the fleet cost
// nothing (the main thread does the serial part: DNS, judging, the report; the rest spreads over
// the cores), and the ratios of W to 1 worker. For a CPU-bound case use BENCH_DISTINCT=1 (every
// domain its own MX host name, mxI.test.example on the M addresses: a probe per domain) and no
// delays (BENCH_DELAY_MS=0).
//
// Env: BENCH_SIZES (default "1000,10000,100000"), BENCH_MX (M, default 50, at most 253),
// BENCH_CONCURRENCY (C, default 32), BENCH_DELAY_MS (SMTP reply delay, default 50),
// BENCH_DNS_DELAY_MS (default: BENCH_DELAY_MS), BENCH_WORKERS (W ≥ 2, see above),
// BENCH_DISTINCT=1 (see above), BENCH_CLI (a JS file to run instead of
// bin/mxprobe.js, e.g. a stand-in), BENCH_KEEP=1 (keep the temporary files).
// Exit: 0 after reporting (PASS or MISS), 1 when the set-up or a run failed.
import { execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { startFakeDns, type FakeDnsServer, type FakeZone } from '../test/helpers/fake-dns.ts';
import { makeTestPki } from '../test/helpers/pki.ts';
import { startSmtpFleet } from '../test/helpers/smtp-fleet.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.BENCH_CLI !== undefined && process.env.BENCH_CLI !== '' ? path.resolve(process.env.BENCH_CLI) : path.join(ROOT, 'bin', 'mxprobe.js');

function intEnv(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`bench: ${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
}

function sizesEnv(): number[] {
  const raw = process.env.BENCH_SIZES ?? '1000,10000,100000';
  const sizes = raw.split(',').map((s) => Number(s.trim()));
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    process.stderr.write(`bench: BENCH_SIZES must be whole numbers ≥ 1 separated by commas, not ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return [...new Set(sizes)].sort((a, b) => a - b);
}

const SIZES = sizesEnv();
const M = intEnv('BENCH_MX', 50, 1, 253);
const C = intEnv('BENCH_CONCURRENCY', 32, 1);
const SMTP_DELAY = intEnv('BENCH_DELAY_MS', 50, 0);
const DNS_DELAY = intEnv('BENCH_DNS_DELAY_MS', SMTP_DELAY, 0);
const KEEP = process.env.BENCH_KEEP === '1';
/** --workers W beside --workers 1; null: one run per N with the CLI's default. */
const WORKERS = process.env.BENCH_WORKERS !== undefined && process.env.BENCH_WORKERS !== '' ? intEnv('BENCH_WORKERS', 2, 2, 64) : null;
const DISTINCT = process.env.BENCH_DISTINCT === '1';
/** Cores the client could use: the capacity is figured for this many. */
const CORES = os.availableParallelism();

const THROUGHPUT_GOAL = 0.9;
const RSS_GOAL_BYTES = 300e6;
/** "No faster than linearly": the last RSS slope may exceed the one before by this factor… */
const SLOPE_TOLERANCE = 1.25;
/** …or the growth may stay under this much (a flat curve is all noise). */
const RSS_NOISE_BYTES = 16 * 1024 * 1024;
/** SMTP replies on the critical path of one address probe: banner, EHLO, STARTTLS, EHLO, QUIT. */
const REPLIES_PER_PROBE = 5;

// Children get a clean environment: no tsx or test-runner options, no colour, no spinner.
const CHILD_ENV: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete CHILD_ENV.NODE_OPTIONS;
delete CHILD_ENV.FORCE_COLOR;
delete CHILD_ENV.NODE_TEST_CONTEXT;

const domainName = (i: number) => `p${i}.bench.test`;
const mxName = (k: number) => `mx${k}.test.example`;
const mxIp = (k: number) => `127.0.0.${2 + k}`;

// ---------------------------------------------------------------------------------------
// DNS with a delay: the fake DNS server behind a UDP proxy that holds each query DNS_DELAY.
// UDP only: every answer here is far below 512 bytes, so the resolver never falls back to TCP.

interface DelayedDns {
  address: string;
  backend: FakeDnsServer;
  close(): Promise<void>;
}

async function startDelayedDns(zone: FakeZone, delayMs: number): Promise<DelayedDns> {
  const backend = await startFakeDns(zone);
  const front = dgram.createSocket('udp4');
  front.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.bind(0, '127.0.0.1', () => {
      front.off('error', reject);
      resolve();
    });
  });
  const open = new Set<{ sock: dgram.Socket; timers: NodeJS.Timeout[] }>();
  let closing = false;
  front.on('message', (query, client) => {
    if (closing) return;
    const up = dgram.createSocket('udp4');
    const entry = { sock: up, timers: [] as NodeJS.Timeout[] };
    const done = (): void => {
      for (const t of entry.timers) clearTimeout(t);
      open.delete(entry);
      try {
        up.close();
      } catch {
        /* closed already */
      }
    };
    open.add(entry);
    up.on('error', done);
    up.on('message', (answer) => {
      if (!closing) front.send(answer, client.port, client.address);
      done();
    });
    entry.timers.push(setTimeout(() => up.send(query, backend.port, backend.host), delayMs));
    entry.timers.push(setTimeout(done, delayMs + 10_000)); // the backend never answers: give up
  });
  const port = front.address().port;
  return {
    address: `127.0.0.1:${port}`,
    backend,
    async close() {
      closing = true;
      for (const entry of [...open]) {
        for (const t of entry.timers) clearTimeout(t);
        try {
          entry.sock.close();
        } catch {
          /* closed already */
        }
      }
      open.clear();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await backend.close();
    },
  };
}

/** Addresses probed for N domains: one per MX host name (M shared ones, or N with BENCH_DISTINCT). */
const probed = (n: number) => (DISTINCT ? n : Math.min(M, n));

function zoneFor(n: number): FakeZone {
  const zone: FakeZone = {};
  if (DISTINCT) {
    // Each domain its own MX host name (a probe of its own), the names spread over the M servers.
    for (let i = 0; i < n; i++) {
      zone[mxName(i)] = { A: [mxIp(i % M)] };
      zone[domainName(i)] = { MX: [{ preference: 10, exchange: mxName(i) }] };
    }
    return zone;
  }
  for (let k = 0; k < M; k++) zone[mxName(k)] = { A: [mxIp(k)] };
  for (let i = 0; i < n; i++) zone[domainName(i)] = { MX: [{ preference: 10, exchange: mxName(i % M) }] };
  return zone;
}

/** The input CSV, written as a stream in chunks of about 64 KiB. */
async function writeInput(file: string, n: number): Promise<void> {
  const out = createWriteStream(file);
  let chunk = 'domain,partner\n';
  for (let i = 0; i < n; i++) {
    chunk += `${domainName(i)},Partner ${i}\n`;
    if (chunk.length >= 65_536) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await finished(out);
}

async function countLines(file: string): Promise<number> {
  if (!existsSync(file)) return 0;
  let lines = 0;
  for await (const chunk of createReadStream(file)) {
    const b = chunk as Buffer;
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
  }
  return lines;
}

// ---------------------------------------------------------------------------------------
// Running the CLI

const HAVE_TIME = (() => {
  try {
    execFileSync('/usr/bin/time', ['-f', '%M', '-o', '/dev/null', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// Preloaded in the CLI: at its exit, the CPU of the process (every thread, those ended too) and of
// its main thread (/proc/self/task/PID/stat, utime + stime in clock ticks), on standard error.
const CPU_MARK = '@@bench-cpu';
const CPU_HOOK =
  'data:text/javascript,' +
  encodeURIComponent(
    `import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
if (isMainThread) process.on('exit', () => {
  const u = process.resourceUsage();
  let main = -1;
  try {
    const f = readFileSync('/proc/self/task/' + process.pid + '/stat', 'utf8').split(') ')[1].split(' ');
    main = (Number(f[11]) + Number(f[12])) / 100;
  } catch {}
  process.stderr.write('\\n${CPU_MARK} ' + (u.userCPUTime + u.systemCPUTime) / 1e6 + ' ' + main + '\\n');
});`,
  );

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  peakRssKiB: number | null;
  /** CPU seconds of the CLI, every thread; null when not told. */
  cpuS: number | null;
  /** CPU seconds of its main thread; null when not told (no /proc). */
  mainCpuS: number | null;
  /** CPU seconds of this process during the run: the fleet and the fake DNS. */
  benchCpuS: number;
  stderr: string;
  stdout: string;
  killed: boolean;
}

let running: { pid: number } | null = null;

/** Kills the child's whole process group (it is started detached, so it leads one). */
function killRunning(): void {
  if (running === null) return;
  try {
    process.kill(-running.pid, 'SIGKILL');
  } catch {
    /* gone already */
  }
}

function vmHwmKiB(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const tail = (s: string, max = 4000) => (s.length > max ? s.slice(-max) : s);

/** Runs the CLI once; wall time from spawn to exit, peak RSS of the node process. */
function runCli(args: string[], tmp: string, killAfterMs: number, cpuHook = true): Promise<ChildRun> {
  const rssFile = path.join(tmp, `rss-${Date.now()}.txt`);
  const node = [process.execPath, ...(cpuHook ? ['--import', CPU_HOOK] : []), BIN, ...args];
  const [file, argv] = HAVE_TIME ? ['/usr/bin/time', ['-f', '%M', '-o', rssFile, ...node]] : [process.execPath, node.slice(1)];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const child = spawn(file, argv, { cwd: ROOT, env: CHILD_ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (child.pid === undefined) {
      child.once('error', reject);
      return;
    }
    running = { pid: child.pid };
    let stdout = '';
    let stderr = '';
    let exitedAt = 0;
    let hwm: number | null = null;
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout = tail(stdout + c, 20_000)));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = tail(stderr + c, 20_000)));
    const poll = HAVE_TIME ? null : setInterval(() => (hwm = vmHwmKiB(child.pid as number) ?? hwm), 100);
    const timer = setTimeout(() => {
      killed = true;
      killRunning();
    }, killAfterMs);
    child.once('exit', () => (exitedAt = performance.now()));
    child.once('error', (err) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      running = null;
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      running = null;
      let peak = hwm;
      if (HAVE_TIME) {
        // /usr/bin/time appends "Command exited with non-zero status N" before the figure.
        const lines = existsSync(rssFile) ? readFileSync(rssFile, 'utf8').trim().split('\n') : [];
        const last = Number(lines[lines.length - 1]);
        peak = Number.isFinite(last) && last > 0 ? last : null;
        const status = lines.map((l) => /exited with non-zero status (\d+)/.exec(l)?.[1]).find((s) => s !== undefined);
        if (code !== null && status !== undefined) code = Number(status);
      }
      const cpu = process.cpuUsage(cpu0);
      const mark = new RegExp(`\\n?${CPU_MARK} (\\S+) (\\S+)\\n`).exec(stderr);
      const cpuS = mark !== null ? Number(mark[1]) : null;
      const mainCpuS = mark !== null && Number(mark[2]) >= 0 ? Number(mark[2]) : null;
      if (mark !== null) stderr = stderr.replace(mark[0], '');
      resolve({ code, signal, wallMs: (exitedAt || performance.now()) - t0, peakRssKiB: peak, cpuS, mainCpuS, benchCpuS: (cpu.user + cpu.system) / 1e6, stderr, stdout, killed });
    });
  });
}

/** Median wall time of `--version`: process start and module load, paid once per run. */
async function startupMs(tmp: string): Promise<number | null> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await runCli(['--version'], tmp, 30_000, false);
    if (r.code !== 0) return null;
    times.push(r.wallMs);
  }
  return times.sort((a, b) => a - b)[1] ?? null;
}

// ---------------------------------------------------------------------------------------
// The bound

/**
 * The least wall time the work needs with C domains in flight and these delays.
 *
 * Each domain is distinct, so each needs its own MX query: one DNS round trip (D) on its
 * critical path, which no cache can remove. The M MX host names need their A (and AAAA, in
 * parallel) look-up once: one more D for the first domain of each host. Each of the M
 * addresses needs one probe, P = 5 delayed replies (banner, EHLO, STARTTLS, EHLO, QUIT; the
 * TLS handshake itself is not delayed and counted as 0), on the path of the domain that
 * triggers it. So the sum of per-domain latencies is at least N·D + M·(D + P), and with at most
 * C domains in flight the wall time is at least that sum over C. Also, the M domains that
 * trigger a probe each hold one of the C slots for at least 2D + P, so some slot holds
 * ceil(M / C) of them in a row. Process start-up and CPU time are not in the bound (shown apart).
 * With BENCH_DISTINCT every domain has a host of its own: M becomes N in the above.
 */
function bound(n: number): { minMs: number; perSecond: number; steadyPerSecond: number; probeMs: number } {
  const probeMs = REPLIES_PER_PROBE * SMTP_DELAY;
  const work = n * DNS_DELAY + probed(n) * (DNS_DELAY + probeMs);
  const minMs = Math.max(work / C, Math.ceil(probed(n) / C) * (2 * DNS_DELAY + probeMs));
  return { minMs, perSecond: minMs > 0 ? (n * 1000) / minMs : Number.POSITIVE_INFINITY, steadyPerSecond: DNS_DELAY > 0 ? (C * 1000) / DNS_DELAY : Number.POSITIVE_INFINITY, probeMs };
}

// ---------------------------------------------------------------------------------------

interface Measured {
  n: number;
  /** --workers given; null: the CLI's default. */
  workers: number | null;
  run: ChildRun;
  rows: number;
  probes: number;
  peakPerIp: number;
  serversUsed: number;
  queries: { MX: number; A: number; AAAA: number; TXT: number; SOA: number; TLSA: number; other: number };
  bound: ReturnType<typeof bound>;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const mb = (kib: number | null) => (kib === null ? '?' : ((kib * 1024) / 1e6).toFixed(1));
/** The run's label: N, and its --workers when given. */
const label = (r: Pick<Measured, 'n' | 'workers'>) => (r.workers === null ? String(r.n) : `${r.n} W${r.workers}`);
const rate = (v: number) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '∞');

async function measure(n: number, workers: number | null, tmp: string, caFile: string, tlsCert: { key: string; cert: string }): Promise<Measured> {
  const input = path.join(tmp, `input-${n}.csv`);
  const output = path.join(tmp, `out-${n}.csv`);
  rmSync(output, { force: true });
  await writeInput(input, n);
  const fleet = await startSmtpFleet({ count: M, tls: tlsCert, delayMs: SMTP_DELAY });
  const dns = await startDelayedDns(zoneFor(n), DNS_DELAY);
  const b = bound(n);
  try {
    const args = [
      '--input', input, '--format', 'csv', '--output', output,
      '--resolver', dns.address, '--port', String(fleet.port), '--ca-file', caFile,
      '--concurrency', String(C), '--quiet',
      '--allow-special-addresses', // the fleet lives on 127.0.0.x
      ...(workers !== null ? ['--workers', String(workers)] : []),
    ];
    const run = await runCli(args, tmp, Math.max(120_000, 10 * b.minMs + 60_000));
    const queries = { MX: 0, A: 0, AAAA: 0, TXT: 0, SOA: 0, TLSA: 0, other: 0 };
    for (const q of dns.backend.queries) {
      if (q.type === 'MX' || q.type === 'A' || q.type === 'AAAA' || q.type === 'TXT' || q.type === 'SOA' || q.type === 'TLSA') queries[q.type] += 1;
      else queries.other += 1;
    }
    const lines = await countLines(output);
    return {
      n,
      workers,
      run,
      rows: Math.max(0, lines - 1), // minus the header
      probes: fleet.totalConnections(),
      peakPerIp: fleet.maxPeakConcurrent(),
      serversUsed: fleet.servers.filter((s) => s.connections > 0).length,
      queries,
      bound: b,
    };
  } finally {
    await fleet.close();
    await dns.close();
    if (!KEEP) rmSync(input, { force: true });
  }
}

function report(results: Measured[], startup: number | null): boolean {
  let ok = true;
  console.log(`\n## Throughput (C = ${C} domains in flight, DNS delay ${DNS_DELAY} ms, SMTP reply delay ${SMTP_DELAY} ms, M = ${M})\n`);
  console.log(
    table(
      ['N', 'wall s', 'least s', 'over, s', 'domains/s', 'bound/s', 'achieved/bound', `≥ ${THROUGHPUT_GOAL * 100}%`, 'excl. start-up'],
      results.map((r) => {
        const achieved = (r.n * 1000) / r.run.wallMs;
        const ratio = achieved / r.bound.perSecond;
        const excl = startup !== null && r.run.wallMs > startup ? (r.n * 1000) / (r.run.wallMs - startup) / r.bound.perSecond : null;
        return [
          label(r), (r.run.wallMs / 1000).toFixed(2), (r.bound.minMs / 1000).toFixed(2), ((r.run.wallMs - r.bound.minMs) / 1000).toFixed(2),
          rate(achieved), rate(r.bound.perSecond),
          `${(ratio * 100).toFixed(1)}%`, ratio >= THROUGHPUT_GOAL ? 'PASS' : 'MISS', excl === null ? '?' : `${(excl * 100).toFixed(1)}%`,
        ];
      }),
    ),
  );
  const b0 = bound(1);
  console.log(
    `\nbound = N / max((N·D + M·(D + P)) / C, ceil(M / C)·(2D + P)), D = DNS delay ${DNS_DELAY} ms, P = ${REPLIES_PER_PROBE} SMTP replies × ${SMTP_DELAY} ms = ${b0.probeMs} ms:` +
      `\n  every domain needs its own MX query (one D on its path); each of the M MX hosts needs one A/AAAA look-up (one more D,` +
      `\n  A and AAAA in parallel) and each of the M addresses one probe (P), both paid once by the domain that triggers them;` +
      `\n  C domains in flight share the wall time, and the M probing domains (2D + P each) fill ceil(M / C) rounds of the C slots.` +
      `\n  Steady state (all MX hosts known): C / D = ${rate(b0.steadyPerSecond)} domains/s.` +
      `\n  "least s" is that least wall time, "over, s" what the run took beyond it. Process start-up (--version, median of 3):` +
      ` ${startup === null ? 'not measured' : `${startup.toFixed(0)} ms`}; "excl. start-up" takes it off the wall time.` +
      `\n  Not in the bound: CPU time (TLS handshakes on both ends, JIT warm-up), a fixed cost that weighs most at small N.`,
  );

  console.log(`\n## Resources\n`);
  console.log(
    table(
      ['N', 'peak RSS MB', '< 300 MB', 'probes', DISTINCT ? '≈ N' : `≈ M = ${M}`, 'servers used', 'peak conn/IP', 'rows', 'exit', 'DNS MX/A/AAAA', 'TXT/SOA/TLSA/other'],
      results.map((r) => {
        const rssOk = r.run.peakRssKiB !== null && r.run.peakRssKiB * 1024 < RSS_GOAL_BYTES;
        const probesOk = r.probes >= probed(r.n) && r.probes <= Math.ceil(probed(r.n) * 1.1);
        return [
          label(r), mb(r.run.peakRssKiB), rssOk ? 'PASS' : 'MISS', String(r.probes), probesOk ? 'PASS' : 'MISS',
          String(r.serversUsed), String(r.peakPerIp), String(r.rows), r.run.code === null ? String(r.run.signal) : String(r.run.code),
          `${r.queries.MX}/${r.queries.A}/${r.queries.AAAA}`,
          `${r.queries.TXT}/${r.queries.SOA}/${r.queries.TLSA}/${r.queries.other}`,
        ];
      }),
    ),
  );
  console.log(`\npeak RSS: ${HAVE_TIME ? '/usr/bin/time %M (maximum resident set of the CLI process)' : 'VmHWM of the CLI process, polled every 100 ms'}.`);
  console.log(`probes: connections the fleet accepted (retries included); goal between ${DISTINCT ? 'N' : 'min(M, N)'} and 1.1 × that.`);

  // The growth of one series of runs: the same --workers, N rising.
  const withRss = results.filter((r) => r.run.peakRssKiB !== null && r.workers === (results.at(-1) as Measured).workers);
  if (withRss.length >= 3) {
    const slopes: string[] = [];
    let growthOk = true;
    for (let i = 1; i < withRss.length; i++) {
      const a = withRss[i - 1] as Measured;
      const b = withRss[i] as Measured;
      const slope = (((b.run.peakRssKiB as number) - (a.run.peakRssKiB as number)) * 1024) / (b.n - a.n); // bytes per domain
      slopes.push(`${a.n}→${b.n}: ${slope.toFixed(0)} B/domain`);
      if (i >= 2) {
        const p = withRss[i - 2] as Measured;
        const before = (((a.run.peakRssKiB as number) - (p.run.peakRssKiB as number)) * 1024) / (a.n - p.n);
        const growth = ((b.run.peakRssKiB as number) - (a.run.peakRssKiB as number)) * 1024;
        if (!(slope <= Math.max(0, before) * SLOPE_TOLERANCE || growth <= RSS_NOISE_BYTES)) growthOk = false;
      }
    }
    console.log(
      `RSS growth: ${slopes.join(', ')} → no faster than linear: ${growthOk ? 'PASS' : 'MISS'}` +
        ` (each slope ≤ ${SLOPE_TOLERANCE}× the one before, or growth ≤ ${RSS_NOISE_BYTES / 1048576} MiB)`,
    );
  } else {
    console.log('RSS growth: needs three sizes to judge.');
  }

  for (const r of results) {
    const problems: string[] = [];
    if (r.run.killed) problems.push('killed after the time limit');
    if (r.run.code !== 0) problems.push(`exit ${r.run.code ?? r.run.signal} (every domain reaches verify: expected 0)`);
    if (r.rows !== r.n) problems.push(`${r.rows} rows written, expected ${r.n}`);
    if (problems.length > 0) {
      ok = false;
      console.log(`\nN = ${label(r)}: RUN FAILED: ${problems.join('; ')}\n--- stderr (tail)\n${tail(r.run.stderr, 3000)}\n--- stdout (tail)\n${tail(r.run.stdout, 1000)}`);
    }
  }
  if (WORKERS !== null) reportWorkers(results);
  return ok;
}

/** The --workers W runs beside the --workers 1 ones (see the header): speed, CPU, the client's capacity and the ratios. */
function reportWorkers(results: Measured[]): void {
  const secs = (v: number | null) => (v === null ? '?' : v.toFixed(2));
  const capacity = (r: Measured): number | null => {
    const { cpuS, mainCpuS } = r.run;
    if (cpuS === null || mainCpuS === null) return null;
    return r.n / Math.max(mainCpuS, cpuS / CORES);
  };
  console.log(`\n## Probe workers (--workers 1 and ${WORKERS}; ${DISTINCT ? 'a probe per domain' : `${M} shared MX addresses`}; ${CORES} cores)\n`);
  console.log(
    table(
      ['N', 'wall s', 'probes', 'domains/s', 'client CPU s', 'main thread s', 'CPU ms/domain', 'client cores', 'fleet+DNS CPU s', `capacity/s on ${CORES} cores`, 'peak RSS MB'],
      results.map((r) => {
        const wallS = r.run.wallMs / 1000;
        const cap = capacity(r);
        return [
          label(r), wallS.toFixed(2), String(r.probes), rate(r.n / wallS), secs(r.run.cpuS), secs(r.run.mainCpuS),
          r.run.cpuS === null ? '?' : ((r.run.cpuS * 1000) / r.n).toFixed(2),
          r.run.cpuS === null ? '?' : (r.run.cpuS / wallS).toFixed(2), secs(r.run.benchCpuS),
          cap === null ? '?' : rate(cap), mb(r.run.peakRssKiB),
        ];
      }),
    ),
  );
  for (const n of SIZES) {
    const one = results.find((r) => r.n === n && r.workers === 1);
    const many = results.find((r) => r.n === n && r.workers === WORKERS);
    if (one === undefined || many === undefined) continue;
    const wallRatio = one.run.wallMs / many.run.wallMs;
    const [c1, cw] = [capacity(one), capacity(many)];
    console.log(
      `N = ${n}: --workers ${WORKERS} / --workers 1: domains/s ${wallRatio.toFixed(2)}×` +
        (c1 !== null && cw !== null ? `, client capacity ${(cw / c1).toFixed(2)}×` : '') +
        (one.run.cpuS !== null && many.run.cpuS !== null ? `, CPU per domain ${(many.run.cpuS / one.run.cpuS).toFixed(2)}×` : ''),
    );
  }
  console.log(
    `\nclient CPU: user + system of every thread of the CLI (process.resourceUsage() at its exit); main thread: its own utime + stime` +
      `\n  (/proc, 10 ms ticks); fleet+DNS: this process's CPU over the run, which shares the ${CORES} cores with the CLI here.` +
      `\n  capacity on K cores = domains / max(main-thread CPU, client CPU / K): the rate the client alone would reach on K free cores` +
      `\n  (the main thread's work is serial, the rest spreads), an upper bound that leaves the fleet's CPU out.`,
  );
}

async function main(): Promise<number> {
  if (process.env.BENCH_CLI === undefined && !existsSync(path.join(ROOT, 'dist', 'mxprobe.js'))) {
    process.stderr.write('bench: dist/mxprobe.js is missing: run `npm run bench:batch` (it builds first) or `node scripts/build.mjs`\n');
    return 1;
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-batch-bench-'));
  const stop = (): void => {
    killRunning();
    if (!KEEP) rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const pki = await makeTestPki();
    console.log(
      `# mxprobe batch benchmark — node ${process.version}, ${process.platform}/${process.arch}, ${os.cpus().length} CPUs; ` +
        `N = ${SIZES.join(', ')}; M = ${M} MX servers on 127.0.0.2–127.0.0.${M + 1}${DISTINCT ? ' (a host name of its own per domain)' : ''}; C = ${C}; ` +
        `delays: DNS ${DNS_DELAY} ms per query, SMTP ${SMTP_DELAY} ms per reply${BIN.endsWith(path.join('bin', 'mxprobe.js')) ? '' : `; CLI: ${BIN}`}`,
    );
    const startup = await startupMs(tmp);
    const results: Measured[] = [];
    const variants: Array<number | null> = WORKERS !== null ? [1, WORKERS] : [null];
    for (const n of SIZES) {
      for (const workers of variants) {
        const name = label({ n, workers });
        process.stderr.write(`bench: N = ${name} (bound ${(bound(n).minMs / 1000).toFixed(1)} s)…\n`);
        const r = await measure(n, workers, tmp, pki.caFile, pki.certs.wildcard);
        results.push(r);
        process.stderr.write(`bench: N = ${name}: ${(r.run.wallMs / 1000).toFixed(2)} s, exit ${r.run.code ?? r.run.signal}, ${r.rows} rows, ${r.probes} probes, peak RSS ${mb(r.run.peakRssKiB)} MB\n`);
      }
    }
    return report(results, startup) ? 0 : 1;
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    killRunning();
    if (KEEP) console.log(`\n(files kept in ${tmp})`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

process.exitCode = await main();
