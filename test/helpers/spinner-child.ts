// Child program for test/unit/spinner.test.ts: makes its own stderr look like a terminal of a
// given width (isTTY, columns, the cursor methods of tty.WriteStream), drives the spinner
// module with texts of every length around that width while printing result rows through
// `around()`, changes the width when told to, then stops and exits by itself.
// Argument: JSON { columns: number[], ms: number } (one phase per width, `ms` in all).
// stdout: one JSON line { spinner: boolean[] } (was a spinner drawn in each phase).
import readline from 'node:readline';
import { startSpinner } from '../../src/cli/spinner.ts';
import { COLUMNS_MARK } from './terminal.ts';

const { columns, ms } = JSON.parse(process.argv[2] ?? '{}') as { columns: number[]; ms: number };
const tty = process.stderr as unknown as Record<string, unknown> & NodeJS.WriteStream;
tty.isTTY = true;
tty.columns = columns[0] ?? 0;
tty.cursorTo = ((x: number, y?: number) => readline.cursorTo(tty, x, y)) as NodeJS.WriteStream['cursorTo'];
tty.moveCursor = ((dx: number, dy: number) => readline.moveCursor(tty, dx, dy)) as NodeJS.WriteStream['moveCursor'];
tty.clearLine = ((dir: -1 | 0 | 1) => readline.clearLine(tty, dir)) as NodeJS.WriteStream['clearLine'];
tty.getColorDepth = () => 8;
tty.hasColors = () => true;

// Every length from 40 below to 10 above the widest phase, over and over: the lengths where a
// frame just fits, just wraps, or where ora's count of the lines differs from the screen's.
const widest = Math.max(...columns, 1);
let calls = 0;
const text = () => {
  const length = Math.max(1, widest - 40 + (calls++ % 50));
  return `probing ${'x'.repeat(length)}`.slice(0, length);
};

const sleep = (t: number) => new Promise<void>((resolve) => setTimeout(resolve, t));
const spinner = await startSpinner(text, { stream: tty, env: { TERM: 'xterm-256color' } });
const drawn: boolean[] = [];
let row = 0;
for (const [phase, width] of columns.entries()) {
  if (phase > 0) {
    tty.write(COLUMNS_MARK(width));
    tty.columns = width;
  }
  const before = calls;
  const end = Date.now() + ms / columns.length;
  while (Date.now() < end) {
    const line = `row ${++row}\n`;
    if (spinner !== null) spinner.around(() => tty.write(line));
    else tty.write(line);
    await sleep(60);
  }
  drawn.push(spinner !== null && calls > before);
}
spinner?.stop();
process.stdout.write(`${JSON.stringify({ spinner: drawn })}\n`);
