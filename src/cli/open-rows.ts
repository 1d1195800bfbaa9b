/**
 * Opens the row source the settings name, before anything is probed: the domains given as
 * arguments, the one `--server`, or a batch input (`open-batch-rows.ts`, loaded only then).
 * Every reason a run cannot start (an unreadable input, an output that is the input or a
 * directory, an earlier output that cannot be continued) is one UsageError line (exit 2),
 * raised before anything is opened for writing.
 */
import type { Row } from '../pipeline/row.js';
import { argumentRows, serverRows } from '../pipeline/row.js';
import type { RunSettings } from '../pipeline/run-settings.js';
import type { EarlierRow } from '../batch/resume.js';

/** @example const opened = await openRows(settings, (row) => summary.addRecorded(row.record)); */
export interface OpenedRows {
  rows: AsyncIterable<Row> | Iterable<Row>;
  /** The input's carried columns (CSV output columns), in order; none for the command line. */
  extraColumns: readonly string[];
  /** Append to the earlier output (`--resume` found complete rows): write no header. */
  append: boolean;
  /** Rows the earlier output holds (`--resume`): they count in the summary and the exit code. */
  earlierRows: number;
  /** How many rows the source will give, when known at once (the command line); a batch file's count comes later, from `countRecords`. */
  total: number | null;
}

/**
 * `onEarlier` sees each complete row of an earlier output (`--resume`), for the summary.
 *
 * @example const { rows } = await openRows(checkOptions(['example.com'], raw), () => {});
 */
export async function openRows(settings: RunSettings, onEarlier: (row: EarlierRow) => void): Promise<OpenedRows> {
  const source = settings.source;
  if (source.kind === 'arguments') return { rows: argumentRows(source.domains), extraColumns: [], append: false, earlierRows: 0, total: source.domains.length };
  if (source.kind === 'server') return { rows: serverRows(source.server), extraColumns: [], append: false, earlierRows: 0, total: 1 };
  const { openBatchRows } = await import('./open-batch-rows.js');
  return openBatchRows(settings, source, onEarlier);
}
