/**
 * Incremental parser for SMTP replies (RFC 5321 §4.2): "250-first", "250-more", "250 last".
 * Accepts CRLF and bare LF, keeps 8-bit text (decoded as UTF-8, invalid bytes as U+FFFD),
 * and enforces limits so a hostile server cannot make it buffer without bound.
 */
import type { SmtpReply } from '../model/smtp.js';

/** @example new ReplyParser({ maxLineBytes: 512, maxLines: 10 }) */
export interface ReplyLimits {
  /** Longest reply line accepted, in bytes (RFC 5321 §4.5.3.1.5 says 512; real servers exceed it). */
  maxLineBytes: number;
  /** Most lines in one multi-line reply. */
  maxLines: number;
}

/** @example new ReplyParser(DEFAULT_REPLY_LIMITS) */
export const DEFAULT_REPLY_LIMITS: ReplyLimits = { maxLineBytes: 2048, maxLines: 100 };

/** A reply that breaks RFC 5321 §4.2 or the limits. @example if (err instanceof ReplyFormatError) … */
export class ReplyFormatError extends Error {}

const LINE = /^([2-5][0-9][0-9])(?:([ -])(.*))?$/s;
const decoder = new TextDecoder('utf-8', { fatal: false });

/** @example const parser = new ReplyParser(); parser.push(Buffer.from('250 ok\r\n')); parser.next() // { code: 250, lines: ['ok'] } */
export class ReplyParser {
  private buffer: Buffer = Buffer.alloc(0);
  private lines: Array<{ code: number; text: string }> = [];
  /** Raw text of each completed line, for the transcript. */
  readonly onLine: ((line: string) => void) | undefined;

  constructor(
    private readonly limits: ReplyLimits = DEFAULT_REPLY_LIMITS,
    onLine?: (line: string) => void,
  ) {
    this.onLine = onLine;
  }

  /** Bytes received after the last complete line. */
  get pendingBytes(): number {
    return this.buffer.length;
  }

  /** Adds bytes from the network. Throws ReplyFormatError when a line grows past the limit. */
  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.buffer.indexOf(0x0a) === -1 && this.buffer.length > this.limits.maxLineBytes) {
      throw new ReplyFormatError(`reply line longer than ${this.limits.maxLineBytes} bytes`);
    }
  }

  /** The next complete reply, or null when more bytes are needed. Throws ReplyFormatError on a malformed reply. */
  next(): SmtpReply | null {
    for (;;) {
      const end = this.buffer.indexOf(0x0a);
      if (end === -1) return null;
      if (end > this.limits.maxLineBytes) throw new ReplyFormatError(`reply line longer than ${this.limits.maxLineBytes} bytes`);
      const raw = this.buffer.subarray(0, end > 0 && this.buffer[end - 1] === 0x0d ? end - 1 : end);
      this.buffer = this.buffer.subarray(end + 1);
      const line = decoder.decode(raw);
      this.onLine?.(line);
      const match = LINE.exec(line);
      if (match === null) throw new ReplyFormatError(`malformed reply line ${JSON.stringify(line.slice(0, 80))}`);
      const code = Number(match[1]);
      const first = this.lines[0];
      if (first !== undefined && first.code !== code) {
        throw new ReplyFormatError(`reply code changed from ${first.code} to ${code} inside a multi-line reply`);
      }
      this.lines.push({ code, text: match[3] ?? '' });
      if (this.lines.length > this.limits.maxLines) throw new ReplyFormatError(`reply longer than ${this.limits.maxLines} lines`);
      if (match[2] !== '-') {
        const reply = { code, lines: this.lines.map((l) => l.text) };
        this.lines = [];
        return reply;
      }
    }
  }
}
