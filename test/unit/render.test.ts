import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { renderText } from '../../src/render/text.ts';
import { renderJson } from '../../src/render/json.ts';
import type { DomainResult } from '../../src/model/result.ts';
import { addressFacts, certFacts, certInfo, daysFromNow, domainFacts, intermediate, mxHost, NOW, plainAddress, root } from '../helpers/facts.ts';

/** Golden files: run with UPDATE_GOLDEN=1 to rewrite them after an intended change, then review the diff. */
function golden(name: string, actual: string): void {
  const path = fileURLToPath(new URL(`../fixtures/golden/${name}`, import.meta.url));
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'));
}

const POLICY = { required: 'encrypt' as const, warnDays: 30 };

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
            certificate: certFacts([certInfo({ san: ['DNS:mx1.partner.example'], notAfter: daysFromNow(12.2) }), intermediate(), root()], true, null),
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

test('text report without colour matches the golden file', () => {
  golden('report.txt', renderText(results(), { colorLevel: 0, transcript: false }));
});

test('text report has no raw control characters from the network, even with colour', () => {
  const text = renderText(results(), { colorLevel: 1, transcript: true });
  const withoutSgr = text.replace(/\u001b\[[0-9;]*m/g, '');
  assert.doesNotMatch(withoutSgr, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
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
  assert.equal(report.schemaVersion, 1);
  const d = report.domains[1];
  for (const key of ['domain', 'level', 'required', 'pass', 'mx', 'problems']) assert.ok(key in d, key);
  for (const key of ['host', 'preference', 'implicit', 'addresses']) assert.ok(key in d.mx[0], key);
  const a = d.mx[0].addresses[0];
  for (const key of ['ip', 'port', 'starttls', 'tls', 'certificate', 'level', 'problems', 'timings']) assert.ok(key in a, key);
  for (const key of ['protocol', 'cipher']) assert.ok(key in a.tls, key);
  for (const key of ['chain', 'trusted', 'trustError', 'nameMatch', 'expired']) assert.ok(key in a.certificate, key);
  for (const key of ['code', 'severity', 'message', 'host', 'ip']) assert.ok(key in d.problems[0], key);
});

test('JSON escapes C1 controls and bidi overrides that JSON.stringify leaves raw', () => {
  const json = renderJson(results(), { transcript: false });
  assert.doesNotMatch(json, /[\u007f-\u009f\u202e]/);
  assert.match(json, /\\u202e/);
  assert.equal(JSON.parse(json).domains[1].mx[1].addresses[0].banner.lines[0], 'mx2 \u001b[31mEvil\u001b[0m ESMTP \u202eevil');
});
