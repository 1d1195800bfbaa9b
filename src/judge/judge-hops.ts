/**
 * Judges the hops of a delivered message: which are local, whether each network hop was
 * encrypted and how well, and the verdict for the message. Pure: `now` is a parameter.
 *
 * Grades of a hop, best first (a local hop is graded only when it recorded TLS):
 *   A  TLS 1.2 or 1.3 with its cipher recorded, and nothing weak
 *   B  TLS was used, but its version or cipher was not recorded (an RFC 3848 keyword only,
 *      Gmail's "Google Transport Security", Exchange 2010's "(TLS)")
 *   C  an obsolete protocol: SSLv3, TLS 1.0 or 1.1, or old OpenSSL's "TLSv1/SSLv3" (RFC 8996)
 *   D  a weak cipher: RC4, DES/3DES, EXPORT, NULL, MD5, under 112 bits, or SSLv2 (RFC 9325 §4.1)
 *   F  no TLS
 *   null  not graded: encryption unknown, or a local hop without TLS
 *
 * Verdict and exit rule: a message passes only when every network hop is known to have used
 * TLS (`allNetworkHopsEncrypted === true`). A plaintext hop fails it (false); an unknown hop,
 * with no plaintext one, leaves it undetermined (null), and so does a message with no network
 * hop at all: the command promises proof, and an unknown hop proves nothing. The CLI exits 0
 * when every message passes, 1 otherwise, 2 when the input held no message (see analyse.ts).
 * A weak but encrypted hop still passes: its grade and HOP_WEAK_CIPHER say how weak.
 */
import type {
  HeaderProblem,
  HeaderProblemCode,
  HeadersVerdict,
  Hop,
  HopFacts,
  HopGrade,
  MessageFacts,
  MessageResult,
} from '../model/headers.js';
import { isLmtp, keywordClass } from '../headers/protocol-names.js';
import { HEADER_PROBLEMS } from './headers-problem-catalogue.js';

/** Clocks of two servers may disagree this much before HOP_DATE_ORDER / HOP_DATE_IN_FUTURE. */
const CLOCK_SKEW_MS = 15 * 60_000;
/** RFC 9325 §4.1: MUST NOT negotiate cipher suites offering less than 112 bits of security. */
const MIN_BITS = 112;
/** Obsolete protocols: RFC 7568 (SSLv3), RFC 8996 (TLS 1.0 and 1.1). */
const LEGACY_VERSIONS: ReadonlySet<string> = new Set(['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1/SSLv3']);
const GRADE_RANK: Readonly<Record<HopGrade, number>> = { A: 5, B: 4, C: 3, D: 2, F: 1 };

function problem(code: HeaderProblemCode, message: string, hop: number | null): HeaderProblem {
  const kind = HEADER_PROBLEMS[code];
  return { code, severity: kind.severity, message, hint: kind.hint, hop };
}

/**
 * What is weak in a cipher name, in words; empty when nothing is. Checks OpenSSL, IANA and
 * GnuTLS spellings: RC4 (RFC 7465), DES and 3DES (DES-CBC3, _3DES_EDE_, Sweet32), EXPORT,
 * NULL encryption and MD5 MACs (RFC 9325 §4.1).
 *
 * @example cipherWeaknesses('EDH-RSA-DES-CBC3-SHA') // ['3DES']
 */
export function cipherWeaknesses(cipher: string): string[] {
  const u = cipher.toUpperCase();
  const weak: string[] = [];
  if (u.includes('NULL')) weak.push('NULL encryption');
  if (u.includes('EXPORT') || u.startsWith('EXP-') || u.startsWith('EXP1024')) weak.push('EXPORT');
  if (u.includes('RC4')) weak.push('RC4');
  if (u.includes('RC2')) weak.push('RC2');
  if (u.includes('3DES') || u.includes('DES-CBC3') || u.includes('DES_CBC3') || u.includes('DESCBC3') || u.includes('DES-EDE') || u.includes('DES_EDE')) {
    weak.push('3DES');
  } else if (u.includes('DES')) {
    weak.push('DES');
  }
  if (u.includes('MD5')) weak.push('MD5');
  return weak;
}

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

/** "hop 2 (grue.example.edu [10.0.0.13] → email.example.edu)": names a hop in a message. */
export function hopLabel(hop: HopFacts): string {
  const from = hop.from === null ? '(no from)' : `${hop.from.reverseName ?? hop.from.helo ?? '?'}${hop.from.ip === null ? '' : ` [${hop.from.ip}]`}`;
  return `hop ${hop.order} (${from} → ${hop.by?.host ?? '?'})`;
}

