// The judge's DNS rules, over gathered facts: each fact of the DNS side (special-purpose or
// filtered addresses, IP-literal and invalid MX targets, caps, malformed answers, deadlines)
// gives its problem, and the outcome decides the verdict — a domain with no usable MX target
// fails, one whose addresses were only filtered or not reached is undetermined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { PROBLEMS } from '../../src/judge/problem-catalogue.ts';
import { LEVELS } from '../../src/model/levels.ts';
import type { DnsQueryFacts } from '../../src/model/dns.ts';
import type { DomainFacts, SkippedAddress } from '../../src/model/domain.ts';
import { addressFacts, domainFacts, mxHost, NOW, requirement } from '../helpers/facts.ts';

const ENCRYPT = { required: ['tls-required'] as const, warnDays: 30 };
const query = (q: Partial<DnsQueryFacts>): DnsQueryFacts => ({
  name: 'example.com', type: 'MX', rcode: 'NOERROR', authenticated: false, cnames: [], answers: [], server: '127.0.0.1:53', ms: 1, ...q,
});
const special = (ip: string, range: string, family: 4 | 6 = 4): SkippedAddress => ({ ip, family, reason: 'special-purpose', range, block: 'x' });
const codes = (facts: DomainFacts) => judgeDomain(facts, ENCRYPT, NOW).problems.map((p) => p.code);

test('the new codes are catalogued with the severities the rules rely on', () => {
  assert.equal(PROBLEMS.MX_IP_LITERAL.severity, 'error');
  assert.equal(PROBLEMS.MX_ADDRESS_SPECIAL.severity, 'error');
  assert.equal(PROBLEMS.DNS_MALFORMED.severity, 'error');
  assert.equal(PROBLEMS.MX_LIMIT_REACHED.severity, 'warning');
  assert.equal(PROBLEMS.ADDRESSES_FILTERED.severity, 'warning');
});

test('only special-purpose addresses: MX_ADDRESS_SPECIAL naming each with its range, the domain fails', () => {
  const facts = domainFacts({ outcome: 'no-mail-host', mx: [mxHost('mx.example.com', 10, [], { skipped: [special('127.0.0.1', 'loopback'), special('fe80::1', 'link-local', 6)] })] });
  const r = judgeDomain(facts, ENCRYPT, NOW);
  assert.equal(r.pass, false);
  assert.equal(r.level, null);
  assert.deepEqual(r.problems.map((p) => [p.code, p.severity, p.host]), [['MX_ADDRESS_SPECIAL', 'error', 'mx.example.com']]);
  assert.equal(r.problems[0]?.message, 'The MX host mx.example.com resolves to special-purpose addresses senders cannot use: 127.0.0.1 (loopback), fe80::1 (link-local); not probed.');
  assert.deepEqual(r.policies.slice(0, 4).map((p) => p.delivered), ['no', 'no', 'no', 'no']);
});

test('a special-purpose address next to a good one: reported, and shown as a warning under a PASS', () => {
  const facts = domainFacts({ mx: [mxHost('mx.example.com', 10, [addressFacts()], { skipped: [special('10.0.0.1', 'private-use')] })] });
  const r = judgeDomain(facts, ENCRYPT, NOW);
  assert.equal(r.pass, true);
  assert.deepEqual(r.problems.map((p) => [p.code, p.severity]), [['MX_ADDRESS_SPECIAL', 'warning']]);
});

test('IP-literal and invalid MX targets: MX_IP_LITERAL and DNS_MALFORMED; with nothing else the domain fails', () => {
  const facts = domainFacts({
    outcome: 'no-mail-host',
    mx: [
      mxHost('192.0.2.1', 10, [], { unusable: { kind: 'ip-literal', detail: 'an IP address (192.0.2.1) where a host name belongs' } }),
      mxHost('mx_.example.com', 20, [], { unusable: { kind: 'invalid-name', detail: 'the label "mx_" …' } }),
    ],
  });
  const r = judgeDomain(facts, ENCRYPT, NOW);
  assert.equal(r.pass, false);
  assert.deepEqual(r.problems.map((p) => p.code), ['MX_IP_LITERAL', 'DNS_MALFORMED']);
  assert.equal(r.problems[0]?.message, 'The MX record "10 192.0.2.1" of example.com names an IP address (192.0.2.1) where a host name belongs; senders refuse it, and mxprobe did not probe it.');
});

