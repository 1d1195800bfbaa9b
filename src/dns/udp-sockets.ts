/**
 * The UDP sockets DNS queries go out on, kept open and shared: creating, binding and closing
 * a socket per query cost about as much CPU as the rest of the query (a batch of distinct
 * domains asks five or more per domain). Each socket carries many queries at once, told apart
 * by their 16-bit ID (unique among the socket's pending queries) and checked by the caller
 * against the server and port asked (RFC 5452 §9.1).
 *
 * Source-port randomisation (RFC 5452 §9.2) is kept where it counts: every socket is bound to a
 * port the kernel picks at random, and is retired after MAX_QUERIES queries or MAX_AGE_MS,
 * whichever comes first, so a blind spoofer never has long to aim at one port; the ID stays
 * random per query. A retired socket closes once its last pending query is done.
 *
 * Sockets are unref'd: an idle one never keeps the process alive (a query's own timer does,
 * while it waits).
 */
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';

/** Queries one socket carries before it is retired. */
const MAX_QUERIES = 100;
/** Age at which a socket takes no new query. */
const MAX_AGE_MS = 10_000;
/** Tries to draw an ID no pending query of the socket holds (with ≤ 100 per socket, one try almost always). */
const ID_TRIES = 32;

/** What a pending query hears: each datagram that carries its ID, with where it came from. */
type Listener = (message: Buffer, from: dgram.RemoteInfo) => void;

/** One pending query on a pooled socket. @example const lease = udpSockets.open('udp4', onMessage, onError); lease.send(message, 53, '127.0.0.1', cb); lease.close(); */
export interface UdpLease {
  /** The query's ID: write it into the message before sending. */
  readonly id: number;
  /** Sends `message` to `host`:`port` on the shared socket. */
  send(message: Buffer, port: number, host: string, callback: (error: Error | null) => void): void;
  /** The query is over: its ID is free again, and a retired socket with nothing pending closes. */
  close(): void;
}

interface PooledSocket {
  socket: dgram.Socket;
  pending: Map<number, { listener: Listener; onError: (error: Error) => void }>;
  used: number;
  openedAt: number;
  retired: boolean;
}

/**
 * The shared sockets of one thread, one current socket per family.
 *
 * @example const lease = udpSockets.open('udp4', (msg, from) => …, (err) => …); message.writeUInt16BE(lease.id, 0); lease.send(message, 53, '192.0.2.53', (err) => …);
 */
export class UdpSocketPool {
  private readonly current = new Map<'udp4' | 'udp6', PooledSocket>();
  /** Every socket not yet closed: the current ones and the retired ones with queries pending. */
  private readonly live = new Set<PooledSocket>();
  /** Sockets opened so far (for tests and benchmarks). */
  opened = 0;

  /** Queries pending on every socket of the pool. */
  get pendingQueries(): number {
    let n = 0;
    for (const pooled of this.live) n += pooled.pending.size;
    return n;
  }

  /** Sockets open now. */
  get openSockets(): number {
    return this.live.size;
  }

  constructor(private readonly limits: { maxQueries: number; maxAgeMs: number } = { maxQueries: MAX_QUERIES, maxAgeMs: MAX_AGE_MS }) {}

  /**
   * A pending query on the family's current socket (a fresh one when it is full, old, or gone),
   * with a random ID unused on that socket. `listener` hears every datagram with that ID;
   * `onError` hears a failure of the socket itself (then the lease is over).
   */
  open(family: 'udp4' | 'udp6', listener: Listener, onError: (error: Error) => void): UdpLease {
    const pooled = this.socketFor(family);
    let id = randomInt(0, 65536);
    for (let tries = 1; pooled.pending.has(id) && tries < ID_TRIES; tries++) id = randomInt(0, 65536);
    if (pooled.pending.has(id)) {
      // Unlucky draws on a crowded socket: take the next free ID after the last draw.
      while (pooled.pending.has(id)) id = (id + 1) & 0xffff;
    }
    pooled.pending.set(id, { listener, onError });
    pooled.used += 1;
    if (pooled.used >= this.limits.maxQueries) this.retire(family, pooled);
    let closed = false;
    return {
      id,
      send: (message, port, host, callback) => {
        if (closed) return;
        try {
          pooled.socket.send(message, port, host, (err) => callback(err ?? null));
        } catch (err) {
          callback(err instanceof Error ? err : new Error(String(err))); // a socket closed under it
        }
      },
      close: () => {
        if (closed) return;
        closed = true;
        pooled.pending.delete(id);
        if (pooled.retired && pooled.pending.size === 0) this.close(pooled);
      },
    };
  }

  private socketFor(family: 'udp4' | 'udp6'): PooledSocket {
    const now = performance.now();
    let pooled = this.current.get(family);
    if (pooled !== undefined && now - pooled.openedAt >= this.limits.maxAgeMs) {
      this.retire(family, pooled);
      pooled = undefined;
    }
    if (pooled !== undefined) return pooled;
    const socket = dgram.createSocket(family);
    const fresh: PooledSocket = { socket, pending: new Map(), used: 0, openedAt: now, retired: false };
    socket.on('message', (message, from) => {
      if (message.length < 2) return;
      fresh.pending.get(message.readUInt16BE(0))?.listener(message, from);
    });
    socket.on('error', (error) => {
      // The socket is unusable: every query on it hears why, and new ones get another socket.
      this.retire(family, fresh);
      const waiting = [...fresh.pending.values()];
      fresh.pending.clear();
      this.close(fresh);
      for (const query of waiting) query.onError(error);
    });
    socket.unref();
    this.live.add(fresh);
    this.current.set(family, fresh);
    this.opened += 1;
    return fresh;
  }

  private retire(family: 'udp4' | 'udp6', pooled: PooledSocket): void {
    pooled.retired = true;
    if (this.current.get(family) === pooled) this.current.delete(family);
    if (pooled.pending.size === 0) this.close(pooled);
  }

  private close(pooled: PooledSocket): void {
    if (!this.live.delete(pooled)) return;
    try {
      pooled.socket.close();
    } catch {
      // closed already
    }
  }
}

/**
 * The pool every DNS query of this thread uses.
 *
 * @example const lease = udpSockets.open('udp4', onMessage, onError);
 */
export const udpSockets = new UdpSocketPool();
