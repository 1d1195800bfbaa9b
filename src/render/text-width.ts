/**
 * How many terminal columns a line of sanitised text takes, and how to make it fit: for the
 * spinner (a frame wider than the terminal wraps, and the spinner then erases a line that is
 * not its own), the text report's choice of layout and the headers box table. One width
 * table for all of them.
 */

/** Colour and style sequences (SGR) that chalk writes: they take no column. */
const SGR = /\u001b\[[0-9;]*m/g;

/** @example stripSgr('\u001b[31mred\u001b[39m') // 'red' */
export function stripSgr(text: string): string {
  return text.replace(SGR, '');
}

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
 * Columns of one code point on a terminal (UAX #11, as cli-table3's string-width counts):
 * none for controls, combining marks and zero-width characters, two for wide and fullwidth
 * characters and emoji, else one. Text is sanitised first, so controls do not occur.
 */
function columnsOf(code: number): number {
  if (code < 32 || (code >= 0x7f && code < 0xa0) || zeroWidth(code)) return 0;
  return wide(code) ? 2 : 1;
}

/** @example displayWidth('\u001b[1mTLS\u001b[22m → 日本') // 10 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text.includes('\u001b') ? stripSgr(text) : text) width += columnsOf(ch.codePointAt(0) ?? 0);
  return width;
}

/**
 * `text` (without colour) cut to at most `width` columns, ending in '…' when cut.
 * @example fitWidth('probing mx.example.com', 12) // 'probing mx.…'
 */
export function fitWidth(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = columnsOf(ch.codePointAt(0) ?? 0);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

/**
 * `text` (without colour) in pieces of at most `width` columns, for a value continued on the
 * next lines; breaks after a space, '.', ',', '-' or '/' when one is near, else anywhere.
 * @example wrapWidth('mx1.partner.example', 12) // ['mx1.partner.', 'example']
 */
export function wrapWidth(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  const step = Math.max(1, width);
  while (displayWidth(rest) > step) {
    const chars = [...rest];
    let used = 0;
    let cut = 0;
    while (cut < chars.length && used + columnsOf(chars[cut]!.codePointAt(0) ?? 0) <= step) {
      used += columnsOf(chars[cut]!.codePointAt(0) ?? 0);
      cut += 1;
    }
    cut = Math.max(1, cut);
    // A natural break in the last third of the piece reads better than a cut mid-word.
    for (let i = cut; i > Math.floor((cut * 2) / 3); i--) {
      if (/[ .,\-/]/.test(chars[i - 1]!)) {
        cut = i;
        break;
      }
    }
    lines.push(chars.slice(0, cut).join('').trimEnd());
    rest = chars.slice(cut).join('').trimStart();
  }
  if (rest !== '' || lines.length === 0) lines.push(rest);
  return lines;
}
