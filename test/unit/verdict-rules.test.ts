// Rules of the verdict, tested over the whole problem catalogue and over many combinations of
// facts rather than one case each:
// - an error-severity problem on an address never leaves it at `verify`;
// - a failure of the dialogue after the handshake, or a failed handshake of a sender with current
//   TLS defaults, leaves an address at `none` at most;
// - an aborted probe is undetermined and no problem blames the server for it;
// - an error-severity problem never sits under a PASS (severity is relative to --require), the
//   graded requirement (--require …+graded) too;
// - the guideline grading's codes (what else a server accepts) never move an address's level;
//   a graded requirement passes only when no reachable address is graded insufficient and each
//   was graded completely;
// - pass is true iff every required sender policy is satisfied, false iff one is not (with a
//   determined verdict), null otherwise; each policy row follows the one definition of
//   "satisfies"; the levels and the rows agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capLevel, judgeAddress } from '../../src/judge/judge-address.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { SENDER_POLICIES, satisfies, senderPolicy } from '../../src/judge/sender-policies.ts';
import type { Requirement } from '../../src/model/policy.ts';
import type { DomainFacts } from '../../src/model/domain.ts';
import { allProblems } from '../../src/judge/all-problems.ts';
import { PROBLEMS, problem } from '../../src/judge/problem-catalogue.ts';
import { LEVELS, type Level } from '../../src/model/levels.ts';
import type { AddressFacts } from '../../src/model/address.ts';
import type { ProbeStage } from '../../src/model/smtp.ts';
import type { ProblemCode } from '../../src/model/problem.ts';
import { addressFacts, certFacts, certInfo, daysFromNow, domainFacts, intermediate, mxHost, NOW, plainAddress, root } from '../helpers/facts.ts';
import { deepFacts, protocols, suites } from '../helpers/deep-facts.ts';
import { gradeAddress } from '../../src/judge/deep-grade.ts';
import { GUIDELINE_PROFILE_IDS } from '../../src/model/tls-guidelines.ts';

const CODES = Object.keys(PROBLEMS) as ProblemCode[];
const ERRORS = CODES.filter((code) => PROBLEMS[code].severity === 'error');

test('the catalogue has error codes to check (the rules below are not vacuous)', () => {
  assert.ok(ERRORS.length >= 20, `only ${ERRORS.length} error codes`);
});

/** Codes that judge one sender policy's own mechanism (DANE, MTA-STS): they weigh on that row, never on the PKIX ladder. */
const POLICY_OWN = CODES.filter((code) => PROBLEMS[code].policy !== undefined);
/** Codes of the guideline grading (what else a server accepts): they weigh on `+graded`, never on the PKIX ladder. */
const GRADED = CODES.filter((code) => PROBLEMS[code].graded === true);
const LADDER_ERRORS = ERRORS.filter((c) => !POLICY_OWN.includes(c) && !GRADED.includes(c));

test('every error-severity code of the PKIX ladder keeps an address below verify', () => {
  for (const code of LADDER_ERRORS) {
    const capped = capLevel('verify', [problem(code, 'x')]);
    assert.notEqual(capped, 'verify', code);
  }
});

test('every code of a sender policy\'s own mechanism (DANE, MTA-STS), errors too, leaves every level alone: an address can be verify and DANE-invalid', () => {
  assert.ok(POLICY_OWN.filter((c) => PROBLEMS[c].severity === 'error').length >= 8, POLICY_OWN.join(' '));
  for (const code of POLICY_OWN) {
    for (const level of [...LEVELS, null]) assert.equal(capLevel(level, [problem(code, 'x')]), level, `${code} at ${level}`);
  }
  // Every DANE and MTA-STS code of the catalogue is marked (a new one must say which row it weighs on).
  for (const code of CODES.filter((c) => /^(DANE_|MTA_STS_)|^DNSSEC_BOGUS$/.test(c))) assert.ok(POLICY_OWN.includes(code), code);
});

