// The guideline data (model/tls-guidelines.ts, the suite table model/cipher-suites.ts, the tier
// column of model/tls-protocols.ts) and the grading judge (judge/deep-grade.ts), tested over the
// whole tables: every suite graded under every profile, every code point and name unique, every
// name a profile lists known to the table, every graded code reachable with a hint, the tier of
// each code agreeing with its severity; then the named cases of the issue and the graded
// requirement's grammar and verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CIPHER_SUITES, cipherSuite, cipherSuiteByName, suiteProtocols } from '../../src/model/cipher-suites.ts';
import { cipherWeaknesses } from '../../src/model/cipher-classes.ts';
import { TLS_PROTOCOLS } from '../../src/model/tls-protocols.ts';
import { NAMED_GROUPS, namedGroup, namedGroupByName } from '../../src/model/named-groups.ts';
import {
  GUIDELINE_PROFILES,
  GUIDELINE_PROFILE_IDS,
  TIERS,
  certHashTier,
  certKeyTier,
  dhTier,
  groupTier,
  parseProfile,
  protocolTier,
  suiteTier,
  worstTier,
  type GuidelineProfileId,
  type Tier,
} from '../../src/model/tls-guidelines.ts';
import { GRADE_CODES, gradeAddress, type GradeInput } from '../../src/judge/deep-grade.ts';
import { PROBLEMS } from '../../src/judge/problem-catalogue.ts';
import { parseRequirement, parseRequirementSpec, requirementText, SENDER_POLICIES } from '../../src/judge/sender-policies.ts';
import { judgePolicy } from '../../src/judge/judge-policy.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import type { ProblemCode } from '../../src/model/problem.ts';
import type { DeepFacts } from '../../src/model/deep.ts';
import { addressFacts, certFacts, certInfo, domainFacts, intermediate, mxHost, NOW, root } from '../helpers/facts.ts';
import { deepFacts, protocols, suites } from '../helpers/deep-facts.ts';

const PROFILES = GUIDELINE_PROFILE_IDS;
const grade = (input: GradeInput, profile: GuidelineProfileId = 'ncsc') => gradeAddress(input, profile);
const codes = (input: GradeInput, profile: GuidelineProfileId = 'ncsc') => grade(input, profile).problems.map((p) => p.code);
const withDeep = (deep: Partial<DeepFacts>, address = addressFacts()) => ({ ...address, deep: deepFacts(deep) });
const ecCert = () => certFacts([certInfo({ keyType: 'ec', keyBits: 256, curve: 'prime256v1', signatureAlgorithm: 'ecdsa-with-SHA256' }), intermediate({ keyType: 'ec', keyBits: 384, curve: 'secp384r1', signatureAlgorithm: 'ecdsa-with-SHA384' }), root()], null);

test('the suite table: every code point and every IANA and OpenSSL name is unique, and each resolves back to its row', () => {
  assert.ok(CIPHER_SUITES.length > 200, `${CIPHER_SUITES.length} suites`);
  const unique = <T>(values: T[]) => assert.equal(new Set(values).size, values.length);
  unique(CIPHER_SUITES.map((s) => s.code));
  unique(CIPHER_SUITES.map((s) => s.name));
  unique(CIPHER_SUITES.flatMap((s) => (s.openssl === null ? [] : [s.openssl])));
  for (const s of CIPHER_SUITES) {
    assert.ok(s.code > 0 && s.code < 0xfe00, s.name);
    assert.match(s.name, /^TLS_[A-Z0-9_a-z]+$/, s.name);
    assert.equal(cipherSuite(s.code), s);
    assert.equal(cipherSuiteByName(s.name), s);
    assert.equal(cipherSuiteByName(s.name.toLowerCase()), s);
    if (s.openssl !== null) assert.equal(cipherSuiteByName(s.openssl), s, s.openssl);
    assert.equal(s.since === 'TLSv1.3', s.code >> 8 === 0x13, s.name);
    assert.ok(suiteProtocols(s).length > 0, s.name);
    if (s.since === 'TLSv1.3') assert.deepEqual(suiteProtocols(s), ['TLSv1.3']);
    else assert.ok(!suiteProtocols(s).includes('TLSv1.3'), s.name);
  }
  assert.equal(cipherSuiteByName('SSL_RSA_WITH_3DES_EDE_CBC_SHA')?.code, 0x000a);
  assert.equal(cipherSuite(0xfefe), null);
  assert.equal(cipherSuiteByName('x'.repeat(100)), null);
});

