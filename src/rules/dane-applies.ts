/**
 * Whether DANE can apply to an MX host (RFC 7672 §2.2.2): the host's address answers are
 * DNSSEC-secure (the MX answer need not be, §2.2.1, as Postfix). A pure rule over a domain's
 * queries, shared by the probe (which asks for TLSA records only then, as a DANE sender does)
 * and the judge.
 */
import type { DnsQueryFacts } from '../model/dns.js';

/**
 * Every A and AAAA answer asked for `host` (their CNAME chains included) is DNSSEC-secure, and
 * there is one: what RFC 7672 §2.2.2 asks before DANE applies.
 *
 * @example addressAnswersSecure(facts.dns, 'mx.example.com') // true when its A and AAAA answers had AD from a validating resolver
 */
export function addressAnswersSecure(queries: readonly DnsQueryFacts[], host: string): boolean {
  const name = host.toLowerCase();
  const asked = queries.filter((q) => (q.type === 'A' || q.type === 'AAAA') && q.name.toLowerCase() === name);
  return asked.length > 0 && asked.every((q) => q.dnssec === 'secure');
}
