/**
 * Reads messages a piece of text at a time: splits an mbox as the text comes, reads each
 * message's header block, unfolds its fields (RFC 5322 §2.2.3) and picks out the Received
 * fields, oldest first. Streaming and bounded: a line is looked at once (indexOf, no regex over
 * untrusted text longer than a field name), only a header is kept, never a body, and every size
 * is capped (HEADER_LIMITS), so memory does not grow with the input and time is linear in it.
 */

/**
 * The caps of `mxprobe headers` (HEADER_LIMITS), each a bound on what one input may cost.
 *
 * @example analyseMessages(readFileSync('huge.mbox'), new Date(), { messages: 100, inputBytes: 8 * 1024 * 1024 } satisfies Partial<HeaderLimits>)
 */
export interface HeaderLimits {
  /** Characters of one message's header block read; the rest is not read (HEADER_TOO_LARGE). */
  headerChars: number;
  /** Received fields kept per message: the newest ones (top of the header); TOO_MANY_RECEIVED_FIELDS. */
  receivedFields: number;
  /** Characters kept of one unfolded field (HOP_FIELD_TRUNCATED). */
  fieldChars: number;
  /** Messages of one input judged; the rest are counted only (TOO_MANY_MESSAGES). */
  messages: number;
  /** Bytes of one input read; the rest is not read (INPUT_TOO_LARGE). */
  inputBytes: number;
}

/**
 * The caps (README "mxprobe headers"). Every cap that leaves something unread makes the verdict
 * of what it touches unknown, never a pass (judge/judge-hops.ts).
 *
 * @example HEADER_LIMITS.inputBytes // 67108864 (64 MiB)
 */
export const HEADER_LIMITS: Readonly<HeaderLimits> = {
  headerChars: 1024 * 1024,
  receivedFields: 500,
  fieldChars: 16 * 1024,
  messages: 10_000,
  inputBytes: 64 * 1024 * 1024,
};

/** @example limitsOf({ messages: 3 }).headerChars // 1048576 */
export function limitsOf(overrides: Partial<HeaderLimits> | undefined): HeaderLimits {
  return { ...HEADER_LIMITS, ...overrides };
}

/** Message-ID, Subject, Date and the mbox From_ line are kept up to this many characters. */
const SHORT_FIELD_CHARS = 998;

/** A Received field, unfolded. */
export interface ReceivedField {
  value: string;
  /** 0 for the top (newest) Received field of the header. */
  fieldIndex: number;
  /** Longer than `fieldChars`: cut. */
  truncated: boolean;
}

export interface HeaderBlock {
  /** Oldest first: the bottom field is the first hop (RFC 5321 §4.4: each relay prepends its own). */
  received: ReceivedField[];
  /** Received fields in the header, also those past the cap. */
  receivedCount: number;
  receivedTruncated: boolean;
  messageId: string | null;
  subject: string | null;
  dateHeader: string | null;
  /** Valid header fields seen. */
  fieldCount: number;
  /** Lines neither indented nor `name:` that were joined to the field before (pasted headers lose indentation). */
  repairedLines: number;
  /** Characters of the header block read, line breaks included. */
  chars: number;
  /** The header block ran past `headerChars`: the rest was not read. */
  truncated: boolean;
  /** The input stopped inside this header (at its size cap, or a read error): the rest was not read. */
  inputCut: boolean;
  /** No empty line ended the header: the input was a bare header block. */
  headerOnly: boolean;
}

/** One message of an input as read: where it stood and its header. */
export interface RawMessage {
  /** 1-based position in the input. */
  index: number;
  /** The mbox `From ` line without `From `, or null outside an mbox. */
  envelopeFrom: string | null;
  header: HeaderBlock;
}

/** What splitting a whole input found. */
export interface SplitSummary {
  /** 'mbox' when the input starts with `From `; 'empty' when it holds nothing but white space. */
  kind: 'mbox' | 'single' | 'empty';
  /** Every message found, also past `limits.messages`. */
  messagesFound: number;
}

/**
 * A field name (RFC 5322 §3.6.8: printable US-ASCII but colon), allowing the obsolete white
 * space before the colon (§4.5). Returns the name or null. Linear, no regex.
 */
function fieldName(line: string, colon: number): string | null {
  let end = colon;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end -= 1;
  if (end === 0 || end > 200) return null;
  for (let i = 0; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c < 33 || c > 126) return null;
  }
  return line.slice(0, end);
}

type Wanted = 'received' | 'message-id' | 'subject' | 'date';

