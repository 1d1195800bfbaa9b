/**
 * The HTML report's one stylesheet, inlined and allowed by its sha256 in the page's CSP: system
 * fonts only (nothing loaded), the summary shown above the table (CSS order) though written
 * after the rows, the "interrupted" notice hidden once the footer is there (`:has`, no script
 * needed), and a print stylesheet (no controls; the summary and a plain table of the rows).
 */

/**
 * The stylesheet's text.
 *
 * @example HTML_REPORT_STYLE.includes('@media print') // true
 */
export const HTML_REPORT_STYLE = `
:root { color-scheme: light; --fg: #1d2430; --muted: #5b6573; --line: #d9dee5; --bg-alt: #f5f7fa; --accent: #4a6fa5; }
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem 1.5rem; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); display: flex; flex-direction: column; gap: 1rem; }
#top { order: -3; }
#summary { order: -2; }
#audit-complete { order: -1; color: var(--muted); }
#audit-complete.stopped { color: #7a2e00; font-weight: 600; }
#app { order: 0; }
h1 { font-size: 1.4rem; margin: 0; }
h2 { font-size: 1.15rem; margin: .2rem 0 .6rem; }
h3 { font-size: 1rem; margin: .8rem 0 .3rem; }
.interrupted { background: #fff3e0; border: 1px solid #e65100; color: #7a2e00; padding: .5rem .8rem; border-radius: 4px; }
body:has(#audit-complete) .interrupted { display: none; }
.cards { display: flex; flex-wrap: wrap; gap: .6rem; margin: 0 0 .8rem; padding: 0; list-style: none; }
.cards li { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .8rem; min-width: 7rem; }
.cards .n { display: block; font-size: 1.4rem; font-weight: 600; }
.cards .fail .n { color: #b71c1c; } .cards .pass .n { color: #2e7d32; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem 2rem; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: .2rem; }
.chart { max-width: 100%; height: auto; font-size: 12px; }
.chart text { fill: var(--fg); }
.controls { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: .5rem; }
.controls input[type=search] { min-width: 18rem; padding: .3rem .5rem; }
#shown { color: var(--muted); }
#table { border: 1px solid var(--line); border-radius: 4px; }
.tr { display: grid; align-items: center; height: 28px; border-bottom: 1px solid var(--line); cursor: pointer; }
.tr:nth-child(even) { background: var(--bg-alt); }
.tr.selected, .tr:focus { outline: 2px solid var(--accent); outline-offset: -2px; }
.th { font-weight: 600; background: #e9edf2; cursor: default; }
.th .td { cursor: pointer; user-select: none; }
.th .td[aria-sort=ascending]::after { content: " ▲"; } .th .td[aria-sort=descending]::after { content: " ▼"; }
.td { padding: 0 .5rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.viewport { max-height: 60vh; overflow-y: auto; position: relative; }
#spacer { position: relative; }
#rows { position: absolute; top: 0; left: 0; right: 0; will-change: transform; }
.level-verify, .pass-pass { color: #2e7d32; } .level-encrypt { color: #8a5a00; } .level-none, .pass-fail { color: #b71c1c; } .level-unknown, .pass-undetermined { color: var(--muted); }
#detail { border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin-top: .8rem; position: relative; }
#detail .close { position: absolute; top: .6rem; right: .8rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
.chain { margin: .2rem 0 .4rem; } .muted { color: var(--muted); } .fp { font-family: ui-monospace, monospace; font-size: 11px; overflow-wrap: anywhere; }
.failure { color: #b71c1c; }
.problems li { margin-bottom: .4rem; } .hint { color: var(--muted); }
.sev-error code { color: #b71c1c; } .sev-warning code { color: #8a5a00; }
#print-table { display: none; border-collapse: collapse; font-size: 10px; }
#print-table th, #print-table td { border: 1px solid #999; padding: 2px 4px; text-align: left; }
[hidden] { display: none !important; }
@media print {
  body { display: block; padding: 0; font-size: 11px; }
  .controls, #table, #detail, noscript { display: none !important; }
  #print-table { display: table; width: 100%; }
  #print-table tr { break-inside: avoid; }
  figure { break-inside: avoid; }
  .cards li { border-color: #999; }
}
`;
