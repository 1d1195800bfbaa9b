/**
 * `--format html`: one self-contained audit report a person can open offline or mail around.
 * Streamed like the other formats (render/report-renderer.ts): the header is the page shell
 * (render/html-page.ts: strict CSP, our one stylesheet and one script), an "interrupted"
 * notice and the empty table; each row is one inert JSON element holding the domain's compact
 * projection (render/html-row.ts), written as the domain finishes; the footer is the summary
 * with its inline SVG charts (render/html-charts.ts) and the `#audit-complete` marker. A run
 * killed before its footer leaves a page that still lists its rows and says it was cut short.
 * Pure: the page shows no clock but the totals' start time and duration.
 */
import type { DomainResult } from '../model/domain.js';
import type { BatchSummary } from '../judge/batch-summary.js';
import { PROBLEMS } from '../judge/problem-catalogue.js';
import type { RenderOptions, ReportTotals, StreamedRenderer } from './report-renderer.js';
import { HTML_PAGE_END, htmlPageStart } from './html-page.js';
import { HTML_REPORT_STYLE } from './html-report-style.js';
import { HTML_REPORT_SCRIPT } from './html-report-script.js';
import { htmlRow } from './html-row.js';
import { barChart, timeline, type Bar } from './html-charts.js';
import { htmlText, jsonInHtml } from './sanitize.js';

const LEVEL_COLOURS = { verify: '#2e7d32', encrypt: '#f9a825', none: '#b71c1c', unknown: '#9e9e9e', noMail: '#6d4c41' } as const;
const SEVERITY_COLOURS: Record<string, string> = { error: '#b71c1c', warning: '#f9a825', info: '#4a6fa5' };

/** The catalogue's hints by code: in the page once, not in every row. */
function hintsByCode(): Record<string, string> {
  return Object.fromEntries(Object.entries(PROBLEMS).map(([code, kind]) => [code, kind.hint]));
}

/**
 * The page up to the rows: shell, title, the interrupted notice, the table's skeleton (filled
 * by the script) and the hints.
 *
 * @example htmlHeader().includes('id="interrupted"') // true
 */
export function htmlHeader(): string {
  const level = ['none', 'encrypt', 'verify', 'unknown', 'no mail', 'not a domain'].map((l) => `<option value="${l}">${l}</option>`).join('');
  return [
    htmlPageStart({ title: 'mxprobe audit report', style: HTML_REPORT_STYLE, script: HTML_REPORT_SCRIPT }),
    '<header id="top"><h1>mxprobe audit report</h1>',
    '<p class="interrupted" id="interrupted" role="alert">This audit was interrupted<span id="interrupted-count"></span>. It has no summary; the table lists the rows written before it stopped.</p></header>',
    '<main id="app">',
    '<noscript><p>The table of domains needs JavaScript; the summary above does not.</p></noscript>',
    '<div id="controls" class="controls" hidden>',
    '<input id="q" type="search" placeholder="Filter: domain, partner, problem code…" aria-label="filter">',
    `<select id="f-level" aria-label="level"><option value="">any level</option>${level}</select>`,
    '<select id="f-pass" aria-label="pass"><option value="">pass, fail or undetermined</option><option value="true">pass</option><option value="false">fail</option><option value="null">undetermined</option></select>',
    '<select id="f-code" aria-label="problem"><option value="">any problem</option></select>',
    '<span id="shown"></span></div>',
    '<div id="table" role="table" hidden><div id="thead" class="tr th" role="row"></div>',
    '<div id="viewport" class="viewport"><div id="spacer"><div id="rows" role="rowgroup"></div></div></div></div>',
    '<section id="detail" hidden></section>',
    '<table id="print-table"></table>',
    '</main>',
    `<script type="application/json" id="hints">${jsonInHtml(hintsByCode())}</script>`,
    '',
  ].join('\n');
}

/**
 * One domain: its compact projection as an inert JSON element (never executed, read by the page's script).
 *
 * @example htmlRowElement(result) // '<script type="application/json" class="r">{"domain":"example.com",…}</script>\n'
 */
export function htmlRowElement(result: DomainResult): string {
  return `<script type="application/json" class="r">${jsonInHtml(htmlRow(result))}</script>\n`;
}

function card(key: string, label: string, value: number): string {
  return `<li class="${key}" data-key="${key}"><span class="n">${value}</span>${htmlText(label)}</li>`;
}

function figure(caption: string, svg: string): string {
  return `<figure><figcaption>${htmlText(caption)}</figcaption>${svg}</figure>`;
}

const domains = (n: number) => `${n} domain${n === 1 ? '' : 's'}`;

const day = (iso: string) => (/^\d{4}-\d{2}-\d{2}/.exec(iso)?.[0] ?? iso);

