/**
 * The one result type of mxprobe. Gathering (dns/, smtp/, tls/, cert/, probe/) fills the
 * `*Facts` parts; judging (judge/) adds levels and problems; rendering (render/) only reads.
 * The JSON output is `DomainResult` under `{ schemaVersion, domains }`: field names here
 * are a public contract (README "JSON format"): add fields freely, rename none.
 */
import type { Level } from './levels.js';

/** Stable problem codes; the catalogue with severities and hints is judge/problem-catalogue.ts. */
export type ProblemCode =
  | 'INVALID_INPUT'
  | 'DNS_NXDOMAIN'
  | 'DNS_FAILURE'
  | 'NULL_MX'
  | 'IMPLICIT_MX'
  | 'MX_CNAME'
  | 'MX_HOST_NO_ADDRESS'
  | 'CONNECT_FAILED'
  | 'TIMEOUT'
  | 'SMTP_REJECTED'
  | 'SMTP_PROTOCOL_ERROR'
  | 'STARTTLS_NOT_OFFERED'
  | 'STARTTLS_REJECTED'
  | 'STARTTLS_INJECTION'
  | 'TLS_REQUIRED_BY_SERVER'
  | 'TLS_HANDSHAKE_FAILED'
  | 'TLS_LEGACY_PROTOCOL'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_EXPIRES_SOON'
  | 'CERT_UNTRUSTED'
  | 'CERT_SELF_SIGNED'
  | 'CERT_CHAIN_INCOMPLETE'
  | 'CERT_NAME_MISMATCH'
  | 'WEAK_KEY'
  | 'WEAK_SIGNATURE'
  // Certificate path verification at the judged moment (cert/, judge/)
  | 'CERT_CA_EXPIRED'
  | 'CERT_CA_NOT_YET_VALID'
  | 'CERT_ISSUER_NOT_CA'
  | 'CERT_ISSUER_KEY_USAGE'
  | 'CERT_PATH_TOO_LONG'
  | 'CERT_WRONG_PURPOSE'
  | 'CERT_BAD_SIGNATURE'
  | 'CERT_VERIFY_FAILED'
  // What a sender with current OpenSSL defaults gets (the probe itself handshakes at security level 0)
  | 'TLS_MODERN_HANDSHAKE_FAILED'
  // The SMTP dialogue failed after the TLS handshake: no mail can go over TLS there
  | 'TLS_DIALOGUE_FAILED'
  // MX targets senders refuse, caps, malformed DNS answers, filtered address families
  | 'MX_IP_LITERAL'
  | 'MX_ADDRESS_SPECIAL'
  | 'MX_LIMIT_REACHED'
  | 'DNS_MALFORMED'
  | 'ADDRESSES_FILTERED'
  // Batch input: a row with more fields than the header (probed, but its other cells may be shifted)
  | 'INPUT_EXTRA_FIELDS';

export type Severity = 'error' | 'warning' | 'info';

export interface Problem {
  code: ProblemCode;
  severity: Severity;
  /** One sentence naming the host and IP it concerns. May contain server text (sanitise before display). */
  message: string;
  /** What to fix. */
  hint: string;
  host?: string;
  ip?: string;
}

// ---------------------------------------------------------------------------------------
// DNS facts

/** One DNS query as it was asked and answered. */
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

/**
 * The look-up failed (SERVFAIL, REFUSED, TIMEOUT, MALFORMED, ...): nothing is known about
 * the name. NOERROR and NXDOMAIN are answers, even when empty.
 *
 * @example lookupFailed('MALFORMED') // true
 */
export function lookupFailed(rcode: string): boolean {
  return rcode !== 'NOERROR' && rcode !== 'NXDOMAIN';
}

// ---------------------------------------------------------------------------------------
// SMTP and TLS facts of one address

export interface SmtpReply {
  code: number;
  /** Text of each line without the code and separator. */
  lines: string[];
}

export interface TranscriptEntry {
  /** 'C' client, 'S' server, '*' event (TLS started, closed, timeout). */
  dir: 'C' | 'S' | '*';
  text: string;
  /** Milliseconds since the connection attempt started. */
  ms: number;
}

/**
 * Where an address probe stopped, when it did not finish its dialogue. With implicit TLS the
 * handshake comes first and `banner` and `ehlo-tls` follow it. `modern-tls` is the second
 * connection that checks what a sender with current TLS defaults gets (ModernTlsFacts).
 */
export type ProbeStage = 'connect' | 'banner' | 'ehlo' | 'starttls' | 'handshake' | 'ehlo-tls' | 'quit' | 'modern-tls';

export interface ProbeFailure {
  stage: ProbeStage;
  /**
   * `aborted`: the probe was stopped from outside (a batch interrupted by a signal, a domain
   * past its deadline), not by the server: nothing is known about the rest of the dialogue.
   */
  kind: 'timeout' | 'connect' | 'closed' | 'protocol' | 'rejected' | 'tls' | 'aborted';
  /** Human-readable, e.g. "timeout while reading server greeting"; may contain server text. */
  message: string;
}

