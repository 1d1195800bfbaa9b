/**
 * `mxprobe diff OLD NEW`: what changed between two saved audits (src/saved/ reads them, as
 * hostile input; judge/audit-diff.ts compares them; render/diff-*.ts writes text, JSON or a
 * static HTML page). One file at a time is read, each row parsed once and reduced to its
 * digest, so the rows of one audit are held at most, and the digests of both. Wires options, files, output and the exit code: 1 when a
 * row passed in OLD and does not in NEW, else 0; 2 bad input; 74 / 141 for the output.
 */
import { errorLine } from './error-line.js';
import { EXIT } from './exit-codes.js';
import { exitForFailure, OutputError, reportSink, type Sink } from './output.js';
import { UsageError } from './raw-options.js';
import { fileName, readSavedFiles, refuseOutputOverSaved, savedDaysOption } from './read-saved-files.js';
import { quote } from '../render/sanitize.js';
import { mergeSaved } from '../saved/merge-saved.js';
import { parseSavedRow, SavedInputError, type SavedFile } from '../saved/read-saved.js';
import { diffAudits, diffDigest, type DiffDigest, type DiffKey } from '../judge/audit-diff.js';

/**
 * The formats of `mxprobe diff`.
 *
 * @example DIFF_FORMATS.includes('html') // true
 */
export const DIFF_FORMATS = ['text', 'json', 'html'] as const;

/**
 * `mxprobe diff`'s options as commander hands them over.
 *
 * @example const raw: RawDiffOptions = { format: 'text', warnDays: '30' };
 */
export interface RawDiffOptions {
  format: string;
  json?: boolean;
  output?: string;
  warnDays: string;
  key?: string;
}

/**
 * `mxprobe diff`'s settings, checked.
 *
 * @example const settings: DiffSettings = checkDiffOptions('jan.ndjson', 'feb.ndjson', raw);
 */
export interface DiffSettings {
  old: string;
  new: string;
  format: (typeof DIFF_FORMATS)[number];
  output: string | null;
  warnDays: number;
  key: DiffKey;
}

/**
 * Checks `mxprobe diff`'s command line; a UsageError (one line) for anything wrong.
 *
 * @example checkDiffOptions('jan.ndjson', 'feb.ndjson', { format: 'json', warnDays: '14', key: 'id' }).key // { column: 'id' }
 */
export function checkDiffOptions(oldFile: string, newFile: string, raw: RawDiffOptions): DiffSettings {
  const format = raw.json === true ? 'json' : raw.format;
  if (!(DIFF_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${DIFF_FORMATS.join(', ')}, not ${quote(format)}`);
  const warnDays = savedDaysOption('--warn-days', raw.warnDays);
  if (raw.key !== undefined && raw.key.trim() === '') throw new UsageError('--key must name an input column (as the input\'s header names it)');
  const output = raw.output ?? null;
  refuseOutputOverSaved(output, [oldFile, newFile]);
  return {
    old: oldFile,
    new: newFile,
    format: format as DiffSettings['format'],
    output,
    warnDays,
    key: raw.key === undefined ? 'domain' : { column: raw.key },
  };
}

/**
 * The digests of one side. Matched by domain, a domain on several rows (several partners) is
 * compared once (its first row: one probe found the same facts for all) and said so; matched
 * by a column, a value on two rows is an error (an id names one row).
 */
function digestsOf(file: SavedFile, key: DiffKey, warnings: string[]): DiffDigest[] {
  const rows = mergeSaved([file]);
  warnings.push(...rows.warnings);
  const byKey = new Map<string, { digest: DiffDigest; where: string }>();
  let repeated = 0;
  for (const row of rows.rows) {
    const digest = diffDigest(parseSavedRow(row), key);
    if (digest === null) throw new SavedInputError(`${row.file} ${row.where}: no input column ${quote(key === 'domain' ? '' : key.column)} to match rows by (--key)`);
    const earlier = byKey.get(digest.key);
    if (earlier !== undefined) {
      if (key !== 'domain') throw new SavedInputError(`${row.file} ${row.where}: ${quote(digest.key)} of --key ${quote(key.column)} is also on ${earlier.where}: --key needs a column that names one row`);
      repeated += 1;
      continue;
    }
    byKey.set(digest.key, { digest, where: row.where });
  }
  if (repeated > 0) warnings.push(`${file.name}: ${repeated === 1 ? '1 row names' : `${repeated} rows name`} a domain an earlier row names: compared once by domain (--key COLUMN compares input rows)`);
  return [...byKey.values()].map((v) => v.digest);
}

/**
 * Runs `mxprobe diff` and returns its exit code (see the module comment).
 *
 * @example process.exitCode = await runDiff(checkDiffOptions('jan.ndjson', 'feb.ndjson', raw));
 */
export async function runDiff(settings: DiffSettings): Promise<number> {
  let old: DiffDigest[];
  let now: DiffDigest[];
  let sink: Sink;
  const warnings: string[] = [];
  try {
    // One file at a time, reduced to its digests before the next is read: the rows' text of one audit is held at most.
    if (settings.old === '-' && settings.new === '-') throw new UsageError("standard input ('-') can be read only once");
    old = digestsOf((await readSavedFiles([settings.old]))[0]!, settings.key, warnings);
    now = digestsOf((await readSavedFiles([settings.new]))[0]!, settings.key, warnings);
    sink = reportSink(settings.output, false);
  } catch (err) {
    if (!(err instanceof UsageError) && !(err instanceof SavedInputError) && !(err instanceof OutputError)) throw err;
    process.stderr.write(errorLine(err.message));
    return EXIT.USAGE;
  }
  for (const warning of warnings) process.stderr.write(errorLine(`warning: ${warning}`));
  const diff = diffAudits(old, now, { warnDays: settings.warnDays });
  const about = { old: [fileName(settings.old)], new: [fileName(settings.new)], key: settings.key, warnDays: settings.warnDays };
  let text: string;
  if (settings.format === 'json') text = (await import('../render/diff-json.js')).renderDiffJson(diff, about);
  else if (settings.format === 'html') text = (await import('../render/diff-html.js')).renderDiffHtml(diff, about);
  else text = (await import('../render/diff-text.js')).renderDiffText(diff);

  sink.write(text);
  await sink.close();
  if (sink.failure !== null) return exitForFailure(sink.failure, process.stderr);
  return diff.counts.regression > 0 ? EXIT.BELOW_REQUIRED : EXIT.OK;
}
