// Self-test of the test helpers (pki.ts, fake-smtp.ts) with a plain node:net / node:tls client:
// no mxprobe code is involved, so a failure here is a helper bug, not a product bug.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { before, describe, test } from 'node:test';
import { startFakeSmtp } from './fake-smtp.ts';
import type { FakeSmtpOptions, FakeSmtpServer } from './fake-smtp.ts';
import { makeTestPki } from './pki.ts';
import type { TestPki } from './pki.ts';

const DAY_MS = 86_400_000;

/** Minimal SMTP client: collects raw chunks, reads multi-line replies, can hand its socket to TLS. */
class Client {
  chunks: string[] = [];
  private buf = '';
  private wake: (() => void) | null = null;
  closed = false;
  private readonly onData = (c: string): void => {
    this.chunks.push(c);
    this.buf += c;
    this.wake?.();
  };

  constructor(public sock: net.Socket) {
    sock.setEncoding('latin1');
    sock.on('data', this.onData);
    sock.on('error', () => {});
    sock.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static connect(server: FakeSmtpServer): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: server.host, port: server.port }, () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }

  /** Lines of one reply (up to the 'ddd ' line), or throws after timeoutMs / on close. */
  async reply(timeoutMs = 2000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.buf.split('\r\n');
      const end = lines.findIndex((l) => /^\d{3}( |$)/.test(l));
      if (end >= 0 && end < lines.length - 1) {
        this.buf = lines.slice(end + 1).join('\r\n');
        return lines.slice(0, end + 1);
      }
      if (this.closed) throw new Error(`closed; buffered ${JSON.stringify(this.buf)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout; buffered ${JSON.stringify(this.buf)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  async cmd(line: string): Promise<string[]> {
    this.sock.write(`${line}\r\n`);
    return this.reply();
  }

  /** STARTTLS upgrade of the same socket; resolves once the handshake is over (authorised or not). */
  upgrade(opts: tls.ConnectionOptions): Promise<tls.TLSSocket> {
    this.sock.removeListener('data', this.onData);
    return new Promise((resolve, reject) => {
      const t = tls.connect({ ...opts, socket: this.sock, rejectUnauthorized: false }, () => resolve(t));
      t.once('error', reject);
    });
  }

  waitClose(timeoutMs = 2000): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.sock.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }
}

async function withServer(opts: FakeSmtpOptions, fn: (s: FakeSmtpServer) => Promise<void>): Promise<void> {
  const s = await startFakeSmtp(opts);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});

describe('pki', () => {
  async function dates(pem: string): Promise<{ notBefore: number; notAfter: number }> {
    const out = await new Promise<string>((resolve, reject) => {
      const child = execFile('/usr/bin/openssl', ['x509', '-noout', '-dates'], (err, so) =>
        err ? reject(err) : resolve(so),
      );
      child.stdin?.end(pem);
    });
    const nb = /notBefore=(.+)/.exec(out)?.[1];
    const na = /notAfter=(.+)/.exec(out)?.[1];
    assert.ok(nb && na, out);
    return { notBefore: Date.parse(nb), notAfter: Date.parse(na) };
  }
  const near = (actual: number, days: number): void => {
    const want = pki.generatedAt.getTime() + days * DAY_MS;
    assert.ok(Math.abs(actual - want) <= DAY_MS, `${new Date(actual).toISOString()} vs ${new Date(want).toISOString()}`);
    assert.ok(Math.abs(Date.now() + days * DAY_MS - actual) <= DAY_MS);
  };

  test('validity dates as specified (openssl x509 -dates)', async () => {
    const exp = await dates(pki.certs.expired.leaf);
    near(exp.notBefore, -400);
    near(exp.notAfter, -5);
    const nyv = await dates(pki.certs.notYetValid.leaf);
    near(nyv.notBefore, 5);
    near(nyv.notAfter, 400);
    const soon = await dates(pki.certs.expiresSoon.leaf);
    near(soon.notBefore, -1);
    near(soon.notAfter, 10);
    const valid = await dates(pki.certs.valid.leaf);
    near(valid.notBefore, -1);
    near(valid.notAfter, 300);
  });

  test('key types and chain shapes', () => {
    const key = (name: keyof TestPki['certs']) => new X509Certificate(pki.certs[name].leaf).publicKey;
    assert.equal(key('ecdsa').asymmetricKeyType, 'ec');
    assert.equal(key('ecdsa').asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(key('ed25519').asymmetricKeyType, 'ed25519');
    assert.equal(key('rsa1024').asymmetricKeyDetails?.modulusLength, 1024);
    assert.equal(key('valid').asymmetricKeyDetails?.modulusLength, 2048);
    const count = (pem: string): number => pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
    for (const [name, c] of Object.entries(pki.certs)) {
      const leafOnly = name === 'selfSigned' || name === 'missingIntermediate';
      assert.equal(count(c.cert), leafOnly ? 1 : 2, name);
      assert.ok(c.cert.startsWith(c.leaf), name);
    }
    const inter = new X509Certificate(pki.intermediatePem);
    assert.ok(inter.checkIssued(new X509Certificate(pki.rootPem)));
    assert.ok(new X509Certificate(pki.certs.valid.leaf).checkIssued(inter));
    assert.equal(new X509Certificate(pki.certs.cnOnly.leaf).subjectAltName, undefined);
  });
});

describe('fake SMTP', () => {
  test('valid cert: EHLO, STARTTLS, authorised TLS, EHLO without STARTTLS, QUIT', async () => {
    await withServer({ tls: pki.certs.valid }, async (s) => {
      const c = await Client.connect(s);
      assert.deepEqual(await c.reply(), ['220 fake.test ESMTP ready']);
      const ehlo = await c.cmd('EHLO client.test');
      assert.equal(ehlo[0], '250-fake.test');
      assert.ok(ehlo.includes('250 STARTTLS'), ehlo.join('|'));
      assert.deepEqual(await c.cmd('STARTTLS'), ['220 2.0.0 Ready to start TLS']);
      const t = await c.upgrade({ servername: 'mx.test', ca: [pki.rootPem] });
      assert.equal(t.authorized, true, String(t.authorizationError));
      const tc = new Client(t);
      const ehlo2 = await tc.cmd('EHLO client.test');
      assert.equal(ehlo2[ehlo2.length - 1], '250 8BITMIME');
      assert.ok(!ehlo2.some((l) => l.includes('STARTTLS')));
      assert.deepEqual(await tc.cmd('QUIT'), ['221 2.0.0 Bye']);
      assert.ok(await tc.waitClose());
      assert.equal(s.connections, 1);
      assert.deepEqual(s.sessions, [
        {
          commands: ['EHLO client.test', 'STARTTLS', 'EHLO client.test', 'QUIT'],
          tls: true,
          tlsProtocol: 'TLSv1.3',
          sni: 'mx.test',
          tlsError: null,
        },
      ]);
    });
  });

  test('every certificate through Node\'s client (servername mx.test, ca = root)', async () => {
    // authorizationError as Node 20 reports it; null = authorised
    const expected: Record<keyof TestPki['certs'], string | null> = {
      valid: null,
      expiresSoon: null,
      expired: 'CERT_HAS_EXPIRED',
      notYetValid: 'CERT_NOT_YET_VALID',
      wrongName: 'ERR_TLS_CERT_ALTNAME_INVALID',
      wildcard: 'ERR_TLS_CERT_ALTNAME_INVALID',
      cnOnly: null, // Node falls back to the CN when there is no SAN
      selfSigned: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      missingIntermediate: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      ecdsa: null,
      ed25519: null,
      rsa1024: null,
      sha1: 'UNSPECIFIED',
      untrustedRoot: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    };
    for (const name of Object.keys(expected) as Array<keyof TestPki['certs']>) {
      await withServer({ tls: pki.certs[name] }, async (s) => {
        const c = await Client.connect(s);
        await c.reply();
        await c.cmd('STARTTLS');
        const t = await c.upgrade({ servername: 'mx.test', ca: [pki.rootPem] });
        assert.equal(t.authorizationError ?? null, expected[name], name);
        assert.equal(t.authorized, expected[name] === null, name);
        assert.equal((await new Client(t).cmd('NOOP'))[0], '250 2.0.0 OK', name);
        assert.equal(s.sessions[0]?.tls, true, name);
        t.destroy();
      });
    }
  });

  test('server-side handshake failure is recorded, not thrown', async () => {
    await withServer({ tls: { ...pki.certs.valid, minVersion: 'TLSv1.3' } }, async (s) => {
      const c = await Client.connect(s);
      await c.reply();
      await c.cmd('STARTTLS');
      await assert.rejects(c.upgrade({ servername: 'mx.test', maxVersion: 'TLSv1.2' }), /protocol version/);
      await sleep(20);
      assert.equal(s.sessions[0]?.tls, false);
      assert.match(s.sessions[0]?.tlsError ?? '', /unsupported protocol/);
    });
  });

  test('injectAfterStarttls arrives in the same chunk as the 220', async () => {
    await withServer({ tls: pki.certs.valid, injectAfterStarttls: '250 injected\r\n' }, async (s) => {
      const c = await Client.connect(s);
      await c.reply();
      await c.cmd('EHLO client.test');
      const before = c.chunks.length;
      assert.deepEqual(await c.cmd('STARTTLS'), ['220 2.0.0 Ready to start TLS']);
      const got = c.chunks.slice(before);
      assert.equal(got.length, 1, JSON.stringify(got));
      assert.equal(got[0], '220 2.0.0 Ready to start TLS\r\n250 injected\r\n');
    });
  });

  test('pipelined plaintext after STARTTLS is recorded but not answered', async () => {
    await withServer({ tls: pki.certs.valid }, async (s) => {
      const c = await Client.connect(s);
      await c.reply();
      c.sock.write('STARTTLS\r\nMAIL FROM:<a@b>\r\n');
      assert.deepEqual(await c.reply(), ['220 2.0.0 Ready to start TLS']);
      const t = await c.upgrade({ servername: 'mx.test', ca: [pki.rootPem] });
      assert.equal(t.authorized, true);
      const tc = new Client(t);
      assert.equal((await tc.cmd('NOOP'))[0], '250 2.0.0 OK');
      assert.deepEqual(s.sessions[0]?.commands, ['STARTTLS', 'MAIL FROM:<a@b>', 'NOOP']);
      t.destroy();
    });
  });

  test('silent sends nothing within 300 ms', async () => {
    await withServer({ behaviour: 'silent' }, async (s) => {
      const c = await Client.connect(s);
      c.sock.write('EHLO client.test\r\n');
      await sleep(300);
      assert.deepEqual(c.chunks, []);
      assert.deepEqual(s.sessions[0]?.commands, ['EHLO client.test']);
    });
  });

  test('close() resolves quickly with a client still connected', async () => {
    const s = await startFakeSmtp({ tls: pki.certs.valid, behaviour: 'trickle' });
    const c = await Client.connect(s);
    const c2 = await Client.connect(s);
    await sleep(50);
    assert.equal(s.peakConcurrent, 2);
    const t0 = Date.now();
    await s.close();
    assert.ok(Date.now() - t0 < 200, `close took ${Date.now() - t0} ms`);
    assert.ok(await c.waitClose(500));
    assert.ok(await c2.waitClose(500));
    await s.close(); // idempotent
  });

  test('overrides: EHLO reply, STARTTLS refusal, no tls → 454, IPv6 loopback', async () => {
    await withServer(
      { host: '::1', tls: pki.certs.valid, replies: { EHLO: ['530 5.7.0 Must issue a STARTTLS command first'] } },
      async (s) => {
        assert.equal(s.host, '::1');
        const c = await Client.connect(s);
        await c.reply();
        assert.deepEqual(await c.cmd('EHLO x'), ['530 5.7.0 Must issue a STARTTLS command first']);
        assert.deepEqual(await c.cmd('MAIL FROM:<a@b>'), ['502 5.5.1 not in this test server']);
        assert.deepEqual(await c.cmd('FOO'), ['500 5.5.2 unknown']);
      },
    );
    await withServer({}, async (s) => {
      const c = await Client.connect(s);
      await c.reply();
      assert.ok(!(await c.cmd('EHLO x')).some((l) => l.includes('STARTTLS')));
      assert.deepEqual(await c.cmd('STARTTLS'), ['454 4.7.0 TLS not available']);
    });
  });

  test('hostile behaviours', async () => {
    await withServer({ behaviour: 'close-after-banner', banner: ['220-a', '220 b'] }, async (s) => {
      const c = await Client.connect(s);
      assert.deepEqual(await c.reply(), ['220-a', '220 b']);
      assert.ok(await c.waitClose());
    });
    await withServer({ behaviour: 'close-after-starttls' }, async (s) => {
      const c = await Client.connect(s);
      await c.reply();
      assert.ok((await c.cmd('EHLO x')).includes('250 STARTTLS'));
      assert.deepEqual(await c.cmd('STARTTLS'), ['220 2.0.0 Ready to start TLS']);
      assert.ok(await c.waitClose());
    });
    await withServer({ behaviour: 'garbage-instead-of-tls' }, async (s) => {
      const c = await Client.connect(s);
      await c.reply();
      await c.cmd('STARTTLS');
      await assert.rejects(c.upgrade({ servername: 'mx.test', ca: [pki.rootPem] }));
    });
    await withServer({ behaviour: 'trickle' }, async (s) => {
      const c = await Client.connect(s);
      await sleep(500);
      const got = c.chunks.join('');
      assert.ok(got.length >= 2 && got.length <= 4 && !got.includes('\n'), JSON.stringify(got));
    });
    for (const behaviour of ['flood', 'flood-lines'] as const) {
      await withServer({ behaviour }, async (s) => {
        const c = await Client.connect(s);
        await sleep(100);
        const got = c.chunks.join('');
        assert.ok(got.length > 1_000_000, `${behaviour}: ${got.length}`);
        if (behaviour === 'flood') assert.ok(!got.includes('\n'));
        else assert.ok(got.startsWith('220-xxxxxxxx\r\n220-xxxxxxxx\r\n') && !got.includes('220 '));
        c.sock.pause(); // backpressure: the fake must stop writing, not buffer 64 MiB
        await sleep(50);
      });
    }
  });

  test('replyDelayMs delays the banner', async () => {
    await withServer({ replyDelayMs: 150 }, async (s) => {
      const t0 = Date.now();
      const c = await Client.connect(s);
      await c.reply();
      assert.ok(Date.now() - t0 >= 140);
    });
  });
});
