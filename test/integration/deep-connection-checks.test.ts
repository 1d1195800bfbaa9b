// The deep checks that need a full handshake or SMTP (issue 10): certificates per signature
// algorithm, OCSP stapling, client-initiated renegotiation, STARTTLS command injection. Each runs
// through a ConnectionGate against fake servers on loopback whose TLS is a real tls.Server
// (test/helpers/deep-smtp.ts), and against a real Postfix (test/helpers/postfix.ts) where the
// truth is Postfix's own. Every connection is counted and ends with QUIT.
import assert from 'node:assert/strict';
import { constants as cryptoConstants } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import { makeTrustStore, type TrustStore } from '../../src/cert/trust-store.ts';
import { checkCertificatesBySignature } from '../../src/deep/certificates-by-signature.ts';
import { checkCommandInjection, UNSOLICITED_WAIT_MS } from '../../src/deep/command-injection.ts';
import { ConnectionGate, DeepStopped } from '../../src/deep/connection-gate.ts';
import { checkClientRenegotiation } from '../../src/deep/renegotiation.ts';
import { judgePath } from '../../src/judge/verify-path.ts';
import { probeAddress } from '../../src/probe/probe-address.ts';
import { ProbeRun } from '../../src/probe/probe-run.ts';
import type { TlsMode } from '../../src/model/tls.ts';
import { startDeepSmtp, type DeepSmtpOptions, type DeepSmtpServer } from '../helpers/deep-smtp.ts';
import { makeOcspResponse } from '../helpers/ocsp-responder.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { startPostfix, type PostfixInstance, type PostfixStart } from '../helpers/postfix.ts';

let pki: TestPki;
let trust: TrustStore;
let postfixStart: PostfixStart;

before(async () => {
  pki = await makeTestPki();
  trust = makeTrustStore([pki.rootPem]);
  postfixStart = await startPostfix({ certPem: pki.certs.valid.cert, keyPem: pki.certs.valid.key, myhostname: 'mx.test' });
});

after(async () => {
  if (postfixStart?.ok) await postfixStart.instance.stop();
});

function postfix(t: TestContext): PostfixInstance | undefined {
  if (postfixStart.ok) return postfixStart.instance;
  if (process.env.CI === 'true') assert.fail(`private Postfix unavailable in CI: ${postfixStart.reason}`);
  t.skip(`private Postfix unavailable: ${postfixStart.reason}`);
  return undefined;
}

/** A gate onto 127.0.0.1:`port` for mx.test, as a deep probe gets it. */
function gateFor(port: number, mode: TlsMode = 'starttls', signal?: AbortSignal): ConnectionGate {
  const run = new ProbeRun(
    { host: 'mx.test', ip: '127.0.0.1', family: 4, port },
    { timeoutMs: 60_000, connectTimeoutMs: 10_000, ehloName: 'probe.test', trust, ...(signal !== undefined ? { signal } : {}) },
    mode,
  );
  return new ConnectionGate(run, { delayMs: 0 });
}

async function withServer<T>(options: DeepSmtpOptions, use: (server: DeepSmtpServer) => Promise<T>): Promise<T> {
  const server = await startDeepSmtp(options);
  try {
    return await use(server);
  } finally {
    await server.close();
  }
}

const dual = () => ({ key: [pki.certs.valid.key, pki.certs.ecdsa.key], cert: [pki.certs.valid.cert, pki.certs.ecdsa.cert] });

/** Every session made a handshake and said QUIT inside TLS. */
function assertQuitInsideTls(server: DeepSmtpServer, sessions: number): void {
  assert.equal(server.sessions.length, sessions, 'connections made');
  for (const [i, s] of server.sessions.entries()) assert.equal(s.tlsCommands.at(-1), 'QUIT', `session ${i}: ${JSON.stringify(s)}`);
}

