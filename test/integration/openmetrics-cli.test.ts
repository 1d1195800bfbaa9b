// `--format openmetrics` through the real CLI: a batch over a fake DNS and fake SMTP servers on
// 127.0.0.x, written to standard output and with --output: one valid exposition (the strict
// grammar reader, and promtool where installed; CI must have it), one series per domain (a domain
// listed twice is measured once, the run counts both rows), the verdicts, the TLS version and the
// leaf's expiry as the served certificate says, the summary on stderr only.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeDns, type FakeDnsServer } from '../helpers/fake-dns.ts';
import { startSmtpFleet, type SmtpFleet } from '../helpers/smtp-fleet.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { runCli } from '../helpers/run-cli.ts';
import { findPromtool, namingBreaches, parseOpenMetrics, promtoolCheck, type OmFamily } from '../helpers/openmetrics.ts';

let pki: TestPki;
let fleet: SmtpFleet;
let dns: FakeDnsServer;
let dir: string;
let input: string;

const PROMTOOL = findPromtool();

before(async () => {
  pki = await makeTestPki();
  // Both servers present the certificate for mx.test and mail.test.
  fleet = await startSmtpFleet({ count: 2, tls: { key: pki.certs.valid.key, cert: pki.certs.valid.cert } });
  dns = await startFakeDns({
    'mx.test': { A: ['127.0.0.2'] },
    'mail.test': { A: ['127.0.0.3'] },
    'alias.test': { A: ['127.0.0.2'] },
    'a.test': { MX: [{ preference: 10, exchange: 'mx.test' }] },
    'b.test': { MX: [{ preference: 10, exchange: 'mx.test' }, { preference: 20, exchange: 'mail.test' }] },
    'wrong.test': { MX: [{ preference: 10, exchange: 'alias.test' }] },
  });
  dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-openmetrics-'));
  input = path.join(dir, 'partners.csv');
  const rows = [
    'partner,domain,require',
    'Acme,a.test,verify',
    '"Beta ""B"" \u202eevil",b.test,verify',
    'Wrong name,wrong.test,verify',
    'Gone,nx.test,',
    'Broken,bad..name,',
    'Acme again,A.TEST.,encrypt',
  ];
  writeFileSync(input, `${rows.join('\n')}\n`);
});

after(async () => {
  await fleet?.close();
  await dns?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function common(): string[] {
  // The fleet lives on 127.0.0.x, a special-purpose range: --allow-special-addresses probes it.
  return ['--input', input, '--format', 'openmetrics', '--resolver', dns.address, '--port', String(fleet.port), '--ca-file', pki.caFile, '--timeout', '5', '--dns-timeout', '1', '--retries', '0', '--allow-special-addresses', '--workers', '1'];
}

const byLabel = (family: OmFamily | undefined, label: string) => Object.fromEntries((family?.samples ?? []).map((s) => [s.labels[label], s.value]));

function check(text: string): void {
  const families = parseOpenMetrics(text); // every line, families whole, label sets unique, # EOF last
  assert.deepEqual(namingBreaches(families, 'mxprobe_'), []);
  assert.deepEqual(byLabel(families.get('mxprobe_domain_pass'), 'domain'), { 'a.test': 1, 'b.test': 1, 'wrong.test': 0, 'nx.test': 0, 'bad..name': 0 });
  assert.deepEqual(byLabel(families.get('mxprobe_run_rows'), 'verdict'), { pass: 3, fail: 3, undetermined: 0 }, 'every input row counted, A.TEST. again too');
  assert.deepEqual(byLabel(families.get('mxprobe_domain_level'), 'domain'), { 'a.test': 2, 'b.test': 2, 'wrong.test': 1 });
  const wrong = families.get('mxprobe_domain_problems')?.samples.filter((s) => s.labels.domain === 'wrong.test').map((s) => s.labels.code);
  assert.ok(wrong?.includes('CERT_NAME_MISMATCH'), `wrong.test: ${wrong?.join(', ')}`);
  const versions = families.get('mxprobe_tls_version_info')?.samples.map((s) => `${s.labels.domain} ${s.labels.mx} ${s.labels.ip} ${s.labels.version}`).sort();
  assert.deepEqual(versions, ['a.test mx.test 127.0.0.2 TLSv1.3', 'b.test mail.test 127.0.0.3 TLSv1.3', 'b.test mx.test 127.0.0.2 TLSv1.3', 'wrong.test alias.test 127.0.0.2 TLSv1.3']);
  const notAfter = Date.parse(new X509Certificate(pki.certs.valid.leaf).validTo) / 1000;
  const expiry = families.get('mxprobe_certificate_expiry_timestamp_seconds')?.samples ?? [];
  assert.equal(expiry.length, 4);
  assert.ok(expiry.every((s) => s.value === notAfter), 'the served leaf\'s notAfter, in Unix seconds');
  assert.equal(families.get('mxprobe_policy_satisfied')?.samples.find((s) => s.labels.domain === 'wrong.test' && s.labels.policy === 'verify')?.value, 0, 'policy (d) not satisfied where the name does not match');
  if (PROMTOOL !== null) {
    const { code, output } = promtoolCheck(PROMTOOL, text);
    assert.equal(code, 0, output);
  } else if (process.env.CI === 'true') {
    assert.fail('promtool missing in CI: scripts/install-test-deps.sh installs Debian\'s prometheus package for it');
  }
}

test('a batch with --format openmetrics to standard output: one valid exposition, the summary on stderr', async () => {
  const run = await runCli(common());
  assert.equal(run.code, 1, run.stderr); // below the requirement, NXDOMAIN and an invalid row fail
  check(run.stdout);
  assert.match(run.stderr, /pass/i, 'the batch summary goes to stderr');
  assert.doesNotMatch(run.stdout, /\u202e/, 'no raw bidi override from the input');
});

test('a batch with --format openmetrics --output FILE (a file to move into the textfile collector\'s directory)', async () => {
  const out = path.join(dir, 'mxprobe.prom');
  const run = await runCli([...common(), '--output', out, '--quiet']);
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stdout, '');
  check(readFileSync(out, 'utf8'));
});

test('--resume refuses openmetrics (not appendable)', async () => {
  const run = await runCli([...common(), '--output', path.join(dir, 'again.prom'), '--resume']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /resume/);
});
