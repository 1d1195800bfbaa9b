/**
 * Reads the results an earlier run saved (`mxprobe report`, `mxprobe diff`): NDJSON (a
 * DomainResult a line, `schemaVersion` first), the batch JSON document (a domain a line between
 * `{"schemaVersion":2,"domains":[` and `]}`) or any JSON document `{schemaVersion, domains}`
 * (the indented one of domains given as arguments), told apart by content. A file is read a
 * chunk at a time and split into lines as it comes; each row is checked (saved/result-shape.ts)
 * and kept as its JSON text with the few fields merging needs, parsed again only when used.
 *
 * Bounded: a line (a row) at most MAX_LINE_BYTES, a whole-document JSON at most
 * MAX_DOCUMENT_BYTES, every file of a command together at most MAX_TOTAL_BYTES. Whatever is
 * wrong is a SavedInputError of one line, `FILE line N: …`. A run killed while writing leaves
 * a last line cut short (NDJSON) or a batch document without its end: that is read with a
 * warning (the rows before it are whole), never silently.
 */
import { SCHEMA_VERSION } from '../model/report.js';
import type { DomainResult } from '../model/domain.js';
import { savedResultProblem } from './result-shape.js';

/**
 * Longest line read (one row): a probe's row with --deep and --transcript is a few hundred KB.
 *
 * @example MAX_LINE_BYTES // 8 MiB
 */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;
/**
 * Largest JSON document read whole (the indented report of domains given as arguments).
 *
 * @example MAX_DOCUMENT_BYTES // 64 MiB
 */
export const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;
/**
 * Every file a command reads, together: the rows are held until the report or the diff is made.
 *
 * @example const budget: ReadBudget = { remaining: MAX_TOTAL_BYTES };
 */
export const MAX_TOTAL_BYTES = 1024 * 1024 * 1024;

const MIB = 1024 * 1024;

/**
 * A saved file that cannot be used, in one line naming the file and the line (or the row of a
 * document): `old.ndjson line 7: not JSON (Unexpected token …)`.
 *
 * @example throw new SavedInputError('jan.ndjson line 3: schemaVersion 1, this mxprobe reads 2')
 */
export class SavedInputError extends Error {
  override name = 'SavedInputError';
}

/**
 * One saved row: its JSON text (parsed again by {@link parseSavedRow}) and what merging and
 * diffing need without parsing it.
 *
 * @example const label = (r: SavedRow) => `${r.file} ${r.where}`; // 'part-1.ndjson line 12'
 */
export interface SavedRow {
  /** The file as named ('standard input' for '-'). */
  file: string;
  /** Where in the file: `line N`, or `domains[i]` in a JSON document read whole. */
  where: string;
  /** The row's JSON (a DomainResult; an NDJSON line's `schemaVersion` too). */
  text: string;
  domain: string;
  input: string;
  /** The batch input's line (`source.line`); null for a domain given as an argument. */
  line: number | null;
  /** `source.shard` (`--shard K/N`); null without. */
  shard: { index: number; count: number } | null;
  /** The names of the input's carried columns (`source.columns`), in order. */
  columns: string[];
}

/**
 * What one file held: its rows in order, and warnings to show (a cut last line).
 *
 * @example const file: SavedFile = await readSaved(createReadStream('jan.ndjson'), 'jan.ndjson', budget);
 */
export interface SavedFile {
  name: string;
  rows: SavedRow[];
  warnings: string[];
}

/**
 * How much more may be read by the command: shared by every file it reads.
 *
 * @example const budget: ReadBudget = { remaining: MAX_TOTAL_BYTES };
 */
export interface ReadBudget {
  remaining: number;
}

/**
 * The DomainResult a saved row holds (checked when it was read), without an NDJSON line's
 * `schemaVersion`.
 *
 * @example const result = parseSavedRow(row); result.domain
 */
export function parseSavedRow(row: SavedRow): DomainResult {
  const { schemaVersion: _version, ...result } = JSON.parse(row.text) as DomainResult & { schemaVersion?: number };
  return result;
}

interface Line {
  text: string;
  number: number;
  /** Ended with a line feed (a last line without one may be cut short). */
  ended: boolean;
}

/** The lines of a byte stream, each at most `maxBytes` (a longer one is an error at once, before it is all held). */
async function* linesOf(chunks: AsyncIterable<Uint8Array>, name: string, maxBytes: number, budget: ReadBudget): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let held = 0;
  let number = 1;
  const tooLong = () => new SavedInputError(`${name} line ${number}: longer than ${maxBytes / MIB} MiB, not a saved result of mxprobe`);
  const text = (bytes: Buffer) => {
    let s = bytes.toString('utf8');
    if (number === 1 && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    return s.endsWith('\r') ? s.slice(0, -1) : s;
  };
  for await (const chunk of chunks) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    budget.remaining -= bytes.length;
    if (budget.remaining < 0) throw new SavedInputError(`${name}: the files given hold more than ${MAX_TOTAL_BYTES / MIB} MiB together; report or compare fewer at once`);
    let start = 0;
    for (let nl = bytes.indexOf(10, start); nl !== -1; nl = bytes.indexOf(10, start)) {
      if (held + nl - start > maxBytes) throw tooLong();
      parts.push(bytes.subarray(start, nl));
      yield { text: text(Buffer.concat(parts)), number, ended: true };
      parts = [];
      held = 0;
      number += 1;
      start = nl + 1;
    }
    if (start < bytes.length) {
      held += bytes.length - start;
      if (held > maxBytes) throw tooLong();
      parts.push(bytes.subarray(start));
    }
  }
  if (held > 0) yield { text: text(Buffer.concat(parts)), number, ended: false };
}