test('the suite table holds every kind a deep scan offers: RC4, 3DES, DES, EXPORT, NULL, anonymous, CBC, DHE, ECDHE, RSA key transport, Camellia, ARIA, SEED, IDEA, TLS 1.3', () => {
  const has = (what: string, pick: (s: (typeof CIPHER_SUITES)[number]) => boolean) => assert.ok(CIPHER_SUITES.some(pick), what);
  has('RC4', (s) => s.enc === 'RC4');
  has('3DES', (s) => s.enc === '3DES-CBC');
  has('DES', (s) => s.enc === 'DES-CBC' && !s.export);
  has('EXPORT', (s) => s.export);
  has('NULL', (s) => s.enc === 'NULL');
  has('anonymous', (s) => s.auth === 'anon');
  has('CBC', (s) => s.enc === 'AES-CBC');
  has('DHE', (s) => s.kx === 'DHE');
  has('ECDHE', (s) => s.kx === 'ECDHE');
  has('RSA key transport', (s) => s.kx === 'RSA');
  for (const enc of ['CAMELLIA-CBC', 'CAMELLIA-GCM', 'ARIA-GCM', 'SEED-CBC', 'IDEA-CBC', 'CHACHA20-POLY1305', 'AES-CCM', 'AES-CCM8']) has(enc, (s) => s.enc === enc);
  for (const code of [0x1301, 0x1302, 0x1303, 0x1304, 0x1305]) assert.ok(cipherSuite(code) !== null, code.toString(16));
});

test('the profile ids (model/guideline-profile-ids.ts, read by --profile without the tables) are the profiles, in order, each with its own id', () => {
  assert.deepEqual(Object.keys(GUIDELINE_PROFILES), [...GUIDELINE_PROFILE_IDS]);
  for (const id of GUIDELINE_PROFILE_IDS) assert.equal(GUIDELINE_PROFILES[id].id, id);
});

test('every suite of the table is graded under every profile, and every name a profile lists is a suite of the table, in one tier only', () => {
  for (const id of PROFILES) {
    const profile = GUIDELINE_PROFILES[id];
    for (const s of CIPHER_SUITES) assert.ok(TIERS.includes(suiteTier(profile, s.name)), `${id} ${s.name}`);
    const listed = [...profile.ciphers.good, ...profile.ciphers.sufficient, ...profile.ciphers['phase-out']];
    assert.equal(new Set(listed).size, listed.length, `${id}: a suite in two tiers`);
    for (const name of listed) assert.ok(cipherSuiteByName(name) !== null, `${id} lists ${name}, which the table does not know`);
  }
});

