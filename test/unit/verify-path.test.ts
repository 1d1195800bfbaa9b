// The pure path verifier (judge/verify-path.ts) over certificate facts: each check of OpenSSL's
// verification at the judged moment, reported by its own code, several at once; the rules that
// tie it to the verdict (trusted, trustError, levels) over every check; and OpenSSL's own
// handshake error, which must be explained by a check or be reported (CERT_VERIFY_FAILED).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgePath, nodeErrorName, PATH_CHECKS, verifyPath, type PathCheck } from '../../src/judge/verify-path.ts';
import { judgeAddress } from '../../src/judge/judge-address.ts';
import { PROBLEMS } from '../../src/judge/problem-catalogue.ts';
import type { CertificateInfo, PathCertificate } from '../../src/model/certificate.ts';
import { addressFacts, certFacts, certInfo, daysFromNow, intermediate, NOW, root } from '../helpers/facts.ts';

const POLICY = { required: ['tls-required'] as const, warnDays: 30 };
const DAY = 86_400_000;

/** A path of facts: each signature valid unless `signatureValid` says otherwise, the last unchecked. */
function path(...certs: Array<CertificateInfo | PathCertificate>): PathCertificate[] {
  return certFacts(certs, null).path;
}
const checks = (p: PathCertificate[], at = NOW) => verifyPath(p, at).map((f) => `${f.check}@${f.depth}`);
const GOOD = () => path(certInfo(), intermediate(), root());

test('a good chain: no failure, at any moment inside every validity period', () => {
  assert.deepEqual(checks(GOOD()), []);
  assert.deepEqual(checks(GOOD(), new Date(NOW.getTime() - 29 * DAY)), []);
  assert.deepEqual(checks(GOOD(), new Date(NOW.getTime() + 60 * DAY)), []);
});

test('the time is a parameter: the same path fails before the leaf starts and after it ends', () => {
  // Signatures and validity are checked from the anchor down, as OpenSSL's internal_verify does.
  assert.deepEqual(checks(GOOD(), new Date(NOW.getTime() - 31 * DAY)), ['ca-not-yet-valid@2', 'ca-not-yet-valid@1', 'leaf-not-yet-valid@0']);
  assert.deepEqual(checks(GOOD(), new Date(NOW.getTime() + 61 * DAY)), ['leaf-expired@0']);
  assert.deepEqual(checks(GOOD(), new Date(NOW.getTime() + 1001 * DAY)), ['ca-expired@1', 'leaf-expired@0']);
});

test('validity is compared in whole seconds, as OpenSSL does; 99991231235959Z never expires', () => {
  const end = '2026-06-01T12:00:00.000Z';
  const p = path(certInfo({ notAfter: end }), intermediate(), root());
  assert.deepEqual(checks(p, new Date(Date.parse(end) + 999)), [], 'the same second is still valid');
  assert.deepEqual(checks(p, new Date(Date.parse(end) + 1000)), ['leaf-expired@0']);
  const forever = path(certInfo(), intermediate(), root({ notAfter: '9999-12-31T23:59:59.000Z' }));
  assert.deepEqual(checks(forever, new Date('9999-12-31T23:59:59.900Z')), ['ca-expired@1', 'leaf-expired@0']);
});

// The four cases, each by its own check.
test('an intermediate not yet valid: ca-not-yet-valid (it reached verify before)', () => {
  assert.deepEqual(checks(path(certInfo(), intermediate({ notBefore: daysFromNow(5) }), root())), ['ca-not-yet-valid@1']);
});

test('an expired trust anchor (from the store or --ca-file): ca-expired', () => {
  assert.deepEqual(checks(path(certInfo(), intermediate(), root({ notAfter: daysFromNow(-2) }))), ['ca-expired@2']);
});

test('a trust anchor not yet valid: ca-not-yet-valid', () => {
  assert.deepEqual(checks(path(certInfo(), intermediate(), root({ notBefore: daysFromNow(5) }))), ['ca-not-yet-valid@2']);
});

