import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeAddress } from '../../src/judge/judge-address.ts';
import type { AddressFacts } from '../../src/model/address.ts';
import type { ProblemCode } from '../../src/model/problem.ts';
import type { Level } from '../../src/model/levels.ts';
import { addressFacts, certFacts, certInfo, daysFromNow, intermediate, NOW, plainAddress, requirement, root } from '../helpers/facts.ts';

const POLICY = { required: requirement('encrypt'), warnDays: 30 };
const chainWith = (leaf: Partial<Parameters<typeof certInfo>[0]>, rest = [intermediate(), root()]) => certFacts([certInfo(leaf), ...rest], null);

const CASES: Array<{ name: string; facts: AddressFacts; level: Level | null; codes: ProblemCode[]; warnDays?: number }> = [
  { name: 'trusted, valid, matching: verify', facts: addressFacts(), level: 'verify', codes: [] },
  { name: 'no STARTTLS: none', facts: plainAddress(), level: 'none', codes: ['STARTTLS_NOT_OFFERED'] },
  { name: 'no EHLO support at all: none', facts: plainAddress({ ehlo: null }), level: 'none', codes: ['STARTTLS_NOT_OFFERED'] },
  {
    name: 'STARTTLS refused with 454: none',
    facts: addressFacts({ starttlsReply: { code: 454, lines: ['4.7.0 TLS not available'] }, tls: null, certificate: null, ehloTls: null }),
    level: 'none',
    codes: ['STARTTLS_REJECTED'],
  },
  {
    name: '530 before STARTTLS is reported as information',
    facts: addressFacts({ tlsRequiredReply: { code: 530, lines: ['5.7.0 Must issue a STARTTLS command first'] } }),
    level: 'verify',
    codes: ['TLS_REQUIRED_BY_SERVER'],
  },
  {
    name: 'handshake failure: reachable, none',
    facts: addressFacts({ tls: null, certificate: null, ehloTls: null, failure: { stage: 'handshake', kind: 'tls', message: 'TLS handshake failed: wrong version number' } }),
    level: 'none',
    codes: ['TLS_HANDSHAKE_FAILED'],
  },
  {
    name: 'handshake timeout: TIMEOUT, reachable, none',
    facts: addressFacts({ tls: null, certificate: null, ehloTls: null, failure: { stage: 'handshake', kind: 'timeout', message: 'timeout during the TLS handshake' } }),
    level: 'none',
    codes: ['TIMEOUT'],
  },
  {
    name: 'connection refused: unreachable',
    facts: plainAddress({ connected: false, banner: null, ehlo: null, failure: { stage: 'connect', kind: 'connect', message: 'cannot connect: ECONNREFUSED' } }),
    level: null,
    codes: ['CONNECT_FAILED'],
  },
  {
    name: 'connect timeout: TIMEOUT, unreachable',
    facts: plainAddress({ connected: false, banner: null, ehlo: null, failure: { stage: 'connect', kind: 'timeout', message: 'timeout while connecting' } }),
    level: null,
    codes: ['TIMEOUT'],
  },
  {
    name: 'silent greeting: TIMEOUT, unreachable',
    facts: plainAddress({ banner: null, ehlo: null, failure: { stage: 'banner', kind: 'timeout', message: 'timeout while reading server greeting' } }),
    level: null,
    codes: ['TIMEOUT'],
  },
  {
    name: '421 greeting: SMTP_REJECTED, unreachable',
    facts: plainAddress({ banner: { code: 421, lines: ['busy'] }, ehlo: null, failure: { stage: 'banner', kind: 'rejected', message: 'server refused the session with 421 busy' } }),
    level: null,
    codes: ['SMTP_REJECTED'],
  },
  {
    name: 'garbage greeting: SMTP_PROTOCOL_ERROR',
    facts: plainAddress({ banner: null, ehlo: null, failure: { stage: 'banner', kind: 'protocol', message: 'malformed reply line' } }),
    level: null,
    codes: ['SMTP_PROTOCOL_ERROR'],
  },
  {
    name: 'closed right after the handshake: no mail goes over TLS, none',
    facts: addressFacts({ ehloTls: null, failure: { stage: 'ehlo-tls', kind: 'closed', message: 'server closed the connection' } }),
    level: 'none',
    codes: ['TLS_DIALOGUE_FAILED'],
  },
  {
    name: 'no answer to EHLO over TLS: none',
    facts: addressFacts({ ehloTls: null, failure: { stage: 'ehlo-tls', kind: 'timeout', message: 'timeout while reading reply to EHLO' } }),
    level: 'none',
    codes: ['TLS_DIALOGUE_FAILED'],
  },
  {
    name: 'EHLO over TLS flooded: none',
    facts: addressFacts({ ehloTls: null, failure: { stage: 'ehlo-tls', kind: 'protocol', message: 'reply longer than 100 lines' } }),
    level: 'none',
    codes: ['TLS_DIALOGUE_FAILED'],
  },
  { name: 'plaintext injected after 220: an error, so not verify', facts: addressFacts({ injectedBytes: 14 }), level: 'encrypt', codes: ['STARTTLS_INJECTION'] },
  {
    name: 'TLS 1.0: legacy protocol warning, still verify',
    facts: addressFacts({ tls: { ...addressFacts().tls!, protocol: 'TLSv1' } }),
    level: 'verify',
    codes: ['TLS_LEGACY_PROTOCOL'],
  },
  { name: 'TLS 1.2 is not legacy', facts: addressFacts({ tls: { ...addressFacts().tls!, protocol: 'TLSv1.2' } }), level: 'verify', codes: [] },
  {
    name: 'expired leaf: encrypt',
    facts: addressFacts({ certificate: { ...chainWith({ notAfter: daysFromNow(-3) }), opensslError: 'CERT_HAS_EXPIRED' } }),
    level: 'encrypt',
    codes: ['CERT_EXPIRED'],
  },
  {
    name: 'not yet valid leaf: encrypt',
    facts: addressFacts({ certificate: chainWith({ notBefore: daysFromNow(2) }) }),
    level: 'encrypt',
    codes: ['CERT_NOT_YET_VALID'],
  },
  { name: 'expires in 10 days: warning, still verify', facts: addressFacts({ certificate: chainWith({ notAfter: daysFromNow(10.5) }) }), level: 'verify', codes: ['CERT_EXPIRES_SOON'] },
  { name: 'expires in 10 days with --warn-days 7: nothing', facts: addressFacts({ certificate: chainWith({ notAfter: daysFromNow(10.5) }) }), level: 'verify', codes: [], warnDays: 7 },
  {
    name: 'expired intermediate sent by the server: a CA code, CERT_EXPIRED is the leaf only',
    facts: addressFacts({ certificate: certFacts([certInfo(), intermediate({ notAfter: daysFromNow(-1) }), root()], 'CERT_HAS_EXPIRED') }),
    level: 'encrypt',
    codes: ['CERT_CA_EXPIRED'],
  },
  {
    name: 'expired trust anchor: CERT_CA_EXPIRED, not verify',
    facts: addressFacts({ certificate: certFacts([certInfo(), intermediate(), root({ notAfter: daysFromNow(-1) })], 'CERT_HAS_EXPIRED') }),
    level: 'encrypt',
    codes: ['CERT_CA_EXPIRED'],
  },
  {
    name: 'self-signed leaf',
    facts: addressFacts({ certificate: certFacts([certInfo({ selfSigned: true, issuer: 'CN=mx.example.com' })], 'DEPTH_ZERO_SELF_SIGNED_CERT') }),
    level: 'encrypt',
    codes: ['CERT_SELF_SIGNED'],
  },
  {
    name: 'leaf only, issuer unknown: chain incomplete',
    facts: addressFacts({ certificate: certFacts([certInfo()], 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') }),
    level: 'encrypt',
    codes: ['CERT_CHAIN_INCOMPLETE'],
  },
  {
    name: 'chain to a root that is not trusted',
    facts: addressFacts({ certificate: certFacts([certInfo(), intermediate()], 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY') }),
    level: 'encrypt',
    codes: ['CERT_UNTRUSTED'],
  },
  {
    name: 'self-signed root sent but not trusted',
    facts: addressFacts({ certificate: certFacts([certInfo(), intermediate(), root({ inTrustStore: false })], 'SELF_SIGNED_CERT_IN_CHAIN') }),
    level: 'encrypt',
    codes: ['CERT_UNTRUSTED'],
  },
  { name: 'wrong name', facts: addressFacts({ certificate: chainWith({ san: ['DNS:other.example.net'] }) }), level: 'encrypt', codes: ['CERT_NAME_MISMATCH'] },
  { name: 'wildcard name matches', facts: addressFacts({ certificate: chainWith({ san: ['DNS:*.example.com'] }) }), level: 'verify', codes: [] },
  { name: 'RSA-1024 leaf: weak key', facts: addressFacts({ certificate: chainWith({ keyBits: 1024 }) }), level: 'encrypt', codes: ['WEAK_KEY'] },
  { name: 'EC P-256 leaf is not weak', facts: addressFacts({ certificate: chainWith({ keyType: 'ec', keyBits: 256, curve: 'prime256v1' }) }), level: 'verify', codes: [] },
  { name: 'Ed25519 leaf is not weak', facts: addressFacts({ certificate: chainWith({ keyType: 'ed25519', keyBits: 256 }) }), level: 'verify', codes: [] },
  { name: 'SHA-1 signed leaf: weak signature', facts: addressFacts({ certificate: chainWith({ signatureAlgorithm: 'sha1WithRSAEncryption' }) }), level: 'encrypt', codes: ['WEAK_SIGNATURE'] },
  {
    name: "a trusted root's own SHA-1 self-signature does not count",
    facts: addressFacts({ certificate: certFacts([certInfo(), intermediate(), root({ signatureAlgorithm: 'sha1WithRSAEncryption' })], null) }),
    level: 'verify',
    codes: [],
  },
  {
    name: 'several problems at once are all reported',
    facts: addressFacts({
      tls: { ...addressFacts().tls!, protocol: 'TLSv1.1' },
      certificate: certFacts([certInfo({ selfSigned: true, san: ['DNS:localhost'], keyBits: 1024, notAfter: daysFromNow(-1), signatureAlgorithm: 'md5WithRSAEncryption' })], 'DEPTH_ZERO_SELF_SIGNED_CERT'),
    }),
    level: 'encrypt',
    codes: ['TLS_LEGACY_PROTOCOL', 'CERT_EXPIRED', 'CERT_SELF_SIGNED', 'CERT_NAME_MISMATCH', 'WEAK_KEY'],
  },
];

for (const c of CASES) {
  test(c.name, () => {
    const result = judgeAddress(c.facts, { ...POLICY, warnDays: c.warnDays ?? POLICY.warnDays }, NOW);
    assert.equal(result.level, c.level);
    assert.deepEqual(result.problems.map((p) => p.code), c.codes);
    for (const p of result.problems) {
      assert.equal(p.host, c.facts.host);
      assert.equal(p.ip, c.facts.ip);
      assert.match(p.message, new RegExp(c.facts.ip.replace(/\./g, '\\.')));
      assert.ok(p.hint.length > 20, 'every problem says what to fix');
    }
  });
}

test('certificate verdict: days left, name matched, expiry flags', () => {
  const result = judgeAddress(addressFacts(), POLICY, NOW);
  assert.equal(result.certificate?.daysLeft, 60);
  assert.deepEqual(result.certificate?.chainDaysLeft, [60, 1000]); // the presented chain: no root
  assert.equal(result.certificate?.nameMatch, true);
  assert.equal(result.certificate?.matchedName, 'DNS:mx.example.com');
  assert.equal(result.certificate?.expired, false);
  assert.equal(result.certificate?.notYetValid, false);
});

test('judging is pure: the same facts and time give the same result, facts untouched', () => {
  const facts = addressFacts();
  const copy = structuredClone(facts);
  assert.deepEqual(judgeAddress(facts, POLICY, NOW), judgeAddress(facts, POLICY, NOW));
  assert.deepEqual(facts, copy);
});

test('the time is a parameter: the same certificate expires later', () => {
  const facts = addressFacts();
  assert.equal(judgeAddress(facts, POLICY, NOW).level, 'verify');
  assert.equal(judgeAddress(facts, POLICY, new Date(NOW.getTime() + 61 * 86_400_000)).level, 'encrypt');
});
