/**
 * DNS facts: one query as it was asked and answered. Types only (the rcode classification is
 * model/dns-rcode.ts). Field names are a public contract (README "JSON format").
 */

/**
 * The DNSSEC state of an answer (RFC 4035 §4.3): `secure` (a chain of trust from an anchor
 * validated it), `insecure` (provably unsigned), `bogus` (signed, and validation failed),
 * `indeterminate` (no trust anchor covers it, or the resolver could not tell).
 *
 * @example const state: DnssecState = 'insecure'; // provably unsigned: DANE does not apply
 */
export type DnssecState = 'secure' | 'insecure' | 'bogus' | 'indeterminate';

/**
 * One DNS query as it was asked and answered.
 *
 * @example const failed = (facts: DomainFacts) => facts.dns.filter((q: DnsQueryFacts) => q.rcode !== 'NOERROR').map((q) => `${q.name} ${q.type} ${q.rcode}`);
 */
export interface DnsQueryFacts {
  name: string;
  type: 'MX' | 'A' | 'AAAA';
  /**
   * The answer's rcode (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, …), or why there is no usable
   * answer: TIMEOUT (no answer in time, or the domain's deadline passed), NETWORK_ERROR,
   * MALFORMED (the answer breaks the DNS format, or the name cannot be put in a query),
   * ABORTED (the run was stopped).
   */
  rcode: string;
  /** The DNSSEC AD (authentic data) flag of the answer: the resolver validated it. */
  authenticated: boolean;
  /**
   * The answer's DNSSEC state. Filled by a later version (DANE needs to tell insecure from
   * bogus); absent in this one, where `authenticated` is all that is known.
   */
  dnssec?: DnssecState;
  /** CNAMEs followed from `name` to the owner of the answer, in order. */
  cnames: string[];
  /** Answer data in presentation form ("10 mx.example.com", "192.0.2.1"). */
  answers: string[];
  /** The server that answered ("127.0.0.1:53"), or null when none did. */
  server: string | null;
  ms: number;
  /** With TIMEOUT, NETWORK_ERROR, MALFORMED or ABORTED: what went wrong, in words (for MALFORMED, what was malformed). */
  error?: string;
}
