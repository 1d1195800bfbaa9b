// Test harness: a private, throwaway Postfix instance on loopback.
//
// Everything lives in one temp dir (fs.mkdtemp):
//   DIR/etc    config_directory (main.cf, master.cf, key.pem, cert.pem)
//   DIR/queue  queue_directory (Postfix creates its subdirs via `post-install create-missing`)
//   DIR/data   data_directory (owned by the postfix user)
//   DIR/maillog  log file (maillog_file + postlogd service; no syslog needed)
//
// Started with `postfix -c DIR/etc start`. As root, Postfix does not require the
// directory to be listed in alternate_config_directories of /etc/postfix/main.cf,
// so nothing outside the temp dir is touched (/etc/postfix/main.cf may even be absent,
// as after a debconf "No configuration" install).
//
// Mail can never be delivered: every RCPT is rejected, there is no qmgr/pickup and no
// delivery transport in master.cf, and default/local/relay transports are `error`.
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PostfixInstance {
  host: string; // '127.0.0.1'
  tlsPort: number; // smtpd with STARTTLS offered (smtpd_tls_security_level=may)
  plainPort: number; // smtpd with TLS off (no STARTTLS advertised)
  myhostname: string; // the name Postfix greets with
  configDir: string; // config_directory (DIR/etc)
  logFile: string; // DIR/maillog (Postfix log of this instance)
  /** The port of each extra listener named in StartPostfixOptions.listeners. */
  ports: Record<string, number>;
  stop(): Promise<void>; // stops the instance and removes its temp dir; idempotent
}
export type PostfixStart = { ok: true; instance: PostfixInstance } | { ok: false; reason: string };

export interface StartPostfixOptions {
  certPem: string; // leaf certificate, optionally followed by intermediates
  keyPem: string;
  myhostname?: string; // default 'mx.test'
  /**
   * Extra STARTTLS listeners, by name: each an smtpd with these main.cf overrides (`-o`), e.g.
   * { tls10only: { smtpd_tls_protocols: 'TLSv1,TLSv1.1', … } }. Values may hold spaces and
   * commas. A value `$ETC/file` names a file of `files` in the config directory.
   */
  listeners?: Record<string, Record<string, string>>;
  /** Extra files written to the config directory (mode 0600), e.g. a second key and certificate. */
  files?: Record<string, string>;
  // Other chains by the SNI name a client sends (tls_server_sni_maps, Postfix 3.4+): a server that
  // picks its certificate by SNI; certPem/keyPem stay the default (no SNI, or a name not listed).
  sniChains?: Record<string, { certPem: string; keyPem: string }>;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;
const CMD_TIMEOUT_MS = 20_000;
const MAX_START_ATTEMPTS = 3;

/** What a command run by {@link run} gave: exit code (null on a signal or timeout), output, and the error if any. */
export interface CmdResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

/**
 * Runs a Postfix tool (or any command) without MAIL_CONFIG from the environment; never rejects.
 * @example const r = await run('/usr/sbin/postfix', ['-c', etc, 'stop']); r.code === 0
 */
export function run(cmd: string, args: string[], timeoutMs = CMD_TIMEOUT_MS): Promise<CmdResult> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env['MAIL_CONFIG'];
    execFile(cmd, args, { timeout: timeoutMs, env, encoding: 'utf8' }, (error, stdout, stderr) => {
      const r: CmdResult = { code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr };
      if (error) r.error = error;
      resolve(r);
    });
  });
}

/**
 * The path of the `postfix` command (its siblings postqueue, sendmail… live in the same directory), if installed.
 * @example const postfix = findPostfix(); if (!postfix) t.skip('Postfix is not installed');
 */
export function findPostfix(): string | undefined {
  const dirs = ['/usr/sbin', '/usr/local/sbin', '/sbin', ...(process.env['PATH'] ?? '').split(path.delimiter)];
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, 'postfix');
    if (existsSync(p)) return p;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('could not allocate a port'))));
    });
  });
}

