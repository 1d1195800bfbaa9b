// Scripted fake SMTP server on loopback for integration tests: a normal ESMTP dialogue with a real
// STARTTLS upgrade (the same socket wrapped in a server-side tls.TLSSocket), or a hostile behaviour.
// Test helper only: never use outside tests, never bind anything but loopback.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';

export type FakeSmtpBehaviour =
  | 'normal' // the dialogue below
  | 'silent' // accept, record commands, never send a byte
  | 'trickle' // banner one byte every 200 ms, then 'x' forever: never a CRLF
  | 'flood' // '220 ' then endless 'x' (no newline) as fast as the client reads; ends at 64 MiB
  | 'flood-lines' // endless '220-xxxxxxxx\r\n'; ends at 64 MiB without a final line
  | 'close-after-banner' // banner, then FIN
  | 'close-after-starttls' // normal until STARTTLS; its 220, then the socket is destroyed
  | 'garbage-instead-of-tls' // normal until STARTTLS; its 220, then non-TLS bytes in answer to the ClientHello
  | 'mute-after-starttls' // normal until STARTTLS; its 220, then never a byte (the ClientHello is never answered)
  | 'silent-after-tls' // normal until the TLS handshake; then record commands, never answer
  | 'close-after-tls' // normal until the TLS handshake; then close at once (close_notify and FIN)
  | 'flood-after-tls'; // normal until the TLS handshake; the first command over TLS gets endless '250-x…' lines (64 MiB)

export interface FakeSmtpOptions {
  host?: string; // '127.0.0.1' (default) or '::1'
  tls?: {
    key: string;
    cert: string; // PEM chain as served: leaf first
    minVersion?: tls.SecureVersion;
    maxVersion?: tls.SecureVersion;
    ciphers?: string; // default `${tls.DEFAULT_CIPHERS}:@SECLEVEL=0`; e.g. 'DEFAULT@SECLEVEL=0' for TLS 1.0/1.1
    dhparam?: string | 'auto'; // PEM DH parameters for DHE suites (e.g. a 1024-bit group), or 'auto'
    ecdhCurve?: string; // e.g. 'P-256'; default Node's
    sigalgs?: string; // signature algorithms the server accepts, e.g. 'RSA+SHA1'
  };
  implicitTls?: boolean; // TLS from the first byte (port 465, RFC 8314): handshake, then the banner over TLS
  banner?: string[]; // raw greeting lines without CRLF; default ['220 fake.test ESMTP ready']
  ehloDomain?: string; // default 'fake.test'
  extensions?: string[]; // EHLO keywords; default PIPELINING, SIZE 10240000, 8BITMIME (+ STARTTLS, see below)
  advertiseStarttls?: boolean; // add STARTTLS to the default extensions when TLS is possible; default true
  starttlsReply?: string; // default '220 2.0.0 Ready to start TLS' with tls, '454 4.7.0 TLS not available' without
  injectAfterStarttls?: string; // bytes appended to the 220 reply, in the same socket.write
  replies?: Record<string, string[]>; // reply lines per upper-case verb; the verb's action (TLS, close) still happens
  tlsReplies?: Record<string, string[]>; // as `replies`, for commands received over TLS only (wins over `replies` there)
  replyDelayMs?: number; // delay before each reply, banner included
  behaviour?: FakeSmtpBehaviour; // default 'normal'
  sessionBehaviours?: FakeSmtpBehaviour[]; // behaviour of the n-th connection (0-based), else `behaviour`; the
  //                                          extensions and the STARTTLS reply still follow `behaviour`
}

export interface FakeSmtpSession {
  commands: string[]; // every line received, CRLF stripped, plaintext and TLS, in order (latin1)
  tls: boolean; // TLS handshake completed on the server side (with TLS 1.3 this is set after the
  //               client's secureConnect: check it after one more round trip, e.g. the post-TLS EHLO)
  tlsProtocol: string | null; // e.g. 'TLSv1.3'
  sni: string | null; // server name the client sent, if any
  tlsError: string | null; // server-side TLS error (e.g. handshake failure), if any
}

