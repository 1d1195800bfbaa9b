/**
 * What a run shows on standard error while it works: a spinner on a terminal (cli/spinner.ts)
 * naming what is in flight, or, for a batch, a plain progress line every few seconds when
 * standard error is not a terminal; nothing with --quiet. Rows written to a terminal go
 * through `around`, so that the spinner line never erases one.
 */
import { startSpinner, type Spinner } from './spinner.js';

/**
 * What shows progress, whichever kind: the spinner's shape (`around` a write, `stop`), also
 * for the plain line and for none.
 *
 * @example progress.around(() => writer.write(result)); … progress.stop();
 */
export type Progress = Spinner;

/**
 * The rows in flight, for progress: how many, and the names a person knows them by, oldest
 * first, each once. Counted by row, not by name: a batch may name one domain on several rows
 * (two e-mail addresses of one partner), each in flight until it ends.
 *
 * @example const rows = new RowsInFlight(); rows.start('a.example'); rows.start('a.example'); rows.end('a.example'); rows.size // 1
 */
export class RowsInFlight {
  private readonly byName = new Map<string, number>();
  /** Rows started and not yet ended. */
  size = 0;
  /** Rows ended (finished, or abandoned by a stop). */
  ended = 0;

  start(name: string): void {
    this.byName.set(name, (this.byName.get(name) ?? 0) + 1);
    this.size += 1;
  }

  end(name: string): void {
    const left = (this.byName.get(name) ?? 0) - 1;
    if (left > 0) this.byName.set(name, left);
    else this.byName.delete(name);
    this.size = Math.max(0, this.size - 1);
    this.ended += 1;
  }

  /** The names in flight, the oldest first, each once. */
  names(): string[] {
    return [...this.byName.keys()];
  }
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
