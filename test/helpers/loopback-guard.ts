// Runs the built CLI like run-cli.ts, with a guard loaded first that lets TCP connect only to
// loopback: an attempt to reach any other address (a private, link-local or multicast MX
// address that mxprobe failed to filter) is refused inside the child and reported, so a test
// of the filter sends no packet off this machine even when the filter is broken.
// Test helper only.
import { spawn } from 'node:child_process';
import { BIN, ROOT, type CliRun } from './run-cli.ts';

const MARK = '@@mxprobe-test-blocked-connect=';

// Wraps net.Socket.prototype.connect (net.connect and tls.connect go through it).
const GUARD = `data:text/javascript,${encodeURIComponent(`
import net from 'node:net';
const connect = net.Socket.prototype.connect;
const loopback = (host) => /^(127\\.|::1$|::ffff:127\\.|0\\.0\\.0\\.0$|::$|localhost$)/i.test(String(host));
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === 'object' && first !== null ? first : { port: first, host: args[1] };
  if (options.path === undefined && !loopback(options.host ?? 'localhost')) {
    process.stderr.write(${JSON.stringify(MARK)} + options.host + '\\n');
    process.nextTick(() => this.destroy(new Error('connect blocked by the test guard')));
    return this;
  }
  return connect.apply(this, args);
};
`)}`;

export interface GuardedRun extends CliRun {
  /** Addresses the CLI tried to connect to that are not loopback (and that the guard refused). */
  blocked: string[];
}

/** @example const run = await runGuardedCli(['x.test', '--resolver', dns.address, '--json']); assert.deepEqual(run.blocked, []) */
export function runGuardedCli(args: readonly string[], killAfterMs = 30_000): Promise<GuardedRun> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', CI: 'true' };
  delete env.FORCE_COLOR;
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', GUARD, BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const blocked = stderr
        .split('\n')
        .filter((line) => line.startsWith(MARK))
        .map((line) => line.slice(MARK.length));
      stderr = stderr
        .split('\n')
        .filter((line) => !line.startsWith(MARK))
        .join('\n');
      resolve({
        code,
        signal,
        stdout,
        stderr,
        blocked,
        ms: performance.now() - started,
        maxRssKiB: null,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}):\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
          }
        },
      });
    });
  });
}
