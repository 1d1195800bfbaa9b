// Each stage of a probe has its own deadline inside the overall one (src/probe/stage-deadlines.ts):
// a server that stalls in one stage fails that stage at its cap, long before --timeout, and the
// failure names the stage; the overall deadline still bounds a stage whose cap is longer than
// what is left. The caps mxprobe uses are the ones the README documents.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { probeAddress, type ProbeOptions } from '../../src/probe/probe-address.ts';
import { STAGE_CAPS, type StageCaps } from '../../src/probe/stage-deadlines.ts';
import { makeTrustStore } from '../../src/cert/trust-store.ts';
import type { ProbeStage } from '../../src/model/smtp.ts';
import { startFakeSmtp, type FakeSmtpOptions } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { ROOT } from '../helpers/run-cli.ts';

/** The overall deadline of these probes: far beyond every cap under test. */
const OVERALL_MS = 30_000;
/** The cap under test. */
const CAP_MS = 300;
/** A bound, not a benchmark: a stage that stalls must end near its cap, far from OVERALL_MS, on a busy machine too. */
const BOUND_MS = 8_000;

let pki: TestPki;
let options: ProbeOptions;
before(async () => {
  pki = await makeTestPki();
  options = { timeoutMs: OVERALL_MS, connectTimeoutMs: 10_000, ehloName: 'probe.test', trust: makeTrustStore([pki.rootPem]) };
});

async function stalled(fake: FakeSmtpOptions, caps: Partial<StageCaps>, overallMs = OVERALL_MS) {
  const smtp = await startFakeSmtp(fake);
  try {
    const started = performance.now();
    const facts = await probeAddress({ host: 'mx.test', ip: smtp.host, family: 4, port: smtp.port }, { ...options, timeoutMs: overallMs, stageCaps: caps });
    return { facts, ms: performance.now() - started };
  } finally {
    await smtp.close();
  }
}

describe('stage deadlines', { concurrency: true }, () => {
  const cases: Array<{ stage: ProbeStage; cap: keyof StageCaps; fake: () => FakeSmtpOptions; says: RegExp }> = [
    { stage: 'banner', cap: 'greeting', fake: () => ({ behaviour: 'silent' }), says: /^timeout while reading server greeting$/ },
    { stage: 'ehlo', cap: 'command', fake: () => ({ replies: { EHLO: [] } }), says: /^timeout while reading reply to EHLO$/ },
    { stage: 'starttls', cap: 'command', fake: () => ({ tls: pki.certs.valid, replies: { STARTTLS: [] } }), says: /^timeout while reading reply to STARTTLS$/ },
    { stage: 'handshake', cap: 'handshake', fake: () => ({ behaviour: 'mute-after-starttls' }), says: /^timeout during the TLS handshake$/ },
    { stage: 'ehlo-tls', cap: 'command', fake: () => ({ tls: pki.certs.valid, behaviour: 'silent-after-tls' }), says: /^timeout while reading reply to EHLO over TLS$/ },
  ];
  for (const { stage, cap, fake, says } of cases) {
    test(`a server that stalls in ${stage} fails it at the ${cap} cap, not at the overall deadline`, async () => {
      const { facts, ms } = await stalled(fake(), { [cap]: CAP_MS });
      assert.deepEqual([facts.failure?.stage, facts.failure?.kind], [stage, 'timeout'], JSON.stringify(facts.failure));
      assert.match(facts.failure?.message ?? '', says);
      assert.ok(ms >= CAP_MS - 50 && ms < BOUND_MS, `took ${Math.round(ms)} ms`);
      assert.ok((facts.timings[stage] ?? 0) >= CAP_MS - 50, `the stage's own clock: ${JSON.stringify(facts.timings)}`);
    });
  }

  test('each stage gets its own cap: a slow greeting does not use up the time of the EHLO after it', async () => {
    // Every reply comes 400 ms late: within a greeting cap of 2 s and a command cap of 1.5 s each,
    // though the two together take longer than either cap.
    const { facts } = await stalled({ tls: pki.certs.valid, replyDelayMs: 400 }, { greeting: 2000, command: 1500 });
    assert.equal(facts.failure, null, JSON.stringify(facts.failure));
    assert.deepEqual(facts.ehloTls, ['PIPELINING', 'SIZE 10240000', '8BITMIME']);
  });

  test('the overall deadline still bounds a stage whose cap is longer than what is left', async () => {
    const { facts, ms } = await stalled({ behaviour: 'silent' }, {}, 500);
    assert.deepEqual([facts.failure?.stage, facts.failure?.kind], ['banner', 'timeout']);
    assert.ok(ms < BOUND_MS, `took ${Math.round(ms)} ms`);
  });
});

test('the stage caps mxprobe uses are those the README documents', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Stage deadlines'));
  assert.ok(section.length > 0 && readme.includes('### Stage deadlines'), 'README has a "Stage deadlines" section');
  const documented = (what: string): number => {
    const row = new RegExp(`^\\| ${what} \\| (\\d+(?:\\.\\d+)?) s \\|`, 'm').exec(section);
    assert.ok(row, `README row for ${what}`);
    return Number(row[1]) * 1000;
  };
  assert.deepEqual(
    { greeting: documented('greeting'), command: documented('each command'), handshake: documented('TLS handshake'), quit: documented('QUIT') },
    { ...STAGE_CAPS },
  );
});
