// The deep scans (src/deep/scan-protocols.ts, scan-ciphers.ts, scan-groups.ts) through the real
// exchanger and connection gate, against a fake SMTP server that answers each ClientHello by hand
// (test/helpers/fake-tls-hello.ts): which versions, suites and groups a server takes, the weak ones
// node:tls cannot offer (3DES, RC4), a 1024-bit DHE prime, the server's order, a 421 in the middle,
// and answers that are not TLS or never end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeRun } from '../../src/probe/probe-run.ts';
import { makeTrustStore } from '../../src/cert/trust-store.ts';
import { ConnectionGate } from '../../src/deep/connection-gate.ts';
import { helloExchanger, rememberAnswers, type HelloExchanger } from '../../src/deep/hello-exchange.ts';
import { scanProtocols } from '../../src/deep/scan-protocols.ts';
import { scanCiphers } from '../../src/deep/scan-ciphers.ts';
import { scanGroups, tls12HelloFacts } from '../../src/deep/scan-groups.ts';
import { helloFor } from '../../src/deep/scan-hellos.ts';
import { suiteName } from '../../src/model/cipher-suites.ts';
import type { DeepProtocol, ProtocolAcceptance } from '../../src/model/deep.ts';
import { startFakeHelloServer, type FakeHelloServer, type HelloPolicy } from '../helpers/fake-tls-hello.ts';

const trust = makeTrustStore();

interface Scan {
  server: FakeHelloServer;
  gate: ConnectionGate;
  exchange: HelloExchanger;
  done(): Promise<void>;
}

async function scanOf(policy: HelloPolicy, caps: { handshake?: number } = {}): Promise<Scan> {
  const server = await startFakeHelloServer(policy);
  const run = new ProbeRun(
    { host: 'mx.test', ip: '127.0.0.1', family: 4, port: server.port },
    { timeoutMs: 60_000, connectTimeoutMs: 10_000, ehloName: 'probe.test', trust, stageCaps: caps },
    policy.implicitTls === true ? 'implicit' : 'starttls',
  );
  const gate = new ConnectionGate(run, { delayMs: 0 });
  return {
    server,
    gate,
    exchange: rememberAnswers(helloExchanger(gate)),
    async done() {
      run.finish();
      await server.close();
    },
  };
}

const accepted = (protocols: ProtocolAcceptance[]) => protocols.filter((p) => p.accepted === true).map((p) => p.version);
const names = (suites: Array<{ protocol: DeepProtocol; name: string }>, protocol: DeepProtocol) => suites.filter((s) => s.protocol === protocol).map((s) => s.name).sort();

test('a server that accepts only TLS 1.0 and 1.1: those two are accepted, the others refused with the alert said, suites per version', async () => {
  const s = await scanOf({ versions: ['TLSv1', 'TLSv1.1'], suites: [0x002f, 0xc013, 0x000a] });
  try {
    const { protocols, hellos } = await scanProtocols(s.exchange);
    assert.deepEqual(accepted(protocols), ['TLSv1', 'TLSv1.1']);
    assert.equal(hellos, 5);
    // A server without TLS 1.3 ignores supported_versions and finds no TLS 1.3 suite it knows.
    assert.deepEqual(protocols.find((p) => p.version === 'TLSv1.3'), { version: 'TLSv1.3', accepted: false, note: 'alert handshake_failure' });
    assert.deepEqual(protocols.find((p) => p.version === 'TLSv1.2'), { version: 'TLSv1.2', accepted: false, note: 'answered with TLSv1.1' });
    assert.equal(protocols.find((p) => p.version === 'SSLv3')?.accepted, false);
    const { ciphers } = await scanCiphers(s.exchange, protocols);
    const want = ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA'];
    assert.deepEqual(names(ciphers.accepted, 'TLSv1'), want);
    assert.deepEqual(names(ciphers.accepted, 'TLSv1.1'), want);
    // A refused version is no gap: untested holds only what could not be told.
    assert.deepEqual(ciphers.untested, [], ciphers.untested.join('; '));
    // The hellos: SNI the host name, no session ticket, the TLS 1.0 hello without TLS 1.2's suites.
    const tls10 = s.server.hellos.find((h) => h.version === 0x0301);
    assert.equal(tls10?.sni, 'mx.test');
    assert.ok(!s.server.hellos.some((h) => h.extensions.includes(35)), 'no session_ticket');
    assert.ok(!tls10?.suites.includes(0xc02f));
  } finally {
    await s.done();
  }
});

