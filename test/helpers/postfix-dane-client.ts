// Test harness: Postfix's own DANE client, `posttls-finger -c -l dane DOMAIN:PORT`, made to
// resolve through a given validating resolver (the DNSSEC lab's unbound, test/helpers/dnssec-lab.ts).
// glibc's resolver speaks only to port 53 and reads only /etc/resolv.conf, so: a UDP+TCP relay on
// <random 127.x.y.z>:53 to the resolver, a resolv.conf naming it (`trust-ad`: glibc keeps the AD
// bit only then), and posttls-finger run under `unshare --mount` with that file bind-mounted over
// /etc/resolv.conf (private propagation: the host's file is untouched). MAIL_CONFIG is the test
// Postfix's config directory (posttls-finger needs a main.cf). Unavailable (with the reason) where
// port 53 cannot be bound. Used by test/integration/dane-lab.test.ts (an oracle) and
// bench/dane.bench.ts (the anchor). Loopback only: the relay listens on and forwards to 127.0.0.0/8.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** What a DANE sender (Postfix) makes of the destination: the classes mxprobe's dane status maps to. */
export type SenderVerdict = 'valid' | 'invalid' | 'defer' | 'no-dane';

/** A command line to run (file, arguments, environment to add): for callers that time the run themselves. */
export interface FingerCommand {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export interface PostfixDaneClient {
  /** The relay posttls-finger's resolv.conf names: '127.x.y.z:53'. */
  relay: string;
  /** The command that runs `posttls-finger -c -l dane -t 10 -T 20 DOMAIN:PORT` behind the relay (PORT: the Postfix's STARTTLS port unless given). */
  command(domain: string, port?: number): FingerCommand;
  /** Runs it once and classifies the output; rejects when the output fits no class. */
  verdict(domain: string, port?: number): Promise<{ verdict: SenderVerdict; output: string }>;
  close(): Promise<void>;
}

/**
 * What posttls-finger's log (stdout + stderr) says a DANE sender does, or null when it fits no class.
 * @example classifyFinger('posttls-finger: Verified TLS connection established …\nMatched DANE EE certificate') // 'valid'
 */
export function classifyFinger(output: string): SenderVerdict | null {
  if (/(Verified|Trusted) TLS connection established/.test(output) && /Matched DANE (EE|TA) certificate/.test(output)) return 'valid';
  if (/no matching DANE TLSA records/.test(output)) return 'invalid';
  if (/TLSA lookup error/.test(output)) return 'defer';
  if (/(Untrusted|Anonymous) TLS connection established/.test(output) && !/DANE/.test(output)) return 'no-dane';
  return null;
}

/**
 * Starts the relay to `resolver` ('127.0.0.1:port') and returns a client that runs posttls-finger
 * against the Postfix at `pf` (its tlsPort and configDir); `{ unavailable }` when port 53 cannot
 * be bound. Whether `unshare --mount` works here shows only on the first run: callers try one.
 * @example
 * const client = await startPostfixDaneClient(lab.resolver, pf);
 * if ('unavailable' in client) return t.skip(client.unavailable);
 * try { (await client.verdict('d.test')).verdict } finally { await client.close(); }
 */
export async function startPostfixDaneClient(resolver: string, pf: { tlsPort: number; configDir: string }): Promise<PostfixDaneClient | { unavailable: string }> {
  const i = resolver.lastIndexOf(':');
  const upstream = { host: resolver.slice(0, i), port: Number(resolver.slice(i + 1)) };
  const relayHost = `127.${2 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 256)}.53`;
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, from) => {
    const out = dgram.createSocket('udp4');
    const timer = setTimeout(() => out.close(), 10_000);
    out.on('error', () => undefined);
    out.on('message', (answer) => {
      clearTimeout(timer);
      udp.send(answer, from.port, from.address);
      out.close();
    });
    out.send(msg, upstream.port, upstream.host);
  });
  const tcp = net.createServer((c) => {
    const u = net.connect(upstream.port, upstream.host);
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
    c.pipe(u).pipe(c);
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-dane-finger-'));
  const close = async (): Promise<void> => {
    await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(53, relayHost, () => resolve());
    });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(53, relayHost, () => resolve());
    });
  } catch (e) {
    await close();
    return { unavailable: `cannot listen on ${relayHost}:53 for posttls-finger's resolver: ${e instanceof Error ? e.message : String(e)}` };
  }
  const resolvConf = path.join(dir, 'resolv.conf');
  writeFileSync(resolvConf, `nameserver ${relayHost}\noptions trust-ad edns0\n`);
  const command = (domain: string, port = pf.tlsPort): FingerCommand => ({
    file: 'unshare',
    args: ['--mount', '--', 'sh', '-c', 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"', 'sh', resolvConf,
      '/usr/sbin/posttls-finger', '-c', '-l', 'dane', '-t', '10', '-T', '20', `${domain}:${port}`],
    env: { MAIL_CONFIG: pf.configDir },
  });
  const verdict = (domain: string, port?: number): Promise<{ verdict: SenderVerdict; output: string }> =>
    new Promise((resolve, reject) => {
      const cmd = command(domain, port);
      execFile(cmd.file, cmd.args, { env: { ...process.env, ...cmd.env }, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        const v = classifyFinger(output);
        if (v !== null) resolve({ verdict: v, output });
        else reject(new Error(`posttls-finger said something unexpected (${error?.message ?? 'exit 0'}):\n${output}`));
      });
    });
  return { relay: `${relayHost}:53`, command, verdict, close };
}
