/**
 * Every problem `mxprobe headers` reports: its stable code, severity and what to do about it.
 * Codes are a public contract, like problem-catalogue.ts: add, never rename.
 */
import type { HeaderProblemCode } from '../model/headers.js';
import { HEADER_LIMITS } from '../headers/read-message.js';
import type { ProblemKind } from './problem-catalogue.js';

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

const LIMIT = {
  header: sizeText(HEADER_LIMITS.headerChars, 'characters'),
  field: sizeText(HEADER_LIMITS.fieldChars, 'characters'),
  input: sizeText(HEADER_LIMITS.inputBytes, 'bytes'),
  received: HEADER_LIMITS.receivedFields.toLocaleString('en-US'),
  messages: HEADER_LIMITS.messages.toLocaleString('en-US'),
};

/**
 * Severity and hint of every header problem code.
 *
 * @example HEADER_PROBLEMS.HOP_PLAINTEXT.severity // 'error'
 */
export const HEADER_PROBLEMS: Record<HeaderProblemCode, ProblemKind> = {
  NO_RECEIVED_FIELDS: {
    severity: 'warning',
    hint: "The message has no Received field, so nothing shows how it travelled: save the message as it was delivered (the mail client's \"show original\" or \"view source\"), not a forwarded copy or the sent copy.",
  },
  NO_NETWORK_HOP: {
    severity: 'info',
    hint: 'Every Received field records a hand-over inside one host: send the test message from the partner\'s domain to yours, then read it as delivered.',
  },
  HEADER_TOO_LARGE: {
    severity: 'warning',
    hint: `The header is larger than mxprobe reads (${LIMIT.header}): only its first part was read, so the message cannot pass (hops below the cut are unknown). Give the message as delivered, or just its header block.`,
  },
  TOO_MANY_RECEIVED_FIELDS: {
    severity: 'warning',
    hint: `Only the newest ${LIMIT.received} Received fields were read (a mail loop, or a padded header): the oldest hops, where the message entered, are not judged, so the message cannot pass.`,
  },
  HEADER_LINES_REPAIRED: {
    severity: 'info',
    hint: 'Some header lines were not indented as folded lines must be (RFC 5322 §2.2.3), as happens when a header is copied from a web page or a PDF: they were joined to the field before them. Check the hops against the original message.',
  },
  HOP_PLAINTEXT: {
    severity: 'error',
    hint: "The hop was not encrypted: the sending server did not use STARTTLS. Enable TLS on the sender (Postfix: smtp_tls_security_level = may, or encrypt for this partner) and check the receiver offers STARTTLS (mxprobe DOMAIN).",
  },
  HOP_ENCRYPTION_UNKNOWN: {
    severity: 'warning',
    hint: "mxprobe does not know this Received field's notation and will not guess: check the hop by hand, or ask the receiving server's administrator to record TLS (Postfix: smtpd_tls_received_header = yes).",
  },
  HOP_LEGACY_PROTOCOL: {
    severity: 'warning',
    hint: 'The hop used an obsolete protocol (SSLv3, TLS 1.0 or 1.1; RFC 7568, RFC 8996): enable TLS 1.2 and 1.3 on both servers. "TLSv1/SSLv3" is old OpenSSL\'s label for any of them.',
  },
  HOP_WEAK_CIPHER: {
    severity: 'error',
    hint: 'The hop used a broken or weak cipher (RC4, DES or 3DES, EXPORT, NULL, MD5, or under 112 bits; RFC 7465, RFC 9325 §4.1): disable these ciphers on both servers and prefer AES-GCM or ChaCha20-Poly1305.',
  },
  HOP_CLIENT_CERT_FAILED: {
    severity: 'info',
    hint: "The receiving server could not verify the sending server's client certificate. Mail servers rarely need client certificates; this matters only where the partners agreed to authenticate with them.",
  },
  HOP_TLS_DETAILS_MISSING: {
    severity: 'info',
    hint: 'The hop says TLS was used but not which version and cipher. To record them: Postfix smtpd_tls_received_header = yes; Exim received_header_text with $tls_in_ver and $tls_in_cipher_std.',
  },
  HOP_KEYWORD_CONTRADICTS_TLS: {
    severity: 'info',
    hint: 'The `with` keyword says plain SMTP but the field records a TLS session: older sendmail wrote ESMTP for TLS sessions (RFC 3848 keywords came later). mxprobe trusts the TLS details.',
  },
  HOP_FIELD_TRUNCATED: {
    severity: 'warning',
    hint: `The Received field is longer than mxprobe reads (${LIMIT.field}) and was read in part: what the rest says is unknown, so the hop counts as unknown and the message cannot pass. Check it by hand.`,
  },
  HOP_DATE_INVALID: {
    severity: 'info',
    hint: 'The time stamp after the last ";" is missing or not an RFC 5322 date-time: the hop cannot be placed in time.',
  },
  HOP_DATE_IN_FUTURE: {
    severity: 'warning',
    hint: "The hop's time stamp is later than now: the server's clock or time zone is wrong, or the field was forged.",
  },
  HOP_DATE_ORDER: {
    severity: 'info',
    hint: 'This hop is stamped earlier than the hop before it: the two servers\' clocks disagree, or a field was inserted by the sender (fields below the first hop of your own servers can be forged).',
  },
  INPUT_TOO_LARGE: {
    severity: 'warning',
    hint: `The input is larger than mxprobe reads (${LIMIT.input}): the messages after the cut were not read, so the input cannot pass. Give the test message alone (save it from the mail client), or split the mbox.`,
  },
  TOO_MANY_MESSAGES: {
    severity: 'warning',
    hint: `The input holds more messages than mxprobe judges (${LIMIT.messages}): the rest were counted but not read, so the input cannot pass. Give the test message alone, or split the mbox.`,
  },
  NO_MESSAGE_HEADER: {
    severity: 'warning',
    hint: "The input holds no header field, so nothing shows how a message travelled: give the message as delivered (the mail client's \"show original\" or \"view source\"), its header block, or an mbox.",
  },
};
