// The hand-built hellos against a REAL TLS server: node:tls (its OpenSSL 3) behind STARTTLS in the
// fake SMTP server, with restricted versions and cipher lists on loopback. Proves that OpenSSL
// accepts the hellos as sent, and that the scans find exactly the configured suites, versions,
// groups and DH prime (the connection counts here are the figures of the report).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeRun } from '../../src/probe/probe-run.ts';
import { makeTrustStore } from '../../src/cert/trust-store.ts';
import { ConnectionGate } from '../../src/deep/connection-gate.ts';
import { helloExchanger, rememberAnswers } from '../../src/deep/hello-exchange.ts';
import { scanProtocols } from '../../src/deep/scan-protocols.ts';
import { scanCiphers } from '../../src/deep/scan-ciphers.ts';
import { scanGroups, tls12HelloFacts } from '../../src/deep/scan-groups.ts';
import { helloFor } from '../../src/deep/scan-hellos.ts';
import { startFakeSmtp, type FakeSmtpOptions } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { dh1024Pem } from '../helpers/dh-params.ts';

let pki: TestPki;
let dh1024: string;
const trust = makeTrustStore();

before(async () => {
  pki = await makeTestPki();
  dh1024 = await dh1024Pem();
  process.removeAllListeners('warning'); // Node warns about the small DH group served on purpose
});

/** Every scan against a node:tls server with `tls`, and the connections each took. */
async function deepScan(tls: Partial<NonNullable<FakeSmtpOptions['tls']>>) {
  const smtp = await startFakeSmtp({ tls: { ...pki.certs.valid, ...tls } });
  const run = new ProbeRun({ host: 'mx.test', ip: '127.0.0.1', family: 4, port: smtp.port }, { timeoutMs: 120_000, connectTimeoutMs: 10_000, ehloName: 'probe.test', trust }, 'starttls');
  const gate = new ConnectionGate(run, { delayMs: 0 });
  const exchange = rememberAnswers(helloExchanger(gate));
  try {
    const counts: Record<string, number> = {};
    const { protocols } = await scanProtocols(exchange);
    counts.protocols = gate.opened;
    const { ciphers } = await scanCiphers(exchange, protocols);
    counts.ciphers = gate.opened - counts.protocols;
    const { groups } = await scanGroups(exchange, protocols);
    counts.groups = gate.opened - counts.protocols - counts.ciphers;
    const extras = tls12HelloFacts(await exchange(helloFor('TLSv1.2', [0xc02f, 0x0035, 0x009e])));
    const version = (v: string) => protocols.find((p) => p.version === v)?.accepted;
    return { protocols, version, ciphers, groups, extras, counts, total: gate.opened, smtp };
  } finally {
    run.finish();
    await smtp.close();
  }
}

const suitesOf = (ciphers: { accepted: Array<{ protocol: string; name: string }> }, protocol: string) =>
  ciphers.accepted.filter((s) => s.protocol === protocol).map((s) => s.name).sort();

test('OpenSSL with TLS 1.2 only and two suites: exactly those two, the other versions refused', async () => {
  const r = await deepScan({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA' });
  assert.deepEqual(r.protocols.map((p) => [p.version, p.accepted]), [['SSLv3', false], ['TLSv1', false], ['TLSv1.1', false], ['TLSv1.2', true], ['TLSv1.3', false]]);
  assert.deepEqual(suitesOf(r.ciphers, 'TLSv1.2'), ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_256_CBC_SHA']);
  assert.deepEqual(r.ciphers.accepted.length, 2);
  assert.equal(r.ciphers.serverOrder, false, 'node:tls follows the client order unless honorCipherOrder');
  assert.deepEqual(r.groups.dhBits, []);
  assert.ok(r.groups.accepted.includes('x25519') && r.groups.accepted.includes('secp256r1'), r.groups.accepted.join());
  assert.deepEqual(r.extras, { compression: false, renegotiationSecure: true, extendedMasterSecret: true });
  // Every connection but those the scans asked for the hellos they meant: none failed on its hello.
  assert.deepEqual(r.smtp.sessions.filter((s) => s.tlsError !== null && !/version|alert|no shared cipher|unsupported protocol|wrong version/i.test(s.tlsError)).map((s) => s.tlsError), []);
  console.log(`TLS 1.2 only, 2 suites: connections ${JSON.stringify(r.counts)}, total ${r.total}`);
});

test('OpenSSL with TLS 1.0 to 1.3 at security level 0 with a 1024-bit DH group: every version, its suites per version, DHE 1024, the TLS 1.3 groups', async () => {
  const ciphers = 'ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-SHA:AES128-SHA:@SECLEVEL=0';
  const smtpTls = { minVersion: 'TLSv1' as const, maxVersion: 'TLSv1.3' as const, ciphers, dhparam: dh1024 };
  const r = await deepScan(smtpTls);
  assert.deepEqual(r.protocols.map((p) => [p.version, p.accepted]), [['SSLv3', false], ['TLSv1', true], ['TLSv1.1', true], ['TLSv1.2', true], ['TLSv1.3', true]]);
  assert.deepEqual(suitesOf(r.ciphers, 'TLSv1.2'), ['TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_RSA_WITH_AES_128_CBC_SHA']);
  assert.deepEqual(suitesOf(r.ciphers, 'TLSv1'), ['TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA']);
  assert.deepEqual(suitesOf(r.ciphers, 'TLSv1.3'), ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
  assert.deepEqual(r.groups.dhBits, [1024]);
  assert.ok(r.groups.accepted.includes('x25519') && r.groups.accepted.includes('ffdhe2048'), r.groups.accepted.join());
  assert.deepEqual(r.groups.untested, []);
  console.log(`TLS 1.0-1.3, ${r.ciphers.accepted.length} suites: connections ${JSON.stringify(r.counts)}, total ${r.total}`);
});
