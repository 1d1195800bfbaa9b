// How a domain enforces mail TLS (issue 9), in every output: the text report's DANE and
// MTA-STS lines (both widths, the narrow rule, the note when DANE authenticates what PKIX does
// not), the batch row's tags, the two new policy rows, the CSV columns dnssec, dane, mta_sts and
// tls_rpt, JUnit's system-out; and DNS and HTTP text (TLSA data, policy id, rua URIs) sanitised
// everywhere. The results are built by hand with the slots filled (test/helpers/mail-tls-results.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderText, textRenderer } from '../../src/render/text.ts';
import { csvHeader, csvRow, CSV_COLUMNS } from '../../src/render/csv.ts';
import { junitReport } from '../../src/render/junit.ts';
import { renderSummary } from '../../src/render/batch-summary-text.ts';
import { cells } from '../helpers/csv-cells.ts';
import type { DomainResult } from '../../src/model/domain.ts';
import type { BatchSummary } from '../../src/judge/batch-summary.ts';
import { SENDER_POLICIES } from '../../src/judge/sender-policies.ts';
import { golden } from '../helpers/golden.ts';
import { NOW } from '../helpers/facts.ts';
import { goodResult } from '../helpers/batch.ts';
import { daneBogusResult, daneInsecureResult, daneMixedResult, daneValidResult, mailTlsResults, withMailTls, dane, tlsa } from '../helpers/mail-tls-results.ts';
import { addressFacts, domainFacts, mxHost } from '../helpers/facts.ts';

const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
/** Raw controls, C1 and bidi characters: none may reach a person or a file (DEL too). */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** The lines of the DANE / MTA-STS block of each domain: from "DANE:" or "MTA-STS:" to the problems or the policies. */
function mailTlsBlock(text: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of text.split('\n')) {
    if (/^(DANE|MTA-STS): /.test(line)) inside = true;
    else if (/^(Problems|Sender policies|PASS|FAIL|UNKNOWN|Transcript)/.test(line) || line === '') inside = false;
    if (inside) out.push(line);
  }
  return out;
}

test('text report with DANE, MTA-STS and TLS-RPT at 160 and 80 columns (golden, hostile DNS and HTTP text)', () => {
  golden('report-mail-tls-160.txt', renderText(mailTlsResults(), { colorLevel: 0, transcript: false, columns: 160 }));
  golden('report-mail-tls-80.txt', renderText(mailTlsResults(), { colorLevel: 0, transcript: false, columns: 80 }));
});

