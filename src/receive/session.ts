/**
 * One SMTP session of `mxprobe receive`, server side, on a connected socket: greets, answers
 * EHLO with what its round offers, upgrades on STARTTLS, takes one envelope and message at a
 * time, and records what the client did (model/receive.ts SessionRecord). I/O; never throws
 * for what a client does: every read is bounded (a command line, the message size, idle and
 * session deadlines, bad commands), and whatever goes past a bound ends the session with a
 * reply and an outcome. Never relays, never delivers: the receiver decides the reply to the end
 * of DATA (451 to bring the sender back for its next round, 550 once decided).
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { ClientCertificate, Offered, ReceivedTls, Round, SessionOutcome, SessionRecord } from '../model/receive.js';
import { TLS13 } from '../model/tls-protocols.js';

/** The bounds of one session (README "mxprobe receive", Safety). @example const strict: SessionLimits = { ...SESSION_LIMITS, idleMs: 5000 }; */
export interface SessionLimits {
  /** Bytes of one command line, CRLF included (RFC 5321 §4.5.3.1.4: 512; a generous cap). */
  commandLineBytes: number;
  /** Bytes of one message (dot-unstuffed); beyond: 552 and the session ends. */
  messageBytes: number;
  /** Longest wait for the client's next bytes (a command, the handshake, message data). */
  idleMs: number;
  /** Longest session, whatever the client does. */
  sessionMs: number;
  /** Bad or out-of-order commands before the session is ended with 421. */
  badCommands: number;
  /** Recipients per message (RFC 5321 §4.5.3.1.8: at least 100). */
  recipients: number;
}

/** The defaults. @example SESSION_LIMITS.messageBytes // 10485760 (10 MiB) */
export const SESSION_LIMITS: Readonly<SessionLimits> = {
  commandLineBytes: 2048,
  messageBytes: 10 * 1024 * 1024,
  idleMs: 60_000,
  sessionMs: 600_000,
  badCommands: 20,
  recipients: 100,
};

/** What the receiver tells a session and asks of it. @example const host: SessionHost = receiver.hostFor(socket); */
export interface SessionHost {
  id: number;
  ip: string;
  /** The name in the greeting and the EHLO reply. */
  name: string;
  round: Round;
  /** STARTTLS offered and with which certificate; null context: not offered. */
  offered: Offered;
  context: SecureContext | null;
  limits: SessionLimits;
  /**
   * The end of DATA: the receiver records what the session showed and answers '451' (come back
   * for the next round) or '550' (decided, or turned away). `message` is the message as received.
   */
  endOfData(session: SessionRecord, message: Buffer): { code: '451' | '550'; savedAs: string | null; received: SessionRecord['message'] };
}

const CRLF = '\r\n';

/** A TLS 1.2 suite's key exchange from its OpenSSL name; null for TLS 1.3 (the server side is not told the group). */
function keyExchangeOf(protocol: string | null, cipher: string | null): string | null {
  if (cipher === null || protocol === TLS13) return null;
  if (cipher.startsWith('ECDHE')) return 'ECDHE';
  if (cipher.startsWith('DHE') || cipher.startsWith('EDH')) return 'DHE';
  return 'RSA';
}

/** The address part of `MAIL FROM:<a@b> SIZE=…` / `RCPT TO:<a@b>`, or null when malformed. */
function pathArgument(line: string, verb: 'MAIL FROM:' | 'RCPT TO:'): string | null {
  const rest = line.slice(verb.length).trimStart();
  if (!rest.startsWith('<')) return null;
  const end = rest.indexOf('>');
  return end < 0 ? null : rest.slice(1, end);
}

/**
 * Runs a session to its end and resolves with its record (never rejects). `onEnd` runs before
 * the record is resolved.
 *
 * @example const record = await runSession(socket, host, (c) => certificateOf(c));
 */
