/**
 * Reads messages from text already in memory: splits an mbox, takes each message's header
 * block, unfolds its fields (RFC 5322 §2.2.3) and picks out the Received fields, oldest first.
 * Pure and bounded: indexOf scanning and no regex over untrusted text longer than a field name;
 * every size is capped (HEADER_LIMITS), so a huge or hostile input costs at most one linear pass.
 */

export interface HeaderLimits {
  /** Characters of one message's header block read; the rest is ignored (HEADER_TOO_LARGE). */
  headerChars: number;
  /** Received fields kept per message: the newest ones (top of the header). */
  receivedFields: number;
  /** Characters kept of one unfolded field. */
  fieldChars: number;
  /** Messages of an mbox read. */
  messages: number;
}

export const HEADER_LIMITS: Readonly<HeaderLimits> = {
  headerChars: 1024 * 1024,
  receivedFields: 500,
  fieldChars: 16 * 1024,
  messages: 1000,
};

/** Message-ID, Subject, Date and the mbox From_ line are kept up to this many characters. */
const SHORT_FIELD_CHARS = 998;

/** One message's text: the From_ line apart, the rest cut a little past the header cap. */
export interface RawMessage {
  /** 1-based position in the input. */
  index: number;
  /** The mbox `From ` line without `From `, or null outside an mbox. */
  envelopeFrom: string | null;
  /** The message from its first header line, at most `headerChars + 1` characters. */
  text: string;
}

export interface SplitInput {
  kind: 'mbox' | 'single' | 'empty';
  /** At most `limits.messages`. */
  messages: RawMessage[];
  /** Every message found, also past the cap. */
  messagesFound: number;
}

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
  /** Characters of the header block read. */
  chars: number;
  /** The header block ran past `headerChars`. */
  truncated: boolean;
  /** No empty line ended the header: the input was a bare header block. */
  headerOnly: boolean;
}

const BOM = '\ufeff';

function limitsOf(overrides: Partial<HeaderLimits> | undefined): HeaderLimits {
  return { ...HEADER_LIMITS, ...overrides };
}

/** True when the text has a character other than white space (one linear pass, stops early). */
function hasContent(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return true;
  }
  return false;
}

/** A From_ separator starts at `at`: the start of the input, or a line after an empty line. */
function isSeparatorAt(text: string, at: number): boolean {
  if (at === 0) return true;
  // `at` follows '\n'; the line before it must be empty: "\n\n" or "\n\r\n".
  if (text[at - 2] === '\n') return true;
  return text[at - 2] === '\r' && text[at - 3] === '\n';
}

/**
 * Splits an input into messages. An input that starts with `From ` is an mbox: messages begin
 * at `From ` lines that follow an empty line (the mboxo/mboxrd convention; a body line starting
 * `From ` right after text is kept in its message). Anything else is one message, or a bare
 * header block.
 *
 * @example splitMessages('From a@b Mon Jan  1 00:00:00 2024\nReceived: …\n\nbody\n').kind // 'mbox'
 */