/**
 * Resolves after `ms` milliseconds.
 * @example await sleep(100);
 */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Connects and waits for a complete 220 greeting; resolves with the greeting text or rejects. */
function readGreeting(port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: HOST, port });
    let buf = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error('timeout waiting for greeting')), timeoutMs);
    const finish = (err: Error | null, value?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        sock.destroy();
        reject(err);
      } else {
        sock.end('QUIT\r\n');
        sock.setTimeout(500, () => sock.destroy());
        resolve(value ?? '');
      }
    };
    sock.setEncoding('latin1');
    sock.on('error', (e) => finish(e));
    sock.on('close', () => finish(new Error('connection closed before greeting')));
    sock.on('data', (chunk: string) => {
      if (done) return;
      buf += chunk;
      const complete = buf.split('\r\n').slice(0, -1).find((line) => /^\d{3} /.test(line));
      if (complete === undefined) return;
      if (complete.startsWith('220 ')) finish(null, buf);
      else finish(new Error(`unexpected greeting: ${buf.trim()}`));
    });
  });
}

async function waitReady(ports: number[], deadline: number): Promise<string | null> {
  let lastErr = '';
  for (const port of ports) {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return `port ${port}: ${lastErr || 'not ready'}`;
      try {
        await readGreeting(port, Math.min(left, 3000));
        break;
      } catch (e) {
        lastErr = e instanceof Error ? e.message : String(e);
        await sleep(100);
      }
    }
  }
  return null;
}

/**
 * Whether a process runs (a zombie counts as gone).
 * @example while (pidAlive(pid)) await sleep(50);
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An exited daemon whose parent (init) has not reaped it yet is a zombie: treat as gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/**
 * The master's pid from QUEUE/pid/master.pid, if the instance wrote one.
 * @example const pid = await readMasterPid(path.join(dir, 'queue'));
 */
export async function readMasterPid(queueDir: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await fsp.readFile(path.join(queueDir, 'pid', 'master.pid'), 'utf8')).trim(), 10);
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The last lines of an instance's log file, or '(no log)'.
 * @example assert.fail(`not started\n${await logTail(logFile)}`);
 */
