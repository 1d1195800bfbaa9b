/**
 * Judges the hops of a delivered message: which are local, whether each network hop was
 * encrypted and how well, and the verdict for the message and for the input. Pure: `now` is a
 * parameter.
 *
 * Grades of a hop, best first (a local hop is graded only when it recorded TLS):
 *   A  TLS 1.2 or 1.3 with its cipher recorded, and nothing weak
 *   B  TLS was used, but its version or cipher was not recorded (an RFC 3848 keyword only,
 *      Gmail's "Google Transport Security", Exchange 2010's "(TLS)")
 *   C  an obsolete protocol: SSLv3, TLS 1.0 or 1.1, or old OpenSSL's "TLSv1/SSLv3" (RFC 8996; the one
 *      protocol table, model/tls-protocols.ts)
 *   D  a weak cipher: RC4, DES/3DES, EXPORT, NULL, MD5, anonymous, under 112 bits, or SSLv2
 *      (RFC 9325 §4.1; the one classification, model/cipher-classes.ts)
 *   F  no TLS
 *   null  not graded: encryption unknown, or a local hop without TLS
 *
 * Verdict and exit rule: a message passes only when every network hop is known to have used
 * TLS (`allNetworkHopsEncrypted === true`). A plaintext hop fails it (false); an unknown hop,
 * with no plaintext one, leaves it undetermined (null), and so does a message with no network
 * hop at all: the command promises proof, and an unknown hop proves nothing. A weak but
 * encrypted hop still passes: its grade and HOP_WEAK_CIPHER say how weak.
 *
 * Nothing unread may pass (the one rule for every cap, HEADER_LIMITS in headers/read-message.ts).
 * Whatever a cap leaves unread makes the verdict of what it touches unknown: never a pass, and
 * false only when a plaintext hop was read in full.
 *   - a Received field cut at its size cap: its hop is unknown (`encrypted` null, not local,
 *     not graded), whatever its read part said: the TLS notation may be in the cut part, and a
 *     "with ESMTP" may be followed by sendmail's "(using TLSv1.2 …)";
 *   - Received fields past the cap, a header cut at its size cap, a header cut by the input cap:
 *     the message's verdict is unknown (`complete` false);
 *   - messages past the message cap, bytes past the input cap: the input does not pass
 *     (`complete` false), whatever its messages' verdicts.
 * The CLI exits 0 only when every input passes, 1 otherwise, 2 when an input could not be read or
 * no input held a message header (headersExitStatus).
 */
import type {
  HeadersInput,
  HeadersInputFacts,
  HeadersReport,
  HeadersVerdict,
  Hop,
  HopFacts,
  HopGrade,
  MessageFacts,
  MessageResult,
} from '../model/headers.js';
import { isLmtp, keywordClass } from '../headers/protocol-names.js';
import { cipherWeaknesses } from '../model/cipher-classes.js';
import { tlsProtocol } from '../model/tls-protocols.js';
import { problem, sizeText } from './problem-catalogue.js';
import type { Problem, ProblemPlace } from '../model/problem.js';

/** Clocks of two servers may disagree this much before HOP_DATE_ORDER / HOP_DATE_IN_FUTURE. */
const CLOCK_SKEW_MS = 15 * 60_000;
const GRADE_RANK: Readonly<Record<HopGrade, number>> = { A: 5, B: 4, C: 3, D: 2, F: 1 };

/** The place of a hop's problem (its order), or of the message's own (null). */
const hopPlace = (order: number | null): ProblemPlace => (order === null ? { scope: 'message', hop: null } : { scope: 'hop', hop: order });
/** The place of a problem of the input as a whole. */
const INPUT: ProblemPlace = { scope: 'input', hop: null };

function isLoopback(ip: string): boolean {
  const a = ip.toLowerCase();
  return a.startsWith('127.') || a === '::1' || a === '0:0:0:0:0:0:0:1' || a.startsWith('::ffff:127.');
}

const isLocalhost = (name: string | null) => name !== null && (name.toLowerCase() === 'localhost' || name.toLowerCase() === 'localhost.localdomain');
const sameName = (a: string, b: string) => a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');

/**
 * Why a hop stayed inside one host or site, or null for a hop between two hosts. Local hops
 * are loopback, a local socket, LMTP or local delivery (RFC 2033), a field without `from`
 * (an internal hand-over: Postfix pickup, Gmail's internal hops), from and by the same
 * address or name, and qmail's "invoked" process notes. A field with neither from nor by
 * is not assumed local.
 *
 * @example localReason(hopFacts) // 'from the loopback address 127.0.0.1', or null
 */
