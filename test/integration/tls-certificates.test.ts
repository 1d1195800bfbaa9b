// TLS sessions and certificates through the real CLI against fake servers on loopback that
// serve the test PKI: every certificate problem code, the levels they allow, exit codes
// against --require, key types, name matching and SNI; path verification at the judged
// moment (each chain of pki.paths with its own --ca-file).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { startFakeSmtp, type FakeSmtpOptions, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { makeTestPki, type PathScenarioName, type TestPki } from '../helpers/pki.ts';
import { PATIENT, addressesOf, assertNeverSentMail, codesOf, onlyDomain, problemOf, problemsOf, runCli, serverArgs, type CliRun } from '../helpers/run-cli.ts';

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});

interface Probe {
  run: CliRun;
  smtp: FakeSmtpServer;
  domain: any;
  address: any;
}

/** Probes a fake server serving `tls` (or a full option set) as --server 127.0.0.1:PORT --name NAME, in JSON. */
async function probe(
  tls: FakeSmtpOptions['tls'] | FakeSmtpOptions,
  extra: string[] = [],
  { name = 'mx.test', caFile = true }: { name?: string | null; caFile?: boolean } = {},
): Promise<Probe> {
  const options: FakeSmtpOptions = tls !== undefined && 'key' in tls ? { tls } : (tls ?? {});
  const smtp = await startFakeSmtp(options);
  try {
    const run = await runCli([...serverArgs(smtp, name), ...(caFile ? ['--ca-file', pki.caFile] : []), ...PATIENT, '--json', ...extra]);
    const domain = onlyDomain(run);
    const all = addressesOf(domain);
    assert.equal(all.length, 1);
    // Every dialogue here completes: it ends with QUIT and never sends mail.
    assertNeverSentMail(smtp, { quitLast: true });
    return { run, smtp, domain, address: all[0] };
  } finally {
    await smtp.close();
  }
}