test('filtered by -4/-6 only: ADDRESSES_FILTERED (warning), undetermined — never "has no address"', () => {
  const facts = domainFacts({ outcome: 'not-probed', mx: [mxHost('mx.example.com', 10, [], { skipped: [{ ip: '192.0.2.1', family: 4, reason: 'family' }] })] });
  const r = judgeDomain(facts, ENCRYPT, NOW);
  assert.equal(r.pass, null);
  assert.deepEqual(r.problems.map((p) => [p.code, p.severity]), [['ADDRESSES_FILTERED', 'warning']]);
  assert.equal(r.problems[0]?.message, 'The MX host mx.example.com has only 1 IPv4 address (192.0.2.1), not probed because of -6.');
  const some = domainFacts({ mx: [mxHost('mx.example.com', 10, [addressFacts()], { skipped: [{ ip: '2001:db8::1', family: 6, reason: 'family' }, { ip: '2001:db8::2', family: 6, reason: 'family' }] })] });
  assert.equal(judgeDomain(some, ENCRYPT, NOW).problems[0]?.message, 'The MX host mx.example.com has 2 IPv6 addresses (2001:db8::1, 2001:db8::2), not probed because of -4.');
});

test('caps: MX_LIMIT_REACHED for the hosts beyond the cap (domain) and the addresses beyond it (host)', () => {
  const facts = domainFacts({
    mxLimit: { found: 12, probed: 10 },
    mx: [mxHost('mx.example.com', 10, [addressFacts()], { skipped: [{ ip: '192.0.2.99', family: 4, reason: 'limit' }] })],
  });
  const r = judgeDomain(facts, ENCRYPT, NOW);
  assert.deepEqual(r.problems.map((p) => [p.code, p.severity, p.host ?? null]), [
    ['MX_LIMIT_REACHED', 'warning', null],
    ['MX_LIMIT_REACHED', 'warning', 'mx.example.com'],
  ]);
  assert.equal(r.problems[0]?.message, 'example.com publishes 12 MX hosts; mxprobe probed the 10 most preferred and not the other 2.');
  assert.equal(r.problems[1]?.message, 'The MX host mx.example.com has 2 addresses to probe; mxprobe probed 1 and not 192.0.2.99.');
  assert.equal(r.pass, true);
});

test('malformed answers: DNS_MALFORMED with what was wrong, for the MX query and for a host, even beside good addresses', () => {
  const mxBroken = domainFacts({ outcome: 'dns-failure', mx: [], dns: [query({ rcode: 'MALFORMED', error: 'the A record … has 3 bytes of data, not 4' })] });
  const r = judgeDomain(mxBroken, ENCRYPT, NOW);
  assert.equal(r.pass, null);
  assert.deepEqual(r.problems.map((p) => p.message), ['The MX look-up for example.com gave a malformed answer: the A record … has 3 bytes of data, not 4.']);

  const hostBroken = domainFacts({
    dns: [query({ answers: ['10 mx.example.com'] }), query({ name: 'mx.example.com', type: 'A' }), query({ name: 'mx.example.com', type: 'AAAA', rcode: 'MALFORMED', error: 'bad' })],
  });
  assert.deepEqual(codes(hostBroken), ['DNS_MALFORMED']);
  const noAddress = domainFacts({ outcome: 'dns-failure', mx: [mxHost('mx.example.com', 10, [])], dns: [...hostBroken.dns] });
  assert.deepEqual(codes(noAddress), ['DNS_MALFORMED'], 'not also MX_HOST_NO_ADDRESS');
});

test('a look-up stopped by the domain deadline says so', () => {
  const facts = domainFacts({
    outcome: 'dns-failure',
    mx: [mxHost('mx.example.com', 10, [])],
    dns: [query({ answers: ['10 mx.example.com'] }), query({ name: 'mx.example.com', type: 'A', rcode: 'TIMEOUT', error: "the domain's deadline of 12 s for DNS look-ups, 4 × --dns-timeout, passed" })],
  });
  assert.deepEqual(judgeDomain(facts, ENCRYPT, NOW).problems.map((p) => p.message), [
    "The A look-up for MX host mx.example.com failed: TIMEOUT (the domain's deadline of 12 s for DNS look-ups, 4 × --dns-timeout, passed).",
  ]);
});

test('the outcome rule, at every required level: no usable MX target fails; filtered, cut or failed look-ups are undetermined', () => {
  const cases: Array<[DomainFacts['outcome'], boolean | null]> = [
    ['no-mail-host', false],
    ['nxdomain', false],
    ['null-mx', false],
    ['not-probed', null],
    ['dns-failure', null],
  ];
  for (const required of LEVELS) {
    for (const [outcome, pass] of cases) {
      const r = judgeDomain(domainFacts({ outcome, mx: [mxHost('mx.example.com', 10, [])] }), { required: requirement(required), warnDays: 30 }, NOW);
      assert.equal(r.pass, pass, `${outcome} at ${required}`);
    }
  }
});
