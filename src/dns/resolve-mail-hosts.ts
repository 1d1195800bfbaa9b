/**
 * Finds where mail for a domain goes (RFC 5321 §5.1): MX records in preference order, each
 * MX host's A and AAAA addresses; no MX → the domain itself (implicit MX); `MX 0 .` → the
 * domain accepts no mail (RFC 7505). Decides which addresses are probed: not an MX target
 * that is an IP address or no host name, not an address in a special-purpose range (unless
 * allowed), not one of the family -4/-6 leaves out, and no more than the caps below; every
 * address left out stays in the facts with the reason. Gathers facts only: judge/ decides
 * what they mean.
 */
import { lookupFailed } from '../model/dns-rcode.js';
import type { DnsQueryFacts } from '../model/dns.js';
import type { DomainOutcome, SkippedAddress, UnusableTarget } from '../model/domain.js';
import { specialPurpose } from '../input/special-addresses.js';
import { mapLimit } from '../concurrency/map-limit.js';
import { addressLiteral, hostNameProblem, isLocalhostName } from './host-name.js';
import type { LookupResult, Resolver } from './resolver-api.js';
import { defaultResolver } from './default-resolver.js';

/** The families -4/-6 leave to probe. @example const both: AddressFamilies = { ipv4: true, ipv6: true }; */
export type AddressFamilies = { ipv4: boolean; ipv6: boolean };

/**
 * MX hosts looked up and probed per domain, most preferred first. Real domains publish up
 * to about 5 (Google's five); 10 leaves room while bounding what a hostile zone can cost.
 *
 * @example const probed = sortedMx.slice(0, MAX_MX_HOSTS);
 */
export const MAX_MX_HOSTS = 10;
/**
 * Addresses probed per MX host, shared fairly between IPv4 and IPv6. Large providers
 * publish 2–4 of each family; a sender tries fewer (Postfix: 5 in all, smtp_mx_address_limit).
 *
 * @example chooseAddresses(found, choice).addresses.length <= MAX_ADDRESSES_PER_HOST // true
 */
export const MAX_ADDRESSES_PER_HOST = 8;
/** DNS queries of one domain in flight at once (the resolver also bounds the whole run). @example await mapLimit(asks, MAX_DOMAIN_QUERIES, ask) */
export const MAX_DOMAIN_QUERIES = 8;

/** An address found for a host. @example const a: Address = { ip: '192.0.2.25', family: 4 }; */
export type Address = { ip: string; family: 4 | 6 };

/**
 * One MX host (or the domain itself, for an implicit MX) with the addresses chosen to probe.
 *
 * @example const first: MailHost | undefined = (await resolveMailHosts('example.com', resolver)).hosts[0]; // first?.addresses: [{ ip: '192.0.2.25', family: 4 }]
 */
export interface MailHost {
  host: string;
  preference: number;
  implicit: boolean;
  cnames: string[];
  /** The addresses to probe. */
  addresses: Address[];
  /** Addresses found and left out, with the reason. */
  skipped: SkippedAddress[];
  /** Set when the target is not a host name a sender would use: neither looked up nor probed. */
  unusable: UnusableTarget | null;
}

/** Where a domain's mail goes, as DNS says. @example (await resolveMailHosts('example.com', resolver, families)).outcome // 'probed' */
export interface MailHosts {
  outcome: DomainOutcome;
  mxAuthenticated: boolean;
  hosts: MailHost[];
  queries: DnsQueryFacts[];
  /** Set when there were more MX hosts than MAX_MX_HOSTS. */
  mxLimit: { found: number; probed: number } | null;
}

/** @example await resolveMailHosts(domain, resolver, families, { signal, allowSpecialAddresses: true }) */
export interface MailHostOptions {
  /** Also probe addresses in special-purpose ranges (--allow-special-addresses). */
  allowSpecialAddresses?: boolean;
  /** Stops the look-ups: none is sent after it aborts, and those in flight end at once. */
  signal?: AbortSignal;
}