describe('certificates per signature algorithm', () => {
  test('a server with RSA and ECDSA certificates shows each; both judged as the probe judges its own', async () => {
    await withServer({ tls: dual() }, async (server) => {
      const gate = gateFor(server.port);
      const { certificates } = await checkCertificatesBySignature(gate);
      assert.deepEqual(certificates.map((c) => [c.offered, c.certificate?.chain[0]?.keyType, c.note]), [
        ['rsa', 'rsa', null],
        ['ecdsa', 'ec', null],
      ]);
      const fingerprints = certificates.map((c) => c.certificate?.chain.map((x) => x.pem));
      assert.deepEqual(fingerprints, [
        [pki.certs.valid.leaf, pki.intermediatePem],
        [pki.certs.ecdsa.leaf, pki.intermediatePem],
      ]);
      for (const c of certificates) {
        assert.equal(c.certificate?.chainSource, 'presented');
        assert.equal(c.certificate?.opensslError, null);
        assert.deepEqual(judgePath(c.certificate!, new Date()), []);
      }
      assert.equal(gate.opened, 2);
      assertQuitInsideTls(server, 2);
    });
  });

  test('the facts are the probe handshake\'s own: the same CertificateFacts as probeAddress for the same certificate', async () => {
    await withServer({ tls: { key: pki.certs.valid.key, cert: pki.certs.valid.cert } }, async (server) => {
      const probed = await probeAddress({ host: 'mx.test', ip: '127.0.0.1', family: 4, port: server.port }, { trust, ehloName: 'probe.test' });
      const { certificates } = await checkCertificatesBySignature(gateFor(server.port));
      const rsa = certificates[0]?.certificate;
      assert.ok(probed.certificate !== null && rsa !== null && rsa !== undefined);
      assert.deepEqual({ ...rsa, verifiedAt: 'x' }, { ...probed.certificate, verifiedAt: 'x' });
    });
  });

  test('an RSA-only server: no ECDSA certificate, with the reason; an ECDSA-only server: the converse', async () => {
    await withServer({ tls: { key: pki.certs.valid.key, cert: pki.certs.valid.cert } }, async (server) => {
      const { certificates } = await checkCertificatesBySignature(gateFor(server.port));
      assert.equal(certificates[0]?.certificate?.chain[0]?.keyType, 'rsa');
      assert.equal(certificates[1]?.certificate, null);
      assert.match(certificates[1]?.note ?? '', /^no handshake offering only ECDSA signature algorithms: TLS handshake failed: .*handshake failure/);
    });
    await withServer({ tls: { key: pki.certs.ecdsa.key, cert: pki.certs.ecdsa.cert } }, async (server) => {
      const { certificates } = await checkCertificatesBySignature(gateFor(server.port));
      assert.equal(certificates[0]?.certificate, null);
      assert.match(certificates[0]?.note ?? '', /^no handshake offering only RSA signature algorithms: TLS handshake failed: /);
      assert.equal(certificates[1]?.certificate?.chain[0]?.keyType, 'ec');
    });
  });

  test('TLS 1.0 (no signature_algorithms): the suites offered pick each certificate; an expired one is judged expired', async () => {
    const tls = { key: [pki.certs.expired.key, pki.certs.ecdsa.key], cert: [pki.certs.expired.cert, pki.certs.ecdsa.cert], minVersion: 'TLSv1' as const, maxVersion: 'TLSv1' as const };
    await withServer({ tls }, async (server) => {
      const { certificates } = await checkCertificatesBySignature(gateFor(server.port));
      assert.deepEqual(certificates.map((c) => c.certificate?.chain[0]?.keyType), ['rsa', 'ec']);
      const [rsa, ec] = certificates.map((c) => judgePath(c.certificate!, new Date()).map((f) => f.check));
      assert.ok(rsa?.includes('leaf-expired'), JSON.stringify(rsa));
      assert.deepEqual(ec, []);
    });
  });

  test('implicit TLS: the same, and QUIT after the greeting over TLS', async () => {
    await withServer({ tls: dual(), implicitTls: true }, async (server) => {
      const { certificates } = await checkCertificatesBySignature(gateFor(server.port, 'implicit'));
      assert.deepEqual(certificates.map((c) => c.certificate?.chain[0]?.keyType), ['rsa', 'ec']);
      assertQuitInsideTls(server, 2);
    });
  });

  test('a 421 greeting stops the deep probe (DeepStopped); a closed port is a note', async () => {
    await withServer({ tls: dual(), banner: '421 4.7.0 too many connections' }, async (server) => {
      const gate = gateFor(server.port);
      await assert.rejects(checkCertificatesBySignature(gate), DeepStopped);
      assert.equal(gate.opened, 1);
    });
    const closed = await startDeepSmtp({ tls: dual() });
    await closed.close();
    const { certificates, ocsp } = await checkCertificatesBySignature(gateFor(closed.port));
    assert.deepEqual(certificates.map((c) => c.certificate), [null, null]);
    assert.match(certificates[0]?.note ?? '', /cannot connect to 127\.0\.0\.1 port \d+: ECONNREFUSED/);
    assert.equal(ocsp, null);
  });

  test('a stopped run stops the deep probe (DeepStopped), not a note', async () => {
    await withServer({ tls: dual() }, async (server) => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(checkCertificatesBySignature(gateFor(server.port, 'starttls', controller.signal)), DeepStopped);
    });
  });

  test('Postfix with one RSA certificate: RSA shown and trusted, ECDSA refused', async (t) => {
    const pf = postfix(t);
    if (pf === undefined) return;
    const { certificates } = await checkCertificatesBySignature(gateFor(pf.tlsPort));
    assert.equal(certificates[0]?.certificate?.chain[0]?.pem, pki.certs.valid.leaf);
    assert.deepEqual(judgePath(certificates[0]!.certificate!, new Date()), []);
    assert.equal(certificates[1]?.certificate, null);
    assert.match(certificates[1]?.note ?? '', /^no handshake offering only ECDSA/);
  });
});

