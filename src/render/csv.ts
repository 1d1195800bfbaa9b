/**
 * CSV output: one row per input row (a batch) or per domain, written as each row finishes,
 * after a header line; no footer. Pure.
 *
 * Public contract (README "CSV format"): columns may be added at the end of the fixed
 * ones in a later version, none renamed or reordered. RFC 4180: UTF-8 without BOM,
 * CRLF after every record (the header too), fields separated by commas.
 *
 * | column          | value |
 * |-----------------|-------|
 * | domain          | the normalised A-label domain; for an invalid input row, the raw input |
 * | level           | none, encrypt or verify; empty when undetermined |
 * | required        | what the row had to satisfy (its `require` cell or --require), as JSON's `required`: "encrypt", "opportunistic,verify" |
 * | pass            | true or false; empty when undetermined |
 * | mx_hosts        | MX host names in preference order, joined by `;` |
 * | addresses       | every probed IP address, distinct, in MX order, joined by `;` |
 * | starttls        | all, some or none: how many of the reached addresses (connected and greeted) offered STARTTLS; empty when none was reached; implicit with implicit TLS (port 465) |
 * | min_protocol    | the oldest TLS protocol negotiated at any address (model/tls-protocols.ts: SSLv3 < TLSv1 < TLSv1.1 < TLSv1.2 < TLSv1.3); empty without a TLS session |
 * | earliest_expiry | the earliest notAfter of the leaf certificates of all addresses, YYYY-MM-DD (UTC); empty when none |
 * | days_left       | that certificate's whole days left (negative once expired); empty when none |
 * | problems        | distinct problem codes in first-seen order (judge/all-problems.ts: the domain's, each address's, the input row's), joined by `;` |
 * | line            | the input line the row came from (batch); `--resume` keys rows by it; empty for a domain given as an argument or --server |
 * | satisfied       | the sender policies the domain satisfies, by id in the table's order (judge/sender-policies.ts), joined by `;`; empty when none, or when undetermined (then `pass` is empty too) |
 * | dnssec          | the DNSSEC state of the domain's MX answer: secure, insecure, bogus or indeterminate; empty when not known (the resolver does not validate, or no MX look-up: --server) |
 * | dane            | the distinct DANE statuses of the addresses (valid, invalid, unusable, insecure, bogus, none, indeterminate) in MX preference then address order, joined by `;`: `valid` alone means every address is DANE-authenticated; empty when not judged |
 * | mta_sts         | the MTA-STS mode a sender applies: enforce, testing or none (none too when there is no usable record or policy: the problems say why); empty when it cannot be told |
 * | tls_rpt         | where TLS reports go: the `rua` URIs of the TLS-RPT record, separated by a space; empty when there is no valid record |
 * | deep_worst_tier | the worst guideline tier (good, sufficient, phase-out, insufficient) over the addresses a deep probe (`--deep`) graded; empty without --deep |
 * | weak_suites     | the distinct cipher suites graded insufficient, then phase-out, that those addresses accept, by IANA name, joined by `;`; at most CSV_WEAK_SUITES, then `+N more`; empty without --deep or when none |
 *
 * Then the input's other columns (its header order), under their input names; a name that
 * equals a fixed column's (case-insensitively) gets the prefix `input_` (repeated until
 * unique).
 *
 * Escaping: text from the input or a server is passed through sanitize() (control
 * characters and bidi overrides written as \xNN / \uNNNN; domain, hosts, protocol and
 * header names cut at 1,000 characters; carried values not cut). Against spreadsheet
 * formula injection (OWASP "CSV Injection"), a cell gets a leading `'` when a spreadsheet
 * would evaluate it: when, after leading white space (spaces, TAB, NBSP, ideographic space
 * and the other Unicode spaces, zero-width spaces), it starts with = + - @ or their
 * fullwidth forms ＝ ＋ － ＠, or when it starts with TAB, CR or LF (see
 * {@link csvNeedsEscape}). So that this stays reversible, a cell that already starts with
 * `'` gets one too: a reader removes one leading `'` when the rest needs escaping or starts
 * with `'` (resume's csvCellValue). Computed numbers (days_left, line) are not escaped
 * ("-3" stays a number). A cell with a comma, a quote, CR or LF is quoted, its quotes
 * doubled.
 */
import type { AddressResult } from '../model/address.js';
import { worstTier } from '../model/tls-guidelines.js';
import type { DomainResult } from '../model/domain.js';
import { sanitize } from './sanitize.js';
import { allProblems } from '../judge/all-problems.js';
import { oldestProtocol } from '../model/tls-protocols.js';
import type { RenderOptions, StreamedRenderer } from './report-renderer.js';
import { daneStatuses, domainDnssec, mtaStsMode, tlsRptTargets } from './mail-tls-summary.js';

