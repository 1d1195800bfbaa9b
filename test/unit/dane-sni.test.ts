// RFC 7672 §8.1: a DANE sender sends the TLSA base domain as SNI. The rule that tells when it
// differs from the MX host name (rules/dane-applies.ts daneServerName), the judge reading the
// chain of that handshake (judge/domain-dane.ts) and the batch cache keeping the two apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daneServerName } from '../../src/rules/dane-applies.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { SharedProber } from '../../src/probe/shared-prober.ts';
import type { AddressTarget, ProbeOptions } from '../../src/probe/probe-address.ts';
import type { AddressFacts } from '../../src/model/address.ts';
import type { DaneHandshakeFacts, TlsaFacts, TlsaRecord } from '../../src/model/dane.ts';
import type { DomainFacts } from '../../src/model/domain.ts';
import { addressFacts, certFacts, certInfo, domainFacts, mxHost, NOW } from '../helpers/facts.ts';
import { makeDanePki, opensslTlsaData } from '../helpers/dane-pki.ts';

const ALIAS = 'mxalias.example';
const BASE = 'mx.provider.example';
const record = (over: Partial<TlsaRecord> = {}): TlsaRecord => ({ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32), ...over });
const tlsaAt = (baseDomain: string, over: Partial<TlsaFacts> = {}): TlsaFacts => ({
  name: `_25._tcp.${baseDomain}`, baseDomain, cnames: [], records: [record()], dnssec: 'secure', error: null, ...over,
});

test('daneServerName: the TLSA base domain exactly where DANE authenticates the host and the base is not the MX name', () => {
  const cases: Array<[string, TlsaFacts | undefined, string | null]> = [
    ['secure, usable, base is the CNAME target', tlsaAt(BASE), BASE],
    ['base written in capitals with a root dot', tlsaAt('MX.Provider.Example.'), BASE],
    ['base is the MX host (no CNAME, or nothing at the target)', tlsaAt(ALIAS), null],
    ['base is the MX host in other case', tlsaAt('MXALIAS.example.'), null],
    ['not looked up (address answers not secure)', undefined, null],
    ['insecure TLSA answer', tlsaAt(BASE, { dnssec: 'insecure' }), null],
    ['bogus TLSA answer', tlsaAt(BASE, { dnssec: 'bogus', records: [] }), null],
    ['look-up failed', tlsaAt(BASE, { dnssec: 'indeterminate', records: [], error: 'timeout' }), null],
    ['secure denial (no records)', tlsaAt(BASE, { records: [] }), null],
    ['only records SMTP cannot use (PKIX-EE, unknown selector): Postfix falls back to encrypt', tlsaAt(BASE, { records: [record({ usage: 1 }), record({ selector: 7 })]}), null],
    ['one usable among unusable', tlsaAt(BASE, { records: [record({ usage: 1 }), record({ usage: 2 })] }), BASE],
  ];
  for (const [name, tlsa, want] of cases) assert.equal(daneServerName(ALIAS, tlsa), want, name);
});

/** d.example MX mxalias.example (a secure CNAME to mx.provider.example), one address, TLSA 3 1 1 at the base. */
function cnamedDomain(address: AddressFacts, data: string): DomainFacts {
  const secure = (type: 'A' | 'AAAA') => ({ name: ALIAS, type, rcode: 'NOERROR', authenticated: true, dnssec: 'secure' as const, cnames: [BASE], answers: [], server: null, ms: 1 });
  const base = domainFacts({ mx: [mxHost(ALIAS, 10, [address], { cnames: [BASE], tlsa: tlsaAt(BASE, { records: [record({ data })] }) })] });
  return { ...base, dnssec: { validating: true, mx: 'secure' }, dns: [...base.dns.map((q) => ({ ...q, dnssec: 'secure' as const })), secure('A'), secure('AAAA')] };
}

test('the DANE outcome reads the chain of the handshake with the DANE SNI; every PKIX verdict the address\'s own', async () => {
  const pki = await makeDanePki();
  const matching = pki.kinds.p256.leaf;
  const data = (await opensslTlsaData(matching.file))['1 1'];
  // The address's own handshake (SNI mxalias.example) shows another key; the one with SNI mx.provider.example the matching one.
  const own = addressFacts({ host: ALIAS, tls: { ...addressFacts().tls!, sni: ALIAS }, certificate: certFacts([certInfo({ pem: pki.kinds.rsa.leaf.pem })], 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY') });
  const dane = (over: Partial<DaneHandshakeFacts>): DaneHandshakeFacts => ({
    sni: BASE, tls: { ...own.tls!, sni: BASE }, certificate: certFacts([certInfo({ pem: matching.pem })], 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'), failure: null, ...over,
  });
  const policy = { required: ['dane'] as const, warnDays: 30 };
  const judged = (a: AddressFacts) => judgeDomain(cnamedDomain(a, data), policy, NOW);
  const statusOf = (a: AddressFacts) => judged(a).mx[0]?.addresses[0]?.dane?.status;

  assert.equal(statusOf(own), 'invalid', 'without the DANE handshake: the MX name\'s chain, which the record does not match');
  assert.equal(statusOf({ ...own, daneHandshake: dane({}) }), 'valid', 'the chain shown for the TLSA base domain');
  const noSession = { tls: null, certificate: null };
  assert.equal(statusOf({ ...own, daneHandshake: dane({ ...noSession, failure: { stage: 'handshake', kind: 'tls', message: 'handshake failure' } }) }), 'invalid', 'that handshake failed: a DANE sender gets no TLS');
  assert.equal(statusOf({ ...own, daneHandshake: dane({ ...noSession, failure: { stage: 'connect', kind: 'timeout', message: 'timeout' } }) }), 'indeterminate', 'stopped before it: unknown');
  // What PKIX judges is the address's own handshake, whatever the DANE one showed.
  const a = judged(own).mx[0]?.addresses[0];
  const b = judged({ ...own, daneHandshake: dane({}) }).mx[0]?.addresses[0];
  assert.equal(b?.level, a?.level);
  assert.deepEqual(b?.certificate?.chain.map((c) => c.pem), a?.certificate?.chain.map((c) => c.pem));
  assert.deepEqual(b?.problems.filter((p) => !p.code.startsWith('DANE_')).map((p) => p.code), a?.problems.filter((p) => !p.code.startsWith('DANE_')).map((p) => p.code));
});

test('a batch probes an address once per DANE SNI: the same host, IP and port with another SNI is another probe', async () => {
  const asked: AddressTarget[] = [];
  const prober = new SharedProber({
    probe: {} as ProbeOptions, perHost: 2, retries: 0, retryDelayMs: 1, transcript: false, cacheSize: 100,
    probeAddress: async (target) => {
      asked.push(target);
      return addressFacts({ host: target.host, ip: target.ip });
    },
  });
  const plain: AddressTarget = { host: ALIAS, ip: '192.0.2.25', family: 4, port: 25 };
  await Promise.all([prober.probe(plain), prober.probe({ ...plain }), prober.probe({ ...plain, daneServerName: BASE }), prober.probe({ ...plain, daneServerName: BASE })]);
  assert.deepEqual(asked.map((t) => t.daneServerName ?? null), [null, BASE]);
});
