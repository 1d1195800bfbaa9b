// Shared parts of the `npm run bench` comparisons (bench/probe.bench.ts, bench/dane.bench.ts):
// one timed child run, paired alternating rounds, medians and p90, and a plain-text table.
// Each time is wall time from spawn to exit of the child; the children get a clean environment.
// Env: BENCH_RUNS (pairs per comparison, default 20), BENCH_WARMUP (default 3).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin', 'mxprobe.js');
const KILL_MS = 30_000;

/** A whole number from the environment, or `fallback`; exits 2 with a one-line message when it is not one. */
export function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`bench: ${name} must be a whole number ≥ ${min}, not ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
}
export const RUNS = intEnv('BENCH_RUNS', 20, 1);
export const WARMUP = intEnv('BENCH_WARMUP', 3, 0);

// Children get a clean environment: no test-runner or tsx options, no colours, no spinner.
export const CHILD_ENV: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete CHILD_ENV.NODE_OPTIONS;
delete CHILD_ENV.FORCE_COLOR;

export interface Cmd {
  label: string;
  file: string;
  args: string[];
  stdin?: string;
  /** Extra environment on top of CHILD_ENV. */
  env?: NodeJS.ProcessEnv;
  /** Kills the child after this long (ms); default 30 s. */
  killMs?: number;
  /** Throws when the run did not do what it is supposed to measure. */
  check(code: number | null, stdout: string, stderr: string): void;
}

export interface Timed {
  ms: number;
  stdout: string;
  stderr: string;
}

export class RunFailed extends Error {}

/** Spawns one command; resolves with its wall time from spawn to exit. */
export function timeOnce(cmd: Cmd): Promise<Timed> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let exitedAt = 0;
    let exitCode: number | null = null;
    const env = cmd.env === undefined ? CHILD_ENV : { ...CHILD_ENV, ...cmd.env };
    const t0 = performance.now();
    const child = spawn(cmd.file, cmd.args, { cwd: ROOT, env, stdio: [cmd.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    child.once('exit', (code) => {
      exitedAt = performance.now();
      exitCode = code;
    });
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    if (cmd.stdin !== undefined) child.stdin?.end(cmd.stdin);
    const timer = setTimeout(() => child.kill('SIGKILL'), cmd.killMs ?? KILL_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      try {
        cmd.check(exitCode ?? code, stdout, stderr);
      } catch (err) {
        reject(new RunFailed(`${cmd.label}: ${(err as Error).message}\n--- stderr\n${stderr.slice(0, 2000)}\n--- stdout\n${stdout.slice(0, 2000)}`));
        return;
      }
      resolve({ ms: (exitedAt || performance.now()) - t0, stdout, stderr });
    });
  });
}

export const expectExit = (want: number) => (code: number | null) => {
  if (code !== want) throw new Error(`exit ${code}, expected ${want}`);
};

// ---------------------------------------------------------------------------------------
// Statistics

export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}
export const median = (v: readonly number[]) => quantile(v, 0.5);
export const p90 = (v: readonly number[]) => quantile(v, 0.9);

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const ms = (v: number) => v.toFixed(1);
export const statsRow = (label: string, v: readonly number[]) => [label, ms(median(v)), ms(p90(v)), ms(Math.min(...v)), ms(Math.max(...v))];

/**
 * Runs `cmds` RUNS times each, as rounds in which every command runs once; the order
 * alternates from round to round (forward, then reversed) so no command always runs first.
 */
export async function paired(cmds: Cmd[]): Promise<{ times: number[][]; outputs: string[][] }> {
  for (let i = 0; i < WARMUP; i++) for (const c of cmds) await timeOnce(c);
  const times = cmds.map(() => [] as number[]);
  const outputs = cmds.map(() => [] as string[]);
  for (let round = 0; round < RUNS; round++) {
    const order = cmds.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const r = await timeOnce(cmds[i] as Cmd);
      (times[i] as number[]).push(r.ms);
      (outputs[i] as string[]).push(r.stdout);
    }
  }
  return { times, outputs };
}