/**
 * How TLS is reached: `starttls` upgrades a plaintext SMTP session (RFC 3207; ports 25 and
 * 587), `implicit` starts TLS at once and speaks SMTP inside it (RFC 8314 §3; port 465).
 */
export type TlsMode = 'starttls' | 'implicit';

/**
 * What a sender with current TLS defaults gets from this address: a second handshake on a
 * new connection with TLS 1.2 or later at OpenSSL security level 2 (the probe's own
 * handshake accepts TLS 1.0 at level 0, to gather facts). Made only when the first
 * handshake left doubt (an old protocol, a small DH group, a legacy signature algorithm).
 */
export interface ModernTlsFacts {
  /** The handshake succeeded; false: it failed (`error`); null: the check stopped before it (`failure`). */
  ok: boolean | null;
  /** Negotiated by the check, when it succeeded. */
  protocol: string | null;
  /** IANA cipher suite name, when it succeeded. */
  cipher: string | null;
  /** OpenSSL's reason when the handshake failed, e.g. "dh key too small" (may contain server text). */
  error: string | null;
  /** Where the check's own dialogue stopped before its handshake (a refused or timed-out second connection). */
  failure: ProbeFailure | null;
}

export interface TlsFacts {
  /** 'TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1', ... */
  protocol: string;
  /** IANA cipher suite name, e.g. TLS_AES_256_GCM_SHA384. */
  cipher: string;
  /** OpenSSL's name for the same suite. */
  cipherOpenssl: string;
  /** Ephemeral key exchange, e.g. { type: 'ECDH', name: 'X25519', size: 253 }; null for static RSA or unknown. */
  keyExchange: { type: string; name: string | null; size: number } | null;
  /** The SNI sent (the MX host name), or null for an IP literal. */
  sni: string | null;
  /**
   * The signature scheme of the server's key exchange in TLS 1.0-1.2 (RFC 5246 §7.4.3, RFC 8446
   * §4.2.3 names), e.g. 'rsa_pss_rsae_sha256', 'rsa_pkcs1_sha1'; TLS 1.0/1.1 sign with
   * 'rsa_pkcs1_md5_sha1' or 'ecdsa_sha1'. Null when nothing was signed (RSA key transport),
   * for TLS 1.3 (its CertificateVerify never uses SHA-1) or when it could not be read.
   * Always set by the prober; optional only for facts recorded before it existed.
   */
  serverSignature?: string | null;
}

/** One certificate of the chain, as decoded; time-dependent judgements live in CertificateVerdict. */
export interface CertificateInfo {
  /** Distinguished names in one-line form, e.g. "CN=mx.example.com, O=Example". */
  subject: string;
  issuer: string;
  /** Subject common name(s). */
  commonNames: string[];
  /** subjectAltName entries as "DNS:name" / "IP:addr" / other. */
  san: string[];
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  /** 'rsa', 'ec', 'ed25519', 'ed448', 'dsa', ... */
  keyType: string;
  /** Key size in bits (RSA modulus, EC curve order size). */
  keyBits: number | null;
  /** Named curve for EC keys (prime256v1, secp384r1, ...). */
  curve: string | null;
  /** e.g. sha256WithRSAEncryption, ecdsa-with-SHA256, ED25519. */
  signatureAlgorithm: string;
  /** Colon-separated upper-case hex. */
  fingerprint256: string;
  serialNumber: string;
  /**
   * Self-signed as OpenSSL decides it (EXFLAG_SS): subject and issuer are the same name, its
   * authority key identifier (if any) names its own key, and its signature algorithm fits its
   * own key. The self-signature itself is not checked, as OpenSSL does not check it either.
   */
  selfSigned: boolean;
  /** Subject and issuer are the same name (OpenSSL's comparison); such a CA does not count towards a pathLenConstraint. */
  selfIssued: boolean;
  /** basicConstraints cA (Node's X509Certificate.ca). */
  isCA: boolean;
  /** This certificate is one of the trust anchors used (Node's roots plus --ca-file). */
  inTrustStore: boolean;
  /** X.509 version: 3, or 1 for old roots without extensions. */
  version: number;
  /** basicConstraints (RFC 5280 §4.2.1.9); null when absent. `pathLength` only on a CA. */
  basicConstraints: { ca: boolean; pathLength: number | null } | null;
  /** keyUsage bit names (RFC 5280 §4.2.1.3), e.g. ["digitalSignature", "keyEncipherment"]; null when absent. */
  keyUsage: string[] | null;
  /** extendedKeyUsage (RFC 5280 §4.2.1.12) by name ("serverAuth", "clientAuth", "anyExtendedKeyUsage") or OID; null when absent. */
  extendedKeyUsage: string[] | null;
  /** The legacy Netscape certificate type bits ("server", "sslCA", ...), which OpenSSL still honours; null when absent. */
  netscapeCertType: string[] | null;
  /** OIDs of critical extensions OpenSSL does not handle (it refuses such a certificate). */
  unhandledCriticalExtensions: string[];
  pem: string;
}

