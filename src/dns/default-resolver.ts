/**
 * The Resolver of a library call given none: one DnsResolver for the process (the system's
 * DNS servers from /etc/resolv.conf, 3 s per attempt, at most 64 queries in flight over
 * every call), made on first use. Loaded only then: the CLI always passes its own resolver,
 * and its start-up does not load the DNS library for it.
 */
import type { Resolver } from './resolver-api.js';

let shared: Promise<Resolver> | null = null;

/**
 * The process's default resolver.
 *
 * @example const resolver = await defaultResolver(); (await resolver.mx('example.com')).facts.rcode // 'NOERROR'
 */
export function defaultResolver(): Promise<Resolver> {
  shared ??= import('./resolver.js').then(({ DnsResolver }) => new DnsResolver());
  return shared;
}
