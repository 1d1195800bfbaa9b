// Exact transcripts of the probe's SMTP dialogues, as Go's net/smtp tests have them: for each
// scripted fake server, every command line the server received in each session, in order, and
// every transcript entry the probe kept (server lines, client lines, events), compared whole.
// Pipelined commands: test/integration/smtp-client.test.ts.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { probeAddress, type ProbeOptions } from '../../src/probe/probe-address.ts';
import { makeTrustStore } from '../../src/cert/trust-store.ts';
import type { AddressFacts } from '../../src/model/address.ts';
import { startFakeSmtp, type FakeSmtpOptions, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';

let pki: TestPki;
let options: ProbeOptions;
before(async () => {
  pki = await makeTestPki();
  // Generous deadlines: every server here answers.
  options = { timeoutMs: 20_000, connectTimeoutMs: 10_000, ehloName: 'probe.test', trust: makeTrustStore([pki.rootPem]) };
});

async function probe(fake: FakeSmtpOptions, extra: Partial<ProbeOptions> = {}): Promise<{ facts: AddressFacts; smtp: FakeSmtpServer; said: string[] }> {
  const smtp = await startFakeSmtp(fake);
  try {
    const facts = await probeAddress({ host: 'mx.test', ip: smtp.host, family: 4, port: smtp.port }, { ...options, ...extra });
    const said = (facts.transcript ?? []).map((e) => `${e.dir}: ${e.text}`);
    return { facts, smtp, said };
  } finally {
    await smtp.close();
  }
}

const commands = (smtp: FakeSmtpServer) => smtp.sessions.map((s) => s.commands);
const connected = (smtp: FakeSmtpServer, implicit = false) => `*: connected to 127.0.0.1 port ${smtp.port}${implicit ? ' (implicit TLS)' : ''}`;
const GREETING = 'S: 220 fake.test ESMTP ready';
const EHLO_REPLY = ['S: 250-fake.test', 'S: 250-PIPELINING', 'S: 250-SIZE 10240000', 'S: 250-8BITMIME', 'S: 250 STARTTLS'];
const EHLO_REPLY_TLS = ['S: 250-fake.test', 'S: 250-PIPELINING', 'S: 250-SIZE 10240000', 'S: 250 8BITMIME'];
const TLS13 = '*: TLS established: TLSv1.3 TLS_AES_256_GCM_SHA384';
const BYE = ['C: QUIT', 'S: 221 2.0.0 Bye'];

describe('exact SMTP transcripts', { concurrency: true }, () => {
  test('the normal dialogue: greeting, EHLO, STARTTLS, handshake, EHLO over TLS, QUIT', async () => {
    const { facts, smtp, said } = await probe({ tls: pki.certs.valid });
    assert.equal(facts.failure, null);
    assert.deepEqual(commands(smtp), [['EHLO probe.test', 'STARTTLS', 'EHLO probe.test', 'QUIT']]);
    assert.deepEqual(said, [
      connected(smtp),
      GREETING,
      'C: EHLO probe.test',
      ...EHLO_REPLY,
      'C: STARTTLS',
      'S: 220 2.0.0 Ready to start TLS',
      TLS13,
      'C: EHLO probe.test',
      ...EHLO_REPLY_TLS,
      ...BYE,
    ]);
  });

  test('STARTTLS not offered: EHLO, then QUIT', async () => {
    const { facts, smtp, said } = await probe({});
    assert.equal(facts.starttls, false);
    assert.deepEqual(commands(smtp), [['EHLO probe.test', 'QUIT']]);
    assert.deepEqual(said, [connected(smtp), GREETING, 'C: EHLO probe.test', 'S: 250-fake.test', 'S: 250-PIPELINING', 'S: 250-SIZE 10240000', 'S: 250 8BITMIME', ...BYE]);
  });

  test('STARTTLS refused: the refusal, then QUIT in plaintext', async () => {
    const { facts, smtp, said } = await probe({ tls: pki.certs.valid, starttlsReply: '454 4.7.0 TLS not available due to local problem' });
    assert.deepEqual([facts.starttlsReply?.code, facts.failure], [454, null]);
    assert.deepEqual(commands(smtp), [['EHLO probe.test', 'STARTTLS', 'QUIT']]);
    assert.deepEqual(said, [connected(smtp), GREETING, 'C: EHLO probe.test', ...EHLO_REPLY, 'C: STARTTLS', 'S: 454 4.7.0 TLS not available due to local problem', ...BYE]);
  });

  test('530 to EHLO: STARTTLS asked although not advertised, EHLO again over TLS', async () => {
    const refusal = '530 5.7.0 Must issue a STARTTLS command first';
    const { facts, smtp, said } = await probe({ tls: pki.certs.valid, replies: { EHLO: [refusal] }, tlsReplies: { EHLO: ['250-fake.test', '250 PIPELINING'] } });
    assert.deepEqual([facts.tlsRequiredReply?.code, facts.ehlo, facts.ehloTls], [530, null, ['PIPELINING']]);
    assert.deepEqual(commands(smtp), [['EHLO probe.test', 'STARTTLS', 'EHLO probe.test', 'QUIT']]);
    assert.deepEqual(said, [
      connected(smtp),
      GREETING,
      'C: EHLO probe.test',
      `S: ${refusal}`,
      'C: STARTTLS',
      'S: 220 2.0.0 Ready to start TLS',
      TLS13,
      'C: EHLO probe.test',
      'S: 250-fake.test',
      'S: 250 PIPELINING',
      ...BYE,
    ]);
  });

  test('implicit TLS: the handshake first, then greeting, EHLO and QUIT over TLS', async () => {
    const { facts, smtp, said } = await probe({ tls: pki.certs.valid, implicitTls: true }, { tlsMode: 'implicit' });
    assert.equal(facts.failure, null);
    assert.deepEqual(commands(smtp), [['EHLO probe.test', 'QUIT']]);
    assert.deepEqual(said, [connected(smtp, true), TLS13, GREETING, 'C: EHLO probe.test', ...EHLO_REPLY_TLS, ...BYE]);
  });

  test('the modern re-check: a second connection up to its handshake, which a TLS 1.1 server fails', async () => {
    const { facts, smtp, said } = await probe({ tls: { ...pki.certs.valid, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } });
    assert.equal(facts.tls?.protocol, 'TLSv1.1');
    assert.equal(facts.modernTls?.ok, false);
    assert.deepEqual(commands(smtp), [
      ['EHLO probe.test', 'STARTTLS', 'EHLO probe.test', 'QUIT'],
      ['EHLO probe.test', 'STARTTLS'],
    ]);
    assert.deepEqual(said, [
      connected(smtp),
      GREETING,
      'C: EHLO probe.test',
      ...EHLO_REPLY,
      'C: STARTTLS',
      'S: 220 2.0.0 Ready to start TLS',
      `*: TLS established: TLSv1.1 ${facts.tls?.cipher}`,
      'C: EHLO probe.test',
      ...EHLO_REPLY_TLS,
      ...BYE,
      '*: second connection: the handshake of a sender with current TLS defaults (TLS 1.2 or later, OpenSSL security level 2)',
      GREETING,
      'C: EHLO probe.test',
      ...EHLO_REPLY,
      'C: STARTTLS',
      'S: 220 2.0.0 Ready to start TLS',
      `*: current defaults: ${facts.modernTls?.error}`,
    ]);
  });

  test('QUIT without 221: the server just closes; the transcript ends at QUIT and no fact changes', async () => {
    const { facts, smtp, said } = await probe({ tls: pki.certs.valid, replies: { QUIT: [] } });
    assert.equal(facts.failure, null);
    assert.deepEqual(facts.ehloTls, ['PIPELINING', 'SIZE 10240000', '8BITMIME']);
    assert.deepEqual(commands(smtp), [['EHLO probe.test', 'STARTTLS', 'EHLO probe.test', 'QUIT']]);
    assert.deepEqual(said.slice(-6), ['C: EHLO probe.test', ...EHLO_REPLY_TLS, 'C: QUIT']);
  });

  test('a refused greeting: the refusal, why the probe stopped, then a polite QUIT', async () => {
    const { facts, smtp, said } = await probe({ banner: ['554 5.7.1 No SMTP service here'] });
    assert.deepEqual(facts.failure, { stage: 'banner', kind: 'rejected', message: 'server refused the session with 554 5.7.1 No SMTP service here' });
    assert.deepEqual(commands(smtp), [['QUIT']]);
    assert.deepEqual(said, [connected(smtp), 'S: 554 5.7.1 No SMTP service here', '*: server refused the session with 554 5.7.1 No SMTP service here', ...BYE]);
  });
});