export async function logTail(logFile: string, lines = 15): Promise<string> {
  try {
    const all = (await fsp.readFile(logFile, 'utf8')).trimEnd().split('\n');
    return all.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function validateTlsMaterial(certPem: string, keyPem: string): string | null {
  try {
    const leaf = new X509Certificate(certPem);
    const key = createPrivateKey(keyPem);
    if (!leaf.checkPrivateKey(key)) return 'keyPem does not match the first certificate in certPem';
    return null;
  } catch (e) {
    return `invalid certPem/keyPem: ${e instanceof Error ? e.message : String(e)}`;
  }
}

function mainCf(dir: string, myhostname: string, sniMap: boolean): string {
  const etc = path.join(dir, 'etc');
  return `# generated by test/helpers/postfix.ts - private test instance, never delivers mail
compatibility_level = 3.6
config_directory = ${etc}
queue_directory = ${path.join(dir, 'queue')}
data_directory = ${path.join(dir, 'data')}
maillog_file = ${path.join(dir, 'maillog')}
maillog_file_prefixes = ${dir}
myhostname = ${myhostname}
mydomain = test
myorigin = $myhostname
smtpd_banner = $myhostname ESMTP
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
default_transport = error:test instance never delivers
local_transport = error:test instance never delivers
relay_transport = error:test instance never delivers
smtpd_relay_restrictions = reject
smtpd_recipient_restrictions = reject
smtpd_etrn_restrictions = reject
smtpd_peername_lookup = no
biff = no
append_dot_mydomain = no
smtpd_tls_security_level = may
smtpd_tls_chain_files = ${path.join(etc, 'key.pem')}, ${path.join(etc, 'cert.pem')}
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_loglevel = 1
${sniMap ? `tls_server_sni_maps = texthash:${path.join(etc, 'sni-map')}\n` : ''}`;
}

function masterCf(tlsPort: number, plainPort: number, extra: Array<{ port: number; overrides: Record<string, string> }> = [], etc = ''): string {
  // Columns: service type private unpriv chroot wakeup maxproc command. chroot = n everywhere.
  // An override is written `-o { name = value }` (Postfix 3.0+), so a value may hold spaces and commas.
  const extraLines = extra.map(
    ({ port, overrides }) =>
      `${HOST}:${port} inet n - n - - smtpd ${Object.entries(overrides)
        .map(([name, value]) => `-o { ${name} = ${value.replaceAll('$ETC', etc)} }`)
        .join(' ')}\n`,
  );
  return `# generated by test/helpers/postfix.ts
${HOST}:${tlsPort} inet n - n - - smtpd
${HOST}:${plainPort} inet n - n - - smtpd -o smtpd_tls_security_level=none
${extraLines.join('')}postlog   unix-dgram n - n - 1 postlogd
cleanup   unix n - n - 0 cleanup
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
proxymap  unix - - n - - proxymap
retry     unix - - n - - error
error     unix - - n - - error
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
`;
}

/** A private instance for the exit hook: the postfix command, its config dir, its temp dir, its master's pid once known. */
export interface TrackedInstance {
  postfix: string;
  etc: string;
  dir: string;
  pid?: number;
}

// Best-effort cleanup if the test process exits without calling stop().
const live = new Map<string, TrackedInstance>();
let exitHookInstalled = false;

/**
 * Registers an instance to be aborted and its temp dir removed if the process exits before its stop();
 * `entry.pid` may be set later (the hook reads it at exit).
 * @example const entry: TrackedInstance = { postfix, etc, dir }; trackInstance(entry); … entry.pid = pid;
 */
export function trackInstance(entry: TrackedInstance): void {
  live.set(entry.dir, entry);
  installExitHook();
}

/**
 * Stops a started instance (`postfix stop`, then SIGKILL to the master's group after 5 s) and removes its temp dir.
 * @example await stopInstance(entry, path.join(entry.dir, 'queue'));
 */
export async function stopInstance(entry: TrackedInstance, queue: string): Promise<void> {
  await run(entry.postfix, ['-c', entry.etc, 'stop'], 15_000);
  const masterPid = entry.pid ?? (await readMasterPid(queue));
  if (masterPid !== undefined) {
    const until = Date.now() + 5000;
    while (pidAlive(masterPid) && Date.now() < until) await sleep(50);
    if (pidAlive(masterPid)) {
      try {
        process.kill(-masterPid, 'SIGKILL'); // master is a process group leader
      } catch {
        /* ignore */
      }
      const until2 = Date.now() + 2000;
      while (pidAlive(masterPid) && Date.now() < until2) await sleep(50);
    }
  }
  live.delete(entry.dir);
  await fsp.rm(entry.dir, { recursive: true, force: true });
}

/**
 * Cleans up after a start that failed: aborts the master if it runs, forgets the instance, removes its temp dir.
 * @example if (res.code !== 0) { await abortInstance(entry, queue); return { ok: false, reason }; }
 */
export async function abortInstance(entry: TrackedInstance, queue: string): Promise<void> {
  const pid = await readMasterPid(queue);
  if (pid !== undefined && pidAlive(pid)) {
    await run(entry.postfix, ['-c', entry.etc, 'abort'], 5000);
    await sleep(200);
  }
  if (pid !== undefined && pidAlive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* ignore */
    }
  }
  live.delete(entry.dir);
  await fsp.rm(entry.dir, { recursive: true, force: true });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const { postfix, etc, dir, pid } of live.values()) {
      try {
        execFileSync(postfix, ['-c', etc, 'abort'], { stdio: 'ignore', timeout: 5000 });
      } catch {
        /* ignore */
      }
      if (pid !== undefined && pidAlive(pid)) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* ignore */
        }
      }
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        /* ignore */
      }
    }
  });
}