test('every code of the guideline grading, errors too, leaves every level alone; none is also a sender policy\'s own', () => {
  assert.ok(GRADED.filter((c) => PROBLEMS[c].severity === 'error').length >= 8, GRADED.join(' '));
  for (const code of GRADED) {
    assert.equal(PROBLEMS[code].policy, undefined, code);
    for (const level of [...LEVELS, null]) assert.equal(capLevel(level, [problem(code, 'x')]), level, `${code} at ${level}`);
  }
});

test('warnings and information alone leave verify alone', () => {
  for (const code of CODES.filter((c) => PROBLEMS[c].severity !== 'error')) {
    assert.equal(capLevel('verify', [problem(code, 'x')]), 'verify', code);
  }
});

test('no delivery over TLS (a failed dialogue after the handshake, a failed current-defaults handshake) caps every level at none; unknown stays unknown', () => {
  for (const code of ['TLS_DIALOGUE_FAILED', 'TLS_MODERN_HANDSHAKE_FAILED'] as const) {
    for (const level of LEVELS) assert.equal(capLevel(level, [problem(code, 'x')]), 'none', `${code} at ${level}`);
    assert.equal(capLevel(null, [problem(code, 'x')]), null);
  }
});

/** Variations of one address, each a fact a hostile or broken server can produce. */
function variants(): Array<{ name: string; facts: AddressFacts }> {
  const stages: ProbeStage[] = ['connect', 'banner', 'ehlo', 'starttls', 'handshake', 'ehlo-tls', 'modern-tls', 'dane-handshake'];
  const kinds = ['timeout', 'connect', 'closed', 'protocol', 'rejected', 'tls', 'aborted'] as const;
  const out: Array<{ name: string; facts: AddressFacts }> = [
    { name: 'clean', facts: addressFacts() },
    { name: 'plain', facts: plainAddress() },
    { name: 'injection', facts: addressFacts({ injectedBytes: 9 }) },
    { name: 'starttls 454', facts: addressFacts({ starttlsReply: { code: 454, lines: ['no'] }, tls: null, certificate: null, ehloTls: null }) },
    { name: '530 first', facts: addressFacts({ tlsRequiredReply: { code: 530, lines: ['must'] } }) },
    { name: 'TLS 1.0', facts: addressFacts({ tls: { ...addressFacts().tls!, protocol: 'TLSv1' } }) },
    { name: 'weak cipher', facts: addressFacts({ tls: { ...addressFacts().tls!, protocol: 'TLSv1.2', cipher: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA' } }) },
    { name: 'expired leaf', facts: addressFacts({ certificate: certFacts([certInfo({ notAfter: daysFromNow(-2) }), intermediate(), root()], 'CERT_HAS_EXPIRED') }) },
    { name: 'soon', facts: addressFacts({ certificate: certFacts([certInfo({ notAfter: daysFromNow(3.5) }), intermediate(), root()], null) }) },
    { name: 'expired CA', facts: addressFacts({ certificate: certFacts([certInfo(), intermediate({ notAfter: daysFromNow(-2) }), root()], 'CERT_HAS_EXPIRED') }) },
    { name: 'self-signed', facts: addressFacts({ certificate: certFacts([certInfo({ selfSigned: true })], 'DEPTH_ZERO_SELF_SIGNED_CERT') }) },
    { name: 'incomplete', facts: addressFacts({ certificate: certFacts([certInfo()], 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') }) },
    { name: 'mismatch', facts: addressFacts({ certificate: certFacts([certInfo({ san: ['DNS:other.example'] }), intermediate(), root()], null) }) },
    { name: 'weak key', facts: addressFacts({ certificate: certFacts([certInfo({ keyBits: 1024 }), intermediate(), root()], null) }) },
    { name: 'sha1', facts: addressFacts({ certificate: certFacts([certInfo({ signatureAlgorithm: 'sha1WithRSAEncryption' }), intermediate(), root()], null) }) },
    { name: 'current defaults fail', facts: addressFacts({ modernTls: { ok: false, protocol: null, cipher: null, error: 'dh key too small', failure: null } }) },
    { name: 'current defaults unchecked', facts: addressFacts({ modernTls: { ok: null, protocol: null, cipher: null, error: null, failure: { stage: 'banner', kind: 'timeout', message: 't' } } }) },
    { name: 'implicit TLS', facts: addressFacts({ tlsMode: 'implicit', ehlo: null, starttls: false, starttlsReply: null }) },
    // Deep facts (--deep): what else the server accepts, graded (judge/deep-grade.ts).
    { name: 'deep clean', facts: { ...addressFacts(), deep: deepFacts() } },
    { name: 'deep TLS 1.0', facts: { ...addressFacts(), deep: deepFacts({ protocols: protocols('TLSv1', 'TLSv1.2', 'TLSv1.3') }) } },
    { name: 'deep 3DES', facts: { ...addressFacts(), deep: deepFacts({ ciphers: { accepted: suites('TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 'DES-CBC3-SHA'), serverOrder: false, untested: [] } }) } },
    { name: 'deep DHE 1024', facts: { ...addressFacts(), deep: deepFacts({ groups: { accepted: ['x25519'], dhBits: [1024], dhGroups: [], untested: [] } }) } },
    { name: 'deep compression, renegotiation, injection', facts: { ...addressFacts(), deep: deepFacts({ compression: true, renegotiation: { secure: false, clientInitiated: true, note: null }, extendedMasterSecret: false, commandInjection: { vulnerable: true, note: null } }) } },
    { name: 'deep partial', facts: { ...addressFacts(), deep: deepFacts({ compression: null, partial: { stage: 'banner', kind: 'rejected', message: '421 busy' } }) } },
    { name: 'deep TLS 1.3 only', facts: { ...addressFacts(), deep: deepFacts({ protocols: protocols('TLSv1.3'), ciphers: { accepted: suites('TLSv1.3', 'TLS_AES_256_GCM_SHA384'), serverOrder: null, untested: [] }, renegotiation: { secure: null, clientInitiated: null, note: null }, compression: null, extendedMasterSecret: null }) } },
    { name: 'deep weak second certificate', facts: { ...addressFacts(), deep: deepFacts({ certificates: [{ offered: 'ecdsa', certificate: certFacts([certInfo({ keyType: 'ec', keyBits: 160, curve: 'secp160r1', signatureAlgorithm: 'ecdsa-with-SHA1', fingerprint256: 'EE:FF' }), intermediate(), root()], null), note: null }] }) } },
    { name: 'deep TLS 1.0 on a plain-failing address', facts: { ...addressFacts({ modernTls: { ok: false, protocol: null, cipher: null, error: 'unsupported protocol', failure: null }, tls: { ...addressFacts().tls!, protocol: 'TLSv1' } }), deep: deepFacts({ protocols: protocols('TLSv1') }) } },
  ];
  for (const stage of stages) {
    for (const kind of kinds) {
      const afterTls = stage === 'ehlo-tls';
      const base = afterTls ? addressFacts({ ehloTls: null }) : stage === 'handshake' ? addressFacts({ tls: null, certificate: null, ehloTls: null }) : plainAddress({ connected: stage !== 'connect', banner: stage === 'connect' || stage === 'banner' ? null : plainAddress().banner });
      out.push({ name: `${stage} ${kind}`, facts: { ...base, failure: { stage, kind, message: `${kind} at ${stage}` } } });
      out.push({ name: `${stage} ${kind} + injection`, facts: { ...base, injectedBytes: 3, failure: { stage, kind, message: `${kind} at ${stage}` } } });
    }
  }
  return out;
}

test('over every variant: an address with an error of the PKIX ladder is never verify; one whose TLS dialogue failed is at most none; deep facts move the level only by a ladder code', () => {
  let checked = 0;
  for (const { name, facts } of variants()) {
    const result = judgeAddress(facts, { required: ['tls-required'], warnDays: 30 }, NOW);
    if (facts.deep !== undefined) {
      const { deep: _deep, ...without } = facts;
      const level = judgeAddress(without, { required: ['tls-required'], warnDays: 30 }, NOW).level;
      const ladder = result.grade?.facts !== undefined && gradeAddress(facts).problems.some((p) => LADDER_ERRORS.includes(p.code));
      if (!ladder) assert.equal(result.level, level, name);
    }
    if (result.problems.some((p) => LADDER_ERRORS.includes(p.code))) {
      assert.notEqual(result.level, 'verify', name);
      checked += 1;
    }
    if (facts.failure?.stage === 'ehlo-tls' && facts.failure.kind !== 'aborted') assert.ok(result.level === 'none', `${name}: ${result.level}`);
    if (facts.modernTls?.ok === false && facts.failure?.kind !== 'aborted') assert.equal(result.level, 'none', name);
  }
  assert.ok(checked > 50, `only ${checked} variants had errors`);
});

/** Every single policy, by each of its names' forms, and some requirements of several. */
const REQUIREMENTS: Requirement[] = [...SENDER_POLICIES.map((p) => [p.id]), ['opportunistic', 'verify'], ['plain', 'tls-required'], SENDER_POLICIES.map((p) => p.id)];

/** Every pair of variants (every third partner, to stay quick) on one MX host, and some domains that accept no mail or are undetermined. */
function domains(): Array<{ name: string; facts: DomainFacts }> {
  const all = variants();
  const out: Array<{ name: string; facts: DomainFacts }> = [];
  for (let i = 0; i < all.length; i += 1) {
    for (let j = i; j < all.length; j += 3) {
      const a = { ...(all[i] as { facts: AddressFacts }).facts, ip: '192.0.2.1' };
      const b = { ...(all[j] as { facts: AddressFacts }).facts, ip: '192.0.2.2' };
      out.push({ name: `${all[i]?.name} / ${all[j]?.name}`, facts: domainFacts({ mx: [mxHost('mx.example.com', 10, [a, b])] }) });
    }
  }
  for (const outcome of ['nxdomain', 'null-mx', 'no-mail-host', 'dns-failure', 'not-probed'] as const) out.push({ name: outcome, facts: domainFacts({ outcome, mx: [] }) });
  return out;
}

test('over every pair of variants and every requirement: no error-severity problem under a PASS', () => {
  let passes = 0;
  for (const required of REQUIREMENTS) {
    for (const { name, facts } of domains()) {
      const result = judgeDomain(facts, { required, warnDays: 30 }, NOW);
      if (result.pass !== true) continue;
      passes += 1;
      const where = `${name} at ${required.join(',')}`;
      assert.ok(!result.problems.some((p) => p.severity === 'error'), where);
      for (const address of result.mx.flatMap((h) => h.addresses)) assert.ok(!address.problems.some((p) => p.severity === 'error'), where);
    }
  }
  assert.ok(passes > 100, `only ${passes} passing combinations`);
});

test('over every pair of variants, graded requirements under both profiles: no error under a PASS; a PASS only with nothing insufficient and every reachable address graded completely; a FAIL iff a policy fails or something is insufficient', () => {
  let counts = { true: 0, false: 0, null: 0 };
  for (const required of [['tls-required'], ['verify'], ['opportunistic', 'verify']] as Requirement[]) {
    for (const profile of GUIDELINE_PROFILE_IDS) {
      for (const { name, facts } of domains()) {
        const result = judgeDomain(facts, { required, warnDays: 30, graded: true, profile }, NOW);
        const where = `${name} at ${required.join(',')}+graded (${profile})`;
        const addresses = result.mx.flatMap((h) => h.addresses);
        assert.ok(result.graded !== undefined && result.graded.profile === profile, where);
        assert.ok(result.required.endsWith('+graded'), where);
        const insufficient = addresses.some((a) => a.grade?.worst === 'insufficient');
        if (result.pass === true) {
          assert.ok(!result.problems.some((p) => p.severity === 'error'), where);
          for (const address of addresses) assert.ok(!address.problems.some((p) => p.severity === 'error'), where);
          assert.ok(!insufficient, where);
          assert.ok(addresses.filter((a) => a.level !== null).every((a) => a.grade?.complete === true), where);
        }
        const met = judgeDomain(facts, { required, warnDays: 30 }, NOW).pass;
        assert.equal(result.pass === false, met === false || insufficient, where);
        counts[String(result.pass) as 'true' | 'false' | 'null'] += 1;
      }
    }
  }
  assert.ok(counts.true > 20 && counts.false > 100 && counts.null > 100, JSON.stringify(counts));
});

test('over every domain and requirement: pass is true iff every required policy is satisfied, false iff one is not (the verdict determined), else null', () => {
  let counts = { true: 0, false: 0, null: 0 };
  for (const required of REQUIREMENTS) {
    for (const { name, facts } of domains()) {
      const result = judgeDomain(facts, { required, warnDays: 30 }, NOW);
      const rows = required.map((id) => result.policies.find((p) => p.id === id));
      const where = `${name} at ${required.join(',')}`;
      assert.ok(rows.every((r) => r !== undefined), where);
      if (rows.every((r) => r?.satisfied === true)) assert.equal(result.pass, true, where);
      assert.equal(result.pass === false, rows.some((r) => r?.delivered !== 'unknown' && r?.satisfied === false), where);
      // One determined failure decides; otherwise one undetermined row leaves the verdict open.
      assert.equal(result.pass === null, !rows.some((r) => r?.satisfied === false) && rows.some((r) => r?.satisfied === null), where);
      assert.deepEqual(result.requiredPolicies, required, where);
      counts[String(result.pass) as 'true' | 'false' | 'null'] += 1;
    }
  }
  assert.ok(counts.true > 50 && counts.false > 50 && counts.null > 10, JSON.stringify(counts));
});

test('over every domain: each policy row follows the one definition of "satisfies", and the levels agree with the rows', () => {
  for (const { name, facts } of domains()) {
    const result = judgeDomain(facts, { required: ['tls-required'], warnDays: 30 }, NOW);
    assert.deepEqual(result.policies.map((p) => p.id), SENDER_POLICIES.map((p) => p.id), name);
    for (const row of result.policies) {
      assert.equal(row.satisfied, satisfies(senderPolicy(row.id), row), `${name}: ${row.id}`);
      if (row.delivered === 'unknown') assert.deepEqual([row.encrypted, row.authenticated, row.satisfied], ['unknown', 'unknown', null], `${name}: ${row.id}`);
      if (row.delivered === 'no') assert.deepEqual([row.encrypted, row.authenticated], ['n/a', 'n/a'], `${name}: ${row.id}`);
    }
    const row = (id: string) => result.policies.find((p) => p.id === id);
    // The domain's level is the lowest over its reachable addresses: (c) and (d) say the same.
    if (result.level !== null) {
      assert.equal(row('tls-required')?.satisfied, result.level !== 'none', name);
      assert.equal(row('verify')?.satisfied, result.level === 'verify', name);
    } else {
      assert.notEqual(row('tls-required')?.satisfied, true, name);
    }
  }
});

test('a failing domain keeps its errors as errors', () => {
  const result = judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [plainAddress()])] }), { required: ['tls-required'], warnDays: 30 }, NOW);
  assert.equal(result.pass, false);
  assert.equal(allProblems(result).find((p) => p.code === 'STARTTLS_NOT_OFFERED')?.severity, 'error');
});

test('the injection case of the issue: PASS at verify is no longer possible', () => {
  const result = judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [addressFacts({ injectedBytes: 14 })])] }), { required: ['verify'], warnDays: 30 }, NOW);
  assert.equal(result.level, 'encrypt');
  assert.equal(result.pass, false);
});

test('over every variant aborted at every stage: level unknown, and no problem comes from the abort', () => {
  let checked = 0;
  for (const { name, facts } of variants()) {
    if (facts.failure?.kind !== 'aborted') continue;
    const result = judgeAddress(facts, { required: ['tls-required'], warnDays: 30 }, NOW);
    assert.equal(result.level, null, name);
    const dialogue = new Set(['TIMEOUT', 'CONNECT_FAILED', 'SMTP_REJECTED', 'SMTP_PROTOCOL_ERROR', 'TLS_HANDSHAKE_FAILED', 'TLS_DIALOGUE_FAILED', 'STARTTLS_NOT_OFFERED']);
    const blamed = result.problems.filter((p) => dialogue.has(p.code));
    assert.deepEqual(blamed, [], `${name}: ${JSON.stringify(blamed)}`);
    const domain = judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [facts])] }), { required: ['tls-required'], warnDays: 30 }, NOW);
    assert.equal(domain.pass, null, name);
    checked += 1;
  }
  assert.ok(checked >= 14, `only ${checked} aborted variants`);
});
