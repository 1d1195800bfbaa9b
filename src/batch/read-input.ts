/**
 * Reads the batch input (`--input FILE` or `-`) as a stream of rows, in constant memory:
 * a CSV with a header row that names a `domain` (or `email`) column, or a plain list with
 * one domain or e-mail address a line. A bad row is a row with an error, never a thrown
 * error; only a file that is unusable as a whole throws {@link InputError}.
 *
 * Format (RFC 4180, read leniently):
 * - Detection: the first line that is neither blank nor a `#` comment decides. It is a
 *   CSV header when it contains a comma, or when it is the single name `domain` / `email`
 *   (quoted or not), or when it is split by `;` or TAB into fields one of which is
 *   `domain` / `email` (spreadsheets in some locales save with `;`). Otherwise the input is
 *   a plain list.
 * - Header names are trimmed and matched case-insensitively: `domain` is preferred, else
 *   `email` (the part after the last `@` is the domain); `require` is optional and sets the
 *   sender policies the row must satisfy, as --require names them (none|encrypt|verify, a–d,
 *   plain, opportunistic, tls-required; several comma-separated, so quoted in a comma CSV;
 *   case-insensitive). Every other column, and an
 *   `email` column the domain is read from, is carried through under its trimmed header
 *   name; an empty header name becomes `column_N` (1-based position). Duplicate names
 *   (case-insensitive) make the file unusable.
 * - Quoted fields may hold commas, doubled quotes and line breaks; CRLF, LF and lone CR
 *   end records; a UTF-8 BOM is dropped; a record whose fields are all blank (an empty
 *   line, or `,,,` from a spreadsheet) is skipped. Blank and `#` lines before the header
 *   are skipped; after the header every non-blank record is data (a `#` row is an invalid
 *   row, so nothing is dropped silently). A quote inside an unquoted field is literal.
 * - Ragged rows: missing trailing fields are empty strings (spreadsheets drop trailing
 *   empty cells). Extra fields are ignored when all are blank (trailing commas). Extra
 *   values give the row a `warning` (a value with an unquoted comma shifts every later
 *   column, so its carried values may be shifted) but a valid domain is still probed; a
 *   `require` cell that then names no policy is ignored (the default applies) and named in
 *   the warning.
 * - Bounds: a record (or list line) longer than {@link MAX_RECORD_CHARS} characters becomes
 *   an invalid row and the reader skips to the next physical line break, ignoring quotes,
 *   so a quote that is never closed costs at most that many characters of memory and
 *   swallows at most that much input. A quote still open at the end of the input (a
 *   shorter tail) gives one invalid row at the line where the record starts; the lines it
 *   swallowed are named in the error.
 * - Line numbers are physical lines (CRLF counts once), including those inside quoted
 *   fields; a row's line is where its record starts.
 */
import { open } from 'node:fs/promises';
import { normalizeDomain } from '../input/normalize-domain.js';
import type { Requirement } from '../model/policy.js';
import { parseRequirement, requirementNames } from '../judge/sender-policies.js';
import { quote } from '../render/sanitize.js';

export interface InputRow {
  /** 1-based physical line where the record starts. */
  line: number;
  /** Raw value of the domain/email column (or the list line), trimmed. */
  input: string;
  /** Normalised A-label domain, or null when the row is invalid. */
  domain: string | null;
  /** One-line reason when the row is invalid; several reasons are joined by '; '. */
  error: string | null;
  /** One-line doubt about a valid row (more fields than the header): reported as INPUT_EXTRA_FIELDS. */
  warning: string | null;
  /** From the `require` column (sender policies, as --require names them); null when the column is absent or the cell empty. */
  required: Requirement | null;
  /** Every other column by header name, values exactly as parsed (empty for a plain list). */
  columns: Record<string, string>;
}

export interface InputHeader {
  kind: 'csv' | 'list';
  /** The header name of the column the domain is read from (as written, trimmed); null for a list. */
  domainColumn: string | null;
  /** The carried-through columns in header order (not a `domain` column, nor `require`; an `email` column is carried). */
  extraColumns: string[];
}

