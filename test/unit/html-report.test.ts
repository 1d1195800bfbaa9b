// The HTML report's renderer on fixed facts (render/html-report.ts): golden rows and footer (no
// clock but the totals' fixed start), hostile server, certificate and input strings never raw
// in the page, the CSP hashes those of the inline texts, a page without its footer, the size of
// a row, and the TLS versions the summary counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { golden } from '../helpers/golden.ts';
import { everyKindOfResult, goodResult, mixedResult } from '../helpers/batch.ts';
import { HOSTILE, hostileResult, htmlReport, plaintextResult, REPORT_TIME, secondCertificateResult } from '../helpers/html-reports.ts';
import { htmlFooter, htmlRowElement } from '../../src/render/html-report.ts';
import { htmlRow } from '../../src/render/html-row.ts';
import { SummaryAccumulator } from '../../src/judge/batch-summary.ts';
import { HTML_REPORT_SCRIPT } from '../../src/render/html-report-script.ts';
import { HTML_REPORT_STYLE } from '../../src/render/html-report-style.ts';
import type { DomainResult } from '../../src/model/domain.ts';

const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

function results(): DomainResult[] {
  return [...everyKindOfResult(), hostileResult(), secondCertificateResult(), plaintextResult()];
}

/** The JSON rows of a page, parsed as the page's script parses them. */
function rowsOf(page: string): any[] {
  return [...page.matchAll(/<script type="application\/json" class="r">([\s\S]*?)<\/script>/g)].map((m) => JSON.parse(m[1] as string));
}

test('golden: the rows of every kind of result, and the footer with its summary and charts', () => {
  const all = results();
  golden('html-rows.html', all.map((r) => htmlRowElement(r)).join(''));
  const acc = new SummaryAccumulator();
  for (const r of all) acc.add(r);
  golden('html-footer.html', htmlFooter({ rows: all.length, fail: 6, undetermined: 1, ...REPORT_TIME, summary: acc.summary() }));
});

test('a row carries what the table and an opened row show, and neither PEMs nor transcripts', () => {
  const row = htmlRow(mixedResult({ partner: 'Acme' }));
  assert.equal(row.domain, 'partner.example');
  assert.equal(row.input, 'ops@partner.example');
  assert.deepEqual(row.columns, { partner: 'Acme' });
  assert.equal(row.line, 3);
  assert.equal(row.satisfied, 'a');
  assert.deepEqual(
    row.mx.map((h) => [h.host, h.addresses.map((a) => [a.ip, a.tls, a.chain.length, a.trusted ?? null])]),
    [
      ['mx2.partner.example', [['2001:db8::25', null, 0, null]]],
      ['mx1.partner.example', [['198.51.100.7', 'TLSv1.2', 2, false], ['198.51.100.8', 'TLSv1.3', 2, true]]],
    ],
  );
  const expired = row.problems.find((p) => p[0] === 'CERT_EXPIRED');
  assert.deepEqual(expired?.slice(1, 2), ['error']);
  assert.equal(expired?.[3], 'mx1.partner.example [198.51.100.7]');
  assert.equal(expired?.length, 4, "the catalogue's hint is not repeated in the row");
  const text = htmlRowElement(mixedResult());
  assert.doesNotMatch(text, /BEGIN CERTIFICATE|"transcript"|"pem"/);
  // The bidi override and ESC of the banner never reach the page raw (the failure message quotes no banner here, the problems do).
  assert.doesNotMatch(text, /[\u001b\u202e]/);
});

test('a typical row stays small: well under 2 KB', () => {
  for (const result of [goodResult({ partner: 'Partner 1', ticket: 'T-1' }), mixedResult({ partner: 'Acme' })]) {
    const bytes = Buffer.byteLength(htmlRowElement(result));
    assert.ok(bytes < 2048, `${result.domain}: ${bytes} bytes`);
  }
});