describe('levels and exit codes', { concurrency: true }, () => {
  test('a root Node trusts through NODE_EXTRA_CA_CERTS is an anchor for mxprobe too: verify', async () => {
    // Node adds these to the handshake's default store; a path built without them would end
    // short of an anchor OpenSSL accepted (CERT_UNTRUSTED where OpenSSL says OK).
    const smtp = await startFakeSmtp({ tls: pki.certs.valid });
    try {
      const run = await runCli([...serverArgs(smtp, 'mx.test'), ...PATIENT, '--json', '--require', 'verify'], { env: { NODE_EXTRA_CA_CERTS: pki.caFile } });
      const domain = onlyDomain(run);
      assert.equal(run.code, 0, JSON.stringify(domain.problems));
      assert.equal(addressesOf(domain)[0].certificate.trusted, true);
      assert.deepEqual(problemsOf(domain), []);
    } finally {
      await smtp.close();
    }
  });

  test('a valid chain with --ca-file reaches verify: exit 0 with --require verify', async () => {
    const { run, domain, address, smtp } = await probe(pki.certs.valid, ['--require', 'verify']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(domain.level, 'verify');
    assert.equal(domain.required, 'verify');
    assert.equal(domain.pass, true);
    assert.deepEqual(problemsOf(domain), []);
    assert.equal(address.level, 'verify');
    const cert = address.certificate;
    assert.equal(cert.trusted, true);
    assert.equal(cert.trustError, null);
    assert.equal(cert.nameMatch, true);
    assert.equal(cert.matchedName, 'DNS:mx.test');
    assert.equal(cert.expired, false);
    assert.equal(cert.chain[0].keyType, 'rsa');
    assert.equal(cert.chain[0].keyBits, 2048);
    assert.equal(cert.chain[0].signatureAlgorithm, 'sha256WithRSAEncryption');
    // As presented: leaf and intermediate, what the server was configured with.
    assert.equal(cert.chainSource, 'presented');
    assert.deepEqual(
      cert.chain.map((c: any) => [c.subject, c.inTrustStore]),
      [
        ['CN=mx.test', false],
        ['O=mxprobe tests, CN=mxprobe Test Intermediate CA', false],
      ],
    );
    // The verified path adds the root from --ca-file, marked as the trust anchor.
    assert.deepEqual(
      cert.path.map((c: any) => [c.subject, c.inTrustStore]),
      [
        ['CN=mx.test', false],
        ['O=mxprobe tests, CN=mxprobe Test Intermediate CA', false],
        ['O=mxprobe tests, CN=mxprobe Test Root CA', true],
      ],
    );
    // SNI is the MX host name, on both ends.
    assert.equal(address.tls.sni, 'mx.test');
    assert.equal(smtp.sessions[0]?.sni, 'mx.test');
    assert.deepEqual(domain.policies.slice(0, 4).map((p: any) => [p.policy, p.id, p.delivered, p.encrypted, p.authenticated, p.satisfied]), [
      ['a', 'plain', 'yes', 'no', 'no', true],
      ['b', 'opportunistic', 'yes', 'yes', 'no', true],
      ['c', 'tls-required', 'yes', 'yes', 'no', true],
      ['d', 'verify', 'yes', 'yes', 'yes', true],
    ]);
  });

  test('text output for a verify-grade server: PASS verdict and the table', async () => {
    const smtp = await startFakeSmtp({ tls: pki.certs.valid });
    try {
      const run = await runCli([...serverArgs(smtp), '--ca-file', pki.caFile, '--require', 'verify', ...PATIENT]);
      assert.equal(run.code, 0);
      assert.match(run.stdout, /^PASS mx\.test: level verify \(required: verify\)$/m);
      assert.match(run.stdout, /│ mx\.test +│ 127\.0\.0\.1 +│ yes +│ TLSv1\.3 +│ mx\.test +│ \d+ +│ trusted +│ match +│ verify +│/);
      assert.doesNotMatch(run.stdout, /\u001b/, 'NO_COLOR: no escape sequences');
      assert.doesNotMatch(run.stdout, /Problems/);
    } finally {
      await smtp.close();
    }
  });

  test('an expired certificate: encrypt; exit 1 with --require verify, exit 0 with --require encrypt', async () => {
    const [verify, encrypt] = await Promise.all([
      probe(pki.certs.expired, ['--require', 'verify']),
      probe(pki.certs.expired, ['--require', 'encrypt']),
    ]);
    assert.equal(verify.run.code, 1);
    assert.equal(verify.domain.level, 'encrypt');
    assert.equal(verify.domain.pass, false);
    assert.equal(encrypt.run.code, 0);
    assert.equal(encrypt.domain.pass, true);
    assert.deepEqual(codesOf(verify.domain), ['CERT_EXPIRED']);
    const p = problemOf(verify.domain, 'CERT_EXPIRED');
    assert.equal(p.severity, 'error');
    assert.equal(p.host, 'mx.test');
    assert.equal(p.ip, '127.0.0.1');
    assert.equal(verify.address.certificate.expired, true);
    assert.ok(verify.address.certificate.daysLeft < 0);
    // Judged now, as `openssl verify` judges it: not trusted, for the time alone.
    assert.equal(verify.address.certificate.trusted, false);
    assert.equal(verify.address.certificate.trustError, 'CERT_HAS_EXPIRED');
    assert.deepEqual(verify.address.certificate.trustErrors, ['CERT_HAS_EXPIRED']);
    assert.equal(verify.address.certificate.opensslError, 'CERT_HAS_EXPIRED');
  });

  test('no STARTTLS: level none fails the default --require encrypt (exit 1) and passes --require none (exit 0)', async () => {
    const [strict, lax] = await Promise.all([probe({}), probe({}, ['--require', 'none'])]);
    assert.equal(strict.run.code, 1);
    assert.equal(strict.domain.level, 'none');
    assert.equal(strict.domain.pass, false);
    assert.equal(lax.run.code, 0);
    assert.equal(lax.domain.level, 'none');
    assert.equal(lax.domain.pass, true);
  });

  test('text output for an expired certificate with --require verify: FAIL with the reason', async () => {
    const smtp = await startFakeSmtp({ tls: pki.certs.expired });
    try {
      const run = await runCli([...serverArgs(smtp), '--ca-file', pki.caFile, '--require', 'verify', ...PATIENT]);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /^FAIL mx\.test: level encrypt \(required: verify\) — The certificate of mx\.test \[127\.0\.0\.1\] expired on /m);
      assert.match(run.stdout, /✘ CERT_EXPIRED/);
      assert.match(run.stdout, /^✘ \(d\) TLS required, name verified +no +n\/a +n\/a$/m, 'the required policy (d): nothing delivered, not satisfied');
    } finally {
      await smtp.close();
    }
  });
});

