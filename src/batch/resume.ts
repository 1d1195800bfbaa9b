/**
 * `--resume`: reads the output of an earlier, interrupted run (CSV or NDJSON) to learn which
 * input rows it already holds, and where its last complete row ends: a killed run may leave
 * a partial last row, which the caller truncates (to `validBytes`) before appending.
 * Streams the file in bytes; memory is bounded except for the set of line numbers.
 *
 * A row is identified by its input line (CSV column `line`, NDJSON `source.line`): stable
 * over runs of the same input, one per input row, whatever the row holds (a domain listed
 * twice, the same invalid text on several lines). Each complete row is also handed to
 * `onRow` with what the summary needs (level, pass, problems, what became of it; NDJSON: the
 * whole result), so that a resumed run's summary and exit code cover the whole output.
 *
 * Only an output of this JSON schema version (2) is continued: NDJSON lines carry
 * `schemaVersion` first, a CSV of version 2 ends its fixed columns with `satisfied`. An output
 * of version 1 (or another) is refused with its reason, never appended to: one file, one schema.
 * A CSV of version 2 written before the columns `dnssec`, `dane`, `mta_sts` and `tls_rpt` were
 * added is refused the same way, as is one written before `deep_worst_tier` and `weak_suites`:
 * one file, one header.
 */
import { open } from 'node:fs/promises';
import { statSync, truncateSync } from 'node:fs';
import type { DomainResult } from '../model/domain.js';
import type { ProblemCode } from '../model/problem.js';
import { isLevel } from '../model/levels.js';
import { SCHEMA_VERSION } from '../model/report.js';
import { PROBLEMS } from '../judge/problem-catalogue.js';
import { rowKind, type RecordedRow } from '../judge/batch-summary.js';
import { SENDER_POLICIES } from '../judge/sender-policies.js';
import type { SenderPolicyId } from '../model/policy.js';
import { CSV_COLUMNS, csvHeaderCells, csvNeedsEscape } from '../render/csv.js';

export interface DoneRows {
  /** Input lines of the complete rows (not the header). */
  done: Set<number>;
  /** Byte length up to the end of the last complete row (0: nothing usable, write the header again). */
  validBytes: number;
  /** Complete rows read (not the header; blank lines not counted). */
  rows: number;
  /** Lines written more than once, with how often (none in mxprobe's own output). */
  repeated: Map<number, number>;
  /** CSV: the header's cells, unescaped (compare with csvHeaderCells of this run); null for NDJSON or no header. */
  header: string[] | null;
}

/** One complete row of the earlier output, as the summary needs it. */
export interface EarlierRow {
  /** The input line it came from; null when the row does not say (not written by a batch). */
  line: number | null;
  record: RecordedRow;
  /** NDJSON: the whole result (for the renewal calendar), when it has the expected shape; CSV: null. */
  result: DomainResult | null;
}

/**
 * The file exists but is not mxprobe output of that format: appending to it would corrupt it.
 *
 * @example throw new ResumeError('audit.csv is not mxprobe CSV output (its header does not start with domain,level,required,…): not appending to it')
 */
