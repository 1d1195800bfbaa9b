/**
 * The box table of `mxprobe headers`, drawn in one pass: linear in the text it holds. It draws
 * what cli-table3 draws for a plain table (same borders, one space of padding, a rule between
 * rows), without cli-table3's cost: cli-table3 0.6.5 truncates every cell's whole text for a
 * debug line on each line it draws, one character at a time, re-measuring the string each time
 * (quadratic in a cell's length), and looks for spanning cells over every earlier row
 * (quadratic in the rows): 500 hops took half a second, 60,000 over 40 seconds. Pure.
 */

/** Box-drawing characters, as cli-table3 draws them. */
const BOX = {
  top: ['┌', '┬', '┐'],
  middle: ['├', '┼', '┤'],
  bottom: ['└', '┴', '┘'],
  line: '─',
  side: '│',
} as const;

/** SGR colour sequences (chalk's): no width. Sanitised text holds no raw ESC, so only ours match. */
const SGR = /\u001b\[[0-9;]*m/g;

/** Combining marks and zero-width characters: no width of their own. */
function zeroWidth(c: number): boolean {
  return (
    (c >= 0x0300 && c <= 0x036f) ||
    (c >= 0x1ab0 && c <= 0x1aff) ||
    (c >= 0x1dc0 && c <= 0x1dff) ||
    (c >= 0x20d0 && c <= 0x20ff) ||
    (c >= 0xfe00 && c <= 0xfe0f) ||
    (c >= 0xfe20 && c <= 0xfe2f) ||
    (c >= 0x200b && c <= 0x200d) ||
    c === 0x2060
  );
}

/** East Asian wide and fullwidth characters, and emoji: two columns (Unicode UAX #11). */
function wide(c: number): boolean {
  return (
    (c >= 0x1100 && c <= 0x115f) ||
    c === 0x2329 ||
    c === 0x232a ||
    (c >= 0x2e80 && c <= 0x303e) ||
    (c >= 0x3041 && c <= 0x33ff) ||
    (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0xa000 && c <= 0xa4cf) ||
    (c >= 0xa960 && c <= 0xa97f) ||
    (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe10 && c <= 0xfe19) ||
    (c >= 0xfe30 && c <= 0xfe6f) ||
    (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x1f300 && c <= 0x1f64f) ||
    (c >= 0x1f900 && c <= 0x1f9ff) ||
    (c >= 0x20000 && c <= 0x3fffd)
  );
}

/**
 * Columns a line takes on a terminal: colour sequences none, wide characters two.
 *
 * @example displayWidth('\u001b[1mTLS\u001b[22m →') // 5
 */
export function displayWidth(line: string): number {
  const text = line.includes('\u001b') ? line.replace(SGR, '') : line;
  let width = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i += 1;
      }
    }
    if (c < 32 || (c >= 0x7f && c < 0xa0) || zeroWidth(c)) continue;
    width += wide(c) ? 2 : 1;
  }
  return width;
}

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
