/**
 * Problems: the stable codes mxprobe reports, for the probe and for `mxprobe headers` alike, and
 * the shape of one reported problem, which says where it is. Types only; the one catalogue
 * (severity and hint of every code) and the one factory are in judge/problem-catalogue.ts.
 * Codes are a public contract (README "Problem codes"): add, never rename.
 */

/**
 * Stable problem codes of both commands; the catalogue with severities and hints is judge/problem-catalogue.ts.
 *
 * @example const code: ProblemCode = 'STARTTLS_NOT_OFFERED'; // PROBLEMS[code].hint says what to fix
 */
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
  | 'TLS_WEAK_CIPHER'
  // `mxprobe headers`: the message, its hops (Received fields) and the input as a whole
  | 'NO_RECEIVED_FIELDS'
  | 'NO_NETWORK_HOP'
  | 'HEADER_TOO_LARGE'
  | 'TOO_MANY_RECEIVED_FIELDS'
  | 'HEADER_LINES_REPAIRED'
  | 'HOP_PLAINTEXT'
  | 'HOP_ENCRYPTION_UNKNOWN'
  | 'HOP_LEGACY_PROTOCOL'
  | 'HOP_WEAK_CIPHER'
  | 'HOP_CLIENT_CERT_FAILED'
  | 'HOP_TLS_DETAILS_MISSING'
  | 'HOP_KEYWORD_CONTRADICTS_TLS'
  | 'HOP_FIELD_TRUNCATED'
  | 'HOP_DATE_INVALID'
  | 'HOP_DATE_IN_FUTURE'
  | 'HOP_DATE_ORDER'
  | 'INPUT_TOO_LARGE'
  | 'TOO_MANY_MESSAGES'
  | 'NO_MESSAGE_HEADER'
  // `mxprobe headers`: reading the input failed (an I/O error), inside a header or before any
  | 'INPUT_READ_ERROR'
  // DANE (RFC 7672): an address's certificate against its host's TLSA records (judge/dane.ts)
  | 'DANE_NO_MATCH'
  | 'DANE_TA_NAME_MISMATCH'
  | 'DANE_TA_EXPIRED'
  | 'DANE_TA_CHAIN_INVALID'
  // DANE: an MX host's TLSA RRset (judge/dane.ts judgeTlsaSet, judge/dane-rollover.ts)
  | 'DANE_UNUSABLE_USAGE'
  | 'DANE_UNUSABLE_RECORD'
  | 'DANE_ROLLOVER_UNSAFE'
  | 'DNSSEC_BOGUS'
  // MTA-STS (RFC 8461): the `_mta-sts` record, the policy fetch and its text, the MX hosts against it
  | 'MTA_STS_RECORD_INVALID'
  | 'MTA_STS_POLICY_UNREACHABLE'
  | 'MTA_STS_POLICY_INVALID'
  | 'MTA_STS_MX_MISMATCH'
  | 'MTA_STS_MX_NOT_VERIFIED'
  | 'MTA_STS_UNKNOWN_KEY'
  | 'MTA_STS_DUPLICATE_FIELD'
  // TLS reporting (RFC 8460): the `_smtp._tls` record
  | 'TLSRPT_MISSING'
  | 'TLSRPT_INVALID'
  // DNSSEC (issue 9): the resolver does not set AD for a signed name, so no answer can be told secure
  | 'DNSSEC_NOT_VALIDATED'
  // Deep TLS (issue 10): a fact graded phase-out or insufficient under the guideline profile (judge/deep-grade.ts)
  | 'TLS_PROTOCOL_INSUFFICIENT'
  | 'TLS_PROTOCOL_PHASE_OUT'
  | 'TLS_CIPHER_INSUFFICIENT'
  | 'TLS_CIPHER_PHASE_OUT'
  | 'TLS_CIPHER_ORDER'
  | 'TLS_GROUP_INSUFFICIENT'
  | 'TLS_GROUP_PHASE_OUT'
  | 'WEAK_DH'
  | 'CERT_KEY_PHASE_OUT'
  | 'CERT_HASH_PHASE_OUT'
  | 'TLS_COMPRESSION'
  | 'TLS_INSECURE_RENEGOTIATION'
  | 'TLS_CLIENT_RENEGOTIATION'
  | 'TLS_NO_EXTENDED_MASTER_SECRET'
  | 'STARTTLS_COMMAND_INJECTION'
  | 'DEEP_PARTIAL';

/**
 * Where a problem is:
 * - the probe: `domain` (DNS, the MX set, the domain's limits), `host` (one MX host: its name,
 *   its look-ups, the addresses left out), `address` (one IP address of one MX host), `input`
 *   (the batch input row: INVALID_INPUT, INPUT_EXTRA_FIELDS);
 * - `mxprobe headers`: `message` (the message's header as a whole), `hop` (one Received field),
 *   `input` (the file or standard input as a whole).
 *
 * @example const onAddresses = (problems: Problem[]) => problems.filter((p) => p.scope === ('address' satisfies ProblemScope));
 */
export type ProblemScope = 'domain' | 'host' | 'address' | 'input' | 'message' | 'hop';

/**
 * The place of a problem, as its factory (judge/problem-catalogue.ts `problem`) takes it: the
 * scope and the fields that scope names. `mxprobe headers` writes `hop` null for its message and
 * input problems (its JSON has always had the field).
 *
 * @example const found = problem('CERT_EXPIRED', 'The certificate of mx.example.com [192.0.2.25] expired.', { scope: 'address', host: 'mx.example.com', ip: '192.0.2.25' } satisfies ProblemPlace);
 */
export type ProblemPlace =
  | { scope: 'domain' }
  | { scope: 'host'; host: string }
  | { scope: 'address'; host: string; ip: string }
  | { scope: 'input'; hop?: null }
  | { scope: 'message'; hop: null }
  | { scope: 'hop'; hop: number };

/** The place of a problem of one address. @example const at: AddressPlace = { scope: 'address', host: 'mx.example.com', ip: '192.0.2.1' } */
export type AddressPlace = Extract<ProblemPlace, { scope: 'address' }>;

/**
 * How much a problem weighs: an `error` keeps a domain from its level, a `warning` does not,
 * `info` only informs.
 *
 * @example const severity: Severity = PROBLEMS.CERT_EXPIRES_SOON.severity; // 'warning'
 */
export type Severity = 'error' | 'warning' | 'info';

/**
 * One problem found, with what to do about it and where it is.
 *
 * @example const lines = (result: DomainResult) => allProblems(result).map((p: Problem) => `${p.severity} ${p.code}: ${p.message}`);
 */
export interface Problem {
  code: ProblemCode;
  /** The catalogue's severity; in a domain that passes its requirement, an error is reported as a warning (judge/judge-domain.ts relativeTo). */
  severity: Severity;
  /** One sentence naming what it concerns (host and IP, or hop). May contain server or header text (sanitise before display). */
  message: string;
  /** What to fix (the catalogue's hint for the code). */
  hint: string;
  /** Where it is; the fields below are those the scope names. */
  scope: ProblemScope;
  /** `host` and `address` scope: the MX host (or --server host). */
  host?: string;
  /** `address` scope: the IP address. */
  ip?: string;
  /** `mxprobe headers`: the hop's `order` (scope `hop`), or null (scope `message` or `input`). */
  hop?: number | null;
}
