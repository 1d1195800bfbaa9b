// Aborting a probe (ProbeOptions.signal): wherever it waits, an abort ends the wait at once,
// destroys its sockets and returns the facts so far with a failure of kind `aborted`, which the
// judge treats as undetermined, never as the server's fault. Against fake servers on loopback,
// each made to hang at one stage of the dialogue.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { startFakeSmtp, type FakeSmtpOptions, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { probeAddress, type ProbeOptions } from '../../src/probe/probe-address.ts';
import { makeTrustStore } from '../../src/cert/trust-store.ts';
import { judgeAddress } from '../../src/judge/judge-address.ts';
import type { ProbeStage } from '../../src/model/smtp.ts';

/** A bound on how long an abort may take to return: generous, the work itself is a few ms. */
const ABORT_RETURN_MS = 1000;

let pki: TestPki;
let options: Omit<ProbeOptions, 'signal'>;
before(async () => {
  pki = await makeTestPki();
  // Long deadlines: only the abort may end these probes.
  options = { timeoutMs: 30_000, connectTimeoutMs: 10_000, ehloName: 'probe.test', trust: makeTrustStore([pki.rootPem]) };
});

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

interface Hang {
  stage: ProbeStage;
  fake: () => FakeSmtpOptions;
  tlsMode?: 'implicit';
  /** The server has reached the point where it hangs. */
  reached: (smtp: FakeSmtpServer) => boolean;
}

const commands = (smtp: FakeSmtpServer, n = 0) => smtp.sessions[n]?.commands ?? [];
const HANGS: Hang[] = [
  { stage: 'banner', fake: () => ({ behaviour: 'silent' }), reached: (s) => s.connections === 1 },
  { stage: 'ehlo', fake: () => ({ replies: { EHLO: [] } }), reached: (s) => commands(s).some((c) => c.startsWith('EHLO')) },
  { stage: 'starttls', fake: () => ({ tls: pki.certs.valid, replies: { STARTTLS: [] } }), reached: (s) => commands(s).includes('STARTTLS') },
  // A 220 to STARTTLS with nothing behind it: the ClientHello is never answered.
  { stage: 'handshake', fake: () => ({ behaviour: 'mute-after-starttls' }), reached: (s) => commands(s).includes('STARTTLS') },
  { stage: 'ehlo-tls', fake: () => ({ tls: pki.certs.valid, behaviour: 'silent-after-tls' }), reached: (s) => commands(s).filter((c) => c.startsWith('EHLO')).length === 2 },
  {
    stage: 'modern-tls',
    // TLS 1.1 leaves doubt, so a second connection checks it; that one is never greeted.
    fake: () => ({ tls: { ...pki.certs.valid, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, sessionBehaviours: ['normal', 'silent'] }),
    reached: (s) => s.connections === 2,
  },
  { stage: 'handshake', tlsMode: 'implicit', fake: () => ({ tls: pki.certs.valid, implicitTls: true, behaviour: 'silent' }), reached: (s) => s.connections === 1 },
  { stage: 'banner', tlsMode: 'implicit', fake: () => ({ tls: pki.certs.valid, implicitTls: true, behaviour: 'silent-after-tls' }), reached: (s) => s.sessions[0]?.tls === true },
];

// One at a time: the socket and timer counts are the whole process's.
describe('an aborted probe ends at once, at every stage it waits in', { concurrency: 1 }, () => {
  for (const hang of HANGS) {
    test(`${hang.tlsMode ?? 'starttls'}: aborted while waiting in ${hang.stage}`, async () => {
      const smtp = await startFakeSmtp(hang.fake());
      const baseline = { sockets: sockets(), timers: timers() };
      try {
        const controller = new AbortController();
        const probing = probeAddress(
          { host: 'mx.test', ip: smtp.host, family: 4, port: smtp.port },
          { ...options, ...(hang.tlsMode !== undefined ? { tlsMode: hang.tlsMode } : {}), signal: controller.signal },
        );
        await waitFor(`the server to hang in ${hang.stage}`, () => hang.reached(smtp));
        await new Promise((resolve) => setTimeout(resolve, 100)); // and the probe to wait there
        const abortedAt = performance.now();
        controller.abort();
        const facts = await probing;
        const took = performance.now() - abortedAt;
        assert.ok(took < ABORT_RETURN_MS, `returned ${Math.round(took)} ms after the abort`);
        assert.equal(facts.failure?.kind, 'aborted', JSON.stringify(facts.failure));
        assert.equal(facts.failure?.stage, hang.stage);
        assert.match(facts.failure?.message ?? '', /aborted/);
        // Undetermined, and nothing blames the server.
        const judged = judgeAddress(facts, { required: ['tls-required'], warnDays: 30 }, new Date());
        assert.equal(judged.level, null);
        assert.deepEqual(judged.problems.filter((p) => p.severity === 'error'), []);
        // No socket left open: the server sees every connection closed, and this process holds none.
        await waitFor('the server to see every connection closed', () => smtp.open === 0, 2000);
        await waitFor('the client sockets to be released', () => sockets() <= baseline.sockets, 2000);
        assert.ok(timers() <= baseline.timers, `timers left: ${timers()} > ${baseline.timers}`);
      } finally {
        await smtp.close();
      }
    });
  }

  test('aborted while connecting, and aborted before starting: no connection is left or made', async () => {
    const smtp = await startFakeSmtp({ tls: pki.certs.valid });
    try {
      const baseline = sockets();
      const controller = new AbortController();
      const probing = probeAddress({ host: 'mx.test', ip: smtp.host, family: 4, port: smtp.port }, { ...options, signal: controller.signal });
      controller.abort(); // the TCP connection is still being made
      const facts = await probing;
      assert.deepEqual([facts.failure?.stage, facts.failure?.kind], ['connect', 'aborted']);
      assert.equal(facts.connected, false);
      await waitFor('the server to see every connection closed', () => smtp.open === 0, 2000);
      await waitFor('the client sockets to be released', () => sockets() <= baseline, 2000);

      const before = smtp.connections;
      const early = await probeAddress({ host: 'mx.test', ip: smtp.host, family: 4, port: smtp.port }, { ...options, signal: AbortSignal.abort() });
      assert.deepEqual([early.failure?.stage, early.failure?.kind], ['connect', 'aborted']);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(smtp.connections, before, 'no connection made');
    } finally {
      await smtp.close();
    }
  });

  test('one signal for many probes: each takes its abort listener away when it ends', async () => {
    const smtp = await startFakeSmtp({ tls: pki.certs.valid });
    try {
      const controller = new AbortController();
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.message);
      process.on('warning', onWarning);
      for (let i = 0; i < 20; i++) {
        const facts = await probeAddress({ host: 'mx.test', ip: smtp.host, family: 4, port: smtp.port }, { ...options, signal: controller.signal });
        assert.equal(facts.failure, null);
      }
      await new Promise((resolve) => setImmediate(resolve));
      process.off('warning', onWarning);
      assert.deepEqual(warnings.filter((w) => /abort listeners|memory leak/i.test(w)), []);
      assert.equal(smtp.connections, 20);
    } finally {
      await smtp.close();
    }
  });
});
