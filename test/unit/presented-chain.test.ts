// The chain as presented (presented-chain.ts) read from the bytes recorded by socket-tap.ts, over
// real STARTTLS handshakes with the fake SMTP server on loopback, compared with the PEMs the server
// was configured with; plus synthetic flights, truncation and a never-throws fuzz.
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { before, describe, test } from 'node:test';
import { presentedCertificates } from '../../src/tls/presented-chain.ts';
import { tapSocket } from '../../src/tls/socket-tap.ts';
import { startFakeSmtp } from '../helpers/fake-smtp.ts';
import type { FakeSmtpOptions, FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { makeTestPki } from '../helpers/pki.ts';
import type { TestPki } from '../helpers/pki.ts';
import { certificate12, hsMsg, record, records, serverHello12, SUITES, tls13Flight, type SynthSuite } from '../helpers/tls-flights.ts';

const MAX_RECORDED = 256 * 1024;

/** The DER certificates of a PEM bundle, in file order. */
function ders(pem: string): Buffer[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)].map(
    (m) => new X509Certificate(m[0]).raw,
  );
}

interface Handshake {
  bytes: Buffer; // the server's bytes, as recorded by the tap
  keylog: Buffer[];
  protocol: string | null;
  cipher: string;
  rebuilt: Buffer[]; // getPeerCertificate(true), issuer links followed
  postTlsEhlo: string; // the EHLO reply over TLS: the tap also carries application data
  truncated: boolean;
}

/** Reads one SMTP reply (up to its 'ddd ' line) from a binary socket. */
function readReply(sock: net.Socket, state: { buf: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const m = /(^|\r\n)\d{3} [^\r\n]*\r\n/.exec(state.buf);
      if (m === null) return false;
      const end = m.index + m[0].length;
      const reply = state.buf.slice(0, end);
      state.buf = state.buf.slice(end);
      sock.off('data', onData);
      sock.off('close', onClose);
      resolve(reply);
      return true;
    };
    const onData = (chunk: Buffer): void => {
      state.buf += chunk.toString('latin1');
      check();
    };
    const onClose = (): void => reject(new Error(`closed while reading a reply; buffered ${JSON.stringify(state.buf)}`));
    if (check()) return;
    sock.on('data', onData);
    sock.once('close', onClose);
  });
}

/** A STARTTLS client in the shape of mxprobe's: plaintext SMTP, socket paused and bare, then TLS over the tap. */
async function starttls(
  host: string,
  port: number,
  opts: { ciphers?: string; minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion; maxBytes?: number } = {},
): Promise<Handshake> {
  const sock = net.connect({ host, port });
  sock.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const state = { buf: '' };
  assert.match(await readReply(sock, state), /^220 /m);
  sock.write('EHLO client.test\r\n');
  assert.match(await readReply(sock, state), /STARTTLS/);
  sock.write('STARTTLS\r\n');
  assert.match(await readReply(sock, state), /^220 /m);
  sock.pause(); // as SmtpConnection.detach(): paused, no listeners of ours left
  await new Promise((r) => setImmediate(r));

  const tap = tapSocket(sock, opts.maxBytes ?? MAX_RECORDED);
  const keylog: Buffer[] = [];
  const secure = tls.connect({
    socket: tap.stream,
    servername: 'mx.test',
    ca: [pki.rootPem],
    rejectUnauthorized: false,
    ...(opts.ciphers !== undefined ? { ciphers: opts.ciphers } : {}),
    ...(opts.minVersion !== undefined ? { minVersion: opts.minVersion } : {}),
    ...(opts.maxVersion !== undefined ? { maxVersion: opts.maxVersion } : {}),
  });
  secure.on('keylog', (line: Buffer) => keylog.push(line));
  try {
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    const rebuilt: Buffer[] = [];
    const seen = new Set<string>();
    for (let c: tls.DetailedPeerCertificate | undefined = secure.getPeerCertificate(true); c?.raw; c = c.issuerCertificate) {
      if (seen.has(c.fingerprint256)) break; // the root points to itself
      seen.add(c.fingerprint256);
      rebuilt.push(c.raw);
    }
    const protocol = secure.getProtocol();
    const cipher = secure.getCipher().standardName;
    const tlsState = { buf: '' };
    secure.write('EHLO client.test\r\n');
    const postTlsEhlo = await readReply(secure, tlsState);
    // QUIT: the server's close_notify and FIN must come through the tap as 'end', then 'close',
    // and the client's own shutdown must reach and close the net.Socket.
    const ended = new Promise<void>((r) => secure.once('end', r));
    const closed = new Promise<void>((r) => secure.once('close', r));
    secure.write('QUIT\r\n');
    assert.match(await readReply(secure, tlsState), /^221 /m);
    await ended;
    await closed;
    if (!sock.destroyed) await new Promise((r) => sock.once('close', r));
    return { bytes: tap.received(), keylog, protocol, cipher, rebuilt, postTlsEhlo, truncated: tap.truncated() };
  } finally {
    secure.destroy();
  }
}

