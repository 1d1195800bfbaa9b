/**
 * `mxprobe receive`'s server: listens where told (and only there), serves each connection as
 * an SMTP session (session.ts) in the round its sender IP is in (sender-book.ts), with a global
 * and a per-IP cap on sessions at once, and hands each session's record on as it ends. The end
 * of DATA: the message is analysed with the `headers` code, saved when asked (--save: inside DIR,
 * under a name made here), and answered 451 (the sender comes back for its next round) or 550
 * (decided: it stops retrying). Nothing is ever relayed or delivered. I/O.
 */
import { writeFileSync } from 'node:fs';
import net, { type Socket } from 'node:net';
import path from 'node:path';
import { createSecureContext, rootCertificates, type SecureContext, type TLSSocket } from 'node:tls';
import { analyseMessages } from '../headers/analyse.js';
import type { ClientCertificate, SenderRecord, SendingLetter, SessionRecord } from '../model/receive.js';
import { SenderBook } from './sender-book.js';
import { runSession, SESSION_LIMITS, type SessionHost, type SessionLimits } from './session.js';
import type { PemPair } from './wrong-name-certificate.js';
import type { CertificateInfo } from '../model/certificate.js';

/** How the receiver runs. @example const options: ReceiverOptions = { host: '127.0.0.1', port: 0, valid, wrongName, name: 'mx.example.com' }; */
export interface ReceiverOptions {
  host: string;
  port: number;
  /** --cert and --key. */
  valid: PemPair;
  /** The round-2 certificate (wrong-name-certificate.ts). */
  wrongName: PemPair;
  /** The name in the greeting and EHLO reply (--name). */
  name: string;
  /** Extra trust anchors for client certificates (--ca-file), PEM. */
  caPems?: readonly string[];
  limits?: Partial<SessionLimits>;
  /** Sessions at once, over all IPs (--max-sessions). */
  maxSessions?: number;
  /** Sessions at once from one IP. */
  maxSessionsPerIp?: number;
  /** --save: the folder messages are written in (it exists). */
  saveDir?: string | null;
  /** Reverse name of an IP (bounded; null when none); absent: not looked up. */
  reverseName?: (ip: string) => Promise<string | null>;
  /** Describes a client certificate chain (DER, leaf first); absent: no chain details. */
  describeChain?: (ders: Buffer[]) => CertificateInfo[];
  /** Called with each session's record as it ends. */
  onSession?: (record: SessionRecord) => void;
  /** Called when a sender becomes decided. */
  onDecided?: (ip: string) => void;
}

/** The bound address. @example const { host, port } = await receiver.listen(); */
export interface Bound {
  host: string;
  port: number;
}

/** Session records kept for the JSON report: a flood of connections cannot grow memory without bound. @example MAX_KEPT_SESSIONS // 10000 */
export const MAX_KEPT_SESSIONS = 10_000;

