// A fake SMTP server on loopback for the deep connection checks (src/deep/certificates-by-signature.ts,
// ocsp.ts, renegotiation.ts, command-injection.ts): STARTTLS is handed to a real tls.Server (the raw
// socket emitted as its 'connection'), so every server-side TLS feature works as in production: several
// certificates (RSA + ECDSA), OCSP stapling ('OCSPRequest'), renegotiation settings (secureOptions).
// What happens to commands pipelined behind STARTTLS is chosen: discarded (RFC 3207 §6, Postfix),
// buffered and executed after the handshake (CVE-2011-0411), or answered in plaintext before it.
// Test helper only: never use outside tests, never bind anything but loopback.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';

export interface DeepSmtpOptions {
  /** Server TLS options: key/cert may be arrays (one per key type); ciphers default `DEFAULT@SECLEVEL=0`. */
  tls: tls.SecureContextOptions & { secureOptions?: number };
  /** The staple for a certificate (DER of the leaf and its issuer), or null to staple nothing; absent: OCSP not handled. */
  ocsp?: (certificate: Buffer, issuer: Buffer) => Buffer | null;
  /** Commands received behind STARTTLS in plaintext: 'discard' (default), 'buffer' (run them inside TLS), 'plaintext' (answer them before the handshake). */
  afterStarttls?: 'discard' | 'buffer' | 'plaintext';
  /** With 'plaintext': answer once the ClientHello has arrived (a packet of its own, read by the client as the start of TLS) instead of in the 220's write. */
  plaintextLate?: boolean;
  /** TLS from the first byte (RFC 8314), the greeting over TLS. */
  implicitTls?: boolean;
  /** The greeting; default '220 deep.test ESMTP'. */
  banner?: string;
}

export interface DeepSmtpSession {
  commands: string[]; // every line received, plaintext and TLS, in order
  tls: boolean; // the handshake completed on the server side
  tlsCommands: string[]; // the lines executed inside TLS (buffered ones included)
  ocspRequested: boolean; // the client asked for a staple
  tlsError: string | null;
}

export interface DeepSmtpServer {
  host: string;
  port: number;
  sessions: DeepSmtpSession[];
  close(): Promise<void>;
}

const MAX_LINE = 4096;

/**
 * @example
 * const smtp = await startDeepSmtp({ tls: { key: [rsaKey, ecKey], cert: [rsaCert, ecCert] } });
 * try { ... } finally { await smtp.close(); }
 */
export async function startDeepSmtp(options: DeepSmtpOptions): Promise<DeepSmtpServer> {
  // Options, not a SecureContext: a tls.Server builds its own context from them (and ignores a `secureContext`).
  const serverOptions: tls.TlsOptions = { ciphers: 'DEFAULT@SECLEVEL=0', ...options.tls };
  tls.createSecureContext(serverOptions); // bad options fail here, at start
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
  };
  const sessions: DeepSmtpSession[] = [];
  const server = net.createServer((raw) => {
    track(raw);
    const session: DeepSmtpSession = { commands: [], tls: false, tlsCommands: [], ocspRequested: false, tlsError: null };
    sessions.push(session);
    converse(raw, session);
  });

  function converse(raw: net.Socket, session: DeepSmtpSession): void {
    let buf = '';
    let secure = false;
    let write = (text: string): void => {
      if (!raw.destroyed) raw.write(text);
    };
    const reply = (line: string): string => {
      const verb = (line.split(' ', 1)[0] ?? '').toUpperCase();
      switch (verb) {
        case 'EHLO':
          return secure ? '250-deep.test\r\n250 PIPELINING\r\n' : '250-deep.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n';
        case 'NOOP':
          return '250 2.0.0 Ok\r\n';
        case 'QUIT':
          return '221 2.0.0 Bye\r\n';
        default:
          return '502 5.5.2 not here\r\n';
      }
    };
    const execute = (line: string): void => {
      if (secure) session.tlsCommands.push(line);
      write(reply(line));
    };
    const lines = (chunk: string): string[] => {
      buf += chunk;
      const out: string[] = [];
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        out.push(buf.slice(0, i).replace(/\r$/, ''));
        buf = buf.slice(i + 1);
      }
      if (buf.length > MAX_LINE) raw.destroy();
      return out;
    };
    const onPlain = (chunk: Buffer): void => {
      const received = lines(chunk.toString('latin1'));
      for (let i = 0; i < received.length; i++) {
        const line = received[i] as string;
        session.commands.push(line);
        if (line.toUpperCase() !== 'STARTTLS') {
          execute(line);
          continue;
        }
        const behind = received.slice(i + 1);
        session.commands.push(...behind);
        const remainder = buf;
        buf = '';
        raw.off('data', onPlain);
        const mode = options.afterStarttls ?? 'discard';
        const text = '220 2.0.0 Ready to start TLS\r\n';
        const answers = mode === 'plaintext' ? behind.map(reply).join('') : '';
        if (mode === 'plaintext' && options.plaintextLate === true) {
          raw.write(text);
          raw.once('data', (hello: Buffer) => {
            raw.pause();
            raw.write(answers);
            raw.unshift(hello); // the TLS server reads what is buffered first
            upgrade([], remainder);
          });
          return;
        }
        raw.write(text + answers);
        upgrade(mode === 'buffer' ? behind : [], remainder);
        return;
      }
    };
    const upgrade = (pending: string[], remainder: string): void => {
      const front = tls.createServer(serverOptions);
      if (options.ocsp !== undefined) {
        const staple = options.ocsp;
        front.on('OCSPRequest', (certificate: Buffer, issuer: Buffer, done: (err: Error | null, response?: Buffer) => void) => {
          session.ocspRequested = true;
          const response = staple(certificate, issuer);
          if (response === null) done(null);
          else done(null, response);
        });
      }
      front.on('tlsClientError', (err) => {
        session.tlsError ??= err.message;
      });
      front.on('secureConnection', (t: tls.TLSSocket) => {
        track(t);
        t.on('error', (err: Error) => {
          session.tlsError ??= err.message;
        });
        session.tls = true;
        secure = true;
        write = (text) => {
          if (!t.destroyed) t.write(text);
        };
        if (options.implicitTls === true) write(`${options.banner ?? '220 deep.test ESMTP'}\r\n`);
        buf = remainder;
        for (const line of pending) execute(line);
        t.on('data', (chunk: Buffer) => {
          for (const line of lines(chunk.toString('latin1'))) {
            session.commands.push(line);
            execute(line);
            if (line.toUpperCase() === 'QUIT') t.end();
          }
        });
      });
      front.emit('connection', raw);
    };
    if (options.implicitTls === true) {
      upgrade([], '');
      return;
    }
    raw.on('data', onPlain);
    write(`${options.banner ?? '220 deep.test ESMTP'}\r\n`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  let closing: Promise<void> | null = null;
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    sessions,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      return closing;
    },
  };
}
