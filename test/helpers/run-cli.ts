// Runs the REAL built CLI (node bin/mxprobe.js, which loads dist/) as a child process, asynchronously:
// the fake SMTP/DNS servers live in the test process, so a synchronous spawn would block them.
// Test helper only. Build dist/ first (`node scripts/build.mjs`; `npm test` does it).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakeSmtpServer } from './fake-smtp.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'mxprobe.js');

/** Hard limit per run: a hung CLI is killed and the run reported as such, never waited for forever. */
const HARD_KILL_MS = 30_000;

export interface CliRun {
  /** Exit code; null when killed by a signal (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in ms. */
  ms: number;
  /** Peak resident set size of the CLI process in KiB, when run with `measureRss` (else null). */
  maxRssKiB: number | null;
  /** stdout parsed as JSON (throws with stdout and stderr shown when it is not JSON). */
  json(): any;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Kill after this many ms (default 30 s). */
  killAfterMs?: number;
  /** Report the CLI's peak RSS (a preloaded exit hook writes it to stderr; it is removed from `stderr`). */
  measureRss?: boolean;
  /** The child's stdio (default: no stdin, stdout and stderr piped); a stream that is not piped reads as ''. */
  stdio?: StdioOptions;
  /** Sees the child once spawned: to signal it, feed or close its standard input, close its stdout… */
  onStart?: (child: ChildProcess) => void;
  /** Node options before the CLI's script, e.g. ['--import', hook] to preload a module. */
  nodeArgs?: readonly string[];
}

const RSS_MARK = '\n@@mxprobe-test-maxrss=';
// Writes process.resourceUsage().maxRSS (KiB) at exit; stderr on a pipe is synchronous on Linux.
const RSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write(${JSON.stringify(RSS_MARK)}+process.resourceUsage().maxRSS+'\\n'))`;

/**
 * @example const r = await runCli(['--server', `127.0.0.1:${smtp.port}`, '--json']); r.json().domains[0].level
 */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  if (!existsSync(path.join(ROOT, 'dist', 'mxprobe.js'))) {
    throw new Error('dist/mxprobe.js is missing: run `node scripts/build.mjs` (npm test builds it)');
  }
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', CI: 'true', ...options.env };
  delete env.FORCE_COLOR;
  delete env.NODE_OPTIONS; // the test runner's --import tsx etc. must not leak into the CLI
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const nodeArgs = [...(options.nodeArgs ?? []), ...(options.measureRss === true ? ['--import', RSS_HOOK] : [])];
    const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { cwd: ROOT, env, stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? HARD_KILL_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let maxRssKiB: number | null = null;
      const mark = stderr.lastIndexOf(RSS_MARK);
      if (mark >= 0) {
        maxRssKiB = Number.parseInt(stderr.slice(mark + RSS_MARK.length), 10);
        stderr = stderr.slice(0, mark);
      }
      resolve({
        code,
        signal,
        stdout,
        stderr,
        ms: performance.now() - started,
        maxRssKiB,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}):\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
          }
        },
      });
    });
    options.onStart?.(child);
  });
}

/** Short deadlines so hostile servers cost little test time. */
export const FAST = ['--timeout', '1.5', '--connect-timeout', '1', '--dns-timeout', '0.5'] as const;

/**
 * Deadlines for servers that all answer (no test waits for them to pass): generous, so that a
 * handshake on a machine whose cores are busy with other work never times out.
 */
export const PATIENT = ['--timeout', '20', '--connect-timeout', '10', '--dns-timeout', '5'] as const;

/** Common CLI arguments to probe one fake server directly: `--server 127.0.0.1:PORT --name NAME`. */
export function serverArgs(server: { host: string; port: number }, name: string | null = 'mx.test'): string[] {
  const host = net.isIPv6(server.host) ? `[${server.host}]` : server.host;
  return ['--server', `${host}:${server.port}`, ...(name !== null ? ['--name', name] : [])];
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// JSON output is `any` here on purpose: the tests check it field by field.
/** The only domain of a one-domain JSON report. */
export function onlyDomain(run: CliRun): any {
  const report = run.json();
  assert.equal(report.domains.length, 1, 'one domain in the report');
  return report.domains[0];
}

/** Every address of a domain result, in MX then address order. */
export function addressesOf(domain: any): any[] {
  return domain.mx.flatMap((h: any) => h.addresses);
}

/**
 * Every problem of a domain result, each once: the domain's own (scope domain and host), each
 * address's in MX order, then the input row's (scope input). Written here from the JSON
 * contract, not borrowed from the renderer's judge/all-problems.ts.
 */
export function problemsOf(domain: any): any[] {
  const own = domain.problems.filter((p: any) => p.scope !== 'input');
  const input = domain.problems.filter((p: any) => p.scope === 'input');
  return [...own, ...addressesOf(domain).flatMap((a: any) => a.problems), ...input];
}

/** Problem codes of a domain result: the domain's own and every address's (problemsOf). */
export function codesOf(domain: any): string[] {
  return problemsOf(domain).map((p: any) => p.code);
}

/** The problem with this code; fails the test when there is none. */
export function problemOf(domain: any, code: string): any {
  const found = problemsOf(domain).find((p: any) => p.code === code);
  assert.ok(found, `expected problem ${code}; got ${JSON.stringify(problemsOf(domain).map((p: any) => `${p.code}: ${p.message}`))}`);
  return found;
}

/**
 * mxprobe never sends mail: no MAIL, RCPT or DATA in any session, and (where the dialogue
 * completed) QUIT is the last command the server received. A session whose TLS handshake
 * failed cannot end with QUIT (the check of what a current sender gets makes such sessions).
 */
export function assertNeverSentMail(server: FakeSmtpServer, options: { quitLast: boolean }): void {
  assert.ok(server.sessions.length > 0, 'the CLI connected at least once');
  for (const session of server.sessions) {
    for (const command of session.commands) {
      assert.doesNotMatch(command, /^\s*(MAIL|RCPT|DATA|BDAT|SEND|SOML|SAML)\b/i, `command ${JSON.stringify(command)} would send mail`);
    }
    if (options.quitLast && session.tlsError === null) {
      assert.equal(session.commands.at(-1)?.toUpperCase(), 'QUIT', `last command of ${JSON.stringify(session.commands)}`);
    }
  }
}
