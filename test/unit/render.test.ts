import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { SENDER_POLICIES } from '../../src/judge/sender-policies.ts';
import { renderText } from '../../src/render/text.ts';
import { renderJson } from '../../src/render/json.ts';
import { csvRow } from '../../src/render/csv.ts';
import { junitReport } from '../../src/render/junit.ts';
import type { PolicyOutcome } from '../../src/model/policy.ts';
import type { DomainResult } from '../../src/model/domain.ts';
import { golden } from '../helpers/golden.ts';
import { addressFacts, certFacts, certInfo, daysFromNow, domainFacts, intermediate, mxHost, NOW, plainAddress, requirement, root } from '../helpers/facts.ts';

const POLICY = { required: ['tls-required'] as const, warnDays: 30 };

function results(): DomainResult[] {
  const good = judgeDomain(domainFacts(), POLICY, NOW);
  const mixed = judgeDomain(
    domainFacts({
      domain: 'partner.example',
      input: 'ops@partner.example',
      mx: [
        mxHost('mx1.partner.example', 10, [
          addressFacts({
            ip: '198.51.100.7',
            certificate: certFacts([certInfo({ san: ['DNS:mx1.partner.example'], notAfter: daysFromNow(12.2) }), intermediate(), root()], null),
          }),
        ]),
        mxHost('mx2.partner.example', 20, [
          plainAddress({ ip: '2001:db8::25', family: 6, banner: { code: 220, lines: ['mx2 \u001b[31mEvil\u001b[0m ESMTP \u202eevil'] } }),
        ]),
      ],
    }),
    POLICY,
    NOW,
  );
  const missing = judgeDomain(
    domainFacts({ domain: 'nope.example', input: 'nope.example', outcome: 'nxdomain', mx: [], dns: [{ name: 'nope.example', type: 'MX', rcode: 'NXDOMAIN', authenticated: false, cnames: [], answers: [], server: '127.0.0.1:53', ms: 2 }] }),
    POLICY,
    NOW,
  );
  return [good, mixed, missing];
}

/**
 * Server text at its worst: escape sequences, BEL, C1, bidi overrides in names, subjects and
 * errors; with `longHost`, a 200-character MX host name (wider than any table would be).
 */
function hostileResult(longHost = false): DomainResult {
  const second = longHost ? `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(50)}.hostile.example` : 'mx2.hostile.example';
  return judgeDomain(
    domainFacts({
      domain: 'hostile.example',
      input: 'hostile.example',
      mx: [
        mxHost('\u001b\u202emx.hostile.example', 10, [
          addressFacts({
            ip: '198.51.100.9',
            certificate: certFacts(
              [certInfo({ subject: 'CN=\u001b]0;x\u0007mx\u0085', issuer: 'CN=\u202eCA\u009b', san: ['DNS:other.example'], selfSigned: true })],
              'bad\u0007\n',
            ),
          }),
        ]),
        mxHost(second, 20, [
          plainAddress({ ip: '2001:db8::25:1', family: 6, port: 2525, starttls: true, starttlsReply: { code: 220, lines: ['go ahead'] }, failure: { stage: 'handshake', kind: 'tls', message: 'handshake failed \u009b' } }),
        ]),
      ],
    }),
    POLICY,
    NOW,
  );
}

/** The widest line of the address section (the table, or the blocks of the narrow layout). */
function addressSectionWidth(text: string): number {
  const lines = text.split('\n');
  let widest = 0;
  let inside = false;
  for (const line of lines) {
    if (/^(PASS|FAIL|UNKNOWN) /.test(line)) inside = true;
    else if (/^(Problems|Sender policies|Transcript)/.test(line)) inside = false;
    else if (inside) widest = Math.max(widest, [...line].length);
  }
  return widest;
}

test('text report without colour matches the golden file', () => {
  golden('report.txt', renderText(results(), { colorLevel: 0, transcript: false }));
});

test('text report at 160 columns: the full table (golden, with hostile server text)', () => {
  const text = renderText([results()[1]!, hostileResult()], { colorLevel: 0, transcript: false, columns: 160 });
  golden('report-160.txt', text);
  assert.equal(text.match(/┌/g)?.length, 2, 'a table for each domain');
  assert.ok(addressSectionWidth(text) <= 160);
});

