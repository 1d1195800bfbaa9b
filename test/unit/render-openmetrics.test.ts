// `--format openmetrics` on fixed results: the whole exposition against its golden file; every
// output read by a strict reader of the OpenMetrics grammar (test/helpers/openmetrics.ts) and,
// where it is installed, by `promtool check metrics` (Prometheus' own parser and lint; CI must
// have it); hostile label values (quotes, backslashes, line feeds, ANSI, bidi overrides, very
// long) kept inside their label and shown escaped; undetermined as no sample, never NaN; a
// domain on several rows as one series; the expiry as the leaf's notAfter in Unix seconds; the
// README's alert rules valid, and its expiry alert firing for a certificate 10 days from expiry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openMetricsRenderer, OPENMETRICS_FAMILIES } from '../../src/render/openmetrics.ts';
import { renderAll } from '../../src/render/report-renderer.ts';
import { sanitize } from '../../src/render/sanitize.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import type { DomainResult } from '../../src/model/domain.ts';
import { everyKindOfResult, goodResult, invalidResult, mixedResult, undeterminedResult } from '../helpers/batch.ts';
import { daneMixedResult, daneValidResult } from '../helpers/mail-tls-results.ts';
import { addressFacts, certFacts, certInfo, daysFromNow, domainFacts, intermediate, mxHost, NOW, root } from '../helpers/facts.ts';
import { golden } from '../helpers/golden.ts';
import { ROOT } from '../helpers/run-cli.ts';
import { findPromtool, namingBreaches, parseOpenMetrics, promtoolCheck, type OmFamily } from '../helpers/openmetrics.ts';

const TIME = { startedAt: NOW, durationMs: 1500 };
const render = (results: DomainResult[]) => renderAll(openMetricsRenderer(), results, TIME);

const PROMTOOL = findPromtool();
/** CI must check with promtool (scripts/install-test-deps.sh installs Debian's prometheus for it); a workstation without it skips. */
const noPromtool = PROMTOOL === null && process.env.CI !== 'true' ? 'promtool is not installed (Debian: apt-get install prometheus, or scripts/install-test-deps.sh)' : false;

/** Text a hostile server or input could hold: every character the format or a terminal cares about. */
const HOSTILE = 'evil"} 1\nfake_metric{x="y"} 2\\ \u001b[31mred\u001b[0m \u202eslanted\u202c \u2028 \u0000 \u0085';

function hostileResult(): DomainResult {
  const facts = domainFacts({
    domain: 'hostile.example',
    input: 'hostile.example',
    mx: [
      mxHost(`mx.${HOSTILE}`, 10, [
        addressFacts({
          ip: '192.0.2.66',
          tls: { protocol: `TLSv1.3${HOSTILE}`, cipher: 'TLS_AES_128_GCM_SHA256', cipherOpenssl: 'TLS_AES_128_GCM_SHA256', keyExchange: null, sni: null },
          certificate: certFacts([certInfo({ notAfter: daysFromNow(10) }), intermediate(), root()], null),
        }),
      ]),
    ],
  });
  return { ...judgeDomain(facts, { required: ['tls-required'], warnDays: 30 }, NOW), source: { line: 11, columns: {} } };
}

/** The fixed results of the golden file: every kind of row, DANE rows, a hostile one and a domain listed twice. */
function goldenResults(): DomainResult[] {
  return [...everyKindOfResult(), daneValidResult(), daneMixedResult(), hostileResult(), invalidResult(`bad"\\\n\u202ename`, 'not a domain', 12), mixedResult({ partner: 'again' })];
}

function families(text: string): Map<string, OmFamily> {
  return parseOpenMetrics(text);
}

const samplesOf = (text: string, family: string) => families(text).get(family)?.samples ?? [];

test('the whole exposition equals its golden file, and the strict reader takes it', () => {
  const text = render(goldenResults());
  golden('report.openmetrics', text);
  const read = families(text);
  assert.deepEqual([...read.keys()], OPENMETRICS_FAMILIES.map((f) => f.name), 'every family, in the documented order, each once (never interleaved)');
  assert.deepEqual(namingBreaches(read, 'mxprobe_'), []);
  for (const f of read.values()) assert.equal(f.type, 'gauge', `${f.name}: gauges only, so the text is Prometheus text 0.0.4 too`);
  assert.deepEqual(
    [...read.values()].filter((f) => f.unit !== null).map((f) => [f.name, f.unit]),
    [['mxprobe_run_timestamp_seconds', 'seconds'], ['mxprobe_run_duration_seconds', 'seconds'], ['mxprobe_certificate_expiry_timestamp_seconds', 'seconds']],
  );
});

