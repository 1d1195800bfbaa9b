/**
 * The terminal spinner (ora) on stderr, for every run: only on an interactive
 * terminal (not in CI, not TERM=dumb) at least MIN_SPINNER_COLUMNS wide, its text sanitised
 * and cut to the terminal's width on every frame. A frame must never wrap: ora clears as
 * many lines as it counted for the last frame, so a frame that took another number of lines
 * on the screen leaves debris or erases a result line; on a 0-column terminal ora counted
 * Infinity lines and never stopped clearing.
 */
import { sanitize } from '../render/sanitize.js';
import { fitWidth } from '../render/text-width.js';

/** @example const spinner = await startSpinner(() => 'probing'); spinner?.around(() => process.stdout.write(row)); spinner?.stop(); */
export interface Spinner {
  /** Runs `write` with the spinner line cleared, so rows on the same terminal stay intact. */
  around(write: () => void): void;
  stop(): void;
}

/** @example await startSpinner(text, { stream: fakeTerminal, env: {} }) */
export interface SpinnerOptions {
  /** The terminal to draw on (default process.stderr); tests pass a stand-in. */
  stream?: NodeJS.WriteStream;
  /** Where CI and TERM are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Narrower terminals (and those whose width is unknown or 0, such as a pty whose size was
 * never set) get no spinner: the caller shows plain progress instead, or none.
 *
 * @example const spinnerFits = (process.stderr.columns ?? 0) >= MIN_SPINNER_COLUMNS
 */
export const MIN_SPINNER_COLUMNS = 40;

/**
 * ora 8 counts the lines of a frame as ceil(width('--' + text + '--') / columns)
 * (#updateLineCount), while it draws the spinner glyph, a space and the text: the text must
 * be 4 columns narrower than the terminal for ora's count and the screen to agree on 1 line.
 */
const ORA_COUNTED_EXTRA = 4;

/** @example spinnerTextWidth(80) // 76: the widest text that ora counts as one line */
export function spinnerTextWidth(columns: number): number {
  return columns - ORA_COUNTED_EXTRA;
}

/** The terminal's width now, or null when it is unknown or too narrow for a spinner. */
function usableColumns(stream: NodeJS.WriteStream): number | null {
  const columns: unknown = stream.columns;
  return typeof columns === 'number' && Number.isInteger(columns) && columns >= MIN_SPINNER_COLUMNS ? columns : null;
}

const inCi = (env: NodeJS.ProcessEnv) => env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';

/**
 * A spinner whose text is asked for again on every frame, or null when `stream` is not an
 * interactive terminal at least MIN_SPINNER_COLUMNS wide (the caller decides what to show
 * instead). While a resized terminal is too narrow, the spinner draws nothing.
 * @example
 * const spinner = await startSpinner(() => probingText([domain], 0, 1)); // render/probing-text.ts
 * try { await work(); } finally { spinner?.stop(); }
 */
export async function startSpinner(text: () => string, options: SpinnerOptions = {}): Promise<Spinner | null> {
  const stream = options.stream ?? process.stderr;
  const env = options.env ?? process.env;
  if (stream.isTTY !== true || env.TERM === 'dumb' || inCi(env) || usableColumns(stream) === null) return null;
  const { default: ora } = await import('ora');
  // isEnabled: this module decided; ora's own test (is-interactive) reads process.env instead.
  const spinner = ora({ stream, isEnabled: true });
  const draw = spinner.render.bind(spinner);
  let hidden = false;
  // ora's timer and around() both call render(): each frame reads the width and the text again.
  spinner.render = () => {
    const columns = usableColumns(stream);
    if (columns === null) {
      if (!hidden) spinner.clear();
      hidden = true;
      return spinner;
    }
    hidden = false;
    spinner.text = fitWidth(sanitize(text()), spinnerTextWidth(columns));
    return draw();
  };
  spinner.start();
  return {
    around(write) {
      spinner.clear();
      write();
      spinner.render();
    },
    stop() {
      spinner.stop();
    },
  };
}
