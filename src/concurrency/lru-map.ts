/**
 * A map of bounded size that forgets its least recently used entry first: the run's caches
 * (address probes, DNS answers, domain facts) keep what many domains share, which is asked
 * for all along, and forget what only one domain asked for.
 */

/**
 * @example
 * const cache = new LruMap<string, number>(2);
 * cache.set('a', 1); cache.set('b', 2); cache.get('a'); cache.set('c', 3); // 'b' is forgotten
 */
export class LruMap<K, V> {
  // A Map keeps insertion order: the least recently used entry is the first.
  private readonly entries = new Map<K, V>();

  /** Most entries kept; 0 or less keeps none. */
  constructor(readonly capacity: number) {}

  /** The value of `key`, which becomes the most recently used; undefined when not remembered. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** The value of `key` without using it (its place in the order stays). */
  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** Remembers `value` as the most recently used; beyond `capacity` the least recently used is forgotten. */
  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, value);
  }

  /** Forgets `key`; true when it was remembered. */
  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