test('empty run: the run families, every family\'s metadata, # EOF', () => {
  const text = render([]);
  const read = families(text);
  assert.deepEqual([...read.keys()], OPENMETRICS_FAMILIES.map((f) => f.name));
  assert.deepEqual(samplesOf(text, 'mxprobe_run_rows').map((s) => s.value), [0, 0, 0]);
  assert.equal(samplesOf(text, 'mxprobe_domain_pass').length, 0);
  assert.match(text, /\n# EOF\n$/);
});

test('values: pass 1/0, undetermined as no sample (never NaN), levels 0-2, the run as Unix seconds', () => {
  const text = render([goodResult(), mixedResult(), undeterminedResult()]);
  assert.doesNotMatch(text, /\b(NaN|Inf)\b/i);
  const pass = Object.fromEntries(samplesOf(text, 'mxprobe_domain_pass').map((s) => [s.labels.domain, s.value]));
  assert.deepEqual(pass, { 'example.com': 1, 'partner.example': 0 }, 'flaky.example is undetermined: no pass sample');
  const undetermined = Object.fromEntries(samplesOf(text, 'mxprobe_domain_undetermined').map((s) => [s.labels.domain, s.value]));
  assert.deepEqual(undetermined, { 'example.com': 0, 'partner.example': 0, 'flaky.example': 1 });
  assert.equal(samplesOf(text, 'mxprobe_policy_satisfied').filter((s) => s.labels.domain === 'flaky.example').length, 0, 'no policy verdict when undetermined');
  const levels = samplesOf(text, 'mxprobe_address_level').map((s) => [s.labels.mx, s.labels.ip, s.value]);
  assert.deepEqual(levels, [
    ['mx.example.com', '192.0.2.10', 2],
    ['mx1.partner.example', '198.51.100.7', 1],
    ['mx1.partner.example', '198.51.100.8', 2],
    ['mx2.partner.example', '2001:db8::25', 0],
  ], 'MX hosts in preference order; the expired certificate encrypts only; plaintext is none');
  assert.deepEqual(samplesOf(text, 'mxprobe_run_timestamp_seconds').map((s) => s.value), [NOW.getTime() / 1000]);
  assert.deepEqual(samplesOf(text, 'mxprobe_run_duration_seconds').map((s) => s.value), [1.5]);
});

test('the leaf certificate\'s expiry: its notAfter in Unix seconds, per MX address', () => {
  const result = mixedResult();
  const text = render([result]);
  const want = result.mx.flatMap((h) => h.addresses.filter((a) => a.certificate !== null).map((a) => [a.ip, Date.parse(a.certificate!.chain[0]!.notAfter) / 1000]));
  const got = samplesOf(text, 'mxprobe_certificate_expiry_timestamp_seconds').map((s) => [s.labels.ip, s.value]);
  assert.deepEqual(got.sort(), want.sort());
  assert.equal(got.length, 2, 'the plaintext address has no certificate: no sample');
  // Days left, as the README's alert computes them at the judged moment.
  const expired = samplesOf(text, 'mxprobe_certificate_expiry_timestamp_seconds').find((s) => s.labels.ip === '198.51.100.7')!;
  assert.equal((expired.value - NOW.getTime() / 1000) / 86400, -2.5);
});

test('problems by code and severity, and the TLS version of each address', () => {
  const text = render([mixedResult()]);
  const problems = samplesOf(text, 'mxprobe_domain_problems').map((s) => `${s.labels.code}/${s.labels.severity}=${s.value}`);
  assert.deepEqual(problems.sort(), ['CERT_EXPIRED/error=1', 'STARTTLS_NOT_OFFERED/error=1']);
  const versions = samplesOf(text, 'mxprobe_tls_version_info').map((s) => [s.labels.ip, s.labels.version, s.value]);
  assert.deepEqual(versions, [['198.51.100.7', 'TLSv1.2', 1], ['198.51.100.8', 'TLSv1.3', 1]]);
});

test('hostile label values stay inside their label: sanitised, escaped, bounded, one line per sample', () => {
  const long = `x${'\u202e"\\'.repeat(5000)}`;
  const results = [hostileResult(), invalidResult(HOSTILE, 'not a domain', 3), invalidResult(long, 'not a domain', 4)];
  const text = render(results);
  // Nothing raw that a terminal or a reader would act on: no escape, no bidi override, no line break but the format's own.
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/);
  const read = families(text); // the strict reader: every line a sample or metadata, label sets unique
  assert.equal(read.has('fake_metric'), false, 'no injected family');
  const mx = samplesOf(text, 'mxprobe_address_level')[0]?.labels.mx;
  assert.equal(mx, sanitize(`mx.${HOSTILE}`, 256), 'the label reads back as the sanitised text');
  const version = samplesOf(text, 'mxprobe_tls_version_info')[0]?.labels.version;
  assert.equal(version, sanitize(`TLSv1.3${HOSTILE}`, 256));
  const domains = samplesOf(text, 'mxprobe_domain_pass').map((s) => s.labels.domain ?? '');
  assert.deepEqual(domains, ['hostile.example', sanitize(HOSTILE, 256), sanitize(long, 256)]);
  // Bounded: 256 characters kept (then …), each shown at most 6 characters wide (\u202e).
  assert.ok(domains.every((d) => d.length <= 256 * 6 + 1), 'label values are bounded');
  for (const line of text.split('\n')) assert.ok(line.length < 2 * 256 * 6 + 200, `a line of ${line.length} characters`);
});

