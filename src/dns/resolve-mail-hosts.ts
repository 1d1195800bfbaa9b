/**
 * Finds where mail for a domain goes (RFC 5321 §5.1): MX records in preference order, each
 * MX host's A and AAAA addresses; no MX → the domain itself (implicit MX); `MX 0 .` → the
 * domain accepts no mail (RFC 7505). Gathers facts only: judge/ decides what they mean.
 */
import { ipFamily as familyOf } from '../input/ip-family.js';
import { lookupFailed, type DnsQueryFacts, type DomainOutcome } from '../model/result.js';
import type { DnsResolver } from './resolver.js';

export type AddressFamilies = { ipv4: boolean; ipv6: boolean };

export interface MailHost {
  host: string;
  preference: number;
  implicit: boolean;
  cnames: string[];
  addresses: Array<{ ip: string; family: 4 | 6 }>;
}

export interface MailHosts {
  outcome: DomainOutcome;
  mxAuthenticated: boolean;
  hosts: MailHost[];
  queries: DnsQueryFacts[];
}

async function hostAddresses(
  resolver: DnsResolver,
  host: string,
  families: AddressFamilies,
): Promise<Pick<MailHost, 'cnames' | 'addresses'> & { queries: DnsQueryFacts[] }> {
  const queries: DnsQueryFacts[] = [];
  const ipFamily = familyOf(host);
  if (ipFamily !== 0) return { cnames: [], addresses: [{ ip: host, family: ipFamily as 4 | 6 }], queries };
  const [a, aaaa] = await Promise.all([
    families.ipv4 ? resolver.addresses(host, 'A') : null,
    families.ipv6 ? resolver.addresses(host, 'AAAA') : null,
  ]);
  const addresses: MailHost['addresses'] = [];
  let cnames: string[] = [];
  for (const [result, family] of [[a, 4], [aaaa, 6]] as const) {
    if (result === null) continue;
    queries.push(result.facts);
    if (result.facts.cnames.length > cnames.length) cnames = result.facts.cnames;
    for (const ip of result.records) addresses.push({ ip, family });
  }
  return { cnames, addresses, queries };
}

/** @example await resolveMailHosts('example.com', new DnsResolver(), { ipv4: true, ipv6: true }) */
export async function resolveMailHosts(domain: string, resolver: DnsResolver, families: AddressFamilies): Promise<MailHosts> {
  const mx = await resolver.mx(domain);
  const queries: DnsQueryFacts[] = [mx.facts];
  const base = { mxAuthenticated: mx.facts.authenticated && mx.facts.rcode === 'NOERROR', queries };
  if (mx.facts.rcode === 'NXDOMAIN') return { ...base, outcome: 'nxdomain', hosts: [] };
  if (lookupFailed(mx.facts.rcode)) return { ...base, outcome: 'dns-failure', hosts: [] };

  // RFC 7505 §3: a null MX is the only MX of its domain; a '.' among real MX records is ignored.
  const real = mx.records.filter((r) => r.exchange !== '');
  if (mx.records.length > 0 && real.length === 0) return { ...base, outcome: 'null-mx', hosts: [] };

  const implicit = real.length === 0;
  const targets = implicit
    ? [{ preference: 0, exchange: domain }]
    : [...new Map(real.map((r) => [r.exchange, r])).values()].sort(
        (x, y) => x.preference - y.preference || x.exchange.localeCompare(y.exchange),
      );
  const found = await Promise.all(targets.map((t) => hostAddresses(resolver, t.exchange, families)));
  const hosts = targets.map((t, i): MailHost => {
    const { cnames = [], addresses = [] } = found[i] ?? {};
    return { host: t.exchange, preference: t.preference, implicit, cnames, addresses };
  });
  const hostQueries = found.flatMap((f) => f.queries);
  queries.push(...hostQueries);
  let outcome: DomainOutcome = 'probed';
  if (hosts.every((h) => h.addresses.length === 0)) {
    outcome = hostQueries.some((q) => lookupFailed(q.rcode)) ? 'dns-failure' : 'no-mail-host';
  }
  return { ...base, outcome, hosts };
}
