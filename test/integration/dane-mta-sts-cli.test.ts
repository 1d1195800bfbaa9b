// DANE, MTA-STS and TLS-RPT end to end through the CLI: a fake validating resolver (AD per
// name, TLSA, TXT, bogus), a fake SMTP server serving the test PKI's mx.test certificate, and
// the loopback MTA-STS policy server; the verdicts in --json and the exit codes of
// --require dane / --require mta-sts. Loopback only.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startFakeDns, type FakeDnsServer, type FakeZone } from '../helpers/fake-dns.ts';
import { startFakeSmtp, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { policyCerts, serve, startPolicyServer, type PolicyCerts, type PolicyServer } from '../helpers/policy-server.ts';
import { PATIENT, codesOf, onlyDomain, runCli, type CliRun } from '../helpers/run-cli.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let pki: TestPki;
let certs: PolicyCerts;
let smtp: FakeSmtpServer;
let keyDigest: string;
let caDigest: string;
let caFile: string;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-dane-cli-'));

const spkiSha256 = (pem: string) => createHash('sha256').update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' })).digest('hex');

before(async () => {
  pki = await makeTestPki();
  certs = await policyCerts();
  // mx.test under the test root: PKIX-untrusted without --ca-file, so only DANE can authenticate it.
  smtp = await startFakeSmtp({ tls: { key: pki.certs.valid.key, cert: pki.certs.valid.cert } });
  keyDigest = spkiSha256(pki.certs.valid.leaf);
  const chain = pki.certs.valid.cert.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  caDigest = spkiSha256(chain[1] as string); // the issuing intermediate, sent by the server
  caFile = path.join(tmp, 'root.pem');
  writeFileSync(caFile, certs.rootPem);
});
after(async () => {
  await smtp.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A signed domain d.test → mx.test → 127.0.0.1, behind a validating fake resolver, with `extra` names. */
function zone(extra: FakeZone, secure = true): FakeZone {
  return {
    '.': { authenticated: true },
    'd.test': { MX: [{ preference: 10, exchange: 'mx.test' }], authenticated: secure },
    'mx.test': { A: ['127.0.0.1'], authenticated: secure },
    ...extra,
  };
}
const tlsaName = () => `_${smtp.port}._tcp.mx.test`;

async function probe(z: FakeZone, args: string[]): Promise<{ run: CliRun; domain: any; dns: FakeDnsServer }> {
  const dns = await startFakeDns(z);
  try {
    const run = await runCli(['d.test', '--resolver', dns.address, '--port', String(smtp.port), '--allow-special-addresses', '-4', ...PATIENT, '--json', ...args]);
    assert.notEqual(run.code, 70, run.stderr);
    return { run, domain: onlyDomain(run), dns };
  } finally {
    await dns.close();
  }
}
const daneOf = (d: any) => d.mx.flatMap((h: any) => h.addresses.map((a: any) => a.dane?.status));
const row = (d: any, id: string) => d.policies.find((p: any) => p.id === id);

describe('DANE through the CLI (fake validating resolver)', { concurrency: true }, () => {
  test('valid: 3 1 1 of the server key authenticates a certificate PKIX does not trust; --require dane passes, exit 0', async () => {
    const { run, domain, dns } = await probe(zone({ [tlsaName()]: { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: keyDigest }], authenticated: true } }), ['--require', 'dane']);
    assert.equal(run.code, 0, run.stdout);
    assert.deepEqual(daneOf(domain), ['valid']);
    assert.equal(domain.mx[0].addresses[0].dane.matched.chainIndex, 0);
    assert.equal(domain.level, 'encrypt', 'the PKIX ladder is untouched: the certificate is not trusted');
    assert.deepEqual([row(domain, 'dane').satisfied, row(domain, 'verify').satisfied], [true, false]);
    assert.deepEqual(domain.dnssec, { validating: true, mx: 'secure' });
    assert.equal(domain.mx[0].tlsa.dnssec, 'secure');
    // TLSA asked once, for the port probed; the resolver checked with the root's SOA.
    assert.equal(dns.queries.filter((q) => q.type === 'TLSA').length, 1);
    assert.ok(dns.queries.some((q) => q.name === '' || q.name === '.'), JSON.stringify(dns.queries.map((q) => q.name)));
    // A single DANE-EE record: valid, but not rollover-safe.
    assert.equal(domain.mx[0].rollover.safe, false);
    assert.ok(codesOf(domain).includes('DANE_ROLLOVER_UNSAFE'));
  });

  test('valid with DANE-TA: 2 1 1 of the issuing CA and the name mx.test, exit 0', async () => {
    const { run, domain } = await probe(zone({ [tlsaName()]: { TLSA: [{ usage: 2, selector: 1, matchingType: 1, data: caDigest }], authenticated: true } }), ['--require', 'dane']);
    assert.equal(run.code, 0, run.stdout);
    assert.deepEqual(daneOf(domain), ['valid']);
    assert.equal(domain.mx[0].addresses[0].dane.matched.chainIndex, 1);
  });

  test('invalid: a record of another key: DANE_NO_MATCH, --require dane exit 1, and --require verify with --ca-file still passes', async () => {
    const z = zone({ [tlsaName()]: { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }], authenticated: true } });
    const failing = await probe(z, ['--require', 'dane']);
    assert.equal(failing.run.code, 1);
    assert.deepEqual(daneOf(failing.domain), ['invalid']);
    assert.equal(codesOf(failing.domain).includes('DANE_NO_MATCH'), true);
    const passing = await probe(z, ['--require', 'verify', '--ca-file', caFile]);
    assert.equal(passing.run.code, 0, passing.run.stdout);
    assert.equal(passing.domain.level, 'verify', 'a DANE error does not lower the PKIX level');
    // Severity relative to --require: the domain passes, so no error is shown.
    assert.ok(passing.domain.mx[0].addresses[0].problems.every((p: any) => p.severity !== 'error'));
  });

  test('insecure: an unsigned TLSA answer under signed addresses: DANE does not apply (insecure, not none); --require dane exit 1', async () => {
    const { run, domain } = await probe(zone({ [tlsaName()]: { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: keyDigest }], authenticated: false } }), ['--require', 'dane']);
    assert.equal(run.code, 1);
    assert.deepEqual(daneOf(domain), ['insecure']);
    assert.equal(row(domain, 'dane').authenticated, 'no');
  });

  test('insecure MX and addresses: TLSA not even asked', async () => {
    const { domain, dns } = await probe(zone({ [tlsaName()]: { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: keyDigest }], authenticated: true } }, false), []);
    assert.deepEqual(daneOf(domain), ['insecure']);
    assert.equal(dns.queries.filter((q) => q.type === 'TLSA').length, 0);
    assert.ok(!('tlsa' in domain.mx[0]));
  });

  test('bogus: DNSSEC_BOGUS, the DANE sender defers: --require dane exit 1', async () => {
    const { run, domain } = await probe(zone({ [tlsaName()]: { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: keyDigest }], bogus: true } }), ['--require', 'dane']);
    assert.equal(run.code, 1);
    assert.deepEqual(daneOf(domain), ['bogus']);
    assert.ok(codesOf(domain).includes('DNSSEC_BOGUS'));
    assert.equal(row(domain, 'dane').delivered, 'no');
  });

  test('none: a secure denial; the DANE sender falls back to opportunistic TLS (delivered, not authenticated): --require dane exit 1', async () => {
    const { run, domain } = await probe(zone({ [tlsaName()]: { authenticated: true } }), ['--require', 'dane']);
    assert.equal(run.code, 1);
    assert.deepEqual(daneOf(domain), ['none']);
    assert.deepEqual([row(domain, 'dane').delivered, row(domain, 'dane').authenticated], ['yes', 'no']);
  });

  test('a resolver that does not validate: DNSSEC_NOT_VALIDATED under --require dane, the DANE row undetermined (exit 3); no warning otherwise', async () => {
    const z = zone({ [tlsaName()]: { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: keyDigest }], authenticated: true } });
    delete z['.'];
    const dane = await probe(z, ['--require', 'dane']);
    assert.equal(dane.run.code, 3);
    assert.deepEqual(daneOf(dane.domain), ['indeterminate']);
    assert.equal(dane.domain.dnssec.validating, false);
    assert.ok(codesOf(dane.domain).includes('DNSSEC_NOT_VALIDATED'));
    assert.ok(dane.domain.dns.every((q: any) => !('dnssec' in q)), 'no DNSSEC state claimed');
    const plain = await probe(z, ['--require', 'encrypt']);
    assert.equal(plain.run.code, 0);
    assert.ok(!codesOf(plain.domain).includes('DNSSEC_NOT_VALIDATED'));
  });
});

