/**
 * Deep TLS facts of one address (`--deep`, issue 10): what else the server accepts beyond the
 * probe's own handshake — each protocol version, cipher suites, key exchange groups and DH
 * sizes, a certificate per signature algorithm, OCSP stapling, renegotiation, compression,
 * extended master secret, and whether it buffers plaintext across STARTTLS. Facts only: the
 * tiers (good / sufficient / phase-out / insufficient) are the judge's, read from the one
 * table of guidelines (model/tls-guidelines.ts). Field names are a public contract (README
 * "JSON format": per address `deep`).
 */
import type { CertificateFacts, CertificateVerdict } from './certificate.js';
import type { ProbeFailure } from './smtp.js';

/**
 * A protocol version a deep probe tries, oldest first: SSLv3 where a hand-built hello can
 * tell, then each TLS version.
 *
 * @example const tried: DeepProtocol[] = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
 */
export type DeepProtocol = 'SSLv3' | 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/**
 * Whether the server accepted one protocol version: `true` it answered a hello offering only
 * that version with a ServerHello of that version; `false` it refused (an alert, another
 * version, a close right after the hello); `null` not told (the connection failed before the
 * hello, a 421, the run stopped) with the reason in `note`.
 *
 * @example const legacy = (p: ProtocolAcceptance[]) => p.filter((x) => x.accepted === true && (x.version === 'TLSv1' || x.version === 'TLSv1.1'));
 */
export interface ProtocolAcceptance {
  version: DeepProtocol;
  accepted: boolean | null;
  /** What the server did when it refused, or why it could not be told (may hold server text: sanitise). */
  note: string | null;
}

/**
 * One cipher suite the server accepted with one protocol version.
 *
 * @example const suite: AcceptedSuite = { protocol: 'TLSv1.2', code: 0x000a, name: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA' };
 */
export interface AcceptedSuite {
  protocol: DeepProtocol;
  /** The IANA code point (two bytes). */
  code: number;
  /** The IANA name (`TLS_…`); `0x…` for a code point the table does not know. */
  name: string;
}

/**
 * What the cipher suite scan found: the suites accepted (per protocol), whether the server
 * picks by its own order, and what could not be tested, in words.
 *
 * @example const weak = (c: CipherScan) => c.accepted.filter((s) => s.name.includes('3DES'));
 */
export interface CipherScan {
  accepted: AcceptedSuite[];
  /** The server chose by its own preference (the same suite when offered in two orders); null: not told (fewer than two suites accepted, or the scan stopped). */
  serverOrder: boolean | null;
  /**
   * The gaps only: what could not be told and why, e.g. "TLSv1.2: 3 suites not told (no answer
   * in time)". A refused version is no gap (its suites need no test); suites outside the IANA
   * suite table (PSK, SRP, KRB5, GOST, unassigned) are never offered (README "--deep").
   */
  untested: string[];
}

/**
 * Key exchange: the named groups accepted (TLS 1.3 and ECDHE, by IANA name: x25519,
 * secp256r1, …) and the finite-field DH sizes seen with DHE suites (bits of the prime p).
 *
 * @example const weakDh = (g: GroupScan) => g.dhBits.some((bits) => bits < 2048);
 */
export interface GroupScan {
  accepted: string[];
  /** Sizes of the DH primes the server sent with DHE suites, distinct, ascending; [] when it accepted none. */
  dhBits: number[];
  /**
   * The RFC 7919 groups among those primes (ffdhe2048 … ffdhe8192), told by the prime itself; a
   * size in `dhBits` without its `ffdheN` here is a prime of the server's own.
   */
  dhGroups: string[];
  /** The gaps only: what could not be told and why, e.g. "DHE prime size: not told (no answer in time)". */
  untested: string[];
}

/**
 * The certificate presented when only one family of signature algorithms is offered (many
 * MTAs hold an RSA and an ECDSA certificate).
 *
 * @example const shown = (c: CertificateBySignature): boolean => c.certificate !== null; // false: the server refused that family
 */
