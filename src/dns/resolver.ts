/**
 * The Resolver that asks DNS servers on the wire (transport.ts): each look-up a fact
 * (look-up.ts: the records of one type for one name, the CNAMEs followed to reach them, the
 * rcode, the DNSSEC AD flag and, once the resolver is known to validate, the DNSSEC state).
 * Never throws: a failed look-up is a fact too. Queries wait for one of a bounded number of
 * slots (a run never fires thousands at once), address and TLSA answers (names shared by many domains) may be cached
 * and shared for the run, and queries stop, sockets closed, when the caller's AbortSignal aborts.
 */
import dns from 'node:dns';
import { queryServers, stopped, type Exchange } from './transport.js';
import type { QueryOptions, QueryType } from './wire.js';
import { parseServer, type DnsServer } from './server-address.js';
import { Slots } from '../concurrency/slots.js';
import { DEFAULT_MAX_IN_FLIGHT } from './query-limits.js';
import { ADDRESS_KINDS, lookUp, MX_KIND, TLSA_KIND, TXT_KIND, type RecordKind } from './look-up.js';
import { checkValidation, ROOT_PROBE, type ValidationProbe } from './resolver-validation.js';
import type { LookupResult, MxRecord, Resolver } from './resolver-api.js';
import type { ResolverValidation } from '../model/dns.js';
import type { TlsaRecord } from '../model/dane.js';
import { LruMap } from '../concurrency/lru-map.js';

export type { LookupResult, MxRecord } from './resolver-api.js';

export { DEFAULT_MAX_IN_FLIGHT } from './query-limits.js';

/** @example new DnsResolver({ servers: ['127.0.0.1:5353'], timeoutMs: 3000, cacheSize: 10_000 }) */
export interface DnsResolverOptions {
  /** Servers as "IP" or "IP:PORT" / "[IPv6]:PORT"; default the system's (resolv.conf). */
  servers?: readonly string[];
  /** Per attempt, in ms. */
  timeoutMs?: number;
  /**
   * Remember this many address, TLSA and TXT answers in all (and share look-ups in flight)
   * for the resolver's lifetime, the oldest forgotten first: in a batch, thousands of domains
   * name the same few MX hosts (and so the same TLSA names); a domain listed twice asks its
   * TXT once. MX answers are not kept: a batch asks for each domain once, so they would only
   * fill memory (about 1.5 KB each: 130 MB at 100,000 domains). 0 (default): no cache.
   */
  cacheSize?: number;
  /** Most queries in flight at once; the rest wait their turn (default 64). */
  maxInFlight?: number;
  /**
   * What `validation()` asks to learn whether the resolver validates DNSSEC: a name signed
   * under a trust anchor the resolver holds (default the root's SOA; a lab: its test zone's apex).
   */
  validationProbe?: { name: string; type: 'SOA' | 'DNSKEY' };
}

/** A look-up shared by every caller that asks for the same name and type while it runs. */
interface Shared {
  promise: Promise<LookupResult<unknown>>;
  /**
   * Stops the look-up while it is in flight; null once it settled. A settled entry may stay in
   * the cache for the rest of the run (16,384 of them in a batch): an AbortController with its
   * signal (an EventTarget and its listener maps) weighs more than the answer it kept.
   */
  controller: AbortController | null;
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
  private readonly cache: LruMap<string, Shared>;
  private readonly slots: Slots;
  private readonly probe: ValidationProbe;
  private checked: Promise<ResolverValidation> | null = null;
  /** The check said the resolver validates: look-ups from now on get a DNSSEC state. */
  private validates = false;

  constructor(options: DnsResolverOptions = {}) {
    const texts = options.servers ?? dns.getServers();
    this.servers = texts.map((text) => parseServer(text)).filter((s): s is DnsServer => s !== null);
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.cacheSize = options.cacheSize ?? 0;
    this.cache = new LruMap(this.cacheSize);
    this.slots = new Slots(Math.max(1, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT));
    this.probe = options.validationProbe ?? ROOT_PROBE;
  }

  /** Most queries that were in flight at once so far. */
  get peakInFlight(): number {
    return this.slots.peak;
  }

  /** @example (await resolver.mx('example.com')).records // [{ preference: 10, exchange: 'mx.example.com' }] */
  mx(name: string, signal?: AbortSignal): Promise<LookupResult<MxRecord>> {
    return lookUp(this.ask, name, MX_KIND, signal, this.validates);
  }

  /** @example (await resolver.addresses('mx.example.com', 'A')).records // ['192.0.2.25'] */
  addresses(name: string, type: 'A' | 'AAAA', signal?: AbortSignal): Promise<LookupResult<string>> {
    return this.shared(ADDRESS_KINDS[type], name, signal);
  }

  /** @example (await resolver.tlsa('_25._tcp.mx.example.com')).facts.dnssec // 'secure' */
  async tlsa(name: string, signal?: AbortSignal): Promise<LookupResult<TlsaRecord>> {
    await this.validation(signal);
    return this.shared(TLSA_KIND, name, signal);
  }

