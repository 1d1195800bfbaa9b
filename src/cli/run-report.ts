/**
 * `mxprobe report FILE…`: re-renders saved results (NDJSON or JSON of earlier runs, schema
 * version 2; src/saved/) in any report format, through the probe's own renderers and report
 * writer, without probing again. Several files are one audit (the parts of a `--shard` run:
 * saved/merge-saved.ts). `--at DATE` / `--days-ahead N` judge the saved facts again as of
 * that moment (saved/facts-of.ts rejudge); `--warn-days N` alone judges them again as of the
 * moment each was probed. Wires options, files, standard output and error and the exit code:
 * the verdict over the rows as the probe's (0, 1, 3), 2 for bad input, 74 / 141 for the output.
 */
import { errorLine } from './error-line.js';
import { EXIT, exitCodeForCounts } from './exit-codes.js';
import { exitForFailure, OutputError, reportSink, type Sink } from './output.js';
import { streamColorLevel } from './color-level.js';
import { OPTION_DEFAULTS, UsageError } from './raw-options.js';
import { fileName, readSavedFiles, refuseOutputOverSaved, savedDaysOption } from './read-saved-files.js';
import { ReportWriter } from './report-writer.js';
import { FORMATS, isFormat, loadRenderer, type Format } from '../render/formats.js';
import { quote } from '../render/sanitize.js';
import { mergeSaved } from '../saved/merge-saved.js';
import { parseSavedRow, SavedInputError, type SavedRow } from '../saved/read-saved.js';
import { rejudge } from '../saved/facts-of.js';
import { SummaryAccumulator } from '../judge/batch-summary.js';
import type { DomainResult } from '../model/domain.js';

/**
 * The options of `mxprobe report` as commander hands them over.
 *
 * @example const raw: RawReportOptions = { format: 'text', color: true };
 */
export interface RawReportOptions {
  format: string;
  json?: boolean;
  output?: string;
  at?: string;
  daysAhead?: string;
  warnDays?: string;
  color: boolean;
  quiet?: boolean;
}

/**
 * `mxprobe report`'s settings, checked.
 *
 * @example const settings = checkReportOptions(['jan.ndjson'], { format: 'csv', color: false });
 */
export interface ReportSettings {
  files: string[];
  format: Format;
  output: string | null;
  /**
   * Judge the saved facts again: as of `at` (null: as of each row's own probedAt), with
   * `warnDays`. null: the saved judgement stands.
   */
  rejudge: { at: Date | null; warnDays: number } | null;
  color: boolean;
  quiet: boolean;
}

const DAY_MS = 86_400_000;

/**
 * Checks `mxprobe report`'s command line; a UsageError (one line) for anything wrong.
 *
 * @example checkReportOptions(['jan.ndjson'], { format: 'json', color: false, at: '2027-01-01' }).rejudge?.at
 */