export function splitMessages(input: string, overrides?: Partial<HeaderLimits>): SplitInput {
  const limits = limitsOf(overrides);
  const text = input.startsWith(BOM) ? input.slice(1) : input;
  if (!hasContent(text)) return { kind: 'empty', messages: [], messagesFound: 0 };
  if (!text.startsWith('From ')) {
    return { kind: 'single', messages: [{ index: 1, envelopeFrom: null, text: text.slice(0, limits.headerChars + 1) }], messagesFound: 1 };
  }
  // Starts of the kept messages, plus the start of the one after the last kept (its end).
  const starts: number[] = [0];
  let found = 1;
  let pos = 0;
  for (;;) {
    const nl = text.indexOf('\nFrom ', pos);
    if (nl === -1) break;
    pos = nl + 1;
    if (!isSeparatorAt(text, pos)) continue;
    found += 1;
    if (starts.length <= limits.messages) starts.push(pos);
  }
  const messages: RawMessage[] = [];
  const kept = Math.min(found, limits.messages);
  for (let k = 0; k < kept; k++) {
    const start = starts[k] ?? 0;
    const end = starts[k + 1] ?? text.length;
    const lineEnd = text.indexOf('\n', start);
    const bodyStart = lineEnd === -1 || lineEnd >= end ? end : lineEnd + 1;
    const fromLine = text.slice(start + 'From '.length, Math.min(bodyStart, start + SHORT_FIELD_CHARS)).replace(/\r?\n$/, '');
    messages.push({
      index: k + 1,
      envelopeFrom: fromLine,
      text: text.slice(bodyStart, Math.min(end, bodyStart + limits.headerChars + 1)),
    });
  }
  return { kind: 'mbox', messages, messagesFound: found };
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

/**
 * Reads a message's header block: lines up to the first empty line (RFC 5322 §2.1), each
 * field unfolded by removing the line breaks before white space (§2.2.3), only the first
 * `headerChars` characters. Keeps the Received fields (at most `receivedFields`, the newest;
 * each at most `fieldChars`), oldest first, and Message-ID, Subject and Date.
 *
 * @example readHeader('Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\n\nhi').received[0]?.value
 * // 'from a by b; Mon, 1 Jan 2024 00:00:00 +0000'
 */
export function readHeader(message: string, overrides?: Partial<HeaderLimits>): HeaderBlock {
  const limits = limitsOf(overrides);
  const limit = Math.min(message.length, limits.headerChars);
  const received: ReceivedField[] = [];
  let receivedCount = 0;
  const single: Partial<Record<Wanted, string>> = {};
  let fieldCount = 0;
  let repairedLines = 0;
  let headerOnly = true;
  let current: OpenField | null = null;
  let pos = 0;

  const close = (): void => {
    if (current === null || current.kind === null) return;
    const value = current.parts.join('').trim();
    if (current.kind === 'received') {
      received.push({ value, fieldIndex: receivedCount - 1, truncated: current.truncated });
    } else if (single[current.kind] === undefined) {
      single[current.kind] = value;
    }
  };

  // Empty lines before the first field (a pasted block often starts with one) are skipped.
  while (pos < limit) {
    const nl = message.indexOf('\n', pos);
    if (nl === -1 || nl >= limit) break;
    const line = message.slice(pos, nl);
    if (line !== '' && line !== '\r') break;
    pos = nl + 1;
  }

  while (pos < limit) {
    const nl = message.indexOf('\n', pos);
    const lineEnd = nl === -1 || nl >= limit ? limit : nl;
    let line = message.slice(pos, lineEnd);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = nl === -1 || nl >= limit ? limit : nl + 1;
    if (line === '') {
      headerOnly = false;
      break;
    }
    const first = line[0];
    if (first === ' ' || first === '\t') {
      if (current !== null) append(current, line);
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? fieldName(line, colon) : null;
    if (name === null) {
      // Not a field and not indented: a header pasted from a web page or a PDF loses its
      // folding white space. Join it to the field before, with the space it stood for.
      repairedLines += 1;
      if (current !== null) append(current, ` ${line}`);
      continue;
    }
    close();
    fieldCount += 1;
    const lower = name.toLowerCase();
    let kind: Wanted | null = null;
    if (lower === 'received') {
      receivedCount += 1;
      if (receivedCount <= limits.receivedFields) kind = 'received';
    } else if ((lower === 'message-id' || lower === 'subject' || lower === 'date') && single[lower] === undefined) {
      kind = lower;
    }
    current = { kind, parts: [], length: 0, cap: kind === 'received' ? limits.fieldChars : SHORT_FIELD_CHARS, truncated: false };
    append(current, line.slice(colon + 1));
  }
  close();
  const truncated = headerOnly && message.length > limits.headerChars;
  return {
    received: received.reverse(),
    receivedCount,
    receivedTruncated: receivedCount > limits.receivedFields,
    messageId: single['message-id'] ?? null,
    subject: single.subject ?? null,
    dateHeader: single.date ?? null,
    fieldCount,
    repairedLines,
    chars: pos,
    truncated,
    headerOnly: headerOnly && !truncated,
  };
}