/** The header line of the batch JSON document, a domain a line after it. */
const ROWS_DOCUMENT = /^\{\s*"schemaVersion"\s*:\s*(-?\d+(?:\.\d+)?)\s*,\s*"domains"\s*:\s*\[\s*$/;

function parseJson(text: string, at: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0]?.slice(0, 80);
    throw new SavedInputError(`${at}: not JSON (${why})`);
  }
}

function checkVersion(version: unknown, at: string): void {
  if (version === undefined) throw new SavedInputError(`${at}: no schemaVersion: not a saved result of mxprobe (--format json or ndjson)`);
  if (version !== SCHEMA_VERSION) throw new SavedInputError(`${at}: schemaVersion ${JSON.stringify(version)?.slice(0, 20)}, this mxprobe reads ${SCHEMA_VERSION}`);
}

/** A checked row: the shape of a DomainResult, kept as its text. */
function savedRow(value: unknown, text: string, file: string, where: string): SavedRow {
  const bad = savedResultProblem(value);
  if (bad !== null) throw new SavedInputError(`${file} ${where}: ${bad}`);
  const result = value as DomainResult;
  const source = result.source;
  return { file, where, text, domain: result.domain, input: result.input, line: source?.line ?? null, shard: source?.shard ?? null, columns: Object.keys(source?.columns ?? {}) };
}

/** A row object of NDJSON or a document, as text to keep: its own JSON, or the line it came from. */
function rowOf(value: unknown, text: string, file: string, where: string): SavedRow {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SavedInputError(`${file} ${where}: a JSON object (a domain's result) expected, not ${Array.isArray(value) ? 'an array' : JSON.stringify(value)?.slice(0, 20)}`);
  return savedRow(value, text, file, where);
}

/** A whole JSON document `{ schemaVersion, domains: [...] }`. */
function documentRows(doc: unknown, file: string, at: string): SavedRow[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new SavedInputError(`${at}: a JSON object expected`);
  const { schemaVersion, domains } = doc as { schemaVersion?: unknown; domains?: unknown };
  checkVersion(schemaVersion, at);
  if (!Array.isArray(domains)) throw new SavedInputError(`${at}: no "domains" array: not a saved result of mxprobe`);
  return domains.map((d, i) => rowOf(d, JSON.stringify(d), file, `domains[${i}]`));
}

/**
 * Reads one saved file (see the module comment). `name` names it in messages (the path, or
 * 'standard input'). Throws SavedInputError for anything that is not a saved result.
 *
 * @example const saved = await readSaved(createReadStream('jan.ndjson'), 'jan.ndjson', { remaining: MAX_TOTAL_BYTES });
 */
export async function readSaved(chunks: AsyncIterable<Uint8Array>, name: string, budget: ReadBudget): Promise<SavedFile> {
  const rows: SavedRow[] = [];
  const warnings: string[] = [];
  const lines = linesOf(chunks, name, MAX_LINE_BYTES, budget);
  let mode: 'unknown' | 'ndjson' | 'rows-document' | 'rows-ended' = 'unknown';
  /** A document read whole (indented JSON): its lines so far, and their size. */
  let document: string[] | null = null;
  let documentBytes = 0;
  let documentLine = 0;
  let cut: Line | null = null;
  for await (const line of lines) {
    if (document !== null) {
      documentBytes += Buffer.byteLength(line.text) + 1;
      if (documentBytes > MAX_DOCUMENT_BYTES) throw new SavedInputError(`${name}: a JSON document larger than ${MAX_DOCUMENT_BYTES / MIB} MiB; save large audits as NDJSON (--format ndjson)`);
      document.push(line.text);
      continue;
    }
    const text = line.text.trim();
    if (text === '') continue;
    const at = `${name} line ${line.number}`;
    if (mode === 'rows-ended') throw new SavedInputError(`${at}: more after the end of the JSON document`);
    if (mode === 'rows-document') {
      if (/^\]\s*\}$/.test(text)) {
        mode = 'rows-ended';
        continue;
      }
      const row = text.endsWith(',') ? text.slice(0, -1) : text;
      let value: unknown;
      try {
        value = JSON.parse(row);
      } catch {
        if (line.ended) parseJson(row, at); // throws, saying why
        cut = line;
        continue;
      }
      rows.push(rowOf(value, row, name, `line ${line.number}`));
      continue;
    }
    if (mode === 'unknown') {
      const header = ROWS_DOCUMENT.exec(text);
      if (header !== null) {
        checkVersion(Number(header[1]), at);
        mode = 'rows-document';
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        if (!text.startsWith('{')) parseJson(text, at);
        // The start of an indented document: read it whole (bounded).
        document = [line.text];
        documentBytes = Buffer.byteLength(line.text) + 1;
        documentLine = line.number;
        continue;
      }
      if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'domains' in value) {
        rows.push(...documentRows(value, name, at));
        mode = 'rows-ended';
        continue;
      }
      mode = 'ndjson';
    }
    // NDJSON: a row a line, each saying its schema version.
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (!line.ended && rows.length > 0) {
        cut = line;
        continue;
      }
      parseJson(text, at);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) rowOf(value, text, name, `line ${line.number}`);
    checkVersion((value as { schemaVersion?: unknown }).schemaVersion, at);
    rows.push(rowOf(value, text, name, `line ${line.number}`));
  }
  if (document !== null) rows.push(...documentRows(parseJson(document.join('\n'), `${name} line ${documentLine}`), name, `${name} line ${documentLine}`));
  if (cut !== null) warnings.push(`${name} line ${cut.number}: the last line is cut short (a run killed while writing?): skipped; the ${rows.length} rows before it are read`);
  else if (mode === 'rows-document') warnings.push(`${name}: the JSON document has no end (a run killed while writing?): its ${rows.length} whole rows are read`);
  return { name, rows, warnings };
}