export interface FakeSmtpServer {
  host: string;
  port: number;
  connections: number; // total accepted
  open: number; // connections open now (the server side has not seen them close yet)
  peakConcurrent: number; // max simultaneous connections seen
  sessions: FakeSmtpSession[]; // one per accepted connection, in accept order
  close(): Promise<void>; // stop listening, destroy every socket, clear every timer
}

const MAX_LINE = 4096; // bytes without a LF before the fake gives up on the client
const FLOOD_LIMIT = 64 * 1024 * 1024;
const FLOOD_CHUNK = 64 * 1024;
const TRICKLE_MS = 200;
const DEFAULT_BANNER = ['220 fake.test ESMTP ready'];
const DEFAULT_EXTENSIONS = ['PIPELINING', 'SIZE 10240000', '8BITMIME'];

function crlf(lines: string[]): string {
  return lines.map((l) => `${l}\r\n`).join('');
}

/**
 * Start a fake SMTP server on an ephemeral loopback port.
 * @example
 * const smtp = await startFakeSmtp({ tls: pki.certs.valid });
 * try { ... connect to smtp.host:smtp.port ... } finally { await smtp.close(); }
 */
export async function startFakeSmtp(options: FakeSmtpOptions = {}): Promise<FakeSmtpServer> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== '::1') throw new Error(`fake SMTP binds loopback only, not ${host}`);
  const behaviour = options.behaviour ?? 'normal';
  const delayMs = options.replyDelayMs ?? 0;
  const domain = options.ehloDomain ?? 'fake.test';

  let secureContext: tls.SecureContext | null = null;
  if (options.tls) {
    const t = options.tls;
    const ctx: tls.SecureContextOptions = { key: t.key, cert: t.cert };
    if (t.minVersion) ctx.minVersion = t.minVersion;
    if (t.maxVersion) ctx.maxVersion = t.maxVersion;
    if (t.dhparam) ctx.dhparam = t.dhparam;
    if (t.ecdhCurve) ctx.ecdhCurve = t.ecdhCurve;
    if (t.sigalgs) ctx.sigalgs = t.sigalgs;
    // SECLEVEL=0 by default so the fake can serve SHA-1 signed and RSA-1024 certificates (OpenSSL 3
    // refuses to load them at level 1: 'ca md too weak'); the cipher list itself is Node's default.
    ctx.ciphers = t.ciphers ?? `${tls.DEFAULT_CIPHERS}:@SECLEVEL=0`;
    secureContext = tls.createSecureContext(ctx);
  }
  if (options.implicitTls === true && secureContext === null) throw new Error('implicitTls needs tls');
  const starttlsPossible =
    options.implicitTls !== true &&
    (secureContext !== null || behaviour === 'close-after-starttls' || behaviour === 'garbage-instead-of-tls' || behaviour === 'mute-after-starttls');
  const extensions =
    options.extensions ??
    (starttlsPossible && options.advertiseStarttls !== false ? [...DEFAULT_EXTENSIONS, 'STARTTLS'] : DEFAULT_EXTENSIONS);
  const starttlsReply =
    options.starttlsReply ?? (starttlsPossible ? '220 2.0.0 Ready to start TLS' : '454 4.7.0 TLS not available');

  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing: Promise<void> | null = null;

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => later(ms, resolve));
  const every = (ms: number, fn: () => void): NodeJS.Timeout => {
    const t = setInterval(fn, ms);
    timers.add(t);
    return t;
  };
  const stopTimer = (t: NodeJS.Timeout): void => {
    clearInterval(t);
    timers.delete(t);
  };
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('error', () => {}); // a broken client must never crash the test process
    s.once('close', () => sockets.delete(s));
  };

  const server = net.createServer();
  let current = 0;
  const api: FakeSmtpServer = {
    host,
    port: 0,
    connections: 0,
    get open(): number {
      return current;
    },
    peakConcurrent: 0,
    sessions: [],
    close(): Promise<void> {
      if (closing) return closing;
      closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const t of timers) clearTimeout(t); // clearTimeout also clears intervals
      timers.clear();
      for (const s of sockets) s.destroy();
      return closing;
    },
  };

  server.on('connection', (raw: net.Socket) => {
    track(raw);
    if (closing) {
      raw.destroy();
      return;
    }
    api.connections++;
    current++;
    api.peakConcurrent = Math.max(api.peakConcurrent, current);
    raw.once('close', () => current--);
    const session: FakeSmtpSession = { commands: [], tls: false, tlsProtocol: null, sni: null, tlsError: null };
    api.sessions.push(session);
    converse(raw, session, options.sessionBehaviours?.[api.connections - 1] ?? behaviour);
  });

  /** Writes `head`, then `unit` repeated as fast as the client reads, up to FLOOD_LIMIT bytes, then ends. */
  function flood(sock: net.Socket, unit: string, head: string): void {
    const chunk = Buffer.from(unit.repeat(Math.floor(FLOOD_CHUNK / unit.length)), 'latin1');
    let sent = 0;
    const more = (): void => {
      while (!sock.destroyed && sent < FLOOD_LIMIT) {
        sent += chunk.length;
        if (!sock.write(chunk)) {
          sock.once('drain', more);
          return;
        }
      }
      if (!sock.destroyed) sock.end();
    };
    if (head) sock.write(head);
    more();
  }

  function converse(raw: net.Socket, session: FakeSmtpSession, behaviour: FakeSmtpBehaviour): void {
    let sock: net.Socket = raw; // the current transport: raw, then the TLSSocket
    let secure = false;
    let buf = '';
    // dialogue: answer commands; mute: record, never answer; dead: ignore input
    const afterTls = behaviour === 'silent-after-tls' || behaviour === 'close-after-tls' || behaviour === 'flood-after-tls';
    let mode: 'dialogue' | 'mute' | 'dead' = behaviour === 'normal' || afterTls || behaviour === 'mute-after-starttls' ||
      behaviour === 'close-after-starttls' || behaviour === 'garbage-instead-of-tls' ? 'dialogue' : 'mute';
    let garbagePending = false;
    const queue: string[] = [];
    let busy = false;

    const send = (text: string | Buffer, cb?: () => void): void => {
      if (sock.destroyed || !sock.writable) return;
      if (cb) sock.write(text, cb);
      else sock.write(text);
    };

    const onData = (chunk: string): void => {
      if (garbagePending) {
        // first bytes after the STARTTLS 220, presumably the ClientHello: answer with non-TLS bytes
        garbagePending = false;
        send(Buffer.concat([Buffer.from('HTTP/1.0 400 Bad\r\n\r\n'), randomBytes(512)]));
        return;
      }
      if (mode === 'dead') return;
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        session.commands.push(line);
        if (mode === 'dialogue') queue.push(line);
      }
      if (buf.length > MAX_LINE) {
        buf = '';
        if (mode === 'dialogue') {
          mode = 'dead';
          queue.length = 0;
          send('500 5.5.2 line too long\r\n', () => sock.destroy());
        }
      }
      void pump();
    };

    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      while (mode === 'dialogue' && queue.length > 0) {
        const line = queue.shift() ?? '';
        if (delayMs > 0) await sleep(delayMs);
        if (mode !== 'dialogue' || sock.destroyed) break;
        command(line);
      }
      busy = false;
    };

    const ehloLines = (): string[] => {
      const ext = secure ? extensions.filter((e) => e.toUpperCase() !== 'STARTTLS') : extensions;
      if (ext.length === 0) return [`250 ${domain}`];
      return [`250-${domain}`, ...ext.map((e, i) => `${i === ext.length - 1 ? '250 ' : '250-'}${e}`)];
    };

    const command = (line: string): void => {
      const verb = (line.split(' ', 1)[0] ?? '').toUpperCase();
      const override = (secure ? options.tlsReplies?.[verb] : undefined) ?? options.replies?.[verb];
      if (secure && behaviour === 'flood-after-tls') {
        mode = 'dead';
        return flood(sock, '250-xxxxxxxx\r\n', '');
      }
      switch (verb) {
        case 'EHLO':
          return send(crlf(override ?? ehloLines()));
        case 'HELO':
          return send(crlf(override ?? [`250 ${domain}`]));
        case 'STARTTLS':
          return starttls(override);
        case 'QUIT':
          mode = 'dead';
          sock.end(crlf(override ?? ['221 2.0.0 Bye']));
          return;
        case 'NOOP':
        case 'RSET':
          return send(crlf(override ?? ['250 2.0.0 OK']));
        case 'MAIL':
        case 'RCPT':
        case 'DATA':
          return send(crlf(override ?? ['502 5.5.1 not in this test server']));
        default:
          return send(crlf(override ?? ['500 5.5.2 unknown']));
      }
    };

    const starttls = (override: string[] | undefined): void => {
      if (secure) return send(crlf(override ?? ['503 5.5.1 TLS already active']));
      const lines = override ?? [starttlsReply];
      const last = lines[lines.length - 1] ?? '';
      if (!/^220( |$)/.test(last)) return send(crlf(lines));
      const text = crlf(lines) + (options.injectAfterStarttls ?? '');
      // RFC 3207 §6: plaintext pipelined after STARTTLS is discarded (it stays recorded in commands).
      queue.length = 0;
      buf = '';
      if (behaviour === 'close-after-starttls') {
        mode = 'dead';
        send(text, () => raw.destroy());
        return;
      }
      if (behaviour === 'mute-after-starttls') {
        mode = 'dead';
        send(text);
        return;
      }
      if (behaviour === 'garbage-instead-of-tls') {
        mode = 'dead';
        garbagePending = true;
        send(text);
        return;
      }
      if (!secureContext) return send(text); // a 220 with nothing behind it: stays plaintext
      upgrade(text, secureContext);
    };

    const upgrade = (text: string, ctx: tls.SecureContext): void => {
      // Synchronously: write the 220, stop reading plaintext, hand the socket to TLS. The client
      // cannot send its ClientHello before it has the 220, so no byte is lost in between.
      raw.removeListener('data', onData);
      if (text !== '') raw.write(text);
      const t = new tls.TLSSocket(raw, {
        isServer: true,
        secureContext: ctx,
        requestCert: false,
        rejectUnauthorized: false,
        SNICallback: (name, cb) => {
          session.sni = name;
          cb(null, ctx);
        },
      });
      track(t);
      t.on('error', (err: Error) => {
        session.tlsError ??= err.message;
        t.destroy();
      });
      // Whatever arrives over `t` comes after the handshake, even when it is read before the
      // 'secure' event (a TLS 1.3 client may send EHLO right behind its Finished): the
      // behaviours after TLS apply from here, not from 'secure'.
      secure = true;
      if (behaviour === 'silent-after-tls') mode = 'mute';
      if (behaviour === 'close-after-tls') mode = 'dead';
      t.once('secure', () => {
        session.tls = true;
        session.tlsProtocol = t.getProtocol();
        const sn = (t as tls.TLSSocket & { servername?: string | false }).servername;
        if (session.sni === null && typeof sn === 'string' && sn !== '') session.sni = sn;
        if (behaviour === 'close-after-tls') t.end(); // close_notify, then FIN
        if (options.implicitTls === true && mode === 'dialogue') greet(); // RFC 8314 §3.3: the greeting comes over TLS
      });
      t.setEncoding('latin1');
      t.on('data', onData);
      sock = t;
    };

    raw.setEncoding('latin1');
    raw.on('data', onData);

    const start = (): void => {
      if (raw.destroyed) return;
      const banner = options.banner ?? DEFAULT_BANNER;
      switch (behaviour) {
        case 'silent':
          return;
        case 'trickle': {
          const text = banner[0] ?? '220 ';
          let i = 0;
          const t = every(TRICKLE_MS, () => {
            if (raw.destroyed) return stopTimer(t);
            raw.write(i < text.length ? text.charAt(i) : 'x');
            i++;
          });
          raw.once('close', () => stopTimer(t));
          return;
        }
        case 'flood':
          return flood(raw, 'x', '220 ');
        case 'flood-lines':
          return flood(raw, '220-xxxxxxxx\r\n', '');
        case 'close-after-banner':
          mode = 'dead';
          raw.end(crlf(banner));
          return;
        default:
          if (options.implicitTls === true && secureContext !== null) return upgrade('', secureContext);
          greet();
      }
    };
    const greet = (): void => {
      send(crlf(options.banner ?? DEFAULT_BANNER));
      void pump(); // commands sent before the banner (a client that does not wait)
    };
    if (delayMs > 0) later(delayMs, start);
    else start();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  api.port = (server.address() as AddressInfo).port;
  return api;
}