test('each domain has a DANE line and an MTA-STS line that say its state in words', () => {
  const text = (r: DomainResult) => renderText([r], { colorLevel: 0, transcript: false, columns: 10_000 });
  assert.match(text(daneValidResult()), /^DANE: valid on 2\/2 addresses \(3 1 1\), rollover-safe$/m);
  assert.match(text(daneValidResult()), /^MTA-STS: enforce, id 20260101T000000, every MX host listed \(\*\.dane\.example\); certificate not verified: mx1\.dane\.example; TLS reports to mailto:tlsrpt@dane\.example$/m);
  assert.match(text(daneMixedResult()), /^DANE: valid on 1\/2 addresses \(3 1 1\); invalid on 1\/2 \(mx2\.\\x1b\[31mmixed\\u202e\.example\); not rollover-safe: mx1\.mixed\.example$/m);
  assert.match(text(daneMixedResult()), /^MTA-STS: testing, id =1\+1\\u202e, 1\/2 MX hosts listed, not mx2\./m);
  assert.match(text(daneInsecureResult()), /^DANE: DNSSEC insecure: DANE does not apply$/m);
  assert.match(text(daneInsecureResult()), /^MTA-STS: not published; no TLS-RPT record$/m);
  assert.match(text(daneBogusResult()), /^DANE: DNSSEC bogus: DANE senders defer the mail$/m);
  assert.match(text(daneBogusResult()), /^MTA-STS: policy unreachable \(certificate\): senders ignore MTA-STS; TLS reports to https:\/\/tlsrpt\.bogus\.example\/v1$/m);
  // A secure denial: not published; a failed look-up: cannot tell.
  const facts = domainFacts({ mx: [mxHost('mx.example.com', 10, [addressFacts()])] });
  const none = withMailTls(facts, { hosts: { 'mx.example.com': { tlsa: tlsa('mx.example.com', 'secure', []), dane: dane('none') } } });
  assert.match(text(none), /^DANE: not published$/m);
  const failed = withMailTls(facts, { hosts: { 'mx.example.com': { tlsa: tlsa('mx.example.com', 'indeterminate', []), dane: dane('indeterminate') } } });
  assert.match(text(failed), /^DANE: TLSA look-up failed: cannot tell$/m);
  // Nothing gathered (an earlier result, --server): no line at all, the report as before.
  assert.doesNotMatch(text(goodResult()), /^(DANE|MTA-STS):/m);
});

test('DANE satisfied with a certificate PKIX does not trust: the text says so in words, and only then', () => {
  const text = renderText([daneValidResult()], { colorLevel: 0, transcript: false, columns: 160 });
  assert.match(text, /^ {2}DANE authenticates mx1\.dane\.example although PKIX does not verify its certificate \(self-signed\): DANE senders deliver, senders that verify by PKIX do not\.$/m);
  // Every certificate PKIX-verified (mixed: mx1 valid and trusted), or DANE not satisfied: no note.
  for (const r of [daneMixedResult(), daneInsecureResult(), daneBogusResult()]) {
    assert.doesNotMatch(renderText([r], { colorLevel: 0, transcript: false }), /DANE authenticates/, r.domain);
  }
  // The row decides: the same addresses with the dane row not satisfied say nothing.
  const notSatisfied = daneValidResult();
  notSatisfied.policies = notSatisfied.policies.map((p) => (p.id === ('dane' as string) ? { ...p, satisfied: false } : p));
  assert.doesNotMatch(renderText([notSatisfied], { colorLevel: 0, transcript: false }), /DANE authenticates/);
  // JUnit says it too, with the DANE and MTA-STS lines and a line per policy row, the new ones included.
  const junit = junitReport([daneValidResult()], { name: 'x', timestamp: NOW, durationMs: 0 });
  assert.match(junit, /DANE authenticates mx1\.dane\.example although PKIX does not verify/);
  assert.match(junit, /^DANE: valid on 2\/2 addresses \(3 1 1\), rollover-safe$/m);
  assert.match(junit, /^MTA-STS: enforce, id 20260101T000000, every MX host listed/m);
  assert.match(junit, /^policy \(e\) DANE enforced: delivered yes, encrypted yes, authenticated yes; satisfied$/m);
  assert.match(junit, /^policy \(f\) MTA-STS enforced: delivered partly, encrypted yes, authenticated yes; not satisfied/m);
});

test('the DANE and MTA-STS lines fit every width, in colour too; nothing is lost when wrapped', () => {
  for (const result of mailTlsResults()) {
    const wide = mailTlsBlock(renderText([result], { colorLevel: 0, transcript: false, columns: 10_000 }));
    const words = wide.join(' ').split(/\s+/).join('');
    for (const columns of [20, 40, 60, 80, 100, 160]) {
      const text = plain(renderText([result], { colorLevel: 1, transcript: false, columns }));
      const block = mailTlsBlock(text);
      assert.ok(block.length >= 2, `${result.domain} at ${columns}: ${block.join('|')}`);
      for (const line of block) assert.ok([...line].length <= Math.max(columns, 16), `${result.domain} at ${columns} columns: ${[...line].length}: ${line}`);
      // Wrapping only moves line breaks: the same characters, in the same order.
      assert.equal(block.join(' ').split(/\s+/).join(''), words, `${result.domain} at ${columns}`);
    }
  }
});

test('the dane and mta-sts policy rows render in the matrix with the table\'s, at most 80 columns, required ones marked', () => {
  for (const result of mailTlsResults()) {
    const lines = renderText([result], { colorLevel: 0, transcript: false, columns: 80 }).split('\n');
    const start = lines.findIndex((l) => l.startsWith('Sender policies'));
    const rows = lines.slice(start + 1, start + 1 + result.policies.length);
    assert.deepEqual(rows.map((r) => r.slice(2, 5)), result.policies.map((p) => `(${p.policy})`), result.domain);
    for (const [i, p] of result.policies.entries()) {
      assert.ok(rows[i]!.includes(p.name), rows[i]);
      assert.ok([...rows[i]!].length <= 80, rows[i]);
    }
    assert.ok(result.policies.some((p) => p.id === ('dane' as string)) && result.policies.some((p) => p.id === ('mta-sts' as string)));
    // Every row of the table is there too (the table may hold dane and mta-sts itself by now).
    for (const p of SENDER_POLICIES) assert.ok(rows.some((r) => r.includes(p.name)), p.id);
  }
  const required = daneValidResult();
  required.requiredPolicies = [...required.requiredPolicies, 'dane' as (typeof required.requiredPolicies)[number]];
  assert.match(renderText([required], { colorLevel: 0, transcript: false }), /^✔ \(e\) DANE enforced +yes +yes +yes$/m);
});

test('batch rows: short DANE and MTA-STS tags where they apply', () => {
  const r = textRenderer({ layout: 'rows', colorLevel: 0, transcript: false });
  assert.deepEqual(
    mailTlsResults().map((x, i) => r.row(x, i)),
    [
      'PASS dane.example: level encrypt (required: encrypt) · DANE valid · MTA-STS enforce\n',
      'PASS mixed.example: level verify (required: encrypt) · DANE valid/invalid · MTA-STS testing\n',
      'PASS unsigned.example: level verify (required: encrypt)\n',
      'PASS bogus.example: level verify (required: encrypt) · DANE bogus\n',
    ],
  );
  assert.equal(r.row(goodResult(), 0), 'PASS example.com: level verify (required: encrypt)\n');
});

test('CSV: the new columns at the end of the fixed ones, a cell per column in every row, the values per kind', () => {
  assert.deepEqual(CSV_COLUMNS.slice(-6, -2), ['dnssec', 'dane', 'mta_sts', 'tls_rpt']);
  assert.match(csvHeader(['partner']), /,satisfied,dnssec,dane,mta_sts,tls_rpt,deep_worst_tier,weak_suites,partner\r\n$/);
  const at = (record: string[], name: (typeof CSV_COLUMNS)[number]) => record[CSV_COLUMNS.indexOf(name)];
  const rows = mailTlsResults().map((r) => cells(csvRow(r, [])));
  for (const row of [...rows, cells(csvRow(goodResult(), []))]) assert.equal(row.length, CSV_COLUMNS.length, row.join('|'));
  assert.deepEqual(
    rows.map((row) => [at(row, 'dnssec'), at(row, 'dane'), at(row, 'mta_sts'), at(row, 'tls_rpt')]),
    [
      ['secure', 'valid', 'enforce', 'mailto:tlsrpt@dane.example'],
      ['secure', 'valid;invalid', 'testing', '=HYPERLINK("http://x") mailto:\\x1b[31mrpt@\\u202emixed.example @SUM(A1)'],
      ['insecure', 'insecure', 'none', ''],
      ['secure', 'bogus', 'none', 'https://tlsrpt.bogus.example/v1'],
    ],
  );
  // Not gathered: empty cells.
  const good = cells(csvRow(goodResult(), []));
  assert.deepEqual(CSV_COLUMNS.slice(-6, -2).map((c) => at(good, c)), ['', '', '', '']);
});

test('hostile DNS and HTTP text is sanitised in every output; a rua that looks like a formula is escaped in CSV', () => {
  for (const result of mailTlsResults()) {
    for (const columns of [40, 80, 160]) {
      for (const colorLevel of [0, 1] as const) {
        assert.doesNotMatch(plain(renderText([result], { colorLevel, transcript: false, columns })), RAW, `${result.domain} text ${columns}`);
      }
    }
    assert.doesNotMatch(textRenderer({ layout: 'rows', colorLevel: 0, transcript: false }).row(result, 0), RAW);
    assert.doesNotMatch(csvRow(result, []).slice(0, -2), RAW, `${result.domain} CSV`);
    assert.doesNotMatch(junitReport([result], { name: 'x', timestamp: NOW, durationMs: 0 }), RAW, `${result.domain} JUnit`);
  }
  const row = csvRow(daneMixedResult(), []);
  assert.match(row, /,"'=HYPERLINK\(""http:\/\/x""\) mailto:\\x1b\[31mrpt@\\u202emixed\.example @SUM\(A1\)",,\r\n$/);
  // Each rua alone at the start of the cell: a formula prefix is escaped.
  for (const rua of ['=1+1', '+1', '-1', '@x', ' =1', '\uff1d1']) {
    const result = { ...daneValidResult(), tlsRpt: { txt: [], record: 'v=TLSRPTv1', rua: [rua], error: null } };
    const cell = cells(csvRow(result, []))[CSV_COLUMNS.indexOf('tls_rpt')]!;
    assert.equal(cell, rua, JSON.stringify(rua));
    assert.match(csvRow(result, []), /,"?'[^,]*,,\r\n$/, JSON.stringify(rua));
  }
});

test('the batch summary counts satisfied domains per policy, the dane and mta-sts rows included, within 80 columns', () => {
  const summary: BatchSummary = {
    total: 99_999,
    byLevel: { none: 1, encrypt: 2, verify: 3, unknown: 4 },
    noMail: 0,
    pass: 1,
    fail: 2,
    undetermined: 3,
    invalid: 0,
    satisfied: SENDER_POLICIES.map((p) => ({ id: p.id, policy: p.letter, name: p.name, count: 99_999 })),
    topProblems: [],
    renewals: [],
  };
  const line = renderSummary(summary, { colorLevel: 0, elapsedMs: 1000, probesMade: 1 }).split('\n').find((l) => l.startsWith('  satisfied'))!;
  assert.equal(line, '  satisfied (a) 99999  (b) 99999  (c) 99999  (d) 99999  (e) 99999  (f) 99999');
  assert.ok(line.length <= 80);
});
