/**
 * `--resume`: reads the output of an earlier, interrupted run (CSV or NDJSON) to learn which
 * rows it already holds, and where its last complete row ends: a killed run may leave a
 * partial last row, which the caller truncates (to `validBytes`) before appending.
 * Streams the file in bytes; memory is bounded except for the set of keys.
 *
 * A row's key is what identifies it in both the input and the output (see
 * {@link resumeKey}): the normalised domain, or for an input row that is not a domain its
 * raw input (as the CSV domain cell shows it: sanitised).
 */
import { open } from 'node:fs/promises';
import type { InputRow } from './read-input.js';
import { CSV_COLUMNS } from '../render/csv.js';
import { sanitize } from '../render/sanitize.js';

export interface DoneRows {
  /** Keys of the complete rows (not the header). */
  done: Set<string>;
  /** Byte length up to the end of the last complete row (0: nothing usable, write the header again). */
  validBytes: number;
  /** Complete rows read (not the header; blank lines not counted). */
  rows: number;
  /** Keys written more than once, with how often (e.g. several invalid rows with the same raw input). */
  repeated: Map<string, number>;
  /** CSV: the header's cells (compare with the columns this run would write); null for NDJSON or no header. */
  header: string[] | null;
}

/** The file exists but is not mxprobe output of that format: appending to it would corrupt it. */
export class ResumeError extends Error {
  override name = 'ResumeError';
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;
/** A CSV cell longer than this is not a key (ours are at most ~1,000 characters, sanitised). */
const MAX_CELL_BYTES = 65_536;
/** An NDJSON line longer than this is skipped (a result without transcripts is far smaller). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const READ_BYTES = 1 << 20;

/**
 * The key `readDone` reports for the row this input row becomes.
 *
 * @example if (done.has(resumeKey(row, 'csv'))) continue;
 */
export function resumeKey(row: Pick<InputRow, 'domain' | 'input'>, format: 'csv' | 'ndjson'): string {
  if (row.domain !== null) return row.domain;
  return format === 'csv' ? sanitize(row.input) : row.input;
}

/**
 * Undoes csvCell: the surrounding quotes and doubled quotes, then the formula-escape quote.
 *
 * @example csvCellValue(`"'=x,y"`) // '=x,y'
 */
export function csvCellValue(raw: string): string {
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw;
  return /^'[=+\-@\t\r\n']/.test(value) ? value.slice(1) : value;
}

function emptyDone(): DoneRows {
  return { done: new Set(), validBytes: 0, rows: 0, repeated: new Map(), header: null };
}

function addKey(result: DoneRows, key: string): void {
  if (result.done.has(key)) result.repeated.set(key, (result.repeated.get(key) ?? 1) + 1);
  else result.done.add(key);
  result.rows += 1;
}

/**
 * Reads an earlier output. A missing file gives an empty set and `validBytes` 0.
 * Throws ResumeError when the file is not mxprobe output of that format (a CSV whose
 * header does not start with the fixed columns; an NDJSON whose first line is not a result).
 *
 * @example
 * const earlier = await readDone('audit.csv', 'csv');
 * truncateSync('audit.csv', earlier.validBytes);
 */
export async function readDone(path: string, format: 'csv' | 'ndjson'): Promise<DoneRows> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyDone();
    throw err;
  }
  try {
    return format === 'csv' ? await readCsv(handle, path) : await readNdjson(handle, path);
  } finally {
    await handle.close();
  }
}

type Handle = Awaited<ReturnType<typeof open>>;

async function readCsv(handle: Handle, path: string): Promise<DoneRows> {
  const result = emptyDone();
  const buffer = Buffer.alloc(READ_BYTES);
  let offset = 0; // file offset of buffer[0]
  let inQuotes = false;
  let isHeader = true;
  const headerCells: string[] = [];
  let collecting = true; // inside a cell we keep: the first one (every one, for the header)
  let parts: Buffer[] = [];
  let partsBytes = 0;
  let tooLong = false;
  let blank = true; // nothing but CR so far in this record
  let firstCell: string | null = null;

  const takeCell = (tail: Buffer) => {
    const raw = tooLong ? null : Buffer.concat([...parts, tail]).toString('utf8').replace(/\r$/, '');
    parts = [];
    partsBytes = 0;
    tooLong = false;
    return raw === null ? null : csvCellValue(raw);
  };
  const endRecord = (end: number) => {
    if (isHeader) {
      isHeader = false;
      const fixed = headerCells.slice(0, CSV_COLUMNS.length);
      if (fixed.join(',') !== CSV_COLUMNS.join(',')) {
        throw new ResumeError(`${path} is not mxprobe CSV output (its header does not start with ${CSV_COLUMNS.slice(0, 3).join(',')},…): not appending to it`);
      }
      result.header = headerCells;
    } else if (!blank) {
      if (firstCell !== null) addKey(result, firstCell);
      else result.rows += 1;
    }
    result.validBytes = end;
    blank = true;
    firstCell = null;
    collecting = true;
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
        if (!collecting) continue;
        const cell = takeCell(buffer.subarray(segStart, i));
        if (isHeader) headerCells.push(cell ?? '');
        else {
          firstCell = cell;
          collecting = false;
        }
        segStart = i + 1;
      } else if (c === LF) {
        if (collecting) {
          const cell = takeCell(buffer.subarray(segStart, i));
          if (isHeader) headerCells.push(cell ?? '');
          else firstCell = cell;
        }
        endRecord(offset + i + 1);
        segStart = i + 1;
      }
    }
    if (collecting && segStart < bytesRead) {
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

async function readNdjson(handle: Handle, path: string): Promise<DoneRows> {
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
    if (!ok) return; // a damaged line: not a key; dropped if nothing valid follows it
    const { domain, input, outcome } = row as { domain: string; input?: unknown; outcome?: unknown };
    addKey(result, outcome === 'invalid-input' && typeof input === 'string' ? input : domain);
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