/** Which addresses chooseAddresses keeps. @example const choice: AddressChoice = { families, filterSpecial: true }; */
export interface AddressChoice {
  families: AddressFamilies;
  /** Leave out addresses in special-purpose ranges (MX hosts from DNS); false for --server, the user's choice. */
  filterSpecial: boolean;
}

/**
 * Which of the addresses found are probed: duplicates dropped, special-purpose ones (when
 * filtered) and those of a family left out recorded as skipped, then at most
 * MAX_ADDRESSES_PER_HOST, taken in turn from each family, in DNS order within a family.
 *
 * @example chooseAddresses([{ ip: '10.0.0.1', family: 4 }], { families: { ipv4: true, ipv6: true }, filterSpecial: true }).skipped[0].range // 'private-use'
 */
export function chooseAddresses(found: readonly Address[], choice: AddressChoice): { addresses: Address[]; skipped: SkippedAddress[] } {
  const seen = new Set<string>();
  const eligible: Address[] = [];
  const skipped: SkippedAddress[] = [];
  for (const address of found) {
    if (seen.has(address.ip)) continue;
    seen.add(address.ip);
    // A special-purpose address is the domain's defect whatever the run asks: judged before the family.
    const range = choice.filterSpecial ? specialPurpose(address.ip) : null;
    if (range !== null) skipped.push({ ...address, reason: 'special-purpose', range: range.name, block: range.block });
    else if (!(address.family === 4 ? choice.families.ipv4 : choice.families.ipv6)) skipped.push({ ...address, reason: 'family' });
    else eligible.push(address);
  }
  if (eligible.length <= MAX_ADDRESSES_PER_HOST) return { addresses: eligible, skipped };
  const v4 = eligible.filter((a) => a.family === 4);
  const v6 = eligible.filter((a) => a.family === 6);
  let n4 = 0;
  let n6 = 0;
  while (n4 + n6 < MAX_ADDRESSES_PER_HOST) {
    if (n4 < v4.length && (n4 <= n6 || n6 >= v6.length)) n4++;
    else n6++;
  }
  const rest = [...v4.slice(n4), ...v6.slice(n6)].map((a): SkippedAddress => ({ ...a, reason: 'limit' }));
  return { addresses: [...v4.slice(0, n4), ...v6.slice(0, n6)], skipped: [...skipped, ...rest] };
}

/** Why an MX target is no host name a sender would use (RFC 5321 §5.1; Postfix and Exim refuse both), or null. */
function unusableTarget(name: string): UnusableTarget | null {
  const literal = addressLiteral(name);
  if (literal !== null) return { kind: 'ip-literal', detail: `an IP address (${literal}) where a host name belongs` };
  const problem = hostNameProblem(name);
  return problem === null ? null : { kind: 'invalid-name', detail: problem };
}

/**
 * Each MX host once, at its most preferred (lowest) preference: a sender tries a host
 * named twice at the better of its two places (RFC 5321 §5.1), so the cap of MX hosts keeps it.
 *
 * @example mostPreferredEach([{ preference: 20, exchange: 'a' }, { preference: 10, exchange: 'a' }]) // [{ preference: 10, exchange: 'a' }]
 */
export function mostPreferredEach<T extends { preference: number; exchange: string }>(records: readonly T[]): T[] {
  const best = new Map<string, T>();
  for (const r of records) {
    const seen = best.get(r.exchange);
    if (seen === undefined || r.preference < seen.preference) best.set(r.exchange, r);
  }
  return [...best.values()];
}

/** RFC 6761 §6.3: localhost names are the loopback addresses, and are not asked of DNS. */
const LOOPBACK: readonly Address[] = [
  { ip: '127.0.0.1', family: 4 },
  { ip: '::1', family: 6 },
];

