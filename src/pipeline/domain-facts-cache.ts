/**
 * The facts of each domain of a run, shared by every row that names it (a partner
 * listed twice, with another `require` or other carried columns): probed once while it is
 * remembered, judged per row. Bounded: the least recently used domains are forgotten beyond
 * `capacity` (a row naming one again is probed again; its addresses' probes are still shared
 * by the SharedProber's own cache).
 */
import type { DomainFacts } from '../model/domain.js';
import { LruMap } from '../concurrency/lru-map.js';

/**
 * @example
 * const cache = new DomainFactsCache(10_000);
 * const facts = await cache.get('example.com', () => probeDomain(…));
 */
export class DomainFactsCache {
  private readonly entries: LruMap<string, Promise<DomainFacts>>;
  /** Domains probed (each probe counted once, however many rows share it). */
  probed = 0;

  constructor(capacity: number) {
    this.entries = new LruMap(capacity);
  }

  /** The facts of `domain`: the remembered (or in-flight) ones, else `probe()`'s, remembered. */
  get(domain: string, probe: () => Promise<DomainFacts>): Promise<DomainFacts> {
    const hit = this.entries.get(domain);
    if (hit !== undefined) return hit;
    const facts = probe();
    facts.catch(() => undefined); // a stopped probe nobody awaits any more must not be an unhandled rejection
    this.probed += 1;
    this.entries.set(domain, facts);
    return facts;
  }

  get size(): number {
    return this.entries.size;
  }
}