test('an expired leaf issued by a certificate that is not a CA: expired, and the issuer not a CA (nor allowed to sign)', () => {
  const notCa = certInfo({ subject: 'CN=not-a-ca.example', issuer: 'O=Example CA, CN=Example Intermediate' });
  const p = path(certInfo({ issuer: 'CN=not-a-ca.example', notBefore: daysFromNow(-400), notAfter: daysFromNow(-5) }), notCa, intermediate(), root());
  assert.deepEqual(checks(p), ['issuer-key-usage@1', 'issuer-not-ca@1', 'leaf-expired@0']);
  // Without a keyUsage it is only not a CA.
  const bare = path(certInfo({ notAfter: daysFromNow(-5) }), { ...notCa, keyUsage: null, basicConstraints: null }, intermediate(), root());
  assert.deepEqual(checks(bare), ['issuer-not-ca@1', 'leaf-expired@0']);
});

test('a CA whose keyUsage lacks keyCertSign: issuer-key-usage', () => {
  assert.deepEqual(checks(path(certInfo(), intermediate({ keyUsage: ['digitalSignature', 'cRLSign'] }), root())), ['issuer-key-usage@1']);
  // Without a keyUsage extension a CA may sign (RFC 5280 §4.2.1.3 only restricts what it lists).
  assert.deepEqual(checks(path(certInfo(), intermediate({ keyUsage: null }), root())), []);
});

test('pathLenConstraint: exceeded by a CA below; self-issued intermediates do not count', () => {
  const low = intermediate({ subject: 'CN=Low CA', issuer: 'CN=PathLen0 CA' });
  const zero = intermediate({ subject: 'CN=PathLen0 CA', basicConstraints: { ca: true, pathLength: 0 } });
  assert.deepEqual(checks(path(certInfo({ issuer: 'CN=Low CA' }), low, zero, root())), ['path-length@2']);
  assert.deepEqual(checks(path(certInfo({ issuer: 'CN=Low CA' }), { ...low, selfIssued: true }, zero, root())), []);
  const one = { ...zero, basicConstraints: { ca: true, pathLength: 1 } };
  assert.deepEqual(checks(path(certInfo({ issuer: 'CN=Low CA' }), low, one, root())), []);
  // The leaf directly under a pathlen:0 CA is fine.
  assert.deepEqual(checks(path(certInfo(), zero, root())), []);
});

test('the leaf must be fit for a TLS server: extendedKeyUsage, keyUsage and the Netscape type', () => {
  const leafWith = (o: Partial<CertificateInfo>) => checks(path(certInfo(o), intermediate(), root()));
  assert.deepEqual(leafWith({ extendedKeyUsage: ['clientAuth'] }), ['purpose@0']);
  // OpenSSL 3 does not accept anyExtendedKeyUsage for a TLS server (checked in the oracle test).
  assert.deepEqual(leafWith({ extendedKeyUsage: ['anyExtendedKeyUsage'] }), ['purpose@0']);
  assert.deepEqual(leafWith({ extendedKeyUsage: ['serverAuth'] }), []);
  assert.deepEqual(leafWith({ extendedKeyUsage: ['msSGC'] }), []);
  assert.deepEqual(leafWith({ extendedKeyUsage: null }), []);
  assert.deepEqual(leafWith({ keyUsage: ['keyCertSign'] }), ['purpose@0']);
  assert.deepEqual(leafWith({ keyUsage: ['keyAgreement'] }), []);
  assert.deepEqual(leafWith({ keyUsage: null }), []);
  assert.deepEqual(leafWith({ netscapeCertType: ['client'] }), ['purpose@0']);
  assert.deepEqual(leafWith({ netscapeCertType: ['client', 'server'] }), []);
});

test('a CA restricted by extendedKeyUsage to other purposes may not issue TLS server certificates', () => {
  assert.deepEqual(checks(path(certInfo(), intermediate({ extendedKeyUsage: ['emailProtection'] }), root())), ['purpose@1']);
  assert.deepEqual(checks(path(certInfo(), intermediate({ extendedKeyUsage: ['serverAuth', 'clientAuth'] }), root())), []);
  assert.deepEqual(checks(path(certInfo(), intermediate(), root({ extendedKeyUsage: ['codeSigning'] }))), ['purpose@2']);
});

