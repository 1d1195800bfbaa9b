/**
 * What a run shows on standard error while it works: a spinner on a terminal (cli/spinner.ts)
 * naming what is in flight, or, for a batch, a plain progress line every few seconds when
 * standard error is not a terminal; nothing with --quiet. Rows written to a terminal go
 * through `around`, so that the spinner line never erases one.
 */
import { startSpinner } from './spinner.js';

/** @example progress.around(() => writer.write(result)); … progress.stop(); */
export interface Progress {
  /** Runs `write` with the spinner line cleared (when there is one), so rows on the same terminal stay intact. */
  around(write: () => void): void;
  stop(): void;
}

/** A plain progress line this often when standard error is not a terminal. */
const PLAIN_PROGRESS_MS = 5000;

const NONE: Progress = { around: (write) => write(), stop() {} };

/**
 * `plain`: with no terminal, print the line every PLAIN_PROGRESS_MS (a batch's log); else nothing.
 *
 * @example const progress = await startProgress(() => probingText([...inFlight], done, total), { quiet: false, plain: false });
 */
export async function startProgress(line: () => string, options: { quiet: boolean; plain: boolean }): Promise<Progress> {
  if (options.quiet) return NONE;
  const spinner = await startSpinner(line);
  if (spinner !== null) return spinner;
  if (!options.plain) return NONE;
  const timer = setInterval(() => process.stderr.write(`${line()}\n`), PLAIN_PROGRESS_MS);
  timer.unref();
  return { around: (write) => write(), stop: () => clearInterval(timer) };
}
