// Benchmark (`npm run bench`): the built CLI against a private loopback Postfix (test harness),
// compared with `openssl s_client -starttls smtp` on the same target and with bare Node start-up.
//
//   probe:    mxprobe --server 127.0.0.1:PORT --name mx.test --ca-file CA --json
//             vs openssl s_client (says QUIT, waits for the 221) + `node -e 0`.   Goal: median ratio ≤ 1.3
//   start-up: mxprobe --version vs `node -e 0`.                                  Goal: median ratio ≤ 1.3
//   DANE + MTA-STS: mxprobe on one signed domain (DNSSEC lab, TLSA, MTA-STS enforce) vs
//             `posttls-finger -c -l dane` on the same target (bench/dane.bench.ts). No goal: the
//             ratio is printed as information; skipped, with the reason, where the lab cannot run.
//   deep:     mxprobe --deep on one listener that accepts TLS 1.0–1.3 and weak suites vs
//             testssl -p -E (bench/deep.bench.ts): the same findings (protocols, suites per
//             protocol), connections, time.                Goal: same findings in ≤ 0.1× the time, --deep < 2 s
//
// Paired runs in alternating order; each time is wall time from spawn to exit of the child.
// Env: BENCH_RUNS (pairs per comparison, default 20), BENCH_WARMUP (default 3), BENCH_DEEP_RUNS (default 3),
// BENCH_ONLY (comma-separated parts to run, of probe, startup, dane, deep; default all of them:
// e.g. BENCH_ONLY=probe,startup to iterate on start-up without the slow DANE and deep parts).
// Exit: 0 after reporting (PASS or MISS), also when Postfix is missing (the comparisons on it are
// skipped with the reason); 1 when the target could not be set up otherwise or a run failed.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startPostfix, type PostfixInstance } from '../test/helpers/postfix.ts';
import { makeTestPki } from '../test/helpers/pki.ts';
import { benchDaneMtaSts } from './dane.bench.ts';
import { DEEP_LISTENER, DEEP_RATIO_GOAL, DEEP_TIME_GOAL_MS, benchDeep } from './deep.bench.ts';
import { BIN, ROOT, RUNS, RunFailed, WARMUP, expectExit, median, ms, p90, paired, statsRow, table, type Cmd } from './harness.ts';

const GOAL = 1.3;

const PARTS = ['probe', 'startup', 'dane', 'deep'] as const;
type Part = (typeof PARTS)[number];