/** The input as a whole is unusable (no domain column, duplicate header names, unreadable, UTF-16). */
export class InputError extends Error {
  override name = 'InputError';
}

/** Longest record (or list line) read, in UTF-16 code units; longer ones become invalid rows. */
export const MAX_RECORD_CHARS = 65_536;

/** Text is handed to the tokenizer in pieces of at most this many characters. */
const PIECE_CHARS = 65_536;

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

interface RawRecord {
  line: number;
  fields: string[];
  error: string | null;
}

// Tokenizer states.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote inside a quoted field: the closing one, or the first of a doubled pair. */
const QUOTE_SEEN = 3;
/** The record grew too long: discard up to the next physical line break. */
const OVERFLOW = 4;

/**
 * Splits text into records (RFC 4180 when `quotes`; one field a line for a plain list),
 * fed piece by piece. Field text is copied by slices, not characters.
 */
class RecordTokenizer {
  private state = FIELD_START;
  private fields: string[] = [];
  private field = '';
  private error: string | null = null;
  /** The current record has begun (a character other than the LF of a CRLF was seen). */
  private started = false;
  private size = 0;
  /** Physical line of the next character. */
  private line: number;
  private recordLine: number;
  private quoteLine = 0;
  private lastCR = false;
  /** The last character seen was a line break (to name the last line of an unclosed quote). */
  private lastBreak = false;

  constructor(
    private readonly delimiter: number,
    private readonly quotes: boolean,
    firstLine: number,
  ) {
    this.line = firstLine;
    this.recordLine = firstLine;
  }

  push(text: string, out: RawRecord[]): void {
    let seg = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      const afterCR = this.lastCR;
      this.lastCR = c === CR;
      const isBreak = c === CR || c === LF;
      this.lastBreak = isBreak;
      // A line break character that starts a new physical line (the LF of a CRLF does not).
      const newLine = c === CR || (c === LF && !afterCR);

      if (this.state === OVERFLOW) {
        if (isBreak) {
          if (newLine) this.line++;
          this.state = FIELD_START;
          this.started = false;
        }
        continue;
      }
      if (!this.started) {
        if (c === LF && afterCR) continue;
        this.started = true;
        this.recordLine = this.line;
      }
      // Count the record's characters (a line break is one only inside quotes).
      if (this.state === QUOTED || !isBreak) {
        if (++this.size > MAX_RECORD_CHARS) {
          if (this.state === UNQUOTED || this.state === QUOTED) this.field += text.slice(seg, i);
          this.fields.push(this.field);
          out.push({
            line: this.recordLine,
            fields: this.fields,
            error: `record longer than ${MAX_RECORD_CHARS} characters (a quote never closed?); skipped to the next line break`,
          });
          this.reset();
          this.started = true;
          this.state = OVERFLOW;
          if (isBreak) {
            if (newLine) this.line++;
            this.state = FIELD_START;
            this.started = false;
          }
          continue;
        }
      }

      switch (this.state) {
        case FIELD_START:
          if (this.quotes && c === QUOTE) {
            this.state = QUOTED;
            this.quoteLine = this.line;
            seg = i + 1;
          } else if (c === this.delimiter) {
            this.fields.push('');
          } else if (isBreak) {
            this.fields.push('');
            this.endRecord(out);
            this.line++;
          } else {
            this.state = UNQUOTED;
            seg = i;
          }
          break;
        case UNQUOTED:
          if (c === this.delimiter) {
            this.fields.push(this.field + text.slice(seg, i));
            this.field = '';
            this.state = FIELD_START;
          } else if (isBreak) {
            this.fields.push(this.field + text.slice(seg, i));
            this.field = '';
            this.endRecord(out);
            this.line++;
          }
          break;
        case QUOTED:
          if (c === QUOTE) {
            this.field += text.slice(seg, i);
            this.state = QUOTE_SEEN;
          } else if (newLine) {
            this.line++;
          }
          break;
        case QUOTE_SEEN:
          if (c === QUOTE) {
            this.field += '"';
            seg = i + 1;
            this.state = QUOTED;
          } else if (c === this.delimiter) {
            this.fields.push(this.field);
            this.field = '';
            this.state = FIELD_START;
          } else if (isBreak) {
            this.fields.push(this.field);
            this.field = '';
            this.endRecord(out);
            this.line++;
          } else {
            this.error ??= 'text after the closing quote of a field';
            this.state = UNQUOTED;
            seg = i;
          }
          break;
        default:
          break;
      }
    }
    if (this.state === UNQUOTED || this.state === QUOTED) this.field += text.slice(seg);
  }

  /** End of input: the last record without a line break, or an unclosed quote. */
  end(out: RawRecord[]): void {
    if (this.state === OVERFLOW || !this.started) return;
    if (this.state === QUOTED) {
      const last = this.lastBreak ? this.line - 1 : this.line;
      this.error = `the quote opened on line ${this.quoteLine} is never closed: lines ${this.quoteLine}-${last} were read as one field`;
    }
    this.fields.push(this.field);
    this.endRecord(out);
  }

  private endRecord(out: RawRecord[]): void {
    out.push({ line: this.recordLine, fields: this.fields, error: this.error });
    this.reset();
  }

  private reset(): void {
    this.fields = [];
    this.field = '';
    this.error = null;
    this.size = 0;
    this.started = false;
    this.state = FIELD_START;
  }
}