test('a server that accepts only TLS 1.3: its suites and groups, nothing of TLS 1.2', async () => {
  const s = await scanOf({ versions: ['TLSv1.3'], suites: [0x1302, 0x1301], curves: [24, 29, 256] });
  try {
    const { protocols } = await scanProtocols(s.exchange);
    assert.deepEqual(accepted(protocols), ['TLSv1.3']);
    const { ciphers } = await scanCiphers(s.exchange, protocols);
    assert.deepEqual(names(ciphers.accepted, 'TLSv1.3'), ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384']);
    assert.equal(ciphers.serverOrder, true);
    const { groups } = await scanGroups(s.exchange, protocols);
    assert.deepEqual([...groups.accepted].sort(), ['ffdhe2048', 'secp384r1', 'x25519']);
    assert.deepEqual(groups.dhBits, []);
    // No ECDHE curve or DHE prime to tell where every version up to TLS 1.2 is refused: no gap.
    assert.deepEqual(groups.untested, [], groups.untested.join('; '));
  } finally {
    await s.done();
  }
});

test('a server that picks 3DES, one that picks RC4: the weak suite is found among the strong ones', async () => {
  for (const [weak, name] of [
    [0x000a, 'TLS_RSA_WITH_3DES_EDE_CBC_SHA'],
    [0x0005, 'TLS_RSA_WITH_RC4_128_SHA'],
  ] as const) {
    const s = await scanOf({ versions: ['TLSv1.2'], suites: [weak, 0xc02f, 0x009c] });
    try {
      const { protocols } = await scanProtocols(s.exchange);
      const { ciphers, hellos } = await scanCiphers(s.exchange, protocols);
      assert.deepEqual(names(ciphers.accepted, 'TLSv1.2'), [name, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_128_GCM_SHA256'].sort());
      // The table's 219 TLS 1.2 suites go in two hellos (128 + 91), the broken ones in the second:
      // 2 accepted + 1 refusal, then 1 accepted + 1 refusal, then 2 for the order; the first is the
      // protocol scan's hello, remembered.
      assert.equal(hellos, 7);
      assert.equal(s.gate.opened, 5 + 6);
      const tls12 = s.server.hellos.filter((h) => h.version === 0x0303 && h.supportedVersions.length === 0);
      assert.ok(!tls12[0]?.suites.includes(weak), 'the first list carries no broken suite');
    } finally {
      await s.done();
    }
  }
});

test('every suite of the one table is offered: a server that accepts only suites no stand-in list had (static DH, Camellia-GCM, ARIA-CBC, DHE-DSS RC4) has them found', async () => {
  // TLS_DH_RSA_WITH_AES_128_CBC_SHA, TLS_DHE_DSS_WITH_RC4_128_SHA (TLS 1.0 and 1.2), TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256, TLS_RSA_WITH_ARIA_128_CBC_SHA256 (TLS 1.2 only).
  const s = await scanOf({ versions: ['TLSv1', 'TLSv1.2'], suites: [0x0031, 0x0066, 0xc07a, 0xc03c] });
  try {
    const { protocols } = await scanProtocols(s.exchange);
    assert.deepEqual(accepted(protocols), ['TLSv1', 'TLSv1.2']);
    const { ciphers } = await scanCiphers(s.exchange, protocols);
    assert.deepEqual(names(ciphers.accepted, 'TLSv1'), ['TLS_DHE_DSS_WITH_RC4_128_SHA', 'TLS_DH_RSA_WITH_AES_128_CBC_SHA']);
    assert.deepEqual(names(ciphers.accepted, 'TLSv1.2'), ['TLS_DHE_DSS_WITH_RC4_128_SHA', 'TLS_DH_RSA_WITH_AES_128_CBC_SHA', 'TLS_RSA_WITH_ARIA_128_CBC_SHA256', 'TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256']);
  } finally {
    await s.done();
  }
});

test('a server with a 1024-bit DHE prime: dhBits says 1024; ECDHE curves found one by one', async () => {
  const s = await scanOf({ versions: ['TLSv1.2'], suites: [0xc02f, 0x009e], dhBits: 1024, curves: [23, 24] });
  try {
    const { protocols } = await scanProtocols(s.exchange);
    const { groups } = await scanGroups(s.exchange, protocols);
    assert.deepEqual(groups.dhBits, [1024]);
    assert.deepEqual(groups.accepted, ['secp256r1', 'secp384r1']);
    const dheHello = s.server.hellos.at(-1);
    assert.ok(dheHello !== undefined && dheHello.suites.every((c) => /_DHE_|_DH_anon_/.test(suiteName(c))), 'DHE suites only');
    assert.ok(!dheHello.groups.some((g) => g >= 256), 'no FFDHE group offered: the server uses its own prime');
  } finally {
    await s.done();
  }
});

test("server order versus client order: the same suite in both orders, or the client's first", async () => {
  for (const serverOrder of [true, false]) {
    const s = await scanOf({ versions: ['TLSv1.2'], suites: [0x009c, 0xc02f], serverOrder });
    try {
      const { protocols } = await scanProtocols(s.exchange);
      const { ciphers } = await scanCiphers(s.exchange, protocols);
      assert.equal(ciphers.serverOrder, serverOrder);
    } finally {
      await s.done();
    }
  }
});

test('a 421 in the middle of the scan: what was told stays, the rest is null or untested with the reason, and the gate stops', async () => {
  const s = await scanOf({ versions: ['TLSv1.2', 'TLSv1.3'], suites: [0xc02f, 0x1301], greet421After: 3 });
  try {
    const { protocols } = await scanProtocols(s.exchange);
    assert.deepEqual(protocols.slice(0, 3).map((p) => p.accepted), [false, false, false]);
    assert.deepEqual(protocols.slice(3).map((p) => p.accepted), [null, null]);
    assert.match(protocols[4]?.note ?? '', /not tried: .*421/);
    assert.ok(s.gate.stopped !== null);
    const { ciphers } = await scanCiphers(s.exchange, protocols);
    assert.deepEqual(ciphers.accepted, []);
    assert.ok(ciphers.untested.includes('TLSv1.2 suites: not told whether the server accepts TLSv1.2'));
    const { groups } = await scanGroups(s.exchange, protocols);
    assert.deepEqual(groups.accepted, []);
    assert.equal(s.server.connections, 4, 'no connection after the 421');
  } finally {
    await s.done();
  }
});

test('a 421 during the cipher scan: the suites found so far stay, the rest says not finished', async () => {
  const s = await scanOf({ versions: ['TLSv1.2'], suites: [0xc02f, 0x009c, 0x002f], greet421After: 6 });
  try {
    const { protocols } = await scanProtocols(s.exchange);
    const { ciphers } = await scanCiphers(s.exchange, protocols);
    assert.equal(ciphers.accepted.length, 2);
    assert.equal(ciphers.serverOrder, null);
    assert.ok(ciphers.untested.some((u) => /^TLSv1\.2 suites: not finished \(.*421/.test(u)), ciphers.untested.join('; '));
  } finally {
    await s.done();
  }
});

test('an answer that is not TLS is a fact ("not TLS"); a huge one is bounded; silence is a timeout', async () => {
  const garbage = await scanOf({ versions: ['TLSv1.2'], suites: [0xc02f], answer: 'garbage' });
  try {
    const answer = await garbage.exchange(helloFor('TLSv1.2', [0xc02f]));
    assert.equal(answer.kind, 'not-tls');
    assert.match(answer.kind === 'not-tls' ? answer.message : '', /not TLS/);
    const { protocols } = await scanProtocols(garbage.exchange);
    assert.equal(protocols.find((p) => p.version === 'TLSv1.2')?.accepted, false);
  } finally {
    await garbage.done();
  }
  const huge = await scanOf({ versions: ['TLSv1.2'], suites: [0xc02f], answer: 'huge' });
  try {
    const answer = await huge.exchange(helloFor('TLSv1.2', [0xc02f]));
    assert.equal(answer.kind, 'server-hello');
    assert.ok(answer.kind === 'server-hello' && !answer.complete && /grew past/.test(answer.note ?? ''), JSON.stringify(answer));
  } finally {
    await huge.done();
  }
  const silent = await scanOf({ versions: ['TLSv1.2'], suites: [0xc02f], answer: 'silent' }, { handshake: 500 });
  try {
    assert.deepEqual(await silent.exchange(helloFor('TLSv1.2', [0xc02f])), { kind: 'timeout' });
  } finally {
    await silent.done();
  }
});

test('a server that answers a TLS 1.0 hello with TLS 1.2 does not speak TLS 1.0', async () => {
  const s = await scanOf({ versions: ['TLSv1', 'TLSv1.2'], suites: [0x002f], answerNewestVersion: true });
  try {
    const { protocols } = await scanProtocols(s.exchange);
    assert.deepEqual(protocols.find((p) => p.version === 'TLSv1'), { version: 'TLSv1', accepted: false, note: 'answered with TLSv1.2' });
    assert.deepEqual(accepted(protocols), ['TLSv1.2']);
  } finally {
    await s.done();
  }
});

test('the TLS 1.2 answer tells compression, secure renegotiation and extended master secret; implicit TLS works alike', async () => {
  const cases: Array<[HelloPolicy, ReturnType<typeof tls12HelloFacts>]> = [
    [{ versions: ['TLSv1.2'], suites: [0xc02f], compression: true, renegotiationInfo: false, extendedMasterSecret: false }, { compression: true, renegotiationSecure: false, extendedMasterSecret: false }],
    [{ versions: ['TLSv1.2'], suites: [0xc02f], implicitTls: true }, { compression: false, renegotiationSecure: true, extendedMasterSecret: true }],
  ];
  for (const [policy, want] of cases) {
    const s = await scanOf(policy);
    try {
      const answer = await s.exchange(helloFor('TLSv1.2', [0xc02f]));
      assert.deepEqual(tls12HelloFacts(answer), want);
      assert.deepEqual(s.server.hellos[0]?.compression, [1, 0], 'DEFLATE and null offered');
    } finally {
      await s.done();
    }
  }
});
