/**
 * `mxprobe diff` as one static HTML page (render/html-page.ts: a strict CSP, no script, nothing
 * loaded): the counts, then a table per group (regressions first), a row per change. Every
 * string from a server, a certificate or the input goes through htmlText. Pure.
 */
import type { AuditDiff, DiffGroup } from '../judge/audit-diff.js';
import type { DiffAbout } from './diff-json.js';
import { changeSubject, changeText, DIFF_GROUP_HEADINGS } from './diff-words.js';
import { diffCountsLine } from './diff-text.js';
import { htmlPage } from './html-page.js';
import { htmlText } from './sanitize.js';

const GROUPS: DiffGroup[] = ['regression', 'worse', 'changed', 'better'];

const STYLE = [
  'body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}',
  'h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}',
  'table{border-collapse:collapse;width:100%}td{border-top:1px solid #ddd;padding:.3em .6em;vertical-align:top}',
  'td.row{white-space:nowrap;font-weight:600}',
  '.regression h2{color:#b00}.worse h2{color:#a60}.better h2{color:#070}',
  '.meta{color:#555}',
  '@media print{body{margin:0}}',
].join('\n');

/**
 * @example renderDiffHtml(diff, { old: ['jan.ndjson'], new: ['feb.ndjson'], key: 'domain', warnDays: 30 }).startsWith('<!DOCTYPE html>') // true
 */
export function renderDiffHtml(diff: AuditDiff, about: DiffAbout): string {
  const files = (list: string[]) => list.map((f) => htmlText(f, 200)).join(', ');
  const key = about.key === 'domain' ? 'domain' : `input column ${htmlText(about.key.column, 100)}`;
  const body: string[] = [
    '<h1>mxprobe diff</h1>',
    `<p class="meta">OLD: ${files(about.old)} · NEW: ${files(about.new)} · matched by ${key} · certificates inside ${about.warnDays} days</p>`,
    `<p><strong>${htmlText(diffCountsLine(diff))}</strong></p>`,
  ];
  for (const group of GROUPS) {
    const changes = diff.changes.filter((c) => c.group === group);
    if (changes.length === 0) continue;
    body.push(`<section class="${group}">`, `<h2>${htmlText(DIFF_GROUP_HEADINGS[group])} (${changes.length})</h2>`, '<table>');
    for (const c of changes) body.push(`<tr><td class="row">${htmlText(changeSubject(c), 200)}</td><td>${htmlText(changeText(c), 400)}</td></tr>`);
    body.push('</table>', '</section>');
  }
  return htmlPage({ title: 'mxprobe diff', style: STYLE, body: body.join('\n') });
}
