// The rollover rule per MX host (judge/dane-rollover.ts) as a table over generated certificates
// (test/helpers/dane-pki.ts; TLSA data from the openssl CLI): safe only for "3 1 1 + 3 1 1 of
// two different keys" or "3 x x + 2 x x where the TA is the real issuer"; the same key twice
// (also 3 0 1 and 3 1 1 of one key, or a renewed certificate with the same key) is not a
// rollover; and rules that hold over every set.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCertificate } from '../../src/cert/parsed-certificate.ts';
import { judgeRollover } from '../../src/judge/dane-rollover.ts';
import type { CertificateInfo } from '../../src/model/certificate.ts';
import type { TlsaFacts, TlsaRecord } from '../../src/model/dane.ts';
import { makeDanePki, opensslTlsaData, type DaneCert, type DanePki, type OracleData } from '../helpers/dane-pki.ts';

let pki: DanePki;
let now: Date;
const oracle = new Map<string, OracleData>();
before(async () => {
  pki = await makeDanePki();
  now = new Date(pki.generatedAt.getTime() + 60_000);
  const k = pki.kinds.p256;
  const certs = [k.leaf, k.intermediate, k.root, pki.cases.nextKey.sent[0]!, pki.cases.sameKeyRenewed.sent[0]!, pki.cases.strayCa.stray, pki.cases.impostor.impostor, pki.kinds.rsa.intermediate];
  await Promise.all(certs.map(async (c) => oracle.set(c.file, await opensslTlsaData(c.file))));
});