test('basicConstraints: an intermediate needs CA:TRUE; a version 1 root or a root with only keyUsage is tolerated', () => {
  assert.deepEqual(checks(path(certInfo(), intermediate({ basicConstraints: null }), root())), ['issuer-not-ca@1']);
  assert.deepEqual(checks(path(certInfo(), intermediate({ basicConstraints: { ca: false, pathLength: null } }), root())), ['issuer-not-ca@1']);
  assert.deepEqual(checks(path(certInfo(), intermediate(), root({ version: 1, basicConstraints: null, keyUsage: null }))), []);
  assert.deepEqual(checks(path(certInfo(), intermediate(), root({ basicConstraints: null }))), []);
  assert.deepEqual(checks(path(certInfo(), intermediate({ version: 1, basicConstraints: null, keyUsage: null }), root())), ['issuer-not-ca@1']);
});

test('a signature that does not verify with the issuer\'s key: signature, at the certificate signed', () => {
  const p = GOOD();
  p[1] = { ...p[1]!, signatureValid: false };
  assert.deepEqual(checks(p), ['signature@1']);
});

test('a critical extension OpenSSL does not handle: its own failure', () => {
  assert.deepEqual(checks(path(certInfo({ unhandledCriticalExtensions: ['1.3.6.1.4.1.55555.1.1'] }), intermediate(), root())), ['critical-extension@0']);
});

test('where the path ends: self-signed leaf, missing intermediate, untrusted root, anchor that is not a root', () => {
  assert.deepEqual(checks(path(certInfo({ selfSigned: true, selfIssued: true }))), ['self-signed-leaf@0']);
  assert.deepEqual(checks(path(certInfo())), ['issuer-missing@0']);
  assert.deepEqual(checks(path(certInfo(), intermediate())), ['issuer-unknown@1']);
  assert.deepEqual(checks(path(certInfo(), intermediate(), root({ inTrustStore: false }))), ['untrusted-root@2']);
  assert.deepEqual(checks(path(certInfo(), intermediate({ inTrustStore: true }))), ['anchor-issuer-unknown@1']);
  // A self-signed leaf that is itself an anchor (--ca-file holds it) is trusted, as OpenSSL does.
  assert.deepEqual(checks(path(certInfo({ selfSigned: true, selfIssued: true, inTrustStore: true }))), []);
});

test('several failures at once are all reported, in OpenSSL\'s order', () => {
  const p = path(
    certInfo({ extendedKeyUsage: ['clientAuth'], notAfter: daysFromNow(-1) }),
    intermediate({ keyUsage: ['cRLSign'], notBefore: daysFromNow(3), signatureValid: false } as Partial<CertificateInfo>),
    root({ notAfter: daysFromNow(-9) }),
  );
  assert.deepEqual(checks(p), ['purpose@0', 'issuer-key-usage@1', 'ca-expired@2', 'signature@1', 'ca-not-yet-valid@1', 'leaf-expired@0']);
  const result = judgeAddress(addressFacts({ certificate: certFacts(p, 'CERT_HAS_EXPIRED') }), POLICY, NOW);
  assert.deepEqual(result.problems.map((x) => x.code), ['CERT_EXPIRED', 'CERT_CA_EXPIRED', 'CERT_CA_NOT_YET_VALID', 'CERT_ISSUER_KEY_USAGE', 'CERT_WRONG_PURPOSE', 'CERT_BAD_SIGNATURE']);
  assert.equal(result.certificate?.trusted, false);
  assert.equal(result.certificate?.trustError, 'INVALID_PURPOSE');
  assert.deepEqual(result.certificate?.trustErrors, ['INVALID_PURPOSE', 'INVALID_CA', 'CERT_HAS_EXPIRED', 'CERT_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED']);
});

