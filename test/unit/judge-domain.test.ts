import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import type { JudgePolicy } from '../../src/judge/judge-address.ts';
import { allProblems } from '../../src/judge/all-problems.ts';
import { withInputWarning } from '../../src/judge/invalid-input.ts';
import type { DnsQueryFacts } from '../../src/model/dns.ts';
import { addressFacts, certFacts, certInfo, domainFacts, intermediate, mxHost, NOW, plainAddress, requirement, root } from '../helpers/facts.ts';

const ENCRYPT = { required: ['tls-required'] as const, warnDays: 30 };
const VERIFY = { required: ['verify'] as const, warnDays: 30 };
const query = (q: Partial<DnsQueryFacts>): DnsQueryFacts => ({
  name: 'example.com', type: 'MX', rcode: 'NOERROR', authenticated: false, cnames: [], answers: [], server: '127.0.0.1:53', ms: 1, ...q,
});
const unreachable = plainAddress({ connected: false, banner: null, ehlo: null, failure: { stage: 'connect', kind: 'connect', message: 'refused' } });

test('one verify-grade MX: verify, passes encrypt and verify', () => {
  const r = judgeDomain(domainFacts(), VERIFY, NOW);
  assert.equal(r.level, 'verify');
  assert.equal(r.pass, true);
  assert.equal(r.required, 'verify');
  assert.deepEqual(r.problems, []);
});

test('the domain level is the lowest over every address of every MX host', () => {
  const facts = domainFacts({
    mx: [mxHost('mx1.example.com', 10, [addressFacts()]), mxHost('mx2.example.com', 20, [addressFacts({ ip: '192.0.2.20' }), plainAddress({ ip: '192.0.2.21' })])],
  });
  const r = judgeDomain(facts, ENCRYPT, NOW);
  assert.equal(r.level, 'none');
  assert.equal(r.pass, false);
  assert.deepEqual(r.mx.flatMap((h) => h.addresses.map((a) => a.level)), ['encrypt', 'encrypt', 'none']);
  // mx2's addresses are judged against mx2's name, which the certificate does not cover
  assert.ok(allProblems(r).some((p) => p.code === 'CERT_NAME_MISMATCH' && p.host === 'mx2.example.com'));
  assert.ok(allProblems(r).some((p) => p.code === 'STARTTLS_NOT_OFFERED' && p.ip === '192.0.2.21'));
});

test('unreachable addresses are problems but do not set the level', () => {
  const facts = domainFacts({ mx: [mxHost('mx.example.com', 10, [addressFacts(), { ...unreachable, ip: '192.0.2.99' }])] });
  const r = judgeDomain(facts, VERIFY, NOW);
  assert.equal(r.level, 'verify');
  assert.equal(r.pass, true);
  assert.deepEqual(allProblems(r).map((p) => p.code), ['CONNECT_FAILED']);
});

test('nothing reachable: level unknown, pass null (exit 3)', () => {
  const r = judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [unreachable])] }), ENCRYPT, NOW);
  assert.equal(r.level, null);
  assert.equal(r.pass, null);
  assert.ok(r.policies.every((p) => p.delivered === 'unknown'));
});

test('NXDOMAIN: fails with DNS_NXDOMAIN', () => {
  const r = judgeDomain(domainFacts({ outcome: 'nxdomain', mx: [], dns: [query({ rcode: 'NXDOMAIN' })] }), ENCRYPT, NOW);
  assert.deepEqual(r.problems.map((p) => p.code), ['DNS_NXDOMAIN']);
  assert.equal(r.level, null);
  assert.equal(r.pass, false);
  assert.ok(r.policies.every((p) => p.delivered === 'no'));
});

test('null MX: fails with NULL_MX, even when only plaintext is required', () => {
  const r = judgeDomain(domainFacts({ outcome: 'null-mx', mx: [], dns: [query({ answers: ['0 .'] })] }), { required: ['plain'], warnDays: 30 }, NOW);
  assert.deepEqual(r.problems.map((p) => p.code), ['NULL_MX']);
  assert.equal(r.pass, false);
});

test('SERVFAIL on MX: DNS_FAILURE, undetermined', () => {
  const r = judgeDomain(domainFacts({ outcome: 'dns-failure', mx: [], dns: [query({ rcode: 'SERVFAIL' })] }), ENCRYPT, NOW);
  assert.deepEqual(r.problems.map((p) => p.code), ['DNS_FAILURE']);
  assert.match(r.problems[0]?.message ?? '', /SERVFAIL/);
  assert.equal(r.pass, null);
});

test('implicit MX and an aliased MX host are reported; an MX host without address too', () => {
  const facts = domainFacts({
    mx: [
      mxHost('example.com', 0, [addressFacts({ certificate: certFacts([certInfo({ san: ['DNS:example.com'] }), intermediate(), root()], null) })], { implicit: true, cnames: ['real.example.net'] }),
      mxHost('ghost.example.com', 20, []),
    ],
    dns: [query({}), query({ name: 'ghost.example.com', type: 'A', rcode: 'NXDOMAIN' })],
  });
  const r = judgeDomain(facts, VERIFY, NOW);
  assert.deepEqual(r.problems.map((p) => p.code), ['IMPLICIT_MX', 'MX_CNAME', 'MX_HOST_NO_ADDRESS']);
  assert.equal(r.level, 'verify');
});

