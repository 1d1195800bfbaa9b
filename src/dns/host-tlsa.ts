/**
 * The TLSA records of one MX host as a DANE sender finds them (RFC 7672 §2.2.3): at
 * `_PORT._tcp.` and the TLSA base domain — the CNAME-expanded host name first when the host's
 * addresses came through a secure CNAME chain, then the host name itself — CNAMEs of the TLSA
 * name followed, each answer with its DNSSEC state. Gathering only: whether DANE applies and
 * whether a certificate matches is judged elsewhere.
 */
import type { TlsaFacts } from '../model/dane.js';
import type { DnsQueryFacts } from '../model/dns.js';
import { lookupFailed } from '../model/dns-rcode.js';
import type { Resolver } from './resolver-api.js';

/**
 * An MX host as DNS gave it, for its TLSA look-up.
 *
 * @example const mx: TlsaHost = { host: 'mx.example.com', addressCnames: [], addressesSecure: true };
 */
export interface TlsaHost {
  /** The MX host name (or the domain, for an implicit MX). */
  host: string;
  /** The SMTP port: `_25._tcp` by default (RFC 7672 §2.2.3 uses the port connected to). */
  port?: number;
  /** CNAMEs followed from `host` to its address records, in order (MailHost.cnames). */
  addressCnames: readonly string[];
  /** The host's address answers, their CNAME chain included, were secure (DANE applies only then, RFC 7672 §2.2). */
  addressesSecure: boolean;
}

/** The TLSA facts of a host and every query asked for them (for the domain's `dns` list). @example const { tlsa, queries }: HostTlsa = await lookUpHostTlsa(resolver, mx); */
export interface HostTlsa {
  tlsa: TlsaFacts;
  queries: DnsQueryFacts[];
}

/**
 * Looks up the TLSA records of `mx`. A candidate base domain that is answered without
 * records (NXDOMAIN or NODATA, secure or not) gives way to the next; a failed or bogus
 * answer ends the search there (a DANE sender defers the mail, RFC 7672 §2.1.1). Never rejects.
 *
 * @example const { tlsa } = await lookUpHostTlsa(resolver, { host: 'mx.example.com', addressCnames: [], addressesSecure: true }); // tlsa.name '_25._tcp.mx.example.com'
 */
export async function lookUpHostTlsa(resolver: Resolver, mx: TlsaHost, signal?: AbortSignal): Promise<HostTlsa> {
  const host = mx.host.toLowerCase().replace(/\.$/, '');
  const expanded = mx.addressCnames.at(-1);
  // RFC 7672 §2.2.3: the expanded name first, only when the expansion is secure; else the host name alone.
  const candidates = mx.addressesSecure && expanded !== undefined && expanded !== host ? [expanded, host] : [host];
  const queries: DnsQueryFacts[] = [];
  for (let i = 0; ; i++) {
    const baseDomain = candidates[i] as string;
    const { facts, records } = await resolver.tlsa(`_${mx.port ?? 25}._tcp.${baseDomain}`, signal);
    queries.push(facts);
    const failed = lookupFailed(facts.rcode);
    const dnssec = facts.dnssec ?? 'indeterminate';
    if (!failed && records.length === 0 && dnssec !== 'bogus' && i + 1 < candidates.length) continue;
    const error = !failed ? null : dnssec === 'bogus' ? `the answer failed DNSSEC validation (${facts.rcode}, while the resolver answers with checking disabled)` : (facts.error ?? `the look-up failed: ${facts.rcode}`);
    return { tlsa: { name: facts.name, baseDomain, cnames: facts.cnames, records, dnssec, error }, queries };
  }
}
