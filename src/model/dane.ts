/**
 * DANE (RFC 6698, RFC 7671, RFC 7672): the TLSA records of an MX host (looked up by
 * dns/host-tlsa.ts), the DANE outcome of each of its addresses, and whether the host's
 * published set survives a key or CA change. Types only; judge/dane.ts and
 * judge/dane-rollover.ts fill them. Field names are a public contract (README "JSON format").
 */
import type { DnssecState } from './dns.js';
import type { CertificateFacts } from './certificate.js';
import type { ProbeFailure } from './smtp.js';
import type { TlsFacts } from './tls.js';

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
 * The DANE state of one address, as a DANE sender (RFC 7672, Postfix `smtp_tls_security_level
 * = dane`) sees it:
 * - `valid`: a usable TLSA record authenticates the server's certificate (the sender delivers);
 * - `invalid`: usable records exist and none authenticates it, or no TLS session was made (the
 *   sender does not deliver);
 * - `unusable`: the secure RRset holds records, none usable for SMTP (PKIX-TA/PKIX-EE, unknown
 *   parameters, malformed data): the sender requires TLS but does not authenticate (RFC 7672 §2.2);
 * - `insecure`: DANE does not apply, for the TLSA answer or the MX and address answers before
 *   it are not DNSSEC-signed (RFC 7672 §2.2.1, §2.2.2): the sender uses opportunistic TLS;
 * - `bogus`: DNSSEC validation of the TLSA answer failed: the sender defers the mail (RFC 7672 §2.1.1);
 * - `none`: a secure denial that TLSA records exist: DANE does not apply;
 * - `indeterminate`: the TLSA look-up failed otherwise (a timeout): the sender defers, and
 *   mxprobe cannot tell.
 *
 * @example const daneDelivers = (s: DaneStatus) => s === 'valid' || s === 'none' || s === 'insecure' || s === 'unusable';
 */
export type DaneStatus = 'valid' | 'invalid' | 'unusable' | 'insecure' | 'bogus' | 'none' | 'indeterminate';

/**
 * The TLSA record that authenticated a server, and what it matched.
 *
 * @example const text = (m: TlsaMatch) => `${m.usage} ${m.selector} ${m.matchingType} ${m.data} matched certificate #${m.chainIndex}`;
 */
export interface TlsaMatch extends TlsaRecord {
  /**
   * The position, in the chain as the server sent it (0 the leaf), of the certificate the
   * record matched; for a bare DANE-TA public key (`2 1 0`) that is not in the chain, the
   * position of the certificate that key signed.
   */
  chainIndex: number;
  /** The record is a bare public key (`2 1 0`) that signed `chainIndex`, not a certificate of the chain (RFC 7671 §5.2.2). */
  bareKey: boolean;
}

/**
 * The DANE outcome of one address: its certificate chain against its host's TLSA records (RFC 7672 §3).
 *
 * @example const daneSenderDelivers = (d: DaneOutcome) => d.status !== 'invalid' && d.status !== 'bogus' && d.status !== 'indeterminate';
 */
export interface DaneOutcome {
  status: DaneStatus;
  /** The record that authenticated the server: set exactly when `status` is `valid`. */
  matched: TlsaMatch | null;
  /** What happened, in words (names server and DNS data: sanitise before display). */
  message: string;
}

/**
 * Whether an MX host's published TLSA set survives the next change of its key or of its CA
 * without a window in which DANE senders refuse it (judge/dane-rollover.ts).
 *
 * @example const warn = (r: DaneRollover) => (r.safe ? null : r.message);
 */
export interface DaneRollover {
  safe: boolean;
  /**
   * Why it is safe: `two-keys` (DANE-EE SPKI records for two different keys, the current and
   * the next), `ee-and-issuer` (a DANE-EE record and a DANE-TA record of the real issuer);
   * null when it is not.
   */
  pattern: 'two-keys' | 'ee-and-issuer' | null;
  /** What was found, in words. */
  message: string;
}

/**
 * The handshake a DANE sender makes with an address whose host's TLSA base domain is not the MX
 * host name (a host that is a secure CNAME, TLSA at its target: RFC 7672 §2.2.3): it sends the
 * base domain as SNI (RFC 7672 §8.1; Postfix: "Per RFC7672 the SNI name is the TLSA base
 * domain"), and a server that picks its certificate by SNI may present another chain than it
 * does for the MX host name. Made by the probe on a second connection only then; the DANE
 * judgement reads this chain, every other sender policy the address's own handshake (SNI = the
 * MX host name).
 *
 * @example const daneChain = (h: DaneHandshakeFacts) => h.certificate?.chain ?? null; // what judgeDane matches the TLSA records against
 */
export interface DaneHandshakeFacts {
  /** The SNI sent: the TLSA base domain. */
  sni: string;
  /** What the handshake negotiated; null when no session was made. */
  tls: TlsFacts | null;
  /** The certificates the server presented for that name; null when no session was made. */
  certificate: CertificateFacts | null;
  /**
   * Why no session was made: stage `handshake` when the handshake itself failed (a DANE sender
   * gets no TLS there); an earlier stage when the second dialogue stopped before it (a refused
   * or timed-out connection: whether the chain matches is unknown). Null with a session.
   */
  failure: ProbeFailure | null;
}