export class ResumeError extends Error {
  override name = 'ResumeError';
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;
/** A CSV cell longer than this is not read (ours are at most ~6,000 characters: sanitised and cut). */
const MAX_CELL_BYTES = 65_536;
/** An NDJSON line longer than this is skipped (a result without transcripts is far smaller). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const READ_BYTES = 1 << 20;
/**
 * The fixed columns of earlier mxprobes, newest first, each the fixed columns up to (not
 * including) the first one a later version added, with why it cannot be continued. A header
 * is checked against them in this order (a newer one starts with every older one), so each
 * gets its own reason. Derived from CSV_COLUMNS, the one list of the columns.
 */
const EARLIER_HEADERS: ReadonlyArray<{ columns: readonly string[]; why: string }> = [
  { columns: CSV_COLUMNS.slice(0, CSV_COLUMNS.indexOf('deep_worst_tier')), why: 'no "deep_worst_tier" and "weak_suites" columns' },
  { columns: CSV_COLUMNS.slice(0, CSV_COLUMNS.indexOf('dnssec')), why: 'no "dnssec", "dane", "mta_sts" and "tls_rpt" columns' },
  { columns: CSV_COLUMNS.slice(0, CSV_COLUMNS.indexOf('satisfied')), why: 'JSON schema version 1: no "satisfied" column' },
  { columns: CSV_COLUMNS.slice(0, CSV_COLUMNS.indexOf('line')), why: 'no "line" column' },
];

/**
 * Undoes csvCell: the surrounding quotes and doubled quotes, then the formula-escape quote
 * (through the same rule csvCell applies, so the two cannot drift apart).
 *
 * @example csvCellValue(`"'=x,y"`) // '=x,y'
 */
export function csvCellValue(raw: string): string {
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw;
  return value.startsWith("'") && csvNeedsEscape(value.slice(1)) ? value.slice(1) : value;
}

const isCode = (code: unknown): code is ProblemCode => typeof code === 'string' && Object.hasOwn(PROBLEMS, code);
const POLICY_IDS: ReadonlySet<string> = new Set(SENDER_POLICIES.map((p) => p.id));
const isPolicyId = (id: unknown): id is SenderPolicyId => typeof id === 'string' && POLICY_IDS.has(id);
const lineNumber = (value: unknown): number | null => {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : null;
};

/** What a CSV row keeps of its result: `level`, `pass` and `problems` say what became of it. */
function csvRecord(cells: readonly string[]): EarlierRow {
  const at = (name: (typeof CSV_COLUMNS)[number]) => cells[CSV_COLUMNS.indexOf(name)] ?? '';
  const levelText = at('level');
  const level = isLevel(levelText) ? levelText : null;
  const passText = at('pass');
  const pass = passText === 'true' ? true : passText === 'false' ? false : null;
  const codes = at('problems').split(';').filter(isCode);
  const kind = level === null && codes.includes('INVALID_INPUT') ? 'invalid' : level === null && pass === false ? 'no-mail' : 'judged';
  const satisfied = at('satisfied').split(';').filter(isPolicyId);
  return { line: lineNumber(at('line')), record: { kind, level, pass, codes, satisfied }, result: null };
}

/** The result's shape as far as the renewal calendar reads it (the file may be damaged). */
function calendarReadable(row: Record<string, unknown>): boolean {
  if (typeof row.domain !== 'string' || !Array.isArray(row.mx)) return false;
  return row.mx.every((host: unknown) => {
    const h = host as { host?: unknown; addresses?: unknown } | null;
    if (typeof h !== 'object' || h === null || typeof h.host !== 'string' || !Array.isArray(h.addresses)) return false;
    return h.addresses.every((address: unknown) => {
      const a = address as { ip?: unknown; certificate?: { chain?: unknown; daysLeft?: unknown } | null } | null;
      if (typeof a !== 'object' || a === null || typeof a.ip !== 'string') return false;
      const cert = a.certificate;
      if (cert === null || cert === undefined) return true;
      if (typeof cert !== 'object' || !Array.isArray(cert.chain) || typeof cert.daysLeft !== 'number') return false;
      const leaf = cert.chain[0] as { fingerprint256?: unknown; notAfter?: unknown } | undefined;
      return leaf === undefined || (typeof leaf === 'object' && leaf !== null && typeof leaf.fingerprint256 === 'string' && typeof leaf.notAfter === 'string');
    });
  });
}

function ndjsonRecord(row: Record<string, unknown>): EarlierRow {
  const level = typeof row.level === 'string' && isLevel(row.level) ? row.level : null;
  const pass = typeof row.pass === 'boolean' ? row.pass : null;
  // The domain's own problems and each address's (the file may be damaged: read what has the shape).
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const addresses = list(row.mx).flatMap((host) => list((host as { addresses?: unknown } | null)?.addresses));
  const problems = [...list(row.problems), ...addresses.flatMap((a) => list((a as { problems?: unknown } | null)?.problems))];
  const codes = [...new Set(problems.map((p: unknown) => (p as { code?: unknown } | null)?.code).filter(isCode))];
  const satisfied = list(row.policies).flatMap((p) => {
    const policy = p as { id?: unknown; satisfied?: unknown } | null;
    return policy?.satisfied === true && isPolicyId(policy.id) ? [policy.id] : [];
  });
  const source = row.source as { line?: unknown } | null | undefined;
  return {
    line: lineNumber(typeof source === 'object' && source !== null ? source.line : undefined),
    record: { kind: rowKind(row.outcome), level, pass, codes, satisfied },
    result: calendarReadable(row) ? (row as unknown as DomainResult) : null,
  };
}

function emptyDone(): DoneRows {
  return { done: new Set(), validBytes: 0, rows: 0, repeated: new Map(), header: null };
}

function addRow(result: DoneRows, row: EarlierRow, onRow: ((row: EarlierRow) => void) | undefined): void {
  const key = row.line;
  if (key !== null) {
    if (result.done.has(key)) result.repeated.set(key, (result.repeated.get(key) ?? 1) + 1);
    else result.done.add(key);
  }
  result.rows += 1;
  onRow?.(row);
}

/**
 * Reads an earlier output; `onRow` sees each complete row (not a partial last one). A
 * missing file gives an empty set and `validBytes` 0. Throws ResumeError when the file is
 * not mxprobe output of that format (a CSV whose header does not start with the fixed
 * columns; an NDJSON whose first line is not a result).
 *
 * @example
 * const earlier = await readDone('audit.csv', 'csv', (row) => summary.addRecorded(row.record));
 * truncateSync('audit.csv', earlier.validBytes);
 */
export async function readDone(path: string, format: 'csv' | 'ndjson', onRow?: (row: EarlierRow) => void): Promise<DoneRows> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyDone();
    throw err;
  }
  try {
    return format === 'csv' ? await readCsv(handle, path, onRow) : await readNdjson(handle, path, onRow);
  } finally {
    await handle.close();
  }
}

