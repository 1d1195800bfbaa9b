/**
 * Slots for DANE (RFC 6698, RFC 7672): the TLSA records of an MX host (looked up by
 * dns/host-tlsa.ts) and the DANE outcome of each of its addresses. Types only; the fields
 * that hold them (MxHostFacts.tlsa, AddressResult.dane) stay absent until the probe fills them.
 */
import type { DnssecState } from './dns.js';

/**
 * One TLSA record (RFC 6698 §2.1), as published.
 *
 * @example const daneEe: TlsaRecord = { usage: 3, selector: 1, matchingType: 1, data: '8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1' };
 */
export interface TlsaRecord {
  /** Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE (RFC 7218); SMTP uses 2 and 3 (RFC 7672 §3.1). */
  usage: number;
  /** 0 the full certificate, 1 its SubjectPublicKeyInfo. */
  selector: number;
  /** 0 exact, 1 SHA-256, 2 SHA-512. */
  matchingType: number;
  /** The association data, lower-case hex. */
  data: string;
}

/**
 * The TLSA RRset of one MX host: `_25._tcp.HOST` (RFC 7672 §2.2), with how far DNSSEC vouches for it.
 * Made by dns/host-tlsa.ts.
 *
 * @example const daneApplies = (t: TlsaFacts) => t.dnssec === 'secure' && t.records.length > 0;
 */
export interface TlsaFacts {
  /** The name whose answer counts, e.g. "_25._tcp.mx.example.com": `_PORT._tcp.` and the TLSA base domain. */
  name: string;
  /**
   * The TLSA base domain (RFC 7672 §2.2.3): the MX host, or its CNAME-expanded name when the
   * host's address records came through a secure CNAME chain and TLSA records are published
   * there. With DANE-TA(2) the certificate must name it or the MX host (RFC 7672 §3.2.2).
   */
  baseDomain: string;
  /** CNAMEs followed from `name` to the owner of the TLSA records (RFC 7672 §2.2.3: the whole chain must be secure). */
  cnames: string[];
  /** Empty when there are none (NXDOMAIN or NODATA), or when the look-up failed. */
  records: TlsaRecord[];
  /**
   * Only a `secure` RRset counts for DANE (RFC 7672 §2.2); `bogus`: validation failed, a DANE
   * sender defers the mail (RFC 7672 §2.1.1), never "no records"; `indeterminate` also when the
   * resolver does not validate.
   */
  dnssec: DnssecState;
  /** Why the look-up failed, in words; null when it was answered. */
  error: string | null;
}

/**
 * The DANE outcome of one address: its certificate chain against its host's TLSA records (RFC 7672 §3).
 *
 * @example const daneSenderDelivers = (d: DaneOutcome) => d.status !== 'failed';
 */
export interface DaneOutcome {
  /**
   * `verified`: a usable TLSA record matches; `failed`: usable records exist and none matches (a
   * DANE sender does not deliver); `no-tlsa`: none published; `insecure`: records not signed
   * (DANE does not apply); `indeterminate`: could not be told (a DNS failure).
   */
  status: 'verified' | 'failed' | 'no-tlsa' | 'insecure' | 'indeterminate';
  /** The record that matched, when one did. */
  matched: TlsaRecord | null;
  /** What happened, in words. */
  message: string;
}
