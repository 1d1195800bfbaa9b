/**
 * An SMTP client with one method per command, as Go's net/smtp has (Hello, StartTLS, Quit):
 * greeting, EHLO, STARTTLS, NOOP, QUIT, and pipelined commands, every one through the one
 * `command()` of the connection (connection.ts). It learns the server's EHLO keywords
 * (RFC 5321 §4.1.1.1) and forgets them when the connection turns to TLS (RFC 3207 §4.2: what
 * was learned in plaintext is not trusted). Deadlines are the caller's, per call; it never
 * sends mail. What the server does wrong is a StageError (connection.ts).
 */
import type { Socket } from 'node:net';
import type { SmtpReply, TranscriptEntry } from '../model/smtp.js';
import { SmtpConnection, StageError } from './connection.js';

/**
 * The extension keywords of an EHLO reply: each line after the first (RFC 5321 §4.1.1.1), upper-cased.
 *
 * @example ehloKeywords({ code: 250, lines: ['mx.example.com', 'starttls'] }) // ['STARTTLS']
 */
export function ehloKeywords(reply: SmtpReply): string[] {
  return reply.lines.slice(1).map((line) => line.trim().toUpperCase());
}

/** STARTTLS among the EHLO keywords (RFC 3207 §4). @example isStartTlsOffered(['PIPELINING', 'STARTTLS']) // true */
export function isStartTlsOffered(keywords: readonly string[]): boolean {
  return keywords.some((keyword) => keyword === 'STARTTLS' || keyword.startsWith('STARTTLS '));
}

/**
 * The EHLO argument: `given` (--ehlo-name, or this host's FQDN), else the address literal of
 * the local end of `socket` (RFC 5321 §4.1.4; the literal's form: §4.1.3).
 *
 * @example ehloArgument(socket, null) // '[192.0.2.7]'
 */
export function ehloArgument(socket: Socket, given: string | null): string {
  if (given !== null) return given;
  const local = socket.localAddress ?? '127.0.0.1';
  return local.includes(':') ? `[IPv6:${local}]` : `[${local}]`;
}

/**
 * What STARTTLS came to. Accepted (220): the client has let go of `socket` (paused, its
 * unread bytes kept for the handshake to read) and waits for `useTls`; `discardedBytes` arrived
 * after the 220 and before the handshake and were never read as replies (RFC 3207 §6: a sign of
 * command injection). Refused: the session goes on in plaintext, and `pipelined` holds the
 * replies to the commands sent behind STARTTLS (read, so that the dialogue stays in step).
 *
 * @example const started = await client.startTls(10_000); if (started.accepted) client.useTls(await handshake(started.socket));
 */
export type StartTlsOutcome =
  | { accepted: true; reply: SmtpReply; socket: Socket; discardedBytes: number }
  | { accepted: false; reply: SmtpReply; pipelined: SmtpReply[] };

/**
 * @example
 * const client = new SmtpClient(socket, transcript, clock);
 * await client.greeting(20_000);
 * await client.ehlo('probe.example', 10_000);
 * if (client.startTlsOffered) {
 *   const started = await client.startTls(10_000);
 *   if (started.accepted) client.useTls(await upgrade(started.socket));
 * }
 * await client.quit(1000);
 */
export class SmtpClient {
  private connection: SmtpConnection;
  /** Between a 220 to STARTTLS and useTls: no command may be sent. */
  private upgrading = false;
  private secure: boolean;
  private keywords: string[] | null = null;

  /** `tls`: the socket already speaks TLS (implicit TLS, RFC 8314 §3). */
  constructor(
    socket: Socket,
    private readonly transcript: TranscriptEntry[],
    private readonly clock: () => number,
    options: { tls?: boolean } = {},
  ) {
    this.connection = new SmtpConnection(socket, transcript, clock);
    this.secure = options.tls === true;
  }

  /** The keywords of the last 250 to EHLO on this connection (upper-cased); null before it, after another reply, or after STARTTLS. */
  get extensions(): readonly string[] | null {
    return this.keywords;
  }

  /** STARTTLS was advertised in the last EHLO reply (RFC 3207 §4). */
  get startTlsOffered(): boolean {
    return this.keywords !== null && isStartTlsOffered(this.keywords);
  }

  /** The session speaks TLS (implicit, or after useTls). */
  get tls(): boolean {
    return this.secure;
  }

  /** Bytes received in the whole session so far, plaintext and TLS together. */
  get bytesReceived(): number {
    return this.connection.bytesReceived;
  }

  /** Reads the server's greeting (RFC 5321 §4.2, §3.1: 220, or 421/554 to refuse), whatever its code. @example (await client.greeting(20_000)).code // 220 */
  async greeting(timeoutMs: number): Promise<SmtpReply> {
    this.usable();
    return this.connection.readReply(timeoutMs, `server greeting${this.over()}`);
  }

