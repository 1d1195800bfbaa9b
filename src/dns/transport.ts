/**
 * DNS queries over UDP with TCP fallback on truncation (RFC 7766), in the wire format of
 * wire.ts. Node's own `dns` module hides the DNSSEC AD flag (NODE-FACTS), and a later DANE
 * check needs both the flag and TLSA records, so mxprobe speaks the wire format itself.
 * Every exchange is bounded: one timeout per attempt, TCP answers of at most 64 KiB (their
 * 2-byte length), and an AbortSignal that ends the query at once. UDP goes out on shared, long-lived
 * sockets (udp-sockets.ts); TCP on a connection per query. Never throws: every outcome is an Exchange.
 */
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { encodeQuery, readAnswer, type QueryOptions, type QueryType, type ReadResult, type WireAnswer } from './wire.js';
import { formatServer, type DnsServer } from './server-address.js';
import { abortReason } from './abort-reason.js';
import { udpSockets } from './udp-sockets.js';

export type { DnsServer } from './server-address.js';
export type { WireAnswer } from './wire.js';

/** Pseudo-rcodes for a query that got no usable answer. @example const rcode: FailedRcode = 'TIMEOUT'; */
export type FailedRcode = 'TIMEOUT' | 'NETWORK_ERROR' | 'MALFORMED' | 'ABORTED';

/** What one query came to: an answer from `server`, or why there is none (`error`, in words). @example if (!exchange.ok) console.log(exchange.rcode, exchange.error) */
export type Exchange = { ok: true; answer: WireAnswer; server: string } | { ok: false; rcode: FailedRcode; error: string; server: string | null };

const failed = (rcode: FailedRcode, error: string, server: DnsServer | null): Exchange => ({
  ok: false,
  rcode,
  error,
  server: server === null ? null : formatServer(server),
});

/**
 * A stopped query: TIMEOUT when the domain's deadline passed, ABORTED when the run was stopped.
 *
 * @example stopped(AbortSignal.abort({ kind: 'deadline', message: 'the deadline passed' }), null).rcode // 'TIMEOUT'
 */
export function stopped(signal: AbortSignal, server: DnsServer | null): Exchange {
  const reason = abortReason(signal);
  return failed(reason.kind === 'deadline' ? 'TIMEOUT' : 'ABORTED', reason.message, server);
}

function fromRead(read: Exclude<ReadResult, { kind: 'not-ours' }>, server: DnsServer): Exchange {
  if (read.kind === 'malformed') return failed('MALFORMED', read.what, server);
  return { ok: true, answer: read.answer, server: formatServer(server) };
}

interface Query {
  server: DnsServer;
  name: string;
  type: QueryType;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

/** Runs `start` with a `done` that settles once: it clears the timer, drops the abort listener and closes via `close`. */
function exchange(query: Query, what: string, start: (done: (result: Exchange) => void) => () => void): Promise<Exchange> {
  const { server, timeoutMs, signal } = query;
  if (signal?.aborted === true) return Promise.resolve(stopped(signal, server));
  return new Promise((resolve) => {
    let settled = false;
    let close: () => void = () => {};
    const done = (result: Exchange) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      close();
      resolve(result);
    };
    const onAbort = () => done(stopped(signal as AbortSignal, server));
    const timer = setTimeout(() => done(failed('TIMEOUT', `no ${what} from ${formatServer(server)} within ${timeoutMs} ms`, server)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    close = start(done);
    if (settled) close();
  });
}

function queryUdp(query: Query, message: Buffer): Promise<Exchange> {
  const { server, name, type } = query;
  return exchange(query, 'answer', (done) => {
    const lease = udpSockets.open(
      net.isIPv6(server.host) ? 'udp6' : 'udp4',
      (msg, from) => {
        // Only the server asked, from the port asked (RFC 5452 §9.1).
        if ((from.address !== server.host && from.address !== `::ffff:${server.host}`) || from.port !== server.port) return;
        const read = readAnswer(msg, lease.id, name, type);
        if (read.kind !== 'not-ours') done(fromRead(read, server));
      },
      (err) => done(failed('NETWORK_ERROR', err.message, server)),
    );
    message.writeUInt16BE(lease.id, 0);
    lease.send(message, server.port, server.host, (err) => {
      if (err) done(failed('NETWORK_ERROR', err.message, server));
    });
    return () => lease.close();
  });
}

function queryTcp(query: Query, message: Buffer, id: number): Promise<Exchange> {
  const { server, name, type } = query;
  return exchange(query, 'TCP answer', (done) => {
    const socket = net.connect({ host: server.host, port: server.port });
    let buffer: Buffer = Buffer.alloc(0);
    socket.on('error', (err) => done(failed('NETWORK_ERROR', err.message, server)));
    socket.on('close', () => done(failed('NETWORK_ERROR', 'the connection closed before an answer', server)));
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      if (buffer.length < 2) return;
      const size = buffer.readUInt16BE(0); // at most 65535 bytes follow the 2-byte length (RFC 1035 §4.2.2)
      if (buffer.length < size + 2) return;
      const read = readAnswer(buffer.subarray(2, size + 2), id, name, type);
      done(read.kind === 'not-ours' ? failed('NETWORK_ERROR', 'the TCP answer does not answer the query', server) : fromRead(read, server));
    });
    return () => socket.destroy();
  });
}

/**
 * Asks each server in turn (two UDP tries each) until one answers; asks again over TCP
 * when the UDP answer is truncated. A server whose answer was malformed is not asked again
 * (it would say the same). A name that cannot be put in a query is MALFORMED at once.
 * `options` as encodeQuery takes them (the CD bit).
 *
 * @example await queryServers([{ host: '127.0.0.1', port: 53 }], 'example.com', 'MX', 3000)
 */
export async function queryServers(servers: readonly DnsServer[], name: string, type: QueryType, timeoutMs: number, signal?: AbortSignal, options: QueryOptions = {}): Promise<Exchange> {
  // One message for every attempt, with a fresh ID each time (the previous send is over by then):
  // over UDP the shared socket's pool draws it (udp-sockets.ts), over TCP a random one.
  const message = encodeQuery(0, name, type, options);
  if (typeof message === 'string') return failed('MALFORMED', `the name cannot be put in a query: ${message}`, null);
  if (servers.length === 0) return failed('NETWORK_ERROR', 'no DNS server configured', null);
  let last: Exchange | null = null;
  let malformed: Exchange | null = null;
  const garbled = new Set<DnsServer>();
  const aborted = () => signal?.aborted === true; // read afresh after each await
  for (let attempt = 0; attempt < 2; attempt++) {
    for (const server of servers) {
      if (garbled.has(server)) continue;
      if (aborted()) return stopped(signal as AbortSignal, server);
      const query: Query = { server, name, type, timeoutMs, signal };
      let result = await queryUdp(query, message);
      if (result.ok && result.answer.truncated) {
        const id = randomInt(0, 65536);
        message.writeUInt16BE(id, 0);
        result = await queryTcp(query, message, id);
      }
      if (result.ok || aborted()) return result;
      if (result.rcode === 'MALFORMED') {
        garbled.add(server);
        malformed = result;
      }
      last = result;
    }
  }
  return malformed ?? (last as Exchange);
}