interface OpenField {
  kind: Wanted | null;
  parts: string[];
  length: number;
  cap: number;
  truncated: boolean;
}

function append(field: OpenField, piece: string): void {
  if (field.kind === null || field.truncated) return;
  const room = field.cap - field.length;
  if (piece.length > room) {
    field.parts.push(piece.slice(0, room));
    field.length = field.cap;
    field.truncated = true;
    return;
  }
  field.parts.push(piece);
  field.length += piece.length;
}

/** '' or a lone CR: an empty line. */
const isEmptyLine = (line: string) => line === '' || line === '\r';

/**
 * Reads one header block a line at a time: lines up to the first empty line (RFC 5322 §2.1),
 * each field unfolded by removing the line breaks before white space (§2.2.3), at most
 * `headerChars` characters. Keeps the Received fields (at most `receivedFields`, the newest;
 * each at most `fieldChars`), oldest first, and Message-ID, Subject and Date. Empty lines
 * before the first field are skipped (a pasted block often starts with one).
 *
 * @example
 * const reader = new HeaderReader();
 * reader.line('Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000', true, 1); // true: go on
 * reader.finish({ inputCut: false }).received[0]?.value // 'from a by b; Mon, 1 Jan 2024 00:00:00 +0000'
 */
export class HeaderReader {
  private readonly limits: HeaderLimits;
  private readonly received: ReceivedField[] = [];
  private receivedCount = 0;
  private readonly single: Partial<Record<Wanted, string>> = {};
  private fieldCount = 0;
  private repairedLines = 0;
  private current: OpenField | null = null;
  private chars = 0;
  private started = false;
  private truncated = false;
  private ended = false;

  constructor(overrides?: Partial<HeaderLimits>) {
    this.limits = limitsOf(overrides);
  }

  /** Characters of the next line worth keeping: the rest of the header budget (a longer line is cut there). */
  room(): number {
    return Math.max(0, this.limits.headerChars - this.chars);
  }

  /** No field read yet: only empty lines so far (an mbox separator may still follow). */
  get blank(): boolean {
    return !this.started;
  }

  /**
   * Feeds one line without its line feed. `whole` is false when the caller kept only the first
   * `room() + 1` characters of a longer line; `breakChars` is 1 when a line feed followed, else 0.
   * Returns true while the header goes on; false once it ended (an empty line) or was cut.
   */
  line(text: string, whole: boolean, breakChars: number): boolean {
    if (this.ended || this.truncated) return false;
    const room = this.room();
    if (room === 0) {
      // More header after the cap (even blank lines): the header did not end within it.
      this.truncated = true;
      return false;
    }
    if (whole && isEmptyLine(text)) {
      this.chars += text.length + breakChars;
      if (!this.started) return true;
      this.ended = true;
      return false;
    }
    this.started = true;
    let line: string;
    if (!whole || text.length > room) {
      // The header runs past its cap: read up to the cap, and no further.
      line = text.slice(0, room);
      this.truncated = true;
      this.chars += line.length;
    } else {
      line = text.endsWith('\r') ? text.slice(0, -1) : text;
      this.chars += text.length + breakChars;
    }
    if (line !== '') this.take(line);
    return !this.truncated;
  }

  /** The header was cut at its cap. */
  get cut(): boolean {
    return this.truncated;
  }

