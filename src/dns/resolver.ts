/**
 * The Resolver that asks DNS servers on the wire (transport.ts): each look-up a fact
 * (look-up.ts: the records of one type for one name, the CNAMEs followed to reach them, the
 * rcode and the DNSSEC AD flag). Never throws: a failed look-up is a fact too. Queries wait
 * for one of a bounded number of slots (a run never fires thousands at once), address
 * answers may be cached and shared for the run, and queries stop, sockets closed, when the
 * caller's AbortSignal aborts.
 */
import dns from 'node:dns';
import { queryServers, stopped, type Exchange } from './transport.js';
import type { QueryType } from './wire.js';
import { parseServer, type DnsServer } from './server-address.js';
import { Slots } from '../concurrency/slots.js';
import { lookUp, pickAddress, pickMx } from './look-up.js';
import type { LookupResult, MxRecord, Resolver } from './resolver-api.js';

export type { LookupResult, MxRecord } from './resolver-api.js';

/** Queries in flight at once over all domains of a run, unless DnsResolverOptions.maxInFlight says otherwise. @example resolver.peakInFlight <= DEFAULT_MAX_IN_FLIGHT // true */
export const DEFAULT_MAX_IN_FLIGHT = 64;

/** @example new DnsResolver({ servers: ['127.0.0.1:5353'], timeoutMs: 3000, cacheSize: 10_000 }) */
export interface DnsResolverOptions {
  /** Servers as "IP" or "IP:PORT" / "[IPv6]:PORT"; default the system's (resolv.conf). */
  servers?: readonly string[];
  /** Per attempt, in ms. */
  timeoutMs?: number;
  /**
   * Remember this many address answers (and share look-ups in flight) for the resolver's
   * lifetime: in a batch, thousands of domains name the same few MX hosts. MX answers are
   * not kept: a batch asks for each domain once, so they would only fill memory (about
   * 1.5 KB each: 130 MB at 100,000 domains). 0 (default): no cache.
   */
  cacheSize?: number;
  /** Most queries in flight at once; the rest wait their turn (default 64). */
  maxInFlight?: number;
}

/** A look-up shared by every caller that asks for the same name and type while it runs. */
interface Shared {
  promise: Promise<LookupResult<string>>;
  controller: AbortController;
  /** Callers with a signal still waiting for it; when the last gives up, the look-up stops. */
  waiters: number;
  /** A caller without a signal waits for it: it is never stopped. */
  pinned: boolean;
  settled: boolean;
}

/** Outcomes worth asking again later: not remembered by the cache. */
const TRANSIENT = new Set(['TIMEOUT', 'NETWORK_ERROR', 'ABORTED']);

/**
 * Looks up MX and address records for the prober over the wire; one per run (its slots bound
 * the run's queries in flight, its cache serves every domain).
 *
 * @example const resolver = new DnsResolver({ timeoutMs: 3000 }); await resolver.mx('example.com')
 */
export class DnsResolver implements Resolver {
  readonly servers: DnsServer[];
  /** Deadline of one query attempt, in ms (--dns-timeout). */
  readonly timeoutMs: number;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, Shared>();
  private readonly slots: Slots;

  constructor(options: DnsResolverOptions = {}) {
    const texts = options.servers ?? dns.getServers();
    this.servers = texts.map((text) => parseServer(text)).filter((s): s is DnsServer => s !== null);
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.cacheSize = options.cacheSize ?? 0;
    this.slots = new Slots(Math.max(1, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT));
  }

  /** Most queries that were in flight at once so far. */
  get peakInFlight(): number {
    return this.slots.peak;
  }

  /** @example (await resolver.mx('example.com')).records // [{ preference: 10, exchange: 'mx.example.com' }] */
  mx(name: string, signal?: AbortSignal): Promise<LookupResult<MxRecord>> {
    return lookUp(this.ask, name, 'MX', signal, pickMx);
  }

  /** @example (await resolver.addresses('mx.example.com', 'A')).records // ['192.0.2.25'] */
  addresses(name: string, type: 'A' | 'AAAA', signal?: AbortSignal): Promise<LookupResult<string>> {
    const pick = pickAddress(type);
    if (this.cacheSize === 0) return lookUp(this.ask, name, type, signal, pick);
    const key = `${type} ${name.toLowerCase()}`;
    let entry = this.cache.get(key);
    if (entry === undefined) {
      const controller = new AbortController();
      const created: Shared = { promise: Promise.resolve(null as never), controller, waiters: 0, pinned: false, settled: false };
      created.promise = lookUp(this.ask, name, type, controller.signal, pick).then((result) => {
        created.settled = true;
        if (TRANSIENT.has(result.facts.rcode) && this.cache.get(key) === created) this.cache.delete(key);
        return result;
      });
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value as string); // oldest first
      this.cache.set(key, created);
      entry = created;
    }
    if (entry.settled) return entry.promise;
    if (signal === undefined) {
      entry.pinned = true;
      return entry.promise;
    }
    return this.join(key, entry, name, type, signal);
  }

  /** Waits for a shared look-up until `signal` aborts; the last caller to give up stops it. */
  private async join(key: string, entry: Shared, name: string, type: QueryType, signal: AbortSignal): Promise<LookupResult<string>> {
    if (signal.aborted) return this.stoppedResult(name, type, signal);
    entry.waiters += 1;
    let onAbort: () => void = () => {};
    const aborted = new Promise<null>((resolve) => {
      onAbort = () => resolve(null);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const result = await Promise.race([entry.promise, aborted]);
      return result ?? this.stoppedResult(name, type, signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
      entry.waiters -= 1;
      if (signal.aborted && entry.waiters === 0 && !entry.pinned && !entry.settled) {
        if (this.cache.get(key) === entry) this.cache.delete(key);
        entry.controller.abort(signal.reason);
      }
    }
  }

  private stoppedResult(name: string, type: QueryType, signal: AbortSignal): LookupResult<string> {
    const exchange = stopped(signal, null) as Extract<Exchange, { ok: false }>;
    return { facts: { name, type, rcode: exchange.rcode, authenticated: false, cnames: [], answers: [], server: null, ms: 0, error: exchange.error }, records: [] };
  }

  /** One query on the wire, once a slot is free (at once, without a wait, when one is). */
  private readonly ask = (name: string, type: QueryType, signal: AbortSignal | undefined): Promise<Exchange> => {
    const slot = this.slots.acquire(signal);
    if (slot === true) return this.send(name, type, signal);
    if (slot === false) return Promise.resolve(stopped(signal as AbortSignal, null));
    return slot.then((got) => (got ? this.send(name, type, signal) : stopped(signal as AbortSignal, null)));
  };

  private async send(name: string, type: QueryType, signal: AbortSignal | undefined): Promise<Exchange> {
    try {
      return await queryServers(this.servers, name, type, this.timeoutMs, signal);
    } finally {
      this.slots.release();
    }
  }
}
