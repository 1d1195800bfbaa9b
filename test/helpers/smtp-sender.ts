// A scripted SMTP sender for mxprobe receive's tests: a Node client that behaves as a sending
// gateway of one policy of the partner TLS FAQs ((a) plain, (b) TLS if offered, (c) TLS
// required, (d) TLS required with the name verified), from a chosen loopback source address,
// one delivery attempt per call. Also the raw line client the hostile tests use. Test helper only.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

/** A line-based SMTP client over a socket that can be upgraded to TLS. */
export class LineClient {
  private buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;
  constructor(public socket: net.Socket) {
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The next whole reply (multi-line joined), or null when the connection closed first. */
  async reply(timeoutMs = 10_000): Promise<{ code: number; lines: string[] } | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines: string[] = [];
      let pos = 0;
      for (;;) {
        const lf = this.buffer.indexOf('\n', pos);
        if (lf < 0) break;
        const line = this.buffer.slice(pos, lf).replace(/\r$/, '');
        pos = lf + 1;
        lines.push(line);
        if (line[3] !== '-') {
          this.buffer = this.buffer.slice(pos);
          return { code: Number(line.slice(0, 3)), lines };
        }
      }
      if (this.closed || Date.now() > deadline) return null;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  send(line: string): void {
    if (!this.socket.destroyed) this.socket.write(`${line}\r\n`);
  }

  async command(line: string): Promise<number | null> {
    this.send(line);
    return (await this.reply())?.code ?? null;
  }

  /** STARTTLS then the handshake; resolves with the TLS socket or the handshake error. */
  async upgrade(options: tls.ConnectionOptions): Promise<{ socket: tls.TLSSocket | null; error: Error | null }> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    return new Promise((resolve) => {
      const secure = tls.connect({ ...options, socket: raw });
      secure.once('secureConnect', () => {
        this.socket = secure;
        this.buffer = '';
        this.attach(secure);
        resolve({ socket: secure, error: null });
      });
      secure.once('error', (error) => resolve({ socket: null, error }));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connects from `localAddress` (a loopback address: 127.0.0.2, …). */
export function connect(port: number, localAddress = '127.0.0.1'): Promise<LineClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(new LineClient(socket)));
    socket.once('error', reject);
  });
}

/** (d) refuses a certificate in the handshake (an alert, as Node and Exim do); 'd-quit' completes it, then leaves (as Postfix does). */
export type Policy = 'a' | 'b' | 'c' | 'd' | 'd-quit';

/** What one delivery attempt came to: the reply to the end of DATA, or 'deferred' (left without sending). */
export type Attempt = { result: number } | { result: 'deferred'; why: string };

export const MESSAGE = [
  'Received: from inner.partner.test (inner.partner.test [192.0.2.10]) by out.partner.test (Postfix) with ESMTPS id 1 for <to@bank.test>; Wed, 2 Dec 2026 12:00:00 +0000',
  'From: <from@partner.test>',
  'To: <to@bank.test>',
  'Subject: test',
  '',
  'Hello.',
  '.leading dot',
].join('\r\n');

/**
 * One delivery attempt as a sender of `policy` would make it. `ca` is what (d) trusts and
 * `name` the host name it checks.
 */
export async function attempt(port: number, localAddress: string, policy: Policy, ca: string, name = 'mx.test'): Promise<Attempt> {
  const c = await connect(port, localAddress);
  try {
    const greeting = await c.reply();
    if (greeting?.code !== 220) return { result: 'deferred', why: `greeting ${greeting?.code}` };
    c.send('EHLO sender.partner.test');
    const ehlo = await c.reply();
    const starttls = ehlo?.lines.some((l) => l.slice(4).toUpperCase() === 'STARTTLS') === true;
    if (policy !== 'a' && starttls) {
      if ((await c.command('STARTTLS')) !== 220) return { result: 'deferred', why: 'STARTTLS refused' };
      const verify = policy === 'd' || policy === 'd-quit';
      const up = await c.upgrade({ servername: name, rejectUnauthorized: policy === 'd', ...(verify ? { ca: [ca] } : {}) });
      if (up.socket === null) return { result: 'deferred', why: `handshake: ${up.error?.message}` };
      if (policy === 'd-quit' && (!up.socket.authorized || tls.checkServerIdentity(name, up.socket.getPeerCertificate()) !== undefined)) {
        await c.command('QUIT');
        return { result: 'deferred', why: 'certificate not verified' };
      }
      await c.command('EHLO sender.partner.test');
    } else if (policy === 'c' || policy === 'd' || policy === 'd-quit') {
      await c.command('QUIT');
      return { result: 'deferred', why: 'no STARTTLS' };
    }
    if ((await c.command('MAIL FROM:<from@partner.test>')) !== 250) return { result: 'deferred', why: 'MAIL' };
    if ((await c.command('RCPT TO:<to@bank.test>')) !== 250) return { result: 'deferred', why: 'RCPT' };
    if ((await c.command('DATA')) !== 354) return { result: 'deferred', why: 'DATA' };
    c.send(`${MESSAGE.split('\r\n').map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n')}\r\n.`);
    const end = await c.reply();
    await c.command('QUIT');
    return end === null ? { result: 'deferred', why: 'no reply to DATA' } : { result: end.code };
  } finally {
    c.close();
  }
}

/** Retries as an MTA would until a 5xx or a 2xx (at most `tries` attempts). */
export async function deliverUntilFinal(port: number, localAddress: string, policy: Policy, ca: string, tries = 5): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  for (let i = 0; i < tries; i += 1) {
    const a = await attempt(port, localAddress, policy, ca);
    attempts.push(a);
    if (a.result !== 'deferred' && a.result !== 451) break;
  }
  return attempts;
}

/** A self-signed certificate and key naming `name` (openssl), in a temp dir. */
export function selfSigned(name = 'mx.test'): { certFile: string; keyFile: string; cert: string; key: string; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'mxprobe-receive-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '30', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`], { stdio: 'ignore' });
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), dir };
}
