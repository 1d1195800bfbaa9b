/**
 * A numbered-reply line connection (like Go's net/textproto): write command lines, read
 * replies, each read bounded by a deadline and by the parser's size limits. `command()` is
 * the one place that writes to the server (one command, or several in one packet). Everything
 * said is kept in a transcript. What the server does wrong is a StageError, with a kind the
 * prober maps to facts; anything else thrown here is a bug and is thrown as it is.
 */
import type { Socket } from 'node:net';
import type { ProbeFailure, SmtpReply, TranscriptEntry } from '../model/smtp.js';
import { DEFAULT_REPLY_LIMITS, ReplyFormatError, ReplyParser, type ReplyLimits } from './reply-parser.js';

/**
 * Why a stage of the dialogue failed, the server's doing (or an abort), with a kind the prober
 * maps to facts. Only this becomes a probe's failure: any other error is mxprobe's own bug.
 *
 * @example throw new StageError('timeout', 'timeout while reading server greeting');
 */
export class StageError extends Error {
  override name = 'StageError';

  constructor(
    readonly kind: ProbeFailure['kind'],
    message: string,
  ) {
    super(message);
  }
}

/** Most bytes of SMTP one session may receive before it is cut: in plaintext and over TLS together (see `alreadyReceived`). @example new SmtpConnection(tlsSocket, transcript, clock, undefined, plain.bytesReceived) */
export const MAX_SESSION_BYTES = 1024 * 1024;

/** @example const smtp = new SmtpConnection(socket, transcript, clock); const greeting = await smtp.readReply(10_000, 'server greeting'); */
export class SmtpConnection {
  private readonly parser: ReplyParser;
  private failure: StageError | null = null;
  /** A bug met while reading (an error that is not the server's): thrown by the next read as it is. */
  private internal: unknown = null;
  private waiter: (() => void) | null = null;
  private received = 0;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  // 'end' and then 'close' both come after every QUIT: one StageError (and its stack trace) is enough.
  private readonly onEnd = () => {
    if (this.failure === null) this.fail(new StageError('closed', 'server closed the connection'));
  };
  private readonly onError = (err: Error) => this.fail(new StageError('closed', `connection error: ${err.message}`));

  /**
   * `alreadyReceived`: bytes this session received before (in plaintext, before a TLS
   * upgrade), so that MAX_SESSION_BYTES bounds the whole session, not each half.
   */
  constructor(
    /** The socket read and written: handed over whole by detach() (for the TLS upgrade). */
    readonly socket: Socket,
    private readonly transcript: TranscriptEntry[],
    private readonly clock: () => number,
    limits: ReplyLimits = DEFAULT_REPLY_LIMITS,
    alreadyReceived = 0,
  ) {
    this.parser = new ReplyParser(limits, (line) => this.note('S', line));
    this.received = alreadyReceived;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
    // A socket that ended before it was handed over emits no further 'end' or 'close'.
    if (socket.destroyed || socket.readableEnded) this.fail(new StageError('closed', 'server closed the connection'));
  }

  /** Bytes received in this session so far (see `alreadyReceived`). */
  get bytesReceived(): number {
    return this.received;
  }

  note(dir: TranscriptEntry['dir'], text: string): void {
    this.transcript.push({ dir, text, ms: this.clock() });
  }

  /** Reads the next reply; `what` names it for the timeout message ("server greeting"). */
  readReply(timeoutMs: number, what: string): Promise<SmtpReply> {
    return this.readUntil(Date.now() + timeoutMs, what);
  }

  private async readUntil(deadline: number, what: string): Promise<SmtpReply> {
    for (;;) {
      const reply = this.nextReply();
      if (this.internal !== null) throw this.internal;
      if (reply !== null) return reply;
      if (this.failure !== null) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new StageError('timeout', `timeout while reading ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  /**
   * The one place that writes to the server: sends one command line and reads its reply
   * (`what` names it for a timeout, default "reply to VERB"), or sends several lines in one
   * write (pipelining, RFC 2920 §3.1) and reads `replies` replies, in order (default one per
   * line), all within `timeoutMs`. Whether the server allows pipelining is the caller's
   * business. A line holding CR or LF would be two commands: it is refused (TypeError).
   *
   * @example await smtp.command('EHLO probe.example', 10_000) // { code: 250, lines: [...] }
   * @example await smtp.command(['STARTTLS', 'NOOP'], 10_000, undefined, 1) // the reply to STARTTLS only
   */
  command(line: string, timeoutMs: number, what?: string): Promise<SmtpReply>;
  command(lines: readonly string[], timeoutMs: number, what?: string, replies?: number): Promise<SmtpReply[]>;
  async command(lines: string | readonly string[], timeoutMs: number, what?: string, replies?: number): Promise<SmtpReply | SmtpReply[]> {
    const list = typeof lines === 'string' ? [lines] : lines;
    for (const line of list) if (/[\r\n]/.test(line)) throw new TypeError(`an SMTP command line holds a line break: ${JSON.stringify(line)}`);
    if (this.internal !== null) throw this.internal;
    if (this.failure !== null && this.parser.pendingBytes === 0) throw this.failure;
    for (const line of list) this.note('C', line);
    this.socket.write(list.map((line) => `${line}\r\n`).join(''));
    const deadline = Date.now() + timeoutMs;
    const read: SmtpReply[] = [];
    for (let i = 0; i < (replies ?? list.length); i++) read.push(await this.readUntil(deadline, what ?? `reply to ${(list[i] ?? list[0] ?? '').split(' ')[0]}`));
    return typeof lines === 'string' ? (read[0] as SmtpReply) : read;
  }

  /**
   * Stops reading and hands the socket over (for the TLS upgrade). Returns how many bytes
   * had arrived beyond the last reply: after a 220 to STARTTLS they must be discarded,
   * never read as replies (RFC 3207 §6).
   */
  detach(): number {
    this.socket.pause();
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    // Replies are parsed only when read (nextReply), so whatever followed the last reply read
    // is still raw bytes here: counted exactly, and never written to the transcript as "S:" lines.
    return this.parser.pendingBytes;
  }

  private receive(chunk: Buffer): void {
    this.received += chunk.length;
    try {
      if (this.received > MAX_SESSION_BYTES) throw new ReplyFormatError(`server sent more than ${MAX_SESSION_BYTES} bytes`);
      this.parser.push(chunk);
    } catch (err) {
      this.protocolError(err);
    }
    this.waiter?.();
  }

  /**
   * Parses the next reply from the bytes received, or returns null when it is incomplete.
   * Parsing lazily (not in receive) matters after STARTTLS: bytes pipelined behind the 220
   * must stay unparsed so detach() discards them instead of transcribing them as replies.
   */
  private nextReply(): SmtpReply | null {
    if (this.failure !== null && this.failure.kind === 'protocol') return null;
    try {
      return this.parser.next();
    } catch (err) {
      this.protocolError(err);
      return null;
    }
  }

  /** A malformed reply is the server's doing (`protocol`); anything else is a bug, kept for the next read to throw. */
  private protocolError(err: unknown): void {
    this.socket.pause();
    if (err instanceof ReplyFormatError) this.fail(new StageError('protocol', err.message));
    else {
      this.internal ??= err;
      this.waiter?.();
    }
  }

  private fail(error: StageError): void {
    this.failure ??= error;
    this.waiter?.();
  }
}
