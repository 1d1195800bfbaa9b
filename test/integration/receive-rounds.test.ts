// mxprobe receive's server in process (receive/receiver.ts), on loopback, against Node clients
// that behave as sending gateways of each policy over the rounds (test/helpers/smtp-sender.ts),
// each from its own loopback source address: the verdicts (a)–(d), the replies (451 to bring a
// sender back, 550 once decided), what a session records (TLS, SNI, client certificate, the
// message's Received chain), and --save writing inside its folder only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Receiver } from '../../src/receive/receiver.ts';
import { makeWrongNameCertificate, WRONG_NAME, type PemPair } from '../../src/receive/wrong-name-certificate.ts';
import { chainDescriber } from '../../src/receive/client-names.ts';
import type { SessionRecord } from '../../src/model/receive.ts';
import { attempt, connect, deliverUntilFinal, selfSigned } from '../helpers/smtp-sender.ts';

let valid: ReturnType<typeof selfSigned>;
let wrongName: PemPair;

before(async () => {
  valid = selfSigned('mx.test');
  wrongName = await makeWrongNameCertificate();
});

async function withReceiver<T>(fn: (port: number, receiver: Receiver, sessions: SessionRecord[]) => Promise<T>, extra: Partial<ConstructorParameters<typeof Receiver>[0]> = {}): Promise<T> {
  const sessions: SessionRecord[] = [];
  const receiver = new Receiver({
    host: '127.0.0.1',
    port: 0,
    valid: { cert: valid.cert, key: valid.key },
    wrongName,
    name: 'mx.test',
    describeChain: chainDescriber(),
    onSession: (s) => sessions.push(s),
    ...extra,
  });
  const { port } = await receiver.listen();
  try {
    return await fn(port, receiver, sessions);
  } finally {
    await receiver.close(500);
  }
}

test('the wrong-name certificate is self-signed and names only wrong-name.mxprobe.invalid', () => {
  const x = new X509Certificate(wrongName.cert);
  assert.equal(x.subject.includes(`CN=${WRONG_NAME}`), true);
  assert.equal(x.subjectAltName, `DNS:${WRONG_NAME}`);
  assert.equal(x.issuer, x.subject);
  assert.equal(x.verify(x.publicKey), true, 'signed by its own key');
  assert.equal(tls.checkServerIdentity('mx.test', { subject: { CN: WRONG_NAME }, subjectaltname: x.subjectAltName } as tls.PeerCertificate) instanceof Error, true);
});

test('four senders, one per policy, each from its own address, over the rounds: (a), (b), (c), (d), and 550 once decided', async () => {
  await withReceiver(async (port, receiver) => {
    const [a, b, c, d, dq] = await Promise.all([
      deliverUntilFinal(port, '127.0.0.2', 'a', valid.cert),
      deliverUntilFinal(port, '127.0.0.3', 'b', valid.cert),
      deliverUntilFinal(port, '127.0.0.4', 'c', valid.cert),
      deliverUntilFinal(port, '127.0.0.5', 'd', valid.cert),
      deliverUntilFinal(port, '127.0.0.6', 'd-quit', valid.cert),
    ]);
    assert.deepEqual(a.map((x) => x.result), [550], '(a): plaintext in round 1, decided at once');
    assert.deepEqual(b.map((x) => x.result), [451, 451, 550], '(b): TLS, TLS to the wrong name, plaintext');
    assert.deepEqual(c.map((x) => x.result), [451, 451, 'deferred', 550], '(c): TLS, TLS to the wrong name, defers; then turned away');
    assert.deepEqual(d.map((x) => x.result), [451, 'deferred', 'deferred', 550], '(d): TLS, refuses the wrong name, defers; then turned away');
    assert.deepEqual(dq.map((x) => x.result), [451, 'deferred', 'deferred', 550]);
    assert.equal(receiver.allDecided(), true);
    const verdicts = Object.fromEntries(receiver.senders('c').map((s) => [s.ip, { p: s.policies.join(''), meets: s.meets, decided: s.decided }]));
    assert.deepEqual(verdicts, {
      '127.0.0.2': { p: 'a', meets: false, decided: true },
      '127.0.0.3': { p: 'b', meets: false, decided: true },
      '127.0.0.4': { p: 'c', meets: true, decided: true },
      '127.0.0.5': { p: 'd', meets: true, decided: true },
      '127.0.0.6': { p: 'd', meets: true, decided: true },
    });
  });
});

