// TLSA matching (rules/dane-match.ts) and the DANE outcome of an address (judge/dane.ts) against
// certificates generated at test time (test/helpers/dane-pki.ts: RSA, ECDSA P-256 and P-384,
// Ed25519 leaves and CAs), with the expected association data computed by the openssl CLI alone
// (the oracle): every usage × selector × matching type, the DANE-TA chain cases, each DNSSEC
// state, digest agility, and rules that hold over every input.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCertificate } from '../../src/cert/parsed-certificate.ts';
import { judgeDane, judgeTlsaSet, daneReferenceNames, type DaneAddressInput } from '../../src/judge/dane.ts';
import { PROBLEMS } from '../../src/judge/problem-catalogue.ts';
import { associationData, consultedRecords, recordMatches, tlsaSubject, tlsaUsability } from '../../src/rules/dane-match.ts';
import type { CertificateInfo } from '../../src/model/certificate.ts';
import type { DaneStatus, TlsaFacts, TlsaRecord } from '../../src/model/dane.ts';
import type { DnssecState } from '../../src/model/dns.ts';
import { DANE_KEY_KINDS, makeDanePki, opensslTlsaData, type DaneCert, type DanePki } from '../helpers/dane-pki.ts';

let pki: DanePki;
let now: Date;
/** Oracle data per certificate file. */
const oracle = new Map<string, Awaited<ReturnType<typeof opensslTlsaData>>>();

before(async () => {
  pki = await makeDanePki();
  now = new Date(pki.generatedAt.getTime() + 60_000);
  const files = DANE_KEY_KINDS.flatMap((k) => [pki.kinds[k].leaf.file, pki.kinds[k].intermediate.file, pki.kinds[k].root.file]);
  files.push(pki.cases.rootNotSent.root.file, pki.cases.deep.inter1.file, pki.cases.strayCa.stray.file, pki.cases.impostor.impostor.file,
    pki.cases.expiredIntermediate.intermediate.file, pki.cases.nextKey.sent[0]!.file, pki.cases.sameKeyRenewed.sent[0]!.file);
  await Promise.all([...new Set(files)].map(async (f) => oracle.set(f, await opensslTlsaData(f))));
});

