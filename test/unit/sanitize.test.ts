import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitize } from '../../src/render/sanitize.ts';

test('escape sequences and control characters are shown escaped', () => {
  assert.equal(sanitize('220 \x1b[2J\x1b]0;owned\x07 hi\r\n'), '220 \\x1b[2J\\x1b]0;owned\\x07 hi\\x0d\\x0a');
});

test('C1 controls, DEL and bidi overrides are escaped', () => {
  assert.equal(sanitize('a\x7fb\x9bc\u202ed\u2066e'), 'a\\x7fb\\x9bc\\u202ed\\u2066e');
});

test('printable Unicode is kept', () => {
  assert.equal(sanitize('Grüße 你好 ✓'), 'Grüße 你好 ✓');
});

test('long text is cut', () => {
  assert.equal(sanitize('x'.repeat(20), 5), 'xxxxx…');
});