/** Decoded text in pieces of at most PIECE_CHARS; the UTF-8 BOM dropped; UTF-16 refused. */
async function* textPieces(source: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8'); // ignoreBOM false: a leading BOM is dropped
  let sawText = false;
  let firstBytes = true;
  for await (const chunk of source) {
    let text: string;
    if (typeof chunk === 'string') {
      text = decoder.decode() + chunk;
      if (!sawText && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    } else {
      if (firstBytes && chunk.length >= 2 && ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff))) {
        throw new InputError('the input is UTF-16 encoded: save it as UTF-8 (CSV UTF-8) and try again');
      }
      if (chunk.length > 0) firstBytes = false;
      text = decoder.decode(chunk, { stream: true });
    }
    if (text.length === 0) continue;
    sawText = true;
    for (let k = 0; k < text.length; k += PIECE_CHARS) yield text.slice(k, k + PIECE_CHARS);
  }
  const tail = decoder.decode();
  if (tail.length > 0) yield tail;
}

async function* records(
  tokenizer: RecordTokenizer,
  initial: string,
  pieces: AsyncIterator<string>,
): AsyncGenerator<RawRecord> {
  const out: RawRecord[] = [];
  try {
    tokenizer.push(initial, out);
    for (;;) {
      for (const record of out) yield record;
      out.length = 0;
      const next = await nextPiece(pieces);
      if (next.done === true) break;
      tokenizer.push(next.value, out);
    }
    tokenizer.end(out);
    for (const record of out) yield record;
  } finally {
    await pieces.return?.();
  }
}