export interface CertificateBySignature {
  /** The signature algorithms offered: only RSA (PKCS#1 and PSS) or only ECDSA. */
  offered: 'rsa' | 'ecdsa';
  /** The chain the server presented; null when it refused the handshake (`note` says why). */
  certificate: CertificateFacts | null;
  note: string | null;
}

/**
 * A stapled OCSP response (RFC 6066 §8, RFC 6960): information only for mail.
 *
 * @example const fresh = (o: OcspStaple, now: Date) => o.stapled && o.nextUpdate !== null && Date.parse(o.nextUpdate) > now.getTime();
 */
export interface OcspStaple {
  stapled: boolean;
  /** The leaf's status in the response: good, revoked, unknown; null when not stapled or not readable. */
  status: 'good' | 'revoked' | 'unknown' | null;
  /** ISO 8601 times of the response, when stapled and readable. */
  producedAt: string | null;
  thisUpdate: string | null;
  nextUpdate: string | null;
  /** Why the response could not be read, when it could not. */
  note: string | null;
}

/**
 * Renegotiation (RFC 5746): whether the server signals secure renegotiation, and whether it
 * lets the client start a renegotiation (TLS 1.2 and older: a denial-of-service lever).
 *
 * @example const bad = (r: RenegotiationFacts) => r.secure === false || r.clientInitiated === true;
 */
export interface RenegotiationFacts {
  /** renegotiation_info in the ServerHello (or the SCSV honoured); null: not told (TLS 1.3 only: not applicable). */
  secure: boolean | null;
  /** A client-initiated renegotiation succeeded; null: not told. */
  clientInitiated: boolean | null;
  /** How the server refused it, or why it could not be told (may hold server text: sanitise). */
  note: string | null;
}

/**
 * Server-side STARTTLS command injection (CVE-2011-0411 family): `STARTTLS\r\nNOOP\r\n` sent
 * in one write; a server that answers the NOOP after the handshake kept plaintext across the
 * TLS boundary.
 *
 * @example const vulnerable = (c: CommandInjectionFacts) => c.vulnerable === true;
 */
export interface CommandInjectionFacts {
  /** true: the NOOP was answered inside TLS; false: it was not; null: not told (`note`). */
  vulnerable: boolean | null;
  note: string | null;
}

/**
 * Everything a deep probe of one address found. `partial` says why it stopped before every
 * check was made (a 421, the deadline, the run stopped); each check then says what it could
 * not tell.
 *
 * @example const accepts = (d: DeepFacts, v: DeepProtocol) => d.protocols.find((p) => p.version === v)?.accepted === true;
 */
export interface DeepFacts {
  protocols: ProtocolAcceptance[];
  ciphers: CipherScan;
  groups: GroupScan;
  certificates: CertificateBySignature[];
  ocsp: OcspStaple | null;
  renegotiation: RenegotiationFacts;
  /** The server chose a compression method other than null (CRIME); null: not told. */
  compression: boolean | null;
  /** extended_master_secret (RFC 7627) in the TLS 1.2 ServerHello; null: not told (no TLS 1.2). */
  extendedMasterSecret: boolean | null;
  commandInjection: CommandInjectionFacts;
  /** TCP connections the deep probe opened (besides the probe's own). */
  connections: number;
  /** Why the deep probe stopped early; null when every check ran. */
  partial: ProbeFailure | null;
}

/**
 * A certificate per signature algorithm as judged (judge/judge-address.ts): its chain with
 * the same verdict as the probe's own certificate (trust, name, expiry), so each is shown
 * with its trust, name match and days left.
 *
 * @example const untrusted = (c: JudgedCertificateBySignature) => c.certificate !== null && !c.certificate.trusted;
 */
export interface JudgedCertificateBySignature extends Omit<CertificateBySignature, 'certificate'> {
  certificate: (CertificateFacts & CertificateVerdict) | null;
}

/**
 * A deep probe's facts as judged: each certificate per signature algorithm with its verdict
 * (an AddressResult's `deep` field).
 *
 * @example const connections = (d: DeepResult): number => d.connections;
 */
export interface DeepResult extends Omit<DeepFacts, 'certificates'> {
  certificates: JudgedCertificateBySignature[];
}