async function withSmtp<T>(opts: FakeSmtpOptions, fn: (s: FakeSmtpServer) => Promise<T>): Promise<T> {
  const s = await startFakeSmtp(opts);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

function expectChain(h: Handshake, expected: Buffer[]): void {
  const result = presentedCertificates(h.bytes, h.keylog, h.cipher);
  assert.ok('certificates' in result, 'error' in result ? result.error : '');
  assert.equal(result.certificates.length, expected.length);
  result.certificates.forEach((der, i) => assert.ok(der.equals(expected[i] ?? Buffer.alloc(0)), `certificate ${i}`));
}

let pki: TestPki;
const transcripts: Handshake[] = []; // real ones, reused by the fuzz
before(async () => {
  pki = await makeTestPki();
});

describe('presentedCertificates over real STARTTLS handshakes (tap)', () => {
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    const maxVersion = version;
    test(`${version}: valid (leaf + intermediate)`, async () => {
      const h = await withSmtp({ tls: { ...pki.certs.valid, maxVersion } }, (s) => starttls(s.host, s.port));
      assert.equal(h.protocol, version);
      assert.match(h.postTlsEhlo, /^250 /m);
      expectChain(h, ders(pki.certs.valid.cert));
      assert.equal(ders(pki.certs.valid.cert).length, 2);
      transcripts.push(h);
    });

    test(`${version}: missingIntermediate (leaf only)`, async () => {
      const h = await withSmtp({ tls: { ...pki.certs.missingIntermediate, maxVersion } }, (s) => starttls(s.host, s.port));
      assert.equal(h.protocol, version);
      expectChain(h, ders(pki.certs.missingIntermediate.leaf));
    });

    test(`${version}: out-of-order chain with an unrelated certificate, unlike Node's rebuilt chain`, async () => {
      const cert = pki.certs.missingIntermediate.leaf + pki.untrustedRootPem + pki.intermediatePem;
      const h = await withSmtp({ tls: { key: pki.certs.missingIntermediate.key, cert, maxVersion } }, (s) =>
        starttls(s.host, s.port),
      );
      assert.equal(h.protocol, version);
      const sent = ders(cert);
      expectChain(h, sent);
      // Node: leaf, intermediate, root from `ca`; the unrelated root is gone and the order differs.
      const [leaf, unrelated, inter] = sent;
      assert.ok(leaf && unrelated && inter);
      assert.deepEqual(h.rebuilt.map((d) => d.toString('hex')), [leaf, inter, ders(pki.rootPem)[0]].map((d) => d?.toString('hex')));
      transcripts.push(h);
    });

    test(`${version}: ECDSA leaf`, async () => {
      const h = await withSmtp({ tls: { ...pki.certs.ecdsa, maxVersion } }, (s) => starttls(s.host, s.port));
      assert.equal(h.protocol, version);
      expectChain(h, ders(pki.certs.ecdsa.cert));
      transcripts.push(h);
    });
  }

  for (const version of ['TLSv1', 'TLSv1.1'] as const) {
    test(`${version}: valid (same Certificate format as TLS 1.2)`, async () => {
      const legacy = { minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' };
      const h = await withSmtp({ tls: { ...pki.certs.valid, ...legacy } }, (s) => starttls(s.host, s.port, legacy));
      assert.equal(h.protocol, version);
      expectChain(h, ders(pki.certs.valid.cert));
      transcripts.push(h);
    });
  }

  for (const suite of [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'TLS_AES_128_CCM_SHA256',
    'TLS_AES_128_CCM_8_SHA256',
  ]) {
    test(`TLSv1.3 ${suite}`, async () => {
      // The CCM suites are not in OpenSSL's default client list: offer them explicitly.
      const ciphers = suite.includes('CCM') ? suite : undefined;
      const h = await withSmtp({ tls: { ...pki.certs.valid, ciphers: suite } }, (s) =>
        starttls(s.host, s.port, ciphers !== undefined ? { ciphers } : {}),
      );
      assert.equal(h.protocol, 'TLSv1.3');
      assert.equal(h.cipher, suite);
      expectChain(h, ders(pki.certs.valid.cert));
      transcripts.push(h);
    });
  }

  test('TLSv1.3 after a HelloRetryRequest (server accepts P-256 only)', async () => {
    const server = await miniStarttlsServer({ ...pki.certs.valid, ecdhCurve: 'P-256' });
    try {
      const h = await starttls('127.0.0.1', server.port);
      assert.equal(h.protocol, 'TLSv1.3');
      const first = h.bytes.subarray(0, 200);
      assert.ok(first.includes(Buffer.from('cf21ad74e59a6111', 'hex')), 'a HelloRetryRequest was sent');
      expectChain(h, ders(pki.certs.valid.cert));
      transcripts.push(h);
    } finally {
      await server.close();
    }
  });

  test('a tap limit below the handshake size: flagged, TLS unaffected, chain unreadable', async () => {
    const h = await withSmtp({ tls: pki.certs.valid }, (s) => starttls(s.host, s.port, { maxBytes: 300 }));
    assert.equal(h.truncated, true);
    assert.equal(h.bytes.length, 300);
    assert.match(h.postTlsEhlo, /^250 /m);
    const r = presentedCertificates(h.bytes, h.keylog, h.cipher);
    assert.ok('error' in r && /truncated|no complete Certificate/.test(r.error), JSON.stringify(r));
  });

  test('wrong inputs: another session key, wrong suite name, no key log, truncation', () => {
    const h13 = transcripts.find((t) => t.protocol === 'TLSv1.3' && t.cipher === 'TLS_AES_256_GCM_SHA384');
    const other = transcripts.find((t) => t.protocol === 'TLSv1.3' && t !== h13 && t.cipher === h13?.cipher);
    assert.ok(h13 && other);
    const e = (r: ReturnType<typeof presentedCertificates>): string => ('error' in r ? r.error : 'no error');
    assert.match(e(presentedCertificates(h13.bytes, other.keylog, h13.cipher)), /does not decrypt/);
    assert.match(e(presentedCertificates(h13.bytes, [], h13.cipher)), /key log/);
    assert.match(e(presentedCertificates(h13.bytes, h13.keylog, 'TLS_AES_128_GCM_SHA256')), /session reports/);
    // Several secrets: the one that decrypts wins, wherever it is.
    assert.ok('certificates' in presentedCertificates(h13.bytes, [...h13.keylog, ...other.keylog], h13.cipher));
    assert.ok('certificates' in presentedCertificates(h13.bytes, h13.keylog.map((b) => b.toString()), h13.cipher));
    // Every prefix shorter than the end of the Certificate record fails cleanly; that one succeeds.
    const parses = (n: number): boolean => 'certificates' in presentedCertificates(h13.bytes.subarray(0, n), h13.keylog, h13.cipher);
    let enough = h13.bytes.length;
    while (enough > 0 && parses(enough - 1)) enough--;
    assert.ok(enough > 1000 && parses(enough));
    for (let cut = 0; cut < enough; cut += 1 + (cut % 97)) assert.equal(parses(cut), false, `cut at ${cut}`);
    assert.match(e(presentedCertificates(Buffer.from('220 mx.test ESMTP\r\n'), [], '')), /not a TLS record/);
  });
});

describe('presentedCertificates on synthetic flights', () => {
  const certs = [randomBytes(700), randomBytes(1200), randomBytes(40)];

  test('TLS 1.2: one-byte records, several messages per record, HelloRequest ignored', () => {
    const hs = Buffer.concat([hsMsg(2, serverHello12()), hsMsg(11, certificate12(certs)), hsMsg(14, Buffer.alloc(0))]);
    for (const size of [1, 7, 4096]) {
      const bytes = Buffer.concat([record(22, hsMsg(0, Buffer.alloc(0))), records(22, hs, size)]);
      const r = presentedCertificates(bytes, [], '');
      assert.ok('certificates' in r, JSON.stringify(r));
      assert.deepEqual(r.certificates, certs);
    }
  });

  test('TLS 1.2 without a Certificate (resumption, anonymous)', () => {
    const resumed = Buffer.concat([record(22, hsMsg(2, serverHello12())), record(20, Buffer.from([1]))]);
    assert.match(errorOf(presentedCertificates(resumed, [], '')), /resumed/);
    const anon = record(22, Buffer.concat([hsMsg(2, serverHello12()), hsMsg(12, Buffer.alloc(10))]));
    assert.match(errorOf(presentedCertificates(anon, [], '')), /ServerKeyExchange/);
    const alert = Buffer.concat([record(22, hsMsg(2, serverHello12())), record(21, Buffer.from([2, 40]))]);
    assert.match(errorOf(presentedCertificates(alert, [], '')), /handshake_failure/);
  });

  for (const suite of SUITES) {
    test(`TLS 1.3 ${suite.name}: padding, split messages, CCS, request context`, () => {
      const flight = tls13Flight(suite, certs, { split: 333, padding: 17 });
      const r = presentedCertificates(flight.bytes, [flight.keylog], suite.name);
      assert.ok('certificates' in r, JSON.stringify(r));
      assert.deepEqual(r.certificates, certs);
    });
  }

  test('TLS 1.3: no Certificate (PSK) and CompressedCertificate are reported', () => {
    const suite = SUITES[0] as SynthSuite;
    const psk = tls13Flight(suite, certs, { replaceCertificate: hsMsg(20, Buffer.alloc(32)) });
    assert.match(errorOf(presentedCertificates(psk.bytes, [psk.keylog], suite.name)), /PSK/);
    const cc = tls13Flight(suite, certs, { replaceCertificate: hsMsg(25, Buffer.alloc(32)) });
    assert.match(errorOf(presentedCertificates(cc.bytes, [cc.keylog], suite.name)), /CompressedCertificate/);
  });

  test('never throws on random and mutated input, and never hits an unchecked path', () => {
    const real = transcripts.filter((t) => t.bytes.length > 0);
    assert.ok(real.length >= 4);
    const suite = SUITES[0] as SynthSuite;
    let seed = 0x2545f491;
    const rnd = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const mutate = (b: Buffer): Buffer => {
      const out = Buffer.from(b);
      const flips = 1 + rnd(4);
      for (let i = 0; i < flips && out.length > 0; i++) {
        const at = rnd(Math.min(out.length, rnd(2) === 0 ? 120 : out.length));
        out[at] = rnd(4) === 0 ? 0xff : rnd(256);
      }
      return rnd(5) === 0 ? out.subarray(0, rnd(out.length + 1)) : out;
    };
    let ok = 0;
    const check = (bytes: Buffer, keylog: readonly Buffer[] | readonly string[], cipher: string): void => {
      let r: ReturnType<typeof presentedCertificates>;
      try {
        r = presentedCertificates(bytes, keylog, cipher);
      } catch (err) {
        assert.fail(`threw ${String(err)}`);
      }
      if ('error' in r) {
        if (r.error.startsWith('internal error')) assert.fail(`${r.error} on ${Buffer.isBuffer(bytes) ? bytes.toString('hex') : String(bytes)}`);
      }
      else ok++;
    };
    for (let i = 0; i < 1500; i++) {
      check(randomBytes(rnd(300)), [], '');
      // Random bytes behind a plausible record header.
      const body = randomBytes(rnd(200));
      check(Buffer.concat([Buffer.from([20 + rnd(5), 3, rnd(5), body.length >> 8, body.length & 0xff]), body]), [], '');
      const t = real[rnd(real.length)] as Handshake;
      check(mutate(t.bytes), t.keylog, t.cipher);
    }
    // Mutated plaintext inside correctly encrypted TLS 1.3 records and inside TLS 1.2 records:
    // reaches the handshake and Certificate parsers behind a valid AEAD.
    const clean = tls13Flight(suite, certs, { split: 500 });
    for (let i = 0; i < 1500; i++) {
      const inner = mutate(clean.handshake);
      const flight = tls13Flight(suite, certs, { rawHandshake: inner, split: 1 + rnd(600), padding: rnd(3) });
      check(flight.bytes, [flight.keylog], suite.name);
      check(records(22, mutate(Buffer.concat([hsMsg(2, serverHello12()), hsMsg(11, certificate12(certs))])), 1 + rnd(900)), [], '');
    }
    check(Buffer.alloc(0), [], '');
    check(Buffer.alloc(5 * 5000, Buffer.from([22, 3, 3, 0, 0])), [], ''); // many empty records: capped
    check(null as unknown as Buffer, null as unknown as string[], undefined as unknown as string);
    assert.ok(ok > 0, 'some mutations still parse');
  });
});

describe('tapSocket', () => {
  test('propagates end, close and error; records only up to the limit', async () => {
    const payload = randomBytes(4 * 1024 * 1024);
    const server = net.createServer((s) => {
      s.on('error', () => {});
      s.end(payload);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const sock = net.connect({ host: '127.0.0.1', port });
      await new Promise((r) => sock.once('connect', r));
      const tap = tapSocket(sock, 1000);
      // A reader that asks once, then lags: the socket must be paused, the Duplex buffer bounded.
      tap.stream.read(0);
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(sock.isPaused(), true);
      assert.ok(tap.stream.readableLength <= tap.stream.readableHighWaterMark + 256 * 1024, `${tap.stream.readableLength}`);
      const got: Buffer[] = [];
      for await (const chunk of tap.stream) got.push(chunk as Buffer);
      assert.ok(Buffer.concat(got).equals(payload), 'every byte, in order');
      assert.equal(tap.truncated(), true);
      assert.ok(tap.received().equals(payload.subarray(0, 1000)));
      // The server's FIN ended the socket, which then closed: the Duplex follows once its 'end' is read.
      if (!tap.stream.closed) await new Promise((r) => tap.stream.once('close', r));
      assert.equal(sock.destroyed, true);

      // Socket error → stream error; stream destroy → socket destroyed.
      const s2 = net.connect({ host: '127.0.0.1', port });
      const t2 = tapSocket(s2, 10);
      const err = new Promise<Error>((r) => t2.stream.once('error', r));
      s2.destroy(new Error('boom'));
      assert.equal((await err).message, 'boom');
      const s3 = net.connect({ host: '127.0.0.1', port });
      const t3 = tapSocket(s3, 10);
      t3.stream.destroy();
      await new Promise((r) => s3.once('close', r));
      assert.equal(s3.destroyed, true);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

// ---- helpers: a STARTTLS server with full tls options, and synthetic TLS flights ----

async function miniStarttlsServer(ctx: tls.SecureContextOptions): Promise<{ port: number; close(): Promise<void> }> {
  const secureContext = tls.createSecureContext(ctx);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((raw) => {
    sockets.add(raw);
    raw.on('error', () => {});
    raw.write('220 mini.test ESMTP\r\n');
    let buf = '';
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString('latin1');
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).trim().toUpperCase();
        buf = buf.slice(i + 1);
        if (line.startsWith('EHLO')) raw.write('250-mini.test\r\n250 STARTTLS\r\n');
        else if (line === 'STARTTLS') {
          raw.off('data', onData);
          raw.write('220 go ahead\r\n');
          const t = new tls.TLSSocket(raw, { isServer: true, secureContext });
          t.on('error', () => {});
          t.on('data', (d: Buffer) => {
            const verb = d.toString('latin1').toUpperCase();
            if (verb.startsWith('EHLO')) t.write('250 mini.test\r\n');
            if (verb.startsWith('QUIT')) t.end('221 bye\r\n');
          });
          return;
        } else raw.write('500 no\r\n');
      }
    };
    raw.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function errorOf(r: ReturnType<typeof presentedCertificates>): string {
  return 'error' in r ? r.error : `no error: ${r.certificates.length} certificates`;
}
