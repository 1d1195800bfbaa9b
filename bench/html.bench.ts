// HTML report benchmark (`npm run bench:html`): the renderer's CPU and output per row, and, when
// chromium is installed, how long a browser takes to read the page and answer the table.
//
// Node side: N generated results (test/helpers/html-reports.ts manyResults: a mix of verify,
// expired certificates, plaintext, DNS failures, each with two carried columns) rendered row by
// row as the CLI's writer does; CPU time from process.cpuUsage (user + system), bytes of the rows,
// and the heap before and after, each after a GC (the renderer keeps nothing between rows).
// Browser side (BENCH_BROWSER=0 skips it): the page of N rows opened from a file:// URL in
// headless chromium (playwright-core); from navigation to the script having parsed every row
// (the page's own performance.now()), then a free-text filter and a sort, each timed in the page.
// Wall times: expect noise on a shared machine; repeat with BENCH_RUNS.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { intEnv } from './harness.ts';
import { htmlReport, manyResults } from '../test/helpers/html-reports.ts';
import { htmlRenderer } from '../src/render/html-report.ts';

const N = intEnv('BENCH_ROWS', 20_000, 1);
const RUNS = intEnv('BENCH_RUNS', 3, 1);
const CHROMIUM = process.env.MXPROBE_CHROMIUM ?? '/usr/bin/chromium';

const results = manyResults(N);
const renderer = htmlRenderer({ layout: 'rows', colorLevel: 0, transcript: false, extraColumns: [] });
for (let run = 0; run < RUNS; run++) {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpu = process.cpuUsage();
  let bytes = 0;
  for (let i = 0; i < results.length; i++) bytes += Buffer.byteLength(renderer.row(results[i]!, i));
  const used = process.cpuUsage(cpu);
  globalThis.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(
    `render ${N} rows: CPU ${((used.user + used.system) / 1000).toFixed(0)} ms (${((used.user + used.system) / N).toFixed(1)} µs a row), ` +
      `${(bytes / 1e6).toFixed(1)} MB (${(bytes / N).toFixed(0)} B a row), heap ${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB kept (after a GC)`,
  );
}

if (process.env.BENCH_BROWSER !== '0' && existsSync(CHROMIUM)) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-html-bench-'));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const file = path.join(dir, 'audit.html');
    writeFileSync(file, htmlReport(results));
    for (let run = 0; run < RUNS; run++) {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('#app[data-ready]', { state: 'attached' });
      const ready = await page.evaluate(() => performance.now());
      const filter = await page.evaluate(() => {
        const q = document.getElementById('q') as HTMLInputElement;
        const t = performance.now();
        q.value = 'partner 1234';
        q.dispatchEvent(new Event('input'));
        return performance.now() - t;
      });
      const sort = await page.evaluate(() => {
        (document.getElementById('q') as HTMLInputElement).value = '';
        document.getElementById('q')?.dispatchEvent(new Event('input'));
        const t = performance.now();
        (document.querySelector('#thead [data-key="domain"]') as HTMLElement).click();
        return performance.now() - t;
      });
      const rowsInDom = await page.locator('#rows .tr').count();
      console.log(`browser, ${N} rows: ready ${ready.toFixed(0)} ms after navigation; filter ${filter.toFixed(0)} ms; sort all ${sort.toFixed(0)} ms; ${rowsInDom} row elements in the DOM`);
      await page.close();
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  console.log(`browser part skipped (${existsSync(CHROMIUM) ? 'BENCH_BROWSER=0' : `no ${CHROMIUM}`})`);
}
