/**
 * The one ordered table of TLS protocol versions, oldest first: the name Node and OpenSSL give
 * each, how Received fields spell it, and whether it is legacy. Judging (TLS_LEGACY_PROTOCOL,
 * the grades of `mxprobe headers`), reading Received fields and the CSV's `min_protocol` all
 * read this table, so "older than" is a comparison of positions. A row is data: a later
 * column (a grading tier, say) is an edit of the rows, not of the code that reads them: the
 * guideline tiers of each version are such a column, and so is the wire number the deep
 * scans' hand-built hellos offer and read back.
 */
import type { GuidelineProfileId, Tier } from './tls-guidelines.js';

/**
 * One protocol version (or, for `TLSv1/SSLv3`, one label standing for several).
 *
 * @example const deprecated = TLS_PROTOCOLS.filter((row: TlsProtocolRow) => row.legacy).map((row) => row.name); // ['SSLv2', 'SSLv3', 'TLSv1/SSLv3', 'TLSv1', 'TLSv1.1']
 */
export interface TlsProtocolRow {
  /** Node's and OpenSSL's name (`tlsSocket.getProtocol()`); the normalised `version` of a Received hop. */
  readonly name: string;
  /** How Received fields write it, matched without regard to case: Postfix `TLSv1.2`, Exim `TLS1.2`, Gmail and Microsoft `TLS1_2`, … */
  readonly spellings: readonly string[];
  /**
   * Deprecated: a sender should not use it (RFC 6176 SSLv2, RFC 7568 SSLv3, RFC 8996 TLS 1.0
   * and 1.1). The probe reports TLS_LEGACY_PROTOCOL; a Received hop gets HOP_LEGACY_PROTOCOL
   * and grade C.
   */
  readonly legacy: boolean;
  /** Broken beyond any use (SSLv2): a Received hop that used it is graded as a weak cipher (HOP_WEAK_CIPHER, grade D). */
  readonly broken: boolean;
  /** The RFC that defines it or, for a legacy one, deprecates it. */
  readonly rfc: string;
  /**
   * Its ProtocolVersion on the wire (RFC 8446 §4.1.2 and §B.1, RFC 5246 §6.2.1, SSLv3 RFC 6101
   * §5.2.1; SSLv2's 0x0002 is sent in its own record format, not a TLS record); null for a label
   * standing for several versions.
   */
  readonly wire: number | null;
  /**
   * Its tier under each guideline profile (model/tls-guidelines.ts, which states the sources):
   * NCSC-NL 2025-05 §3.3.1 as internet.nl applies it (TLS 1.0 and 1.1 insufficient since
   * 2025-05), and Mozilla 5.8 (modern has TLS 1.3, intermediate adds 1.2, only old has 1.0 and 1.1).
   */
  readonly tiers: Readonly<Record<GuidelineProfileId, Tier>>;
}

/**
 * Oldest first. `TLSv1/SSLv3` is no version: old OpenSSL wrote it for "SSLv3 or TLS 1.0 (or
 * later)", so it ranks between the two and counts as legacy.
 *
 * @example TLS_PROTOCOLS.map((p) => p.name) // ['SSLv2', 'SSLv3', 'TLSv1/SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']
 */
