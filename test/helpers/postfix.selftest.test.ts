// Self-test of the private Postfix harness, using a tiny raw SMTP client (node:net + node:tls), not mxprobe code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { startPostfix } from './postfix.ts';

const IO_TIMEOUT_MS = 5000;

interface Reply {
  code: number;
  lines: string[]; // text after "NNN-" / "NNN "
}

/** Minimal SMTP reply reader over a (possibly upgraded) socket. */
class SmtpConn {
  private buf = '';
  private waiters: Array<() => void> = [];
  private failure: Error | null = null;
  private readonly onData = (chunk: Buffer): void => {
    this.buf += chunk.toString('latin1');
    this.wake();
  };
  private readonly onEnd = (): void => this.fail(new Error('connection closed by server'));
  private readonly onError = (e: Error): void => this.fail(e);

  constructor(public socket: net.Socket) {
    this.attach(socket);
  }

  private attach(s: net.Socket): void {
    s.on('data', this.onData);
    s.on('end', this.onEnd);
    s.on('error', this.onError);
  }

  private detach(s: net.Socket): void {
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('error', this.onError);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  private takeReply(): Reply | null {
    const lines: string[] = [];
    let pos = 0;
    for (;;) {
      const nl = this.buf.indexOf('\r\n', pos);
      if (nl < 0) return null;
      const line = this.buf.slice(pos, nl);
      pos = nl + 2;
      const m = /^(\d{3})([ -])(.*)$/.exec(line);
      if (!m) throw new Error(`malformed SMTP line: ${JSON.stringify(line)}`);
      lines.push(m[3] ?? '');
      if (m[2] === ' ') {
        this.buf = this.buf.slice(pos);
        return { code: Number(m[1]), lines };
      }
    }
  }

  async read(): Promise<Reply> {
    const deadline = Date.now() + IO_TIMEOUT_MS;
    for (;;) {
      const r = this.takeReply();
      if (r) return r;
      if (this.failure) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for SMTP reply (buffer: ${JSON.stringify(this.buf)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async cmd(line: string): Promise<Reply> {
    this.socket.write(line + '\r\n');
    return this.read();
  }

  /** Upgrades to TLS after a 220 reply to STARTTLS. */
  async startTls(opts: tls.ConnectionOptions): Promise<tls.TLSSocket> {
    assert.equal(this.buf, '', 'no pipelined data may precede the TLS handshake');
    this.detach(this.socket);
    const plain = this.socket;
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('TLS handshake timeout')), IO_TIMEOUT_MS);
      const s = tls.connect({ ...opts, socket: plain }, () => {
        clearTimeout(timer);
        s.off('error', onErr);
        resolve(s);
      });
      const onErr = (e: Error): void => {
        clearTimeout(timer);
        reject(e);
      };
      s.once('error', onErr);
    });
    this.socket = secure;
    this.attach(secure);
    return secure;
  }

  close(): void {
    this.detach(this.socket);
    this.socket.on('error', () => {});
    this.socket.destroy();
  }
}

function connect(host: string, port: number): Promise<SmtpConn> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect timeout ${host}:${port}`));
    }, IO_TIMEOUT_MS);
    s.once('connect', () => {
      clearTimeout(timer);
      s.off('error', onErr);
      resolve(new SmtpConn(s));
    });
    const onErr = (e: Error): void => {
      clearTimeout(timer);
      reject(e);
    };
    s.once('error', onErr);
  });
}

function portClosed(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 2000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code === 'ECONNREFUSED');
    });
  });
}

function selfSignedCert(name: string): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-pfx-cert-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`],
      { stdio: 'pipe' },
    );
    return { certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ehloHasStartTls = (r: Reply): boolean => r.lines.slice(1).some((l) => l.trim().toUpperCase() === 'STARTTLS');

test('private Postfix instance: STARTTLS listener, plain listener, clean stop', { timeout: 20_000 }, async (t) => {
  const unavailable = (reason: string): void => {
    if (process.env['CI'] === 'true') assert.fail(`Postfix harness unavailable in CI: ${reason}`);
    t.skip(reason);
  };

  let material: { certPem: string; keyPem: string };
  try {
    material = selfSignedCert('mx.test');
  } catch (e) {
    unavailable(`openssl CLI failed: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  const expectedFp = new X509Certificate(material.certPem).fingerprint256;

  const t0 = Date.now();
  const started = await startPostfix({ ...material, myhostname: 'mx.test' });
  if (!started.ok) {
    unavailable(started.reason);
    return;
  }
  const pf = started.instance;
  t.diagnostic(`postfix ready in ${Date.now() - t0} ms on ${pf.host} tls=${pf.tlsPort} plain=${pf.plainPort}`);
  assert.equal(pf.myhostname, 'mx.test');
  assert.notEqual(pf.tlsPort, pf.plainPort);

  try {
    await t.test('tlsPort: greeting, STARTTLS, handshake with the given certificate', async () => {
      const c = await connect(pf.host, pf.tlsPort);
      try {
        const greet = await c.read();
        assert.equal(greet.code, 220);
        assert.match(greet.lines[0] ?? '', /^mx\.test\b/);

        const ehlo = await c.cmd('EHLO client.test');
        assert.equal(ehlo.code, 250);
        assert.ok(ehloHasStartTls(ehlo), `STARTTLS advertised: ${ehlo.lines.join(' | ')}`);

        const st = await c.cmd('STARTTLS');
        assert.equal(st.code, 220);

        const secure = await c.startTls({
          servername: 'mx.test',
          ca: [material.certPem],
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
        });
        assert.ok(secure.authorized, `authorized: ${String(secure.authorizationError)}`);
        assert.ok(['TLSv1.2', 'TLSv1.3'].includes(secure.getProtocol() ?? ''), `protocol ${secure.getProtocol()}`);
        assert.equal(secure.getPeerCertificate().fingerprint256, expectedFp);

        const ehlo2 = await c.cmd('EHLO client.test');
        assert.equal(ehlo2.code, 250);
        assert.ok(!ehloHasStartTls(ehlo2), 'STARTTLS not re-advertised inside TLS');

        const quit = await c.cmd('QUIT');
        assert.equal(quit.code, 221);
      } finally {
        c.close();
      }
    });

    await t.test('plainPort: no STARTTLS advertised', async () => {
      const c = await connect(pf.host, pf.plainPort);
      try {
        const greet = await c.read();
        assert.equal(greet.code, 220);
        assert.match(greet.lines[0] ?? '', /^mx\.test\b/);
        const ehlo = await c.cmd('EHLO client.test');
        assert.equal(ehlo.code, 250);
        assert.ok(!ehloHasStartTls(ehlo), `STARTTLS must not be advertised: ${ehlo.lines.join(' | ')}`);
        const st = await c.cmd('STARTTLS');
        assert.ok(st.code >= 500, `STARTTLS refused, got ${st.code}`);
        const quit = await c.cmd('QUIT');
        assert.equal(quit.code, 221);
      } finally {
        c.close();
      }
    });

    await t.test('never accepts mail', async () => {
      const c = await connect(pf.host, pf.plainPort);
      try {
        assert.equal((await c.read()).code, 220);
        assert.equal((await c.cmd('EHLO client.test')).code, 250);
        assert.equal((await c.cmd('MAIL FROM:<a@client.test>')).code, 250);
        const rcpt = await c.cmd('RCPT TO:<b@example.org>');
        assert.ok(rcpt.code >= 500, `RCPT rejected, got ${rcpt.code}`);
        assert.equal((await c.cmd('QUIT')).code, 221);
      } finally {
        c.close();
      }
    });
  } finally {
    const ts = Date.now();
    await pf.stop();
    t.diagnostic(`postfix stopped in ${Date.now() - ts} ms`);
  }

  await pf.stop(); // idempotent
  assert.ok(await portClosed(pf.host, pf.tlsPort), 'tlsPort closed after stop');
  assert.ok(await portClosed(pf.host, pf.plainPort), 'plainPort closed after stop');
  assert.ok(!existsSync(pf.configDir), 'temp dir removed');
});
