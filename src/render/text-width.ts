/**
 * How many terminal columns a line of sanitised text takes, and how to make it fit: for the
 * spinner (a frame wider than the terminal wraps, and the spinner then erases a line that is
 * not its own) and for the text report's choice of layout.
 */

/** Colour and style sequences (SGR) that chalk writes: they take no column. */
const SGR = /\u001b\[[0-9;]*m/g;

/** @example stripSgr('\u001b[31mred\u001b[39m') // 'red' */
export function stripSgr(text: string): string {
  return text.replace(SGR, '');
}

/**
 * Columns of one code point, erring wide: 1 for Latin, Greek, Cyrillic, box drawing, arrows
 * and the punctuation this program writes (· — … ✘); 2 for everything else (CJK, emoji), which
 * a terminal may draw two columns wide. Text is sanitised first, so there is no control
 * character left to count.
 */
function columnsOf(code: number): number {
  if (code < 0x1100) return 1;
  if (code >= 0x2000 && code <= 0x27bf) return 1;
  return 2;
}

/** @example displayWidth('✘ mx — 12') // 9 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of stripSgr(text)) width += columnsOf(ch.codePointAt(0) ?? 0);
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
