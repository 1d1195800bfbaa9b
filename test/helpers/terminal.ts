// A tiny terminal emulator for tests: replays what a program wrote to a terminal of N
// columns (printable text, CR, LF, the cursor and erase sequences ora and readline use) and
// reports the screen, every automatic line wrap, and every sequence it did not know.
// Test helper only. A wrap is what breaks a spinner: ora then clears too few or too many lines.

/** Switches the emulated width, written by test programs when they change their fake `columns`. */
export const COLUMNS_MARK = (columns: number): string => `\u001b]mxprobe-columns;${columns}\u0007`;

export interface Screen {
  /** Every line of the screen, top to bottom, trailing spaces removed. */
  lines: string[];
  /** Automatic wraps: a character written when the cursor was already past the last column. */
  wraps: Array<{ line: number; columns: number; text: string }>;
  /** Escape sequences the emulator does not know (a test should see none). */
  unknown: string[];
  /** The text of every line an erase sequence changed, as it was before (a spinner erases its own line; a test looks for others). */
  erased: string[];
}

/**
 * Replays `output` on a terminal `columns` wide (0 means "no width": nothing wraps, as on a pty
 * whose size was never set). ONLCR is assumed: LF moves to the start of the next line.
 * @example replay('abc\r\u001b[2K', 80).lines // ['']
 */
export function replay(output: string, columns: number): Screen {
  const screen: string[][] = [[]];
  const wraps: Screen['wraps'] = [];
  const unknown: string[] = [];
  const erased: string[] = [];
  let width = columns;
  let row = 0;
  let col = 0;
  const line = (r: number): string[] => {
    while (screen.length <= r) screen.push([]);
    return screen[r]!;
  };
  const text = (r: number) => line(r).join('').trimEnd();
  const erase = (r: number, from: number, to: number) => {
    const before = text(r);
    const cells = line(r);
    for (let i = from; i < Math.min(to, cells.length); i++) cells[i] = ' ';
    if (before !== '' && text(r) !== before) erased.push(before);
  };
  let i = 0;
  while (i < output.length) {
    const ch = output[i]!;
    if (ch === '\u001b') {
      const csi = /^\u001b\[([?]?)([0-9;]*)([A-Za-z])/.exec(output.slice(i, i + 32));
      const osc = /^\u001b\]([^\u0007\u001b]*)(?:\u0007|\u001b\\)/.exec(output.slice(i, i + 256));
      if (csi !== null) {
        const n = csi[2] === '' ? null : Number(csi[2]!.split(';')[0]);
        const command = csi[3]!;
        if (csi[1] === '?') {
          // cursor shown/hidden: no effect on the screen
        } else if (command === 'm') {
          // colours
        } else if (command === 'G') col = (n ?? 1) - 1;
        else if (command === 'A') row = Math.max(0, row - (n ?? 1));
        else if (command === 'B') row += n ?? 1;
        else if (command === 'C') col += n ?? 1;
        else if (command === 'D') col = Math.max(0, col - (n ?? 1));
        else if (command === 'K') {
          if ((n ?? 0) === 0) erase(row, col, Infinity);
          else if (n === 1) erase(row, 0, col + 1);
          else erase(row, 0, Infinity);
        } else unknown.push(JSON.stringify(csi[0]));
        i += csi[0].length;
        continue;
      }
      if (osc !== null) {
        const mark = /^mxprobe-columns;(\d+)$/.exec(osc[1]!);
        if (mark !== null) width = Number(mark[1]);
        else unknown.push(JSON.stringify(osc[0]));
        i += osc[0].length;
        continue;
      }
      unknown.push(JSON.stringify(output.slice(i, i + 8)));
      i += 1;
      continue;
    }
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row += 1;
      col = 0;
    } else {
      if (width > 0 && col >= width) {
        wraps.push({ line: row, columns: width, text: text(row) });
        row += 1;
        col = 0;
      }
      const cells = line(row);
      while (cells.length < col) cells.push(' ');
      cells[col] = ch;
      col += 1;
    }
    i += ch.length;
  }
  return { lines: screen.map((_, r) => text(r)), wraps, unknown, erased };
}