/** The parts BENCH_ONLY names (all when unset); exits 2 with a one-line message on an unknown one. */
function partsToRun(): ReadonlySet<Part> {
  const raw = process.env.BENCH_ONLY;
  if (raw === undefined || raw.trim() === '') return new Set(PARTS);
  const named = raw.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const unknown = named.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0 || named.length === 0) {
    process.stderr.write(`bench: BENCH_ONLY must list parts among ${PARTS.join(', ')}, not ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return new Set(named as Part[]);
}
const ONLY = partsToRun();

const verdict = (ratio: number) => (ratio <= GOAL ? 'PASS' : 'MISS');

// ---------------------------------------------------------------------------------------

/** Stage timings mxprobe measured inside the process (JSON `timings`), medians over the runs. */
function stageMedians(outputs: readonly string[]): Array<[string, number]> {
  const by = new Map<string, number[]>();
  for (const out of outputs) {
    const address = JSON.parse(out).domains[0].mx[0].addresses[0] as { timings: Record<string, number> };
    for (const [stage, v] of Object.entries(address.timings)) by.set(stage, [...(by.get(stage) ?? []), v]);
  }
  const order = ['connect', 'banner', 'ehlo', 'starttls', 'handshake', 'ehlo-tls', 'quit', 'total'];
  return [...by.entries()].sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0])).map(([k, v]) => [k, median(v)]);
}

async function benchProbe(pf: PostfixInstance, caFile: string): Promise<number> {
  const target = `${pf.host}:${pf.tlsPort}`;
  const mxprobe: Cmd = {
    label: 'mxprobe probe',
    file: process.execPath,
    args: [BIN, '--server', target, '--name', 'mx.test', '--ca-file', caFile, '--json'],
    check(code, stdout) {
      expectExit(0)(code);
      const level = JSON.parse(stdout).domains?.[0]?.level;
      if (level !== 'verify') throw new Error(`level ${level}, expected verify`);
    },
  };
  const openssl: Cmd = {
    label: 'openssl s_client',
    file: 'openssl',
    // -quiet implies -ign_eof and no command letters: it sends "QUIT", waits for the 221 and the close.
    args: ['s_client', '-starttls', 'smtp', '-connect', target, '-servername', 'mx.test', '-CAfile', caFile, '-quiet', '-crlf'],
    stdin: 'QUIT\n',
    check(code, stdout) {
      expectExit(0)(code);
      if (!/^221 /m.test(stdout)) throw new Error('no 221 reply to QUIT');
    },
  };
  const nodeBare: Cmd = { label: 'node -e 0', file: process.execPath, args: ['-e', '0'], check: expectExit(0) };

  const { times, outputs } = await paired([mxprobe, openssl, nodeBare]);
  const [tm, to, tn] = times as [number[], number[], number[]];
  const ratios = tm.map((m, i) => m / ((to[i] as number) + (tn[i] as number)));
  const baseline = to.map((o, i) => o + (tn[i] as number));
  const r = median(ratios);

  console.log(`\n## Probe: one loopback Postfix target (${target}, STARTTLS, ${RUNS} paired rounds, ${WARMUP} warm-up)\n`);
  console.log(
    table(['wall time, ms', 'median', 'p90', 'min', 'max'], [
      statsRow('mxprobe --server … --ca-file … --json', tm),
      statsRow('openssl s_client -starttls smtp', to),
      statsRow('node -e 0', tn),
      statsRow('openssl + node -e 0 (same round)', baseline),
    ]),
  );
  console.log(`\nper-round ratio mxprobe / (openssl + node -e 0): median ${r.toFixed(2)}×, p90 ${p90(ratios).toFixed(2)}×, min ${Math.min(...ratios).toFixed(2)}×`);
  console.log(`goal ≤ ${GOAL}×: ${verdict(r)}   (budget at the median: ${ms(median(baseline) * GOAL)} ms, mxprobe median ${ms(median(tm))} ms)`);
  const stages = stageMedians(outputs[0] as string[]);
  console.log(`\nmxprobe's own stage timings (JSON timings, medians, ms): ${stages.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const total = stages.find(([k]) => k === 'total')?.[1] ?? 0;
  console.log(`so outside the SMTP/TLS dialogue (process start, module load, setup, output): ~${ms(median(tm) - total)} ms median`);
  return r;
}

async function benchVersion(): Promise<number> {
  const version: Cmd = {
    label: 'mxprobe --version',
    file: process.execPath,
    args: [BIN, '--version'],
    check(code, stdout) {
      expectExit(0)(code);
      if (!/^\d+\.\d+\.\d+/.test(stdout)) throw new Error(`unexpected output ${JSON.stringify(stdout)}`);
    },
  };
  const nodeBare: Cmd = { label: 'node -e 0', file: process.execPath, args: ['-e', '0'], check: expectExit(0) };
  const { times } = await paired([version, nodeBare]);
  const [tv, tn] = times as [number[], number[]];
  const ratios = tv.map((v, i) => v / (tn[i] as number));
  const r = median(ratios);
  console.log(`\n## Start-up: mxprobe --version vs node -e 0 (${RUNS} paired rounds, ${WARMUP} warm-up)\n`);
  console.log(table(['wall time, ms', 'median', 'p90', 'min', 'max'], [statsRow('mxprobe --version', tv), statsRow('node -e 0', tn)]));
  console.log(`\nper-round ratio mxprobe --version / node -e 0: median ${r.toFixed(2)}×, p90 ${p90(ratios).toFixed(2)}×`);
  console.log(`goal ≤ ${GOAL}×: ${verdict(r)}`);
  return r;
}

async function main(): Promise<number> {
  if (!existsSync(path.join(ROOT, 'dist', 'mxprobe.js'))) {
    process.stderr.write('bench: dist/mxprobe.js is missing: run `npm run bench` (it builds first) or `node scripts/build.mjs`\n');
    return 1;
  }
  const notRun = `not run (BENCH_ONLY=${process.env.BENCH_ONLY ?? ''})`;
  if (!ONLY.has('probe') && !ONLY.has('dane') && !ONLY.has('deep')) {
    // Start-up alone needs no Postfix.
    console.log(`# mxprobe benchmark — node ${process.version}, ${process.platform}/${process.arch}, start-up only`);
    const r = ONLY.has('startup') ? await benchVersion() : null;
    if (r !== null) console.log(`\n## Summary\n\nstart-up: mxprobe --version / node -e 0: ${r.toFixed(2)}×, goal ≤ ${GOAL}×: ${verdict(r)}; the others ${notRun}`);
    return 0;
  }
  const pki = await makeTestPki();
  const started = await startPostfix({ certPem: pki.certs.valid.cert, keyPem: pki.certs.valid.key, myhostname: 'mx.test', listeners: { deep: DEEP_LISTENER } });
  // The reasons test/helpers/postfix.ts gives when Postfix cannot run here at all (not a failed start).
  if (!started.ok && /^(Postfix is not installed|a private Postfix instance must be started as root|private Postfix harness supports Linux only)/.test(started.reason)) {
    console.log(`# mxprobe benchmark — node ${process.version}, ${process.platform}/${process.arch}, no Postfix target`);
    console.log(`\nskipped: the probe, DANE + MTA-STS and deep comparisons need the private Postfix: ${started.reason.split('\n')[0]}`);
    if (!ONLY.has('startup')) return 0;
    const r = await benchVersion();
    console.log(`\n## Summary\n\nstart-up: mxprobe --version / node -e 0: ${r.toFixed(2)}×, goal ≤ ${GOAL}×: ${verdict(r)}; the others skipped (no Postfix)`);
    return 0;
  }
  if (!started.ok) {
    process.stderr.write(`bench: cannot start the private Postfix target, so there is nothing to measure:\n${started.reason}\n`);
    process.stderr.write('(Postfix must be installed (scripts/install-test-deps.sh) and the bench run as root on Linux.)\n');
    return 1;
  }
  const pf = started.instance;
  const stop = () => {
    void pf.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    console.log(`# mxprobe benchmark — node ${process.version}, ${process.platform}/${process.arch}, Postfix on ${pf.host} (tls ${pf.tlsPort})`);
    const probeRatio = ONLY.has('probe') ? await benchProbe(pf, pki.caFile) : null;
    const startupRatio = ONLY.has('startup') ? await benchVersion() : null;
    const dane = ONLY.has('dane') ? await benchDaneMtaSts(pf, pki) : null;
    const deep = ONLY.has('deep') ? await benchDeep(pf, pki.caFile) : null;
    const ratioRow = (label: string, r: number | null) => [label, r === null ? notRun : `${r.toFixed(2)}×`, `≤ ${GOAL}×`, r === null ? '-' : verdict(r)];
    console.log('\n## Summary\n');
    console.log(
      table(['comparison', 'median ratio', 'goal', 'verdict'], [
        ratioRow('probe: mxprobe / (openssl + node -e 0)', probeRatio),
        ratioRow('start-up: mxprobe --version / node -e 0', startupRatio),
        ['DANE + MTA-STS: mxprobe / posttls-finger -l dane', dane === null ? notRun : dane.ratio === null ? 'skipped' : `${dane.ratio.toFixed(2)}×`, 'none', 'information'],
        ...(deep === null
          ? [['deep: mxprobe --deep / testssl -p -E', notRun, `same findings, ≤ ${DEEP_RATIO_GOAL}×`, '-']]
          : deep.skipped !== null
            ? [['deep: mxprobe --deep / testssl -p -E', 'skipped', `same findings, ≤ ${DEEP_RATIO_GOAL}×`, 'skipped']]
            : [
                ['deep: mxprobe --deep / testssl -p -E', `${deep.ratio.toFixed(3)}×${deep.same ? '' : ', findings differ'}`, `same findings, ≤ ${DEEP_RATIO_GOAL}×`, deep.same && deep.ratio <= DEEP_RATIO_GOAL ? 'PASS' : 'MISS'],
                ['deep: mxprobe --deep wall time (median)', `${ms(deep.mxprobeMs)} ms`, `< ${DEEP_TIME_GOAL_MS} ms`, deep.mxprobeMs < DEEP_TIME_GOAL_MS ? 'PASS' : 'MISS'],
              ]),
      ]),
    );
    if (dane !== null && dane.ratio === null) console.log(`\nDANE + MTA-STS comparison skipped: ${dane.skipped}`);
    if (deep !== null && deep.skipped !== null) console.log(`\ndeep comparison skipped: ${deep.skipped}`);
    return 0;
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof RunFailed ? err.message : (err as Error).stack ?? String(err)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await pf.stop();
  }
}

process.exitCode = await main();