describe('OCSP stapling', () => {
  test('a stapled response (good, revoked) is read with its dates; asked for in the handshakes', async () => {
    for (const status of ['good', 'revoked'] as const) {
      const staple = await makeOcspResponse(pki, { leafPem: pki.certs.valid.leaf, status });
      await withServer({ tls: { key: pki.certs.valid.key, cert: pki.certs.valid.cert }, ocsp: () => staple }, async (server) => {
        const { ocsp } = await checkCertificatesBySignature(gateFor(server.port));
        assert.ok(ocsp !== null);
        assert.equal(ocsp.stapled, true);
        assert.equal(ocsp.status, status);
        assert.ok(ocsp.producedAt !== null && ocsp.thisUpdate !== null && ocsp.nextUpdate !== null, JSON.stringify(ocsp));
        assert.ok(Date.parse(ocsp.nextUpdate) > Date.now());
        assert.equal(server.sessions[0]?.ocspRequested, true);
      });
    }
  });

  test('nothing stapled: stapled false; a broken staple: stapled, with a note, no throw', async () => {
    await withServer({ tls: { key: pki.certs.valid.key, cert: pki.certs.valid.cert }, ocsp: () => null }, async (server) => {
      const { ocsp } = await checkCertificatesBySignature(gateFor(server.port));
      assert.deepEqual(ocsp, { stapled: false, status: null, producedAt: null, thisUpdate: null, nextUpdate: null, note: null });
    });
    await withServer({ tls: { key: pki.certs.valid.key, cert: pki.certs.valid.cert }, ocsp: () => Buffer.from('3003020100ff', 'hex') }, async (server) => {
      const { ocsp } = await checkCertificatesBySignature(gateFor(server.port));
      assert.equal(ocsp?.stapled, true);
      assert.equal(ocsp?.status, null);
      assert.match(ocsp?.note ?? '', /^malformed OCSP response/);
    });
  });

  test('a dual server stapling the ECDSA certificate\'s response in both handshakes: the one about its leaf counts', async () => {
    const staple = await makeOcspResponse(pki, { leafPem: pki.certs.ecdsa.leaf, status: 'good' });
    await withServer({ tls: dual(), ocsp: () => staple }, async (server) => {
      const { ocsp } = await checkCertificatesBySignature(gateFor(server.port));
      assert.equal(ocsp?.status, 'good');
      assert.equal(ocsp?.note, null);
      assert.deepEqual(server.sessions.map((s) => s.ocspRequested), [true, true]);
    });
  });
});

