// Issue 9's look-ups over a batch run, counted at the fake servers: domains that share MX
// hosts behind a fake validating resolver (test/helpers/fake-dns.ts), MX servers of a fleet on
// 127.0.0.x, and the loopback MTA-STS policy server (test/helpers/policy-server.ts). Whatever the
// concurrency, and with a domain listed again on another row: the resolver check once per run,
// TLSA once per MX host, the _mta-sts and _smtp._tls TXT once per domain, one policy fetch per
// domain. Loopback only.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeDns, type FakeDnsServer, type FakeZone } from '../helpers/fake-dns.ts';
import { policyCerts, serve, startPolicyServer, type PolicyCerts, type PolicyServer } from '../helpers/policy-server.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startSmtpFleet, type SmtpFleet } from '../helpers/smtp-fleet.ts';

/** Domain → its MX hosts. test.example is the one whose policy host the test certificate names (mta-sts.test.example). */
const DOMAINS: Record<string, string[]> = {
  'test.example': ['mx0.test.example'],
  'a.test': ['mx0.test.example'],
  'b.test': ['mx0.test.example', 'mx1.test.example'],
  'c.test': ['mx1.test.example', 'mx0.test.example'],
  'd.test': ['mx1.test.example'],
};
const MX_HOSTS = ['mx0.test.example', 'mx1.test.example'];
/** Rows: every domain, two of them again (another case, another require): the rows share the domain's facts. */
const ROWS = [...Object.keys(DOMAINS).map((d) => `${d},`), 'B.TEST.,dane', 'a.test,mta-sts'];
const POLICY = 'version: STSv1\nmode: enforce\nmx: *.test.example\nmax_age: 86400\n';

let pki: TestPki;
let certs: PolicyCerts;
let fleet: SmtpFleet;
let dir: string;
let inputCsv: string;
let caFile: string;

before(async () => {
  pki = await makeTestPki();
  certs = await policyCerts();
  fleet = await startSmtpFleet({ count: MX_HOSTS.length, tls: { key: pki.certs.wildcard.key, cert: pki.certs.wildcard.cert } });
  dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-batch-lookups-'));
  inputCsv = path.join(dir, 'partners.csv');
  writeFileSync(inputCsv, `domain,require\n${ROWS.join('\n')}\n`);
  caFile = path.join(dir, 'root.pem');
  writeFileSync(caFile, certs.rootPem);
});
after(async () => {
  await fleet?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** A signed zone: every domain's MX, TXT and policy host; MX host i on 127.0.0.(2+i) with a DANE-EE record of its key. */
function zone(): FakeZone {
  const key = new X509Certificate(pki.certs.wildcard.leaf).publicKey.export({ type: 'spki', format: 'der' });
  const digest = createHash('sha256').update(key).digest('hex');
  const z: FakeZone = { '.': { authenticated: true } };
  MX_HOSTS.forEach((host, i) => {
    z[host] = { A: [`127.0.0.${2 + i}`], authenticated: true };
    z[`_${fleet.port}._tcp.${host}`] = { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: digest }], authenticated: true };
  });
  for (const [domain, hosts] of Object.entries(DOMAINS)) {
    z[domain] = { MX: hosts.map((exchange, i) => ({ preference: 10 * (i + 1), exchange })), authenticated: true };
    z[`_mta-sts.${domain}`] = { TXT: ['v=STSv1; id=20260601'], authenticated: true };
    z[`_smtp._tls.${domain}`] = { TXT: [`v=TLSRPTv1; rua=mailto:tls@${domain}`], authenticated: true };
    z[`mta-sts.${domain}`] = { A: ['127.0.0.1'], authenticated: true };
  }
  return z;
}

/** How many queries of `type` for `name` the fake resolver received. */
const asked = (dns: FakeDnsServer, type: string, name: string) => dns.queries.filter((q) => q.type === type && q.name === name).length;

describe('batch: the DNSSEC, TLSA, MTA-STS and TLS-RPT look-ups are each made once per run, host or domain', { concurrency: true }, () => {
  for (const concurrency of [1, 6]) {
    test(`--concurrency ${concurrency}: root check once, TLSA once per MX host, each TXT once per domain, one policy fetch per domain`, async () => {
      const dns = await startFakeDns(zone());
      let policy: PolicyServer | undefined;
      try {
        policy = await startPolicyServer(certs.valid, serve(POLICY));
        const run = await runCli([
          '--input', inputCsv, '--format', 'ndjson', '--quiet', '--concurrency', String(concurrency),
          '--resolver', dns.address, '--port', String(fleet.port), '--mta-sts-port', String(policy.port), '--ca-file', caFile,
          '--allow-special-addresses', '-4', '--timeout', '20', '--connect-timeout', '10', '--dns-timeout', '5', '--retries', '0',
        ]);
        assert.notEqual(run.code, 70, run.stderr);
        const results = run.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l)).filter((r) => typeof r.domain === 'string');
        assert.equal(results.length, ROWS.length, `one result per row\n${run.stdout}\n${run.stderr}`);
        // The facts were gathered as the zone says (so a count of 1 means "asked and used", not "gave up").
        for (const r of results) {
          assert.equal(r.dnssec?.validating, true, r.domain);
          assert.equal(r.mtaSts?.mode, r.domain === 'test.example' ? 'enforce' : 'none', `${r.domain}: ${JSON.stringify(r.mtaSts?.fetch?.failure)}`);
          assert.ok(r.mx.every((h: any) => h.tlsa?.records.length === 1 && h.tlsa.dnssec === 'secure'), `${r.domain}: TLSA of every MX host`);
          assert.deepEqual(r.tlsRpt?.rua, [`mailto:tls@${r.domain}`]);
        }

        const summary = JSON.stringify(dns.queries.map((q) => `${q.type} ${q.name}`));
        // RFC 4035 §3.2.2 / Postfix: the resolver is checked once (root SOA with DO), not per domain.
        assert.equal(dns.queries.filter((q) => q.name === '' || q.name === '.').length, 1, `one resolver check per run: ${summary}`);
        for (const host of MX_HOSTS) {
          assert.equal(asked(dns, 'TLSA', `_${fleet.port}._tcp.${host}`), 1, `TLSA of ${host} once, though ${Object.values(DOMAINS).filter((h) => h.includes(host)).length} domains name it: ${summary}`);
          assert.equal(asked(dns, 'A', host), 1, `A of ${host} once: ${summary}`);
        }
        for (const domain of Object.keys(DOMAINS)) {
          assert.equal(asked(dns, 'MX', domain), 1, `MX of ${domain} once: ${summary}`);
          assert.equal(asked(dns, 'TXT', `_mta-sts.${domain}`), 1, `_mta-sts TXT of ${domain} once: ${summary}`);
          assert.equal(asked(dns, 'TXT', `_smtp._tls.${domain}`), 1, `_smtp._tls TXT of ${domain} once: ${summary}`);
          assert.equal(asked(dns, 'A', `mta-sts.${domain}`), 1, `policy host of ${domain} looked up once: ${summary}`);
        }
        // One fetch per domain: a connection each (the certificate names only mta-sts.test.example,
        // so the others stop at the handshake); one HTTP request, test.example's.
        assert.equal(policy.connections.count, Object.keys(DOMAINS).length, 'one policy fetch per domain');
        assert.deepEqual(policy.requests.map((r) => r.host?.replace(/:\d+$/, '')), ['mta-sts.test.example']);
      } finally {
        await Promise.all([dns.close(), policy?.close()]);
      }
    });
  }
});