test('an MX host whose address look-up failed is a DNS failure for that host', () => {
  const facts = domainFacts({
    mx: [mxHost('mx.example.com', 10, [addressFacts()]), mxHost('broken.example.com', 20, [])],
    dns: [query({}), query({ name: 'broken.example.com', type: 'A', rcode: 'SERVFAIL' })],
  });
  const r = judgeDomain(facts, ENCRYPT, NOW);
  assert.equal(r.problems[0]?.code, 'DNS_FAILURE');
  assert.equal(r.problems[0]?.host, 'broken.example.com');
});

test('--require none passes a plaintext-only domain', () => {
  const r = judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [plainAddress()])] }), { required: ['plain'], warnDays: 30 }, NOW);
  assert.equal(r.level, 'none');
  assert.equal(r.pass, true);
});

/** The policy rows of a domain with one MX host and these addresses. */
function policyRows(addresses: ReturnType<typeof addressFacts>[], required: JudgePolicy = ENCRYPT) {
  const facts = domainFacts({ mx: [mxHost('mx.example.com', 10, addresses.map((a, i) => ({ ...a, ip: `192.0.2.${i + 1}` })))] });
  // The FAQs' rows (a)–(d): these facts carry no DNSSEC or MTA-STS (rows (e) and (f): test/integration/dane-mta-sts-cli.test.ts and the DANE case below).
  return judgeDomain(facts, required, NOW).policies.slice(0, 4);
}
const encryptOnly = addressFacts({ certificate: certFacts([certInfo({ san: ['DNS:other.example'] }), intermediate(), root()], null) });

test('sender policies: all verify', () => {
  assert.deepEqual(policyRows([addressFacts(), addressFacts()]).map((p) => [p.policy, p.id, p.delivered, p.encrypted, p.authenticated, p.satisfied]), [
    ['a', 'plain', 'yes', 'no', 'no', true],
    ['b', 'opportunistic', 'yes', 'yes', 'no', true],
    ['c', 'tls-required', 'yes', 'yes', 'no', true],
    ['d', 'verify', 'yes', 'yes', 'yes', true],
  ]);
});

test('sender policies: one MX address encrypts, one is plaintext, one unreachable (not counted)', () => {
  assert.deepEqual(policyRows([encryptOnly, plainAddress(), unreachable]).map((p) => [p.policy, p.delivered, p.encrypted, p.authenticated, p.satisfied]), [
    ['a', 'yes', 'no', 'no', true],
    ['b', 'yes', 'partly', 'no', false],
    ['c', 'partly', 'yes', 'no', false],
    ['d', 'no', 'n/a', 'n/a', false],
  ]);
});

test('sender policies: plaintext only', () => {
  assert.deepEqual(policyRows([plainAddress()]).map((p) => [p.policy, p.delivered, p.encrypted, p.satisfied]), [
    ['a', 'yes', 'no', true],
    ['b', 'yes', 'no', false],
    ['c', 'no', 'n/a', false],
    ['d', 'no', 'n/a', false],
  ]);
});

test('sender policies: a server that answers EHLO with 530 takes no plaintext mail: (a) does not deliver, (b) only over TLS', () => {
  const demands = addressFacts({ tlsRequiredReply: { code: 530, lines: ['5.7.0 Must issue a STARTTLS command first'] } });
  const rows = policyRows([demands], { required: requirement('none'), warnDays: 30 });
  assert.deepEqual(rows.map((p) => [p.policy, p.delivered, p.satisfied]), [['a', 'no', false], ['b', 'yes', true], ['c', 'yes', true], ['d', 'yes', true]]);
  const plainToo = policyRows([plainAddress({ tlsRequiredReply: { code: 530, lines: ['no'] } })]);
  assert.deepEqual(plainToo.map((p) => [p.policy, p.delivered]), [['a', 'no'], ['b', 'no'], ['c', 'no'], ['d', 'no']]);
});

test('--require names policies: one or several; pass only when every one is satisfied', () => {
  const facts = domainFacts({ mx: [mxHost('mx.example.com', 10, [encryptOnly])] });
  const judged = (text: string) => judgeDomain(facts, { required: requirement(text), warnDays: 30 }, NOW);
  assert.deepEqual(['none', 'a', 'plain', 'b', 'opportunistic', 'encrypt', 'c', 'TLS-Required', 'verify', 'd', 'b,c', 'c, d', 'd,a'].map((t) => [t, judged(t).pass]), [
    ['none', true], ['a', true], ['plain', true], ['b', true], ['opportunistic', true], ['encrypt', true], ['c', true], ['TLS-Required', true],
    ['verify', false], ['d', false], ['b,c', true], ['c, d', false], ['d,a', false],
  ]);
  assert.deepEqual([judged('encrypt').required, judged('encrypt').requiredPolicies], ['encrypt', ['tls-required']]);
  assert.deepEqual([judged('d,b').required, judged('d,b').requiredPolicies], ['opportunistic,verify', ['opportunistic', 'verify']]);
  assert.deepEqual([judged('a').required, judged('c').required, judged('d').required], ['none', 'encrypt', 'verify'], 'a v1 requirement reads as v1 wrote it');
});