describe('certificate problems', { concurrency: true }, () => {
  test('CERT_NOT_YET_VALID', async () => {
    const { domain, address } = await probe(pki.certs.notYetValid);
    assert.deepEqual(codesOf(domain), ['CERT_NOT_YET_VALID']);
    assert.equal(domain.level, 'encrypt');
    assert.equal(address.certificate.notYetValid, true);
  });

  test('CERT_EXPIRES_SOON: a warning that keeps verify; --warn-days moves the threshold', async () => {
    const [soon, soonQuiet, validLoud] = await Promise.all([
      probe(pki.certs.expiresSoon),
      probe(pki.certs.expiresSoon, ['--warn-days', '5']),
      probe(pki.certs.valid, ['--warn-days', '365']),
    ]);
    assert.deepEqual(codesOf(soon.domain), ['CERT_EXPIRES_SOON']);
    assert.equal(problemOf(soon.domain, 'CERT_EXPIRES_SOON').severity, 'warning');
    assert.equal(soon.domain.level, 'verify');
    assert.ok(soon.address.certificate.daysLeft >= 9 && soon.address.certificate.daysLeft <= 10, `${soon.address.certificate.daysLeft}`);
    assert.deepEqual(codesOf(soonQuiet.domain), []);
    assert.deepEqual(codesOf(validLoud.domain), ['CERT_EXPIRES_SOON']);
    assert.equal(validLoud.domain.level, 'verify');
  });

  test('CERT_UNTRUSTED: a chain to a root that is not trusted', async () => {
    const { run, domain, address } = await probe(pki.certs.untrustedRoot, ['--require', 'verify']);
    assert.equal(run.code, 1);
    assert.deepEqual(codesOf(domain), ['CERT_UNTRUSTED']);
    assert.equal(domain.level, 'encrypt');
    assert.equal(address.certificate.trusted, false);
    assert.equal(typeof address.certificate.trustError, 'string');
    assert.match(problemOf(domain, 'CERT_UNTRUSTED').message, /Untrusted/);
  });

  test('CERT_UNTRUSTED: a valid chain to a private root, without --ca-file', async () => {
    const { domain, address } = await probe(pki.certs.valid, [], { caFile: false });
    assert.deepEqual(codesOf(domain), ['CERT_UNTRUSTED']);
    assert.equal(domain.level, 'encrypt');
    assert.equal(address.certificate.trusted, false);
    assert.equal(address.certificate.nameMatch, true);
  });

  test('CERT_SELF_SIGNED', async () => {
    const { domain, address } = await probe(pki.certs.selfSigned);
    assert.deepEqual(codesOf(domain), ['CERT_SELF_SIGNED']);
    assert.equal(domain.level, 'encrypt');
    assert.equal(address.certificate.chain[0].selfSigned, true);
  });

  test('CERT_CHAIN_INCOMPLETE: the leaf without its intermediate', async () => {
    const { domain, address } = await probe(pki.certs.missingIntermediate);
    assert.deepEqual(codesOf(domain), ['CERT_CHAIN_INCOMPLETE']);
    assert.equal(domain.level, 'encrypt');
    assert.equal(address.certificate.chain.length, 1);
  });

  test('the chain is reported as presented: order and extra certificates kept; the verified path apart', async () => {
    // Leaf, an unrelated root, then the intermediate: Node's rebuilt chain would hide both quirks.
    const sent = [pki.certs.missingIntermediate.leaf, pki.untrustedRootPem, pki.intermediatePem];
    const { domain, address } = await probe({ key: pki.certs.missingIntermediate.key, cert: sent.join('\n') });
    const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
    assert.equal(address.certificate.chainSource, 'presented');
    assert.deepEqual(address.certificate.chain.map((c: any) => c.fingerprint256), sent.map(fp));
    assert.deepEqual(address.certificate.path.map((c: any) => c.fingerprint256), [pki.certs.missingIntermediate.leaf, pki.intermediatePem, pki.rootPem].map(fp));
    assert.equal(domain.level, 'verify');
  });

  test('CERT_NAME_MISMATCH: a certificate for another name', async () => {
    const { domain, address } = await probe(pki.certs.wrongName);
    assert.deepEqual(codesOf(domain), ['CERT_NAME_MISMATCH']);
    assert.equal(domain.level, 'encrypt');
    assert.equal(address.certificate.nameMatch, false);
    assert.match(problemOf(domain, 'CERT_NAME_MISMATCH').message, /does not name mx\.test; it names DNS:other\.test/);
  });

  test('a wildcard certificate matches one label (--name mx.test.example), not another domain', async () => {
    const [hit, miss, deep] = await Promise.all([
      probe(pki.certs.wildcard, [], { name: 'mx.test.example' }),
      probe(pki.certs.wildcard, [], { name: 'mx.test' }),
      probe(pki.certs.wildcard, [], { name: 'a.mx.test.example' }),
    ]);
    assert.deepEqual(codesOf(hit.domain), []);
    assert.equal(hit.domain.level, 'verify');
    assert.equal(hit.address.certificate.matchedName, 'DNS:*.test.example');
    assert.equal(hit.address.tls.sni, 'mx.test.example');
    assert.equal(hit.smtp.sessions[0]?.sni, 'mx.test.example');
    assert.deepEqual(codesOf(miss.domain), ['CERT_NAME_MISMATCH']);
    assert.deepEqual(codesOf(deep.domain), ['CERT_NAME_MISMATCH']);
  });

  test('a certificate without subjectAltName matches on its CN', async () => {
    const { domain, address } = await probe(pki.certs.cnOnly);
    assert.deepEqual(codesOf(domain), []);
    assert.equal(address.certificate.matchedName, 'CN=mx.test');
    assert.equal(domain.level, 'verify');
  });

  test('WEAK_KEY: RSA-1024', async () => {
    const { domain, address } = await probe(pki.certs.rsa1024);
    assert.deepEqual(codesOf(domain), ['WEAK_KEY']);
    assert.equal(domain.level, 'encrypt');
    assert.equal(address.certificate.chain[0].keyBits, 1024);
    assert.match(problemOf(domain, 'WEAK_KEY').message, /1024-bit RSA/);
  });

  test('WEAK_SIGNATURE: a SHA-1 signed leaf', async () => {
    const { domain, address } = await probe(pki.certs.sha1);
    assert.deepEqual(codesOf(domain), ['WEAK_SIGNATURE']);
    assert.equal(domain.level, 'encrypt');
    assert.equal(address.certificate.chain[0].signatureAlgorithm, 'sha1WithRSAEncryption');
  });

  test('ECDSA and Ed25519 certificates reach verify', async () => {
    const [ec, ed] = await Promise.all([probe(pki.certs.ecdsa, ['--require', 'verify']), probe(pki.certs.ed25519, ['--require', 'verify'])]);
    for (const p of [ec, ed]) {
      assert.equal(p.run.code, 0, JSON.stringify(p.domain.problems));
      assert.equal(p.domain.level, 'verify');
      assert.deepEqual(codesOf(p.domain), []);
    }
    assert.equal(ec.address.certificate.chain[0].keyType, 'ec');
    assert.equal(ec.address.certificate.chain[0].curve, 'prime256v1');
    assert.equal(ec.address.certificate.chain[0].keyBits, 256);
    assert.equal(ed.address.certificate.chain[0].keyType, 'ed25519');
  });
});

