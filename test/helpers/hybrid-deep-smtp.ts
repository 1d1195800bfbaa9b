// A fake SMTP server on loopback for `--deep` through the CLI: behind STARTTLS each ClientHello is
// routed by who built it. node:tls (the probe's own handshake, and the deep checks that need a full
// handshake) sends the session_ticket extension (RFC 5077) by default; the deep scans' hand-built
// hellos never do (src/tls/wire/client-hello.ts). Hand-built hellos are answered BY HAND under a
// HelloPolicy (test/helpers/fake-tls-hello.ts answerHello), so a server can "accept" 3DES or RC4,
// which OpenSSL 3 no longer builds; without a policy every hello goes to the real tls.Server. It
// counts connections and the most open at once (measured when a client's first line arrives, so a
// connection the client has already closed never counts), can say 421 after N connections, and can
// buffer commands pipelined behind STARTTLS (CVE-2011-0411). Test helper only: loopback only.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { answerHello, parseClientHello, type HelloPolicy } from './fake-tls-hello.ts';

export interface HybridDeepOptions {
  /** The real TLS server's options (node:tls); ciphers default `DEFAULT@SECLEVEL=0`. */
  tls: tls.TlsOptions;
  /** How hand-built hellos are answered; absent: the real TLS server answers them too. */
  hand?: HelloPolicy;
  /** Commands pipelined behind STARTTLS: discarded (default, RFC 3207 §6) or run inside TLS. */
  afterStarttls?: 'discard' | 'buffer';
  /** Connections after the first N are greeted '421 4.7.0 Too many connections' and closed. */
  greet421After?: number;
}

export interface HybridSession {
  commands: string[]; // every line received, plaintext and TLS, in order
  hand: boolean; // the hello was answered by hand
  tls: boolean; // a real handshake completed
  refused421: boolean;
}

export interface HybridDeepServer {
  host: string;
  port: number;
  sessions: HybridSession[];
  /** The most connections open at once, seen from the client's side (see the header). */
  maxConcurrent: number;
  close(): Promise<void>;
}

const SESSION_TICKET = 35;
const MAX_BYTES = 64 * 1024;

/** @example const smtp = await startHybridDeepSmtp({ tls: { key, cert }, hand: { versions: ['TLSv1.2'], suites: [0x000a] } }); */
export async function startHybridDeepSmtp(options: HybridDeepOptions): Promise<HybridDeepServer> {
  const serverOptions: tls.TlsOptions = { ciphers: 'DEFAULT@SECLEVEL=0', ...options.tls };
  tls.createSecureContext(serverOptions); // bad options fail here
  const open = new Set<net.Socket>();
  const sockets = new Set<net.Socket>();
  const api: HybridDeepServer = { host: '127.0.0.1', port: 0, sessions: [], maxConcurrent: 0, close: async () => {} };

  const server = net.createServer((raw) => {
    sockets.add(raw);
    open.add(raw);
    raw.on('error', () => {});
    raw.once('end', () => open.delete(raw));
    raw.once('close', () => {
      open.delete(raw);
      sockets.delete(raw);
    });
    const session: HybridSession = { commands: [], hand: false, tls: false, refused421: false };
    api.sessions.push(session);
    if (options.greet421After !== undefined && api.sessions.length > options.greet421After) {
      session.refused421 = true;
      raw.end('421 4.7.0 hybrid.test Too many connections\r\n');
      return;
    }
    let first = true;
    let text = '';
    let write = (s: string): void => {
      if (!raw.destroyed) raw.write(s);
    };
    let secure = false;
    const reply = (line: string): string => {
      const verb = (line.split(' ', 1)[0] ?? '').toUpperCase();
      if (verb === 'EHLO') return secure ? '250-hybrid.test\r\n250 PIPELINING\r\n' : '250-hybrid.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n';
      if (verb === 'NOOP') return '250 2.0.0 Ok\r\n';
      if (verb === 'QUIT') return '221 2.0.0 Bye\r\n';
      return '502 5.5.2 not here\r\n';
    };
    const lines = (chunk: Buffer): string[] => {
      text += chunk.toString('latin1');
      const out: string[] = [];
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n')) {
        out.push(text.slice(0, i).replace(/\r$/, ''));
        text = text.slice(i + 1);
      }
      if (text.length > MAX_BYTES) raw.destroy();
      return out;
    };
    const onPlain = (chunk: Buffer): void => {
      if (first) {
        first = false;
        api.maxConcurrent = Math.max(api.maxConcurrent, open.size);
      }
      const received = lines(chunk);
      for (const [i, line] of received.entries()) {
        session.commands.push(line);
        if (line.toUpperCase() !== 'STARTTLS') {
          write(reply(line));
          if (line.toUpperCase() === 'QUIT') raw.end();
          continue;
        }
        const behind = received.slice(i + 1);
        session.commands.push(...behind);
        text = '';
        raw.off('data', onPlain);
        raw.write('220 2.0.0 Ready to start TLS\r\n');
        readHello(options.afterStarttls === 'buffer' ? behind : []);
        return;
      }
    };
    const readHello = (pending: string[]): void => {
      let bytes = Buffer.alloc(0);
      const onHello = (chunk: Buffer): void => {
        bytes = Buffer.concat([bytes, chunk]);
        if (bytes.length > MAX_BYTES) return void raw.destroy();
        if (bytes.length < 5 || bytes.length < 5 + bytes.readUInt16BE(3)) return;
        raw.off('data', onHello);
        let hello;
        try {
          hello = parseClientHello(bytes);
        } catch {
          raw.destroy();
          return;
        }
        if (options.hand !== undefined && !hello.extensions.includes(SESSION_TICKET)) {
          session.hand = true;
          const answer = answerHello(hello, options.hand);
          if (answer.length === 0) raw.destroy();
          else raw.write(answer);
          raw.on('data', () => {}); // the client's alert; it closes
          raw.once('end', () => raw.destroy());
          return;
        }
        raw.pause();
        raw.unshift(bytes);
        upgrade(pending);
      };
      raw.on('data', onHello);
    };
    const upgrade = (pending: string[]): void => {
      const front = tls.createServer(serverOptions);
      front.on('tlsClientError', () => {});
      front.on('secureConnection', (t: tls.TLSSocket) => {
        t.on('error', () => {});
        session.tls = true;
        secure = true;
        write = (s) => {
          if (!t.destroyed) t.write(s);
        };
        for (const line of pending) write(reply(line));
        t.on('data', (chunk: Buffer) => {
          for (const line of lines(chunk)) {
            session.commands.push(line);
            write(reply(line));
            if (line.toUpperCase() === 'QUIT') t.end();
          }
        });
      });
      front.emit('connection', raw);
    };
    raw.on('data', onPlain);
    write('220 hybrid.test ESMTP\r\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  api.port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;
  api.close = () => {
    closing ??= new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    return closing;
  };
  return api;
}