test('hostile banner, CN, SAN and input column: never raw markup in the page, and kept as text in the data', () => {
  const page = htmlReport(results());
  for (const [name, value] of Object.entries(HOSTILE)) {
    assert.ok(!page.includes(value), `${name} appears raw`);
  }
  // Outside the data elements (whose text is JSON with < > & as \u escapes), no markup but ours.
  const markup = page.replace(/(<script type="application\/json"[^>]*>)[\s\S]*?(<\/script>)/g, '$1$2');
  assert.doesNotMatch(markup, /alert\(|onerror|onmouseover|javascript:/);
  assert.equal((page.match(/<script/g) ?? []).length, 1 + results().length + 1, 'our script, a data element per row, the hints');
  for (const m of page.matchAll(/<script type="application\/json"[^>]*>([\s\S]*?)<\/script>/g)) assert.doesNotMatch(m[1] as string, /[<>&\u2028\u2029]/);
  // The data keeps the strings as text (sanitised: the bidi override shown escaped), for textContent.
  const hostile = rowsOf(page).find((r) => r.domain === 'hostile.example');
  assert.equal(hostile.columns.partner, `${HOSTILE.script}${HOSTILE.link}`);
  assert.equal(hostile.columns.ticket, `${HOSTILE.quote}evil\\u202etxt.exe`);
  const leaf = hostile.mx[0].addresses[0].chain[0];
  assert.equal(leaf.subject, `CN=${HOSTILE.closeScript}`);
  assert.equal(leaf.issuer, `CN=${HOSTILE.quote}evil\\u202etxt.exe`);
  // The one script compiles (not run here: the browser test runs it) and never writes data as HTML.
  assert.doesNotThrow(() => new Function(HTML_REPORT_SCRIPT));
  assert.doesNotMatch(HTML_REPORT_SCRIPT, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|fetch\(|XMLHttpRequest/);
});

test('the CSP hashes are those of the inline style and script exactly as the page holds them; nothing external', () => {
  const page = htmlReport(results());
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page)?.[1] ?? '';
  const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1];
  const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1];
  assert.equal(style, HTML_REPORT_STYLE);
  assert.equal(script, HTML_REPORT_SCRIPT);
  assert.equal(csp, `default-src 'none'; style-src ${sha(style as string)}; script-src ${sha(script as string)}; img-src data:; base-uri 'none'; form-action 'none'`);
  // Outside the data elements (JSON: text, never loaded), nothing that loads or styles inline.
  const markup = page.replace(/(<script type="application\/json"[^>]*>)[\s\S]*?(<\/script>)/g, '$1$2');
  assert.doesNotMatch(markup, /\b(?:src|href)=|https?:\/\/(?!www\.w3\.org\/2000\/svg)|@import|url\(|style="/);
});

test('a page without its footer (a killed run) says it was interrupted, and still holds its rows', () => {
  const whole = htmlReport(results());
  const cut = htmlReport(results(), { interrupted: true });
  assert.ok(whole.includes('<p id="audit-complete" data-rows="12">Audit complete: 12 domains, started 2026-06-01T12:00:00.000Z, took 61.5 s.</p>'));
  assert.ok(!cut.includes('id="audit-complete"'));
  assert.match(cut, /<p class="interrupted" id="interrupted" role="alert">This audit was interrupted/);
  assert.match(HTML_REPORT_STYLE, /body:has\(#audit-complete\) \.interrupted \{ display: none; \}/);
  assert.equal(rowsOf(cut).length, 12);
  assert.ok(whole.startsWith(cut), 'rows are written before the footer, as they finish');
});

test('the footer shows the counts of its summary; without one (renderAll), the totals', () => {
  const acc = new SummaryAccumulator();
  for (const r of results()) acc.add(r);
  const s = acc.summary();
  const footer = htmlFooter({ rows: 12, fail: s.fail, undetermined: s.undetermined, ...REPORT_TIME, summary: s });
  const card = (key: string) => Number(new RegExp(`data-key="${key}"><span class="n">(\\d+)</span>`).exec(footer)?.[1]);
  assert.deepEqual([card('total'), card('pass'), card('fail'), card('undetermined'), card('noMail'), card('invalid')], [12, 5, 6, 1, 3, 1]);
  assert.match(footer, /Renewal calendar/);
  assert.match(footer, /TLS versions/);
  const stopped = htmlFooter({ rows: 12, fail: s.fail, undetermined: s.undetermined, ...REPORT_TIME, summary: s, stopped: { unfinished: 4 } });
  assert.match(stopped, /<p id="audit-complete" class="stopped" data-rows="12">Audit stopped by a signal: 12 domains written, 4 unfinished \(not in this report\); started 2026-06-01T12:00:00\.000Z, took 61\.5 s\.<\/p>/);
  const bare = htmlFooter({ rows: 3, fail: 1, undetermined: 1, ...REPORT_TIME });
  assert.match(bare, /data-key="pass"><span class="n">1<\/span>/);
  assert.doesNotMatch(bare, /<svg/);
});

test('the summary counts the TLS version of each reached address: newest first, only those seen, no TLS apart', () => {
  const acc = new SummaryAccumulator();
  for (const r of [...everyKindOfResult(), plaintextResult()]) acc.add(r);
  assert.deepEqual(acc.summary().tlsVersions, [
    { version: 'TLSv1.3', count: 3 },
    { version: 'TLSv1.2', count: 1 },
    { version: 'no TLS', count: 3 },
  ]);
  const odd = goodResult();
  const address = odd.mx[0]?.addresses[0];
  assert.ok(address?.tls);
  address.tls = { ...address.tls, protocol: 'TLSv9' };
  const one = new SummaryAccumulator();
  one.add(odd);
  assert.deepEqual(one.summary().tlsVersions, [{ version: 'other', count: 1 }]);
});