/** The fixed columns, in order. */
export const CSV_COLUMNS = [
  'domain',
  'level',
  'required',
  'pass',
  'mx_hosts',
  'addresses',
  'starttls',
  'min_protocol',
  'earliest_expiry',
  'days_left',
  'problems',
  'line',
  'satisfied',
  // Issue 9: how the domain enforces mail TLS. Added at the end: a CSV without them is of an
  // earlier mxprobe, which --resume refuses (batch/resume.ts).
  'dnssec',
  'dane',
  'mta_sts',
  'tls_rpt',
  // Issue 10: the deep probe's grade. Added at the end: a CSV without them is of an earlier
  // mxprobe, which --resume refuses (batch/resume.ts).
  'deep_worst_tier',
  'weak_suites',
] as const;

/**
 * Weak suites a `weak_suites` cell names at most; the rest are counted in a last `+N more`
 * (JSON keeps every accepted suite).
 *
 * @example CSV_WEAK_SUITES // 40
 */
export const CSV_WEAK_SUITES = 40;

/**
 * What a spreadsheet evaluates as a formula: after leading white space (\s covers TAB, LF,
 * CR, NBSP, U+1680, U+2000–U+200A, U+2028/9, U+202F, U+205F, U+3000 and U+FEFF; the
 * zero-width characters are added), = + - @ or their fullwidth forms; or a cell that starts
 * with TAB, CR or LF.
 */
