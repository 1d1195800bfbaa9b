// A fleet of fake SMTP servers on loopback, one per address 127.0.0.A, 127.0.0.A+1, … and all on
// the SAME port (the CLI has one --port for every MX host), for batch tests and the batch benchmark.
// Each speaks the normal dialogue only: banner, EHLO/HELO (with STARTTLS), STARTTLS with a real TLS
// upgrade of the same socket, EHLO again, QUIT; `delayMs` before every reply, banner included (to
// look like the internet); `silent` addresses accept and never answer. Each counts its connections
// and its peak of simultaneous connections, so a test can check the per-IP cap (--per-host). Test helper only: binds 127.0.0.0/8 and nothing else
// (on Linux all of it is loopback; macOS answers only 127.0.0.1 unless given aliases: ifconfig lo0 alias 127.0.0.2).
import net from 'node:net';
import tls from 'node:tls';

export interface SmtpFleetOptions {
  /** Number of servers, at most 254 - firstHost + 1. */
  count: number;
  /** Last octet of the first address: servers on 127.0.0.firstHost … (default 2, leaving 127.0.0.1 to the rest of the test). */
  firstHost?: number;
  /** One port for every server; 0 (default): one that is free on every address. */
  port?: number;
  /** Key and PEM chain (leaf first) every server presents after STARTTLS. */
  tls: { key: string; cert: string };
  /** Delay before every reply, banner included, in ms (default 0). */
  delayMs?: number;
  /** Domain in the banner and EHLO reply (default 'fleet.test'). */
  ehloDomain?: string;
  /** Addresses of the fleet that accept connections and never send a byte (a tarpit: probes hang until their deadline). */
  silent?: readonly string[];
}

export interface FleetServer {
  ip: string;
  /** Connections accepted in total. */
  connections: number;
  /** Connections open now. */
  current: number;
  /** Most simultaneous connections seen. */
  peakConcurrent: number;
  /** Sessions whose TLS handshake completed. */
  tlsSessions: number;
}

export interface SmtpFleet {
  port: number;
  servers: FleetServer[];
  byIp: ReadonlyMap<string, FleetServer>;
  /** Sum of `connections` over the fleet (the probes made against it). */
  totalConnections(): number;
  /** Highest `peakConcurrent` of any one server. */
  maxPeakConcurrent(): number;
  /** Stop listening, destroy every socket, clear every timer. */
  close(): Promise<void>;
}

const MAX_LINE = 4096;
const EXTENSIONS = ['PIPELINING', 'SIZE 10240000', '8BITMIME'];

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

const closeServer = (s: net.Server): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

/**
 * @example
 * const fleet = await startSmtpFleet({ count: 50, tls: pki.certs.wildcard, delayMs: 50 });
 * try { ... MX hosts resolve to 127.0.0.2 … 127.0.0.51, probe on fleet.port ... } finally { await fleet.close(); }
 */