  private take(line: string): void {
    const first = line[0];
    if (first === ' ' || first === '\t') {
      if (this.current !== null) append(this.current, line);
      return;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? fieldName(line, colon) : null;
    if (name === null) {
      // Not a field and not indented: a header pasted from a web page or a PDF loses its
      // folding white space. Join it to the field before, with the space it stood for.
      this.repairedLines += 1;
      if (this.current !== null) append(this.current, ` ${line}`);
      return;
    }
    this.close();
    this.fieldCount += 1;
    const lower = name.toLowerCase();
    let kind: Wanted | null = null;
    if (lower === 'received') {
      this.receivedCount += 1;
      if (this.receivedCount <= this.limits.receivedFields) kind = 'received';
    } else if ((lower === 'message-id' || lower === 'subject' || lower === 'date') && this.single[lower] === undefined) {
      kind = lower;
    }
    this.current = { kind, parts: [], length: 0, cap: kind === 'received' ? this.limits.fieldChars : SHORT_FIELD_CHARS, truncated: false };
    append(this.current, line.slice(colon + 1));
  }

  private close(): void {
    const current = this.current;
    if (current === null || current.kind === null) return;
    const value = current.parts.join('').trim();
    if (current.kind === 'received') {
      this.received.push({ value, fieldIndex: this.receivedCount - 1, truncated: current.truncated });
    } else if (this.single[current.kind] === undefined) {
      this.single[current.kind] = value;
    }
    this.current = null;
  }

  /** The header as read. `inputCut`: the input stopped (its size cap, a read error) before the header ended. */
  finish(end: { inputCut: boolean }): HeaderBlock {
    const open = !this.ended && !this.truncated;
    // The input stopped inside the header: the field being read may go on (a folded line, or the
    // rest of a line), so it is cut too, and judged as such.
    if (open && end.inputCut && this.current !== null) this.current.truncated = true;
    this.close();
    return {
      received: this.received.slice().reverse(),
      receivedCount: this.receivedCount,
      receivedTruncated: this.receivedCount > this.limits.receivedFields,
      messageId: this.single['message-id'] ?? null,
      subject: this.single.subject ?? null,
      dateHeader: this.single.date ?? null,
      fieldCount: this.fieldCount,
      repairedLines: this.repairedLines,
      chars: this.chars,
      truncated: this.truncated,
      inputCut: open && end.inputCut,
      headerOnly: open && !end.inputCut,
    };
  }
}

/**
 * Reads a whole header block from text in memory (the first empty line ends it).
 *
 * @example readHeader('Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\n\nhi').received[0]?.value
 * // 'from a by b; Mon, 1 Jan 2024 00:00:00 +0000'
 */
export function readHeader(message: string, overrides?: Partial<HeaderLimits>): HeaderBlock {
  let header: HeaderBlock | null = null;
  const splitter = new MessageSplitter(overrides, (raw) => (header ??= raw.header), { mbox: false });
  splitter.push(message);
  splitter.end({ inputCut: false });
  return header ?? new HeaderReader(overrides).finish({ inputCut: false });
}

/**
 * Splits text in memory into messages (a MessageSplitter fed once).
 *
 * @example splitMessages('From a@b Mon Jan  1 00:00:00 2024\nSubject: hi\n\nbody\n').messages[0]?.header.subject // 'hi'
 */
export function splitMessages(text: string, overrides?: Partial<HeaderLimits>): SplitSummary & { messages: RawMessage[] } {
  const messages: RawMessage[] = [];
  const splitter = new MessageSplitter(overrides, (m) => messages.push(m));
  splitter.push(text);
  return { ...splitter.end({ inputCut: false }), messages };
}

type Mode = 'start' | 'header' | 'skip-header' | 'body' | 'skip-body';

/**
 * Splits an input into messages as its text comes, a piece at a time. An input that starts with
 * `From ` is an mbox: messages begin at `From ` lines that follow an empty line (the mboxo/mboxrd
 * convention; a body line starting `From ` right after text is kept in its message). Anything
 * else is one message, or a bare header block. Each message is handed on as soon as its header
 * has ended (or was cut): its body is skipped, never kept. Messages past `limits.messages` are
 * counted, not read. A line is kept only as far as it matters (the rest of the header budget, a
 * From_ line's 998 characters, else two characters), so a line without end costs no memory.
 *
 * @example
 * const seen: RawMessage[] = [];
 * const splitter = new MessageSplitter({}, (m) => seen.push(m));
 * splitter.push('From a@b Mon Jan  1 00:00:00 2024\nSubject: hi\n\nbody\n');
 * splitter.end({ inputCut: false }).kind // 'mbox'; seen[0]?.header.subject === 'hi'
 */
export class MessageSplitter {
  private readonly limits: HeaderLimits;
  private mode: Mode = 'start';
  private kind: 'mbox' | 'single' | null = null;
  /** The kept start of the current line, and the length of the whole line so far. */
  private line = '';
  private lineChars = 0;
  private first = true;
  private content = false;
  private previousEmpty = false;
  private found = 0;
  private reader: HeaderReader | null = null;
  private envelopeFrom: string | null = null;

  constructor(
    overrides: Partial<HeaderLimits> | undefined,
    private readonly onMessage: (message: RawMessage) => void,
    /** `mbox: false` reads the text as one message even when it starts with `From ` (readHeader). */
    private readonly options: { mbox: boolean } = { mbox: true },
  ) {
    this.limits = limitsOf(overrides);
  }