describe('MTA-STS and TLS-RPT through the CLI (loopback policy server)', { concurrency: true }, () => {
  const POLICY_DOMAIN = 'test.example';
  async function sts(policy: string | null, args: string[], extra: FakeZone = {}): Promise<{ run: CliRun; domain: any; server: PolicyServer | null }> {
    const server = policy === null ? null : await startPolicyServer(certs.valid, serve(policy));
    const z: FakeZone = {
      [POLICY_DOMAIN]: { MX: [{ preference: 10, exchange: 'mx.test' }] },
      'mx.test': { A: ['127.0.0.1'] },
      [`_mta-sts.${POLICY_DOMAIN}`]: { TXT: ['v=STSv1; id=20260601'] },
      [`mta-sts.${POLICY_DOMAIN}`]: { A: ['127.0.0.1'] },
      ...extra,
    };
    const dns = await startFakeDns(z);
    try {
      const port = server?.port ?? 1;
      const run = await runCli([POLICY_DOMAIN, '--resolver', dns.address, '--port', String(smtp.port), '--allow-special-addresses', '-4', '--mta-sts-port', String(port), '--ca-file', caFile, ...PATIENT, '--json', ...args]);
      assert.notEqual(run.code, 70, run.stderr);
      return { run, domain: onlyDomain(run), server };
    } finally {
      await Promise.all([dns.close(), server?.close()]);
    }
  }

  test('enforce, the MX host listed and verified: --require mta-sts exit 0; one fetch, Host mta-sts.DOMAIN', async () => {
    const { run, domain, server } = await sts('version: STSv1\nmode: enforce\nmx: mx.test\nmax_age: 86400\n', ['--require', 'mta-sts'], {
      [`_smtp._tls.${POLICY_DOMAIN}`]: { TXT: ['v=TLSRPTv1; rua=mailto:tls@test.example'] },
    });
    assert.equal(run.code, 0, run.stdout);
    assert.equal(domain.mtaSts.mode, 'enforce');
    assert.deepEqual(domain.mtaSts.mxMatch, [{ host: 'mx.test', pattern: 'mx.test', verified: true }]);
    assert.deepEqual(domain.tlsRpt.rua, ['mailto:tls@test.example']);
    assert.equal(server?.requests.length, 1);
    assert.equal(server?.requests[0]?.host?.startsWith(`mta-sts.${POLICY_DOMAIN}`), true);
    assert.ok(!codesOf(domain).some((c: string) => c.startsWith('MTA_STS') || c.startsWith('TLSRPT')), codesOf(domain).join(' '));
  });

  test('enforce, the MX host not listed: MTA_STS_MX_MISMATCH error, --require mta-sts exit 1; TLSRPT_MISSING info', async () => {
    const { run, domain } = await sts('version: STSv1\nmode: enforce\nmx: other.test\nmax_age: 86400\n', ['--require', 'mta-sts']);
    assert.equal(run.code, 1);
    const mismatch = domain.problems.find((p: any) => p.code === 'MTA_STS_MX_MISMATCH');
    assert.equal(mismatch?.severity, 'error');
    assert.equal(domain.problems.find((p: any) => p.code === 'TLSRPT_MISSING')?.severity, 'info');
    assert.equal(row(domain, 'mta-sts').delivered, 'no');
  });

  test('testing mode: the mismatch is a warning and the sender delivers unauthenticated: --require mta-sts exit 1, --require verify exit 0', async () => {
    const policy = 'version: STSv1\nmode: testing\nmx: other.test\nmax_age: 86400\n';
    const strict = await sts(policy, ['--require', 'mta-sts']);
    assert.equal(strict.run.code, 1);
    assert.equal(strict.domain.problems.find((p: any) => p.code === 'MTA_STS_MX_MISMATCH')?.severity, 'warning');
    assert.deepEqual([row(strict.domain, 'mta-sts').delivered, row(strict.domain, 'mta-sts').authenticated], ['yes', 'no']);
    const verify = await sts(policy, ['--require', 'verify']);
    assert.equal(verify.run.code, 0);
  });

  test('mode none, and no record at all: no MTA-STS problem; the row delivers opportunistically', async () => {
    const none = await sts('version: STSv1\nmode: none\nmax_age: 86400\n', []);
    assert.equal(none.domain.mtaSts.mode, 'none');
    const absent = await sts(null, [], { [`_mta-sts.${POLICY_DOMAIN}`]: { TXT: [] } });
    assert.equal(absent.domain.mtaSts.mode, 'none');
    assert.equal(absent.domain.mtaSts.fetch, null);
    for (const d of [none.domain, absent.domain]) {
      assert.ok(!codesOf(d).some((c: string) => c.startsWith('MTA_STS') || c.startsWith('TLSRPT')), codesOf(d).join(' '));
      assert.deepEqual([row(d, 'mta-sts').delivered, row(d, 'mta-sts').authenticated, row(d, 'mta-sts').satisfied], ['yes', 'no', false]);
    }
  });

  test('unreachable policy: MTA_STS_POLICY_UNREACHABLE; the policy host on a special-purpose address is not fetched without --allow-special-addresses', async () => {
    const unreachable = await sts(null, []);
    assert.ok(codesOf(unreachable.domain).includes('MTA_STS_POLICY_UNREACHABLE'));
    assert.equal(unreachable.domain.mtaSts.mode, 'none');
  });

  test('TLS-RPT invalid: TLSRPT_INVALID warning', async () => {
    const { domain } = await sts('version: STSv1\nmode: enforce\nmx: mx.test\nmax_age: 86400\n', [], { [`_smtp._tls.${POLICY_DOMAIN}`]: { TXT: ['v=TLSRPTv1; rua=ftp://x'] } });
    assert.equal(domain.problems.find((p: any) => p.code === 'TLSRPT_INVALID')?.severity, 'warning');
  });
});
