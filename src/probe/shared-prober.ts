/**
 * Probes for a batch: each (MX host, IP, port) is probed once per run and its facts are
 * shared by every domain that uses it; at most `perHost` connections to one IP at a time
 * (large providers rate-limit or tarpit scanners); transient failures are retried with
 * exponential backoff. Judging stays per domain: the facts are the same, the verdicts not.
 */
import type { AddressFacts } from '../model/result.js';
import { probeAddress, type AddressTarget, type ProbeOptions } from './probe-address.js';

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
  /** Most probe results remembered; the oldest are forgotten beyond it. */
  cacheSize: number;
  /** Injected for tests; default: probeAddress. */
  probeAddress?: (target: AddressTarget, options: ProbeOptions) => Promise<AddressFacts>;
}

/**
 * Worth another attempt: the server may answer differently in a moment (RFC 5321 §4.2.1:
 * 4yz replies are transient; resets and timeouts are the network's). Not: refusals (5yz),
 * protocol errors, certificate problems or a missing STARTTLS, which a retry does not change.
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

/** A counting semaphore per key. */
class KeyedLimiter {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly limit: number) {}

  async acquire(key: string): Promise<void> {
    const count = this.active.get(key) ?? 0;
    if (count < this.limit) {
      this.active.set(key, count + 1);
      return;
    }
    await new Promise<void>((resolve) => {
      const queue = this.waiting.get(key) ?? [];
      queue.push(resolve);
      this.waiting.set(key, queue);
    });
  }

  release(key: string): void {
    const queue = this.waiting.get(key);
    const next = queue?.shift();
    if (next !== undefined) {
      if (queue?.length === 0) this.waiting.delete(key);
      next(); // the slot passes straight to the next waiter
      return;
    }
    const count = (this.active.get(key) ?? 1) - 1;
    if (count === 0) this.active.delete(key);
    else this.active.set(key, count);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SharedProber {
  private readonly cache = new Map<string, Promise<AddressFacts>>();
  private readonly limiter: KeyedLimiter;
  private readonly probeOne: NonNullable<SharedProberOptions['probeAddress']>;
  /** Connections opened (every attempt counts). */
  connections = 0;
  /** Distinct (host, IP, port) probed. */
  distinct = 0;

  constructor(private readonly options: SharedProberOptions) {
    this.limiter = new KeyedLimiter(Math.max(1, options.perHost));
    this.probeOne = options.probeAddress ?? probeAddress;
  }

  /** The facts of one address, probed once per run whatever the number of domains asking. */
  probe(target: AddressTarget): Promise<AddressFacts> {
    const key = `${target.host}|${target.ip}|${target.port}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const facts = this.withRetries(target);
    if (this.cache.size >= this.options.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, facts);
    this.distinct += 1;
    return facts;
  }

  private async withRetries(target: AddressTarget): Promise<AddressFacts> {
    for (let attempt = 1; ; attempt++) {
      await this.limiter.acquire(target.ip);
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
      const backoff = this.options.retryDelayMs * 2 ** (attempt - 1);
      await sleep(backoff * (0.8 + Math.random() * 0.4));
    }
  }
}