/** Starts a private Postfix instance; ok:false with a clear reason when Postfix is not installed or cannot start. */
/** A private instance's temp tree (DIR/etc, DIR/queue, DIR/data, DIR/maillog), made and tracked for the exit hook. */
export interface InstanceTree {
  postfix: string;
  dir: string;
  etc: string;
  queue: string;
  data: string;
  logFile: string;
  entry: TrackedInstance;
}

/**
 * Finds Postfix and checks that a private instance can run here (Linux, root), then makes its
 * temp tree: DIR traversable by the postfix user, DIR/etc and DIR/queue, DIR/data owned by
 * postfix; tracked so that the exit hook removes it. A string says why not (nothing is left).
 *
 * @example const tree = await newInstanceTree('mxprobe-postfix-'); if (typeof tree === 'string') return { ok: false, reason: tree };
 */
export async function newInstanceTree(prefix: string): Promise<InstanceTree | string> {
  if (process.platform !== 'linux') return `private Postfix harness supports Linux only (platform ${process.platform})`;
  const postfix = findPostfix();
  if (!postfix) return 'Postfix is not installed (no `postfix` binary in /usr/sbin or PATH); run scripts/install-test-deps.sh';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return `a private Postfix instance must be started as root (running as uid ${process.getuid()})`;
  }
  let dir: string;
  try {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  } catch (e) {
    return `cannot create temp dir: ${e instanceof Error ? e.message : String(e)}`;
  }
  const tree: InstanceTree = { postfix, dir, etc: path.join(dir, 'etc'), queue: path.join(dir, 'queue'), data: path.join(dir, 'data'), logFile: path.join(dir, 'maillog'), entry: { postfix, etc: path.join(dir, 'etc'), dir } };
  trackInstance(tree.entry);
  try {
    // Postfix daemons drop to the postfix user; they must be able to traverse the tree.
    await fsp.chmod(dir, 0o755);
    await fsp.mkdir(tree.etc, { mode: 0o755 });
    await fsp.mkdir(tree.queue, { mode: 0o755 });
    await fsp.mkdir(tree.data, { mode: 0o700 });
  } catch (e) {
    await abortInstance(tree.entry, tree.queue);
    return `cannot prepare instance dir ${dir}: ${e instanceof Error ? e.message : String(e)}`;
  }
  try {
    execFileSync('chown', ['postfix', tree.data], { stdio: 'pipe' });
  } catch (e) {
    await abortInstance(tree.entry, tree.queue);
    return `cannot chown data_directory to user postfix (is the postfix package installed?): ${e instanceof Error ? e.message : String(e)}`;
  }
  return tree;
}