describe('client-initiated renegotiation', () => {
  test('a server that allows it (Node, up to tls.CLIENT_RENEG_LIMIT): true, then QUIT inside TLS', async () => {
    await withServer({ tls: { key: pki.certs.valid.key, cert: pki.certs.valid.cert } }, async (server) => {
      const gate = gateFor(server.port);
      assert.deepEqual(await checkClientRenegotiation(gate), { clientInitiated: true, note: null });
      assert.equal(gate.opened, 1);
      assertQuitInsideTls(server, 1);
    });
  });

  test('a server that refuses it (SSL_OP_NO_RENEGOTIATION: the no_renegotiation alert): false, with what it said', async () => {
    const tls = { key: pki.certs.valid.key, cert: pki.certs.valid.cert, secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION };
    await withServer({ tls }, async (server) => {
      const result = await checkClientRenegotiation(gateFor(server.port));
      assert.equal(result.clientInitiated, false);
      assert.match(result.note ?? '', /^the server refused: .*no renegotiation/);
    });
  });

  test('a TLS 1.3-only server: not told (null), and why', async () => {
    await withServer({ tls: { key: pki.certs.valid.key, cert: pki.certs.valid.cert, minVersion: 'TLSv1.3' } }, async (server) => {
      const result = await checkClientRenegotiation(gateFor(server.port));
      assert.equal(result.clientInitiated, null);
      assert.match(result.note ?? '', /^no handshake with TLS 1\.2 or older \(TLS 1\.3 has no renegotiation\): TLS handshake failed: /);
    });
  });

  test('Postfix: refused', async (t) => {
    const pf = postfix(t);
    if (pf === undefined) return;
    const result = await checkClientRenegotiation(gateFor(pf.tlsPort));
    assert.equal(result.clientInitiated, false, JSON.stringify(result));
  });
});

describe('STARTTLS command injection (server side)', () => {
  const rsa = () => ({ key: pki.certs.valid.key, cert: pki.certs.valid.cert });

  test('a server that buffers across STARTTLS answers the NOOP inside TLS: vulnerable', async () => {
    await withServer({ tls: rsa(), afterStarttls: 'buffer' }, async (server) => {
      const gate = gateFor(server.port);
      const result = await checkCommandInjection(gate);
      assert.equal(result.vulnerable, true);
      assert.match(result.note ?? '', /answered the NOOP sent before the handshake inside TLS: 250 2\.0\.0 Ok$/);
      assert.equal(gate.opened, 1);
      // One write: STARTTLS and NOOP arrived together; the NOOP ran inside TLS; then QUIT.
      assert.deepEqual(server.sessions[0]?.commands, ['EHLO probe.test', 'STARTTLS', 'NOOP', 'QUIT']);
      assert.deepEqual(server.sessions[0]?.tlsCommands, ['NOOP', 'QUIT']);
    });
  });

  test('a server that discards (RFC 3207 §6, as Postfix): not vulnerable', async () => {
    await withServer({ tls: rsa(), afterStarttls: 'discard' }, async (server) => {
      const started = Date.now();
      assert.deepEqual(await checkCommandInjection(gateFor(server.port)), { vulnerable: false, note: null });
      assert.ok(Date.now() - started >= UNSOLICITED_WAIT_MS - 50, 'it waited for an unsolicited reply');
      assert.deepEqual(server.sessions[0]?.tlsCommands, ['QUIT']);
    });
  });

  test('a server that answers the NOOP in plaintext before the handshake: not vulnerable server-side, and the note says so', async () => {
    await withServer({ tls: rsa(), afterStarttls: 'plaintext' }, async (server) => {
      const result = await checkCommandInjection(gateFor(server.port));
      assert.equal(result.vulnerable, false);
      assert.match(result.note ?? '', /^not buffered across TLS; it answered the NOOP in plaintext before the handshake \(\d+ bytes after its 220 to STARTTLS/);
    });
    await withServer({ tls: rsa(), afterStarttls: 'plaintext', plaintextLate: true }, async (server) => {
      const result = await checkCommandInjection(gateFor(server.port));
      assert.equal(result.vulnerable, false);
      assert.match(result.note ?? '', /^not buffered across TLS: the server answered the NOOP in plaintext before the handshake \("250 2\.0\.0 Ok"\)/);
    });
  });

  test('implicit TLS: nothing to inject behind, no connection', async () => {
    const gate = gateFor(1, 'implicit');
    const result = await checkCommandInjection(gate);
    assert.equal(result.vulnerable, null);
    assert.match(result.note ?? '', /implicit TLS/);
    assert.equal(gate.opened, 0);
  });

  test('Postfix: not vulnerable', async (t) => {
    const pf = postfix(t);
    if (pf === undefined) return;
    const gate = gateFor(pf.tlsPort);
    const result = await checkCommandInjection(gate);
    assert.deepEqual(result, { vulnerable: false, note: null }, gate.run.transcript.map((e) => `${e.dir} ${e.text}`).join('\n'));
  });
});