/** One path per check: every check of the table can be produced, and is, by these facts. */
const EXAMPLES: Record<Exclude<PathCheck, 'openssl'>, PathCertificate[]> = {
  'self-signed-leaf': path(certInfo({ selfSigned: true, selfIssued: true })),
  'untrusted-root': path(certInfo(), intermediate(), root({ inTrustStore: false })),
  'anchor-issuer-unknown': path(certInfo(), intermediate({ inTrustStore: true })),
  'issuer-missing': path(certInfo()),
  'issuer-unknown': path(certInfo(), intermediate()),
  'critical-extension': path(certInfo({ unhandledCriticalExtensions: ['1.2.3.4'] }), intermediate(), root()),
  'issuer-not-ca': path(certInfo(), intermediate({ basicConstraints: null }), root()),
  'issuer-key-usage': path(certInfo(), intermediate({ keyUsage: ['cRLSign'] }), root()),
  purpose: path(certInfo({ extendedKeyUsage: ['clientAuth'] }), intermediate(), root()),
  'path-length': path(certInfo(), intermediate({ issuer: 'CN=Zero' }), intermediate({ subject: 'CN=Zero', basicConstraints: { ca: true, pathLength: 0 } }), root()),
  signature: (() => {
    const p = GOOD();
    p[0] = { ...p[0]!, signatureValid: false };
    return p;
  })(),
  'leaf-not-yet-valid': path(certInfo({ notBefore: daysFromNow(1) }), intermediate(), root()),
  'leaf-expired': path(certInfo({ notAfter: daysFromNow(-1) }), intermediate(), root()),
  'ca-not-yet-valid': path(certInfo(), intermediate({ notBefore: daysFromNow(1) }), root()),
  'ca-expired': path(certInfo(), intermediate(), root({ notAfter: daysFromNow(-1) })),
};

test('rule, over every check: its code is catalogued as an error, keeps the address below verify, says where, and makes it untrusted', () => {
  for (const [check, p] of Object.entries(EXAMPLES) as Array<[PathCheck, PathCertificate[]]>) {
    assert.ok(verifyPath(p, NOW).some((f) => f.check === check), `${check} is produced by its example`);
    const code = PATH_CHECKS[check].code;
    assert.equal(PROBLEMS[code].severity, 'error', check);
    const result = judgeAddress(addressFacts({ certificate: certFacts(p, null) }), POLICY, NOW);
    assert.equal(result.level, 'encrypt', check);
    assert.ok(result.problems.some((x) => x.code === code), `${check}: ${result.problems.map((x) => x.code).join()}`);
    for (const x of result.problems) assert.match(x.message, /mx\.example\.com \[192\.0\.2\.10\]/, `${check}: ${x.message}`);
    assert.equal(result.certificate?.trusted, false, check);
    assert.equal(result.certificate?.trustError, verifyPath(p, NOW)[0]?.openssl, check);
    assert.deepEqual(result.certificate?.trustErrors, verifyPath(p, NOW).map((f) => f.openssl), check);
  }
  assert.deepEqual(Object.keys(PATH_CHECKS).sort(), [...Object.keys(EXAMPLES), 'openssl'].sort(), 'every check has an example');
});

test('rule: trusted exactly when nothing fails; then trustError is null and the address can verify', () => {
  const result = judgeAddress(addressFacts(), POLICY, NOW);
  assert.equal(result.certificate?.trusted, true);
  assert.equal(result.certificate?.trustError, null);
  assert.deepEqual(result.certificate?.trustErrors, []);
  assert.equal(result.level, 'verify');
});