const FORMULA = /^[\s\u180e\u200b-\u200d\u2060]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n]/;
const NEEDS_QUOTES = /[",\r\n]/;

function quoted(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The value gets a leading `'` in a cell: a spreadsheet would evaluate it, or it starts
 * with `'` itself (so that the escape can be undone exactly).
 *
 * @example csvNeedsEscape('  =1+1') // true
 * @example csvNeedsEscape('a=1') // false
 */
export function csvNeedsEscape(value: string): boolean {
  return value.startsWith("'") || FORMULA.test(value);
}

/**
 * One cell: formula-escaped, then quoted when needed. Does not sanitize (callers do, for
 * text from the input or a server).
 *
 * @example csvCell('=HYPERLINK("x")') // `"'=HYPERLINK(""x"")"`
 */
export function csvCell(value: string): string {
  return quoted(csvNeedsEscape(value) ? `'${value}` : value);
}

/**
 * The header names of the output for these carried columns: the fixed ones, then the
 * carried ones, renamed `input_…` where they collide with a fixed one.
 *
 * @example csvColumnNames(['partner', 'Level']) // [...CSV_COLUMNS, 'partner', 'input_Level']
 */
export function csvColumnNames(extraColumns: readonly string[]): string[] {
  const taken = new Set<string>(CSV_COLUMNS);
  const names: string[] = [...CSV_COLUMNS];
  for (const column of extraColumns) {
    let name = column;
    while (taken.has(name.toLowerCase())) name = `input_${name}`;
    taken.add(name.toLowerCase());
    names.push(name);
  }
  return names;
}

/**
 * The header's cells as written (sanitised and cut, before csvCell): what `--resume`
 * compares with the header it reads back, through this same function.
 *
 * @example csvHeaderCells(['x\ny']).at(-1) // 'x\\x0ay'
 */
export function csvHeaderCells(extraColumns: readonly string[]): string[] {
  return csvColumnNames(extraColumns).map((name) => sanitize(name));
}

/**
 * The header line, CRLF-terminated.
 *
 * @example csvHeader(['partner']) // 'domain,level,…,satisfied,dnssec,dane,mta_sts,tls_rpt,deep_worst_tier,weak_suites,partner\r\n'
 */
export function csvHeader(extraColumns: readonly string[]): string {
  return `${csvHeaderCells(extraColumns).map(csvCell).join(',')}\r\n`;
}

/**
 * The text of the domain cell before csvCell: what resume reads back as a row's key.
 *
 * @example csvDomainText(result) // 'partner.example'
 */
export function csvDomainText(result: Pick<DomainResult, 'domain' | 'input' | 'outcome'>): string {
  return sanitize(result.outcome === 'invalid-input' ? result.input : result.domain);
}

function starttlsShare(addresses: readonly AddressResult[]): string {
  if (addresses.length > 0 && addresses.every((a) => a.tlsMode === 'implicit')) return 'implicit'; // port 465: no STARTTLS
  const reached = addresses.filter((a) => a.connected && a.banner !== null);
  if (reached.length === 0) return '';
  const offering = reached.filter((a) => a.starttls).length;
  return offering === reached.length ? 'all' : offering === 0 ? 'none' : 'some';
}

/** The oldest protocol negotiated, by the one protocol table; an unknown name ranks below all (it is suspicious, and shown). */
function minProtocol(addresses: readonly AddressResult[]): string {
  const lowest = oldestProtocol(addresses.flatMap((a) => (a.tls === null ? [] : [a.tls.protocol])));
  return lowest === null ? '' : sanitize(lowest);
}

function earliestExpiry(addresses: readonly AddressResult[]): { date: string; daysLeft: string } {
  let best: { time: number; daysLeft: number } | null = null;
  for (const address of addresses) {
    const certificate = address.certificate;
    const leaf = certificate?.chain[0];
    if (certificate == null || leaf === undefined) continue;
    const time = Date.parse(leaf.notAfter);
    if (Number.isNaN(time)) continue;
    if (best === null || time < best.time) best = { time, daysLeft: certificate.daysLeft };
  }
  return best === null ? { date: '', daysLeft: '' } : { date: new Date(best.time).toISOString().slice(0, 10), daysLeft: String(best.daysLeft) };
}

/** The addresses a deep probe graded. */
const deepGraded = (addresses: readonly AddressResult[]) => addresses.filter((a) => a.deep !== undefined && a.grade !== undefined);

/** The worst tier over the addresses a deep probe graded; empty without one. */
function deepWorstTier(addresses: readonly AddressResult[]): string {
  return worstTier(deepGraded(addresses).flatMap((a) => (a.grade?.worst != null ? [a.grade.worst] : []))) ?? '';
}

/** The weak suites those addresses accept: insufficient first, then phase-out, distinct, capped at CSV_WEAK_SUITES. */
function weakSuites(addresses: readonly AddressResult[]): string {
  const facts = deepGraded(addresses).flatMap((a) => a.grade?.facts ?? []);
  const names = [
    ...new Set(
      (['insufficient', 'phase-out'] as const).flatMap((tier) => facts.filter((f) => f.kind === 'cipher' && f.tier === tier).map((f) => sanitize(f.subject, 100))),
    ),
  ];
  const shown = names.slice(0, CSV_WEAK_SUITES);
  if (names.length > CSV_WEAK_SUITES) shown.push(`+${names.length - CSV_WEAK_SUITES} more`);
  return shown.join(';');
}

/**
 * One result as a CSV record, CRLF-terminated; `extraColumns` is the input header's
 * carried columns (InputHeader.extraColumns), read from `result.source.columns`.
 *
 * @example csvRow(result, ['partner']) // 'partner.example,none,encrypt,false,…,Acme\r\n'
 */
export function csvRow(result: DomainResult, extraColumns: readonly string[]): string {
  const hosts = [...result.mx].sort((a, b) => a.preference - b.preference);
  const addresses = hosts.flatMap((host) => host.addresses);
  const expiry = earliestExpiry(addresses);
  const columns = result.source?.columns ?? {};
  const cells = [
    csvCell(csvDomainText(result)),
    csvCell(result.level ?? ''),
    csvCell(result.required),
    result.pass === null ? '' : String(result.pass),
    csvCell(hosts.map((host) => sanitize(host.host)).join(';')),
    csvCell([...new Set(addresses.map((a) => sanitize(a.ip)))].join(';')),
    starttlsShare(addresses),
    csvCell(minProtocol(addresses)),
    expiry.date,
    expiry.daysLeft,
    csvCell([...new Set(allProblems(result).map((p) => p.code))].join(';')),
    result.source !== undefined ? String(result.source.line) : '',
    csvCell(result.policies.filter((p) => p.satisfied === true).map((p) => p.id).join(';')),
    domainDnssec(result) ?? '',
    daneStatuses(result).join(';'),
    mtaStsMode(result) ?? '',
    csvCell(tlsRptTargets(result)),
    deepWorstTier(addresses),
    csvCell(weakSuites(addresses)),
    ...extraColumns.map((name) => csvCell(sanitize(Object.hasOwn(columns, name) ? (columns[name] ?? '') : '', Infinity))),
  ];
  return `${cells.join(',')}\r\n`;
}

/**
 * The CSV format as a renderer: the header line, a record per result, no footer.
 *
 * @example csvRenderer({ extraColumns: ['partner'] }).header() // 'domain,level,…,weak_suites,partner\r\n'
 */
export function csvRenderer(options: Pick<RenderOptions, 'extraColumns'>): StreamedRenderer {
  const extra = options.extraColumns;
  return { totalsFirst: false, header: () => csvHeader(extra), row: (result) => csvRow(result, extra), footer: () => '' };
}
