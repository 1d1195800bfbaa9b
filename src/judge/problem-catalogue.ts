/**
 * The one catalogue of every problem mxprobe reports, for the probe and for `mxprobe headers`:
 * its stable code, severity, which command reports it and what to do about it; and the one way
 * a judge makes a Problem of it. Codes are a public contract (README "Problem codes"): add,
 * never rename.
 */
import type { Problem, ProblemCode, ProblemPlace, Severity } from '../model/problem.js';
import type { ProbeFailure } from '../model/smtp.js';
import type { SenderPolicyId } from '../model/policy.js';
import { HEADER_LIMITS } from '../headers/read-message.js';

/**
 * A code of the catalogue: its severity, the command that reports it and what to do about it.
 *
 * @example const kind: ProblemKind = PROBLEMS.CERT_EXPIRED; // kind.severity: 'error'
 */
export interface ProblemKind {
  severity: Severity;
  /** The command that reports it: `probe` (domains, --server, --input) or `headers` (`mxprobe headers`). */
  command: 'probe' | 'headers';
  /** What the partner's mail administrator (or, for `headers`, the reader of the message) should do. */
  hint: string;
  /**
   * The sender policy whose own mechanism the code judges (`dane`: TLSA and DNSSEC; `mta-sts`:
   * the MTA-STS record, policy and MX match). Such a code weighs on that policy's row only: it
   * never lowers an address's level, the PKIX ladder (judge-address.ts capLevel).
   */
  policy?: SenderPolicyId;
  /**
   * A code of the guideline grading (judge/deep-grade.ts, `--deep`, `--profile`): what else the
   * server accepts, graded phase-out or insufficient. It weighs on the graded requirement
   * (`--require …+graded`) only: it never lowers an address's level, since the sender's own
   * handshake is judged by the other codes.
   */
  graded?: true;
}

/**
 * A size in words: '64 MiB', '16 KiB', else the number with its unit.
 *
 * @example sizeText(1048576, 'characters') // '1 MiB'; sizeText(1000, 'bytes') // '1000 bytes'
 */