export function runSession(socket: Socket, host: SessionHost, describeClientCertificate: (tls: TLSSocket) => ClientCertificate | null): Promise<SessionRecord> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const record: SessionRecord = {
      record: 'session',
      id: host.id,
      ip: host.ip,
      reverseName: null,
      ehlo: null,
      helo: false,
      startedTls: false,
      tls: null,
      tlsError: null,
      clientCertificate: null,
      round: host.round,
      counted: false,
      offered: host.offered,
      outcome: 'dropped',
      dataReply: null,
      mailFrom: null,
      rcptTo: [],
      message: null,
      badCommands: 0,
      injectionRefused: false,
      timings: { startedAt: new Date().toISOString(), tlsMs: null, dataMs: null, totalMs: 0 },
    };
    const limits = host.limits;
    let io: Socket = socket; // the plain socket, then the TLS one
    let ended = false;
    let greeted = false;
    let inTls = false;
    let handshaking = false;
    let mail = false;
    let comeBack = false; // a 451 asked the client to come back for its next round: no more mail in this session
    let inData = false;
    let pending = Buffer.alloc(0);
    let body: Buffer[] = [];
    let bodyBytes = 0;
    let atLineStart = true;
    let dataStarted = 0;
    let idleTimer: NodeJS.Timeout | null = null;
    const sessionTimer = setTimeout(() => finish('timeout', '421 4.4.2 session too long, closing'), limits.sessionMs);

    const write = (line: string) => {
      if (!ended && !io.destroyed) io.write(line + CRLF);
    };
    const touch = () => {
      if (idleTimer !== null) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => finish('timeout', '421 4.4.2 idle too long, closing'), limits.idleMs);
    };

    function finish(outcome: SessionOutcome, lastReply: string | null = null): void {
      if (ended) return;
      if (lastReply !== null && !handshaking) write(lastReply);
      if (handshaking && record.tlsError === null) record.tlsError = outcome === 'timeout' ? 'handshake timed out' : 'connection closed during the handshake';
      ended = true;
      clearTimeout(sessionTimer);
      if (idleTimer !== null) clearTimeout(idleTimer);
      if (outcome === 'quit' || outcome === 'dropped') {
        if (record.dataReply !== null) record.outcome = 'message';
        else if (record.startedTls) record.outcome = 'quit-after-handshake';
        else record.outcome = outcome;
      } else record.outcome = outcome;
      record.timings.totalMs = Math.round(performance.now() - t0);
      io.end();
      // A client that does not close within a moment is cut off.
      const cut = setTimeout(() => {
        io.destroy();
        socket.destroy();
      }, 1000);
      cut.unref();
      io.once('close', () => clearTimeout(cut));
      resolve(record);
    }

    const bad = (reply: string) => {
      record.badCommands += 1;
      if (record.badCommands >= limits.badCommands) finish('error', '421 4.7.0 too many errors, closing');
      else write(reply);
    };

    const ehloReply = (extended: boolean) => {
      const lines = [host.name];
      if (extended) {
        lines.push('PIPELINING', `SIZE ${limits.messageBytes}`, '8BITMIME', 'ENHANCEDSTATUSCODES');
        if (host.offered.starttls && !inTls) lines.push('STARTTLS');
      }
      lines.forEach((l, i) => write(`250${i === lines.length - 1 ? ' ' : '-'}${l}`));
    };

    function command(raw: string): void {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const upper = line.toUpperCase();
      const verb = upper.split(' ', 1)[0] ?? '';
      switch (verb) {
        case 'EHLO':
        case 'HELO': {
          const arg = line.slice(4).trim();
          if (arg === '') return bad('501 5.5.4 syntax: EHLO hostname');
          if (record.ehlo === null) {
            record.ehlo = arg;
            record.helo = verb === 'HELO';
          }
          greeted = true;
          mail = false;
          return ehloReply(verb === 'EHLO');
        }
        case 'STARTTLS': {
          if (line.length !== 8) return bad('501 5.5.4 syntax: STARTTLS takes no argument');
          if (!host.offered.starttls || host.context === null) return bad('502 5.5.1 STARTTLS not offered');
          if (inTls) return bad('503 5.5.1 TLS already active');
          if (!greeted) return bad('503 5.5.1 EHLO first');
          write('220 2.0.0 ready to start TLS');
          startTls(host.context);
          return;
        }
        case 'MAIL': {
          if (!upper.startsWith('MAIL FROM:')) return bad('501 5.5.4 syntax: MAIL FROM:<address>');
          if (!greeted) return bad('503 5.5.1 EHLO first');
          if (mail) return bad('503 5.5.1 nested MAIL command');
          if (comeBack) return finish('quit', '421 4.7.0 come back in a new session for the next round, closing');
          const from = pathArgument(line, 'MAIL FROM:');
          if (from === null) return bad('501 5.1.7 bad sender address syntax');
          record.mailFrom ??= from;
          mail = true;
          return write('250 2.1.0 ok');
        }
        case 'RCPT': {
          if (!upper.startsWith('RCPT TO:')) return bad('501 5.5.4 syntax: RCPT TO:<address>');
          if (!mail) return bad('503 5.5.1 MAIL first');
          const to = pathArgument(line, 'RCPT TO:');
          if (to === null) return bad('501 5.1.3 bad recipient address syntax');
          if (record.rcptTo.length >= limits.recipients) return write('452 4.5.3 too many recipients');
          record.rcptTo.push(to);
          return write('250 2.1.5 ok');
        }
        case 'DATA': {
          if (line.length !== 4) return bad('501 5.5.4 syntax: DATA takes no argument');
          if (!mail || record.rcptTo.length === 0) return bad('503 5.5.1 RCPT first');
          write('354 end data with <CR><LF>.<CR><LF>');
          inData = true;
          atLineStart = true;
          body = [];
          bodyBytes = 0;
          dataStarted = performance.now();
          return;
        }
        case 'RSET':
          mail = false;
          return write('250 2.0.0 ok');
        case 'NOOP':
          return write('250 2.0.0 ok');
        case 'VRFY':
          return write('252 2.1.5 cannot verify');
        case 'QUIT':
          return finish('quit', '221 2.0.0 bye');
        default:
          return bad('502 5.5.2 command not recognised');
      }
    }

    /** The end of DATA: the receiver records and decides the reply. */
    function endOfData(): void {
      inData = false;
      mail = false;
      const message = Buffer.concat(body, bodyBytes);
      body = [];
      record.timings.dataMs = Math.round(performance.now() - dataStarted);
      record.dataReply = '451'; // the observation needs it set; the receiver's answer replaces it
      const answer = host.endOfData(record, message);
      record.dataReply = answer.code;
      record.message = answer.received;
      record.outcome = 'message';
      if (answer.code === '451') {
        comeBack = true;
        write('451 4.7.0 mxprobe receive: message not accepted yet, try again later (a TLS test in rounds)');
      } else {
        write('550 5.7.0 mxprobe receive: test complete, message not delivered (a TLS test receiver)');
      }
    }

    /** Feeds message data; returns the bytes after the end of DATA (pipelined commands), or null while DATA goes on. */
    function data(chunk: Buffer): Buffer | null {
      let pos = 0;
      while (pos < chunk.length) {
        const lf = chunk.indexOf(0x0a, pos);
        if (lf < 0) {
          const rest = chunk.subarray(pos);
          // ".", ".\r" at a line start may be the end mark cut by the network: keep it for the next chunk.
          if (atLineStart && rest.length <= 2 && rest[0] === 0x2e) return (pending = Buffer.from(rest)), null;
          add(rest, atLineStart);
          atLineStart = false;
          return null;
        }
        const segment = chunk.subarray(pos, lf + 1);
        pos = lf + 1;
        if (atLineStart && segment[0] === 0x2e && (segment.length === 2 || (segment.length === 3 && segment[1] === 0x0d))) {
          if (ended) return null;
          endOfData();
          return chunk.subarray(pos);
        }
        add(segment, atLineStart);
        atLineStart = true;
        if (ended) return null;
      }
      return null;
    }

    function add(segment: Buffer, lineStart: boolean): void {
      const piece = lineStart && segment[0] === 0x2e ? segment.subarray(1) : segment; // dot-unstuffing (RFC 5321 §4.5.2)
      if (bodyBytes + piece.length > limits.messageBytes) {
        record.dataReply = '552';
        finish('too-large', '552 5.3.4 message too big, closing');
        return;
      }
      body.push(Buffer.from(piece));
      bodyBytes += piece.length;
    }

    function onBytes(chunk: Buffer): void {
      if (ended || handshaking) return;
      touch();
      let input: Buffer = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      pending = Buffer.alloc(0);
      while (input.length > 0 && !ended && !handshaking) {
        if (inData) {
          const rest = data(input);
          if (rest === null) return;
          input = rest;
          continue;
        }
        const lf = input.indexOf(0x0a);
        if (lf < 0) {
          if (input.length > limits.commandLineBytes) return finish('too-large', '500 5.5.2 line too long, closing');
          pending = Buffer.from(input);
          return;
        }
        if (lf + 1 > limits.commandLineBytes) return finish('too-large', '500 5.5.2 line too long, closing');
        const line = input.subarray(0, lf).toString('latin1');
        input = input.subarray(lf + 1);
        command(line);
        if (handshaking && input.length > 0) {
          // Plaintext sent after STARTTLS before the handshake (CVE-2011-0411): never read as commands.
          record.injectionRefused = true;
          input = Buffer.alloc(0);
        }
      }
    }

    function startTls(context: SecureContext): void {
      handshaking = true;
      record.startedTls = true;
      socket.removeListener('data', onBytes);
      pending = Buffer.alloc(0);
      const tlsStart = performance.now();
      const secure = new TLSSocket(socket, { isServer: true, secureContext: context, requestCert: true, rejectUnauthorized: false });
      io = secure;
      secure.on('error', (err: Error) => {
        if (!ended && handshaking) {
          record.tlsError = err.message.slice(0, 300);
          finish('quit-after-handshake');
        } else if (!ended) finish('dropped');
      });
      secure.once('secure', () => {
        handshaking = false;
        inTls = true;
        greeted = false; // RFC 3207 §4.2: the client must EHLO again
        mail = false;
        record.timings.tlsMs = Math.round(performance.now() - tlsStart);
        const cipher = secure.getCipher();
        const protocol = secure.getProtocol();
        const sni = (secure as TLSSocket & { servername?: string | false }).servername;
        const tls: ReceivedTls = {
          protocol,
          cipher: cipher?.standardName ?? cipher?.name ?? null,
          keyExchange: keyExchangeOf(protocol, cipher?.name ?? null),
          sni: typeof sni === 'string' && sni !== '' ? sni : null,
        };
        record.tls = tls;
        try {
          record.clientCertificate = describeClientCertificate(secure);
        } catch {
          record.clientCertificate = null;
        }
        touch();
      });
      secure.on('data', onBytes);
      secure.on('end', () => finish('dropped'));
      secure.on('close', () => finish('dropped'));
    }

    socket.on('data', onBytes);
    socket.on('error', () => finish('dropped'));
    socket.on('end', () => finish('dropped'));
    socket.on('close', () => finish('dropped'));
    touch();
    write(`220 ${host.name} ESMTP mxprobe receive (a TLS test receiver: nothing is delivered)`);
  });
}
