// The HTML page shell (render/html-page.ts): a strict CSP whose hashes are those of the inline
// style and script as written, the title escaped, nothing external.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { contentSecurityPolicy, cspHash, HTML_PAGE_END, htmlPage, htmlPageStart } from '../../src/render/html-page.ts';

const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The CSP of a page, the text of its one <style> and its one <script> (if any). */
function parse(page: string): { csp: string; style: string; script: string | undefined } {
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page)?.[1];
  const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1];
  assert.ok(csp !== undefined && style !== undefined, 'the page has a CSP meta tag and a style');
  return { csp, style, script: /<script>([\s\S]*?)<\/script>/.exec(page)?.[1] };
}

test('the CSP allows exactly the inline style and script, by their sha256, and nothing else', () => {
  const style = 'body { color: #222 }\n/* ü */';
  const script = 'document.title = "x";';
  const page = htmlPage({ title: 't', style, script, body: '<p>hi</p>' });
  const parsed = parse(page);
  assert.equal(parsed.style, style);
  assert.equal(parsed.script, script);
  assert.equal(parsed.csp, `default-src 'none'; style-src ${sha(style)}; script-src ${sha(script)}; img-src data:; base-uri 'none'; form-action 'none'`);
  assert.doesNotMatch(page, /unsafe-inline|https?:|src=/);
  assert.ok(page.startsWith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy"'), 'charset, then the CSP before any content');
  assert.ok(page.endsWith(`<p>hi</p>\n${HTML_PAGE_END}`));
});

test('a static page (no script) allows no script at all', () => {
  const page = htmlPage({ title: 't', style: '', body: '' });
  assert.match(parse(page).csp, /script-src 'none'/);
  assert.doesNotMatch(page, /<script/);
  assert.equal(contentSecurityPolicy('a'), `default-src 'none'; style-src ${sha('a')}; script-src 'none'; img-src data:; base-uri 'none'; form-action 'none'`);
  assert.equal(cspHash(''), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
});

test('the title is escaped; a style or script holding its own closing tag is refused', () => {
  const start = htmlPageStart({ title: '</title><script>alert(1)</script>\u202e', style: '' });
  assert.match(start, /<title>&lt;\/title&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;\\u202e<\/title>/);
  assert.throws(() => htmlPageStart({ title: 't', style: 'a{}</STYLE><script>' }), /inline style text holds <\/style/);
  assert.throws(() => htmlPageStart({ title: 't', style: '', script: 'x="</script>"' }), /inline script text holds <\/script/);
});
