/**
 * The box table of `mxprobe headers`, drawn in one pass: linear in the text it holds. It draws
 * what cli-table3 draws for a plain table (same borders, one space of padding, a rule between
 * rows), without cli-table3's cost: cli-table3 0.6.5 truncates every cell's whole text for a
 * debug line on each line it draws, one character at a time, re-measuring the string each time
 * (quadratic in a cell's length), and looks for spanning cells over every earlier row
 * (quadratic in the rows): 500 hops took half a second, 60,000 over 40 seconds. Pure.
 */

import { displayWidth } from './text-width.js';

/** Box-drawing characters, as cli-table3 draws them. */
const BOX = {
  top: ['┌', '┬', '┐'],
  middle: ['├', '┼', '┤'],
  bottom: ['└', '┴', '┘'],
  line: '─',
  side: '│',
} as const;

/**
 * A table with a head row: each cell may hold several lines; columns are as wide as their widest
 * line plus one space either side; a rule separates every row.
 *
 * @example boxTable(['#', 'Host'], [['1', 'mx.example\nby b.example']])
 */
export function boxTable(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = [head, ...rows].map((row) => row.map((cell) => cell.split('\n').map((line) => ({ line, width: displayWidth(line) }))));
  const widths = head.map(() => 2);
  for (const row of all) {
    row.forEach((cell, col) => {
      for (const l of cell) widths[col] = Math.max(widths[col] ?? 2, l.width + 2);
    });
  }
  const rule = ([left, mid, right]: readonly [string, string, string]) => `${left}${widths.map((w) => BOX.line.repeat(w)).join(mid)}${right}`;
  const out: string[] = [rule(BOX.top)];
  all.forEach((row, r) => {
    if (r > 0) out.push(rule(BOX.middle));
    const height = row.reduce((h, cell) => Math.max(h, cell.length), 1);
    for (let k = 0; k < height; k++) {
      const cells = widths.map((w, col) => {
        const l = row[col]?.[k] ?? { line: '', width: 0 };
        return ` ${l.line}${' '.repeat(Math.max(0, w - 1 - l.width))}`;
      });
      out.push(`${BOX.side}${cells.join(BOX.side)}${BOX.side}`);
    }
  });
  out.push(rule(BOX.bottom));
  return out.join('\n');
}