/** '::ffff:127.0.0.2' → '127.0.0.2'. */
const plainIp = (ip: string | undefined) => (ip ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

/** The TLS settings of both certificates: every protocol from TLS 1.0 and every cipher (a sender's weak choice is a fact to report). */
function contextOf(pair: PemPair, ca: readonly string[]): SecureContext {
  return createSecureContext({ cert: pair.cert, key: pair.key, ca: [...ca], minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
}

/**
 * The receiver.
 *
 * @example
 * const receiver = new Receiver({ host: '127.0.0.1', port: 0, valid, wrongName, name: 'mx.test', onSession: (s) => print(s) });
 * const { port } = await receiver.listen();
 * // … later
 * await receiver.close(); receiver.senders(null)
 */
export class Receiver {
  private readonly server: net.Server;
  private readonly book = new SenderBook();
  private readonly limits: SessionLimits;
  private readonly validContext: SecureContext;
  private readonly wrongContext: SecureContext;
  private readonly open = new Map<Socket, Promise<SessionRecord>>();
  private readonly perIp = new Map<string, number>();
  private readonly reverse = new Map<string, Promise<string | null>>();
  private readonly allSessions: SessionRecord[] = [];
  private nextId = 1;
  private closing = false;
  /** Session records past MAX_KEPT_SESSIONS, not kept for the JSON report (they were handed to onSession). */
  private leftOut = 0;

  constructor(private readonly options: ReceiverOptions) {
    this.limits = { ...SESSION_LIMITS, ...options.limits };
    const ca = [...rootCertificates, ...(options.caPems ?? [])];
    this.validContext = contextOf(options.valid, ca);
    this.wrongContext = contextOf(options.wrongName, ca);
    this.server = net.createServer({ allowHalfOpen: false }, (socket) => this.serve(socket));
    this.server.maxConnections = Math.max(1, (options.maxSessions ?? 20) * 2);
  }

  /** Starts listening; resolves with the bound address (port 0: the one the system chose). @example const { port } = await receiver.listen(); */
  listen(): Promise<Bound> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.options.host, port: this.options.port, exclusive: true }, () => {
        this.server.off('error', reject);
        const a = this.server.address() as net.AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /** The sessions that ended, in order (the first MAX_KEPT_SESSIONS). @example receiver.sessions().length */
  sessions(): SessionRecord[] {
    return [...this.allSessions];
  }

  /** Sessions that ended past MAX_KEPT_SESSIONS (not in sessions()). @example receiver.sessionsLeftOut() // 0 */
  sessionsLeftOut(): number {
    return this.leftOut;
  }

  private keep(record: SessionRecord): void {
    if (this.allSessions.length < MAX_KEPT_SESSIONS) this.allSessions.push(record);
    else this.leftOut += 1;
  }

  /** The verdict per sender. @example receiver.senders('c')[0]?.meets */
  senders(required: SendingLetter | null): SenderRecord[] {
    return this.book.records(required);
  }

  /** Every sender seen is decided. @example if (receiver.allDecided()) await receiver.close(); */
  allDecided(): boolean {
    return this.book.allDecided();
  }

  /** Sessions in progress. @example receiver.inProgress() // 0 */
  inProgress(): number {
    return this.open.size;
  }

  /**
   * Stops listening; sessions in progress get `graceMs` to end, then are cut (their records
   * are kept). Reverse look-ups still pending are given up.
   *
   * @example await receiver.close(2000);
   */
  async close(graceMs = 2000): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const pending = [...this.open.values()];
    if (pending.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([Promise.all(pending), grace]);
      clearTimeout(timer);
      for (const socket of this.open.keys()) socket.destroy();
      await Promise.all([...this.open.values()]);
    }
    await closed;
    await this.settleReverseNames(500);
  }

  private async settleReverseNames(ms: number): Promise<void> {
    const all = [...this.reverse.entries()];
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([Promise.all(all.map(async ([ip, p]) => this.book.setReverseName(ip, await p))), cap]);
    clearTimeout(timer);
  }

  private reverseNameOf(ip: string): Promise<string | null> {
    const lookup = this.options.reverseName;
    if (lookup === undefined) return Promise.resolve(null);
    let p = this.reverse.get(ip);
    if (p === undefined) {
      p = lookup(ip).catch(() => null);
      this.reverse.set(ip, p);
      void p.then((name) => this.book.setReverseName(ip, name));
    }
    return p;
  }

  private refuse(socket: Socket, ip: string, reason: string): void {
    const id = this.nextId++;
    socket.on('error', () => undefined);
    socket.end(`421 4.7.0 ${this.options.name} ${reason}, try again later\r\n`);
    setTimeout(() => socket.destroy(), 1000).unref();
    const record: SessionRecord = {
      record: 'session', id, ip, reverseName: null, ehlo: null, helo: false, startedTls: false, tls: null, tlsError: null,
      clientCertificate: null, round: 1, counted: false, offered: { starttls: false, certificate: null }, outcome: 'refused',
      dataReply: null, mailFrom: null, rcptTo: [], message: null, badCommands: 0, injectionRefused: false,
      timings: { startedAt: new Date().toISOString(), tlsMs: null, dataMs: null, totalMs: 0 },
    };
    this.keep(record);
    this.options.onSession?.(record);
  }

  private serve(socket: Socket): void {
    const ip = plainIp(socket.remoteAddress);
    if (this.closing) return void socket.destroy();
    const max = this.options.maxSessions ?? 20;
    const maxPerIp = this.options.maxSessionsPerIp ?? 5;
    if (this.open.size >= max) return this.refuse(socket, ip, 'too many sessions');
    if ((this.perIp.get(ip) ?? 0) >= maxPerIp) return this.refuse(socket, ip, 'too many sessions from your address');
    if (!this.book.hasRoomFor(ip)) return this.refuse(socket, ip, 'too many senders');
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    socket.setNoDelay(true);
    const { round, decided } = this.book.roundFor(ip);
    const offerTls = round !== 3;
    const certificate = round === 2 ? 'wrong-name' : 'valid';
    const host: SessionHost = {
      id: this.nextId++,
      ip,
      name: this.options.name,
      round,
      offered: { starttls: offerTls, certificate: offerTls ? certificate : null },
      context: offerTls ? (round === 2 ? this.wrongContext : this.validContext) : null,
      limits: this.limits,
      endOfData: (session, message) => this.endOfData(session, message, decided),
    };
    const reverse = this.reverseNameOf(ip);
    const running = runSession(socket, host, (tls) => this.clientCertificateOf(tls)).then(async (record) => {
      if (!decided && !record.counted && this.book.observe(record) && this.book.isDecided(ip)) this.options.onDecided?.(ip);
      let timer: NodeJS.Timeout | undefined;
      record.reverseName = await Promise.race([reverse, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 1000)))]);
      clearTimeout(timer);
      return record;
    });
    this.open.set(socket, running);
    void running.then((record) => {
      this.open.delete(socket);
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, left);
      this.keep(record);
      this.options.onSession?.(record);
    });
  }

  private endOfData(session: SessionRecord, message: Buffer, turnedAway: boolean): { code: '451' | '550'; savedAs: string | null; received: SessionRecord['message'] } {
    let code: '451' | '550';
    if (turnedAway || this.book.isDecided(session.ip)) code = '550';
    else if (this.book.observe(session)) code = this.book.isDecided(session.ip) ? '550' : '451';
    else code = '451'; // a parallel session of a round already seen: come back
    if (code === '550' && session.counted && !turnedAway) this.options.onDecided?.(session.ip);
    const savedAs = this.save(session, message);
    const report = analyseMessages(message, new Date(), { messages: 1, inputBytes: this.limits.messageBytes });
    return { code, savedAs, received: { size: message.length, received: report.messages[0] ?? null, savedAs } };
  }

  /** --save: `session-<id>-<time>.eml` inside DIR, never overwriting; null when not asked or it failed. */
  private save(session: SessionRecord, message: Buffer): string | null {
    const dir = this.options.saveDir;
    if (dir === null || dir === undefined) return null;
    const stamp = session.timings.startedAt.replace(/[^0-9TZ]/g, '');
    const name = `session-${session.id}-${stamp}.eml`;
    try {
      writeFileSync(path.join(dir, name), message, { flag: 'wx', mode: 0o600 });
      return name;
    } catch {
      return null;
    }
  }

  private clientCertificateOf(tls: TLSSocket): ClientCertificate | null {
    const peer = tls.getPeerCertificate(true);
    if (peer === null || peer === undefined || Object.keys(peer).length === 0 || peer.raw === undefined) return null;
    const ders: Buffer[] = [];
    const seen = new Set<string>();
    let c: typeof peer | undefined = peer;
    while (c !== undefined && c.raw !== undefined && ders.length < 10) {
      const key = c.fingerprint256;
      if (seen.has(key)) break;
      seen.add(key);
      ders.push(c.raw);
      c = c.issuerCertificate as typeof peer | undefined;
    }
    // A TLSSocket made outside a tls.Server is not given `authorized`: OpenSSL's verdict on the
    // chain (against Node's roots and --ca-file, the context's `ca`) is read from the handle.
    const handle = (tls as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
    let error: string | null;
    try {
      const e = handle?.verifyError?.();
      error = e === null ? null : e === undefined ? 'not verified' : (e as NodeJS.ErrnoException).code ?? e.message;
    } catch {
      error = 'not verified';
    }
    return { chain: this.options.describeChain?.(ders) ?? [], trusted: error === null, error };
  }
}
