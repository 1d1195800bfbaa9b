import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeDomain } from '../../src/input/normalize-domain.ts';

const OK: Array<[string, string]> = [
  ['example.com', 'example.com'],
  ['  Example.COM.  ', 'example.com'],
  ['user@Example.com', 'example.com'],
  ['"odd@local"@example.com', 'example.com'],
  ['bücher.example', 'xn--bcher-kva.example'],
  ['ÜBER.example', 'xn--ber-goa.example'],
  ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ['a-b.c-d.example', 'a-b.c-d.example'],
];
for (const [input, expected] of OK) {
  test(`${JSON.stringify(input)} → ${expected}`, () => {
    assert.deepEqual(normalizeDomain(input), { ok: true, domain: expected });
  });
}

const BAD: Array<[string, RegExp]> = [
  ['', /empty/],
  ['   ', /empty/],
  ['user@', /empty/],
  ['bad..name', /bad label/],
  ['-lead.example', /bad label/],
  ['trail-.example', /bad label/],
  ['under_score.example', /bad label/],
  ['sp ace.example', /bad label|not a valid/],
  [`${'a'.repeat(64)}.example`, /bad label/],
  [`${'a.'.repeat(130)}example`, /longer than 253/],
  ['192.0.2.1', /IP address/],
  ['[192.0.2.1]', /IP address/],
  ['example.123', /numeric top-level/],
  ['exa\u0000mple.com', /not a valid/],
];
for (const [input, pattern] of BAD) {
  test(`rejects ${JSON.stringify(input)}`, () => {
    const result = normalizeDomain(input);
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.match(result.error, pattern);
      assert.doesNotMatch(result.error, /\n/);
    }
  });
}
