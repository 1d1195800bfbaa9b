/**
 * Gathers every fact about one mail domain: its mail hosts from DNS, then a probe of every
 * address of every host (in parallel, bounded). Also probes a single server directly
 * (--server) without any MX look-up. Returns DomainFacts; judging happens elsewhere.
 */
import dns from 'node:dns/promises';
import { ipFamily } from '../input/ip-family.js';
import { lookupFailed, type AddressFacts, type DomainFacts, type MxHostFacts } from '../model/result.js';
import { resolveMailHosts, type AddressFamilies, type MailHost } from '../dns/resolve-mail-hosts.js';
import type { DnsResolver } from '../dns/resolver.js';
import { mapLimit } from './map-limit.js';
import { probeAddress, type AddressTarget, type ProbeOptions } from './probe-address.js';

export interface DomainProbeOptions {
  families: AddressFamilies;
  port: number;
  /** Addresses of one domain probed at the same time. */
  parallel: number;
  probe: ProbeOptions;
  /** Probe MX addresses from DNS in special-purpose ranges too (--allow-special-addresses). */
  allowSpecialAddresses?: boolean;
  /** Stops the domain's DNS queries and probes (a batch stopped by a signal). */
  signal?: AbortSignal;
  /** How one address is probed; default a fresh probeAddress. A batch shares probes (SharedProber). */
  probeAddress?: (target: AddressTarget) => Promise<AddressFacts>;
}

async function probeHosts(hosts: readonly MailHost[], options: DomainProbeOptions): Promise<MxHostFacts[]> {
  const targets = hosts.flatMap((h) => h.addresses.map((a) => ({ host: h.host, ip: a.ip, family: a.family, port: options.port })));
  const probeOne = options.probeAddress ?? ((target: AddressTarget) => probeAddress(target, options.probe));
  const probed = await mapLimit(targets, options.parallel, probeOne);
  let i = 0;
  return hosts.map((h) => ({
    host: h.host,
    preference: h.preference,
    implicit: h.implicit,
    cnames: h.cnames,
    addresses: h.addresses.map(() => probed[i++] as (typeof probed)[number]),
  }));
}

/** @example await probeDomain('example.com', 'example.com', new DnsResolver(), options) */
export async function probeDomain(input: string, domain: string, resolver: DnsResolver, options: DomainProbeOptions): Promise<DomainFacts> {
  const probedAt = new Date().toISOString();
  const found = await resolveMailHosts(domain, resolver, options.families);
  return {
    domain,
    input,
    outcome: found.outcome,
    mxAuthenticated: found.mxAuthenticated,
    mx: await probeHosts(found.hosts, options),
    dns: found.queries,
    probedAt,
  };
}

export interface ServerTarget {
  /** Host name or IP literal to connect to. */
  host: string;
  port: number;
  /** Name to send as SNI and to match the certificate against; default `host`. */
  name: string | null;
}

/**
 * Probes one server with no MX look-up (--server). A host name is resolved through
 * `resolver` (--resolver) when one is given, else through the system (getaddrinfo, so
 * /etc/hosts applies); an IP literal needs neither.
 */
export async function probeServer(server: ServerTarget, options: DomainProbeOptions, resolver: DnsResolver | null): Promise<DomainFacts> {
  const probedAt = new Date().toISOString();
  const name = server.name ?? server.host;
  const host: MailHost = { host: name, preference: 0, implicit: false, cnames: [], addresses: [] };
  const dnsFacts: DomainFacts['dns'] = [];
  const family = ipFamily(server.host);
  if (family !== 0) {
    host.addresses.push({ ip: server.host, family: family as 4 | 6 });
  } else if (resolver !== null) {
    for (const [type, fam, wanted] of [['A', 4, options.families.ipv4], ['AAAA', 6, options.families.ipv6]] as const) {
      if (!wanted) continue;
      const result = await resolver.addresses(server.host, type);
      dnsFacts.push(result.facts);
      host.addresses.push(...result.records.map((ip) => ({ ip, family: fam })));
    }
  } else {
    try {
      const all = await dns.lookup(server.host, { all: true, verbatim: true });
      for (const a of all) {
        if ((a.family === 4 && options.families.ipv4) || (a.family === 6 && options.families.ipv6)) {
          host.addresses.push({ ip: a.address, family: a.family });
        }
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      dnsFacts.push({
        name: server.host,
        type: 'A',
        rcode: code === 'ENOTFOUND' ? 'NXDOMAIN' : 'SERVFAIL',
        authenticated: false,
        cnames: [],
        answers: [],
        server: 'system',
        ms: 0,
      });
    }
  }
  const failed = dnsFacts.some((q) => lookupFailed(q.rcode));
  return {
    domain: name,
    input: `${server.host}:${server.port}`,
    outcome: host.addresses.length > 0 ? 'probed' : failed ? 'dns-failure' : 'no-mail-host',
    mxAuthenticated: false,
    mx: await probeHosts([host], { ...options, port: server.port }),
    dns: dnsFacts,
    probedAt,
  };
}