export async function startSmtpFleet(options: SmtpFleetOptions): Promise<SmtpFleet> {
  const first = options.firstHost ?? 2;
  if (!Number.isInteger(options.count) || options.count < 1 || !Number.isInteger(first) || first < 1 || first + options.count - 1 > 254) {
    throw new Error(`smtp-fleet: ${options.count} servers from 127.0.0.${first} do not fit in 127.0.0.1–127.0.0.254`);
  }
  const delayMs = options.delayMs ?? 0;
  const silent = new Set(options.silent ?? []);
  const domain = options.ehloDomain ?? 'fleet.test';
  const context = tls.createSecureContext({ key: options.tls.key, cert: options.tls.cert, ciphers: `${tls.DEFAULT_CIPHERS}:@SECLEVEL=0` });
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const later = (fn: () => void): void => {
    if (closing) return;
    if (delayMs <= 0) {
      fn();
      return;
    }
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, delayMs);
    timers.add(t);
  };
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('error', () => {}); // a client that resets must never crash the test process
    s.once('close', () => sockets.delete(s));
  };

  /** `endSession` is called once the server ends the session itself (after QUIT). */
  function converse(raw: net.Socket, stats: FleetServer, endSession: () => void): void {
    let sock: net.Socket = raw;
    let secure = false;
    let buf = '';
    let busy = false;
    let dead = false;
    const queue: string[] = [];

    const send = (text: string): void => {
      if (!sock.destroyed && sock.writable) sock.write(text);
    };
    const ehlo = (): string => {
      const ext = secure ? EXTENSIONS : [...EXTENSIONS, 'STARTTLS'];
      return [`250-${domain}`, ...ext.map((e, i) => `${i === ext.length - 1 ? '250 ' : '250-'}${e}`)].map((l) => `${l}\r\n`).join('');
    };
    // One reply at a time, each after the delay, in the order the commands came.
    const pump = (): void => {
      if (busy || dead) return;
      const line = queue.shift();
      if (line === undefined) return;
      busy = true;
      later(() => {
        busy = false;
        if (dead || sock.destroyed) return;
        answer(line);
        pump();
      });
    };
    const answer = (line: string): void => {
      const verb = (line.split(' ', 1)[0] ?? '').toUpperCase();
      switch (verb) {
        case 'EHLO':
          return send(ehlo());
        case 'HELO':
          return send(`250 ${domain}\r\n`);
        case 'STARTTLS':
          if (secure) return send('503 5.5.1 TLS already active\r\n');
          return upgrade();
        case 'QUIT':
          dead = true;
          endSession();
          sock.end('221 2.0.0 Bye\r\n');
          return;
        case 'NOOP':
        case 'RSET':
          return send('250 2.0.0 OK\r\n');
        default:
          return send('502 5.5.1 not in this test server\r\n');
      }
    };
    const onData = (chunk: string): void => {
      if (dead) return;
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        queue.push(buf.slice(0, i).replace(/\r$/, ''));
        buf = buf.slice(i + 1);
      }
      if (buf.length > MAX_LINE) {
        dead = true;
        sock.end('500 5.5.2 line too long\r\n');
        return;
      }
      pump();
    };
    const upgrade = (): void => {
      // RFC 3207 §6: anything pipelined after STARTTLS is discarded. The 220 is written and the
      // socket handed to TLS at once: the client cannot send its ClientHello before it has the 220.
      queue.length = 0;
      buf = '';
      raw.removeListener('data', onData);
      raw.write('220 2.0.0 Ready to start TLS\r\n');
      const t = new tls.TLSSocket(raw, { isServer: true, secureContext: context, requestCert: false, rejectUnauthorized: false });
      track(t);
      t.on('error', () => t.destroy());
      t.once('secure', () => {
        secure = true;
        stats.tlsSessions += 1;
      });
      t.setEncoding('latin1');
      t.on('data', onData);
      sock = t;
    };

    raw.setEncoding('latin1');
    raw.on('data', onData);
    later(() => {
      if (!raw.destroyed) send(`220 ${domain} ESMTP fleet ready\r\n`);
    });
  }

  let lastErr: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    const servers: FleetServer[] = [];
    const listeners: net.Server[] = [];
    let port = options.port ?? 0;
    try {
      for (let i = 0; i < options.count; i++) {
        const ip = `127.0.0.${first + i}`;
        const stats: FleetServer = { ip, connections: 0, current: 0, peakConcurrent: 0, tlsSessions: 0 };
        const server = net.createServer((raw) => {
          track(raw);
          if (closing) {
            raw.destroy();
            return;
          }
          stats.connections += 1;
          stats.current += 1;
          stats.peakConcurrent = Math.max(stats.peakConcurrent, stats.current);
          // A session counts from accept until the server ends it after QUIT, or the connection
          // closes: a client that waits for the 221 never overlaps its next connection with it.
          let open = true;
          const endSession = (): void => {
            if (open) stats.current -= 1;
            open = false;
          };
          raw.once('close', endSession);
          if (silent.has(ip)) return; // accepts, then says nothing: the client's deadline or abort ends it
          converse(raw, stats, endSession);
        });
        server.on('error', () => {});
        listeners.push(server);
        port = await listen(server, ip, port);
        servers.push(stats);
      }
    } catch (err) {
      lastErr = err;
      await Promise.all(listeners.map(closeServer));
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && (options.port ?? 0) === 0) continue;
      throw err;
    }

    let closed: Promise<void> | null = null;
    return {
      port,
      servers,
      byIp: new Map(servers.map((s) => [s.ip, s])),
      totalConnections: () => servers.reduce((sum, s) => sum + s.connections, 0),
      maxPeakConcurrent: () => servers.reduce((max, s) => Math.max(max, s.peakConcurrent), 0),
      close(): Promise<void> {
        if (closed !== null) return closed;
        closing = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        closed = Promise.all(listeners.map(closeServer)).then(() => undefined);
        return closed;
      },
    };
  }
  throw new Error(`smtp-fleet: no port free on all of 127.0.0.${first}–127.0.0.${first + options.count - 1}: ${String(lastErr)}`);
}