export const TLS_PROTOCOLS = [
  { name: 'SSLv2', spellings: ['SSLv2', 'SSL2'], legacy: true, broken: true, rfc: 'RFC 6176', wire: 0x0002, tiers: { ncsc: 'insufficient', 'mozilla-intermediate': 'insufficient' } },
  { name: 'SSLv3', spellings: ['SSLv3', 'SSL3', 'SSLv3.0', 'SSL3.0', 'SSLv3_0', 'SSL3_0'], legacy: true, broken: false, rfc: 'RFC 7568', wire: 0x0300, tiers: { ncsc: 'insufficient', 'mozilla-intermediate': 'insufficient' } },
  { name: 'TLSv1/SSLv3', spellings: ['TLSv1/SSLv3'], legacy: true, broken: false, rfc: 'RFC 8996', wire: null, tiers: { ncsc: 'insufficient', 'mozilla-intermediate': 'insufficient' } },
  { name: 'TLSv1', spellings: ['TLSv1', 'TLS1', 'TLSv1.0', 'TLS1.0', 'TLSv1_0', 'TLS1_0'], legacy: true, broken: false, rfc: 'RFC 8996', wire: 0x0301, tiers: { ncsc: 'insufficient', 'mozilla-intermediate': 'phase-out' } },
  { name: 'TLSv1.1', spellings: ['TLSv1.1', 'TLS1.1', 'TLSv1_1', 'TLS1_1'], legacy: true, broken: false, rfc: 'RFC 8996', wire: 0x0302, tiers: { ncsc: 'insufficient', 'mozilla-intermediate': 'phase-out' } },
  { name: 'TLSv1.2', spellings: ['TLSv1.2', 'TLS1.2', 'TLSv1_2', 'TLS1_2'], legacy: false, broken: false, rfc: 'RFC 5246', wire: 0x0303, tiers: { ncsc: 'sufficient', 'mozilla-intermediate': 'sufficient' } },
  { name: 'TLSv1.3', spellings: ['TLSv1.3', 'TLS1.3', 'TLSv1_3', 'TLS1_3'], legacy: false, broken: false, rfc: 'RFC 8446', wire: 0x0304, tiers: { ncsc: 'good', 'mozilla-intermediate': 'good' } },
] as const satisfies readonly TlsProtocolRow[];

/**
 * TLS 1.2 and 1.3 by name, for the rules that differ by version (extended master secret and
 * renegotiation exist up to TLS 1.2; TLS 1.3 suites are all of one kind).
 *
 * @example const newest: TlsVersion = TLS13; // 'TLSv1.3'
 */
export const TLS12: TlsVersion = 'TLSv1.2';
/** TLS 1.3 by name. @example protocolRank(TLS13) > protocolRank(TLS12) // true */
export const TLS13: TlsVersion = 'TLSv1.3';

/**
 * A protocol version by its normalised name (the `name` column of {@link TLS_PROTOCOLS}).
 *
 * @example const version: TlsVersion = 'TLSv1.2';
 */
export type TlsVersion = (typeof TLS_PROTOCOLS)[number]['name'];

const BY_SPELLING: ReadonlyMap<string, (typeof TLS_PROTOCOLS)[number]> = new Map(
  TLS_PROTOCOLS.flatMap((row) => row.spellings.map((spelling) => [spelling.toLowerCase(), row] as const)),
);
/** No spelling is longer; a longer text is not looked up. */
const LONGEST_SPELLING = Math.max(...TLS_PROTOCOLS.flatMap((row) => row.spellings.map((s) => s.length)));

/**
 * The table's row for a protocol as Node names it or a Received field spells it; null when
 * unknown.
 *
 * @example tlsProtocol('TLS1_2')?.name // 'TLSv1.2'; tlsProtocol('TLSv1')?.legacy // true
 */
export function tlsProtocol(text: string | null | undefined): TlsProtocolRow | null {
  if (text === null || text === undefined || text.length > LONGEST_SPELLING) return null;
  return BY_SPELLING.get(text.toLowerCase()) ?? null;
}

/**
 * 'TLSv1.3', 'TLS1_3', 'tls1.3', 'SSLv3', 'TLSv1/SSLv3' → the TlsVersion; else null.
 *
 * @example normaliseVersion('TLS1_3') // 'TLSv1.3'
 */
export function normaliseVersion(protocol: string | null): TlsVersion | null {
  return (tlsProtocol(protocol)?.name as TlsVersion | undefined) ?? null;
}

/**
 * Position in {@link TLS_PROTOCOLS}, higher is newer; -1 for a protocol the table does not know
 * (it ranks below all: it is suspicious).
 *
 * @example protocolRank('TLSv1.2') > protocolRank('TLSv1') // true
 */
export function protocolRank(text: string): number {
  const row = tlsProtocol(text);
  return row === null ? -1 : TLS_PROTOCOLS.findIndex((r) => r.name === row.name);
}

/**
 * The oldest of some protocols (the first of the oldest as given, spelled as given), or null for none.
 *
 * @example oldestProtocol(['TLSv1.3', 'TLSv1.2']) // 'TLSv1.2'
 */
export function oldestProtocol(protocols: Iterable<string>): string | null {
  let oldest: string | null = null;
  for (const protocol of protocols) if (oldest === null || protocolRank(protocol) < protocolRank(oldest)) oldest = protocol;
  return oldest;
}
