// The HTML report in a real browser: Debian's chromium, headless, driven by playwright-core,
// opening the files through file:// URLs. A batch through the real CLI (fake DNS and fake SMTP
// servers on loopback, one with a hostile banner, a hostile input column) and pages built by
// the renderer (a hostile certificate, 20,000 rows, a run killed before its footer). Checked:
// no console error, no CSP violation, no request but the file, no dialog; the counts shown
// equal the JSON's; sorting, filtering and opening a row; virtual scrolling; the interrupted
// notice; print. A screenshot goes to the test's temp dir (UPDATE_SCREENSHOT=1: to
// docs/audit-report.png, which the README shows). Skipped without chromium, except in CI.
// Nothing here is bounded by the clock: waits are for states, with the runner's own timeout.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { startFakeDns, type FakeDnsServer, type FakeZone } from '../helpers/fake-dns.ts';
import { startSmtpFleet, type SmtpFleet } from '../helpers/smtp-fleet.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { PATIENT, ROOT, runCli } from '../helpers/run-cli.ts';
import { HOSTILE, hostileResult, htmlReport, manyResults } from '../helpers/html-reports.ts';
import { htmlRow } from '../../src/render/html-row.ts';
import { htmlRowElement } from '../../src/render/html-report.ts';
import { PROBLEMS } from '../../src/judge/problem-catalogue.ts';
import type { DomainResult } from '../../src/model/domain.ts';

const CHROMIUM = process.env.MXPROBE_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SCREENSHOT = path.join(ROOT, 'docs', 'audit-report.png');
const MANY = 20_000;

test('chromium for the browser test', () => {
  if (HAVE_CHROMIUM) return;
  if (process.env.CI === 'true') assert.fail(`${CHROMIUM} is missing in CI (.ci/run installs Debian's chromium)`);
});

/** What a page did that it must not: console errors, CSP violations, script errors, dialogs, requests for anything but its file. */
interface Trouble {
  console: string[];
  errors: string[];
  dialogs: string[];
  requests: string[];
}

