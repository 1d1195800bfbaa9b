// The library's main calls with their defaults, as a user calls them: probeDomain,
// probeServer, probeAddress and resolveMailHosts with options left out (port 25 aside: the
// fake server listens on a loopback port), judgeDomain and judgeAddress with a partial policy,
// the renderers with no options. Options out of range are a RangeError at once, never a probe
// made with them. Loopback only: DNS is replayed in process; nothing here asks the system's
// DNS (the default resolver is made, never asked).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { probeAddress } from '../../src/probe/probe-address.ts';
import { probeDomain, probeServer } from '../../src/probe/probe-domain.ts';
import { PROBE_DEFAULTS, probeOptions, defaultTrustStore } from '../../src/probe/probe-defaults.ts';
import { ReplayResolver } from '../../src/dns/replay-resolver.ts';
import { resolveMailHosts } from '../../src/dns/resolve-mail-hosts.ts';
import { defaultResolver } from '../../src/dns/default-resolver.ts';
import { DnsResolver } from '../../src/dns/resolver.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { judgeAddress } from '../../src/judge/judge-address.ts';
import { DEFAULT_JUDGE_POLICY } from '../../src/judge/judge-policy.ts';
import { renderText } from '../../src/render/text.ts';
import { renderJson } from '../../src/render/json.ts';
import { renderHeadersText } from '../../src/render/headers-text.ts';
import { analyseMessages } from '../../src/headers/analyse.ts';
import type { DomainFacts } from '../../src/model/domain.ts';
import { startFakeSmtp, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';

let pki: TestPki;
let smtp: FakeSmtpServer;
before(async () => {
  pki = await makeTestPki();
  smtp = await startFakeSmtp({ tls: pki.certs.valid });
});
after(() => smtp.close());

const zone = () =>
  new ReplayResolver({
    'example.test': { MX: [{ preference: 10, exchange: 'mx.test' }] },
    'mx.test': { A: ['127.0.0.1'] },
  });

const ANSI = /\u001b\[/;

describe('probing with defaults', () => {
  test('probeDomain with only the port and allowSpecialAddresses: the rest are the defaults, and it probes', async () => {
    const facts = await probeDomain('Ops@Example.TEST', 'example.test', zone(), { port: smtp.port, allowSpecialAddresses: true });
    assert.equal(facts.outcome, 'probed');
    assert.equal(facts.input, 'Ops@Example.TEST');
    const address = facts.mx[0]?.addresses[0];
    assert.ok(address !== undefined);
    assert.equal(address.failure, null, JSON.stringify(address.failure));
    assert.equal(address.tlsMode, 'starttls');
    assert.ok(address.tls !== null && address.tls.protocol.startsWith('TLSv1'));
    // EHLO with the address literal of the local end (ehloName null by default).
    assert.ok(smtp.sessions.some((s) => s.commands.includes('EHLO [127.0.0.1]')), JSON.stringify(smtp.sessions.map((s) => s.commands)));
  });

  test('probeDomain with no options: both families, port 25, the default trust store; nothing probed off loopback', async () => {
    // A zone whose only address is special-purpose: with the defaults it is left out, never probed.
    const facts = await probeDomain('example.test', 'example.test', zone());
    assert.equal(facts.outcome, 'no-mail-host');
    assert.deepEqual(facts.mx[0]?.skipped?.map((s) => [s.ip, s.reason]), [['127.0.0.1', 'special-purpose']]);
  });

  test('probeServer with a host and a port only; the name defaults to the host', async () => {
    const facts = await probeServer({ host: '127.0.0.1', port: smtp.port });
    assert.equal(facts.domain, '127.0.0.1');
    assert.equal(facts.input, `127.0.0.1:${smtp.port}`);
    assert.equal(facts.mx[0]?.addresses[0]?.failure, null);
    assert.equal(facts.mx[0]?.addresses[0]?.certificate?.chain[0]?.commonNames[0], 'mx.test');
  });

  test('probeAddress with no options', async () => {
    const facts = await probeAddress({ host: 'mx.test', ip: '127.0.0.1', family: 4, port: smtp.port });
    assert.equal(facts.failure, null);
    assert.ok(facts.tls !== null);
    assert.equal(facts.tls.sni, 'mx.test');
  });

  test('resolveMailHosts with the resolver only: both families', async () => {
    const found = await resolveMailHosts('example.test', zone(), undefined, { allowSpecialAddresses: true });
    assert.deepEqual(found.hosts[0]?.addresses, [{ ip: '127.0.0.1', family: 4 }]);
  });

  test('the defaults are the CLI defaults; the default trust store and resolver are made once', async () => {
    assert.deepEqual({ ...PROBE_DEFAULTS, families: { ...PROBE_DEFAULTS.families } }, {
      port: 25,
      parallel: 8,
      timeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      families: { ipv4: true, ipv6: true },
    });
    const options = probeOptions();
    assert.equal(options.ehloName, null);
    assert.equal(options.trust, defaultTrustStore());
    assert.equal(probeOptions({ timeoutMs: 4_000 }).connectTimeoutMs, 4_000, 'the connection deadline never exceeds the overall one');
    const resolver = await defaultResolver();
    assert.ok(resolver instanceof DnsResolver);
    assert.equal(resolver.timeoutMs, 3_000);
    assert.equal(await defaultResolver(), resolver);
  });

  test('an option out of range is a RangeError, and nothing is probed', async () => {
    const before = smtp.connections;
    const target = { host: 'mx.test', ip: '127.0.0.1', family: 4 as const, port: smtp.port };
    await assert.rejects(probeAddress(target, { timeoutMs: 0 }), { name: 'RangeError', message: /timeoutMs must be a number from 1 up, not 0/ });
    await assert.rejects(probeAddress(target, { connectTimeoutMs: Number.NaN }), { name: 'RangeError', message: /connectTimeoutMs/ });
    await assert.rejects(probeDomain('example.test', 'example.test', zone(), { port: 0 }), { name: 'RangeError', message: /port must be an integer from 1 to 65535, not 0/ });
    await assert.rejects(probeDomain('example.test', 'example.test', zone(), { port: 70_000 }), { name: 'RangeError', message: /port/ });
    await assert.rejects(probeDomain('example.test', 'example.test', zone(), { parallel: 0 }), { name: 'RangeError', message: /parallel/ });
    await assert.rejects(probeDomain('example.test', 'example.test', zone(), { parallel: 1.5 }), { name: 'RangeError', message: /parallel/ });
    await assert.rejects(probeServer({ host: '127.0.0.1', port: -1 }), { name: 'RangeError', message: /port/ });
    assert.equal(smtp.connections, before);
  });
});

describe('judging and rendering with defaults', () => {
  let facts: DomainFacts;
  before(async () => {
    facts = await probeDomain('example.test', 'example.test', zone(), { port: smtp.port, allowSpecialAddresses: true, probe: { trust: defaultTrustStore() } });
  });

  test('judgeDomain with an empty policy: --require encrypt (policy c) and --warn-days 30', () => {
    const now = new Date();
    const result = judgeDomain(facts, {}, now);
    assert.deepEqual(result, judgeDomain(facts, { required: ['tls-required'], warnDays: 30 }, now));
    assert.deepEqual(DEFAULT_JUDGE_POLICY, { required: ['tls-required'], warnDays: 30 });
    assert.equal(result.required, 'encrypt');
    assert.equal(result.level, 'encrypt', 'the test CA is not trusted by default');
    assert.equal(result.pass, true);
    // A partial policy keeps the other default.
    const strict = judgeDomain(facts, { required: ['verify'] }, now);
    assert.equal(strict.pass, false);
    const address = facts.mx[0]?.addresses[0];
    assert.ok(address !== undefined);
    assert.deepEqual(judgeAddress(address, {}, now), judgeAddress(address, { required: ['tls-required'], warnDays: 30 }, now));
  });

  test('judging at another moment: a year on, the certificate has expired', () => {
    const inAYear = new Date(Date.now() + 366 * 86_400_000);
    const result = judgeDomain(facts, {}, inAYear);
    const codes = (result.mx[0]?.addresses[0]?.problems ?? []).map((p) => p.code);
    assert.ok(codes.includes('CERT_EXPIRED'), codes.join(' '));
  });

  test('a policy or a moment that is no such thing is a RangeError, never a verdict', () => {
    const now = new Date();
    assert.throws(() => judgeDomain(facts, { required: [] }, now), { name: 'RangeError', message: /required must list one or more sender policy ids/ });
    assert.throws(() => judgeDomain(facts, { required: 'verify' as never }, now), { name: 'RangeError' });
    assert.throws(() => judgeDomain(facts, { required: ['encrypt' as never] }, now), { name: 'RangeError', message: /parseRequirement/ });
    assert.throws(() => judgeDomain(facts, { warnDays: Number.NaN }, now), { name: 'RangeError', message: /warnDays/ });
    assert.throws(() => judgeDomain(facts, {}, new Date('not a date')), { name: 'RangeError', message: /now must be a valid Date/ });
    const address = facts.mx[0]?.addresses[0];
    assert.ok(address !== undefined);
    assert.throws(() => judgeAddress(address, {}, new Date(Number.NaN)), { name: 'RangeError' });
  });

  test('the renderers with no options: no colour, no transcripts, the width of a file', () => {
    const result = judgeDomain(facts, {}, new Date());
    const text = renderText([result]);
    assert.equal(text, renderText([result], { colorLevel: 0, transcript: false, columns: 160 }));
    assert.doesNotMatch(text, ANSI);
    assert.match(text, /^PASS example\.test: level encrypt \(required: encrypt\)/);
    assert.equal(renderJson([result]), renderJson([result], { transcript: false }));
    assert.equal(JSON.parse(renderJson([result])).domains[0].mx[0].addresses[0].transcript, undefined);
    const report = analyseMessages('Received: from a.example (a.example [192.0.2.1]) by b.example (Postfix) with ESMTPS id X; Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n');
    assert.equal(renderHeadersText(report), renderHeadersText(report, { colorLevel: 0 }));
    assert.doesNotMatch(renderHeadersText(report), ANSI);
  });
});