export function sizeText(n: number, unit: 'bytes' | 'characters'): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / 1024 / 1024} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} ${unit}`;
}

/**
 * An integer with its thousands grouped by commas, as `toLocaleString('en-US')` writes it
 * but without loading ICU (about 9 ms of start-up on the first call).
 *
 * @example groupedDigits(10000) // '10,000'
 */
export function groupedDigits(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** The caps of `mxprobe headers`, in words, for its hints. */
const LIMIT = {
  header: sizeText(HEADER_LIMITS.headerChars, 'characters'),
  field: sizeText(HEADER_LIMITS.fieldChars, 'characters'),
  input: sizeText(HEADER_LIMITS.inputBytes, 'bytes'),
  received: groupedDigits(HEADER_LIMITS.receivedFields),
  messages: groupedDigits(HEADER_LIMITS.messages),
};

/** The catalogue, by code. @example PROBLEMS.CERT_EXPIRED.severity // 'error' */
export const PROBLEMS: Record<ProblemCode, ProblemKind> = {
  INVALID_INPUT: { severity: 'error', command: 'probe', hint: 'Give a domain name such as example.com or an e-mail address.' },
  DNS_NXDOMAIN: {
    severity: 'error',
    command: 'probe',
    hint: 'The domain does not exist in DNS: check the spelling, or register the domain and publish MX records.',
  },
  DNS_FAILURE: {
    severity: 'error',
    command: 'probe',
    hint: "The DNS look-up failed (SERVFAIL or no answer): check the domain's name servers and DNSSEC signatures, then try again.",
  },
  NULL_MX: {
    severity: 'error',
    command: 'probe',
    hint: 'The domain publishes a null MX (RFC 7505): it accepts no mail at all. Publish real MX records if it should receive mail.',
  },
  IMPLICIT_MX: {
    severity: 'info',
    command: 'probe',
    hint: 'The domain has no MX record, so mail goes to its own address (RFC 5321 §5.1). Publish an MX record to make this explicit.',
  },
  MX_CNAME: {
    severity: 'warning',
    command: 'probe',
    hint: 'The MX target is an alias (CNAME); RFC 5321 §5.1 and RFC 2181 §10.3 require the MX to name a host with A/AAAA records directly.',
  },
  MX_HOST_NO_ADDRESS: {
    severity: 'error',
    command: 'probe',
    hint: 'The MX host has no A or AAAA record: publish its address or point the MX at a host that exists.',
  },
  CONNECT_FAILED: {
    severity: 'error',
    command: 'probe',
    hint: 'Nothing accepts connections on this address and port: check the mail server is running and the firewall allows port 25 from the internet.',
  },
  TIMEOUT: {
    severity: 'error',
    command: 'probe',
    hint: 'The server did not answer in time: check firewalls that drop packets, overloaded servers and greeting delays (tarpits).',
  },
  SMTP_REJECTED: {
    severity: 'error',
    command: 'probe',
    hint: 'The server refused the session (421/554 or a refused EHLO): check whether it blocks the probing address or is out of service.',
  },
  SMTP_PROTOCOL_ERROR: {
    severity: 'error',
    command: 'probe',
    hint: 'The server did not speak valid SMTP (malformed or oversized replies, or it closed the connection mid-dialogue): check what listens on this port.',
  },
  STARTTLS_NOT_OFFERED: {
    severity: 'error',
    command: 'probe',
    hint: 'The server does not advertise STARTTLS: install a certificate and enable TLS (Postfix: smtpd_tls_security_level = may; Exchange: assign the certificate to the SMTP service).',
  },
  STARTTLS_REJECTED: {
    severity: 'error',
    command: 'probe',
    hint: 'The server advertises STARTTLS but refuses it: check the TLS configuration and that the certificate and key files are readable by the mail server.',
  },
  STARTTLS_INJECTION: {
    severity: 'error',
    command: 'probe',
    hint: 'Plaintext arrived after the 220 to STARTTLS (RFC 3207 §6); mxprobe discarded it. A middlebox may be tampering with the session, or the server software is broken: inspect the path and update it.',
  },
  TLS_REQUIRED_BY_SERVER: {
    severity: 'info',
    command: 'probe',
    hint: 'The server refuses plaintext commands until STARTTLS (530): senders without TLS cannot deliver.',
  },
  TLS_HANDSHAKE_FAILED: {
    severity: 'error',
    command: 'probe',
    hint: 'STARTTLS was accepted (or, on an implicit-TLS port such as 465, the connection was made) but no TLS session could be made: check the certificate and key, and that TLS 1.2 or later with current ciphers is enabled.',
  },
  TLS_LEGACY_PROTOCOL: {
    severity: 'warning',
    command: 'probe',
    hint: 'Only an obsolete protocol was negotiated (SSLv3, TLS 1.0 or 1.1, deprecated by RFC 8996): enable TLS 1.2 and 1.3.',
  },
  CERT_EXPIRED: { severity: 'error', command: 'probe', hint: "The server's certificate has expired: renew it and install the new certificate with its intermediates." },
  CERT_NOT_YET_VALID: {
    severity: 'error',
    command: 'probe',
    hint: "The certificate's validity starts in the future: check the server's clock and the certificate's notBefore date.",
  },
  CERT_EXPIRES_SOON: { severity: 'warning', command: 'probe', hint: 'The certificate expires soon: renew it before then (automate renewal where possible).' },
  CERT_UNTRUSTED: {
    severity: 'error',
    command: 'probe',
    hint: 'The chain does not lead to a trusted root: use a certificate from a public CA, or give senders your private CA (mxprobe: --ca-file).',
  },
  CERT_SELF_SIGNED: {
    severity: 'error',
    command: 'probe',
    hint: 'The certificate is self-signed: senders that verify certificates (policy d) will not deliver. Use a certificate from a public or agreed private CA.',
  },
  CERT_CHAIN_INCOMPLETE: {
    severity: 'error',
    command: 'probe',
    hint: "The server does not send the intermediate certificate(s): configure the full chain file (Postfix: smtpd_tls_chain_files with the leaf followed by the CA's intermediates).",
  },
  CERT_NAME_MISMATCH: {
    severity: 'error',
    command: 'probe',
    hint: 'The certificate does not name the MX host: add the MX host name to its subjectAltName, or point the MX at a name the certificate covers.',
  },
  WEAK_KEY: { severity: 'error', command: 'probe', hint: 'The key is too small: use RSA of at least 2048 bits or an ECDSA P-256/P-384 key.' },
  WEAK_SIGNATURE: {
    severity: 'error',
    command: 'probe',
    hint: 'A certificate in the chain is signed with MD5 or SHA-1, which verifying senders reject: reissue it with SHA-256.',
  },
  CERT_CA_EXPIRED: {
    severity: 'error',
    command: 'probe',
    hint: "A CA certificate of the chain (an intermediate the server sends, or the root it leads to) has expired: install your CA's current intermediate in the chain file, or move to a chain that ends at a root that is still valid.",
  },
  CERT_CA_NOT_YET_VALID: {
    severity: 'error',
    command: 'probe',
    hint: "A CA certificate of the chain is not valid yet: check the server's chain file (a CA certificate issued for the future was installed too early) and the clocks involved.",
  },
  CERT_ISSUER_NOT_CA: {
    severity: 'error',
    command: 'probe',
    hint: 'A certificate of the chain was issued by a certificate that is not a CA (basicConstraints without CA:TRUE): senders that verify refuse it. Install the leaf your CA issued with the intermediates it gave you.',
  },
  CERT_ISSUER_KEY_USAGE: {
    severity: 'error',
    command: 'probe',
    hint: 'The key usage of a CA certificate in the chain does not allow signing certificates (keyCertSign): the chain is broken. Use the intermediates your CA publishes.',
  },
  CERT_PATH_TOO_LONG: {
    severity: 'error',
    command: 'probe',
    hint: "The chain is longer than a CA's pathLenConstraint allows: install the chain your CA gives, without extra intermediates.",
  },
  CERT_WRONG_PURPOSE: {
    severity: 'error',
    command: 'probe',
    hint: 'The certificate is not for TLS servers (its extendedKeyUsage lacks serverAuth, and anyExtendedKeyUsage alone does not do for OpenSSL; or its keyUsage allows no TLS key exchange), or a CA of its chain is restricted to other purposes: request a TLS server certificate from a chain that allows it.',
  },
  CERT_BAD_SIGNATURE: {
    severity: 'error',
    command: 'probe',
    hint: "A certificate's signature does not verify with its issuer's key: the chain file holds the wrong intermediate, or a certificate is damaged. Reinstall the chain your CA gives.",
  },
  CERT_VERIFY_FAILED: {
    severity: 'error',
    command: 'probe',
    hint: "OpenSSL refuses the chain for a reason mxprobe does not check itself (the OpenSSL code is in the message; Node names some only UNSPECIFIED), such as a name constraint or a critical extension it does not handle: senders that verify refuse it too. See the reason with `openssl verify -purpose sslserver -untrusted chain.pem leaf.pem`.",
  },
  TLS_MODERN_HANDSHAKE_FAILED: {
    severity: 'error',
    command: 'probe',
    hint: 'A sender with current OpenSSL defaults (TLS 1.2 or later, security level 2: DH groups and RSA keys of 2048 bits, no SHA-1 or MD5 signatures) cannot complete a TLS handshake with this server: with TLS required it does not deliver, with opportunistic TLS it delivers in plaintext. Enable TLS 1.2 and 1.3 with current ciphers, signature algorithms and keys (check with `openssl s_client -starttls smtp -tls1_2 -connect HOST:25`).',
  },
  TLS_DIALOGUE_FAILED: {
    severity: 'error',
    command: 'probe',
    hint: 'The TLS handshake succeeded but the SMTP dialogue over TLS failed (no answer, a flood, a refusal or a close after the handshake), so no mail can be delivered over TLS: check the server software and anything in the path that inspects TLS.',
  },
  MX_IP_LITERAL: {
    severity: 'error',
    command: 'probe',
    hint: 'The MX record names an IP address instead of a host name; RFC 5321 §5.1 and senders such as Postfix and Exim refuse it. Publish a host name with A/AAAA records as the MX target.',
  },
  MX_ADDRESS_SPECIAL: {
    severity: 'error',
    command: 'probe',
    hint: 'The MX host resolves to a special-purpose address (loopback, private, link-local, documentation, multicast, …) that senders on the internet cannot or will not use; mxprobe does not connect to it (--allow-special-addresses does). Publish the public address of the mail server.',
  },
  MX_LIMIT_REACHED: {
    severity: 'warning',
    command: 'probe',
    hint: 'The domain publishes more MX hosts (over 10) or an MX host more addresses (over 8) than mxprobe probes; senders try even fewer (Postfix: 5 addresses in all). The least preferred hosts, or the extra addresses, were not probed: publish fewer.',
  },
  DNS_MALFORMED: {
    severity: 'error',
    command: 'probe',
    hint: "A DNS answer was malformed (a record of the wrong size, a name too long or that is no host name): senders cannot use it. Check the domain's zone and its name servers, and any resolver or middlebox on the path that rewrites answers.",
  },
  ADDRESSES_FILTERED: {
    severity: 'warning',
    command: 'probe',
    hint: 'Addresses of a family the run excludes (-4 / -6) were not probed: run without the option to probe them.',
  },
  INPUT_EXTRA_FIELDS: {
    severity: 'warning',
    command: 'probe',
    hint: 'The input row has more fields than the CSV header (a value with an unquoted comma?): the domain was probed, but the row\'s other cells may be shifted. Quote values that contain commas.',
  },
  TLS_WEAK_CIPHER: {
    severity: 'error',
    command: 'probe',
    hint: 'The server chose a broken cipher suite (RC4, DES or 3DES, EXPORT, NULL encryption, MD5 or anonymous key exchange; RFC 7465, RFC 9325 §4.1): disable them and prefer AES-GCM or ChaCha20-Poly1305 (Postfix: smtpd_tls_exclude_ciphers = aNULL, eNULL, EXPORT, DES, 3DES, RC4, MD5; OpenSSL cipher string HIGH:!aNULL:!MD5:!RC4:!3DES).',
  },
  // mxprobe headers
  NO_RECEIVED_FIELDS: {
    severity: 'warning',
    command: 'headers',
    hint: "The message has no Received field, so nothing shows how it travelled: save the message as it was delivered (the mail client's \"show original\" or \"view source\"), not a forwarded copy or the sent copy.",
  },
  NO_NETWORK_HOP: {
    severity: 'info',
    command: 'headers',
    hint: 'Every Received field records a hand-over inside one host: send the test message from the partner\'s domain to yours, then read it as delivered.',
  },
  HEADER_TOO_LARGE: {
    severity: 'warning',
    command: 'headers',
    hint: `The header is larger than mxprobe reads (${LIMIT.header}): only its first part was read, so the message cannot pass (hops below the cut are unknown). Give the message as delivered, or just its header block.`,
  },
  TOO_MANY_RECEIVED_FIELDS: {
    severity: 'warning',
    command: 'headers',
    hint: `Only the newest ${LIMIT.received} Received fields were read (a mail loop, or a padded header): the oldest hops, where the message entered, are not judged, so the message cannot pass.`,
  },
  HEADER_LINES_REPAIRED: {
    severity: 'info',
    command: 'headers',
    hint: 'Some header lines were not indented as folded lines must be (RFC 5322 §2.2.3), as happens when a header is copied from a web page or a PDF: they were joined to the field before them. Check the hops against the original message.',
  },
  HOP_PLAINTEXT: {
    severity: 'error',
    command: 'headers',
    hint: "The hop was not encrypted: the sending server did not use STARTTLS. Enable TLS on the sender (Postfix: smtp_tls_security_level = may, or encrypt for this partner) and check the receiver offers STARTTLS (mxprobe DOMAIN).",
  },
  HOP_ENCRYPTION_UNKNOWN: {
    severity: 'warning',
    command: 'headers',
    hint: "mxprobe does not know this Received field's notation and will not guess: check the hop by hand, or ask the receiving server's administrator to record TLS (Postfix: smtpd_tls_received_header = yes).",
  },
  HOP_LEGACY_PROTOCOL: {
    severity: 'warning',
    command: 'headers',
    hint: 'The hop used an obsolete protocol (SSLv3, TLS 1.0 or 1.1; RFC 7568, RFC 8996): enable TLS 1.2 and 1.3 on both servers. "TLSv1/SSLv3" is old OpenSSL\'s label for any of them.',
  },
  HOP_WEAK_CIPHER: {
    severity: 'error',
    command: 'headers',
    hint: 'The hop used a broken or weak cipher (RC4, DES or 3DES, EXPORT, NULL, MD5, or under 112 bits; RFC 7465, RFC 9325 §4.1): disable these ciphers on both servers and prefer AES-GCM or ChaCha20-Poly1305.',
  },
  HOP_CLIENT_CERT_FAILED: {
    severity: 'info',
    command: 'headers',
    hint: "The receiving server could not verify the sending server's client certificate. Mail servers rarely need client certificates; this matters only where the partners agreed to authenticate with them.",
  },
  HOP_TLS_DETAILS_MISSING: {
    severity: 'info',
    command: 'headers',
    hint: 'The hop says TLS was used but not which version and cipher. To record them: Postfix smtpd_tls_received_header = yes; Exim received_header_text with $tls_in_ver and $tls_in_cipher_std.',
  },
  HOP_KEYWORD_CONTRADICTS_TLS: {
    severity: 'info',
    command: 'headers',
    hint: 'The `with` keyword says plain SMTP but the field records a TLS session: older sendmail wrote ESMTP for TLS sessions (RFC 3848 keywords came later). mxprobe trusts the TLS details.',
  },
  HOP_FIELD_TRUNCATED: {
    severity: 'warning',
    command: 'headers',
    hint: `The Received field is longer than mxprobe reads (${LIMIT.field}) and was read in part: what the rest says is unknown, so the hop counts as unknown and the message cannot pass. Check it by hand.`,
  },
  HOP_DATE_INVALID: {
    severity: 'info',
    command: 'headers',
    hint: 'The time stamp after the last ";" is missing or not an RFC 5322 date-time: the hop cannot be placed in time.',
  },
  HOP_DATE_IN_FUTURE: {
    severity: 'warning',
    command: 'headers',
    hint: "The hop's time stamp is later than now: the server's clock or time zone is wrong, or the field was forged.",
  },
  HOP_DATE_ORDER: {
    severity: 'info',
    command: 'headers',
    hint: 'This hop is stamped earlier than the hop before it: the two servers\' clocks disagree, or a field was inserted by the sender (fields below the first hop of your own servers can be forged).',
  },
  INPUT_TOO_LARGE: {
    severity: 'warning',
    command: 'headers',
    hint: `The input is larger than mxprobe reads (${LIMIT.input}): the messages after the cut were not read, so the input cannot pass. Give the test message alone (save it from the mail client), or split the mbox.`,
  },
  TOO_MANY_MESSAGES: {
    severity: 'warning',
    command: 'headers',
    hint: `The input holds more messages than mxprobe judges (${LIMIT.messages}): the rest were counted but not read, so the input cannot pass. Give the test message alone, or split the mbox.`,
  },
  NO_MESSAGE_HEADER: {
    severity: 'warning',
    command: 'headers',
    hint: "The input holds no header field, so nothing shows how a message travelled: give the message as delivered (the mail client's \"show original\" or \"view source\"), its header block, or an mbox.",
  },
  INPUT_READ_ERROR: {
    severity: 'error',
    command: 'headers',
    hint: 'Reading the input failed (an I/O error: the code is in the message): what was read before it is reported, the rest is unknown, so the input cannot pass. Check the file and the disk, then run again.',
  },
  // DANE (RFC 7672, RFC 7671)
  DANE_NO_MATCH: {
    severity: 'error',
    policy: 'dane',
    command: 'probe',
    hint: "No usable TLSA record authenticates the server's certificate (or no TLS session was made), so senders that enforce DANE (Postfix dane, Exim, many providers) do not deliver: publish `3 1 1` records for the key the server uses (`openssl x509 -noout -pubkey -in cert.pem | openssl pkey -pubin -outform DER | openssl dgst -sha256`), and publish the new record before installing a new key.",
  },
  DANE_TA_NAME_MISMATCH: {
    severity: 'error',
    policy: 'dane',
    command: 'probe',
    hint: 'With a DANE-TA (usage 2) record the certificate must name the MX host (or its CNAME target; RFC 7672 §3.2.2): add the MX host name to its subjectAltName, or publish a DANE-EE `3 1 1` record, for which names are not checked.',
  },
  DANE_TA_EXPIRED: {
    severity: 'error',
    policy: 'dane',
    command: 'probe',
    hint: 'With a DANE-TA (usage 2) record the dates of the certificate and of the intermediates below the trust anchor are checked: renew the certificate (and install the current intermediates). A DANE-EE `3 1 1` record does not depend on dates.',
  },
  DANE_TA_CHAIN_INVALID: {
    severity: 'error',
    policy: 'dane',
    command: 'probe',
    hint: "With a DANE-TA (usage 2) record the chain from the certificate up to the trust anchor must verify as OpenSSL verifies it (signatures, CA flags, key usage, purpose): send the chain your CA issued, leaf first, up to and including the certificate the TLSA record names.",
  },
  DANE_UNUSABLE_USAGE: {
    severity: 'warning',
    policy: 'dane',
    command: 'probe',
    hint: 'TLSA records of usage 0 (PKIX-TA), 1 (PKIX-EE) or an undefined usage are ignored by SMTP senders (RFC 7672 §3.1.3): publish them as usage 3 (DANE-EE) or 2 (DANE-TA) instead.',
  },
  DANE_UNUSABLE_RECORD: {
    severity: 'warning',
    policy: 'dane',
    command: 'probe',
    hint: 'A TLSA record with an undefined selector or matching type, or data that cannot be what its type says (a digest of the wrong length, a certificate or key that does not parse), is ignored by senders: correct it (`3 1 1` followed by 64 hexadecimal digits of a SHA-256).',
  },
  DANE_ROLLOVER_UNSAFE: {
    severity: 'warning',
    policy: 'dane',
    command: 'probe',
    hint: 'The TLSA records will not match after the next change of key or CA, and DANE senders will refuse the mail until DNS catches up: publish a `3 1 1` record for the next key beside the current one (and switch only after the TTLs have passed), or a `3 1 1` for the current key together with a `2 1 1` for the issuing CA.',
  },
  DNSSEC_BOGUS: {
    severity: 'error',
    policy: 'dane',
    command: 'probe',
    hint: "DNSSEC validation fails for the host's TLSA answer (an expired or missing signature, a broken DS or DNSKEY): senders that validate DNSSEC defer all mail to the host until it is fixed. Check the zone with `delv` or dnsviz.net and re-sign it.",
  },
  // MTA-STS (RFC 8461) and TLS reporting (RFC 8460)
  MTA_STS_RECORD_INVALID: {
    severity: 'error',
    policy: 'mta-sts',
    command: 'probe',
    hint: 'Senders ignore MTA-STS for this domain: publish exactly one TXT record at _mta-sts.DOMAIN of the form "v=STSv1; id=20260601T000000" (RFC 8461 §3.1: the id 1 to 32 letters and digits, a new id for each policy change), and remove any other v=STSv1 record.',
  },
  MTA_STS_POLICY_UNREACHABLE: {
    severity: 'error',
    policy: 'mta-sts',
    command: 'probe',
    hint: 'Senders cannot fetch the policy, so they ignore MTA-STS (RFC 8461 §3.3): serve https://mta-sts.DOMAIN/.well-known/mta-sts.txt with status 200 and Content-Type text/plain, without a redirect, with a certificate from a public CA that names mta-sts.DOMAIN, in under 64 KiB.',
  },
  MTA_STS_POLICY_INVALID: {
    severity: 'error',
    policy: 'mta-sts',
    command: 'probe',
    hint: 'Senders discard a policy that breaks RFC 8461 §3.2: UTF-8 text, one "key: value" a line (LF or CRLF), version: STSv1, mode: enforce, testing or none, max_age: 0 to 31557600 seconds, and an mx: line per MX host pattern (a host name, or *. before a parent name; never an IP address) unless mode is none.',
  },
  MTA_STS_MX_MISMATCH: {
    severity: 'error',
    policy: 'mta-sts',
    command: 'probe',
    hint: 'The MX host matches no mx pattern of the MTA-STS policy: in enforce mode senders do not deliver to it (RFC 8461 §4.1; a *. pattern matches exactly one label). Add it to the policy (and change the id of the _mta-sts record), or fix the MX record.',
  },
  MTA_STS_MX_NOT_VERIFIED: {
    severity: 'error',
    policy: 'mta-sts',
    command: 'probe',
    hint: 'The MX host is listed in the MTA-STS policy but its certificate does not verify for its name (a trusted chain, not expired, naming the MX host; RFC 8461 §4.2): in enforce mode senders do not deliver to it. Install a certificate from a public CA that names the MX host.',
  },
  MTA_STS_UNKNOWN_KEY: {
    severity: 'warning',
    policy: 'mta-sts',
    command: 'probe',
    hint: 'Senders ignore keys RFC 8461 §3.2 does not define, so a misspelt key is silently lost (a misspelt mx line drops that MX host from the policy): keys are version, mode, mx and max_age, lower case, with no space before the colon.',
  },
  MTA_STS_DUPLICATE_FIELD: {
    severity: 'warning',
    policy: 'mta-sts',
    command: 'probe',
    hint: 'A field given twice: senders take the first one and ignore the rest (RFC 8461 §3.2; only mx may repeat). Keep one.',
  },
  TLSRPT_MISSING: {
    severity: 'info',
    command: 'probe',
    hint: 'The domain enforces mail TLS (DANE or MTA-STS) but publishes no TLS reporting address, so it never hears of senders that fail to deliver: publish a TXT record at _smtp._tls.DOMAIN such as "v=TLSRPTv1; rua=mailto:tlsrpt@DOMAIN" (RFC 8460 §3).',
  },
  TLSRPT_INVALID: {
    severity: 'warning',
    command: 'probe',
    hint: 'Senders ignore the TLS reporting record, so no reports arrive: publish exactly one TXT record at _smtp._tls.DOMAIN of the form "v=TLSRPTv1; rua=mailto:tlsrpt@DOMAIN" (RFC 8460 §3: rua required, mailto: or https: URIs separated by commas).',
  },
  DNSSEC_NOT_VALIDATED: {
    severity: 'warning',
    command: 'probe',
    hint: "The DNS resolver does not validate DNSSEC (no AD flag for the root's signed SOA), so no answer can be told secure and DANE cannot be checked: use a validating resolver, such as a local unbound, or name one with --resolver.",
  },
  // Deep TLS (issue 10): the guideline grading (judge/deep-grade.ts, model/tls-guidelines.ts)
  TLS_PROTOCOL_INSUFFICIENT: {
    severity: 'error',
    command: 'probe',
    graded: true,
    hint: 'The server accepts a protocol version the guideline calls insufficient (SSLv3, TLS 1.0 or 1.1; RFC 8996): a sender or an attacker who downgrades can still use it. Accept TLS 1.2 and 1.3 only (Postfix: smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2, or "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1" before 3.6; Exim: openssl_options = +no_sslv3 +no_tlsv1 +no_tlsv1_1; Exchange: disable TLS 1.0 and 1.1 in SCHANNEL).',
  },
  TLS_PROTOCOL_PHASE_OUT: {
    severity: 'warning',
    command: 'probe',
    graded: true,
    hint: 'The server accepts a protocol version the profile wants phased out (TLS 1.0 or 1.1 under mozilla-intermediate): plan to accept TLS 1.2 and 1.3 only (Postfix: smtpd_tls_protocols = >=TLSv1.2; Exim: openssl_options = +no_tlsv1 +no_tlsv1_1).',
  },
  TLS_CIPHER_INSUFFICIENT: {
    severity: 'error',
    command: 'probe',
    graded: true,
    hint: 'The server accepts a cipher suite the guideline calls insufficient (RC4, DES, 3DES, EXPORT, NULL, anonymous, RSA key transport, or CBC with SHA-1): remove it (Postfix: smtpd_tls_ciphers = high and smtpd_tls_mandatory_ciphers = high with tls_high_cipherlist = ECDHE+AESGCM:ECDHE+CHACHA20, or smtpd_tls_exclude_ciphers = aNULL, eNULL, EXPORT, DES, 3DES, RC4, MD5, kRSA, SHA1; Exim: tls_require_ciphers; Exchange: the TLS cipher suite order policy).',
  },
  TLS_CIPHER_PHASE_OUT: {
    severity: 'warning',
    command: 'probe',
    graded: true,
    hint: 'The server accepts a cipher suite the profile wants phased out (CBC modes, DHE, Camellia or ARIA): plan to offer ECDHE with AES-GCM or ChaCha20-Poly1305 only (Postfix: tls_high_cipherlist = ECDHE+AESGCM:ECDHE+CHACHA20 with smtpd_tls_ciphers = high; or add the suites to smtpd_tls_exclude_ciphers).',
  },
  TLS_CIPHER_ORDER: {
    severity: 'error',
    command: 'probe',
    graded: true,
    hint: "The server takes the client's order of cipher suites while it accepts suites of a lower tier, so a client (or an attacker who rewrites the hello) gets a phase-out suite where a good one was possible: enforce the server's order (Postfix: tls_preempt_cipherlist = yes, with a good-first tls_high_cipherlist; Exim: openssl_options = +cipher_server_preference), or drop the lower suites.",
  },
  TLS_GROUP_INSUFFICIENT: {
    severity: 'error',
    command: 'probe',
    graded: true,
    hint: 'The server accepts an elliptic curve for key exchange the guideline calls insufficient (a curve of under 224 bits or a binary curve): offer X25519, P-256 and P-384 only (Postfix: tls_eecdh_auto_curves = X25519 prime256v1 secp384r1; Exim: tls_eccurve = X25519:prime256v1:secp384r1).',
  },
  TLS_GROUP_PHASE_OUT: {
    severity: 'warning',
    command: 'probe',
    graded: true,
    hint: 'The server accepts a key exchange group the profile wants phased out (secp224r1, or finite-field DH, which NCSC allows only as an RFC 7919 group of 3072 bits or more, as phase-out): prefer ECDHE with X25519 or P-256 and drop DHE suites (Postfix: smtpd_tls_exclude_ciphers = kDHE; tls_eecdh_auto_curves = X25519 prime256v1 secp384r1).',
  },
  WEAK_DH: {
    severity: 'error',
    command: 'probe',
    graded: true,
    hint: 'The server uses finite-field Diffie-Hellman with a prime the profile calls insufficient (NCSC: under 3072 bits, or not an RFC 7919 group; Mozilla: under 1024 bits; Logjam): drop DHE suites (Postfix: smtpd_tls_exclude_ciphers = kDHE) or give an RFC 7919 group of 3072 bits or more (Postfix: smtpd_tls_dh1024_param_file = a file with ffdhe3072 or ffdhe4096; Exim: tls_dhparam = ffdhe3072).',
  },
  CERT_KEY_PHASE_OUT: {
    severity: 'warning',
    command: 'probe',
    graded: true,
    hint: "A certificate's key is of a size or curve the profile wants phased out (NCSC: RSA under 3072 bits, or P-224): at the next renewal use ECDSA P-256 or P-384, or RSA of 3072 bits (Postfix can serve both: smtpd_tls_chain_files with the ECDSA key and chain, then the RSA key and chain).",
  },
  CERT_HASH_PHASE_OUT: {
    severity: 'warning',
    command: 'probe',
    graded: true,
    hint: 'A certificate is signed with a hash the profile wants phased out (SHA-224): reissue it signed with SHA-256 or stronger.',
  },
  TLS_COMPRESSION: {
    severity: 'error',
    command: 'probe',
    graded: true,
    hint: 'The server compresses TLS records (CRIME): turn compression off (Postfix: tls_ssl_options = NO_COMPRESSION; OpenSSL 1.1.0 and later disable it unless asked) or update the TLS library.',
  },
  TLS_INSECURE_RENEGOTIATION: {
    severity: 'error',
    command: 'probe',
    graded: true,
    hint: 'The server does not support secure renegotiation (RFC 5746): an attacker can splice a prefix into the session (CVE-2009-3555). Update the TLS library (OpenSSL 0.9.8m or later supports RFC 5746) and the MTA built with it.',
  },
  TLS_CLIENT_RENEGOTIATION: {
    severity: 'warning',
    command: 'probe',
    graded: true,
    hint: 'The server lets the client start a renegotiation, which costs it far more than the client (denial of service); NCSC allows it only limited. Refuse it (Postfix 3.4 and later: tls_ssl_options = NO_RENEGOTIATION; Exim: openssl_options = +no_renegotiation).',
  },
  TLS_NO_EXTENDED_MASTER_SECRET: {
    severity: 'warning',
    command: 'probe',
    graded: true,
    hint: 'With TLS 1.2 the server does not use the extended master secret (RFC 7627), which protects against triple-handshake attacks (NCSC counts it a precondition; internet.nl fails a server without it): update the TLS library (OpenSSL 1.1.0 and later use it by default) or accept TLS 1.3 only.',
  },
  STARTTLS_COMMAND_INJECTION: {
    severity: 'error',
    command: 'probe',
    graded: true,
    hint: 'The server answered a command sent in plaintext together with STARTTLS as if it came over TLS (CVE-2011-0411 family): an attacker on the path can inject SMTP commands into the protected session. Update the MTA (Postfix since 2.7.3 and 2.8 (2011), current Exim and Exchange discard such input, RFC 3207 §4.2) or whatever TLS proxy sits in front of it.',
  },
  DEEP_PARTIAL: {
    severity: 'info',
    command: 'probe',
    graded: true,
    hint: 'The deep probe stopped before every check was made (a 421, a closed connection, the deadline or a stop), so what it did not tell is neither good nor bad: the message lists it. Run again later, or with a longer --deep-delay if the server limits connections.',
  },
};

/**
 * A problem of the catalogue: its code's severity and hint, with this message and place (the
 * domain when none is given).
 *
 * @example problem('CERT_EXPIRED', 'The certificate of mx.example.com [192.0.2.1] expired on 2026-05-01.', { scope: 'address', host: 'mx.example.com', ip: '192.0.2.1' })
 * @example problem('HOP_PLAINTEXT', 'hop 2 (a → b) was not encrypted.', { scope: 'hop', hop: 2 })
 */
export function problem(code: ProblemCode, message: string, place: ProblemPlace = { scope: 'domain' }): Problem {
  const kind = PROBLEMS[code];
  return { code, severity: kind.severity, message, hint: kind.hint, ...place };
}

/**
 * The code of an SMTP dialogue that stopped before TLS was established (a failure over TLS
 * is TLS_DIALOGUE_FAILED, which only the address judge can tell).
 * @example failureCode({ stage: 'banner', kind: 'timeout', message: 'timeout while reading server greeting' }) // 'TIMEOUT'
 */
export function failureCode(failure: ProbeFailure): ProblemCode {
  if (failure.stage === 'connect') return failure.kind === 'timeout' ? 'TIMEOUT' : 'CONNECT_FAILED';
  if (failure.kind === 'timeout') return 'TIMEOUT';
  if (failure.stage === 'handshake') return 'TLS_HANDSHAKE_FAILED';
  if (failure.kind === 'rejected') return 'SMTP_REJECTED';
  return 'SMTP_PROTOCOL_ERROR';
}
