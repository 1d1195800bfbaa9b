// Benchmark part of `npm run bench` (run by bench/probe.bench.ts): the deep scan of one address
// (`--deep`, issue 10) against testssl.sh on the same loopback Postfix listener.
//
//   target:  an extra listener of the bench's private Postfix (DEEP_LISTENER) that accepts TLS 1.0–1.3
//            and OpenSSL's `ALL:@SECLEVEL=0` (non-forward-secret RSA key exchange, CBC with SHA-1,
//            anonymous DH/ECDH, CAMELLIA, ARIA, AES-CCM: something to find), logging as `postfix-deep`.
//   mxprobe: bin/mxprobe.js --server 127.0.0.1:PORT --name mx.test --ca-file CA --deep --json
//            (each run checked: exit 0, a deep result that did not stop early);
//   anchor:  testssl --quiet --warnings off --color 0 --nodns none --openssl OPENSSL --starttls smtp
//            -p -E --csvfile F 127.0.0.1:PORT: -p the protocol versions, -E the accepted suites per
//            protocol; full run, not --fast (--fast tests suites with OpenSSL alone and shows fewer).
//            --openssl: the openssl on PATH (Debian's package ships no bundled binary); suites that
//            OpenSSL lacks (Debian's 3.x has no 3DES or RC4) testssl still tries through its own
//            sockets, and the Postfix under test links the same OpenSSL, so it cannot offer them.
//            --nodns none: no lookup may leave loopback (the URI is an address).
// Compared: the protocol versions accepted (exactly), the suites accepted per protocol (by IANA
// code point), the TCP connections each made (mxprobe's JSON `deep.connections` + 1 for its
// probe, and for both the listener's "connect from" log lines), wall time from spawn to exit.
// Goal (issue 10): the same findings in at most 1/10 of testssl's time, and --deep under 2 s.
// Env: BENCH_DEEP_RUNS paired rounds (default 3; testssl takes tens of seconds), no warm-up (the
// probe comparison before it has warmed mxprobe; a run of testssl is seconds of shell work).
// Skipped, with the reason printed, where testssl is not on PATH (BENCH_TESTSSL names another).
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PostfixInstance } from '../test/helpers/postfix.ts';
import { BIN, expectExit, intEnv, median, ms, p90, statsRow, table, timeOnce, type Cmd } from './harness.ts';

const RUNS = intEnv('BENCH_DEEP_RUNS', 3, 1);
/** The wanted ratio mxprobe --deep / testssl -p -E (at most a tenth) and the wanted --deep wall time. */
export const DEEP_RATIO_GOAL = 0.1;
export const DEEP_TIME_GOAL_MS = 2000;
const TESTSSL_KILL_MS = 300_000;
const LOG_NAME = 'postfix-deep';

/** main.cf overrides of the listener the deep comparison scans (startPostfix `listeners`). */
export const DEEP_LISTENER: Record<string, string> = {
  smtpd_tls_protocols: '>=TLSv1',
  smtpd_tls_mandatory_protocols: '>=TLSv1',
  // smtpd_tls_ciphers = medium (the default with security level may): this list is the one used.
  // @SECLEVEL=0 also lets OpenSSL 3 speak TLS 1.0 and 1.1 at all.
  tls_medium_cipherlist: 'ALL:@SECLEVEL=0',
  syslog_name: LOG_NAME,
};

/** What the summary prints: the figures, or why the comparison did not run. */
export type DeepBenchResult =
  | { skipped: string }
  | { skipped: null; same: boolean; ratio: number; mxprobeMs: number; testsslMs: number };

/** What one run found: protocol → accepted or not (null: not told), protocol → accepted suite code points. */
interface Findings {
  protocols: Map<string, boolean | null>;
  suites: Map<string, Map<number, string>>;
}

const PROTOCOLS = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
// testssl's CSV ids: protocol rows `SSLv3`, `TLS1_1`…; suite rows `cipher-tls1_1_xc013`…
const TESTSSL_PROTOCOL: Record<string, string> = { SSLv2: 'SSLv2', SSLv3: 'SSLv3', TLS1: 'TLSv1', TLS1_1: 'TLSv1.1', TLS1_2: 'TLSv1.2', TLS1_3: 'TLSv1.3' };
const TESTSSL_SUITE_PROTOCOL: Record<string, string> = { ssl2: 'SSLv2', ssl3: 'SSLv3', tls1: 'TLSv1', tls1_1: 'TLSv1.1', tls1_2: 'TLSv1.2', tls1_3: 'TLSv1.3' };

