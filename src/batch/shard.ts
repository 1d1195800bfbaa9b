/**
 * `--shard K/N`: a deterministic partition of the input by a hash of the domain, so that N
 * machines (a CI matrix, GNU parallel, a Kubernetes Indexed Job) each take one part and
 * their outputs concatenate into the whole. K counts from 1.
 */
export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Parses "K/N" (1 ≤ K ≤ N ≤ 100000); null when it is not that. */
export function parseShard(text: string): Shard | null {
  const match = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim());
  if (match === null) return null;
  const index = Number(match[1]);
  const count = Number(match[2]);
  return index >= 1 && count >= 1 && index <= count && count <= 100_000 ? { index, count } : null;
}

/** FNV-1a, 32 bits: stable across machines, runs and Node versions. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** @example inShard('example.com', { index: 1, count: 4 }) // true for exactly one K in 1..4 */
export function inShard(key: string, shard: Shard): boolean {
  return fnv1a(key) % shard.count === shard.index - 1;
}