  /**
   * Not cached, like MX: the TXT names asked (`_mta-sts.DOMAIN`, `_smtp._tls.DOMAIN`) belong to
   * one domain, whose facts the run already shares between its rows; caching them would only
   * hold two answers per domain in memory for the whole run.
   *
   * @example (await resolver.txt('_mta-sts.example.com')).records // ['v=STSv1; id=20260101']
   */
  async txt(name: string, signal?: AbortSignal): Promise<LookupResult<string>> {
    await this.validation(signal);
    return lookUp(this.ask, name, TXT_KIND, signal, this.validates);
  }

  /**
   * Checks once whether the servers validate DNSSEC (resolver-validation.ts). The check is
   * shared by every caller and not stopped by any one's signal (it is bounded by the query
   * timeouts); a caller whose signal aborts stops waiting, with `validating` null.
   *
   * @example (await resolver.validation()).validating // false behind a plain forwarder
   */
  validation(signal?: AbortSignal): Promise<ResolverValidation> {
    this.checked ??= checkValidation(this.ask, this.probe).then((result) => {
      this.validates = result.validating === true;
      return result;
    });
    if (signal === undefined) return this.checked;
    return untilAborted(this.checked, signal, () => ({ validating: null, probe: this.stoppedResult(this.probe.name, this.probe.type, signal).facts }));
  }

  /** A look-up of `kind`, through the cache when there is one. */
  private shared<T>(kind: RecordKind<T>, name: string, signal: AbortSignal | undefined): Promise<LookupResult<T>> {
    if (this.cacheSize === 0) return lookUp(this.ask, name, kind, signal, this.validates);
    const key = `${kind.type} ${name.toLowerCase()}`;
    let entry = this.cache.get(key); // least recently used first out: the mail hosts many domains share stay
    if (entry === undefined) {
      const controller = new AbortController();
      const created: Shared = { promise: Promise.resolve(null as never), controller, waiters: 0, pinned: false, settled: false };
      created.promise = lookUp(this.ask, name, kind, controller.signal, this.validates).then((result) => {
        created.settled = true;
        created.controller = null; // nothing left to stop: only the answer stays cached
        if (TRANSIENT.has(result.facts.rcode) && this.cache.peek(key) === created) this.cache.delete(key);
        return result;
      });
      this.cache.set(key, created);
      entry = created;
    }
    const promise = entry.promise as Promise<LookupResult<T>>;
    if (entry.settled) return promise;
    if (signal === undefined) {
      entry.pinned = true;
      return promise;
    }
    return this.join(key, entry, promise, name, kind.type, signal);
  }

  /** Waits for a shared look-up until `signal` aborts; the last caller to give up stops it. */
  private async join<T>(key: string, entry: Shared, promise: Promise<LookupResult<T>>, name: string, type: QueryType, signal: AbortSignal): Promise<LookupResult<T>> {
    if (signal.aborted) return this.stoppedResult(name, type, signal);
    entry.waiters += 1;
    try {
      return await untilAborted(promise, signal, () => this.stoppedResult(name, type, signal));
    } finally {
      entry.waiters -= 1;
      if (signal.aborted && entry.waiters === 0 && !entry.pinned && !entry.settled) {
        if (this.cache.peek(key) === entry) this.cache.delete(key);
        entry.controller?.abort(signal.reason);
      }
    }
  }

  private stoppedResult<T>(name: string, type: QueryType, signal: AbortSignal): LookupResult<T> {
    const exchange = stopped(signal, null) as Extract<Exchange, { ok: false }>;
    return { facts: { name, type, rcode: exchange.rcode, authenticated: false, cnames: [], answers: [], server: null, ms: 0, error: exchange.error }, records: [] };
  }

  /** One query on the wire, once a slot is free (at once, without a wait, when one is). */
  private readonly ask = (name: string, type: QueryType, signal: AbortSignal | undefined, options?: QueryOptions): Promise<Exchange> => {
    const slot = this.slots.acquire(signal);
    if (slot === true) return this.send(name, type, signal, options);
    if (slot === false) return Promise.resolve(stopped(signal as AbortSignal, null));
    return slot.then((got) => (got ? this.send(name, type, signal, options) : stopped(signal as AbortSignal, null)));
  };

  private async send(name: string, type: QueryType, signal: AbortSignal | undefined, options: QueryOptions | undefined): Promise<Exchange> {
    try {
      return await queryServers(this.servers, name, type, this.timeoutMs, signal, options);
    } finally {
      this.slots.release();
    }
  }
}

/** `promise`, or `stoppedValue()` as soon as `signal` aborts (the promise goes on for others). */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, stoppedValue: () => T): Promise<T> {
  if (signal.aborted) return stoppedValue();
  let onAbort: () => void = () => {};
  const aborted = new Promise<null>((resolve) => {
    onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const result = await Promise.race([promise, aborted]);
    return result ?? stoppedValue();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