test('text report at 80 columns: one block per address, a line per column, nothing wider (golden, hostile text)', () => {
  const text = renderText([results()[1]!, hostileResult(true)], { colorLevel: 0, transcript: false, columns: 80 });
  golden('report-80.txt', text);
  assert.doesNotMatch(text, /[┌│└]/, 'no table');
  assert.ok(addressSectionWidth(text) <= 80, `widest line ${addressSectionWidth(text)}`);
  assert.match(text, /^ {2}Level: +none$/m);
});

test('the layout follows the width, per domain: the full table down to the width it needs, blocks below', () => {
  for (const result of [hostileResult(), hostileResult(true), ...results().slice(0, 2)]) {
    const full = renderText([result], { colorLevel: 1, transcript: false, columns: 10_000 });
    const needed = addressSectionWidth(full.replace(/\u001b\[[0-9;]*m/g, ''));
    assert.match(renderText([result], { colorLevel: 1, transcript: false, columns: needed }), /┌/);
    assert.doesNotMatch(renderText([result], { colorLevel: 1, transcript: true, columns: needed - 1 }), /┌/);
    for (const columns of [40, 60, 80, 100, needed - 1]) {
      const text = renderText([result], { colorLevel: 1, transcript: false, columns }).replace(/\u001b\[[0-9;]*m/g, '');
      assert.ok(addressSectionWidth(text) <= columns, `${result.domain} at ${columns} columns: widest ${addressSectionWidth(text)}`);
    }
  }
  // Without a width (not a terminal), the full table of a usual report.
  assert.match(renderText(results(), { colorLevel: 0, transcript: false }), /┌/);
});

test('the report says which sender policies it means', () => {
  const text = renderText(results(), { colorLevel: 0, transcript: false });
  assert.doesNotMatch(text, /seed FAQ/);
  assert.match(text, /^Sender policies of the partner TLS FAQs  delivered  encrypted  authenticated$/m);
});

test('the policy rows are the table\'s: every policy, the required one marked, no line over 80 columns', () => {
  const several = judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [plainAddress()])] }), { required: requirement('a,d'), warnDays: 30 }, NOW);
  for (const result of [...results(), several]) {
    const lines = renderText([result], { colorLevel: 0, transcript: false }).split('\n');
    const start = lines.findIndex((l) => l.startsWith('Sender policies'));
    const rows = lines.slice(start + 1, start + 1 + SENDER_POLICIES.length);
    assert.deepEqual(rows.map((r) => r.slice(2, 5)), SENDER_POLICIES.map((p) => `(${p.letter})`));
    for (const [i, row] of rows.entries()) {
      const policy = SENDER_POLICIES[i]!;
      assert.ok(row.includes(policy.name), row);
      const required = result.requiredPolicies.includes(policy.id);
      assert.equal(row[0], required ? ({ true: '✔', false: '✘', null: '?' } as const)[String(result.policies[i]?.satisfied) as 'true'] : ' ', row);
      assert.ok([...row].length <= 80, `${[...row].length} columns: ${row}`);
    }
  }
  const marks = renderText([several], { colorLevel: 0, transcript: false }).split('\n').filter((l) => /^[✔✘?] \(/.test(l));
  assert.deepEqual(marks.map((l) => l.slice(0, 5)), ['✔ (a)', '✘ (d)']);
});