function onPath(names: readonly string[]): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const n of names) if (dir !== '' && existsSync(path.join(dir, n))) return path.join(dir, n);
  }
  return undefined;
}

function firstLine(file: string, args: string[]): string {
  try {
    const out = execFileSync(file, args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
    // eslint-disable-next-line no-control-regex
    return out.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).find((l) => l !== '' && !/^#+$/.test(l))?.replace(/\s+/g, ' ') ?? '?';
  } catch (e) {
    return `? (${(e as Error).message.split('\n')[0]})`;
  }
}

/** mxprobe's findings from its JSON; throws when the deep result is missing or stopped early. */
function mxprobeFindings(stdout: string): Findings & { connections: number } {
  const deep = JSON.parse(stdout).domains?.[0]?.mx?.[0]?.addresses?.[0]?.deep;
  if (deep === undefined || deep === null) throw new Error('no deep result in the JSON');
  if (deep.partial !== null) throw new Error(`the deep probe stopped early: ${JSON.stringify(deep.partial)}`);
  const protocols = new Map<string, boolean | null>();
  for (const p of deep.protocols as Array<{ version: string; accepted: boolean | null }>) protocols.set(p.version, p.accepted);
  const suites = new Map<string, Map<number, string>>();
  for (const s of deep.ciphers.accepted as Array<{ protocol: string; code: number; name: string }>) {
    if (!suites.has(s.protocol)) suites.set(s.protocol, new Map());
    suites.get(s.protocol)?.set(s.code, s.name);
  }
  return { protocols, suites, connections: Number(deep.connections) + 1 };
}

/** One CSV row of testssl: its id and finding (fields are quoted; a finding holds no quote). */
function csvRows(text: string): Array<{ id: string; finding: string }> {
  const rows: Array<{ id: string; finding: string }> = [];
  for (const line of text.split('\n')) {
    const m = /^"([^"]*)","[^"]*","[^"]*","[^"]*","([^"]*)"/.exec(line);
    if (m !== null) rows.push({ id: m[1] as string, finding: m[2] as string });
  }
  return rows;
}