async function nextPiece(pieces: AsyncIterator<string>): Promise<IteratorResult<string>> {
  try {
    return await pieces.next();
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read the input: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * A copy of a string that does not keep the input piece it came from alive: V8 makes a
 * slice of a long string a view on it, so a domain kept in a Set for the whole run would
 * pin its whole 64 KiB piece (over all rows: the whole file). A JSON round trip is the
 * fastest exact flat copy.
 */
const own = (text: string): string => (text.length < 13 ? text : (JSON.parse(JSON.stringify(text)) as string));

/** The row's input and domain as strings of their own (the domain is often the input itself). */
function owned(input: string, domain: string | null): { input: string; domain: string | null } {
  const mine = own(input);
  return { input: mine, domain: domain === null ? null : domain === input ? mine : own(domain) };
}
const isBlank = (text: string) => text.trim() === '';
const isComment = (text: string) => text.trimStart().startsWith('#');
const unquoted = (name: string) => name.trim().replace(/^"(.*)"$/s, '$1').trim().toLowerCase();
const isKeyName = (name: string) => {
  const n = unquoted(name);
  return n === 'domain' || n === 'email';
};

/** How the first meaningful line says to read the input. */
function detect(first: string): { kind: 'csv'; delimiter: number } | { kind: 'list' } {
  if (first.includes(',')) return { kind: 'csv', delimiter: 0x2c };
  for (const delimiter of [';', '\t']) {
    if (first.includes(delimiter) && first.split(delimiter).some(isKeyName)) return { kind: 'csv', delimiter: delimiter.charCodeAt(0) };
  }
  if (isKeyName(first)) return { kind: 'csv', delimiter: 0x2c };
  return { kind: 'list' };
}

interface CsvLayout {
  width: number;
  domainIndex: number;
  requireIndex: number;
  extras: Array<[number, string]>;
}

function csvLayout(header: RawRecord): { layout: CsvLayout; header: InputHeader } {
  if (header.error !== null) throw new InputError(`the CSV header on line ${header.line} is malformed: ${header.error}`);
  const names = header.fields.map((name, i) => (name.trim() === '' ? `column_${i + 1}` : name.trim()));
  const seen = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase();
    if (seen.has(key)) throw new InputError(`the CSV header on line ${header.line} names the column ${quote(name, 60)} twice`);
    seen.add(key);
  }
  const lower = names.map((name) => name.toLowerCase());
  let domainIndex = lower.indexOf('domain');
  if (domainIndex < 0) domainIndex = lower.indexOf('email');
  if (domainIndex < 0) {
    const found = names.slice(0, 8).map((name) => quote(name, 40)).join(', ');
    throw new InputError(
      `the CSV header on line ${header.line} has no "domain" or "email" column (found ${found}${names.length > 8 ? ', …' : ''}); a plain list must have one domain a line and no commas`,
    );
  }
  const requireIndex = lower.indexOf('require');
  const extras: Array<[number, string]> = [];
  // The output's `domain` cell stands for a `domain` column; an `email` column is carried
  // too, so the address itself is not lost.
  names.forEach((name, i) => {
    if (i !== requireIndex && !(i === domainIndex && lower[i] === 'domain')) extras.push([i, name]);
  });
  return {
    layout: { width: names.length, domainIndex, requireIndex, extras },
    header: { kind: 'csv', domainColumn: names[domainIndex] ?? null, extraColumns: extras.map(([, name]) => name) },
  };
}

function checkDomain(input: string): { domain: string | null; error: string | null } {
  if (input === '') return { domain: null, error: 'empty domain' };
  const normalized = normalizeDomain(input);
  return normalized.ok ? { domain: normalized.domain, error: null } : { domain: null, error: normalized.error };
}

function csvRow(record: RawRecord, layout: CsvLayout): InputRow {
  const { fields } = record;
  const input = (fields[layout.domainIndex] ?? '').trim();
  // A broken record (a quote never closed, text after a closing quote, too long) cannot be
  // trusted at all: that is the one reason given.
  if (record.error !== null) {
    return { line: record.line, ...owned(input, null), error: record.error, warning: null, required: null, columns: carried(fields, layout) };
  }
  const errors: string[] = [];
  // Extra values: probably an unquoted comma, which shifts the cells after it. The domain
  // cell is still worth probing; the row says it may be shifted (INPUT_EXTRA_FIELDS).
  const shifted =
    fields.length > layout.width && fields.slice(layout.width).some((v) => !isBlank(v))
      ? `${fields.length} fields where the header has ${layout.width} (a value with an unquoted comma?): its other cells may be shifted`
      : null;
  const checked = checkDomain(input);
  if (checked.error !== null) errors.push(shifted !== null ? `${shifted}; ${checked.error}` : checked.error);
  let required: Requirement | null = null;
  let warning = shifted;
  if (layout.requireIndex >= 0) {
    const raw = (fields[layout.requireIndex] ?? '').trim();
    const parsed = raw === '' ? null : parseRequirement(raw);
    if (parsed !== null) required = parsed;
    else if (raw !== '' && shifted === null) errors.push(`unknown requirement ${quote(raw, 40)} (use ${requirementNames()}; several comma-separated)`);
    else if (raw !== '') warning = `${shifted}; its require cell ${quote(raw, 40)} names no sender policy, so the default applies`;
  }
  return {
    line: record.line,
    ...owned(input, errors.length === 0 ? checked.domain : null),
    error: errors.length === 0 ? null : errors.join('; '),
    warning: errors.length === 0 ? warning : null,
    required,
    columns: carried(fields, layout),
  };
}

/** The carried cells by header name. fromEntries defines own properties, so a column named "__proto__" is kept like any other. */
function carried(fields: readonly string[], layout: CsvLayout): Record<string, string> {
  return Object.fromEntries(layout.extras.map(([i, name]) => [name, fields[i] ?? '']));
}

function listRow(record: RawRecord): InputRow {
  const input = (record.fields[0] ?? '').trim();
  const checked = record.error !== null ? { domain: null, error: record.error } : checkDomain(input);
  return { line: record.line, ...owned(input, checked.domain), error: checked.error, warning: null, required: null, columns: {} };
}

/**
 * Opens the input: reads up to the header (or the first list entry) to decide the format,
 * then returns the header and the rows as a lazy stream (read as they are consumed).
 * Stopping early (`break` in `for await`) closes the source.
 *
 * @example
 * const { header, rows } = await openInput(createReadStream('partners.csv'));
 * for await (const row of rows) if (row.domain !== null) probe(row.domain);
 */
export async function openInput(
  source: NodeJS.ReadableStream | AsyncIterable<Buffer | string>,
): Promise<{ header: InputHeader; rows: AsyncIterable<InputRow> }> {
  const pieces = textPieces(source as AsyncIterable<Buffer | Uint8Array | string>);
  let done = false;
  try {
    // Skip blank and comment lines up to the first meaningful one.
    let pending = '';
    let pos = 0;
    let line = 1;
    let dropLF = false;
    let first: string | null = null;
    let eof = false;
    for (;;) {
      for (;;) {
        if (dropLF) {
          if (pos >= pending.length) break;
          if (pending.charCodeAt(pos) === LF) pos++;
          dropLF = false;
        }
        let j = pos;
        while (j < pending.length && pending.charCodeAt(j) !== LF && pending.charCodeAt(j) !== CR) j++;
        if (j >= pending.length) break;
        const text = pending.slice(pos, j);
        if (!isBlank(text) && !isComment(text)) {
          first = text;
          break;
        }
        line++;
        dropLF = pending.charCodeAt(j) === CR;
        pos = j + 1;
      }
      if (first !== null) break;
      pending = pending.slice(pos);
      pos = 0;
      if (pending.length > MAX_RECORD_CHARS) throw new InputError(`line ${line} is longer than ${MAX_RECORD_CHARS} characters: this is not a list of domains or a CSV`);
      const next = await nextPiece(pieces);
      if (next.done === true) {
        eof = true;
        if (!isBlank(pending) && !isComment(pending)) first = pending;
        break;
      }
      pending += next.value;
    }
    const rest = pending.slice(pos);
    if (first === null) {
      // Nothing but blank lines and comments: an empty list.
      done = true;
      await pieces.return(undefined);
      return { header: { kind: 'list', domainColumn: null, extraColumns: [] }, rows: (async function* () {})() };
    }
    const format = detect(first);
    const remaining: AsyncIterator<string> = eof ? (async function* () {})() : pieces;
    if (format.kind === 'list') {
      const stream = records(new RecordTokenizer(-1, false, line), rest, remaining);
      done = true;
      return {
        header: { kind: 'list', domainColumn: null, extraColumns: [] },
        rows: (async function* () {
          for await (const record of stream) {
            const text = record.fields[0] ?? '';
            if (record.error === null && (isBlank(text) || isComment(text))) continue;
            yield listRow(record);
          }
        })(),
      };
    }
    const stream = records(new RecordTokenizer(format.delimiter, true, line), rest, remaining);
    const headerRecord = await stream.next();
    if (headerRecord.done === true) throw new InputError('the input has no CSV header');
    let csv: ReturnType<typeof csvLayout>;
    try {
      csv = csvLayout(headerRecord.value);
    } catch (err) {
      await stream.return(undefined);
      throw err;
    }
    done = true;
    const { layout } = csv;
    return {
      header: csv.header,
      rows: (async function* () {
        for await (const record of stream) {
          if (record.error === null && record.fields.every(isBlank)) continue;
          yield csvRow(record, layout);
        }
      })(),
    };
  } finally {
    if (!done) await pieces.return(undefined).catch(() => undefined);
  }
}

/**
 * Counts the rows {@link openInput} will return, for progress totals, reading the file in
 * bytes with constant memory: for a list, lines that are neither blank nor `#` comments;
 * for a CSV, records after the header that hold something other than separators, quotes
 * and spaces (quotes are tracked, so line breaks inside quoted fields do not count).
 * Exact for well-formed input; approximate (off by a few rows) when a record overflows
 * MAX_RECORD_CHARS or a quote is never closed.
 *
 * @example const total = await countRecords('partners.csv'); // 10000
 */
export async function countRecords(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    let mode = 'undecided' as 'undecided' | 'list' | 'csv'; // (assigned in endLine too)
    let delimiter = 0x2c;
    let count = 0;
    let firstLine: Buffer[] = [];
    let firstLineBytes = 0;
    let inQuotes = false;
    let lastCR = false;
    let lineStart = true; // only spaces so far on this line (list: to spot '#')
    let comment = false;
    let content = false; // the record has something other than separators, quotes and spaces
    let atStart = true;
    const endLine = () => {
      if (mode === 'undecided') {
        const text = Buffer.concat(firstLine).toString('utf8');
        firstLine = [];
        firstLineBytes = 0;
        if (!isBlank(text) && !isComment(text)) {
          const format = detect(text.replace(/^\ufeff/, ''));
          mode = format.kind;
          if (format.kind === 'csv') delimiter = format.delimiter;
          else count++;
        }
      } else if (content && !comment) {
        count++;
      }
      inQuotes = false;
      lineStart = true;
      comment = false;
      content = false;
    };
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      let i = 0;
      if (atStart) {
        atStart = false;
        if (bytesRead >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) i = 3;
      }
      let segStart = i;
      for (; i < bytesRead; i++) {
        const c = buffer[i] as number;
        const afterCR = lastCR;
        lastCR = c === CR;
        if (c === LF || c === CR) {
          if (c === LF && afterCR) {
            segStart = i + 1;
            continue;
          }
          if (mode === 'csv' && inQuotes) continue;
          if (mode === 'undecided') firstLine.push(Buffer.from(buffer.subarray(segStart, i)));
          segStart = i + 1;
          endLine();
          continue;
        }
        if (mode === 'undecided') continue;
        if (c === 0x20 || c === 0x09) continue;
        if (mode === 'list') {
          if (lineStart && c === 0x23) comment = true;
          lineStart = false;
          content = true;
        } else if (c === QUOTE) {
          inQuotes = !inQuotes;
        } else if (c !== delimiter) {
          content = true;
        }
      }
      if (mode === 'undecided' && segStart < bytesRead) {
        firstLineBytes += bytesRead - segStart;
        if (firstLineBytes <= 4 * MAX_RECORD_CHARS) firstLine.push(Buffer.from(buffer.subarray(segStart, bytesRead)));
      }
    }
    if (mode === 'undecided' ? firstLine.length > 0 : content) endLine();
    return count;
  } finally {
    await handle.close();
  }
}
