/**
 * Whether DANE can apply to an MX host (RFC 7672 §2.2.2): the host's address answers are
 * DNSSEC-secure (the MX answer need not be, §2.2.1, as Postfix). A pure rule over a domain's
 * queries, shared by the probe (which asks for TLSA records only then, as a DANE sender does)
 * and the judge; and the SNI a DANE sender sends (the TLSA base domain, RFC 7672 §8.1).
 */
import type { DnsQueryFacts } from '../model/dns.js';
import type { TlsaFacts } from '../model/dane.js';
import { consultedRecords } from './dane-match.js';

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

/**
 * The SNI a DANE sender sends to `host` where it differs from the MX host name, else null:
 * the TLSA base domain (RFC 7672 §8.1: "SMTP clients that employ DANE ... MUST send the SNI
 * extension" with "the TLSA base domain"), when DANE authenticates the host, i.e. its TLSA
 * RRset (looked up only where the address answers are secure) is secure and holds a record
 * usable for SMTP, and the base domain is the host's secure CNAME target (RFC 7672 §2.2.3).
 * Where DANE does not authenticate (no records, insecure, none usable) Postfix leaves the DANE
 * level (dane_init in smtp_tls_policy.c) and does not send the base domain.
 *
 * @example daneServerName('mxalias.example', { name: '_25._tcp.mx.example', baseDomain: 'mx.example', cnames: [], records: [{ usage: 3, selector: 1, matchingType: 1, data }], dnssec: 'secure', error: null }) // 'mx.example'
 */
export function daneServerName(host: string, tlsa: TlsaFacts | undefined): string | null {
  if (tlsa === undefined || tlsa.dnssec !== 'secure' || tlsa.error !== null) return null;
  const base = tlsa.baseDomain.toLowerCase().replace(/\.$/, '');
  if (base === host.toLowerCase().replace(/\.$/, '')) return null;
  return consultedRecords(tlsa.records).length > 0 ? base : null;
}
