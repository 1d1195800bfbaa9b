/**
 * Opens a batch input (a file, or standard input for `-`) with its shard and `--resume`:
 * loaded only when the run has one, so that a probe of domains given as arguments or of one
 * `--server` does not load the batch modules. Every reason the run cannot start is one
 * UsageError line (exit 2), raised before anything is opened for writing.
 */
import { createReadStream, statSync } from 'node:fs';
import type { RunSettings, RowSourceSettings } from '../pipeline/run-settings.js';
import { openInput, InputError } from '../batch/read-input.js';
import { continueOutput, resumable, ResumeError, type EarlierRow } from '../batch/resume.js';
import { batchRows } from '../batch/batch-rows.js';
import { isSameFile } from '../batch/same-file.js';
import { isAppendable } from '../render/formats.js';
import { checkOutputPath, OutputError } from './output.js';
import { UsageError } from './raw-options.js';
import type { OpenedRows } from './open-rows.js';

const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** `--resume` and `--output` against the input, before anything is opened for writing. */
function checkPaths(settings: RunSettings, input: string, resume: boolean): void {
  if (resume && (settings.output === null || !isAppendable(settings.format))) {
    throw new UsageError('--resume needs --output FILE and --format csv or ndjson (formats that can be appended to)');
  }
  if (settings.output === null) return;
  try {
    checkOutputPath(settings.output);
  } catch (err) {
    if (err instanceof OutputError) throw new UsageError(err.message);
    throw err;
  }
  if (isSameFile(input, settings.output)) {
    throw new UsageError(
      `--output ${settings.output} is the --input file${input === '-' ? ' (standard input)' : ''}: writing it would destroy the input; choose another output file`,
    );
  }
  if (resume && !resumable(settings.output)) throw new UsageError(`--resume needs --output to be a regular file; ${settings.output} is not one`);
}

/** The input as a stream: standard input for '-', else a regular file. */
function inputStream(input: string): NodeJS.ReadableStream {
  if (input === '-') return process.stdin;
  let isFile: boolean;
  try {
    isFile = statSync(input).isFile();
  } catch (err: unknown) {
    throw new UsageError(`cannot read --input ${input}: ${code(err)}`);
  }
  if (!isFile) throw new UsageError(`--input ${input} is not a file`);
  return createReadStream(input);
}

/**
 * `onEarlier` sees each complete row of an earlier output (`--resume`), for the summary.
 *
 * @example const { rows } = await openBatchRows(settings, settings.source, () => {});
 */
export async function openBatchRows(settings: RunSettings, source: Extract<RowSourceSettings, { kind: 'input' }>, onEarlier: (row: EarlierRow) => void): Promise<OpenedRows> {
  checkPaths(settings, source.path, source.resume);
  let input;
  try {
    input = await openInput(inputStream(source.path));
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(`--input ${source.path}: ${err.message}`);
    throw err;
  }
  let done = new Set<number>();
  let earlierRows = 0;
  let append = false;
  if (source.resume && settings.output !== null) {
    try {
      const earlier = await continueOutput(settings.output, settings.format === 'csv' ? 'csv' : 'ndjson', input.header.extraColumns, onEarlier);
      ({ done, append } = earlier);
      earlierRows = earlier.rows;
    } catch (err) {
      if (err instanceof ResumeError) throw new UsageError(`--resume: ${err.message}`);
      throw err;
    }
  }
  return { rows: batchRows(input.rows, { shard: source.shard, done }), extraColumns: input.header.extraColumns, append, earlierRows, total: null };
}