/** One hop's grade, problems and whether it is local; date checks are the message's (they need neighbours). */
export function judgeHop(hop: HopFacts): Hop {
  const reason = localReason(hop);
  const local = reason !== null;
  const label = hopLabel(hop);
  const problems: HeaderProblem[] = [];
  const at = hop.order;
  if (!local && hop.encrypted === false) problems.push(problem('HOP_PLAINTEXT', `${label} was not encrypted (${hop.evidence}).`, at));
  if (!local && hop.encrypted === null) problems.push(problem('HOP_ENCRYPTION_UNKNOWN', `${label}: cannot tell whether TLS was used (${hop.evidence}).`, at));

  let weak: string[] = [];
  let legacy = false;
  const tls = hop.tls;
  if (tls !== null) {
    weak = tls.cipher === null ? [] : cipherWeaknesses(tls.cipher);
    // Exim before 4.92 with GnuTLS wrote the key size in bytes: its bits are not compared.
    if (tls.bits !== null && tls.bits > 0 && tls.bits < MIN_BITS && hop.format !== 'exim-legacy') weak.push(`${tls.bits}-bit key`);
    if (tls.version === 'SSLv2') weak.push('SSLv2 (RFC 6176)');
    legacy = tls.version !== null && LEGACY_VERSIONS.has(tls.version);
    if (legacy) problems.push(problem('HOP_LEGACY_PROTOCOL', `${label} used the obsolete protocol ${tls.protocol ?? ''}.`, at));
    if (weak.length > 0) problems.push(problem('HOP_WEAK_CIPHER', `${label} used ${tls.cipher ?? tls.protocol ?? 'a weak cipher'}: ${weak.join(', ')}.`, at));
    if (tls.verified === 'fail') problems.push(problem('HOP_CLIENT_CERT_FAILED', `${label}: the client certificate was not verified.`, at));
    if (keywordClass(hop.with) === 'plain') {
      problems.push(problem('HOP_KEYWORD_CONTRADICTS_TLS', `${label} says "with ${hop.with}" but records ${tls.protocol ?? 'TLS'}.`, at));
    }
  }
  const detailed = tls !== null && tls.version !== null && tls.cipher !== null;
  if (!local && hop.encrypted === true && !detailed) {
    problems.push(problem('HOP_TLS_DETAILS_MISSING', `${label} used TLS but did not record ${tls?.version == null ? 'the version' : 'the cipher'} (${hop.evidence}).`, at));
  }
  if (hop.truncated) problems.push(problem('HOP_FIELD_TRUNCATED', `${label}: the Received field was cut at its size limit.`, at));

  let grade: HopGrade | null;
  if (hop.encrypted === null) grade = null;
  else if (hop.encrypted === false) grade = local ? null : 'F';
  else if (weak.length > 0) grade = 'D';
  else if (legacy) grade = 'C';
  else if (!detailed) grade = 'B';
  else grade = 'A';

  return { ...hop, local, localReason: reason, grade, problems };
}

/** The verdict over a message's network hops (local hops excluded); see the module comment. */
export function verdictOf(hops: readonly Hop[]): HeadersVerdict {
  const network = hops.filter((h) => !h.local);
  const unencrypted = network.filter((h) => h.encrypted === false).map((h) => h.order);
  const unknown = network.filter((h) => h.encrypted === null).map((h) => h.order);
  let all: boolean | null;
  if (network.length === 0) all = null;
  else if (unencrypted.length > 0) all = false;
  else if (unknown.length > 0) all = null;
  else all = true;
  let weakest: Hop | null = null;
  for (const h of network) {
    if (h.grade === null) continue;
    if (weakest === null || GRADE_RANK[h.grade] < GRADE_RANK[weakest.grade ?? 'A']) weakest = h;
  }
  return {
    allNetworkHopsEncrypted: all,
    pass: all === true,
    networkHops: network.map((h) => h.order),
    localHops: hops.filter((h) => h.local).map((h) => h.order),
    unencryptedHops: unencrypted,
    unknownHops: unknown,
    firstUnencryptedHop: unencrypted[0] ?? null,
    weakestHop: weakest?.order ?? null,
    weakestGrade: weakest?.grade ?? null,
  };
}

/** Time-stamp problems: unreadable, later than `now` (when given), earlier than the hop before. */
function dateProblems(hops: readonly Hop[], now: Date | undefined): void {
  let previous: number | null = null;
  for (const hop of hops) {
    const label = hopLabel(hop);
    if (hop.date === null) {
      hop.problems.push(problem('HOP_DATE_INVALID', `${label}: ${hop.dateText === null ? 'no time stamp' : `unreadable time stamp "${hop.dateText}"`}.`, hop.order));
      continue;
    }
    const time = Date.parse(hop.date);
    if (now !== undefined && time > now.getTime() + CLOCK_SKEW_MS) {
      hop.problems.push(problem('HOP_DATE_IN_FUTURE', `${label} is stamped ${hop.date}, later than now.`, hop.order));
    }
    if (previous !== null && time < previous - CLOCK_SKEW_MS) {
      hop.problems.push(problem('HOP_DATE_ORDER', `${label} is stamped ${hop.date}, before the hop before it.`, hop.order));
    }
    previous = time;
  }
}

/**
 * Judges one message: each hop, the time stamps, the message's own problems and the verdict.
 *
 * @example judgeMessage(readMessageFacts(raw), new Date()).verdict.allNetworkHopsEncrypted // true | false | null
 */
export function judgeMessage(message: MessageFacts, now?: Date): MessageResult {
  const hops = message.hops.map(judgeHop);
  dateProblems(hops, now);
  const own: HeaderProblem[] = [];
  if (message.headerTruncated) own.push(problem('HEADER_TOO_LARGE', `The header is larger than the ${message.headerChars} characters read.`, null));
  if (message.repairedLines > 0) {
    own.push(problem('HEADER_LINES_REPAIRED', `${message.repairedLines} header line(s) were neither a field nor indented, and were joined to the field before.`, null));
  }
  if (message.receivedCount === 0) own.push(problem('NO_RECEIVED_FIELDS', 'The message has no Received field.', null));
  if (message.receivedTruncated) {
    own.push(problem('TOO_MANY_RECEIVED_FIELDS', `The message has ${message.receivedCount} Received fields; the newest ${hops.length} were read.`, null));
  }
  if (hops.length > 0 && hops.every((h) => h.local)) own.push(problem('NO_NETWORK_HOP', 'Every Received field is a local hand-over: no hop between two hosts.', null));
  return {
    ...message,
    hops,
    verdict: verdictOf(hops),
    problems: [...own, ...hops.flatMap((h) => h.problems)],
  };
}