test('the domain keeps its own problems, each address its own: no problem is listed twice, each says its scope', () => {
  const facts = domainFacts({
    mx: [
      mxHost('example.com', 0, [addressFacts({ certificate: certFacts([certInfo({ san: ['DNS:example.com'] }), intermediate(), root()], null) })], { implicit: true }),
      mxHost('mx2.example.com', 20, [plainAddress({ ip: '192.0.2.21' }), { ...unreachable, ip: '192.0.2.22' }]),
    ],
  });
  const r = withInputWarning(judgeDomain(facts, ENCRYPT, NOW), 7, '4 fields where the header has 3');
  assert.deepEqual(r.problems.map((p) => [p.code, p.scope]), [['IMPLICIT_MX', 'host'], ['INPUT_EXTRA_FIELDS', 'input']]);
  const addresses = r.mx.flatMap((h) => h.addresses);
  assert.deepEqual(addresses.map((a) => a.problems.map((p) => [p.code, p.scope, p.host, p.ip])), [
    [],
    [['STARTTLS_NOT_OFFERED', 'address', 'mx2.example.com', '192.0.2.21']],
    [['CONNECT_FAILED', 'address', 'mx2.example.com', '192.0.2.22']],
  ]);
  // Renderers that want the whole list get it from one function: the domain's, the addresses', then the input's.
  assert.deepEqual(allProblems(r).map((p) => p.code), ['IMPLICIT_MX', 'STARTTLS_NOT_OFFERED', 'CONNECT_FAILED', 'INPUT_EXTRA_FIELDS']);
  const json = JSON.stringify(r);
  for (const p of allProblems(r)) assert.equal(json.split(JSON.stringify(p.message)).length - 1, 1, `${p.code} once in the JSON`);
});

test('DANE and MTA-STS facts never move the PKIX level, the address problems of the ladder or the rows (a)–(d)', () => {
  const plain = domainFacts({ mx: [mxHost('mx.example.com', 10, [addressFacts(), plainAddress({ ip: '192.0.2.11' })])] });
  const tlsa = { name: '_25._tcp.mx.example.com', baseDomain: 'mx.example.com', cnames: [], records: [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }], dnssec: 'secure' as const, error: null };
  const filled = {
    ...plain,
    dnssec: { validating: true, mx: 'secure' as const },
    dns: [...plain.dns.map((q) => ({ ...q, dnssec: 'secure' as const })), ...['A', 'AAAA'].map((type) => ({ name: 'mx.example.com', type: type as 'A', rcode: 'NOERROR', authenticated: true, dnssec: 'secure' as const, cnames: [], answers: [], server: null, ms: 1 }))],
    mx: plain.mx.map((h) => ({ ...h, tlsa })),
    mtaSts: { txt: ['v=STSv1; id=20260601'], record: 'v=STSv1; id=20260601', id: '20260601', fetch: null, policy: { version: 'STSv1', mode: 'enforce' as const, mx: ['other.example.com'], maxAge: 86400 }, error: null },
    tlsRpt: { txt: ['v=TLSRPTv1; rua=mailto:tls@example.com'], record: 'v=TLSRPTv1; rua=mailto:tls@example.com', rua: ['mailto:tls@example.com'], error: null },
  };
  const without = judgeDomain(plain, ENCRYPT, NOW);
  const withSlots = judgeDomain(filled, ENCRYPT, NOW);
  assert.equal(withSlots.level, without.level);
  assert.deepEqual(withSlots.policies.slice(0, 4), without.policies.slice(0, 4));
  // The TLSA record matches nothing: DANE_NO_MATCH joins the address, after its level was set.
  const ladder = (r: typeof without) => r.mx.map((h) => h.addresses.map((a) => [a.level, a.problems.filter((p) => !p.code.startsWith('DANE_')).map((p) => p.code)]));
  assert.deepEqual(ladder(withSlots), ladder(without));
  assert.deepEqual(withSlots.mx[0]?.addresses.map((a) => a.dane?.status), ['invalid', 'invalid']);
  assert.ok(withSlots.mx[0]?.addresses[0]?.problems.some((p) => p.code === 'DANE_NO_MATCH'));
  // Absent facts, absent verdicts: a domain probed without them gets no DANE outcome.
  assert.ok(!('mtaSts' in without) && !('tlsRpt' in without) && !('tlsa' in (without.mx[0] ?? {})) && !('dane' in (without.mx[0]?.addresses[0] ?? {})));
});
