/**
 * What a resolver offers the rest of mxprobe: the Resolver interface and the result of one
 * look-up. DnsResolver (resolver.ts) asks DNS servers on the wire; ReplayResolver
 * (replay-resolver.ts) answers in process from a zone, for tests and library users. The
 * prober (resolveMailHosts, probeDomain, probeServer) takes any Resolver.
 */
import type { DnsQueryFacts } from '../model/dns.js';

/** One MX record: preference and exchange ('' for a null MX). @example const r: MxRecord = { preference: 10, exchange: 'mx.example.com' }; */
export interface MxRecord {
  preference: number;
  /** The host name, without trailing dot; '' for a null MX (RFC 7505). */
  exchange: string;
}

/** A look-up's facts (for the report) and its records (to act on). @example (await resolver.addresses('mx.example.com', 'A')).records // ['192.0.2.25'] */
export interface LookupResult<T> {
  facts: DnsQueryFacts;
  records: T[];
}

/**
 * Looks up what the prober needs. Never rejects: a failed look-up is a fact (rcode TIMEOUT,
 * SERVFAIL, …). A look-up whose `signal` aborts ends at once (rcode TIMEOUT when the reason is
 * a deadline, ABORTED when the run was stopped: dns/abort-reason.ts).
 *
 * @example
 * const resolver: Resolver = new ReplayResolver({ 'example.com': { MX: [{ preference: 10, exchange: 'mx.example.com' }] } });
 * (await resolver.mx('example.com')).records // [{ preference: 10, exchange: 'mx.example.com' }]
 */
export interface Resolver {
  /** Deadline of one query attempt, in ms (--dns-timeout): a domain's look-ups get DNS_BUDGET_ATTEMPTS × this in all. */
  readonly timeoutMs: number;
  /** The MX records of `name`, CNAMEs followed. @example (await resolver.mx('example.com')).facts.rcode // 'NOERROR' */
  mx(name: string, signal?: AbortSignal): Promise<LookupResult<MxRecord>>;
  /** The A or AAAA records of `name`, CNAMEs followed. @example (await resolver.addresses('mx.example.com', 'AAAA')).records // ['2001:db8::25'] */
  addresses(name: string, type: 'A' | 'AAAA', signal?: AbortSignal): Promise<LookupResult<string>>;
}
