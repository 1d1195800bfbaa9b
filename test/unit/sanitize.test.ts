import { test } from 'node:test';
import assert from 'node:assert/strict';
import { htmlText, jsonInHtml, quote, sanitize } from '../../src/render/sanitize.ts';

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

test('quote: a value shown to a person, sanitised, between double quotes', () => {
  assert.equal(quote('bad..name'), '"bad..name"');
  assert.equal(quote('a\x1b[2J\x07\u0085\u009b\x7f\u202e\u2066\r\nb'), '"a\\x1b[2J\\x07\\x85\\x9b\\x7f\\u202e\\u2066\\x0d\\x0ab"');
});

test('quote: a long value is cut to about maxLength characters as shown, escapes never cut in half', () => {
  const shown = quote('\u009b'.repeat(5000), 40);
  assert.ok(shown.length <= 40 + 3, `${shown.length} characters`);
  assert.match(shown, /^"(\\x9b)+…"$/);
  assert.equal(quote('x'.repeat(5000), 10), `"${'x'.repeat(10)}…"`);
  assert.equal(quote('x'.repeat(10), 10), `"${'x'.repeat(10)}"`);
});

test('quote replaces JSON.stringify in messages: no C1, DEL or bidi character left raw', () => {
  assert.match(JSON.stringify('\u0085\u202e\x7f'), /[\u0085\u202e\x7f]/); // why: JSON.stringify keeps them
  assert.doesNotMatch(quote('\u0085\u202e\x7f'), /[\u0085\u202e\x7f]/);
});

test('htmlText: markup, quotes and ampersands become character references after sanitize()', () => {
  const hostile = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '" onmouseover="alert(1)', "' autofocus onfocus='x", '<a href="javascript:alert(1)">', '&lt;already&gt;'];
  for (const text of hostile) {
    const shown = htmlText(text);
    assert.doesNotMatch(shown, /[<>"']/, shown);
    assert.equal(shown.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&'), text);
  }
  assert.equal(htmlText('a\u202eb\x1b<'), 'a\\u202eb\\x1b&lt;');
  assert.equal(htmlText('x'.repeat(20), 5), 'xxxxx…');
});

test('jsonInHtml: no string can close the script element or open a comment, and the data is unchanged', () => {
  const value = { banner: '</script><script>alert(1)</script>', cn: '<!-- x -->', amp: 'a&b', seps: 'l\u2028p\u2029', nested: ['</SCRIPT >'] };
  const text = jsonInHtml(value);
  assert.doesNotMatch(text, /[<>&\u2028\u2029]/);
  assert.deepEqual(JSON.parse(text), value);
});