describe('TLS protocol and SNI', { concurrency: true }, () => {
  for (const version of ['TLSv1', 'TLSv1.1'] as const) {
    test(`TLS_LEGACY_PROTOCOL: a server that speaks only ${version}`, async () => {
      const tls = { ...pki.certs.valid, minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' };
      const { domain, address, smtp } = await probe(tls);
      assert.equal(address.tls.protocol, version);
      assert.equal(smtp.sessions[0]?.tlsProtocol, version);
      // A sender with current TLS defaults (TLS 1.2 or later) cannot make a session: see modern-tls.test.ts.
      assert.deepEqual(codesOf(domain), ['TLS_LEGACY_PROTOCOL', 'TLS_MODERN_HANDSHAKE_FAILED']);
      assert.equal(domain.level, 'none');
      assert.equal(problemOf(domain, 'TLS_LEGACY_PROTOCOL').severity, 'warning');
      assert.match(problemOf(domain, 'TLS_LEGACY_PROTOCOL').message, new RegExp(`negotiated ${version.replace('.', '\\.')}\\.`));
    });
  }

  test('a TLS 1.2 server is not legacy', async () => {
    const { domain, address } = await probe({ ...pki.certs.valid, maxVersion: 'TLSv1.2' });
    assert.equal(address.tls.protocol, 'TLSv1.2');
    assert.deepEqual(codesOf(domain), []);
    assert.equal(typeof address.tls.cipher, 'string');
    assert.match(address.tls.cipher, /^TLS_/);
  });

  test('no SNI for an IP literal without --name (and the IP does not match the certificate)', async () => {
    const { domain, address, smtp } = await probe(pki.certs.valid, [], { name: null });
    assert.equal(smtp.sessions[0]?.sni, null);
    assert.equal(address.tls.sni, null);
    assert.equal(address.host, '127.0.0.1');
    assert.ok(address.tls.protocol.startsWith('TLS'));
    assert.deepEqual(codesOf(domain), ['CERT_NAME_MISMATCH']);
  });
});

/** Probes a fake server serving one chain of pki.paths, with that chain's own --ca-file. */
function probePath(name: PathScenarioName, extra: string[] = []): Promise<Probe> {
  const s = pki.paths[name];
  return probe({ key: s.key, cert: s.cert }, ['--ca-file', s.caFile, '--require', 'verify', ...extra], { caFile: false });
}

describe('path verification at the judged moment', { concurrency: true }, () => {
  // The issue's four cases: each reached verify (and exit 0 with --require verify) before.
  const ISSUE: Array<{ name: PathScenarioName; codes: string[]; what: string }> = [
    { name: 'intermediateNotYetValid', codes: ['CERT_CA_NOT_YET_VALID'], what: 'an intermediate not yet valid' },
    { name: 'anchorExpired', codes: ['CERT_CA_EXPIRED'], what: 'an expired trust anchor from --ca-file' },
    { name: 'anchorNotYetValid', codes: ['CERT_CA_NOT_YET_VALID'], what: 'a trust anchor not yet valid' },
    { name: 'expiredLeafNonCaIssuer', codes: ['CERT_EXPIRED', 'CERT_ISSUER_NOT_CA', 'CERT_ISSUER_KEY_USAGE'], what: 'an expired leaf issued by a certificate that is not a CA' },
  ];
  for (const c of ISSUE) {
    test(`${c.what}: not trusted, below verify, exit 1 with --require verify`, async () => {
      const { run, domain, address } = await probePath(c.name);
      assert.equal(run.code, 1, run.stderr);
      assert.equal(domain.level, 'encrypt');
      assert.equal(address.level, 'encrypt');
      assert.deepEqual(codesOf(domain), c.codes);
      assert.equal(address.certificate.trusted, false);
      assert.equal(typeof address.certificate.trustError, 'string');
    });
  }

  test('each problem by its own code: key usage, path length, purpose, signature, critical extension', async () => {
    const expected: Array<[PathScenarioName, string[]]> = [
      ['caWithoutCertSign', ['CERT_ISSUER_KEY_USAGE']],
      ['pathLenExceeded', ['CERT_PATH_TOO_LONG']],
      ['clientAuthLeaf', ['CERT_WRONG_PURPOSE']],
      ['anyEkuLeaf', ['CERT_WRONG_PURPOSE']],
      ['leafKeyCertSignOnly', ['CERT_WRONG_PURPOSE']],
      ['badSignature', ['CERT_BAD_SIGNATURE']],
      ['criticalUnknownExtension', ['CERT_VERIFY_FAILED']],
      ['crossSignedOldStoreOnly', ['CERT_CA_EXPIRED', 'CERT_CA_EXPIRED']],
    ];
    const probes = await Promise.all(expected.map(([name]) => probePath(name)));
    probes.forEach((p, i) => {
      const [name, codes] = expected[i]!;
      assert.deepEqual(codesOf(p.domain), codes, name);
      assert.equal(p.domain.level, 'encrypt', name);
      assert.equal(p.address.certificate.trusted, false, name);
      // What OpenSSL said in the handshake is kept, and explained by the codes above.
      assert.equal(typeof p.address.certificate.opensslError, 'string', name);
    });
    const critical = problemOf(probes[6]!.domain, 'CERT_VERIFY_FAILED');
    assert.match(critical.message, /critical extension OpenSSL does not handle \(1\.3\.6\.1\.4\.1\.55555\.1\.1\)/);
  });

  test('an OpenSSL refusal mxprobe does not check itself (name constraints) is CERT_VERIFY_FAILED, never verify', async () => {
    const { run, domain, address } = await probePath('nameConstraintsViolated');
    assert.equal(run.code, 1);
    assert.deepEqual(codesOf(domain), ['CERT_VERIFY_FAILED']);
    assert.equal(domain.level, 'encrypt');
    assert.equal(address.certificate.opensslError, 'UNSPECIFIED');
    assert.equal(address.certificate.trusted, false);
    assert.match(problemOf(domain, 'CERT_VERIFY_FAILED').message, /OpenSSL refused the chain of mx\.test \[127\.0\.0\.1\] with UNSPECIFIED/);
  });

  test('a cross-signed chain whose expired cross-sign is sent verifies through the store\'s own root, as OpenSSL does', async () => {
    const { run, domain, address } = await probePath('crossSigned');
    assert.equal(run.code, 0, JSON.stringify(domain.problems));
    assert.equal(domain.level, 'verify');
    assert.equal(address.certificate.trusted, true);
    assert.equal(address.certificate.opensslError, null);
    assert.equal(address.certificate.chain.length, 3, 'the cross-sign was sent');
    assert.deepEqual(address.certificate.path.map((c: any) => [c.subject, c.inTrustStore, c.signatureValid]), [
      ['CN=mx.test', false, true],
      ['O=mxprobe paths, CN=R3', false, true],
      ['O=mxprobe paths, CN=New Root X1', true, null],
    ]);
  });

  test('good chains verify, the root sent or not; the JSON carries each certificate\'s extensions', async () => {
    const [good, rootSent] = await Promise.all([probePath('good'), probePath('goodRootSent')]);
    for (const p of [good, rootSent]) {
      assert.equal(p.run.code, 0, JSON.stringify(p.domain.problems));
      assert.equal(p.address.certificate.trusted, true);
      assert.deepEqual(p.address.certificate.trustErrors, []);
    }
    // The fields added by path verification, with their types (a public contract: README "JSON format").
    const cert = good.address.certificate;
    assert.equal(cert.opensslError, null);
    assert.ok(!Number.isNaN(Date.parse(cert.verifiedAt)));
    for (const info of [...cert.chain, ...cert.path]) {
      assert.equal(typeof info.selfIssued, 'boolean');
      assert.ok(Number.isInteger(info.version));
      assert.ok(info.basicConstraints === null || (typeof info.basicConstraints.ca === 'boolean' && (info.basicConstraints.pathLength === null || Number.isInteger(info.basicConstraints.pathLength))));
      for (const key of ['keyUsage', 'extendedKeyUsage', 'netscapeCertType']) assert.ok(info[key] === null || info[key].every((v: unknown) => typeof v === 'string'), key);
      assert.ok(Array.isArray(info.unhandledCriticalExtensions));
    }
    for (const info of cert.path) assert.ok(info.signatureValid === null || typeof info.signatureValid === 'boolean');
    const [leaf, inter, anchor] = good.address.certificate.path;
    assert.deepEqual(leaf.basicConstraints, { ca: false, pathLength: null });
    assert.deepEqual(leaf.keyUsage, ['digitalSignature']);
    assert.deepEqual(leaf.extendedKeyUsage, ['serverAuth']);
    assert.deepEqual(inter.keyUsage, ['keyCertSign', 'cRLSign']);
    assert.equal(anchor.selfSigned, true);
    assert.equal(anchor.version, 3);
    assert.equal(rootSent.address.certificate.chain.length, 3);
  });
});