export function localReason(hop: HopFacts): string | null {
  if (/^\(qmail \d+ invoked /i.test(hop.raw.slice(0, 40))) return 'a qmail process note, not a transfer';
  const { from, by } = hop;
  if (from === null && by === null) return null;
  if (from === null) return `no sending host recorded: a hand-over inside ${by?.host ?? 'the receiving host'}`;
  if (from.localSocket) return 'from a local socket ([local])';
  if (from.ip !== null && isLoopback(from.ip)) return `from the loopback address ${from.ip}`;
  if (from.ip === null && (isLocalhost(from.helo) || isLocalhost(from.reverseName))) return 'from localhost';
  if (by !== null && (isLocalhost(by.host) || (by.ip !== null && isLoopback(by.ip)))) return 'received by localhost';
  if (isLmtp(hop.with)) return `with ${hop.with}: delivery into the mailbox store (RFC 2033)`;
  if (keywordClass(hop.with) === 'local') return `with ${hop.with}: from a local process`;
  if (by?.ip != null && from.ip !== null && by.ip === from.ip) return `from and by the same address ${from.ip}`;
  if (by?.host != null && from.reverseName !== null && sameName(by.host, from.reverseName)) return `from and by the same host ${by.host}`;
  return null;
}

/**
 * Names a hop in a message's problems.
 *
 * @example hopLabel(hopFacts) // 'hop 2 (grue.example.edu [10.0.0.13] → email.example.edu)'
 */
export function hopLabel(hop: HopFacts): string {
  const from = hop.from === null ? '(no from)' : `${hop.from.reverseName ?? hop.from.helo ?? '?'}${hop.from.ip === null ? '' : ` [${hop.from.ip}]`}`;
  return `hop ${hop.order} (${from} → ${hop.by?.host ?? '?'})`;
}

/**
 * One hop's grade, problems and whether it is local; date checks are the message's (they need
 * neighbours). A field cut at its size cap is an unknown network hop (see the module comment).
 *
 * @example judgeHop(hopFacts).grade // 'A' … 'F', or null
 */
export function judgeHop(hop: HopFacts): Hop {
  const cut = hop.truncated;
  const reason = cut ? null : localReason(hop);
  const local = reason !== null;
  const encrypted = cut ? null : hop.encrypted;
  const label = hopLabel(hop);
  const problems: Problem[] = [];
  const at = hopPlace(hop.order);
  if (cut) {
    problems.push(problem('HOP_FIELD_TRUNCATED', `${label}: the Received field was cut at its size limit and the rest was not read, so whether this hop used TLS is unknown.`, at));
  } else {
    if (!local && encrypted === false) problems.push(problem('HOP_PLAINTEXT', `${label} was not encrypted (${hop.evidence}).`, at));
    if (!local && encrypted === null) problems.push(problem('HOP_ENCRYPTION_UNKNOWN', `${label}: cannot tell whether TLS was used (${hop.evidence}).`, at));
  }

  let weak: string[] = [];
  let legacy = false;
  const tls = hop.tls;
  if (tls !== null) {
    // One classification (model/cipher-classes.ts). Exim before 4.92 with GnuTLS wrote the key
    // size in bytes: its bits are not compared.
    weak = cipherWeaknesses(tls.cipher ?? '', hop.format === 'exim-legacy' ? null : tls.bits);
    // One protocol table (model/tls-protocols.ts): a broken protocol (SSLv2) is as weak as a broken cipher.
    const protocol = tlsProtocol(tls.version);
    if (protocol?.broken === true) weak.push(`${protocol.name} (${protocol.rfc})`);
    legacy = protocol !== null && protocol.legacy && !protocol.broken;
    if (legacy) problems.push(problem('HOP_LEGACY_PROTOCOL', `${label} used the obsolete protocol ${tls.protocol ?? ''}.`, at));
    if (weak.length > 0) problems.push(problem('HOP_WEAK_CIPHER', `${label} used ${tls.cipher ?? tls.protocol ?? 'a weak cipher'}: ${weak.join(', ')}.`, at));
    if (tls.verified === 'fail') problems.push(problem('HOP_CLIENT_CERT_FAILED', `${label}: the client certificate was not verified.`, at));
    if (keywordClass(hop.with) === 'plain') {
      problems.push(problem('HOP_KEYWORD_CONTRADICTS_TLS', `${label} says "with ${hop.with}" but records ${tls.protocol ?? 'TLS'}.`, at));
    }
  }
  const detailed = tls !== null && tls.version !== null && tls.cipher !== null;
  if (!local && encrypted === true && !detailed) {
    problems.push(problem('HOP_TLS_DETAILS_MISSING', `${label} used TLS but did not record ${tls?.version == null ? 'the version' : 'the cipher'} (${hop.evidence}).`, at));
  }

  let grade: HopGrade | null;
  if (encrypted === null) grade = null;
  else if (encrypted === false) grade = local ? null : 'F';
  else if (weak.length > 0) grade = 'D';
  else if (legacy) grade = 'C';
  else if (!detailed) grade = 'B';
  else grade = 'A';

  const evidence = cut ? `${hop.evidence}; but the field was cut at its size limit` : hop.evidence;
  return { ...hop, encrypted, evidence, local, localReason: reason, grade, problems };
}

/**
 * The verdict over a message's network hops (local hops excluded); see the module comment.
 * `complete` false (a cap left part of the header unread) makes it unknown unless a plaintext
 * hop was read.
 *
 * @example verdictOf(judgedHops, true).allNetworkHopsEncrypted // true | false | null
 */
export function verdictOf(hops: readonly Hop[], complete = true): HeadersVerdict {
  const network = hops.filter((h) => !h.local);
  const unencrypted = network.filter((h) => h.encrypted === false).map((h) => h.order);
  const unknown = network.filter((h) => h.encrypted === null).map((h) => h.order);
  let all: boolean | null;
  if (unencrypted.length > 0) all = false;
  else if (!complete || network.length === 0 || unknown.length > 0) all = null;
  else all = true;
  let weakest: Hop | null = null;
  for (const h of network) {
    if (h.grade === null) continue;
    if (weakest === null || GRADE_RANK[h.grade] < GRADE_RANK[weakest.grade ?? 'A']) weakest = h;
  }
  return {
    allNetworkHopsEncrypted: all,
    pass: all === true,
    complete: complete && !hops.some((h) => h.truncated),
    networkHops: network.map((h) => h.order),
    localHops: hops.filter((h) => h.local).map((h) => h.order),
    unencryptedHops: unencrypted,
    unknownHops: unknown,
    firstUnencryptedHop: unencrypted[0] ?? null,
    weakestHop: weakest?.order ?? null,
    weakestGrade: weakest?.grade ?? null,
  };
}

/**
 * What a cap left unread of a message's header as a whole, in words ("the oldest 1 Received
 * field"); empty when the header was read to its end. Fields cut at their cap are the hops' own.
 *
 * @example unreadParts({ ...facts, receivedTruncated: true, receivedCount: 501, hops }) // ['the oldest 1 Received field']
 */
export function unreadParts(message: MessageFacts): string[] {
  const parts: string[] = [];
  if (message.receivedTruncated) {
    const left = message.receivedCount - message.hops.length;
    parts.push(`the oldest ${left} Received field${left === 1 ? '' : 's'}`);
  }
  if (message.headerTruncated) parts.push(`the header past ${sizeText(message.headerChars, 'characters')}`);
  if (message.inputCut) parts.push('the rest of the header (the input stopped inside it)');
  return parts;
}

/** Time-stamp problems: unreadable, later than `now` (when given), earlier than the hop before. */
function dateProblems(hops: readonly Hop[], now: Date | undefined): void {
  let previous: number | null = null;
  for (const hop of hops) {
    const label = hopLabel(hop);
    if (hop.date === null) {
      hop.problems.push(problem('HOP_DATE_INVALID', `${label}: ${hop.dateText === null ? 'no time stamp' : `unreadable time stamp "${hop.dateText}"`}.`, hopPlace(hop.order)));
      continue;
    }
    const time = Date.parse(hop.date);
    if (now !== undefined && time > now.getTime() + CLOCK_SKEW_MS) {
      hop.problems.push(problem('HOP_DATE_IN_FUTURE', `${label} is stamped ${hop.date}, later than now.`, hopPlace(hop.order)));
    }
    if (previous !== null && time < previous - CLOCK_SKEW_MS) {
      hop.problems.push(problem('HOP_DATE_ORDER', `${label} is stamped ${hop.date}, before the hop before it.`, hopPlace(hop.order)));
    }
    previous = time;
  }
}

/**
 * Judges one message: each hop, the time stamps, the message's own problems and the verdict.
 *
 * @example judgeMessage(messageFacts(raw, 'message.eml'), new Date()).verdict.allNetworkHopsEncrypted // true | false | null
 */
export function judgeMessage(message: MessageFacts, now?: Date): MessageResult {
  const hops = message.hops.map(judgeHop);
  dateProblems(hops, now);
  const own: Problem[] = [];
  if (message.headerTruncated) {
    own.push(problem('HEADER_TOO_LARGE', `The header is larger than the ${sizeText(message.headerChars, 'characters')} read: the rest was not read.`, hopPlace(null)));
  }
  if (message.inputCut) {
    own.push(
      message.inputError !== null
        ? problem('INPUT_READ_ERROR', `Reading the input failed inside this header (${message.inputError}): the rest of the header was not read.`, hopPlace(null))
        : problem('INPUT_TOO_LARGE', 'The input stopped inside this header at its size limit: the rest of the header was not read.', hopPlace(null)),
    );
  }
  if (message.repairedLines > 0) {
    own.push(problem('HEADER_LINES_REPAIRED', `${message.repairedLines} header line(s) were neither a field nor indented, and were joined to the field before.`, hopPlace(null)));
  }
  if (message.receivedCount === 0 && !message.headerTruncated && !message.inputCut) {
    own.push(problem('NO_RECEIVED_FIELDS', 'The message has no Received field.', hopPlace(null)));
  }
  if (message.receivedTruncated) {
    own.push(problem('TOO_MANY_RECEIVED_FIELDS', `The message has ${message.receivedCount} Received fields; the newest ${hops.length} were read, the oldest ${message.receivedCount - hops.length} not.`, hopPlace(null)));
  }
  if (hops.length > 0 && hops.every((h) => h.local)) own.push(problem('NO_NETWORK_HOP', 'Every Received field is a local hand-over: no hop between two hosts.', hopPlace(null)));
  return {
    ...message,
    hops,
    verdict: verdictOf(hops, unreadParts(message).length === 0),
    problems: [...own, ...hops.flatMap((h) => h.problems)],
  };
}

/**
 * Judges one input as a whole: what the input and message caps left unread, whether it held a
 * message at all, and whether it passes (every message read passes and nothing was left unread).
 *
 * @example judgeInput({ ...facts, inputCut: true }).pass // false, with INPUT_TOO_LARGE
 */
export function judgeInput(facts: HeadersInputFacts): HeadersInput {
  const problems: Problem[] = [];
  if (facts.error !== null) {
    problems.push(problem('INPUT_READ_ERROR', `Reading the input failed (${facts.error}) after ${sizeText(facts.bytes, 'bytes')}: the rest was not read.`, INPUT));
  }
  if (facts.inputCut) {
    problems.push(problem('INPUT_TOO_LARGE', `The input is larger than the ${sizeText(facts.bytes, 'bytes')} read: the rest was not read.`, INPUT));
  }
  if (facts.messagesCut) {
    problems.push(problem('TOO_MANY_MESSAGES', `The input holds ${facts.messagesFound} messages; the first ${facts.messagesRead} were read, the rest only counted.`, INPUT));
  }
  if (!facts.headerFound && facts.error === null) problems.push(problem('NO_MESSAGE_HEADER', 'No message header was found in the input.', INPUT));
  const complete = !facts.inputCut && !facts.messagesCut && facts.error === null;
  return {
    file: facts.file,
    kind: facts.kind,
    bytes: facts.bytes,
    chars: facts.chars,
    messagesFound: facts.messagesFound,
    messagesRead: facts.messagesRead,
    headerFound: facts.headerFound,
    complete,
    pass: complete && facts.headerFound && facts.messagesPass,
    problems,
    error: facts.error,
  };
}

/**
 * The exit status of `mxprobe headers`: 2 when an input could not be read, or when no input held
 * a message header; 0 when every input passes (judgeInput: every message's network hops used
 * TLS and nothing was left unread); else 1.
 *
 * @example headersExitStatus(analyseMessages(text, new Date())) // 0 | 1 | 2
 */
export function headersExitStatus(report: Pick<HeadersReport, 'inputs'>): 0 | 1 | 2 {
  const inputs = report.inputs;
  if (inputs.some((i) => i.error !== null) || !inputs.some((i) => i.headerFound)) return 2;
  return inputs.every((i) => i.pass) ? 0 : 1;
}