type Handle = Awaited<ReturnType<typeof open>>;

async function readCsv(handle: Handle, path: string, onRow: ((row: EarlierRow) => void) | undefined): Promise<DoneRows> {
  const result = emptyDone();
  const buffer = Buffer.alloc(READ_BYTES);
  let offset = 0; // file offset of buffer[0]
  let inQuotes = false;
  let isHeader = true;
  /** The record's cells read so far: every one for the header, the fixed ones for a row. */
  let cells: string[] = [];
  let parts: Buffer[] = [];
  let partsBytes = 0;
  let tooLong = false;
  let blank = true; // nothing but CR so far in this record
  const collecting = () => isHeader || cells.length < CSV_COLUMNS.length;

  const takeCell = (tail: Buffer) => {
    const raw = tooLong ? null : Buffer.concat([...parts, tail]).toString('utf8').replace(/\r$/, '');
    parts = [];
    partsBytes = 0;
    tooLong = false;
    cells.push(raw === null ? '' : csvCellValue(raw));
  };
  const endRecord = (end: number) => {
    if (isHeader) {
      isHeader = false;
      if (cells.slice(0, CSV_COLUMNS.length).join(',') !== CSV_COLUMNS.join(',')) {
        const earlier = EARLIER_HEADERS.find((e) => cells.slice(0, e.columns.length).join(',') === e.columns.join(','));
        if (earlier !== undefined) {
          throw new ResumeError(`${path} was written by an earlier mxprobe (${earlier.why}), which --resume cannot continue: start a new output file`);
        }
        throw new ResumeError(`${path} is not mxprobe CSV output (its header does not start with ${CSV_COLUMNS.slice(0, 3).join(',')},…): not appending to it`);
      }
      result.header = cells;
    } else if (!blank) {
      addRow(result, csvRecord(cells), onRow);
    }
    result.validBytes = end;
    blank = true;
    cells = [];
  };

  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) break;
    let segStart = 0;
    for (let i = 0; i < bytesRead; i++) {
      const c = buffer[i] as number;
      if (c !== CR && c !== LF) blank = false;
      if (inQuotes) {
        if (c === QUOTE) inQuotes = false; // a doubled quote turns it on again at once
        continue;
      }
      if (c === QUOTE) {
        inQuotes = true;
      } else if (c === COMMA) {
        if (collecting()) takeCell(buffer.subarray(segStart, i));
        segStart = i + 1;
      } else if (c === LF) {
        if (collecting()) takeCell(buffer.subarray(segStart, i));
        endRecord(offset + i + 1);
        segStart = i + 1;
      }
    }
    if (collecting() && segStart < bytesRead) {
      partsBytes += bytesRead - segStart;
      if (partsBytes > MAX_CELL_BYTES) {
        tooLong = true;
        parts = [];
      } else {
        parts.push(Buffer.from(buffer.subarray(segStart, bytesRead)));
      }
    }
    offset += bytesRead;
    if (isHeader && offset > 16 * MAX_CELL_BYTES) {
      throw new ResumeError(`${path} is not mxprobe CSV output (no header line): not appending to it`);
    }
  }
  return result;
}

