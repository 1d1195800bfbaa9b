// Self-test of the SMTP fleet helper with a plain node:net / node:tls client (no mxprobe code).
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { makeTestPki, type TestPki } from './pki.ts';
import { startSmtpFleet, type SmtpFleet } from './smtp-fleet.ts';

let pki: TestPki;
let fleet: SmtpFleet;
const DELAY = 40;

before(async () => {
  pki = await makeTestPki();
  fleet = await startSmtpFleet({ count: 3, firstHost: 200, tls: pki.certs.wildcard, delayMs: DELAY });
});
after(() => fleet.close());

/** Reads one reply (through its 'ddd ' line) from a latin1 socket. */
function reader(sock: net.Socket): () => Promise<string[]> {
  let buf = '';
  let wake: (() => void) | null = null;
  const onData = (c: string) => {
    buf += c;
    wake?.();
  };
  sock.setEncoding('latin1');
  sock.on('data', onData);
  sock.on('close', () => wake?.());
  return async () => {
    for (;;) {
      const lines = buf.split('\r\n');
      const end = lines.findIndex((l) => /^\d{3}( |$)/.test(l));
      if (end >= 0) {
        buf = lines.slice(end + 1).join('\r\n');
        return lines.slice(0, end + 1);
      }
      if (sock.destroyed) throw new Error(`closed; buffered ${JSON.stringify(buf)}`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
}

/** The whole dialogue; returns the replies and the TLS protocol. */
async function dialogue(ip: string): Promise<{ replies: string[][]; protocol: string | null; ms: number }> {
  const t0 = performance.now();
  const raw = net.connect({ host: ip, port: fleet.port });
  raw.on('error', () => {});
  const read = reader(raw);
  const replies = [await read()];
  raw.write('EHLO client.test\r\n');
  replies.push(await read());
  raw.write('STARTTLS\r\n');
  replies.push(await read());
  raw.removeAllListeners('data');
  const t = tls.connect({ socket: raw, servername: 'mx0.test.example', ca: pki.rootPem });
  await new Promise<void>((resolve, reject) => {
    t.once('secureConnect', resolve);
    t.once('error', reject);
  });
  const readTls = reader(t);
  t.write('EHLO client.test\r\n');
  replies.push(await readTls());
  t.write('QUIT\r\n');
  replies.push(await readTls());
  const protocol = t.getProtocol();
  t.destroy();
  return { replies, protocol, ms: performance.now() - t0 };
}

test('every server listens on its own loopback address, all on one port, and speaks STARTTLS', async () => {
  assert.deepEqual(fleet.servers.map((s) => s.ip), ['127.0.0.200', '127.0.0.201', '127.0.0.202']);
  const r = await dialogue('127.0.0.201');
  assert.match(r.replies[0]?.[0] ?? '', /^220 fleet\.test ESMTP/);
  assert.ok(r.replies[1]?.includes('250-STARTTLS') || r.replies[1]?.includes('250 STARTTLS'), String(r.replies[1]));
  assert.equal(r.replies[2]?.[0], '220 2.0.0 Ready to start TLS');
  assert.ok(!(r.replies[3] ?? []).some((l) => l.includes('STARTTLS')), 'no STARTTLS after TLS');
  assert.equal(r.replies[4]?.[0], '221 2.0.0 Bye');
  assert.match(r.protocol ?? '', /^TLSv1\.[23]$/);
  assert.ok(r.ms >= 5 * DELAY - 5, `5 delayed replies took only ${r.ms} ms`);
  const s = fleet.byIp.get('127.0.0.201');
  assert.equal(s?.connections, 1);
  assert.equal(s?.tlsSessions, 1);
  assert.equal(fleet.byIp.get('127.0.0.200')?.connections, 0);
});

test('counts connections and the peak of simultaneous ones per address', async () => {
  await Promise.all([dialogue('127.0.0.202'), dialogue('127.0.0.202'), dialogue('127.0.0.202'), dialogue('127.0.0.200')]);
  assert.equal(fleet.byIp.get('127.0.0.202')?.connections, 3);
  assert.equal(fleet.byIp.get('127.0.0.202')?.peakConcurrent, 3);
  assert.equal(fleet.byIp.get('127.0.0.200')?.peakConcurrent, 1);
  assert.equal(fleet.maxPeakConcurrent(), 3);
  assert.equal(fleet.totalConnections(), 5);
});

test('refuses addresses outside 127.0.0.1–254', async () => {
  await assert.rejects(startSmtpFleet({ count: 10, firstHost: 250, tls: pki.certs.wildcard }), /do not fit/);
});

test('a silent address accepts, counts the connection and never sends a byte', async () => {
  const quiet = await startSmtpFleet({ count: 2, firstHost: 210, tls: pki.certs.wildcard, silent: ['127.0.0.211'] });
  try {
    const sock = net.connect(quiet.port, '127.0.0.211');
    let received = 0;
    sock.on('data', (c) => (received += c.length));
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.write('EHLO client.test\r\n');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(received, 0);
    assert.equal(quiet.byIp.get('127.0.0.211')?.connections, 1);
    assert.equal(quiet.byIp.get('127.0.0.211')?.current, 1);
    sock.destroy();
  } finally {
    await quiet.close();
  }
});