const info = (c: DaneCert): CertificateInfo => {
  const der = Buffer.from(c.pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64');
  const parsed = decodeCertificate(der, der.toString('base64'), false);
  assert.ok(parsed, 'the test certificate decodes');
  return parsed.info;
};
const chainOf = (certs: readonly DaneCert[]) => certs.map(info);
const data = (c: DaneCert, selector: number, matchingType: number) => {
  const d = oracle.get(c.file)?.[`${selector} ${matchingType}` as '1 1'];
  assert.ok(typeof d === 'string', `oracle data for ${c.file} ${selector} ${matchingType}`);
  return d;
};
const rec = (usage: number, selector: number, matchingType: number, d: string): TlsaRecord => ({ usage, selector, matchingType, data: d });
const tlsa = (records: TlsaRecord[], dnssec: DnssecState = 'secure', error: string | null = null): TlsaFacts => ({ name: '_25._tcp.mx.dane.test', baseDomain: 'mx.dane.test', cnames: [], records, dnssec, error });
const input = (records: TlsaRecord[], chain: DaneAddressInput['chain'], over: Partial<DaneAddressInput> = {}): DaneAddressInput => ({
  host: 'mx.dane.test', ip: '192.0.2.25', referenceNames: daneReferenceNames('mx.dane.test', []), hostSecure: true, tlsa: tlsa(records), chain, ...over,
});

describe('SubjectPublicKeyInfo and association data, against openssl', () => {
  test('the SPKI mxprobe hashes is byte-exact with `openssl x509 -pubkey | openssl pkey -pubin -outform DER`, for every key type and every certificate', () => {
    for (const kind of DANE_KEY_KINDS) {
      for (const c of [pki.kinds[kind].leaf, pki.kinds[kind].intermediate, pki.kinds[kind].root]) {
        const subject = tlsaSubject(c.pem);
        assert.ok(subject?.spki, `${kind}: SPKI found verbatim in the certificate`);
        assert.ok(subject.spki.equals(oracle.get(c.file)!.spkiDer), `${kind} ${c.file}`);
      }
    }
  });

  test('associationData equals openssl for every selector × matching type of every certificate, and nothing for undefined parameters', () => {
    for (const kind of DANE_KEY_KINDS) {
      for (const c of [pki.kinds[kind].leaf, pki.kinds[kind].intermediate, pki.kinds[kind].root]) {
        const subject = tlsaSubject(c.pem)!;
        for (const s of [0, 1]) for (const m of [0, 1, 2]) assert.equal(associationData(subject, s, m), data(c, s, m), `${kind} ${s} ${m}`);
        assert.equal(associationData(subject, 2, 1), null);
        assert.equal(associationData(subject, 1, 3), null);
      }
    }
  });

  test('recordMatches: a record matches the certificate it was made from and no other (upper-case data too)', () => {
    const all = DANE_KEY_KINDS.flatMap((k) => [pki.kinds[k].leaf, pki.kinds[k].intermediate, pki.kinds[k].root]);
    for (const from of all) {
      for (const s of [0, 1]) {
        for (const m of [0, 1, 2]) {
          const r = rec(3, s, m, data(from, s, m).toUpperCase());
          for (const other of all) assert.equal(recordMatches(r, tlsaSubject(other.pem)!), other === from, `${from.file} ${s} ${m} vs ${other.file}`);
        }
      }
    }
  });
});

describe('usage × selector × matching type against a chain (leaf, intermediate, root)', () => {
  const expected = (usage: number, selector: number, mtype: number, target: 'leaf' | 'intermediate' | 'root'): DaneStatus => {
    if (usage === 0 || usage === 1 || usage > 3 || selector > 1 || mtype > 2) return 'unusable';
    if (usage === 3) return target === 'leaf' ? 'valid' : 'invalid';
    return target === 'leaf' ? 'invalid' : 'valid'; // DANE-TA: an issuer, never the leaf itself
  };

  test('every usage (0–4), selector (0–2) and matching type (0–3), for every key type: the outcome a DANE sender reaches', () => {
    let cases = 0;
    for (const kind of DANE_KEY_KINDS) {
      const k = pki.kinds[kind];
      const chain = chainOf(k.chain.sent);
      for (const target of ['leaf', 'intermediate', 'root'] as const) {
        const cert = k[target];
        for (const usage of [0, 1, 2, 3, 4]) {
          for (const selector of [0, 1, 2]) {
            for (const mtype of [0, 1, 2, 3]) {
              const d = selector <= 1 && mtype <= 2 ? data(cert, selector, mtype) : data(cert, 1, 1);
              const r = rec(usage, selector, mtype, d);
              const { outcome, problems } = judgeDane(input([r], chain), now);
              const want = expected(usage, selector, mtype, target);
              assert.equal(outcome.status, want, `${kind} ${usage} ${selector} ${mtype} on ${target}: ${outcome.message}`);
              if (want === 'valid') {
                assert.deepEqual(outcome.matched, { ...r, chainIndex: { leaf: 0, intermediate: 1, root: 2 }[target], bareKey: false });
              } else {
                assert.equal(outcome.matched, null);
              }
              if (want === 'invalid') assert.deepEqual(problems.map((p) => p.code), ['DANE_NO_MATCH']);
              cases++;
            }
          }
        }
      }
    }
    assert.equal(cases, 4 * 3 * 5 * 3 * 4);
  });

  test('a DANE-EE message names the record; a DANE-TA record on the leaf is told to be usage 3', () => {
    const k = pki.kinds.rsa;
    const ok = judgeDane(input([rec(3, 1, 1, data(k.leaf, 1, 1))], chainOf(k.chain.sent)), now).outcome;
    assert.match(ok.message, /matches TLSA 3 1 1 [0-9a-f]{16}…/);
    const onLeaf = judgeDane(input([rec(2, 1, 1, data(k.leaf, 1, 1))], chainOf(k.chain.sent)), now);
    assert.match(onLeaf.problems[0]!.message, /matches the leaf itself.*usage 3/);
  });
});

describe('DANE-TA chains', () => {
  test('an intermediate between the leaf and the trust anchor: valid, the anchor found at its place in the chain', () => {
    const c = pki.cases.deep;
    const r = rec(2, 1, 1, data(c.inter1, 1, 1));
    const { outcome, problems } = judgeDane(input([r], chainOf(c.sent)), now);
    assert.equal(outcome.status, 'valid', outcome.message);
    assert.equal(outcome.matched?.chainIndex, 2);
    assert.deepEqual(problems, []);
  });

  test('the trust anchor not in the chain: a certificate record does not match; a bare "2 1 0" key that signed the top does', () => {
    const c = pki.cases.rootNotSent;
    const chain = chainOf(c.sent);
    for (const [s, m] of [[0, 0], [0, 1], [0, 2], [1, 1], [1, 2]] as const) {
      const { outcome } = judgeDane(input([rec(2, s, m, data(c.root, s, m))], chain), now);
      assert.equal(outcome.status, 'invalid', `2 ${s} ${m}`);
      assert.match(outcome.message, /must be in its chain, or be a bare 2 1 0 key/);
    }
    const bare = judgeDane(input([rec(2, 1, 0, data(c.root, 1, 0))], chain), now).outcome;
    assert.equal(bare.status, 'valid', bare.message);
    assert.deepEqual({ index: bare.matched?.chainIndex, bareKey: bare.matched?.bareKey }, { index: 1, bareKey: true });
  });

  test('a CA in the chain that is not an issuer of the leaf does not count', () => {
    const c = pki.cases.strayCa;
    const { outcome, problems } = judgeDane(input([rec(2, 1, 1, data(c.stray, 1, 1))], chainOf(c.sent)), now);
    assert.equal(outcome.status, 'invalid');
    assert.match(problems[0]!.message, /matches certificate #2 \(.*Stray Root\), which is not an issuer of the leaf/);
  });

  test("an impostor with the issuer's name and key identifier but another key: its signature does not verify", () => {
    const c = pki.cases.impostor;
    const { outcome, problems } = judgeDane(input([rec(2, 1, 1, data(c.impostor, 1, 1))], chainOf(c.sent)), now);
    assert.equal(outcome.status, 'invalid');
    assert.deepEqual(problems.map((p) => p.code), ['DANE_TA_CHAIN_INVALID']);
    assert.match(problems[0]!.message, /the leaf has a signature that does not verify/);
  });

  test('name mismatch: DANE-TA refuses it (DANE_TA_NAME_MISMATCH), DANE-EE ignores names', () => {
    const c = pki.cases.wrongName;
    const chain = chainOf(c.sent);
    const ta = judgeDane(input([rec(2, 1, 1, data(pki.kinds.p256.intermediate, 1, 1))], chain), now);
    assert.equal(ta.outcome.status, 'invalid');
    assert.deepEqual(ta.problems.map((p) => p.code), ['DANE_TA_NAME_MISMATCH']);
    assert.match(ta.problems[0]!.message, /names none of mx\.dane\.test \(it names DNS:other\.dane\.test, CN=other\.dane\.test\)/);
    const leafData = (tlsaSubject(c.sent[0]!.pem) && associationData(tlsaSubject(c.sent[0]!.pem)!, 1, 1))!;
    assert.equal(judgeDane(input([rec(3, 1, 1, leafData)], chain), now).outcome.status, 'valid');
  });

  test('the CNAME target (the TLSA base domain) and the MX name are both reference identifiers', () => {
    const chain = chainOf(pki.kinds.p256.chain.sent);
    const r = rec(2, 1, 1, data(pki.kinds.p256.intermediate, 1, 1));
    assert.equal(judgeDane(input([r], chain, { host: 'mx.partner.example', referenceNames: daneReferenceNames('mx.partner.example', ['mx.dane.test']) }), now).outcome.status, 'valid');
    assert.equal(judgeDane(input([r], chain, { host: 'mx.dane.test', referenceNames: daneReferenceNames('mx.dane.test', ['mx.provider.example']) }), now).outcome.status, 'valid');
    assert.equal(judgeDane(input([r], chain, { host: 'mx.partner.example', referenceNames: daneReferenceNames('mx.partner.example', []) }), now).outcome.status, 'invalid');
  });

  test('an expired leaf: DANE-TA refuses it (DANE_TA_EXPIRED), DANE-EE ignores dates', () => {
    const c = pki.cases.expiredLeaf;
    const chain = chainOf(c.sent);
    const ta = judgeDane(input([rec(2, 0, 1, data(pki.kinds.p256.intermediate, 0, 1))], chain), now);
    assert.equal(ta.outcome.status, 'invalid');
    assert.deepEqual(ta.problems.map((p) => p.code), ['DANE_TA_EXPIRED']);
    assert.match(ta.problems[0]!.message, /the leaf has expired on \d{4}-\d\d-\d\d/);
    const ee = judgeDane(input([rec(3, 1, 1, data(pki.kinds.p256.leaf, 1, 1))], chain), now); // same key as the expired leaf
    assert.equal(ee.outcome.status, 'valid', ee.outcome.message);
    assert.deepEqual(ee.problems, []);
  });

  test('an expired intermediate: refused when below the anchor (the root), not checked when it is the anchor itself (as OpenSSL)', () => {
    const c = pki.cases.expiredIntermediate;
    const chain = chainOf(c.sent);
    const underRoot = judgeDane(input([rec(2, 1, 1, data(pki.kinds.p256.root, 1, 1))], chain), now);
    assert.deepEqual(underRoot.problems.map((p) => p.code), ['DANE_TA_EXPIRED']);
    assert.match(underRoot.problems[0]!.message, /certificate #1 \(.*Expired Intermediate\) has expired/);
    const asAnchor = judgeDane(input([rec(2, 1, 1, data(c.intermediate, 1, 1))], chain), now);
    assert.equal(asAnchor.outcome.status, 'valid', asAnchor.outcome.message);
  });

  test('an issuer that is no CA (CA:FALSE): the chain does not verify (DANE_TA_CHAIN_INVALID)', () => {
    const c = pki.cases.nonCaIssuer;
    const { outcome, problems } = judgeDane(input([rec(2, 1, 1, data(pki.kinds.p256.intermediate, 1, 1))], chainOf(c.sent)), now);
    assert.equal(outcome.status, 'invalid');
    assert.deepEqual(problems.map((p) => p.code), ['DANE_TA_CHAIN_INVALID']);
    assert.match(problems[0]!.message, /not-a-ca\.dane\.test\) is not a CA/);
  });

  test('a matching DANE-EE record wins over a failing DANE-TA one (OpenSSL tries the leaf first)', () => {
    const c = pki.cases.wrongName;
    const leafData = associationData(tlsaSubject(c.sent[0]!.pem)!, 1, 1)!;
    const both = [rec(2, 1, 1, data(pki.kinds.p256.intermediate, 1, 1)), rec(3, 1, 1, leafData)];
    assert.equal(judgeDane(input(both, chainOf(c.sent)), now).outcome.matched?.usage, 3);
  });
});

describe('DNSSEC states and what a DANE sender does', () => {
  const good = () => [rec(3, 1, 1, data(pki.kinds.p256.leaf, 1, 1))];
  const chain = () => chainOf(pki.kinds.p256.chain.sent);

  test('each state of the TLSA answer, and insecure MX or address answers', () => {
    const table: Array<[string, Partial<DaneAddressInput>, DaneStatus, RegExp]> = [
      ['secure, matching', {}, 'valid', /DANE-EE/],
      ['MX/address insecure', { hostSecure: false }, 'insecure', /MX or address answers .* not DNSSEC-secure: DANE does not apply/],
      ['TLSA insecure', { tlsa: tlsa(good(), 'insecure') }, 'insecure', /not DNSSEC-signed \(insecure\): DANE does not apply/],
      ['TLSA bogus', { tlsa: tlsa(good(), 'bogus', 'SERVFAIL') }, 'bogus', /failed \(bogus\): a DANE sender defers/],
      ['TLSA indeterminate', { tlsa: tlsa([], 'indeterminate', 'timeout') }, 'indeterminate', /\(timeout\)/],
      ['secure, look-up error', { tlsa: tlsa([], 'secure', 'no answer') }, 'indeterminate', /no answer/],
      ['secure denial', { tlsa: tlsa([]) }, 'none', /no TLSA records \(a DNSSEC-secure denial\)/],
      ['only PKIX records', { tlsa: tlsa([rec(1, 1, 1, data(pki.kinds.p256.leaf, 1, 1))]) }, 'unusable', /requires TLS .* but does not authenticate/],
      ['no TLS session', { chain: 'no-tls' }, 'invalid', /made no TLS session/],
      ['not reached', { chain: 'unreached' }, 'indeterminate', /was not reached/],
    ];
    for (const [name, over, status, message] of table) {
      const { outcome } = judgeDane(input(good(), chain(), over), now);
      assert.equal(outcome.status, status, name);
      assert.match(outcome.message, message, name);
    }
  });

  test('judgeTlsaSet: DNSSEC_BOGUS for a bogus TLSA answer; unusable records by kind; nothing where DANE does not apply', () => {
    const leaf = data(pki.kinds.p256.leaf, 1, 1);
    const codes = (t: TlsaFacts, secure = true) => judgeTlsaSet('mx.dane.test', t, secure).map((p) => p.code);
    assert.deepEqual(codes(tlsa([], 'bogus', 'SERVFAIL')), ['DNSSEC_BOGUS']);
    assert.deepEqual(codes(tlsa([], 'bogus', 'SERVFAIL'), false), []);
    assert.deepEqual(codes(tlsa([rec(0, 1, 1, leaf), rec(1, 0, 1, leaf), rec(3, 1, 1, leaf)])), ['DANE_UNUSABLE_USAGE']);
    assert.deepEqual(codes(tlsa([rec(3, 2, 1, leaf), rec(3, 1, 7, leaf), rec(3, 1, 1, 'abcd'), rec(5, 1, 1, leaf)])), ['DANE_UNUSABLE_RECORD', 'DANE_UNUSABLE_USAGE']);
    assert.deepEqual(codes(tlsa([rec(1, 1, 1, leaf)], 'insecure')), []);
    const [only] = judgeTlsaSet('mx.dane.test', tlsa([rec(1, 1, 1, leaf)]), true);
    assert.equal(only?.scope, 'host');
    assert.match(only!.message, /no usable record is left, so a DANE sender requires TLS but authenticates nothing/);
  });
});

describe('usability and digest agility', () => {
  test('usability table: PKIX usages, undefined parameters, malformed data', () => {
    const spki = data(pki.kinds.p256.leaf, 1, 0);
    const cert = data(pki.kinds.p256.leaf, 0, 0);
    const table: Array<[TlsaRecord, true | string]> = [
      [rec(3, 1, 1, 'ab'.repeat(32)), true],
      [rec(2, 0, 2, 'AB'.repeat(64)), true],
      [rec(3, 1, 0, spki), true],
      [rec(3, 0, 0, cert), true],
      [rec(0, 1, 1, 'ab'.repeat(32)), 'pkix-usage'],
      [rec(1, 1, 1, 'ab'.repeat(32)), 'pkix-usage'],
      [rec(4, 1, 1, 'ab'.repeat(32)), 'unknown-usage'],
      [rec(255, 1, 1, 'ab'.repeat(32)), 'unknown-usage'],
      [rec(3, 2, 1, 'ab'.repeat(32)), 'unknown-selector'],
      [rec(3, 1, 3, 'ab'.repeat(32)), 'unknown-matching-type'],
      [rec(3, 1, 1, 'ab'.repeat(31)), 'bad-data'],
      [rec(3, 1, 2, 'ab'.repeat(32)), 'bad-data'],
      [rec(3, 1, 1, 'zz'.repeat(32)), 'bad-data'],
      [rec(3, 1, 1, ''), 'bad-data'],
      [rec(3, 1, 1, 'abc'), 'bad-data'],
      [rec(3, 1, 0, 'ab'.repeat(40)), 'bad-data'],
      [rec(3, 0, 0, spki), 'bad-data'],
      [rec(3, 0, 0, `${cert}00`), 'bad-data'],
    ];
    for (const [r, want] of table) {
      const got = tlsaUsability(r);
      assert.equal(got.usable ? true : got.reason, want, `${r.usage} ${r.selector} ${r.matchingType} ${r.data.slice(0, 12)}`);
    }
  });

  test('digest agility (RFC 7671 §9): beside a 3 1 2, a sender ignores the 3 1 1, so a matching 3 1 1 with a wrong 3 1 2 is invalid', () => {
    const leaf = pki.kinds.p256.leaf;
    const wrong512 = 'cd'.repeat(64);
    const records = [rec(3, 1, 1, data(leaf, 1, 1)), rec(3, 1, 2, wrong512)];
    assert.deepEqual(consultedRecords(records).map((r) => r.matchingType), [2]);
    assert.equal(judgeDane(input(records, chainOf(pki.kinds.p256.chain.sent)), now).outcome.status, 'invalid');
    // Other usage or selector: not suppressed; exact records never are.
    assert.equal(consultedRecords([rec(3, 0, 1, 'ab'.repeat(32)), rec(3, 1, 2, wrong512), rec(2, 1, 1, 'ab'.repeat(32))]).length, 3);
    assert.equal(consultedRecords([rec(3, 1, 0, data(leaf, 1, 0)), rec(3, 1, 2, wrong512)]).length, 2);
    // Malformed strong digests do not suppress anything (OpenSSL never loads them).
    assert.equal(consultedRecords([rec(3, 1, 1, data(leaf, 1, 1)), rec(3, 1, 2, 'cd')]).length, 1);
  });
});

describe('rules over every input', () => {
  test('valid ⇔ a matched record that is one of the published ones at a place in the chain, and no problem; invalid ⇒ no matched record and at least one error; other states ⇒ no problem', () => {
    const k = pki.kinds.p384;
    const c = pki.cases;
    const pool: TlsaRecord[] = [
      rec(3, 1, 1, data(k.leaf, 1, 1)), rec(3, 0, 2, data(k.leaf, 0, 2)), rec(2, 1, 1, data(k.intermediate, 1, 1)),
      rec(2, 0, 0, data(k.root, 0, 0)), rec(2, 1, 0, data(c.rootNotSent.root, 1, 0)), rec(2, 1, 1, data(c.strayCa.stray, 1, 1)),
      rec(1, 1, 1, data(k.leaf, 1, 1)), rec(3, 1, 2, 'ef'.repeat(64)), rec(3, 7, 1, data(k.leaf, 1, 1)),
      rec(2, 1, 1, data(pki.kinds.p256.intermediate, 1, 1)),
    ];
    const chains: Array<DaneAddressInput['chain']> = [
      chainOf(k.chain.sent), chainOf(c.rootNotSent.sent), chainOf(c.strayCa.sent), chainOf(c.expiredLeaf.sent), chainOf(c.wrongName.sent),
      chainOf(c.impostor.sent), chainOf(c.nonCaIssuer.sent), chainOf([k.leaf]), 'no-tls', 'unreached', [],
    ];
    const states: Array<[DnssecState, string | null, boolean]> = [['secure', null, true], ['secure', null, false], ['insecure', null, true], ['bogus', 'SERVFAIL', true], ['indeterminate', 'timeout', true]];
    let n = 0;
    for (let mask = 0; mask < 1 << pool.length; mask += 7) {
      const records = pool.filter((_, i) => (mask >> i) & 1);
      for (const chain of chains) {
        for (const [dnssec, error, hostSecure] of states) {
          const { outcome, problems } = judgeDane(input(records, chain, { tlsa: tlsa(records, dnssec, error), hostSecure }), now);
          const what = `${records.map((r) => `${r.usage}${r.selector}${r.matchingType}`).join(',')} ${dnssec} ${hostSecure}`;
          if (outcome.status === 'valid') {
            assert.ok(outcome.matched !== null, what);
            assert.ok(records.some((r) => r.usage === outcome.matched!.usage && r.selector === outcome.matched!.selector && r.matchingType === outcome.matched!.matchingType && r.data === outcome.matched!.data), what);
            assert.ok(Array.isArray(chain) && outcome.matched.chainIndex >= 0 && outcome.matched.chainIndex < chain.length, what);
            assert.deepEqual(problems, [], what);
            assert.ok(dnssec === 'secure' && hostSecure, what);
          } else {
            assert.equal(outcome.matched, null, what);
          }
          if (outcome.status === 'invalid') {
            assert.ok(problems.length > 0 && problems.every((p) => PROBLEMS[p.code].severity === 'error' && p.scope === 'address'), what);
          } else {
            assert.deepEqual(problems, [], what);
          }
          if (!hostSecure) assert.equal(outcome.status, 'insecure', what);
          assert.ok(outcome.message.length > 0);
          n++;
        }
      }
    }
    assert.ok(n > 500, `${n} combinations`);
  });
});