export function checkReportOptions(files: readonly string[], raw: RawReportOptions): ReportSettings {
  if (files.length === 0) throw new UsageError('report needs one or more saved files (NDJSON or JSON of an earlier run), or - for standard input');
  const format = raw.json === true ? 'json' : raw.format;
  if (!isFormat(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, not ${quote(format)}`);
  let at: Date | null = null;
  if (raw.at !== undefined) {
    // A date is midnight UTC; a time needs its zone (Z or ±hh:mm), so that the moment does not depend on the machine's.
    const time = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/.test(raw.at.trim()) ? Date.parse(raw.at.trim()) : Number.NaN;
    if (Number.isNaN(time)) throw new UsageError(`--at must be an ISO 8601 date or a time with its zone (2027-01-31, 2027-01-31T12:00:00Z), not ${quote(raw.at)}`);
    at = new Date(time);
  }
  if (raw.daysAhead !== undefined) {
    at = new Date((at ?? new Date()).getTime() + savedDaysOption('--days-ahead', raw.daysAhead) * DAY_MS);
  }
  let warnDays: number | null = null;
  if (raw.warnDays !== undefined) warnDays = savedDaysOption('--warn-days', raw.warnDays);
  const output = raw.output ?? null;
  refuseOutputOverSaved(output, files);
  return {
    files: [...files],
    format,
    output,
    rejudge: at === null && warnDays === null ? null : { at, warnDays: warnDays ?? Number(OPTION_DEFAULTS.warnDays) },
    color: raw.color,
    quiet: raw.quiet === true,
  };
}

/** The input's carried columns over every row, in the order first seen (CSV's extra columns). */
function carriedColumns(rows: readonly SavedRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const column of row.columns) seen.add(column);
  return [...seen];
}

/** A row as the report shows it: as saved, or judged again. */
function resultOf(row: SavedRow, settings: ReportSettings): DomainResult {
  const saved = parseSavedRow(row);
  const again = settings.rejudge;
  if (again === null) return saved;
  return rejudge(saved, { now: again.at ?? new Date(saved.probedAt), warnDays: again.warnDays });
}

/**
 * Runs `mxprobe report` and returns its exit code (see the module comment). Bad input throws
 * nothing: it is its one line on standard error and 2.
 *
 * @example process.exitCode = await runReport(checkReportOptions(['part-1.ndjson', 'part-2.ndjson'], raw));
 */
export async function runReport(settings: ReportSettings): Promise<number> {
  const started = performance.now();
  const startedAt = new Date();
  let rows: SavedRow[];
  let sink: Sink;
  try {
    const merged = mergeSaved(await readSavedFiles(settings.files));
    for (const warning of merged.warnings) process.stderr.write(errorLine(`warning: ${warning}`));
    rows = merged.rows;
    if (rows.length === 0) throw new UsageError(`no result in ${settings.files.map(fileName).join(', ')}`);
    sink = reportSink(settings.output, false);
  } catch (err) {
    if (!(err instanceof UsageError) && !(err instanceof SavedInputError) && !(err instanceof OutputError)) throw err;
    process.stderr.write(errorLine(err.message));
    return EXIT.USAGE;
  }

  const toTerminal = settings.output === null && process.stdout.isTTY === true;
  const stdoutColor = streamColorLevel(settings.color, process.stdout, settings.output === null);
  const layout = rows.length > 1 ? 'rows' : 'report';
  const renderer = await loadRenderer(settings.format, {
    layout,
    colorLevel: stdoutColor,
    transcript: true, // what was saved is shown: a run without --transcript saved none
    extraColumns: carriedColumns(rows),
    ...(toTerminal && process.stdout.columns > 0 ? { columns: process.stdout.columns } : {}),
  });
  const writer = new ReportWriter(sink, renderer, { header: true });
  // Every row counted: the summary text (more than one row), and the footer of a format that shows the summary (HTML).
  const summary = new SummaryAccumulator();
  for (const row of rows) {
    let result: DomainResult;
    try {
      result = resultOf(row, settings);
      writer.write(result);
    } catch (err) {
      // The shape was checked; a field of a shape no renderer expects is still input, not a bug of the run.
      await writer.abandon();
      process.stderr.write(errorLine(`${row.file} ${row.where}: a field of a shape mxprobe does not write: cannot be reported (${err instanceof Error ? err.message : String(err)})`));
      return EXIT.USAGE;
    }
    if (sink.failure !== null) break;
    summary.add(result);
    await sink.ready();
  }

  // The summary, as the probe prints a batch's: after text rows on standard output, else on standard error.
  let summaryText: ((level: 0 | 1 | 2 | 3) => string) | null = null;
  if (layout === 'rows' && !settings.quiet) {
    const { renderSummary } = await import('../render/batch-summary-text.js');
    const saved = { files: settings.files.length, judgedAt: settings.rejudge?.at ?? null };
    summaryText = (level) => renderSummary(summary.summary(), { colorLevel: level, elapsedMs: 0, probesMade: 0, saved });
  }
  const textToStdout = settings.format === 'text' && settings.output === null;
  const trailer = summaryText !== null && textToStdout && sink.failure === null ? summaryText(stdoutColor) : undefined;
  // The summary goes to the writer too: a format that shows it in its footer takes it from the totals.
  await writer.end({
    startedAt,
    durationMs: performance.now() - started,
    ...(trailer !== undefined ? { trailer } : {}),
    summary: summary.summary(),
  });
  if (summaryText !== null && trailer === undefined && sink.failure === null) {
    process.stderr.write(summaryText(streamColorLevel(settings.color, process.stderr)));
  }
  if (sink.failure !== null) return exitForFailure(sink.failure, process.stderr);
  const counts = writer.counts;
  return exitCodeForCounts(counts.fail, counts.undetermined);
}
