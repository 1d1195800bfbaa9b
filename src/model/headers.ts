/**
 * The result types of `mxprobe headers`: the hops a delivered message's Received fields record,
 * the TLS facts each hop wrote down, their judgement and the verdict per message. Reading
 * (headers/) fills the `*Facts` parts; judging (judge/judge-hops.ts) adds `local`, `grade` and
 * problems; rendering only reads. The JSON output is HeadersReport: field names are a public
 * contract, like the probe's (model/domain.ts): add fields freely, rename none.
 */
import type { Problem } from './problem.js';
import type { TlsVersion } from './tls-protocols.js';

/**
 * The notation a hop's encryption was read from (whose software wrote it):
 * - `postfix`: `(using TLSv1.3 with cipher … (256/256 bits) key-exchange …)` and `(Client CN …)`;
 * - `sendmail`: `(version=… cipher=… bits=… verify=…)` or the old `(using … (168 bits) verified …)`;
 * - `exim`: `with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384` (Exim 4.92 and later);
 * - `exim-legacy`: `with esmtps (TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256)`;
 * - `gmail`: `(version=TLS1_3 cipher=… bits=256/256)` or `(Google Transport Security)`;
 * - `microsoft`: `with Microsoft SMTP Server (version=TLS1_2, cipher=…)`, its `(TLS)`, or `with mapi`;
 * - `opensmtpd`: `(TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO)`;
 * - `qmail`: qmail-tls's `with (ECDHE-RSA-AES256-GCM-SHA384 encrypted) SMTP`;
 * - `rfc3848-only`: no TLS notation; only the `with` keyword (RFC 3848, RFC 6531 §3.7.3) told;
 * - `unknown`: nothing recognised: `encrypted` is null, never guessed.
 *
 * @example const writtenBy = (hop: Hop): ReceivedFormat => hop.format; // 'postfix'
 */
export type ReceivedFormat =
  | 'postfix'
  | 'sendmail'
  | 'exim'
  | 'exim-legacy'
  | 'gmail'
  | 'microsoft'
  | 'opensmtpd'
  | 'qmail'
  | 'rfc3848-only'
  | 'unknown';


/**
 * Whether the receiving server verified the *sending client's* certificate, as the hop recorded
 * it: 'yes' verified OK, 'no' the client presented none, 'fail' presented but not verified,
 * 'not-requested' the server did not ask. Between MTAs the client rarely has one: this says
 * nothing about whether the sender verified the receiver's certificate.
 *
 * @example const clientVerified = (hop: Hop): ClientCertVerified | null => hop.tls?.verified ?? null; // 'not-requested'
 */
export type ClientCertVerified = 'yes' | 'no' | 'fail' | 'not-requested';

/**
 * The TLS facts one Received field recorded; fields it did not record are null.
 *
 * @example const tlsOf = (hop: Hop): HopTls | null => hop.tls; // { protocol: 'TLSv1.3', version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256, … }
 */
export interface HopTls {
  /** The protocol as written: 'TLSv1.3', 'TLS1_2', 'TLS1.3', 'TLSv1/SSLv3'. */
  protocol: string | null;
  /** `protocol` normalised by the one protocol table (model/tls-protocols.ts); null when absent or unrecognised. `TLSv1/SSLv3` is old OpenSSL's label for "SSLv3 or TLS 1.0 (or later)". */
  version: TlsVersion | null;
  /** The cipher as written (OpenSSL, IANA or GnuTLS name). */
  cipher: string | null;
  /** Secret key bits used ("256/256 bits" → 256); as written (older Exim with GnuTLS wrote bytes). */
  bits: number | null;
  /** Postfix's `key-exchange` group, e.g. X25519. */
  keyExchange: string | null;
  verified: ClientCertVerified | null;
  /** The notation the facts were read from, e.g. "using TLSv1.3 with cipher …" (capped). */
  raw: string;
}

/**
 * The sending side, from the `from` clause and its TCP-info comment (RFC 5321 §4.4).
 *
 * @example const sender = (from: HopFrom) => from.reverseName ?? from.helo ?? from.ip ?? '?';
 */
export interface HopFrom {
  /** The EHLO/HELO name the client gave (Exim: `helo=`; qmail: `HELO x`), as written. */
  helo: string | null;
  /** The name the receiver found for the client's address (reverse DNS), without trailing dot. */
  reverseName: string | null;
  /** The client's IP address (IPv6 without the `IPv6:` tag). */
  ip: string | null;
  /** OpenSMTPD's `[local]`: a local socket, no IP at all. */
  localSocket: boolean;
}

/**
 * The receiving side, from the `by` clause.
 *
 * @example const receiver = (by: HopBy | null) => by?.host ?? '?';
 */
export interface HopBy {
  host: string | null;
  ip: string | null;
  /** Software as the field shows it: 'Postfix', '8.12.1/8.12.1', 'Exim 4.98', 'Microsoft SMTP Server'. */
  software: string | null;
}