/** A certificate of the verification path, with the check of its link to the next one. */
export interface PathCertificate extends CertificateInfo {
  /**
   * Its signature verifies with the public key of the next certificate of the path. Null where
   * nothing was checked: a self-signed last certificate (OpenSSL does not check that signature
   * either) or a last certificate whose issuer is unknown.
   */
  signatureValid: boolean | null;
}

export interface CertificateFacts {
  /**
   * The certificates exactly as the server sent them, in its order, leaf first (read from
   * the handshake records; for TLS 1.3 decrypted with the session's handshake secret).
   * Falls back to the rebuilt `path` without its store anchor when they cannot be read
   * (`chainSource: 'rebuilt'`).
   */
  chain: CertificateInfo[];
  chainSource: 'presented' | 'rebuilt';
  /**
   * The verification path, built as OpenSSL builds it by default (trusted first): the leaf,
   * then at each step an issuer from the trust store when there is one (`inTrustStore`), else
   * one of the sent certificates; an issuer's name and key identifier must fit, and among
   * several the one valid at `verifiedAt` is taken. It ends at a self-signed certificate or
   * where no issuer is known (a missing intermediate, an unknown root).
   */
  path: PathCertificate[];
  /**
   * OpenSSL's own verdict in the handshake, e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE (Node's
   * authorizationError: OpenSSL's last error only; "UNSPECIFIED" for codes Node does not
   * name); null when OpenSSL accepted the chain.
   */
  opensslError: string | null;
  /** ISO 8601: when the handshake verified the chain (the moment `opensslError` and the path's choice of issuers refer to). */
  verifiedAt: string;
}

export interface CertificateVerdict {
  /**
   * The path verified at the judged moment as OpenSSL verifies it (`openssl verify -purpose
   * sslserver` at that time): it ends at a trust anchor, every certificate (the anchor too) is
   * within its validity period, each issuer is a CA allowed to sign certificates, no
   * pathLenConstraint is exceeded, the leaf is fit for a TLS server, every signature verifies,
   * and OpenSSL raised nothing else. Name match, key sizes and hash strength are apart.
   */
  trusted: boolean;
  /** The first OpenSSL error code of that verification (OpenSSL's order), e.g. CERT_HAS_EXPIRED; null when trusted. */
  trustError: string | null;
  /** Every OpenSSL error code of that verification, in OpenSSL's order. */
  trustErrors: string[];
  nameMatch: boolean;
  /** The SAN or CN entry that matched the MX host name. */
  matchedName: string | null;
  expired: boolean;
  notYetValid: boolean;
  /** Whole days until the leaf's notAfter (negative once expired). */
  daysLeft: number;
  /** Days left per chain element, same order as `chain`. */
  chainDaysLeft: number[];
}

export type StageTimings = Partial<Record<ProbeStage, number>> & { total: number };

/** What probing one IP address of one MX host found. */
export interface AddressFacts {
  ip: string;
  family: 4 | 6;
  port: number;
  /** The MX host (or --server host) this address belongs to. */
  host: string;
  /** How TLS was reached: STARTTLS in plaintext SMTP, or implicit TLS from the first byte (port 465). */
  tlsMode: TlsMode;
  /** A TCP connection was made. */
  connected: boolean;
  /** The first reply (220 greeting, or 421/554 refusal). */
  banner: SmtpReply | null;
  /** EHLO reply before TLS: the extension keywords, upper-cased, with parameters (null with implicit TLS). */
  ehlo: string[] | null;
  /** STARTTLS was advertised in EHLO (never with implicit TLS). */
  starttls: boolean;
  /** The reply to STARTTLS, when sent. */
  starttlsReply: SmtpReply | null;
  /** Bytes the server sent after its 220 to STARTTLS and before the TLS handshake (RFC 3207 §6); discarded. */
  injectedBytes: number;
  /** A 530 reply ("must issue STARTTLS first") to a command sent in plaintext. */
  tlsRequiredReply: SmtpReply | null;
  tls: TlsFacts | null;
  /** EHLO reply after TLS. */
  ehloTls: string[] | null;
  certificate: CertificateFacts | null;
  /** What a sender with current TLS defaults gets; null when not checked (nothing in doubt, or no TLS). */
  modernTls: ModernTlsFacts | null;
  failure: ProbeFailure | null;
  /** Connections it took (batch mode retries transient failures: --retries). */
  attempts?: number;
  timings: StageTimings;
  /** The SMTP dialogue; dropped from JSON unless --transcript. */
  transcript?: TranscriptEntry[];
}

