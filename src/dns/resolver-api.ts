/**
 * What a resolver offers the rest of mxprobe: the Resolver interface and the result of one
 * look-up. DnsResolver (resolver.ts) asks DNS servers on the wire; ReplayResolver
 * (replay-resolver.ts) answers in process from a zone, for tests and library users. The
 * prober (resolveMailHosts, probeDomain, probeServer) takes any Resolver.
 */
import type { DnsQueryFacts, ResolverValidation } from '../model/dns.js';
import type { TlsaRecord } from '../model/dane.js';

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
 * DNSSEC: `validation()` checks once whether the resolver validates; after it says so, every
 * look-up's facts carry `dnssec` (model/dns.ts DnssecState). `tlsa` and `txt` wait for the
 * check themselves; call it before `mx` and `addresses` when their states matter (DANE
 * needs the MX and address answers to be secure, RFC 7672 §2.2).
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
  /**
   * The TLSA records of `name` (`_25._tcp.HOST`, RFC 7672 §2.2.3), CNAMEs followed (`facts.cnames`:
   * the chain; `secure` only when every step is). Waits for `validation()`.
   *
   * @example (await resolver.tlsa('_25._tcp.mx.example.com')).records // [{ usage: 3, selector: 1, matchingType: 1, data: '8cb0…' }]
   */
  tlsa(name: string, signal?: AbortSignal): Promise<LookupResult<TlsaRecord>>;
  /**
   * The TXT records of `name`, CNAMEs followed: one text per record, its character-strings
   * joined (RFC 8461 §3.1), records kept apart. Waits for `validation()`.
   *
   * @example (await resolver.txt('_mta-sts.example.com')).records // ['v=STSv1; id=20260101']
   */
  txt(name: string, signal?: AbortSignal): Promise<LookupResult<string>>;
  /**
   * Whether this resolver validates DNSSEC: checked on the first call, the same answer after
   * (one check per resolver, so per run). `signal` only stops this caller's wait.
   *
   * @example (await resolver.validation()).validating // true: AD came back for the root's SOA
   */
  validation(signal?: AbortSignal): Promise<ResolverValidation>;
}