test('OpenSSL\'s handshake error is kept as a fact; one no check explains is CERT_VERIFY_FAILED with its code', () => {
  const facts = { ...certFacts([certInfo(), intermediate(), root()], 'PERMITTED_VIOLATION') };
  assert.deepEqual(judgePath(facts, NOW), [{ check: 'openssl', depth: 0, openssl: 'PERMITTED_VIOLATION' }]);
  const result = judgeAddress(addressFacts({ certificate: facts }), POLICY, NOW);
  assert.deepEqual(result.problems.map((p) => p.code), ['CERT_VERIFY_FAILED']);
  assert.match(result.problems[0]!.message, /PERMITTED_VIOLATION/);
  assert.equal(result.certificate?.opensslError, 'PERMITTED_VIOLATION');
  assert.equal(result.certificate?.trusted, false);
  assert.equal(result.certificate?.trustError, 'PERMITTED_VIOLATION');
  assert.equal(result.level, 'encrypt');
  // Never PASS where OpenSSL refused, whatever the code.
  for (const code of ['UNSPECIFIED', 'CERT_REVOKED', 'HOSTNAME_MISMATCH', 'some new code']) {
    const r = judgeAddress(addressFacts({ certificate: certFacts([certInfo(), intermediate(), root()], code) }), { ...POLICY, required: ['verify'] }, NOW);
    assert.notEqual(r.level, 'verify', code);
    assert.equal(r.certificate?.trusted, false, code);
  }
});

test('an OpenSSL error a check explains is not reported twice', () => {
  const expired = certFacts([certInfo({ notAfter: daysFromNow(-1) }), intermediate(), root()], 'CERT_HAS_EXPIRED');
  assert.deepEqual(judgePath(expired, NOW).map((f) => f.check), ['leaf-expired']);
  const missing = certFacts([certInfo()], 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  assert.deepEqual(judgePath(missing, NOW).map((f) => f.check), ['issuer-missing']);
  // Node names neither KEYUSAGE_NO_CERTSIGN nor UNHANDLED_CRITICAL_EXTENSION: they arrive as UNSPECIFIED.
  const noSign = certFacts([certInfo(), intermediate({ keyUsage: ['cRLSign'] }), root()], 'UNSPECIFIED');
  assert.deepEqual(judgePath(noSign, NOW).map((f) => f.check), ['issuer-key-usage']);
  const critical = certFacts([certInfo({ unhandledCriticalExtensions: ['1.2.3'] }), intermediate(), root()], 'UNSPECIFIED');
  assert.deepEqual(judgePath(critical, NOW).map((f) => f.check), ['critical-extension']);
  // But UNSPECIFIED with nothing to explain it is reported.
  assert.deepEqual(judgePath(certFacts([certInfo(), intermediate(), root()], 'UNSPECIFIED'), NOW).map((f) => f.check), ['openssl']);
});

test('OpenSSL\'s error is explained at the moment of the handshake, not at the judged moment', () => {
  // The leaf had expired when OpenSSL checked it; judged at an earlier moment it is valid, and
  // the error is still accounted for (no CERT_VERIFY_FAILED).
  const facts = { ...certFacts([certInfo({ notAfter: daysFromNow(-1) }), intermediate(), root()], 'CERT_HAS_EXPIRED') };
  assert.deepEqual(judgePath(facts, new Date(NOW.getTime() - 10 * DAY)), []);
  // An error that the path does not show even at the handshake's moment is not accounted for.
  const wrong = { ...certFacts([certInfo(), intermediate(), root()], 'CERT_HAS_EXPIRED') };
  assert.deepEqual(judgePath(wrong, NOW).map((f) => f.check), ['openssl']);
});

test('every OpenSSL code of the table reaches JavaScript under a name a check explains', () => {
  for (const [check, { openssl }] of Object.entries(PATH_CHECKS)) {
    for (const code of openssl) assert.match(nodeErrorName(code), /^[A-Z_]+$/, `${check} ${code}`);
  }
  assert.equal(nodeErrorName('KEYUSAGE_NO_CERTSIGN'), 'UNSPECIFIED');
  assert.equal(nodeErrorName('INVALID_CA'), 'INVALID_CA');
});

test('judging is pure: facts untouched, same answer twice', () => {
  const facts = certFacts([certInfo({ notAfter: daysFromNow(-1) }), intermediate({ keyUsage: ['cRLSign'] }), root()], 'CERT_HAS_EXPIRED');
  const copy = structuredClone(facts);
  assert.deepEqual(judgePath(facts, NOW), judgePath(facts, NOW));
  assert.deepEqual(facts, copy);
});