test('every broken suite (model/cipher-classes.ts) is insufficient under ncsc and no better than phase-out under mozilla-intermediate; NULL, EXPORT, RC4 and anonymous ones insufficient under both', () => {
  let broken = 0;
  for (const s of CIPHER_SUITES) {
    const weak = [...cipherWeaknesses(s.name), ...cipherWeaknesses(s.openssl ?? '')];
    if (s.export || s.enc === 'NULL' || s.enc === 'RC4' || s.auth === 'anon' || s.bits < 112) weak.push('broken');
    if (weak.length === 0) continue;
    broken += 1;
    assert.equal(suiteTier(GUIDELINE_PROFILES.ncsc, s.name), 'insufficient', s.name);
    const mozilla = suiteTier(GUIDELINE_PROFILES['mozilla-intermediate'], s.name);
    assert.ok(mozilla === 'insufficient' || mozilla === 'phase-out', `${s.name}: ${mozilla}`);
    if (s.export || s.enc === 'NULL' || s.enc === 'RC4' || s.auth === 'anon') assert.equal(mozilla, 'insufficient', s.name);
  }
  assert.ok(broken > 60, `${broken} broken suites`);
  // NCSC appendix B as internet.nl lists it, a few rows.
  const ncsc = GUIDELINE_PROFILES.ncsc;
  assert.equal(suiteTier(ncsc, 'TLS_AES_256_GCM_SHA384'), 'good');
  assert.equal(suiteTier(ncsc, 'TLS_AES_128_GCM_SHA256'), 'sufficient');
  assert.equal(suiteTier(ncsc, 'TLS_AES_128_CCM_8_SHA256'), 'insufficient');
  assert.equal(suiteTier(ncsc, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256'), 'phase-out');
  assert.equal(suiteTier(ncsc, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'), 'insufficient');
  assert.equal(suiteTier(ncsc, 'TLS_RSA_WITH_AES_128_GCM_SHA256'), 'insufficient');
  assert.equal(suiteTier(GUIDELINE_PROFILES['mozilla-intermediate'], 'TLS_RSA_WITH_3DES_EDE_CBC_SHA'), 'phase-out');
});

test('every protocol version of the one protocol table has a tier under every profile: TLS 1.3 good, 1.2 sufficient; 1.0 and 1.1 insufficient under ncsc, phase-out under Mozilla; SSL insufficient', () => {
  for (const row of TLS_PROTOCOLS) for (const id of PROFILES) assert.ok(TIERS.includes(row.tiers[id]), `${row.name} ${id}`);
  const expected: Record<GuidelineProfileId, Record<string, Tier>> = {
    ncsc: { SSLv2: 'insufficient', SSLv3: 'insufficient', TLSv1: 'insufficient', 'TLSv1.1': 'insufficient', 'TLSv1.2': 'sufficient', 'TLSv1.3': 'good' },
    'mozilla-intermediate': { SSLv2: 'insufficient', SSLv3: 'insufficient', TLSv1: 'phase-out', 'TLSv1.1': 'phase-out', 'TLSv1.2': 'sufficient', 'TLSv1.3': 'good' },
  };
  for (const id of PROFILES) for (const [version, tier] of Object.entries(expected[id])) assert.equal(protocolTier(GUIDELINE_PROFILES[id], version), tier, `${id} ${version}`);
  assert.equal(protocolTier(GUIDELINE_PROFILES.ncsc, 'TLS1_2'), 'sufficient');
  assert.equal(protocolTier(GUIDELINE_PROFILES.ncsc, 'TLSv9'), 'insufficient');
});

test('groups, DH sizes, certificate keys and hashes: the thresholds of each profile', () => {
  const ncsc = GUIDELINE_PROFILES.ncsc;
  const mozilla = GUIDELINE_PROFILES['mozilla-intermediate'];
  assert.deepEqual(['x25519', 'X25519', 'prime256v1', 'secp384r1', 'secp521r1', 'x448', 'brainpoolP256r1', 'secp224r1', 'secp192r1', 'sect163k1'].map((g) => groupTier(ncsc, g)), ['good', 'good', 'good', 'good', 'good', 'good', 'good', 'phase-out', 'insufficient', 'insufficient']);
  assert.deepEqual(['x25519', 'secp256r1', 'secp521r1', 'secp224r1'].map((g) => groupTier(mozilla, g)), ['good', 'good', 'sufficient', 'insufficient']);
  assert.deepEqual([1024, 2048, 3072, 4096, 8192].map((b) => dhTier(ncsc, b)), ['insufficient', 'insufficient', 'phase-out', 'phase-out', 'phase-out']);
  assert.deepEqual([512, 1024, 2048, 4096].map((b) => dhTier(mozilla, b)), ['insufficient', 'phase-out', 'sufficient', 'sufficient']);
  assert.equal(groupTier(ncsc, 'ffdhe2048'), 'insufficient');
  assert.equal(groupTier(ncsc, 'ffdhe4096'), 'phase-out');
  assert.deepEqual([1024, 2048, 3072, 4096].map((b) => certKeyTier(ncsc, 'rsa', b, null)), ['insufficient', 'phase-out', 'good', 'good']);
  assert.deepEqual([1024, 2048, 4096].map((b) => certKeyTier(mozilla, 'rsa', b, null)), ['insufficient', 'sufficient', 'sufficient']);
  assert.deepEqual(['prime256v1', 'secp384r1', 'secp224r1', 'secp192r1'].map((c) => certKeyTier(ncsc, 'ec', 256, c)), ['good', 'good', 'phase-out', 'insufficient']);
  assert.deepEqual([certKeyTier(ncsc, 'ed25519', 253, null), certKeyTier(ncsc, 'dsa', 2048, null), certKeyTier(mozilla, 'ed25519', 253, null)], ['good', 'insufficient', 'sufficient']);
  const hashes = ['sha256WithRSAEncryption', 'ecdsa-with-SHA384', 'sha512WithRSAEncryption', 'ED25519', 'sha224WithRSAEncryption', 'sha1WithRSAEncryption', 'md5WithRSAEncryption', 'RSASSA-PSS'];
  assert.deepEqual(hashes.map((h) => certHashTier(ncsc, h)), ['good', 'good', 'good', 'good', 'phase-out', 'insufficient', 'insufficient', null]);
  assert.deepEqual(hashes.map((h) => certHashTier(mozilla, h)), ['good', 'good', 'sufficient', 'sufficient', 'phase-out', 'insufficient', 'insufficient', null]);
  assert.equal(worstTier([]), null);
  assert.equal(worstTier(['good', 'insufficient', 'phase-out']), 'insufficient');
  assert.equal(parseProfile(' Mozilla-Intermediate '), 'mozilla-intermediate');
  assert.equal(parseProfile('modern'), null);
});

/** Inputs that reach every graded code under one profile or the other. */
function reachingInputs(): Array<{ name: string; input: GradeInput; profile: GuidelineProfileId }> {
  const all: Array<{ name: string; input: GradeInput; profile: GuidelineProfileId }> = [];
  const add = (name: string, input: GradeInput, profile: GuidelineProfileId = 'ncsc') => all.push({ name, input, profile });
  add('TLS 1.0', withDeep({ protocols: protocols('TLSv1', 'TLSv1.2') }));
  add('TLS 1.0 (Mozilla)', withDeep({ protocols: protocols('TLSv1', 'TLSv1.2') }), 'mozilla-intermediate');
  add('3DES', withDeep({ ciphers: { accepted: suites('TLSv1.2', 'DES-CBC3-SHA'), serverOrder: true, untested: [] } }));
  add('CBC', withDeep({ ciphers: { accepted: suites('TLSv1.2', 'ECDHE-RSA-AES128-SHA256'), serverOrder: true, untested: [] } }));
  add('client order', withDeep({ ciphers: { accepted: suites('TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-SHA256'), serverOrder: false, untested: [] } }));
  add('secp192r1', withDeep({ groups: { accepted: ['secp192r1'], dhBits: [], dhGroups: [], untested: [] } }));
  add('secp224r1', withDeep({ groups: { accepted: ['secp224r1'], dhBits: [], dhGroups: [], untested: [] } }));
  add('DHE 1024', withDeep({ groups: { accepted: ['x25519'], dhBits: [1024], dhGroups: [], untested: [] } }));
  add('DHE 4096', withDeep({ groups: { accepted: ['x25519'], dhBits: [4096], dhGroups: [], untested: [] } }));
  add('RSA 2048', withDeep({}));
  add('SHA-224', withDeep({}, addressFacts({ certificate: certFacts([certInfo({ signatureAlgorithm: 'sha224WithRSAEncryption' }), intermediate(), root()], null) })));
  const weakEcdsa = certFacts([certInfo({ keyType: 'ec', keyBits: 160, curve: 'secp160r1', signatureAlgorithm: 'ecdsa-with-SHA1', fingerprint256: 'EE:FF' }), intermediate(), root()], null);
  add('a second, weak certificate', withDeep({ certificates: [{ offered: 'ecdsa', certificate: weakEcdsa, note: null }] }));
  add('compression', withDeep({ compression: true }));
  add('insecure renegotiation', withDeep({ renegotiation: { secure: false, clientInitiated: false, note: null } }));
  add('client renegotiation', withDeep({ renegotiation: { secure: true, clientInitiated: true, note: null } }));
  add('no EMS', withDeep({ extendedMasterSecret: false }));
  add('command injection', withDeep({ commandInjection: { vulnerable: true, note: null } }));
  add('partial', withDeep({ partial: { stage: 'banner', kind: 'rejected', message: '421 too many connections' }, compression: null }));
  return all;
}

test('every graded code of the catalogue is reachable from some facts, and the catalogue marks exactly the grading\'s own codes as graded', () => {
  const reached = new Set<ProblemCode>();
  for (const { input, profile } of reachingInputs()) for (const code of codes(input, profile)) reached.add(code);
  const graded = (Object.keys(PROBLEMS) as ProblemCode[]).filter((c) => PROBLEMS[c].graded === true);
  for (const code of graded) assert.ok(reached.has(code), `${code} is never reported`);
  const mapped = new Set(Object.values(GRADE_CODES).flatMap((t) => Object.values(t)));
  for (const code of mapped) assert.ok(reached.has(code), `${code} is never reported`);
  // The grading's codes are graded ones, but for the two certificate codes it shares with the address judge.
  assert.deepEqual([...mapped].filter((c) => PROBLEMS[c].graded !== true).sort(), ['WEAK_KEY', 'WEAK_SIGNATURE']);
  assert.deepEqual(graded.filter((c) => !mapped.has(c)), ['DEEP_PARTIAL']);
});

test('every graded code has a hint naming what to change, and insufficient tiers are errors, phase-out tiers warnings, under every profile', () => {
  for (const [kind, byTier] of Object.entries(GRADE_CODES)) {
    for (const code of Object.values(byTier)) {
      assert.ok(PROBLEMS[code].hint.length > 60, `${kind}: ${code} has no hint`);
      assert.equal(PROBLEMS[code].command, 'probe');
    }
  }
  // The kinds with a code per tier.
  for (const kind of ['protocol', 'cipher', 'group', 'dh', 'cert-key', 'cert-hash'] as const) {
    assert.equal(PROBLEMS[GRADE_CODES[kind].insufficient].severity, 'error', `${kind} insufficient`);
    assert.equal(PROBLEMS[GRADE_CODES[kind]['phase-out']].severity, 'warning', `${kind} phase-out`);
  }
  // The session facts have one code each: each profile's tier for it must agree with its severity.
  const severityOf = (tier: Tier | null) => (tier === 'insufficient' ? 'error' : tier === 'phase-out' ? 'warning' : null);
  for (const id of PROFILES) {
    const p = GUIDELINE_PROFILES[id];
    const single = { 'cipher-order': p.clientCipherOrder, compression: p.compression, renegotiation: p.insecureRenegotiation, 'client-renegotiation': p.clientRenegotiation, 'extended-master-secret': p.noExtendedMasterSecret, 'command-injection': p.commandInjection } as const;
    for (const [kind, tier] of Object.entries(single)) {
      if (tier === null || tier === 'good' || tier === 'sufficient') continue;
      assert.equal(PROBLEMS[GRADE_CODES[kind as keyof typeof single][tier]].severity, severityOf(tier), `${id} ${kind}`);
    }
  }
  for (const code of ['TLS_PROTOCOL_INSUFFICIENT', 'TLS_CIPHER_INSUFFICIENT', 'TLS_CIPHER_ORDER', 'WEAK_DH', 'TLS_CLIENT_RENEGOTIATION'] as const) assert.match(PROBLEMS[code].hint, /Postfix/, code);
});

test('named case: a server that accepts TLS 1.3 only, with a good suite, X25519 and an ECDSA P-256 certificate, is good and complete', () => {
  const input = withDeep(
    {
      protocols: protocols('TLSv1.3'),
      ciphers: { accepted: suites('TLSv1.3', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'), serverOrder: null, untested: [] },
      groups: { accepted: ['x25519'], dhBits: [], dhGroups: [], untested: [] },
      renegotiation: { secure: null, clientInitiated: null, note: null },
      compression: null,
      extendedMasterSecret: null,
    },
    addressFacts({ certificate: ecCert() }),
  );
  const { grade: g, problems } = grade(input);
  assert.equal(g.worst, 'good', JSON.stringify(g.facts));
  assert.equal(g.complete, true, g.missing.join('; '));
  assert.deepEqual(problems, []);
  assert.deepEqual(g.facts.filter((f) => f.kind === 'protocol').map((f) => [f.subject, f.tier]), [['TLSv1.3', 'good']]);
});

test('named cases: TLS 1.0 accepted → insufficient; 3DES accepted → insufficient; DHE 1024 → WEAK_DH; and what Mozilla calls them', () => {
  const tls10 = withDeep({ protocols: protocols('TLSv1', 'TLSv1.2', 'TLSv1.3') });
  assert.equal(grade(tls10).grade.worst, 'insufficient');
  assert.ok(codes(tls10).includes('TLS_PROTOCOL_INSUFFICIENT'));
  assert.match(grade(tls10).problems.find((p) => p.code === 'TLS_PROTOCOL_INSUFFICIENT')?.message ?? '', /mx\.example\.com \[192\.0\.2\.10\] accepts TLSv1: insufficient/);
  assert.ok(codes(tls10, 'mozilla-intermediate').includes('TLS_PROTOCOL_PHASE_OUT'));
  assert.ok(!codes(tls10, 'mozilla-intermediate').includes('TLS_PROTOCOL_INSUFFICIENT'));

  const des3 = withDeep({ ciphers: { accepted: suites('TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384', 'DES-CBC3-SHA'), serverOrder: true, untested: [] } });
  assert.equal(grade(des3).grade.worst, 'insufficient');
  assert.match(grade(des3).problems.find((p) => p.code === 'TLS_CIPHER_INSUFFICIENT')?.message ?? '', /TLS_RSA_WITH_3DES_EDE_CBC_SHA/);
  assert.ok(codes(des3, 'mozilla-intermediate').includes('TLS_CIPHER_PHASE_OUT'));

  const dh1024 = withDeep({ groups: { accepted: ['x25519'], dhBits: [1024], dhGroups: [], untested: [] }, ciphers: { accepted: suites('TLSv1.2', 'DHE-RSA-AES256-GCM-SHA384'), serverOrder: true, untested: [] } });
  assert.ok(codes(dh1024).includes('WEAK_DH'));
  assert.equal(grade(dh1024).grade.worst, 'insufficient');
  assert.ok(codes(dh1024, 'mozilla-intermediate').includes('TLS_GROUP_PHASE_OUT'));
  assert.ok(!codes(dh1024, 'mozilla-intermediate').includes('WEAK_DH'));
});

test('DH primes: under ncsc only the RFC 7919 groups ffdhe3072 and up pass as phase-out, a prime of the server\'s own is insufficient at any size; Mozilla goes by size alone', () => {
  const dh = (bits: number, named: boolean) =>
    withDeep({ groups: { accepted: ['x25519'], dhBits: [bits], dhGroups: named ? [`ffdhe${bits}`] : [], untested: [] }, ciphers: { accepted: suites('TLSv1.2', 'DHE-RSA-AES256-GCM-SHA384'), serverOrder: true, untested: [] } });
  const dhTierOf = (input: GradeInput, profile: 'ncsc' | 'mozilla-intermediate' = 'ncsc') => grade(input, profile).grade.facts.find((f) => f.kind === 'dh')?.tier;
  assert.equal(dhTierOf(dh(4096, true)), 'phase-out');
  assert.equal(dhTierOf(dh(3072, true)), 'phase-out');
  assert.equal(dhTierOf(dh(4096, false)), 'insufficient', 'a 4096-bit prime of its own is not an RFC 7919 group');
  assert.ok(codes(dh(4096, false)).includes('WEAK_DH'));
  assert.equal(dhTierOf(dh(2048, true)), 'insufficient', 'ffdhe2048 is below the NCSC bound');
  assert.equal(dhTierOf(dh(2048, false), 'mozilla-intermediate'), 'sufficient');
  assert.equal(dhTierOf(dh(2048, true), 'mozilla-intermediate'), 'sufficient');
});

test('the probe\'s own handshake alone: graded, never complete; its certificate\'s weak key is left to the address judge', () => {
  const own = grade(addressFacts());
  assert.equal(own.grade.complete, false);
  assert.match(own.grade.missing.join(' '), /--deep was not run/);
  assert.deepEqual(own.grade.facts.filter((f) => f.kind !== 'cert-key' && f.kind !== 'cert-hash').map((f) => [f.kind, f.subject, f.tier, f.seenBy]), [
    ['protocol', 'TLSv1.3', 'good', 'probe'],
    ['cipher', 'TLS_AES_256_GCM_SHA384', 'good', 'probe'],
    ['group', 'x25519', 'good', 'probe'],
  ]);
  assert.ok(!codes(addressFacts()).includes('DEEP_PARTIAL'));
  const old = addressFacts({ tls: { ...addressFacts().tls!, protocol: 'TLSv1', cipher: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', cipherOpenssl: 'DES-CBC3-SHA', keyExchange: { type: 'DH', name: null, size: 1024 } } });
  assert.deepEqual(codes(old).filter((c) => c !== 'CERT_KEY_PHASE_OUT').sort(), ['TLS_CIPHER_INSUFFICIENT', 'TLS_PROTOCOL_INSUFFICIENT', 'WEAK_DH']);
  const weakKey = addressFacts({ certificate: certFacts([certInfo({ keyBits: 1024 }), intermediate(), root()], null) });
  assert.equal(grade(weakKey).grade.worst, 'insufficient');
  assert.ok(!codes(weakKey).includes('WEAK_KEY'), 'the address judge reports it');
  assert.equal(grade(addressFacts({ tls: null, certificate: null })).grade.complete, true);
});

test('a deep probe that stopped early: DEEP_PARTIAL lists what was not told, and the grade is not complete', () => {
  const partial = withDeep({
    protocols: [...protocols('TLSv1.2', 'TLSv1.3').filter((p) => p.version !== 'TLSv1.1'), { version: 'TLSv1.1', accepted: null, note: 'the server answered 421' }],
    compression: null,
    partial: { stage: 'banner', kind: 'rejected', message: '421 4.7.0 too many connections' },
  });
  const { grade: g, problems } = grade(partial);
  assert.equal(g.complete, false);
  const deepPartial = problems.find((p) => p.code === 'DEEP_PARTIAL');
  assert.equal(deepPartial?.severity, 'info');
  assert.match(deepPartial?.message ?? '', /stopped early \(421 4\.7\.0 too many connections\); not told: TLSv1\.1: the server answered 421; compression/);
  // Untold session facts of TLS 1.3 only are no gap: they do not exist there.
  const tls13 = grade(withDeep({ protocols: protocols('TLSv1.3'), renegotiation: { secure: null, clientInitiated: null, note: null }, compression: null, extendedMasterSecret: null }));
  assert.equal(tls13.grade.complete, true, tls13.grade.missing.join('; '));
  // With implicit TLS there is nothing to inject into.
  const implicit = grade({ ...withDeep({ commandInjection: { vulnerable: null, note: 'implicit TLS' } }), tlsMode: 'implicit' });
  assert.equal(implicit.grade.complete, true, implicit.grade.missing.join('; '));
});

test('the server order matters only when suites of different tiers are accepted; Mozilla leaves the order to the client', () => {
  const mixed = suites('TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-SHA256');
  assert.ok(codes(withDeep({ ciphers: { accepted: mixed, serverOrder: false, untested: [] } })).includes('TLS_CIPHER_ORDER'));
  assert.ok(!codes(withDeep({ ciphers: { accepted: mixed, serverOrder: true, untested: [] } })).includes('TLS_CIPHER_ORDER'));
  assert.ok(!codes(withDeep({ ciphers: { accepted: mixed, serverOrder: false, untested: [] } }), 'mozilla-intermediate').includes('TLS_CIPHER_ORDER'));
  const good = suites('TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384');
  assert.ok(!codes(withDeep({ ciphers: { accepted: good, serverOrder: false, untested: [] } })).includes('TLS_CIPHER_ORDER'));
});

test('the requirement grammar: every policy name alone and with +graded, several comma-separated, and what is not a requirement', () => {
  for (const p of SENDER_POLICIES) {
    for (const name of [p.letter, p.id, ...(p.level !== null ? [p.level] : [])]) {
      assert.deepEqual(parseRequirementSpec(name), { required: [p.id], graded: false }, name);
      assert.deepEqual(parseRequirementSpec(`${name.toUpperCase()}+graded`), { required: [p.id], graded: true }, name);
      assert.deepEqual(parseRequirementSpec(` ${name} + Graded `), { required: [p.id], graded: true }, name);
      assert.deepEqual(parseRequirement(name), [p.id]);
      assert.equal(parseRequirement(`${name}+graded`), null, 'the plain grammar is unchanged');
    }
  }
  assert.deepEqual(parseRequirementSpec('d, B+graded'), { required: ['opportunistic', 'verify'], graded: true });
  for (const bad of ['+graded', 'graded', 'verify+', 'verify+gradedx', 'verify+graded+graded', 'verify,+graded', 'verify+ncsc', 'tlsa+graded', '']) assert.equal(parseRequirementSpec(bad), null, bad);
  for (const graded of [false, true]) {
    for (const required of [['tls-required'], ['opportunistic', 'verify'], ['dane', 'mta-sts']] as const) {
      assert.deepEqual(parseRequirementSpec(requirementText(required, graded)), { required, graded });
    }
  }
  assert.equal(requirementText(['verify'], true), 'verify+graded');
});

test('the judge policy: graded and profile kept when given, checked at the edge', () => {
  assert.deepEqual(judgePolicy({}), { required: ['tls-required'], warnDays: 30 });
  assert.deepEqual(judgePolicy({ graded: true, profile: 'mozilla-intermediate' }), { required: ['tls-required'], warnDays: 30, graded: true, profile: 'mozilla-intermediate' });
  assert.throws(() => judgePolicy({ profile: 'modern' as GuidelineProfileId }), /profile must be one of ncsc, mozilla-intermediate/);
  assert.throws(() => judgePolicy({ graded: 'yes' as unknown as boolean }), RangeError);
});

test('the graded requirement of a domain: false when an address accepts something insufficient, null without a complete deep probe, true for a clean one', () => {
  const domain = (...addresses: ReturnType<typeof addressFacts>[]) => domainFacts({ mx: [mxHost('mx.example.com', 10, addresses)] });
  const judge = (facts: ReturnType<typeof domainFacts>, profile: GuidelineProfileId = 'ncsc') => judgeDomain(facts, { required: ['verify'], warnDays: 30, graded: true, profile }, NOW);
  const clean = judge(domain(withDeep({})));
  assert.equal(clean.pass, true);
  assert.equal(clean.required, 'verify+graded');
  assert.deepEqual(clean.graded, { profile: 'ncsc', worst: 'phase-out', satisfied: true }); // RSA 2048: phase-out under ncsc
  const tls10 = judge(domain(withDeep({}), { ...withDeep({ protocols: protocols('TLSv1', 'TLSv1.2') }), ip: '192.0.2.11' }));
  assert.equal(tls10.pass, false);
  assert.equal(tls10.graded?.satisfied, false);
  assert.equal(tls10.level, 'verify', 'what else is accepted never lowers the level');
  assert.equal(judge(domain(withDeep({ protocols: protocols('TLSv1', 'TLSv1.2') })), 'mozilla-intermediate').pass, true);
  const noDeep = judge(domain(addressFacts()));
  assert.equal(noDeep.pass, null, 'without a deep probe the graded requirement cannot be told');
  assert.equal(noDeep.mx[0]?.addresses[0]?.grade?.complete, false);
  const partial = judge(domain(withDeep({ partial: { stage: 'banner', kind: 'rejected', message: '421' } })));
  assert.equal(partial.pass, null);
  // Without +graded the grade is still made from deep facts, but weighs on nothing.
  const plain = judgeDomain(domain(withDeep({ protocols: protocols('TLSv1', 'TLSv1.2') })), { required: ['verify'], warnDays: 30 }, NOW);
  assert.equal(plain.pass, true);
  assert.equal(plain.graded, undefined);
  assert.equal(plain.required, 'verify');
  const found = plain.mx[0]?.addresses[0]?.problems.find((p) => p.code === 'TLS_PROTOCOL_INSUFFICIENT');
  assert.equal(found?.severity, 'warning', 'an error under a PASS is shown as a warning');
  // Without deep facts and without +graded: no grade at all (v1 output unchanged).
  assert.equal(judgeDomain(domain(addressFacts()), { required: ['verify'], warnDays: 30 }, NOW).mx[0]?.addresses[0]?.grade, undefined);
});

test('the named group table: code points and names unique; every group a profile grades above insufficient is in it, and every group of it is graded', () => {
  assert.equal(new Set(NAMED_GROUPS.map((g) => g.code)).size, NAMED_GROUPS.length);
  assert.equal(new Set(NAMED_GROUPS.map((g) => g.name.toLowerCase())).size, NAMED_GROUPS.length);
  for (const g of NAMED_GROUPS) {
    assert.equal(namedGroup(g.code), g);
    assert.equal(namedGroupByName(g.name.toUpperCase()), g);
    for (const id of PROFILES) assert.ok(TIERS.includes(groupTier(GUIDELINE_PROFILES[id], g.name)), `${id} ${g.name}`);
  }
  for (const id of PROFILES) {
    const { groups, certKey } = GUIDELINE_PROFILES[id];
    for (const name of [...groups.good, ...groups.sufficient, ...groups['phase-out'], ...certKey.curves.good, ...certKey.curves.sufficient, ...certKey.curves['phase-out']]) {
      assert.ok(namedGroupByName(name) !== null, `${id} grades ${name}, which the table does not know`);
    }
  }
  assert.equal(groupTier(GUIDELINE_PROFILES.ncsc, 'brainpoolP256r1tls13'), 'good');
  assert.equal(groupTier(GUIDELINE_PROFILES.ncsc, 'sect571r1'), 'insufficient', 'binary curves are insufficient');
  assert.equal(namedGroup(0xff01), null);
});