/**
 * What one Received field says, read without judging (headers/parse-received.ts).
 *
 * @example const plaintext = (f: ReceivedFacts) => f.encrypted === false; // null is unknown, never a guess
 */
export interface ReceivedFacts {
  /** null when the field has no `from` clause. */
  from: HopFrom | null;
  /** null when the field has no `by` clause. */
  by: HopBy | null;
  /** The `with` protocol keyword as written: 'ESMTPS', 'esmtpsa', 'LMTP', 'Microsoft SMTP Server'. */
  with: string | null;
  id: string | null;
  /** The `for` recipient without angle brackets. */
  for: string | null;
  /** The time stamp after the last `;`, as written (capped). */
  dateText: string | null;
  /** The time stamp in ISO 8601 (UTC), or null when absent or unreadable (RFC 5322 §3.3, §4.3). */
  date: string | null;
  /** TLS notation found in the field, or null when none was. */
  tls: HopTls | null;
  format: ReceivedFormat;
  /** true TLS was used, false it was not, null unknown (never guessed). */
  encrypted: boolean | null;
  /** How `encrypted` was decided, in words ("TLS details (postfix)", "with ESMTP (RFC 3848)"). */
  evidence: string;
}

/**
 * Letter grade of one hop; the table is in judge/judge-hops.ts.
 *
 * @example const poor = (grade: HopGrade | null) => grade === 'D' || grade === 'F';
 */
export type HopGrade = 'A' | 'B' | 'C' | 'D' | 'F';

/**
 * One Received field read from a message: its facts and where it stood.
 *
 * @example const oldest = (m: MessageFacts): HopFacts | undefined => m.hops[0];
 */
export interface HopFacts extends ReceivedFacts {
  /** 1 is the oldest hop (the bottom Received field), counting up to the newest. */
  order: number;
  /** Position of the field among the message's Received fields, 0 the top (newest). */
  fieldIndex: number;
  /** The unfolded field value (capped; see `truncated`). */
  raw: string;
  /** The field was longer than the cap and was read in part: its hop is judged unknown (judge/judge-hops.ts). */
  truncated: boolean;
}

/**
 * One hop: a Received field's facts and their judgement. `encrypted` is the judged value: a
 * field cut at its size cap is `null` (unknown) whatever its read part said.
 *
 * @example const networkHops = (m: MessageResult) => m.hops.filter((h: Hop) => !h.local);
 */
export interface Hop extends HopFacts {
  /** The hop stayed inside one host or site (loopback, LMTP, local delivery): no verdict. */
  local: boolean;
  /** Why the hop is local, in words; null when it is a network hop. */
  localReason: string | null;
  /** null: not graded (encryption unknown, or a local hop without TLS). */
  grade: HopGrade | null;
  problems: Problem[];
}

/**
 * The message's verdict, over its network hops (local hops excluded).
 *
 * @example const verdict: HeadersVerdict | undefined = analyseMessages(text).messages[0]?.verdict; // verdict?.allNetworkHopsEncrypted: true | false | null
 */
export interface HeadersVerdict {
  /**
   * true every network hop used TLS; false some did not; null when none was plain but some
   * was unknown, when there is no network hop at all, or when a cap left part of the header
   * unread (`complete` false).
   */
  allNetworkHopsEncrypted: boolean | null;
  /**
   * Every part of the header that bears on the verdict was read: no Received field past the
   * cap, no header cut at its cap or by the input cap, no field cut at its cap.
   */
  complete: boolean;
  /**
   * `allNetworkHopsEncrypted === true`. The exit code is 0 only when every message passes and
   * every input was read in full (HeadersInput.pass, headersExitStatus in judge/judge-hops.ts).
   */
  pass: boolean;
  /** Orders of the network hops, of the local ones, of the plaintext ones and of the unknown ones. */
  networkHops: number[];
  localHops: number[];
  unencryptedHops: number[];
  unknownHops: number[];
  /** The oldest network hop that was not encrypted, or null. */
  firstUnencryptedHop: number | null;
  /** The network hop with the lowest grade (the oldest on a tie), or null when none is graded. */
  weakestHop: number | null;
  weakestGrade: HopGrade | null;
}

/**
 * What reading one message found (headers/read-message.ts, headers/parse-received.ts).
 *
 * @example const size = (m: MessageFacts) => `${m.receivedCount} Received fields in ${m.headerChars} characters of header`;
 */