describe('the HTML report in a real browser', { skip: HAVE_CHROMIUM ? false : `needs ${CHROMIUM} (apt-get install chromium); skipped` }, () => {
  let dir: string;
  let context: BrowserContext;
  let pki: TestPki;
  let fleets: SmtpFleet[] = [];
  let dns: FakeDnsServer;
  let batchHtml: string;
  let batchJson: any;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-html-browser-'));
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    // Waits are for states; a generous bound only so that a broken page fails instead of hanging (both cores may be busy).
    context.setDefaultTimeout(300_000);
    // The page's own CSP violations, recorded by the browser (an init script is not subject to the page's CSP).
    await context.addInitScript(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });

    // A batch through the real CLI: three fleets on one port (127.0.0.2 valid certificate, .3 one
    // that expires soon, .4 a hostile banner and a certificate for other names).
    pki = await makeTestPki();
    const first = await startSmtpFleet({ count: 1, firstHost: 2, tls: pki.certs.valid });
    fleets = [
      first,
      await startSmtpFleet({ count: 1, firstHost: 3, port: first.port, tls: pki.certs.expiresSoon }),
      await startSmtpFleet({ count: 1, firstHost: 4, port: first.port, tls: pki.certs.wildcard, ehloDomain: `${HOSTILE.script}${HOSTILE.img}` }),
    ];
    const zone: FakeZone = { 'mx.test': { A: ['127.0.0.2'] }, 'mail.test': { A: ['127.0.0.3'] }, 'evil.test': { A: ['127.0.0.4'] } };
    const lines = ['Partner,Domain'];
    for (let i = 0; i < 6; i++) {
      zone[`ok${i}.test`] = { MX: [{ preference: 10, exchange: 'mx.test' }] };
      lines.push(`Partner ${i},ok${i}.test`);
    }
    for (let i = 0; i < 3; i++) {
      zone[`soon${i}.test`] = { MX: [{ preference: 10, exchange: 'mail.test' }] };
      lines.push(`Soon ${i},soon${i}.test`);
    }
    zone['hostile.test'] = { MX: [{ preference: 10, exchange: 'evil.test' }] };
    lines.push(`"${HOSTILE.img.replaceAll('"', '""')}",hostile.test`, 'Gone,nx.test', 'Broken,bad..name');
    dns = await startFakeDns(zone);
    const input = path.join(dir, 'partners.csv');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const common = ['--input', input, '--resolver', dns.address, '--port', String(first.port), '--ca-file', pki.caFile, '--retries', '0', '--allow-special-addresses', ...PATIENT];
    batchHtml = path.join(dir, 'audit.html');
    const [html, json] = await Promise.all([
      runCli([...common, '--format', 'html', '--output', batchHtml]),
      runCli([...common, '--format', 'json', '--output', path.join(dir, 'audit.json')]),
    ]);
    assert.equal(html.code, 1, html.stderr); // nx.test and bad..name fail
    assert.equal(json.code, 1, json.stderr);
    batchJson = JSON.parse(readFileSync(path.join(dir, 'audit.json'), 'utf8'));
  });

  after(async () => {
    await context?.close();
    for (const f of fleets) await f.close();
    await dns?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a file in a new page and waits for its script to have read every row. */
  async function open(file: string): Promise<{ page: Page; trouble: Trouble }> {
    const page = await context.newPage();
    const url = pathToFileURL(file).href;
    const trouble: Trouble = { console: [], errors: [], dialogs: [], requests: [] };
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') trouble.console.push(m.text());
    });
    page.on('pageerror', (e) => trouble.errors.push(e.message));
    page.on('dialog', (d) => {
      trouble.dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('request', (r) => {
      if (r.url() !== url) trouble.requests.push(r.url());
    });
    await page.goto(url);
    await page.waitForSelector('#app[data-ready]', { state: 'attached' });
    return { page, trouble };
  }

  async function assertClean(page: Page, trouble: Trouble): Promise<void> {
    const csp = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
    assert.deepEqual({ ...trouble, csp }, { console: [], errors: [], dialogs: [], requests: [], csp: [] });
    // Nothing hostile became an element.
    assert.equal(await page.locator('img, iframe, object, embed, a[href], [onerror], [onmouseover]').count(), 0);
    assert.equal(await page.locator('script').count(), await page.locator('script.r').count() + 2, 'our script, the hints and the data elements only');
  }

  const shown = (page: Page) => page.locator('#shown').textContent();
  const card = async (page: Page, key: string) => Number(await page.locator(`#summary [data-key="${key}"] .n`).textContent());

  test('a batch from the real CLI: clean, its counts those of the JSON, the hostile partner and banner shown as text', async () => {
    const { page, trouble } = await open(batchHtml);
    const domains: any[] = batchJson.domains;
    assert.equal(domains.length, 12);
    assert.equal(await card(page, 'total'), domains.length);
    assert.equal(await card(page, 'pass'), domains.filter((d) => d.pass === true).length);
    assert.equal(await card(page, 'fail'), domains.filter((d) => d.pass === false).length);
    assert.equal(await card(page, 'undetermined'), domains.filter((d) => d.pass === null).length);
    assert.equal(await shown(page), `${domains.length} of ${domains.length} domains`);
    assert.ok(await page.locator('#interrupted').isHidden(), 'a complete audit is not called interrupted');
    assert.deepEqual(await page.locator('#summary').evaluate((n) => [n.previousElementSibling?.id, n.nextElementSibling?.id]), ['top', 'audit-complete'], 'the summary is moved up, under the title');

    // The hostile partner name: a filter finds it by its carried column, the cell shows it as text.
    await page.fill('#q', 'onerror');
    assert.equal(await shown(page), `1 of ${domains.length} domains`);
    const row = page.locator('#rows .tr').first();
    assert.ok((await row.textContent())?.includes(HOSTILE.img));
    await row.click();
    const detail = page.locator('#detail');
    await detail.waitFor({ state: 'visible' });
    const text = (await detail.textContent()) ?? '';
    assert.ok(text.includes(`banner: 220 ${HOSTILE.script}${HOSTILE.img}`), text.slice(0, 400));
    assert.ok(text.includes('CERT_NAME_MISMATCH'));
    await page.screenshot({ path: path.join(dir, 'batch-open-row.png') });
    await page.fill('#q', '');
    await page.locator('#detail .close').click();

    // Rows without a level say why, as the summary counts them: no mail accepted, or not a domain.
    await page.selectOption('#f-level', 'no mail');
    assert.equal(await shown(page), `${domains.filter((d) => ['nxdomain', 'null-mx', 'no-mail-host'].includes(d.outcome)).length} of ${domains.length} domains`);
    assert.equal(await card(page, 'noMail'), domains.filter((d) => ['nxdomain', 'null-mx', 'no-mail-host'].includes(d.outcome)).length);
    await page.selectOption('#f-level', 'not a domain');
    assert.equal(await shown(page), `${domains.filter((d) => d.outcome === 'invalid-input').length} of ${domains.length} domains`);
    assert.match((await page.locator('#rows .tr').first().textContent()) ?? '', /not a domain/);
    await page.selectOption('#f-level', '');
    await assertClean(page, trouble);

    await page.evaluate(() => window.scrollTo(0, 0));
    const shot = path.join(dir, 'audit-report.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(readFileSync(shot).length > 10_000, 'a screenshot with something on it');
    if (process.env.UPDATE_SCREENSHOT === '1') {
      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      copyFileSync(shot, SCREENSHOT);
    }
    await page.close();
  });

  test('20,000 rows and a hostile certificate: virtual rows, the last reachable, sorting, filters, a row opens', async () => {
    const results = [...manyResults(MANY), hostileResult(MANY + 2)];
    const rows = results.map(htmlRow);
    const file = path.join(dir, 'many.html');
    writeFileSync(file, htmlReport(results));
    const { page, trouble } = await open(file);
    const total = results.length;
    assert.equal(await shown(page), `${total} of ${total} domains`);
    const inDom = await page.locator('#rows .tr').count();
    assert.ok(inDom > 0 && inDom < 200, `${inDom} row elements in the DOM`);

    // The last row (by input line): scroll the table to its end.
    await page.locator('#viewport').evaluate((v) => v.scrollTo(0, v.scrollHeight));
    const last = page.locator(`#rows .tr[data-index="${total - 1}"]`);
    await last.waitFor();
    assert.match((await last.textContent()) ?? '', /^hostile\.example/);
    assert.ok((await page.locator('#rows .tr').count()) < 200);
    await last.click();
    await page.locator('#detail').waitFor({ state: 'visible' });
    const detail = (await page.locator('#detail').textContent()) ?? '';
    assert.ok(detail.includes(`CN=${HOSTILE.closeScript}`), 'the hostile CN, as text');
    assert.ok(detail.includes(PROBLEMS.CERT_NAME_MISMATCH.hint), 'a problem with its hint');

    // Sort by domain: ascending, then descending.
    await page.locator('#thead [data-key="domain"]').click();
    const byName = rows.map((r) => r.domain).sort();
    assert.match((await page.locator('#rows .tr[data-index="0"]').textContent()) ?? '', new RegExp(`^${byName[0]?.replaceAll('.', '\\.')}`));
    await page.locator('#thead [data-key="domain"]').click();
    assert.match((await page.locator('#rows .tr[data-index="0"]').textContent()) ?? '', new RegExp(`^${byName.at(-1)?.replaceAll('.', '\\.')}`));

    // Filters: level, pass, problem code, free text over the carried columns.
    await page.selectOption('#f-level', 'verify');
    assert.equal(await shown(page), `${rows.filter((r) => r.level === 'verify').length} of ${total} domains`);
    await page.selectOption('#f-level', '');
    await page.selectOption('#f-pass', 'null');
    assert.equal(await shown(page), `${rows.filter((r) => r.pass === null).length} of ${total} domains`);
    await page.selectOption('#f-pass', '');
    await page.selectOption('#f-code', 'CERT_EXPIRED');
    assert.equal(await shown(page), `${rows.filter((r) => r.problems.some((p) => p[0] === 'CERT_EXPIRED')).length} of ${total} domains`);
    await page.selectOption('#f-code', '');
    await page.fill('#q', 'partner 1234');
    assert.equal(await shown(page), `11 of ${total} domains`); // Partner 1234 and 12340–12349
    await page.fill('#q', '');
    assert.equal(await shown(page), `${total} of ${total} domains`);
    await assertClean(page, trouble);
    await page.screenshot({ path: path.join(dir, 'many.png') });
    await page.close();
  });

  test('a run killed before its footer (even mid-row): the page says it was interrupted, and lists the rows it has', async () => {
    const results = manyResults(40);
    const cut = htmlReport(results, { interrupted: true });
    const file = path.join(dir, 'killed.html');
    writeFileSync(file, cut.slice(0, cut.length - Math.floor(htmlRowElement(results.at(-1) as DomainResult).length / 2))); // the last row cut short
    const { page, trouble } = await open(file);
    const notice = page.locator('#interrupted');
    assert.ok(await notice.isVisible());
    assert.match((await notice.textContent()) ?? '', /^This audit was interrupted: 39 rows written\. It has no summary/);
    assert.equal(await shown(page), '39 of 39 domains');
    assert.ok((await page.locator('#rows .tr').count()) > 0);
    await assertClean(page, trouble);
    await page.close();
  });

  test('print: no controls, the summary and a plain table of the rows', async () => {
    const file = path.join(dir, 'print.html');
    writeFileSync(file, htmlReport(manyResults(30)));
    const { page, trouble } = await open(file);
    await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    await page.emulateMedia({ media: 'print' });
    assert.ok(await page.locator('#controls').isHidden());
    assert.ok(await page.locator('#viewport').isHidden());
    assert.ok(await page.locator('#summary').isVisible());
    assert.equal(await page.locator('#print-table tbody tr').count(), 30);
    const pdf = await page.pdf({ path: path.join(dir, 'audit.pdf') });
    assert.ok(pdf.length > 10_000);
    await assertClean(page, trouble);
    await page.close();
  });
});