/** testssl's findings from its CSV; throws when a protocol row is missing or it reports a scan problem. */
function testsslFindings(csv: string): Findings {
  const protocols = new Map<string, boolean | null>();
  const suites = new Map<string, Map<number, string>>();
  for (const { id, finding } of csvRows(csv)) {
    if (id === 'scanProblem') throw new Error(`testssl reports a scan problem: ${finding}`);
    const proto = TESTSSL_PROTOCOL[id];
    if (proto !== undefined) {
      protocols.set(proto, /^offered/.test(finding) ? true : /^not offered/.test(finding) ? false : null);
      continue;
    }
    const m = /^cipher-([a-z0-9_]+?)_x([0-9a-f]+)$/.exec(id);
    const p = m === null ? undefined : TESTSSL_SUITE_PROTOCOL[m[1] as string];
    if (m === null || p === undefined) continue;
    // The finding's last column is the IANA name.
    const iana = finding.trim().split(/\s+/).at(-1) ?? '';
    if (!suites.has(p)) suites.set(p, new Map());
    suites.get(p)?.set(Number.parseInt(m[2] as string, 16), iana);
  }
  for (const p of ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']) if (!protocols.has(p)) throw new Error(`no ${p} row in testssl's CSV`);
  return { protocols, suites };
}

/** Counts of the deep listener's "connect from" and "disconnect from" log lines. */
async function logCounts(logFile: string): Promise<{ connects: number; disconnects: number }> {
  const text = await fsp.readFile(logFile, 'utf8').catch(() => '');
  let connects = 0;
  let disconnects = 0;
  for (const line of text.split('\n')) {
    if (!line.includes(` ${LOG_NAME}/smtpd[`)) continue;
    if (line.includes(']: connect from ')) connects++;
    else if (line.includes(']: disconnect from ')) disconnects++;
  }
  return { connects, disconnects };
}

/** The listener's connection count once every session it logged has ended (postlogd writes a moment later). */
async function settledConnects(logFile: string): Promise<number> {
  const until = Date.now() + 10_000;
  let last = -1;
  for (;;) {
    const c = await logCounts(logFile);
    if (c.connects === c.disconnects && c.connects === last) return c.connects;
    if (Date.now() > until) return c.connects;
    last = c.connects;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const hex = (code: number) => `0x${code.toString(16).padStart(4, '0')}`;
const yesNo = (v: boolean | null | undefined) => (v === undefined ? '(not tested)' : v === null ? 'not told' : v ? 'accepted' : 'refused');

/** The protocols and suites on which two runs disagree, in words; [] when they agree. */
function differences(a: Findings, b: Findings, an: string, bn: string): string[] {
  const out: string[] = [];
  for (const p of PROTOCOLS) {
    const x = a.protocols.get(p);
    const y = b.protocols.get(p);
    if (x !== undefined && y !== undefined && x !== y) out.push(`${p}: ${an} ${yesNo(x)}, ${bn} ${yesNo(y)}`);
    const sa = a.suites.get(p) ?? new Map<number, string>();
    const sb = b.suites.get(p) ?? new Map<number, string>();
    // A protocol one side does not test at all (mxprobe: SSLv2) is not a difference in suites.
    if (x === undefined || y === undefined) continue;
    const onlyA = [...sa.keys()].filter((c) => !sb.has(c));
    const onlyB = [...sb.keys()].filter((c) => !sa.has(c));
    if (onlyA.length > 0) out.push(`${p} suites only ${an} found: ${onlyA.map((c) => `${hex(c)} ${sa.get(c)}`).join(', ')}`);
    if (onlyB.length > 0) out.push(`${p} suites only ${bn} found: ${onlyB.map((c) => `${hex(c)} ${sb.get(c)}`).join(', ')}`);
  }
  return out;
}

/**
 * Measures mxprobe --deep against testssl -p -E on the caller's Postfix listener `deep` (started
 * with DEEP_LISTENER) in paired rounds, compares what each found and prints the tables.
 * @example const r = await benchDeep(pf, pki.caFile); if (r.skipped !== null) console.log(r.skipped);
 */
export async function benchDeep(pf: PostfixInstance, caFile: string): Promise<DeepBenchResult> {
  const port = pf.ports.deep;
  console.log(`\n## Deep scan: mxprobe --deep vs testssl -p -E on one loopback Postfix listener (${RUNS} paired rounds, no warm-up)\n`);
  const testssl = process.env.BENCH_TESTSSL || onPath(['testssl', 'testssl.sh']);
  const openssl = onPath(['openssl']);
  let skipped: string | null = null;
  if (port === undefined) skipped = 'the Postfix target has no `deep` listener';
  else if (testssl === undefined) skipped = 'testssl.sh is not installed (no `testssl` or `testssl.sh` on PATH; BENCH_TESTSSL names another)';
  else if (!existsSync(testssl)) skipped = `BENCH_TESTSSL names no file: ${testssl}`;
  else if (openssl === undefined) skipped = 'no `openssl` on PATH for testssl';
  if (skipped !== null || port === undefined || testssl === undefined || openssl === undefined) {
    console.log(`skipped: ${skipped}`);
    return { skipped: skipped ?? 'not set up' };
  }

  const target = `${pf.host}:${port}`;
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'mxprobe-bench-deep-'));
  const csvFile = path.join(tmp, 'testssl.csv');
  try {
    const mxprobe: Cmd = {
      label: 'mxprobe --deep',
      file: process.execPath,
      args: [BIN, '--server', target, '--name', 'mx.test', '--ca-file', caFile, '--deep', '--json'],
      check(code, stdout) {
        expectExit(0)(code);
        mxprobeFindings(stdout);
      },
    };
    const anchor: Cmd = {
      label: 'testssl -p -E',
      file: testssl,
      args: ['--quiet', '--warnings', 'off', '--color', '0', '--nodns', 'none', '--openssl', openssl, '--starttls', 'smtp', '-p', '-E', '--csvfile', csvFile, target],
      killMs: TESTSSL_KILL_MS,
      check(code) {
        expectExit(0)(code);
        testsslFindings(readFileSync(csvFile, 'utf8'));
      },
    };
    console.log(`target:  Postfix listener ${target}: ${Object.entries(DEEP_LISTENER).filter(([k]) => k !== 'syslog_name').map(([k, v]) => `${k} = ${v}`).join(', ')}`);
    console.log(`mxprobe: ${mxprobe.args.slice(1).join(' ').replaceAll(caFile, 'CA')}`);
    console.log(`anchor:  ${firstLine(testssl, ['--version', '--color', '0'])} (${testssl}): ${anchor.args.join(' ').replace(csvFile, 'F')}`);
    console.log(`         its --openssl: ${openssl}, ${firstLine(openssl, ['version'])}\n`);

    const times: [number[], number[]] = [[], []];
    const conns: [number[], number[]] = [[], []];
    const found: [Findings[], Findings[]] = [[], []];
    const mxConns: number[] = [];
    let count = await settledConnects(pf.logFile);
    for (let round = 0; round < RUNS; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) {
        await fsp.rm(csvFile, { force: true });
        const r = await timeOnce(i === 0 ? mxprobe : anchor);
        const after = await settledConnects(pf.logFile);
        (conns[i] as number[]).push(after - count);
        count = after;
        (times[i] as number[]).push(r.ms);
        if (i === 0) {
          const f = mxprobeFindings(r.stdout);
          mxConns.push(f.connections);
          found[0].push(f);
        } else found[1].push(testsslFindings(readFileSync(csvFile, 'utf8')));
      }
    }
    const [tm, tt] = times;
    const [fm, ft] = [found[0][0] as Findings, found[1][0] as Findings];

    // Findings: each tool's runs must agree with its first; then the two first runs are compared.
    const unsteady = [
      ...found[0].slice(1).flatMap((f, i) => differences(fm, f, 'run 1', `run ${i + 2}`).map((d) => `mxprobe ${d}`)),
      ...found[1].slice(1).flatMap((f, i) => differences(ft, f, 'run 1', `run ${i + 2}`).map((d) => `testssl ${d}`)),
    ];
    const diff = differences(fm, ft, 'mxprobe', 'testssl');
    const same = diff.length === 0 && unsteady.length === 0;
    const count1 = (f: Findings, p: string) => (f.protocols.get(p) === undefined ? '-' : String(f.suites.get(p)?.size ?? 0));
    const both = (p: string) => [...(fm.suites.get(p)?.keys() ?? [])].filter((c) => ft.suites.get(p)?.has(c) === true).length;
    console.log(
      table(['protocol', 'mxprobe', 'testssl', 'suites mxprobe', 'suites testssl', 'suites both'], PROTOCOLS.map((p) => [
        p, yesNo(fm.protocols.get(p)), yesNo(ft.protocols.get(p)), count1(fm, p), count1(ft, p), fm.protocols.get(p) === undefined ? '-' : String(both(p)),
      ])),
    );
    const total = (f: Findings) => [...f.suites.values()].reduce((n, s) => n + s.size, 0);
    console.log(`\nfindings (protocols exactly; suites per protocol by IANA code point): ${same ? `the same (${total(fm)} protocol/suite pairs)` : 'DIFFERENT'}`);
    for (const d of diff) console.log(`  - ${d}`);
    for (const d of unsteady) console.log(`  - not the same from run to run: ${d}`);
    console.log("  (SSLv2: mxprobe's deep probe starts at SSLv3 (RFC 6176 prohibits SSLv2); testssl's SSLv2 row is shown, not compared)");

    console.log(`\nTCP connections per run (the listener's "connect from" lines, every run): mxprobe ${conns[0].join(', ')}; testssl ${conns[1].join(', ')}`);
    console.log(`mxprobe's own count (JSON deep.connections + 1 for the probe's handshake): ${mxConns.join(', ')}${mxConns.every((n, i) => n === conns[0][i]) ? ' (agrees with the log)' : ' (DISAGREES with the log)'}`);

    console.log();
    console.log(table(['wall time, ms', 'median', 'p90', 'min', 'max'], [statsRow('mxprobe --deep --json', tm), statsRow('testssl -p -E', tt)]));
    const ratios = tm.map((m, i) => m / (tt[i] as number));
    const ratio = median(ratios);
    console.log(`\nper-round ratio mxprobe / testssl: median ${ratio.toFixed(3)}× (1/${(1 / ratio).toFixed(1)}), p90 ${p90(ratios).toFixed(3)}×`);
    console.log(`goal, the same findings in ≤ ${DEEP_RATIO_GOAL}× testssl's time: ${same && ratio <= DEEP_RATIO_GOAL ? 'PASS' : 'MISS'}${same ? '' : ' (the findings differ)'}`);
    console.log(`goal, --deep under ${DEEP_TIME_GOAL_MS / 1000} s (median ${ms(median(tm))} ms): ${median(tm) < DEEP_TIME_GOAL_MS ? 'PASS' : 'MISS'}`);
    return { skipped: null, same, ratio, mxprobeMs: median(tm), testsslMs: median(tt) };
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}