test('one series per domain: a domain on several rows is measured by its first row', () => {
  const first = goodResult({}, 2);
  const again = { ...judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [addressFacts({ ip: '192.0.2.99' })])] }), { required: ['verify'], warnDays: 30 }, NOW), source: { line: 9, columns: {} } };
  const text = render([first, again]);
  assert.deepEqual(samplesOf(text, 'mxprobe_address_level').map((s) => s.labels.ip), ['192.0.2.10'], 'the first row only');
  assert.deepEqual(samplesOf(text, 'mxprobe_run_rows').map((s) => s.value), [2, 0, 0], 'the run counts both rows');
  // The same MX host twice in one domain's facts is one series too.
  const twice = judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [addressFacts()]), mxHost('mx.example.com', 10, [addressFacts()])] }), { required: ['tls-required'], warnDays: 30 }, NOW);
  assert.equal(samplesOf(render([twice]), 'mxprobe_address_level').length, 1);
});

test('promtool check metrics takes every output (Prometheus\' parser and lint)', { skip: noPromtool }, () => {
  assert.ok(PROMTOOL !== null, 'promtool missing in CI: scripts/install-test-deps.sh installs Debian\'s prometheus package for it');
  for (const [name, results] of [['golden', goldenResults()], ['empty', []], ['hostile', [hostileResult(), invalidResult(HOSTILE, 'x', 3)]]] as const) {
    const { code, output } = promtoolCheck(PROMTOOL, render([...results]));
    assert.equal(code, 0, `${name}: ${output}`);
    assert.equal(output.trim(), '', `${name}: no lint finding`);
  }
  // It does refuse what it should: a raw line feed in a label value.
  assert.notEqual(promtoolCheck(PROMTOOL, '# TYPE a gauge\n# HELP a x\na{l="x\ny"} 1\n# EOF\n').code, 0);
});

test('the README\'s alert rules: valid, and the expiry alert fires below 14 days only (promtool test rules)', { skip: noPromtool }, () => {
  assert.ok(PROMTOOL !== null, 'promtool missing in CI');
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const rules = /\*\*Alert rules\*\*:\n\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(rules !== undefined, 'README has an "Alert rules" yaml block');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-rules-'));
  try {
    writeFileSync(path.join(dir, 'rules.yml'), rules);
    const check = spawnSync(PROMTOOL, ['check', 'rules', path.join(dir, 'rules.yml')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    // Rule-test time starts at the Unix epoch: one certificate expires 10 days after it, one 100 days.
    const at = (domain: string) => `mxprobe_certificate_expiry_timestamp_seconds{domain="${domain}",mx="mx.${domain}",ip="192.0.2.1"}`;
    const unit = [
      'rule_files: [rules.yml]',
      'evaluation_interval: 1m',
      'tests:',
      '  - interval: 1h',
      '    input_series:',
      `      - series: '${at('soon.example')}'`,
      `        values: '${10 * 86400}x3'`,
      `      - series: '${at('later.example')}'`,
      `        values: '${100 * 86400}x3'`,
      '    alert_rule_test:',
      '      - eval_time: 1h',
      '        alertname: PartnerMxCertificateExpiresSoon',
      '        exp_alerts:',
      '          - exp_labels: { severity: warning, domain: soon.example, mx: mx.soon.example, ip: 192.0.2.1 }',
      "            exp_annotations: { summary: 'Certificate of mx.soon.example [192.0.2.1], MX of partner soon.example, expires in 10 days' }",
      '',
    ].join('\n');
    writeFileSync(path.join(dir, 'rules.test.yml'), unit);
    const run = spawnSync(PROMTOOL, ['test', 'rules', path.join(dir, 'rules.test.yml')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
