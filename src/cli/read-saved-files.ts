/**
 * The saved files of `mxprobe report` and `mxprobe diff` (src/saved/read-saved.ts), opened
 * here: a path, or standard input for '-' (once). Whatever cannot be read is a UsageError of
 * one line (exit 2), naming the file.
 */
import { createReadStream, statSync } from 'node:fs';
import { MAX_TOTAL_BYTES, readSaved, SavedInputError, type ReadBudget, type SavedFile } from '../saved/read-saved.js';
import { isSameFile } from '../batch/same-file.js';
import { quote } from '../render/sanitize.js';
import { UsageError } from './raw-options.js';

const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));

/** The name of a file in messages. @example fileName('-') // 'standard input' */
export function fileName(path: string): string {
  return path === '-' ? 'standard input' : path;
}

async function readOne(path: string, budget: ReadBudget): Promise<SavedFile> {
  let stream: AsyncIterable<Uint8Array>;
  if (path === '-') {
    if (process.stdin.isTTY === true) throw new UsageError("'-' reads saved results from standard input, which is a terminal: redirect a file to it");
    stream = process.stdin;
  } else {
    let isFile: boolean;
    try {
      isFile = statSync(path).isFile();
    } catch (err) {
      throw new UsageError(`cannot read ${path}: ${code(err)}`);
    }
    if (!isFile) throw new UsageError(`${path} is not a file`);
    stream = createReadStream(path);
  }
  try {
    return await readSaved(stream, fileName(path), budget);
  } catch (err) {
    if (err instanceof SavedInputError) throw new UsageError(err.message);
    if (err instanceof Error && 'code' in err) throw new UsageError(`cannot read ${fileName(path)}: ${code(err)}`);
    throw err;
  }
}

/**
 * Reads every file in turn, within one total budget (MAX_TOTAL_BYTES); throws a UsageError
 * for the first that cannot be read or is not a saved result.
 *
 * @example const files = await readSavedFiles(['part-1.ndjson', 'part-2.ndjson']);
 */
export async function readSavedFiles(paths: readonly string[]): Promise<SavedFile[]> {
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError("standard input ('-') can be read only once");
  const budget: ReadBudget = { remaining: MAX_TOTAL_BYTES };
  const files: SavedFile[] = [];
  for (const path of paths) files.push(await readOne(path, budget));
  return files;
}

/**
 * A whole number of days from 0 to 3650 given to `option` (`--warn-days`, `--days-ahead` of
 * report and diff), else a UsageError.
 *
 * @example savedDaysOption('--warn-days', '14') // 14
 */
export function savedDaysOption(option: string, text: string): number {
  if (!/^\d{1,4}$/.test(text) || Number(text) > 3650) throw new UsageError(`${option} must be a whole number of days from 0 to 3650, not ${quote(text)}`);
  return Number(text);
}

/**
 * Refuses an --output that is one of the saved files read (writing it would destroy it).
 *
 * @example refuseOutputOverSaved('audit.ndjson', ['audit.ndjson']) // throws a UsageError
 */
export function refuseOutputOverSaved(output: string | null, files: readonly string[]): void {
  if (output === null) return;
  for (const file of files) if (isSameFile(file, output)) throw new UsageError(`--output ${output} is the saved file ${fileName(file)}: writing it would destroy it; choose another output file`);
}
