// The README is part of the contract: it documents every problem code of the one catalogue with
// its severity (the probe's in its table, the headers command's in its list), and every field of
// the JSON format (schema version 2), optional ones and the slots a later version fills too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROBLEMS } from '../../src/judge/problem-catalogue.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { withInputWarning } from '../../src/judge/invalid-input.ts';
import type { ProblemCode } from '../../src/model/problem.ts';
import type { DaneOutcome } from '../../src/model/dane.ts';
import { SCHEMA_VERSION } from '../../src/model/report.ts';
import { addressFacts, domainFacts, mxHost, NOW, plainAddress } from '../helpers/facts.ts';
import { partialDeep, weakDeep } from '../helpers/deep-results.ts';

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const section = (heading: string) => {
  const start = README.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README has a section "${heading}"`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
};
const CODES = Object.keys(PROBLEMS) as ProblemCode[];

test('every code of the probe is in the README table of problem codes, with its severity', () => {
  const table = section('Problem codes');
  for (const code of CODES.filter((c) => PROBLEMS[c].command === 'probe')) {
    assert.match(table, new RegExp(`^\\| \`${code}\` \\| ${PROBLEMS[code].severity} \\| \\S`, 'm'), code);
  }
});

test('every code of mxprobe headers is in its list, under its severity', () => {
  const text = section('`mxprobe headers`');
  const list = text.slice(text.indexOf('Problem codes ('), text.indexOf('JSON (`--json`)'));
  const markers: Array<[RegExp, string]> = [[/\(error/g, 'error'], [/\(warnings?\)/g, 'warning'], [/\(information\)/g, 'info']];
  const severityAfter = (at: number) => {
    let best: { at: number; severity: string } | null = null;
    for (const [re, severity] of markers) {
      for (const m of list.matchAll(re)) if (m.index > at && (best === null || m.index < best.at)) best = { at: m.index, severity };
    }
    return best?.severity;
  };
  for (const code of CODES.filter((c) => PROBLEMS[c].command === 'headers')) {
    const at = list.indexOf(`\`${code}\``);
    assert.ok(at >= 0, `${code} is listed`);
    assert.equal(severityAfter(at), PROBLEMS[code].severity, code);
  }
});

/** Every key of a JSON value, recursively, but the names of carried input columns. */
function keys(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keys(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      if (k !== 'columns') keys(v, out);
    }
  }
  return out;
}

test('every field of the JSON format (schema version 2) is documented in the README', () => {
  const tlsa = { name: '_25._tcp.mx.example.com', baseDomain: 'mx.example.com', cnames: [], records: [{ usage: 3, selector: 1, matchingType: 1, data: 'ab' }], dnssec: 'secure' as const, error: null };
  const facts = domainFacts({
    mx: [
      mxHost('mx.example.com', 10, [
        addressFacts({ attempts: 2, transcript: [{ dir: 'C', text: 'EHLO x', ms: 1 }], modernTls: { ok: null, protocol: null, cipher: null, error: null, failure: { stage: 'connect', kind: 'timeout', message: 't' } }, daneHandshake: { sni: 'mx.provider.example', tls: addressFacts().tls, certificate: addressFacts().certificate, failure: { stage: 'handshake', kind: 'tls', message: 't' } } }),
        plainAddress({ ip: '192.0.2.11', failure: { stage: 'banner', kind: 'timeout', message: 't' } }),
        // --deep (issue 10): every field of the deep facts, with and without a certificate per signature.
        addressFacts({ ip: '192.0.2.12', deep: weakDeep() }),
        addressFacts({ ip: '192.0.2.13', deep: partialDeep() }),
      ], { skipped: [{ ip: '10.0.0.1', family: 4, reason: 'special-purpose', range: 'private-use', block: '10.0.0.0/8' }], tlsa, rollover: { safe: true, pattern: 'two-keys', message: 'm' } }),
      mxHost('192.0.2.1', 20, [], { unusable: { kind: 'ip-literal', detail: 'an IP address' } }),
    ],
    mxLimit: { found: 12, probed: 10 },
    dns: [{ name: 'example.com', type: 'MX', rcode: 'TIMEOUT', authenticated: false, cnames: [], answers: [], server: null, ms: 1, error: 'no answer', dnssec: 'indeterminate' }],
    mtaSts: {
      txt: ['v=STSv1; id=1'], record: 'v=STSv1; id=1', id: '1',
      fetch: { url: 'https://mta-sts.example.com/.well-known/mta-sts.txt', status: 200, contentType: 'text/plain', location: null, bytes: 60, body: 'version: STSv1\n', ms: 3, failure: { kind: 'status', message: 'm' } },
      policy: { version: 'STSv1', mode: 'enforce', mx: ['mx.example.com'], maxAge: 1 }, error: null,
    },
    tlsRpt: { txt: ['v=TLSRPTv1; rua=mailto:a@example.com'], record: 'v=TLSRPTv1; rua=mailto:a@example.com', rua: ['mailto:a@example.com'], error: null },
  });
  const judged = withInputWarning(judgeDomain(facts, { required: ['tls-required'], warnDays: 30, graded: true }, NOW), 3, 'x');
  const result = {
    ...judged,
    dnssec: { validating: true, mx: 'secure' as const },
    mx: judged.mx.map((h) => ({ ...h, rollover: { safe: false, pattern: null, message: 'm' }, addresses: h.addresses.map((a) => ({ ...a, dane: { status: 'valid' as const, matched: { ...tlsa.records[0]!, chainIndex: 0, bareKey: false }, message: 'm' } satisfies DaneOutcome })) })),
    source: { line: 3, columns: { partner: 'x' } },
  };
  const json = JSON.parse(JSON.stringify({ schemaVersion: SCHEMA_VERSION, domains: [result] }));
  const documented = section('JSON format');
  assert.match(documented, new RegExp(`"schemaVersion": ${SCHEMA_VERSION},`));
  const missing = [...keys(json)].filter((k) => !documented.includes(`"${k}"`) && !documented.includes(`\`${k}\``));
  assert.deepEqual(missing, [], `README "JSON format" does not name: ${missing.join(', ')}`);
});