async function readNdjson(handle: Handle, path: string, onRow: ((row: EarlierRow) => void) | undefined): Promise<DoneRows> {
  const result = emptyDone();
  const buffer = Buffer.alloc(READ_BYTES);
  let offset = 0;
  let parts: Buffer[] = [];
  let partsBytes = 0;
  let tooLong = false;
  let first = true;

  const endLine = (tail: Buffer, end: number) => {
    const text = tooLong ? null : Buffer.concat([...parts, tail]).toString('utf8');
    parts = [];
    partsBytes = 0;
    tooLong = false;
    if (text === null || text.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch {
      row = undefined;
    }
    const ok = typeof row === 'object' && row !== null && typeof (row as { domain?: unknown }).domain === 'string';
    if (first) {
      first = false;
      if (!ok) throw new ResumeError(`${path} is not mxprobe NDJSON output (its first line is not a domain result): not appending to it`);
    }
    if (!ok) return; // a damaged line: not a row; dropped if nothing valid follows it
    // Rows of another schema version: appending version-2 rows would make a file of two schemas.
    const version = (row as { schemaVersion?: unknown }).schemaVersion;
    if (version !== SCHEMA_VERSION) {
      const which = version === undefined ? 'an earlier mxprobe (JSON schema version 1)' : `an mxprobe of JSON schema version ${String(version).slice(0, 20)}`;
      throw new ResumeError(`${path} was written by ${which}, which --resume cannot continue (this one writes version ${SCHEMA_VERSION}): start a new output file`);
    }
    addRow(result, ndjsonRecord(row as Record<string, unknown>), onRow);
    result.validBytes = end;
  };

  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) break;
    let start = 0;
    for (let i = buffer.indexOf(LF, 0); i >= 0 && i < bytesRead; i = buffer.indexOf(LF, i + 1)) {
      endLine(buffer.subarray(start, i), offset + i + 1);
      start = i + 1;
    }
    if (start < bytesRead) {
      partsBytes += bytesRead - start;
      if (partsBytes > MAX_LINE_BYTES) {
        tooLong = true;
        parts = [];
      } else if (!tooLong) {
        parts.push(Buffer.from(buffer.subarray(start, bytesRead)));
      }
    }
    offset += bytesRead;
  }
  return result;
}

/** What a resumed run continues from. @example const earlier: Continued = { done: new Set([2, 3]), rows: 2, append: true }; */
export interface Continued {
  /** Input lines the earlier output holds: not probed again. */
  done: Set<number>;
  /** Complete rows of the earlier output (they count in the summary and the exit code). */
  rows: number;
  /** The output holds complete rows to append to (else it is written afresh, with its header). */
  append: boolean;
}

const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/**
 * `--resume`: checks that `output` can be continued (a regular file, or none yet), reads its
 * complete rows (each handed to `onRow`, for the summary), checks that a CSV's header is the
 * one this input would write (`extraColumns`, compared as written), and cuts a partial last
 * row that a killed run may have left. Every refusal is a ResumeError with its one-line reason.
 *
 * @example const earlier = await continueOutput('audit.csv', 'csv', header.extraColumns, (row) => summary.addRecorded(row.record));
 */
export async function continueOutput(output: string, format: 'csv' | 'ndjson', extraColumns: readonly string[], onRow: (row: EarlierRow) => void): Promise<Continued> {
  let earlier: DoneRows;
  try {
    earlier = await readDone(output, format, onRow);
  } catch (err) {
    if (err instanceof ResumeError) throw err;
    throw new ResumeError(`cannot read ${output}: ${code(err)}`);
  }
  // Through the function that writes the header, so sanitised or cut names compare equal.
  const columns = csvHeaderCells(extraColumns);
  if (earlier.header !== null && earlier.header.join('\n') !== columns.join('\n')) {
    throw new ResumeError(`${output} has other columns than this input would write (${earlier.header.join(',')})`);
  }
  if (earlier.validBytes === 0) return { done: earlier.done, rows: earlier.rows, append: false };
  try {
    truncateSync(output, earlier.validBytes); // a killed run may have left half a row
  } catch (err) {
    throw new ResumeError(`cannot write ${output}: ${code(err)}`);
  }
  return { done: earlier.done, rows: earlier.rows, append: true };
}

/**
 * Only a regular file (or none yet) can be read back and appended to: not a device or a pipe.
 *
 * @example resumable('/dev/null') // false
 */
export function resumable(output: string): boolean {
  try {
    return statSync(output).isFile();
  } catch {
    return true; // missing: a fresh start
  }
}