/** The charts of a summary. */
function charts(s: BatchSummary): string[] {
  const judged = s.total - s.invalid;
  const out = [
    figure(
      'Against the requirement',
      barChart('pass, fail, undetermined', [
        { label: 'pass', value: s.pass, colour: LEVEL_COLOURS.verify },
        { label: 'fail', value: s.fail, colour: LEVEL_COLOURS.none },
        { label: 'undetermined', value: s.undetermined, colour: LEVEL_COLOURS.unknown },
      ]),
    ),
    figure(
      'Levels',
      barChart('levels', [
        { label: 'verify', value: s.byLevel.verify, colour: LEVEL_COLOURS.verify },
        { label: 'encrypt', value: s.byLevel.encrypt, colour: LEVEL_COLOURS.encrypt },
        { label: 'none', value: s.byLevel.none, colour: LEVEL_COLOURS.none },
        { label: 'unknown', value: s.byLevel.unknown, colour: LEVEL_COLOURS.unknown },
        { label: 'accepts no mail', value: s.noMail, colour: LEVEL_COLOURS.noMail },
      ]),
    ),
    figure(
      'Sender policies satisfied',
      barChart(
        'sender policies',
        s.satisfied.map((p): Bar => ({ label: `(${p.policy}) ${p.name}`, value: p.count, note: `of ${judged}` })),
        { max: judged },
      ),
    ),
  ];
  if (s.topProblems.length > 0) {
    out.push(figure('Most frequent problems (domains)', barChart('problems', s.topProblems.map((p): Bar => ({ label: p.code, value: p.count, colour: SEVERITY_COLOURS[p.severity] ?? '#4a6fa5' })))));
  }
  if (s.tlsVersions !== undefined && s.tlsVersions.length > 0) {
    out.push(figure('TLS versions (addresses)', barChart('TLS versions', s.tlsVersions.map((v): Bar => ({ label: v.version, value: v.count, colour: /^(TLSv1\.[23])$/.test(v.version) ? '#2e7d32' : '#b71c1c' })))));
  }
  if (s.renewals.length > 0) {
    const marks = s.renewals.map((r) => ({
      label: r.host,
      daysLeft: r.daysLeft,
      weight: r.domains,
      note: `expires ${day(r.notAfter)}, ${r.domains} domain${r.domains === 1 ? '' : 's'}`,
      example: r.domain,
    }));
    out.push(figure('Renewal calendar: certificates by days left', timeline(marks)));
  }
  return out;
}

/**
 * The footer: the summary (cards and charts) and the `#audit-complete` marker with the run's
 * start time and totals; without a summary (a library caller's renderAll), the totals alone.
 *
 * @example htmlFooter({ rows: 2, fail: 1, undetermined: 0, startedAt: new Date(0), durationMs: 1500 }).includes('id="audit-complete"') // true
 */
export function htmlFooter(totals: ReportTotals): string {
  const s = totals.summary;
  const pass = totals.rows - totals.fail - totals.undetermined;
  const cards =
    s === undefined
      ? [card('total', 'domains', totals.rows), card('pass', 'pass', pass), card('fail', 'fail', totals.fail), card('undetermined', 'undetermined', totals.undetermined)]
      : [
          card('total', 'domains', s.total),
          card('pass', 'pass', s.pass),
          card('fail', 'fail', s.fail),
          card('undetermined', 'undetermined', s.undetermined),
          card('noMail', 'accept no mail', s.noMail),
          card('invalid', 'not a domain', s.invalid),
        ];
  const seconds = (totals.durationMs / 1000).toFixed(1);
  return [
    '<section id="summary"><h2>Summary</h2>',
    `<ul class="cards">${cards.join('')}</ul>`,
    ...(s === undefined ? [] : [`<div class="charts">${charts(s).join('\n')}</div>`]),
    '</section>',
    totals.stopped === undefined
      ? `<p id="audit-complete" data-rows="${totals.rows}">Audit complete: ${domains(totals.rows)}, started ${htmlText(totals.startedAt.toISOString())}, took ${seconds} s.</p>`
      : `<p id="audit-complete" class="stopped" data-rows="${totals.rows}">Audit stopped by a signal: ${domains(totals.rows)} written, ${totals.stopped.unfinished} unfinished (not in this report); started ${htmlText(totals.startedAt.toISOString())}, took ${seconds} s.</p>`,
    HTML_PAGE_END,
  ].join('\n');
}

/**
 * The HTML report's renderer.
 *
 * @example const renderer = htmlRenderer({ layout: 'rows', colorLevel: 0, transcript: false, extraColumns: [] });
 */
export function htmlRenderer(_options: RenderOptions): StreamedRenderer {
  return {
    totalsFirst: false,
    header: htmlHeader,
    row: (result) => htmlRowElement(result),
    footer: htmlFooter,
  };
}