test('text report has no raw control characters from the network, even with colour, in either layout', () => {
  for (const columns of [80, 160]) {
    const text = renderText([...results(), hostileResult()], { colorLevel: 1, transcript: true, columns });
    const withoutSgr = text.replace(/\u001b\[[0-9;]*m/g, '');
    assert.doesNotMatch(withoutSgr, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  }
});

test('colour level 0 writes no escape sequence at all', () => {
  assert.doesNotMatch(renderText(results(), { colorLevel: 0, transcript: true }), /\u001b/);
});

test('colour level 1 colours the verdict', () => {
  assert.match(renderText(results(), { colorLevel: 1, transcript: false }), /\u001b\[3[12]m/);
});

test('the transcript is shown only when asked', () => {
  const r = results();
  r[0]!.mx[0]!.addresses[0]!.transcript = [
    { dir: '*', text: 'connected', ms: 0 },
    { dir: 'S', text: '220 mx.example.com ESMTP \u0007', ms: 3 },
    { dir: 'C', text: 'EHLO probe.example', ms: 4 },
  ];
  assert.doesNotMatch(renderText(r, { colorLevel: 0, transcript: false }), /EHLO probe/);
  const shown = renderText(r, { colorLevel: 0, transcript: true });
  assert.match(shown, /C: EHLO probe\.example/);
  assert.match(shown, /S: 220 mx\.example\.com ESMTP \\x07/);
  assert.doesNotMatch(renderJson(r, { transcript: false }), /"transcript"/);
  assert.match(renderJson(r, { transcript: true }), /"transcript"/);
});

test('JSON report matches the golden file and keeps the public field names', () => {
  const json = renderJson(results(), { transcript: false });
  golden('report.json', json);
  const report = JSON.parse(json);
  assert.equal(report.schemaVersion, 2);
  const d = report.domains[1];
  for (const key of ['domain', 'level', 'required', 'pass', 'mx', 'problems']) assert.ok(key in d, key);
  for (const key of ['host', 'preference', 'implicit', 'addresses']) assert.ok(key in d.mx[0], key);
  const a = d.mx[0].addresses[0];
  for (const key of ['ip', 'port', 'starttls', 'tls', 'certificate', 'level', 'problems', 'timings']) assert.ok(key in a, key);
  for (const key of ['protocol', 'cipher']) assert.ok(key in a.tls, key);
  for (const key of ['chain', 'trusted', 'trustError', 'nameMatch', 'expired']) assert.ok(key in a.certificate, key);
  assert.deepEqual(d.problems, [], 'the domain has no problem of its own; its addresses keep theirs');
  for (const key of ['code', 'severity', 'message', 'hint', 'scope', 'host', 'ip']) assert.ok(key in a.problems[0], key);
  assert.equal(a.problems[0].scope, 'address');
});

test('JSON escapes C1 controls and bidi overrides that JSON.stringify leaves raw', () => {
  const json = renderJson(results(), { transcript: false });
  assert.doesNotMatch(json, /[\u007f-\u009f\u202e]/);
  assert.match(json, /\\u202e/);
  assert.equal(JSON.parse(json).domains[1].mx[1].addresses[0].banner.lines[0], 'mx2 \u001b[31mEvil\u001b[0m ESMTP \u202eevil');
});

test('an undetermined domain with only warnings names the first one in its verdict line (every address filtered by -6)', () => {
  const result = judgeDomain(
    domainFacts({
      outcome: 'not-probed',
      mx: [mxHost('mx.example.com', 10, [], { skipped: [{ ip: '192.0.2.10', family: 4, reason: 'family' }] })],
    }),
    POLICY,
    NOW,
  );
  assert.equal(result.pass, null);
  const first = renderText([result], { colorLevel: 0, transcript: false, columns: 160 }).split('\n')[0] ?? '';
  assert.match(first, /^UNKNOWN example\.com: level unknown \(required: encrypt\) — The MX host mx\.example\.com has only .*-6/);
});

test('renderers read the policy rows, not a list of four: a fifth row (as a DANE sender will be) shows in text, CSV, JUnit and JSON', () => {
  const base = results()[0]!;
  const dane = { policy: 'e', id: 'dane', name: 'DANE', delivered: 'yes', encrypted: 'yes', authenticated: 'yes', satisfied: true } as unknown as PolicyOutcome;
  const result: DomainResult = { ...base, policies: [...base.policies, dane], requiredPolicies: [...base.requiredPolicies, 'dane' as PolicyOutcome['id']] };
  assert.match(renderText([result], { colorLevel: 0, transcript: false }), /^✔ \(e\) DANE {2,}yes {8}yes {8}yes$/m);
  assert.match(csvRow(result, []), /,plain;opportunistic;tls-required;verify;dane,,,,,,\r\n$/);
  assert.match(junitReport([result], { name: 'x', timestamp: NOW, durationMs: 0 }), /policy \(e\) DANE: delivered yes, encrypted yes, authenticated yes; required, satisfied/);
  assert.equal(JSON.parse(renderJson([result], { transcript: false })).domains[0].policies[4].id, 'dane');
});