export interface AddressResult extends Omit<AddressFacts, 'certificate'> {
  certificate: (CertificateFacts & CertificateVerdict) | null;
  /** Level reached at this address; null when it could not be determined (not reachable). */
  level: Level | null;
  problems: Problem[];
}

export interface MxHostFacts<A = AddressFacts> {
  /** A-label host name without trailing dot. */
  host: string;
  preference: number;
  /** No MX record: the domain itself is the mail host (RFC 5321 §5.1). */
  implicit: boolean;
  /** CNAMEs followed from `host` to its addresses (RFC 5321 §5.1 says an MX should not be an alias). */
  cnames: string[];
  /** The addresses probed. */
  addresses: A[];
  /** Addresses DNS gave that were not probed, and why; absent when none. */
  skipped?: SkippedAddress[];
  /** Set when the MX target was neither looked up nor probed: it is no host name a sender would use. */
  unusable?: UnusableTarget;
}

/** An address found in DNS and not probed. */
export interface SkippedAddress {
  ip: string;
  family: 4 | 6;
  /**
   * special-purpose: in an IANA special-purpose range a sender cannot use (MX_ADDRESS_SPECIAL;
   * probed with --allow-special-addresses); family: of the family -4/-6 leaves out
   * (ADDRESSES_FILTERED); limit: beyond the addresses probed per MX host (MX_LIMIT_REACHED).
   */
  reason: 'special-purpose' | 'family' | 'limit';
  /** special-purpose: the range's name, e.g. "loopback", "private-use", "ipv4-mapped link-local". */
  range?: string;
  /** special-purpose: the registry's block, e.g. "127.0.0.0/8". */
  block?: string;
}

/** An MX target that is not a host name a sender would use. */
export interface UnusableTarget {
  /** ip-literal: an IP address where a host name belongs (MX_IP_LITERAL); invalid-name: not a host name (DNS_MALFORMED). */
  kind: 'ip-literal' | 'invalid-name';
  /** What is wrong, in words, e.g. "an IP address (192.0.2.1) where a host name belongs". */
  detail: string;
}

export type DomainOutcome =
  /** MX (or implicit MX) hosts found and probed. */
  | 'probed'
  | 'nxdomain'
  | 'null-mx'
  | 'dns-failure'
  | 'no-mail-host'
  /**
   * Mail hosts found, but none of their addresses probed while some could be used: every
   * address of the family -4/-6 leaves out, or every host probed unusable and more beyond
   * the cap (MX_LIMIT_REACHED). Undetermined.
   */
  | 'not-probed'
  /** Batch input row that is not a domain (problem INVALID_INPUT): nothing was probed. */
  | 'invalid-input';

export interface DomainFacts {
  /** Normalised A-label domain. */
  domain: string;
  /** As given by the user. */
  input: string;
  outcome: DomainOutcome;
  /** The DNSSEC AD flag of the MX answer (false when none). */
  mxAuthenticated: boolean;
  mx: MxHostFacts[];
  /** Set when the domain publishes more MX hosts than mxprobe probes: how many it has, and how many (the most preferred) were probed. */
  mxLimit?: { found: number; probed: number };
  dns: DnsQueryFacts[];
  /** ISO 8601 time the probe started. */
  probedAt: string;
}

export type PolicyId = 'a' | 'b' | 'c' | 'd';

/** Would mail be delivered, and encrypted, under one of the seed FAQ's sender policies. */
export interface PolicyOutcome {
  policy: PolicyId;
  name: string;
  /** 'yes' every reachable MX address, 'partly' some, 'no' none, 'unknown' nothing reachable. */
  delivered: 'yes' | 'partly' | 'no' | 'unknown';
  /** 'n/a' where the policy delivers nothing. */
  encrypted: 'yes' | 'partly' | 'no' | 'unknown' | 'n/a';
}

export interface DomainResult extends Omit<DomainFacts, 'mx'> {
  mx: MxHostFacts<AddressResult>[];
  /** Lowest level over all reachable addresses; null when undetermined or no mail host. */
  level: Level | null;
  required: Level;
  /** Level meets `required`; null when the level could not be determined (exit code 3). */
  pass: boolean | null;
  /** Every problem: the domain's own and each address's (with host and ip). */
  problems: Problem[];
  policies: PolicyOutcome[];
  /** Batch mode: where the domain came from (line of the input) and its other input columns, untouched. */
  source?: BatchSource;
}

export interface BatchSource {
  /** 1-based line of the input where the row starts. */
  line: number;
  /** The row's other columns by header name (none for a plain list). */
  columns: Record<string, string>;
}

export const SCHEMA_VERSION = 1;

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  domains: DomainResult[];
}
