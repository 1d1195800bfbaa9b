/**
 * Gathers what a domain publishes about its mail TLS besides its MX hosts: the `_mta-sts` TXT
 * records and, with one valid record, the MTA-STS policy over HTTPS (RFC 8461 §3), and the
 * `_smtp._tls` TXT records (RFC 8460 §3); and each MX host's TLSA records where DANE can apply
 * (RFC 7672 §2.2). Facts only, through the run's Resolver: never throws for a remote problem.
 */
import type { DnsQueryFacts } from '../model/dns.js';
import type { MtaStsFacts, PolicyFetchFacts, TlsRptFacts } from '../model/mta-sts.js';
import type { TlsaFacts } from '../model/dane.js';
import { lookupFailed } from '../model/dns-rcode.js';
import type { Resolver } from '../dns/resolver-api.js';
import type { TrustStore } from '../cert/trust-store.js';
import type { AddressFamilies, MailHost } from '../dns/resolve-mail-hosts.js';
import { lookUpHostTlsa } from '../dns/host-tlsa.js';
import { mapLimit } from '../concurrency/map-limit.js';
import { specialPurpose } from '../input/special-addresses.js';
import { fetchPolicy, POLICY_FETCH_LIMITS, POLICY_PATH } from '../mta-sts/fetch-policy.js';
import { mtaStsFacts } from '../mta-sts/facts.js';
import { parseStsRecord } from '../mta-sts/record.js';
import { tlsRptFacts } from '../mta-sts/tls-rpt.js';

/** The HTTPS port of a policy host (RFC 8461 §3.3). @example DEFAULT_POLICY_PORT // 443 */
export const DEFAULT_POLICY_PORT = 443;

/** TLSA look-ups of one domain's MX hosts in flight at once. */
const TLSA_PARALLEL = 4;

/**
 * How a domain's MTA-STS policy is fetched.
 *
 * @example const options: MailPolicyOptions = { trust: makeTrustStore(), timeoutMs: 15_000, families: { ipv4: true, ipv6: true }, allowSpecialAddresses: false, port: 443 };
 */
export interface MailPolicyOptions {
  /** The run's trust anchors (ProbeOptions.trust): the policy host's certificate must lead to one (FetchPolicyOptions.trust). */
  trust: TrustStore;
  /** Deadline of the fetch, its own (at most POLICY_FETCH_LIMITS.timeoutMs): the look-ups' signal does not shorten it. */
  timeoutMs: number;
  /** The families -4/-6 leave: the policy host's address is taken from them. */
  families: AddressFamilies;
  /** Connect to a policy host in a special-purpose range too (--allow-special-addresses). */
  allowSpecialAddresses: boolean;
  /** The policy host's HTTPS port: 443 (RFC 8461 §3.3); another only for test servers. */
  port: number;
}

/**
 * A domain's MTA-STS and TLS-RPT facts, with every DNS query asked for them.
 *
 * @example const { mtaSts, tlsRpt, queries }: MailPolicyFacts = await gatherMailPolicies('example.com', resolver, options);
 */
export interface MailPolicyFacts {
  mtaSts: MtaStsFacts;
  tlsRpt: TlsRptFacts;
  queries: DnsQueryFacts[];
}

/** The records of a TXT look-up, or null when it failed (NXDOMAIN and NODATA are answers: []). */
const txtRecords = (facts: DnsQueryFacts, records: string[]): string[] | null => (lookupFailed(facts.rcode) ? null : records);

/** A fetch that was not made, for the reason given (the policy host cannot be reached). */
function notFetched(domain: string, kind: 'connect' | 'aborted', message: string): PolicyFetchFacts {
  return { url: `https://mta-sts.${domain}${POLICY_PATH}`, status: null, contentType: null, location: null, bytes: 0, body: null, ms: 0, failure: { kind, message } };
}

/**
 * Where the policy host is: its first address (IPv4 first) of a family the run probes, looked
 * up through the run's resolver (so a replayed or test DNS points it anywhere); special-purpose
 * addresses only with `allowSpecialAddresses`, as for MX addresses. A reason instead when none.
 */