  /** EHLO (RFC 5321 §4.1.1.1); a 250 reply's keywords are learned, any other reply forgets them. @example (await client.ehlo('probe.example', 10_000)).code // 250 */
  async ehlo(name: string, timeoutMs: number): Promise<SmtpReply> {
    this.usable();
    const reply = await this.connection.command(`EHLO ${name}`, timeoutMs, `reply to EHLO${this.over()}`);
    this.keywords = reply.code === 250 ? ehloKeywords(reply) : null;
    return reply;
  }

  /**
   * STARTTLS (RFC 3207 §4). `pipelined`: commands written in the same packet right behind it
   * (only its reply is read; a server that answers them before the handshake shows in
   * `discardedBytes`: the command-injection test). On 220 the plaintext connection is let go.
   *
   * @example const started = await client.startTls(10_000, { pipelined: ['NOOP'] }); started.accepted && started.discardedBytes
   */
  async startTls(timeoutMs: number, options: { pipelined?: readonly string[] } = {}): Promise<StartTlsOutcome> {
    this.usable();
    const behind = options.pipelined ?? [];
    const [reply] = (await this.connection.command(['STARTTLS', ...behind], timeoutMs, 'reply to STARTTLS', 1)) as [SmtpReply];
    if (reply.code !== 220) {
      const pipelined: SmtpReply[] = [];
      for (const line of behind) pipelined.push(await this.connection.readReply(timeoutMs, `reply to ${line.split(' ')[0]}`));
      return { accepted: false, reply, pipelined };
    }
    // RFC 3207 §6: whatever the server sent after its 220 and before the handshake is discarded.
    const discardedBytes = this.connection.detach();
    this.upgrading = true;
    this.keywords = null;
    return { accepted: true, reply, socket: this.connection.socket, discardedBytes };
  }

  /**
   * Goes on over `socket`, the TLS session made on the socket startTls let go. What was
   * learned in plaintext is forgotten (RFC 3207 §4.2): ask EHLO again. The session's byte
   * cap (connection.ts MAX_SESSION_BYTES) counts what came in plaintext.
   *
   * @example client.useTls(session.socket); await client.ehlo(name, 10_000);
   */
  useTls(socket: Socket): void {
    if (!this.upgrading) throw new Error('useTls without an accepted STARTTLS');
    this.connection = new SmtpConnection(socket, this.transcript, this.clock, undefined, this.connection.bytesReceived);
    this.upgrading = false;
    this.secure = true;
    this.keywords = null;
  }

  /** NOOP (RFC 5321 §4.1.1.9). @example (await client.noop(10_000)).code // 250 */
  async noop(timeoutMs: number): Promise<SmtpReply> {
    this.usable();
    return this.connection.command('NOOP', timeoutMs);
  }

  /**
   * Waits up to `timeoutMs` for a reply the server sends without being asked (nothing was
   * sent since the last reply): null when none came. What a server that buffered commands
   * across STARTTLS sends after the handshake (the command injection check, RFC 3207 §6).
   * A close or a malformed reply is a StageError, as for any read.
   *
   * @example (await client.unsolicited(1000))?.code // 250: the answer to a NOOP pipelined behind STARTTLS
   */
  async unsolicited(timeoutMs: number): Promise<SmtpReply | null> {
    this.usable();
    try {
      return await this.connection.readReply(timeoutMs, `an unsolicited reply${this.over()}`);
    } catch (err) {
      if (err instanceof StageError && err.kind === 'timeout') return null;
      throw err;
    }
  }

  /** QUIT (RFC 5321 §4.1.1.10): reads the 221; a server may close without it (then a `closed` StageError). @example await client.quit(1000) */
  async quit(timeoutMs: number): Promise<SmtpReply> {
    this.usable();
    return this.connection.command('QUIT', timeoutMs);
  }

  /**
   * Several commands in one write (RFC 2920 §3.1), their replies read in order. Whether the
   * server offered PIPELINING is not checked: the caller decides what to send.
   *
   * @example await client.pipeline(['NOOP', 'NOOP'], 10_000) // two replies
   */
  async pipeline(lines: readonly string[], timeoutMs: number): Promise<SmtpReply[]> {
    this.usable();
    return this.connection.command(lines, timeoutMs);
  }

  private over(): string {
    return this.secure ? ' over TLS' : '';
  }

  /** A command between STARTTLS's 220 and useTls is a bug of the caller. */
  private usable(): void {
    if (this.upgrading) throw new Error('an SMTP command between STARTTLS and the TLS handshake');
  }
}
