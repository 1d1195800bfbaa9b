/**
 * Probes for a batch: each (MX host, IP, port, DANE SNI) is probed once per run and its facts are
 * shared by every domain that uses it; at most `perHost` connections to one IP at a time
 * (large providers rate-limit or tarpit scanners); transient failures are retried with
 * exponential backoff. Judging stays per domain: the facts are the same, the verdicts not.
 * Once the run is stopping (`stop` aborted: SIGINT/SIGTERM, a closed output), no probe
 * starts and none is retried: a wait for a free connection or a backoff gives up at once,
 * with {@link ProbeStopped}, so the rows that needed it stay unfinished (and unwritten).
 */
import type { AddressFacts } from '../model/address.js';
import { Slots } from '../concurrency/slots.js';
import { LruMap } from '../concurrency/lru-map.js';
import { probeAddress, type AddressTarget, type ProbeOptions } from './probe-address.js';

/** @example new SharedProber({ probe, perHost: 2, retries: 1, retryDelayMs: 1000, transcript: false, cacheSize: 10_000, stop: stop.stopping }) */
export interface SharedProberOptions {
  probe: ProbeOptions;
  /** Most simultaneous connections to one IP address. */
  perHost: number;
  /** Extra attempts after a transient failure. */
  retries: number;
  /** First backoff; doubled for each further attempt (with ±20% jitter). */
  retryDelayMs: number;
  /** Keep the SMTP transcript in the shared facts. */
  transcript: boolean;
  /** Most probe results remembered; the least recently asked for are forgotten beyond it. */
  cacheSize: number;
  /** Injected for tests; default: probeAddress. */
  probeAddress?: (target: AddressTarget, options: ProbeOptions) => Promise<AddressFacts>;
  /** Aborted when the run stops: no new attempt from then on. (Ending attempts in flight is `probe.signal`'s job.) */
  stop?: AbortSignal;
}

/**
 * The run stopped before this address was probed (or before its retry): it has no facts.
 *
 * @example const stopped = await prober.probe(target).then(() => false, (err) => err instanceof ProbeStopped)
 */
export class ProbeStopped extends Error {
  override name = 'ProbeStopped';
  constructor(target: AddressTarget) {
    super(`not probed: the run stopped (${target.host} [${target.ip}])`);
  }
}

/**
 * Worth another attempt: the server may answer differently in a moment (RFC 5321 §4.2.1:
 * 4yz replies are transient; resets and timeouts are the network's). Not: refusals (5yz),
 * protocol errors, certificate problems or a missing STARTTLS, which a retry does not change.
 *
 * @example isTransient({ ...facts, failure: { stage: 'connect', kind: 'timeout', message: 'timeout while connecting' } }) // true
 */
export function isTransient(facts: AddressFacts): boolean {
  const failure = facts.failure;
  const fourXX = (code: number | undefined) => code !== undefined && code >= 400 && code < 500;
  if (fourXX(facts.starttlsReply?.code)) return true;
  if (failure === null) return false;
  if (failure.kind === 'timeout' || failure.kind === 'closed') return true;
  if (failure.kind === 'connect') return /ECONNRESET|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|EPIPE/.test(failure.message);
  if (failure.kind === 'rejected') return fourXX(facts.banner?.code) || /refused with 4\d\d/.test(failure.message);
  return false;
}

/**
 * At most `limit` connections per key (an IP address), first come first served: one
 * Slots per key in use, forgotten once idle. A waiter gives up when `stop` aborts.
 */
class KeyedLimiter {
  private readonly slots = new Map<string, Slots>();

  constructor(private readonly limit: number) {}

  /** True with a slot, or false when `stop` is aborted first (then it holds no slot). */
  acquire(key: string, stop: AbortSignal | undefined): Promise<boolean> | boolean {
    if (stop?.aborted === true) return false;
    let slots = this.slots.get(key);
    if (slots === undefined) this.slots.set(key, (slots = new Slots(this.limit)));
    return slots.acquire(stop);
  }

  release(key: string): void {
    const slots = this.slots.get(key);
    if (slots === undefined) return;
    slots.release(); // the slot passes straight to the next waiter, if any
    if (slots.inFlight === 0) this.slots.delete(key);
  }
}

/**
 * The probes of a batch run, shared by its domains (see the module comment).
 *
 * @example const prober = new SharedProber({ probe, perHost: 2, retries: 1, retryDelayMs: 1000, transcript: false, cacheSize: 10_000 }); await prober.probe(target)
 */
export class SharedProber {
  private readonly cache: LruMap<string, Promise<AddressFacts>>;
  private readonly limiter: KeyedLimiter;
  private readonly probeOne: NonNullable<SharedProberOptions['probeAddress']>;
  /** Connections opened (every attempt counts). */
  connections = 0;
  /** Distinct (host, IP, port) probed. */
  distinct = 0;

  constructor(private readonly options: SharedProberOptions) {
    this.cache = new LruMap(options.cacheSize);
    this.limiter = new KeyedLimiter(Math.max(1, options.perHost));
    this.probeOne = options.probeAddress ?? probeAddress;
  }

  /**
   * The facts of one address, probed once per run whatever the number of domains asking.
   * Rejects with ProbeStopped when the run stops before the address is probed.
   */
  probe(target: AddressTarget): Promise<AddressFacts> {
    // The DANE SNI is part of what is probed: another name may be shown another certificate.
    const key = `${target.host}|${target.ip}|${target.port}|${target.daneServerName ?? ''}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit; // least recently used first out: a big provider's hosts, asked for all along, stay
    const facts = this.withRetries(target);
    facts.catch(() => undefined); // a stopped probe nobody awaits any more must not be an unhandled rejection
    this.cache.set(key, facts);
    this.distinct += 1;
    return facts;
  }

  private async withRetries(target: AddressTarget): Promise<AddressFacts> {
    const stop = this.options.stop;
    for (let attempt = 1; ; attempt++) {
      if (!(await this.limiter.acquire(target.ip, stop))) throw new ProbeStopped(target);
      let facts: AddressFacts;
      try {
        this.connections += 1;
        facts = await this.probeOne(target, this.options.probe);
      } finally {
        this.limiter.release(target.ip);
      }
      facts.attempts = attempt;
      if (!this.options.transcript) delete facts.transcript;
      if (attempt > this.options.retries || !isTransient(facts)) return facts;
      // A retry was due: after a stop there is none, and the row is not finished.
      if (stop?.aborted === true) throw new ProbeStopped(target);
      const backoff = this.options.retryDelayMs * 2 ** (attempt - 1);
      const { setTimeout: delay } = await import('node:timers/promises'); // loaded for a retry only
      try {
        await delay(backoff * (0.8 + Math.random() * 0.4), undefined, stop !== undefined ? { signal: stop } : {});
      } catch {
        throw new ProbeStopped(target); // the only way a delay fails: the stop came during the backoff
      }
    }
  }
}