/** Names in code-unit order: the same on every machine (localeCompare follows the locale and loads ICU). */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Where `domain`'s mail goes: its MX hosts (at most MAX_MX_HOSTS) and the addresses of each to
 * probe. Any Resolver will do: DnsResolver on the wire, ReplayResolver in process; default one
 * DnsResolver for the process (the system's servers). `families` default both. Never rejects
 * for what DNS answers: a failed look-up is in `queries` and the `outcome`.
 *
 * @example await resolveMailHosts('example.com')
 * @example await resolveMailHosts('example.com', new ReplayResolver(zone), { ipv4: true, ipv6: false }, { allowSpecialAddresses: true })
 */
export async function resolveMailHosts(
  domain: string,
  resolver?: Resolver,
  families: AddressFamilies = { ipv4: true, ipv6: true },
  options: MailHostOptions = {},
): Promise<MailHosts> {
  resolver ??= await defaultResolver();
  const { signal } = options;
  const mx = await resolver.mx(domain, signal);
  const queries: DnsQueryFacts[] = [mx.facts];
  const base = { mxAuthenticated: mx.facts.authenticated && mx.facts.rcode === 'NOERROR', queries, mxLimit: null };
  if (mx.facts.rcode === 'NXDOMAIN') return { ...base, outcome: 'nxdomain', hosts: [] };
  if (lookupFailed(mx.facts.rcode)) return { ...base, outcome: 'dns-failure', hosts: [] };

  // RFC 7505 §3: a null MX is the only MX of its domain; a '.' among real MX records is ignored.
  const real = mx.records.filter((r) => r.exchange !== '');
  if (mx.records.length > 0 && real.length === 0) return { ...base, outcome: 'null-mx', hosts: [] };

  const implicit = real.length === 0;
  const all = implicit
    ? [{ preference: 0, exchange: domain }]
    : mostPreferredEach(real).sort((x, y) => x.preference - y.preference || byCodeUnits(x.exchange, y.exchange));
  const targets = all.slice(0, MAX_MX_HOSTS);
  const mxLimit = all.length > targets.length ? { found: all.length, probed: targets.length } : null;

  const hosts = targets.map(
    (t): MailHost => ({ host: t.exchange, preference: t.preference, implicit, cnames: [], addresses: [], skipped: [], unusable: unusableTarget(t.exchange) }),
  );
  // Both families are asked whatever -4/-6 say, so that a host with only the other family
  // is reported as filtered, not as having no address.
  const asks = hosts.filter((h) => h.unusable === null && !isLocalhostName(h.host)).flatMap((h) => (['A', 'AAAA'] as const).map((type) => ({ host: h, type })));
  const answers = await mapLimit(asks, MAX_DOMAIN_QUERIES, (ask) => resolver.addresses(ask.host.host, ask.type, signal));
  const found = new Map<MailHost, Address[]>();
  answers.forEach((answer: LookupResult<string>, i) => {
    const { host, type } = asks[i] as (typeof asks)[number];
    queries.push(answer.facts);
    if (answer.facts.cnames.length > host.cnames.length) host.cnames = answer.facts.cnames;
    const list = found.get(host) ?? [];
    for (const ip of answer.records) list.push({ ip, family: type === 'A' ? 4 : 6 });
    found.set(host, list);
  });
  const choice: AddressChoice = { families, filterSpecial: options.allowSpecialAddresses !== true };
  for (const host of hosts) {
    if (host.unusable !== null) continue;
    const chosen = chooseAddresses(isLocalhostName(host.host) ? LOOPBACK : (found.get(host) ?? []), choice);
    host.addresses = chosen.addresses;
    host.skipped = chosen.skipped;
  }

  let outcome: DomainOutcome = 'probed';
  if (hosts.every((h) => h.addresses.length === 0)) {
    if (queries.slice(1).some((q) => lookupFailed(q.rcode))) outcome = 'dns-failure';
    else if (mxLimit !== null || hosts.some((h) => h.skipped.some((s) => s.reason === 'family'))) outcome = 'not-probed';
    else outcome = 'no-mail-host';
  }
  return { ...base, mxLimit, outcome, hosts };
}