const d = (c: DaneCert, sm: '0 0' | '0 1' | '0 2' | '1 0' | '1 1' | '1 2') => oracle.get(c.file)![sm];
const r = (u: number, s: number, m: number, data: string): TlsaRecord => ({ usage: u, selector: s, matchingType: m, data });
const info = (c: DaneCert): CertificateInfo => {
  const der = Buffer.from(c.pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64');
  return decodeCertificate(der, der.toString('base64'), false)!.info;
};
const tlsa = (records: TlsaRecord[], dnssec: TlsaFacts['dnssec'] = 'secure'): TlsaFacts => ({ name: '_25._tcp.mx.dane.test', baseDomain: 'mx.dane.test', cnames: [], records, dnssec, error: null });

test('the rollover table: what is safe, and why not', () => {
  const k = pki.kinds.p256;
  const chain = k.chain.sent.map(info);
  const next = pki.cases.nextKey.sent[0]!;
  const renewed = pki.cases.sameKeyRenewed.sent[0]!;
  const table: Array<[string, TlsaRecord[], 'two-keys' | 'ee-and-issuer' | null, RegExp | null]> = [
    ['3 1 1 current + 3 1 1 next', [r(3, 1, 1, d(k.leaf, '1 1')), r(3, 1, 1, d(next, '1 1'))], 'two-keys', null],
    ['3 1 2 current + 3 1 2 next', [r(3, 1, 2, d(k.leaf, '1 2')), r(3, 1, 2, d(next, '1 2'))], 'two-keys', null],
    ['3 1 1 current + 3 1 0 next (full key)', [r(3, 1, 1, d(k.leaf, '1 1')), r(3, 1, 0, d(next, '1 0'))], 'two-keys', null],
    ['3 1 1 current + 2 1 1 issuer', [r(3, 1, 1, d(k.leaf, '1 1')), r(2, 1, 1, d(k.intermediate, '1 1'))], 'ee-and-issuer', null],
    ['3 0 1 current + 2 0 1 root (sent)', [r(3, 0, 1, d(k.leaf, '0 1')), r(2, 0, 1, d(k.root, '0 1'))], 'ee-and-issuer', null],
    ['3 1 1 alone', [r(3, 1, 1, d(k.leaf, '1 1'))], null, /one DANE-EE record .* pins one key/],
    ['the same key twice: 3 0 1 and 3 1 1', [r(3, 0, 1, d(k.leaf, '0 1')), r(3, 1, 1, d(k.leaf, '1 1'))], null, /all designate the same key: two records for one key are not a rollover/],
    ['the same key twice: 3 1 1 and 3 1 2', [r(3, 1, 1, d(k.leaf, '1 1')), r(3, 1, 0, d(k.leaf, '1 0'))], null, /same key/],
    ['the same key in a renewed certificate: 3 0 1 + 3 0 1', [r(3, 0, 1, d(k.leaf, '0 1')), r(3, 0, 1, d(renewed, '0 1'))], null, /pin certificates \(selector 0\)/],
    ['3 1 1 duplicated with upper-case data', [r(3, 1, 1, d(k.leaf, '1 1')), r(3, 1, 1, d(k.leaf, '1 1').toUpperCase())], null, /pins one key/],
    ['3 1 1 current + 3 1 2 next: a sender consults only the 3 1 2', [r(3, 1, 1, d(k.leaf, '1 1')), r(3, 1, 2, d(next, '1 2'))], null, /pins one key/],
    ['2 1 1 alone', [r(2, 1, 1, d(k.intermediate, '1 1'))], null, /only DANE-TA records/],
    ['3 1 1 + 2 1 1 of a CA that is not the issuer', [r(3, 1, 1, d(k.leaf, '1 1')), r(2, 1, 1, d(pki.kinds.rsa.intermediate, '1 1'))], null, /no DANE-TA record matches the issuer that really signed/],
    ['3 1 1 of another key + 2 1 1 issuer', [r(3, 1, 1, d(next, '1 1')), r(2, 1, 1, d(k.intermediate, '1 1'))], null, /do not match the certificate the server uses now/],
    ['3 1 1 next + 3 1 1 other, neither current', [r(3, 1, 1, d(next, '1 1')), r(3, 1, 1, 'ab'.repeat(32))], null, /no DANE-EE SPKI record matches the key the server uses now/],
  ];
  for (const [name, records, pattern, why] of table) {
    const { rollover, problems } = judgeRollover('mx.dane.test', tlsa(records), true, [chain], now);
    assert.ok(rollover !== null, name);
    assert.equal(rollover.pattern, pattern, `${name}: ${rollover.message}`);
    assert.equal(rollover.safe, pattern !== null, name);
    if (why !== null) assert.match(rollover.message, why, name);
    assert.deepEqual(problems.map((p) => p.code), pattern === null ? ['DANE_ROLLOVER_UNSAFE'] : [], name);
  }
});

test('the real issuer is checked in the chain the server sends: an impostor CA with the same name and key identifier does not make it safe', () => {
  const c = pki.cases.impostor;
  const chain = c.sent.map(info);
  const records = [r(3, 1, 1, d(pki.kinds.p256.leaf, '1 1')), r(2, 1, 1, d(c.impostor, '1 1'))];
  assert.equal(judgeRollover('mx.dane.test', tlsa(records), true, [chain], now).rollover?.safe, false);
});

test('without a TLS session: two different keys are judged from the records; an issuer cannot be', () => {
  const k = pki.kinds.p256;
  const next = pki.cases.nextKey.sent[0]!;
  assert.equal(judgeRollover('mx.dane.test', tlsa([r(3, 1, 1, d(k.leaf, '1 1')), r(3, 1, 1, d(next, '1 1'))]), true, [], now).rollover?.pattern, 'two-keys');
  const ta = judgeRollover('mx.dane.test', tlsa([r(3, 1, 1, d(k.leaf, '1 1')), r(2, 1, 1, d(k.intermediate, '1 1'))]), true, [], now).rollover;
  assert.equal(ta?.safe, false);
  assert.match(ta!.message, /cannot be told without a TLS session/);
});

test('every address counts: a key that only one of two addresses serves is not "the current key"', () => {
  const k = pki.kinds.p256;
  const next = pki.cases.nextKey.sent[0]!;
  const records = [r(3, 1, 1, d(k.leaf, '1 1')), r(2, 1, 1, d(k.intermediate, '1 1'))];
  const chains = [k.chain.sent.map(info), pki.cases.nextKey.sent.map(info)];
  assert.equal(judgeRollover('mx.dane.test', tlsa(records), true, chains, now).rollover?.safe, false);
  const both = [r(3, 1, 1, d(k.leaf, '1 1')), r(3, 1, 1, d(next, '1 1')), r(2, 1, 1, d(k.intermediate, '1 1'))];
  // Two keys published, each address serving one of them: no key is current on every address, so not counted safe (conservative).
  assert.equal(judgeRollover('mx.dane.test', tlsa(both), true, chains, now).rollover?.safe, false);
  assert.equal(judgeRollover('mx.dane.test', tlsa(both), true, [chains[0]!], now).rollover?.safe, true);
});

test('rules over every set: no judgement where DANE does not apply; safe ⇔ no problem ⇔ a pattern; a safe set has two usable records', () => {
  const k = pki.kinds.p256;
  const next = pki.cases.nextKey.sent[0]!;
  const pool = [
    r(3, 1, 1, d(k.leaf, '1 1')), r(3, 1, 1, d(next, '1 1')), r(3, 0, 1, d(k.leaf, '0 1')), r(3, 1, 2, d(next, '1 2')),
    r(2, 1, 1, d(k.intermediate, '1 1')), r(2, 0, 1, d(pki.cases.strayCa.stray, '0 1')), r(1, 1, 1, d(k.leaf, '1 1')), r(3, 1, 1, 'ab'),
  ];
  const chains = [[], [k.chain.sent.map(info)], [pki.cases.nextKey.sent.map(info)]];
  for (let mask = 0; mask < 1 << pool.length; mask++) {
    const records = pool.filter((_, i) => (mask >> i) & 1);
    for (const cs of chains) {
      for (const [dnssec, secure] of [['secure', true], ['secure', false], ['insecure', true], ['bogus', true]] as const) {
        const { rollover, problems } = judgeRollover('mx.dane.test', tlsa(records, dnssec), secure, cs, now);
        const what = `${records.map((x) => `${x.usage}${x.selector}${x.matchingType}`).join(',')} ${dnssec} ${secure} ${cs.length}`;
        if (dnssec !== 'secure' || !secure) {
          assert.equal(rollover, null, what);
          assert.deepEqual(problems, [], what);
          continue;
        }
        const usable = records.filter((x) => x.usage >= 2 && x.data.length > 2);
        if (usable.length === 0) {
          assert.equal(rollover, null, what);
          continue;
        }
        assert.ok(rollover !== null, what);
        assert.equal(rollover.safe, rollover.pattern !== null, what);
        assert.equal(problems.length, rollover.safe ? 0 : 1, what);
        if (rollover.safe) assert.ok(usable.length >= 2, what);
        if (problems[0]) assert.equal(problems[0].scope, 'host');
      }
    }
  }
});
