/**
 * DNS facts: one query as it was asked and answered. Types only (the rcode classification is
 * model/dns-rcode.ts). Field names are a public contract (README "JSON format").
 */

/**
 * The DNSSEC state of an answer (RFC 4035 §4.3): `secure` (a chain of trust from an anchor
 * validated it), `insecure` (provably unsigned), `bogus` (signed, and validation failed),
 * `indeterminate` (no trust anchor covers it, or the resolver could not tell).
 *
 * mxprobe trusts a validating resolver, as Postfix does (dns/dnssec-state.ts): AD set →
 * `secure` (a secure NXDOMAIN or NODATA too: there are provably no records); AD clear →
 * `insecure`; SERVFAIL, and an answer when asked again with checking disabled (CD=1) →
 * `bogus` (RFC 4035 §3.2.2: validation failed; never "no records"); any other failure
 * (SERVFAIL with CD=1 too, a timeout, REFUSED, a malformed answer) → `indeterminate`.
 *
 * @example const state: DnssecState = 'insecure'; // provably unsigned: DANE does not apply
 */
export type DnssecState = 'secure' | 'insecure' | 'bogus' | 'indeterminate';

/**
 * The record types mxprobe asks for: MX and addresses for the probe, TLSA for DANE (RFC 7672
 * §2.2), TXT for MTA-STS and TLS-RPT (RFC 8461 §3.1, RFC 8460 §3), SOA or DNSKEY for the
 * check that the resolver validates.
 *
 * @example const asked: DnsQueryType = 'TLSA';
 */
export type DnsQueryType = 'MX' | 'A' | 'AAAA' | 'TLSA' | 'TXT' | 'SOA' | 'DNSKEY';

/**
 * Does the resolver validate DNSSEC? Asked once per run (RFC 4035 §3.2.3: a validating
 * resolver sets AD on data it validated): a signed name — the root's SOA by default — is
 * asked with DO set; AD in the answer says it validates. Without a validating resolver AD is
 * never set, and every answer would look "insecure": a judge reports `DNSSEC_NOT_VALIDATED`
 * once instead.
 *
 * @example const warn = (v: ResolverValidation) => v.validating === false; // DNSSEC_NOT_VALIDATED
 */
export interface ResolverValidation {
  /**
   * true: the answer came back with AD (the resolver validates; every later query's `dnssec`
   * is filled); false: it came back without AD (the resolver does not validate); null: no
   * usable answer (SERVFAIL, a timeout, …), so it is not known.
   */
  validating: boolean | null;
  /** The query asked ("." SOA by default) as it was answered. */
  probe: DnsQueryFacts;
}

/**
 * One DNS query as it was asked and answered.
 *
 * @example const failed = (facts: DomainFacts) => facts.dns.filter((q: DnsQueryFacts) => q.rcode !== 'NOERROR').map((q) => `${q.name} ${q.type} ${q.rcode}`);
 */
export interface DnsQueryFacts {
  name: string;
  type: DnsQueryType;
  /**
   * The answer's rcode (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, …), or why there is no usable
   * answer: TIMEOUT (no answer in time, or the domain's deadline passed), NETWORK_ERROR,
   * MALFORMED (the answer breaks the DNS format, or the name cannot be put in a query),
   * ABORTED (the run was stopped).
   */
  rcode: string;
  /** The DNSSEC AD (authentic data) flag of the answer (every answer of a CNAME chain asked in steps): the resolver validated it. */
  authenticated: boolean;
  /**
   * The answer's DNSSEC state (DnssecState says how it is told); a CNAME chain is `secure` only
   * when every step is. Present only once the resolver was checked and validates
   * (ResolverValidation): without a validating resolver AD means nothing.
   */
  dnssec?: DnssecState;
  /** CNAMEs followed from `name` to the owner of the answer, in order. */
  cnames: string[];
  /**
   * Answer data in presentation form ("10 mx.example.com", "192.0.2.1", TLSA
   * "3 1 1 8cb0…", a TXT record's text with its character-strings joined).
   */
  answers: string[];
  /** The server that answered ("127.0.0.1:53"), or null when none did. */
  server: string | null;
  ms: number;
  /** With TIMEOUT, NETWORK_ERROR, MALFORMED or ABORTED: what went wrong, in words (for MALFORMED, what was malformed). */
  error?: string;
}