export async function startPostfix(options: StartPostfixOptions): Promise<PostfixStart> {
  const myhostname = options.myhostname ?? 'mx.test';
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(myhostname)) {
    return { ok: false, reason: `invalid myhostname: ${JSON.stringify(myhostname)}` };
  }
  const sniChains = Object.entries(options.sniChains ?? {});
  for (const [name, chain] of [['(default)', { certPem: options.certPem, keyPem: options.keyPem }] as const, ...sniChains]) {
    if (name !== '(default)' && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name)) return { ok: false, reason: `invalid SNI name: ${JSON.stringify(name)}` };
    const bad = validateTlsMaterial(chain.certPem, chain.keyPem);
    if (bad) return { ok: false, reason: `${name}: ${bad}` };
  }

  const tree = await newInstanceTree('mxprobe-postfix-');
  if (typeof tree === 'string') return { ok: false, reason: tree };
  const { postfix, dir, etc, queue, logFile, entry } = tree;

  const cleanupAfterFailure = (): Promise<void> => abortInstance(entry, queue);

  try {
    await fsp.writeFile(path.join(etc, 'key.pem'), options.keyPem.trimEnd() + '\n', { mode: 0o600 });
    await fsp.writeFile(path.join(etc, 'cert.pem'), options.certPem.trimEnd() + '\n', { mode: 0o644 });
    // texthash with the SNI map's flag reads each value as files of a key and its chain, in order.
    const sniLines = await Promise.all(
      sniChains.map(async ([name, chain], i) => {
        const file = path.join(etc, `sni-${i}.pem`);
        await fsp.writeFile(file, `${chain.keyPem.trimEnd()}\n${chain.certPem.trimEnd()}\n`, { mode: 0o600 });
        return `${name} ${file}\n`;
      }),
    );
    if (sniLines.length > 0) await fsp.writeFile(path.join(etc, 'sni-map'), sniLines.join(''), { mode: 0o644 });
    await fsp.writeFile(path.join(etc, 'main.cf'), mainCf(dir, myhostname, sniLines.length > 0), { mode: 0o644 });
    for (const [name, content] of Object.entries(options.files ?? {})) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`bad file name ${JSON.stringify(name)}`);
      await fsp.writeFile(path.join(etc, name), content.trimEnd() + '\n', { mode: 0o600 });
    }
  } catch (e) {
    await cleanupAfterFailure();
    return { ok: false, reason: `cannot prepare instance dir ${dir}: ${e instanceof Error ? e.message : String(e)}` };
  }

  let lastReason = '';
  for (let attempt = 1; attempt <= MAX_START_ATTEMPTS; attempt++) {
    const tlsPort = await freePort();
    let plainPort = await freePort();
    while (plainPort === tlsPort) plainPort = await freePort();
    const ports: Record<string, number> = {};
    const taken = new Set([tlsPort, plainPort]);
    for (const name of Object.keys(options.listeners ?? {})) {
      let port = await freePort();
      while (taken.has(port)) port = await freePort();
      taken.add(port);
      ports[name] = port;
    }
    const extra = Object.entries(options.listeners ?? {}).map(([name, overrides]) => ({ port: ports[name] as number, overrides }));
    await fsp.writeFile(path.join(etc, 'master.cf'), masterCf(tlsPort, plainPort, extra, etc), { mode: 0o644 });
    // Postfix re-reads a config file until its mtime is at least ~1-2 s in the past (it
    // sleeps 300 ms per try), so backdate the freshly written files to start immediately.
    const past = new Date(Date.now() - 60_000);
    for (const f of ['main.cf', 'master.cf']) await fsp.utimes(path.join(etc, f), past, past);

    const deadline = Date.now() + READY_TIMEOUT_MS;
    const res = await run(postfix, ['-c', etc, 'start']);
    if (res.code !== 0) {
      const tail = await logTail(logFile);
      lastReason =
        `\`${postfix} -c ${etc} start\` failed (exit ${res.code ?? 'signal/timeout'})` +
        `${res.stderr.trim() ? `: ${res.stderr.trim()}` : ''}\n--- ${logFile} ---\n${tail}`;
      if (/Address already in use/.test(tail) && attempt < MAX_START_ATTEMPTS) {
        const stale = await readMasterPid(queue);
        if (stale !== undefined && pidAlive(stale)) await run(postfix, ['-c', etc, 'abort'], 5000);
        continue; // port race: pick new ports and retry
      }
      await cleanupAfterFailure();
      return { ok: false, reason: lastReason };
    }
    const pid = await readMasterPid(queue);
    if (pid !== undefined) entry.pid = pid;

    const notReady = await waitReady([tlsPort, plainPort, ...Object.values(ports)], deadline);
    if (notReady) {
      const tail = await logTail(logFile);
      await cleanupAfterFailure();
      return { ok: false, reason: `Postfix started but did not greet within ${READY_TIMEOUT_MS} ms (${notReady})\n--- ${logFile} ---\n${tail}` };
    }

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= stopInstance(entry, queue);
      return stopping;
    };

    return {
      ok: true,
      instance: { host: HOST, tlsPort, plainPort, myhostname, configDir: etc, logFile, ports, stop },
    };
  }
  await cleanupAfterFailure();
  return { ok: false, reason: lastReason || 'Postfix did not start' };
}