async function policyAddress(domain: string, resolver: Resolver, options: MailPolicyOptions, queries: DnsQueryFacts[], signal: AbortSignal | undefined): Promise<{ ip: string } | { failure: PolicyFetchFacts['failure'] & object }> {
  const host = `mta-sts.${domain}`;
  const types = (['A', 'AAAA'] as const).filter((t) => (t === 'A' ? options.families.ipv4 : options.families.ipv6));
  const special: string[] = [];
  const failed: string[] = [];
  for (const type of types) {
    const { facts, records } = await resolver.addresses(host, type, signal);
    queries.push(facts);
    if (facts.rcode === 'ABORTED') return { failure: { kind: 'aborted', message: `the look-up of ${host} was stopped` } };
    if (lookupFailed(facts.rcode)) failed.push(`${type} ${facts.rcode}`);
    for (const ip of records) {
      const range = specialPurpose(ip);
      if (range === null || options.allowSpecialAddresses) return { ip };
      special.push(`${ip} (${range.name})`);
    }
  }
  const why =
    special.length > 0
      ? `${host} resolves only to special-purpose addresses senders cannot use (${special.join(', ')}); not fetched (--allow-special-addresses fetches it)`
      : failed.length > 0
        ? `the address look-up of ${host} failed (${failed.join(', ')})`
        : `${host} has no address${types.length < 2 ? ` of the family probed (${types.length === 0 ? 'none' : types[0]})` : ''}`;
  return { failure: { kind: 'connect', message: `https://${host}${POLICY_PATH}: ${why}` } };
}

/**
 * The MTA-STS facts (one policy fetch when there is one valid record) and the TLS-RPT facts of
 * `domain`, both TXT look-ups at once. `signals.lookups` stops the DNS look-ups (the probe gives
 * its domain's DNS deadline); `signals.fetch` stops the fetch, which otherwise ends by its own
 * deadline (`options.timeoutMs`, at most POLICY_FETCH_LIMITS.timeoutMs) whatever the look-ups'
 * signal does: a resolver that ate the DNS deadline does not cut the policy short (the probe
 * gives the run's stop). Give one signal for both to stop everything at once. Never rejects.
 *
 * @example const { mtaSts } = await gatherMailPolicies('example.com', resolver, options, { lookups: signal, fetch: signal }); // mtaSts.policy?.mode
 */
export async function gatherMailPolicies(
  domain: string,
  resolver: Resolver,
  options: MailPolicyOptions,
  signals: { lookups?: AbortSignal; fetch?: AbortSignal } = {},
): Promise<MailPolicyFacts> {
  const signal = signals.lookups;
  const queries: DnsQueryFacts[] = [];
  const [sts, rpt] = await Promise.all([resolver.txt(`_mta-sts.${domain}`, signal), resolver.txt(`_smtp._tls.${domain}`, signal)]);
  queries.push(sts.facts, rpt.facts);
  const stsTxt = txtRecords(sts.facts, sts.records);
  let fetched: PolicyFetchFacts | null = null;
  if (stsTxt !== null && parseStsRecord(stsTxt).status === 'valid') {
    const where = await policyAddress(domain, resolver, options, queries, signal);
    if ('failure' in where) fetched = notFetched(domain, where.failure.kind === 'aborted' ? 'aborted' : 'connect', where.failure.message);
    else {
      fetched = await fetchPolicy(domain, {
        trust: options.trust,
        timeoutMs: Math.min(options.timeoutMs, POLICY_FETCH_LIMITS.timeoutMs),
        connectTo: { host: where.ip, port: options.port },
        ...(signals.fetch !== undefined ? { signal: signals.fetch } : {}),
      });
    }
  }
  return { mtaSts: mtaStsFacts(domain, stsTxt, fetched), tlsRpt: tlsRptFacts(txtRecords(rpt.facts, rpt.records)), queries };
}

/**
 * The TLSA facts of each MX host whose MX and address answers are DNSSEC-secure (`secure`
 * says which), by host; the others are not asked (a DANE sender does not ask either, RFC 7672
 * §2.2). Each host's TLSA name once per run through the resolver's cache. Never rejects.
 *
 * @example const { tlsa } = await gatherHostTlsa(hosts, (h) => secure(h), resolver, 25, signal); // tlsa.get('mx.example.com')?.records
 */
export async function gatherHostTlsa(
  hosts: readonly MailHost[],
  secure: (host: MailHost) => boolean,
  resolver: Resolver,
  port: number,
  signal?: AbortSignal,
): Promise<{ tlsa: Map<string, TlsaFacts>; queries: DnsQueryFacts[] }> {
  const asked = hosts.filter((h) => h.unusable === null && h.addresses.length > 0 && secure(h));
  const found = await mapLimit(asked, TLSA_PARALLEL, (h) => lookUpHostTlsa(resolver, { host: h.host, port, addressCnames: h.cnames, addressesSecure: true }, signal));
  const tlsa = new Map<string, TlsaFacts>();
  asked.forEach((h, i) => {
    const result = found[i];
    if (result !== undefined) tlsa.set(h.host, result.tlsa);
  });
  return { tlsa, queries: found.flatMap((f) => f.queries) };
}