test('a session records the TLS session, the SNI, the message and its Received chain; the next round offers the wrong-name certificate', async () => {
  await withReceiver(async (port, receiver, sessions) => {
    assert.deepEqual(await attempt(port, '127.0.0.7', 'b', valid.cert), { result: 451 });
    assert.deepEqual(await attempt(port, '127.0.0.7', 'b', valid.cert), { result: 451 });
    await receiver.close(500);
    const [first, second] = sessions;
    assert.ok(first !== undefined && second !== undefined);
    assert.equal(first.round, 1);
    assert.deepEqual(first.offered, { starttls: true, certificate: 'valid' });
    assert.equal(first.startedTls, true);
    assert.match(first.tls?.protocol ?? '', /^TLSv1\.[23]$/);
    assert.equal(first.tls?.sni, 'mx.test');
    assert.equal(first.ehlo, 'sender.partner.test');
    assert.equal(first.outcome, 'message');
    assert.equal(first.dataReply, '451');
    assert.equal(first.counted, true);
    assert.equal(first.clientCertificate, null);
    assert.equal(first.message?.received?.hops.length, 1);
    assert.equal(first.message?.received?.hops[0]?.encrypted, true, 'ESMTPS in the partner\'s own hop');
    assert.equal(second.round, 2);
    assert.deepEqual(second.offered, { starttls: true, certificate: 'wrong-name' });
    assert.equal(receiver.senders(null)[0]?.missing.join(), '3');
  });
});

test('a client that presents a certificate: its chain is described and its trust told (not trusted without --ca-file, trusted with it)', async () => {
  const client = selfSigned('client.partner.test');
  for (const caPems of [[], [client.cert]]) {
    await withReceiver(
      async (port, receiver, sessions) => {
        const c = await connect(port, '127.0.0.8');
        await c.reply();
        await c.command('EHLO client.partner.test');
        assert.equal(await c.command('STARTTLS'), 220);
        const up = await c.upgrade({ servername: 'mx.test', rejectUnauthorized: false, cert: client.cert, key: client.key });
        assert.ok(up.socket !== null);
        await c.command('EHLO client.partner.test');
        await c.command('QUIT');
        c.close();
        await receiver.close(500);
        const cert = sessions[0]?.clientCertificate;
        assert.ok(cert !== null && cert !== undefined);
        assert.match(cert.chain[0]?.subject ?? '', /CN=client\.partner\.test/);
        assert.equal(cert.trusted, caPems.length > 0, String(cert.error));
        assert.equal(cert.error === null, caPems.length > 0);
        assert.equal(sessions[0]?.outcome, 'quit-after-handshake');
      },
      { caPems },
    );
  }
});

test('--save writes each message inside its folder, under a name the receiver makes, never overwriting', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mxprobe-save-'));
  await withReceiver(
    async (port, receiver, sessions) => {
      await attempt(port, '127.0.0.9', 'a', valid.cert);
      await receiver.close(500);
      const files = readdirSync(dir);
      assert.equal(files.length, 1);
      assert.match(files[0] ?? '', /^session-1-\d{8}T\d{9}Z\.eml$/);
      assert.equal(sessions[0]?.message?.savedAs, files[0]);
      const saved = readFileSync(path.join(dir, files[0] ?? ''), 'utf8');
      assert.match(saved, /^Received: from inner\.partner\.test/);
      assert.match(saved, /\r\n\.leading dot\r\n$/, 'dot-unstuffed');
    },
    { saveDir: dir },
  );
});