export interface MessageFacts {
  /** The input it came from as given on the command line ('-' standard input); null for text given to the library. */
  file: string | null;
  /** 1-based position in the input (an mbox holds several). */
  index: number;
  /** The mbox `From ` line without `From `, or null. */
  envelopeFrom: string | null;
  /** Header fields to tell messages apart, as written (capped); null when absent. */
  messageId: string | null;
  subject: string | null;
  dateHeader: string | null;
  /** Characters of the header block read (capped at HEADER_LIMITS.headerChars). */
  headerChars: number;
  /** The header ran past HEADER_LIMITS.headerChars: the rest was not read. */
  headerTruncated: boolean;
  /** The input stopped inside this header (at its size cap HEADER_LIMITS.inputBytes, or a read error): the rest was not read. */
  inputCut: boolean;
  /** With `inputCut`: the read error that stopped the input ('EIO'); null when the size cap did (or the header was read to its end). */
  inputError: string | null;
  /** The input had no empty line after the header (a bare header block). */
  headerOnly: boolean;
  /** Received fields in the header, before the cap. */
  receivedCount: number;
  receivedTruncated: boolean;
  /** Valid header fields seen (a block with none is not a message). */
  fieldCount: number;
  /** Lines that neither started a field nor were indented, joined to the field before them. */
  repairedLines: number;
  /** Oldest first. */
  hops: HopFacts[];
}

/**
 * One message judged: its hops graded, its verdict and its problems.
 *
 * @example for (const m of analyseMessages(readFileSync('mbox')).messages) console.log(m.index, m.verdict.pass, m.problems.map((p) => p.code));
 */
export interface MessageResult extends Omit<MessageFacts, 'hops'> {
  /** Oldest first. */
  hops: Hop[];
  verdict: HeadersVerdict;
  /** The message's own problems (scope `message`, `hop` null) and every hop's (scope `hop`, with its `hop`). */
  problems: Problem[];
}

/**
 * The `schemaVersion` of the headers JSON report: it changes only for an incompatible change.
 *
 * @example JSON.parse(stdout).schemaVersion === HEADERS_SCHEMA_VERSION
 */
export const HEADERS_SCHEMA_VERSION = 1;

/**
 * What one input was: 'several' only for the totals of several files (`HeadersReport.input`).
 *
 * @example const kind: HeadersInputKind = analyseMessages(readFileSync('message.eml')).input.kind; // 'message'
 */
export type HeadersInputKind = 'mbox' | 'message' | 'headers' | 'empty' | 'several';

/**
 * One input (a file or standard input) as read and judged: its size, its messages, what was left unread.
 *
 * @example const unread = (input: HeadersInput) => !input.complete; // a cap or a read error left part of it unread
 */
export interface HeadersInput {
  /** As given on the command line ('-' standard input); null for text given to the library, or for the totals. */
  file: string | null;
  /** 'mbox' From_-separated messages; 'message' a header and a body; 'headers' a bare header block; 'empty' no message. */
  kind: HeadersInputKind;
  /** Bytes read: at most HEADER_LIMITS.inputBytes. */
  bytes: number;
  /** Characters read (UTF-16 code units after UTF-8 decoding). */
  chars: number;
  /** Messages found, also past the cap (and, when the input was cut, only up to the cut). */
  messagesFound: number;
  /** Messages judged and listed in `messages`: at most HEADER_LIMITS.messages. */
  messagesRead: number;
  /** Some message has at least one header field (else the input holds no message: NO_MESSAGE_HEADER). */
  headerFound: boolean;
  /** Everything was read: no byte past the input cap, no message past the message cap, no read error. */
  complete: boolean;
  /** Every message read passes, a message header was found, and the input is complete. */
  pass: boolean;
  /** Problems of the input as a whole (INPUT_TOO_LARGE, TOO_MANY_MESSAGES, NO_MESSAGE_HEADER, INPUT_READ_ERROR): scope `input`, `hop` null. */
  problems: Problem[];
  /** Why the input could not be read in full ('ENOENT', 'EISDIR', 'EIO'), or null. */
  error: string | null;
}

/**
 * What reading one input found (headers/analyse.ts), before judging (judge/judge-hops.ts judgeInput).
 *
 * @example const cut = (f: HeadersInputFacts) => f.inputCut || f.messagesCut;
 */
export interface HeadersInputFacts {
  file: string | null;
  kind: Exclude<HeadersInputKind, 'several'>;
  bytes: number;
  chars: number;
  messagesFound: number;
  messagesRead: number;
  headerFound: boolean;
  /** Bytes past HEADER_LIMITS.inputBytes were left unread. */
  inputCut: boolean;
  /** Messages past HEADER_LIMITS.messages were counted, not read. */
  messagesCut: boolean;
  /** Every message read passed (true when none was). */
  messagesPass: boolean;
  error: string | null;
}

/**
 * The JSON document. The CLI writes it a piece at a time in this key order: `schemaVersion`,
 * `messages` (one message at a time), `inputs`, `input`.
 *
 * @example const report: HeadersReport = analyseMessages(readFileSync('mbox'), new Date()); // report.input.pass: true | false
 */
export interface HeadersReport {
  schemaVersion: typeof HEADERS_SCHEMA_VERSION;
  /** Every message of every input, in order; each names its `file`. */
  messages: MessageResult[];
  /** One entry per input, in the order given. */
  inputs: HeadersInput[];
  /** The one input; with several files their totals (kind 'several', `file` null). */
  input: HeadersInput;
}
