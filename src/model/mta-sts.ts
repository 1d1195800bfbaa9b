/**
 * Slots for a domain's MTA-STS policy (RFC 8461) and TLS reporting address (RFC 8460). Types
 * only, filled by a later version: this one asks for neither, so DomainFacts.mtaSts and
 * DomainFacts.tlsRpt are absent.
 */

/**
 * The domain's MTA-STS facts: its `_mta-sts` TXT record and the policy it points to.
 *
 * @example const enforced = (m: MtaStsFacts) => m.policy?.mode === 'enforce';
 */
export interface MtaStsFacts {
  /** The `_mta-sts.DOMAIN` TXT record as published (RFC 8461 §3.1); null when there is none. */
  record: string | null;
  /** The record's `id`: a new id announces a new policy. */
  id: string | null;
  /** The policy fetched from `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` (RFC 8461 §3.2); null when none could be. */
  policy: {
    version: string;
    mode: 'enforce' | 'testing' | 'none';
    /** The `mx` patterns (a leading `*.` matches one label). */
    mx: string[];
    /** Seconds a sender may cache the policy. */
    maxAge: number;
  } | null;
  /** Why the record or the policy could not be read, in words; null when nothing failed. */
  error: string | null;
}

/**
 * The domain's TLS reporting facts: its `_smtp._tls` TXT record (RFC 8460 §3).
 *
 * @example const reportsTo = (t: TlsRptFacts) => t.rua; // ['mailto:tlsrpt@example.com']
 */
export interface TlsRptFacts {
  /** The record as published; null when there is none. */
  record: string | null;
  /** Its `rua` addresses (mailto: and https: URIs). */
  rua: string[];
  /** Why it could not be read, in words; null when nothing failed. */
  error: string | null;
}
