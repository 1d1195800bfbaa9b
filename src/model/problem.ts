/**
 * Problems: the stable codes mxprobe reports and the shape of one reported problem. Types only;
 * the catalogue (severity and hint of every code) and the one factory are in
 * judge/problem-catalogue.ts. Codes are a public contract (README "Problem codes"): add, never
 * rename.
 */

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
  | 'INPUT_EXTRA_FIELDS'
  // The probe negotiated a broken cipher suite (model/cipher-classes.ts): it handshakes at security level 0
  | 'TLS_WEAK_CIPHER';

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