  /** Characters of the current line worth keeping in this state. */
  private keep(): number {
    switch (this.mode) {
      case 'start':
      case 'header':
        // The first line is a From_ line or a header line; a header line is cut at the header cap.
        return Math.max(SHORT_FIELD_CHARS, (this.reader?.room() ?? this.limits.headerChars) + 1);
      case 'body':
      case 'skip-header':
      case 'skip-body':
        return this.kind === 'mbox' && this.previousEmpty && this.mode !== 'skip-header' ? SHORT_FIELD_CHARS : 2;
    }
  }

  /** Feeds the next piece of the input's text. */
  push(text: string): void {
    let pos = 0;
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) pos = 1; // a byte order mark is not content
    }
    const n = text.length;
    while (pos < n) {
      const nl = text.indexOf('\n', pos);
      const end = nl === -1 ? n : nl;
      const want = this.keep() - this.line.length;
      if (want > 0) this.line += text.slice(pos, Math.min(end, pos + want));
      this.lineChars += end - pos;
      if (!this.content) this.content = hasContent(text, pos, end);
      if (nl === -1) {
        this.cutLongHeaderLine();
        break;
      }
      this.endLine(1);
      pos = nl + 1;
    }
  }

  /**
   * Ends the input: the last line, the message being read. `inputCut`: the input stopped at its
   * size cap or at a read error (a header being read then was cut).
   */
  end(end: { inputCut: boolean }): SplitSummary {
    if (this.lineChars > 0 || this.line !== '') this.endLine(0);
    if (this.reader !== null) this.emit(end.inputCut);
    const kind = !this.content ? 'empty' : this.kind === 'mbox' ? 'mbox' : 'single';
    return { kind, messagesFound: kind === 'empty' ? 0 : this.found };
  }

  private endLine(breakChars: number): void {
    const line = this.line;
    const whole = line.length === this.lineChars;
    this.line = '';
    this.lineChars = 0;
    const empty = whole && isEmptyLine(line);
    switch (this.mode) {
      case 'start':
        if (this.options.mbox && line.startsWith('From ')) {
          this.kind = 'mbox';
          this.startMessage(line);
        } else {
          this.kind = 'single';
          this.startMessage(null);
          this.headerLine(line, whole, breakChars);
        }
        break;
      case 'header':
        if (this.kind === 'mbox' && this.previousEmpty && this.reader?.blank === true && line.startsWith('From ')) {
          // A From_ line right after a message of nothing but empty lines.
          this.emit(false);
          this.startMessage(line);
        } else {
          this.headerLine(line, whole, breakChars);
        }
        break;
      case 'skip-header':
        if (empty) this.mode = this.kind === 'mbox' ? 'body' : 'skip-body';
        break;
      case 'body':
      case 'skip-body':
        if (this.kind === 'mbox' && this.previousEmpty && line.startsWith('From ')) this.startMessage(line);
        break;
    }
    this.previousEmpty = empty;
  }

  /**
   * A header line still going on past the header cap: the header is cut there and handed on now,
   * not when (or if) the line ends. The rest of the line is skipped.
   */
  private cutLongHeaderLine(): void {
    const reader = this.reader;
    if (this.mode !== 'header' || reader === null || this.lineChars <= reader.room() || this.line.length < this.keep()) return;
    if (this.kind === 'mbox' && this.previousEmpty && reader.blank && this.line.startsWith('From ')) return; // a From_ line: at its end
    this.headerLine(this.line, false, 0);
  }

  private headerLine(line: string, whole: boolean, breakChars: number): void {
    const reader = this.reader;
    if (reader === null) return;
    if (reader.line(line, whole, breakChars)) return;
    const cut = reader.cut;
    this.emit(false);
    // A header cut at its cap is skipped to its end; a complete one is followed by the body.
    this.mode = cut ? 'skip-header' : this.kind === 'mbox' ? 'body' : 'skip-body';
  }

  private startMessage(fromLine: string | null): void {
    this.found += 1;
    this.envelopeFrom = fromLine === null ? null : fromLine.slice('From '.length, SHORT_FIELD_CHARS).replace(/\r$/, '');
    if (this.found > this.limits.messages) {
      this.reader = null;
      this.mode = 'body';
      return;
    }
    this.reader = new HeaderReader(this.limits);
    this.mode = 'header';
  }

  private emit(inputCut: boolean): void {
    const reader = this.reader;
    if (reader === null) return;
    this.reader = null;
    this.onMessage({ index: this.found, envelopeFrom: this.envelopeFrom, header: reader.finish({ inputCut }) });
  }
}

/** True when text[from, to) has a character other than white space (stops at the first). */
function hasContent(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return true;
  }
  return false;
}
