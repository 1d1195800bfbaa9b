/**
 * The human report: a verdict line per domain, a table of every MX address (one block per
 * address on a terminal too narrow for the table), a DANE and an MTA-STS line, the problems
 * with what to fix, and what each sender policy (the partner TLS FAQs' four, DANE, MTA-STS)
 * would do. Pure: colour and width are
 * parameters, and every string that came from the network passes through sanitize().
 */
import Table from 'cli-table3';
import { Chalk, type ChalkInstance } from 'chalk';
import type { AddressResult } from '../model/address.js';
import type { DomainResult } from '../model/domain.js';
import type { PolicyOutcome } from '../model/policy.js';
import type { Problem, ProblemCode, Severity } from '../model/problem.js';
import type { TranscriptEntry } from '../model/smtp.js';
import type { Level } from '../model/levels.js';
import { sanitize } from './sanitize.js';
import { allProblems } from '../judge/all-problems.js';
import { displayWidth, wrapWidth } from './text-width.js';
import { daneStatuses, daneSummary, mtaStsMode, mtaStsSummary } from './mail-tls-summary.js';
import { deepSection, deepTag } from './deep-text.js';
import type { RenderOptions, StreamedRenderer } from './report-renderer.js';

/**
 * How renderText writes: colour, transcripts, width. Every field may be left out.
 *
 * @example const options: TextOptions = { colorLevel: 0, transcript: false, columns: 100 };
 */
export interface TextOptions {
  /** 0 no colour; 1 basic 16 colours or more. */
  colorLevel: 0 | 1 | 2 | 3;
  /** Print each address's SMTP dialogue. */
  transcript: boolean;
  /**
   * Width of the terminal the report is for (default TEXT_COLUMNS_NOT_A_TERMINAL): below the
   * width the full table needs, each address is a block of `key: value` lines instead.
   */
  columns?: number;
}

/**
 * The width assumed when the report does not go to a terminal (a file, a pipe, a CI log).
 *
 * @example renderText(results, { colorLevel: 0, transcript: false, columns: TEXT_COLUMNS_NOT_A_TERMINAL })
 */
export const TEXT_COLUMNS_NOT_A_TERMINAL = 160;

/** The heading of the policy matrix: the four sender policies (a)–(d) that the partner TLS FAQs describe. */
const POLICIES_HEADING = 'Sender policies of the partner TLS FAQs';

const SYMBOL: Record<Severity, string> = { error: '✘', warning: '!', info: 'i' };

function levelText(c: ChalkInstance, level: Level | null): string {
  return paint(c, levelPiece(level));
}

/**
 * One line: PASS/FAIL/UNKNOWN, the domain, its level against the required one, `tags` (a
 * batch row's " · DANE valid · MTA-STS enforce"), and the first error.
 * @example verdictLine(result, new Chalk({ level: 0 })) // 'PASS example.com: level verify (required: encrypt)'
 */
export function verdictLine(result: DomainResult, c: ChalkInstance, tags = ''): string {
  const head =
    result.pass === true ? c.green.bold('PASS') : result.pass === false ? c.red.bold('FAIL') : c.yellow.bold('UNKNOWN');
  const level = `level ${levelText(c, result.level)} (required: ${result.required})`;
  // Why it did not pass: the first error, else (an undetermined domain, e.g. every address
  // filtered by -4/-6) the first warning.
  const problems = allProblems(result);
  const first = problems.find((p) => p.severity === 'error') ?? problems.find((p) => p.severity === 'warning');
  const why = result.pass === true || first === undefined ? '' : ` — ${sanitize(first.message)}`;
  return `${head} ${c.bold(sanitize(result.domain))}: ${level}${tags}${why}`;
}

const cn = (subject: string) => /(?:^|, )CN=([^,]*)/.exec(subject)?.[1] ?? subject;

/** How a piece of a cell is coloured. */
type Tone = 'plain' | 'good' | 'bad' | 'warn' | 'info' | 'dim';

/** A piece of a cell: sanitised text and its colour. The table puts each piece on a line of its cell. */
interface Piece {
  text: string;
  tone: Tone;
}

/** One column of the address table for one address: its head and the pieces of its cell. */
interface Column {
  head: string;
  pieces: Piece[];
}

const piece = (text: string, tone: Tone = 'plain'): Piece => ({ text, tone });

function paint(c: ChalkInstance, p: Piece): string {
  const tone = { plain: (s: string) => s, good: c.green, bad: c.red, warn: c.yellow, info: c.cyan, dim: c.dim }[p.tone];
  return tone(p.text);
}

function levelPiece(level: Level | null): Piece {
  if (level === null) return piece('unknown', 'warn');
  return piece(level, level === 'verify' ? 'good' : level === 'encrypt' ? 'info' : 'bad');
}

/**
 * The Trust cell of an untrusted chain: a word for its first path problem (the problems below
 * the table say the rest), so that an OpenSSL code such as UNABLE_TO_GET_ISSUER_CERT_LOCALLY
 * does not widen the table.
 */
const TRUST_WORDS: Partial<Record<ProblemCode, string>> = {
  CERT_SELF_SIGNED: 'self-signed',
  CERT_CHAIN_INCOMPLETE: 'incomplete',
  CERT_UNTRUSTED: 'untrusted',
  CERT_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not yet valid',
  CERT_CA_EXPIRED: 'CA expired',
  CERT_CA_NOT_YET_VALID: 'CA not yet valid',
  CERT_ISSUER_NOT_CA: 'issuer not CA',
  CERT_ISSUER_KEY_USAGE: 'CA key usage',
  CERT_PATH_TOO_LONG: 'path too long',
  CERT_WRONG_PURPOSE: 'wrong purpose',
  CERT_BAD_SIGNATURE: 'bad signature',
  CERT_VERIFY_FAILED: 'refused',
};

function trustWord(a: AddressResult): string {
  for (const p of a.problems) {
    const word = TRUST_WORDS[p.code];
    if (word !== undefined) return word;
  }
  return 'untrusted';
}

/** The columns of one address: the same facts for the table and for the narrow layout. */
function addressColumns(host: string, preference: number, a: AddressResult): Column[] {
  const cert = a.certificate;
  const leaf = cert?.chain[0];
  // Implicit TLS (port 465) has no STARTTLS: the column says how TLS was reached.
  const starttls =
    a.tlsMode === 'implicit'
      ? piece('implicit', a.tls !== null ? 'good' : 'bad')
      : a.starttls
        ? a.starttlsReply?.code === 220 ? piece('yes', 'good') : piece(`refused ${a.starttlsReply?.code ?? ''}`.trim(), 'bad')
        : a.level === null ? piece('?', 'warn') : piece('no', 'bad');
  const soon = a.problems.some((p) => p.code === 'CERT_EXPIRES_SOON'); // --warn-days decided it
  return [
    { head: 'MX host', pieces: [piece(sanitize(host)), piece(`pref ${preference}`, 'dim')] },
    { head: 'IP', pieces: a.port === 25 ? [piece(a.ip)] : [piece(a.ip), piece(`port ${a.port}`)] },
    { head: 'STARTTLS', pieces: [starttls] },
    {
      head: 'TLS',
      pieces:
        a.tls === null
          ? [a.failure?.stage === 'handshake' ? piece('failed', 'bad') : piece('—', 'dim')]
          : [piece(sanitize(a.tls.protocol, 40)), piece(sanitize(a.tls.cipher, 80))],
    },
    {
      head: 'Certificate',
      pieces: leaf === undefined ? [] : [piece(sanitize(cn(leaf.subject), 60)), piece(`by ${sanitize(cn(leaf.issuer), 60)}`, 'dim')],
    },
    { head: 'Days left', pieces: cert === null ? [] : [piece(`${cert.daysLeft}`, cert.expired ? 'bad' : soon ? 'warn' : 'plain')] },
    { head: 'Trust', pieces: cert === null ? [] : [cert.trusted ? piece('trusted', 'good') : piece(trustWord(a), 'bad')] },
    { head: 'Name', pieces: cert === null ? [] : [cert.nameMatch ? piece('match', 'good') : piece('mismatch', 'bad')] },
    { head: 'Level', pieces: [levelPiece(a.level)] },
  ];
}

/** Every address of a domain, in MX then address order, as columns. */
function addressRows(result: DomainResult): Column[][] {
  return result.mx.flatMap((host) => host.addresses.map((a) => addressColumns(host.host, host.preference, a)));
}

/** The full table: one row per address, a column per fact (about 130 columns for usual names). */
function table(rows: Column[][], c: ChalkInstance): string {
  const t = new Table({
    head: (rows[0] ?? []).map((col) => c.bold(col.head)),
    style: { head: [], border: [] },
  });
  t.push(...rows.map((row) => row.map((col) => col.pieces.map((p) => paint(c, p)).join('\n'))));
  return t.toString();
}

/** Width of the key column of the narrow layout: "Certificate:" and a space. */
const KEY_WIDTH = 13;
/** Values are never squeezed below this many columns, however narrow the terminal. */
const MIN_VALUE_WIDTH = 16;

/**
 * The narrow layout: one block per address, the MX host as its title and a `key: value` line
 * per column that has a value; a value too wide goes on, piece by piece and wrapped, in the
 * value column of the next lines.
 */
function blocks(rows: Column[][], c: ChalkInstance, columns: number): string {
  const valueWidth = Math.max(MIN_VALUE_WIDTH, columns - 2 - KEY_WIDTH);
  const indent = ' '.repeat(2 + KEY_WIDTH);
  const lines: string[] = [];
  for (const [title, ...rest] of rows) {
    const [host, pref] = title?.pieces ?? [];
    const heading = `${host?.text ?? ''} (${pref?.text ?? ''})`;
    lines.push(...wrapWidth(heading, Math.max(MIN_VALUE_WIDTH, columns)).map((l) => c.bold(l)));
    for (const col of rest) {
      if (col.pieces.length === 0) continue;
      const joined = col.pieces.map((p) => p.text).join(', ');
      const values =
        displayWidth(joined) <= valueWidth
          ? [col.pieces.map((p) => paint(c, p)).join(', ')]
          : col.pieces.flatMap((p) => wrapWidth(p.text, valueWidth).map((text) => paint(c, { ...p, text })));
      values.forEach((value, i) => lines.push(`${i === 0 ? `  ${`${col.head}:`.padEnd(KEY_WIDTH)}` : indent}${value}`));
    }
  }
  return lines.join('\n');
}

/** The table when the terminal is wide enough for it, else the narrow layout; null without addresses. */
function addresses(result: DomainResult, c: ChalkInstance, columns: number): string | null {
  const rows = addressRows(result);
  if (rows.length === 0) return null;
  const full = table(rows, c);
  const needed = Math.max(...full.split('\n').map(displayWidth));
  return needed <= columns ? full : blocks(rows, c, columns);
}

/**
 * The first line of `text` at most `width` columns wide: up to the last space when that keeps
 * at least half the width (words stay whole), else where wrapWidth breaks.
 */
function firstLine(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  const piece = wrapWidth(text, width)[0] ?? '';
  let end = text.length;
  while (end > 0 && displayWidth(text.slice(0, end)) > width) end = text.lastIndexOf(' ', end - 1);
  const words = end > 0 ? text.slice(0, end).trimEnd() : '';
  return displayWidth(words) >= width / 2 ? words : piece;
}

/**
 * `text` in lines of at most `columns` (never below MIN_VALUE_WIDTH), the lines after the
 * first indented by two spaces.
 */
function wrapped(text: string, columns: number): string[] {
  const width = Math.max(MIN_VALUE_WIDTH, columns);
  const lines: string[] = [];
  let rest = text;
  while (rest !== '') {
    const indent = lines.length === 0 ? '' : '  ';
    // Never an empty piece (it would not move on): at least one character.
    const line = firstLine(rest, width - indent.length) || ([...rest][0] as string);
    lines.push(indent + line);
    rest = rest.slice(line.length).trimStart();
  }
  return lines;
}

/**
 * How the domain enforces mail TLS: a DANE line (and, when DANE authenticates a certificate
 * PKIX does not trust, a line that says so) and an MTA-STS line with where TLS reports go;
 * each wrapped to the width. Nothing for what was not gathered.
 */
function mailTlsLines(result: DomainResult, c: ChalkInstance, columns: number): string[] {
  const lines: string[] = [];
  const label = (key: string, text: string) => {
    const [first = '', ...rest] = wrapped(`${key}: ${text}`, columns);
    lines.push(c.bold(first.slice(0, key.length + 1)) + first.slice(key.length + 1), ...rest);
  };
  const dane = daneSummary(result);
  if (dane !== null) {
    label('DANE', dane.line);
    if (dane.pkixNote !== null) lines.push(...wrapped(dane.pkixNote, columns - 2).map((l) => `  ${c.yellow(l)}`));
  }
  const sts = mtaStsSummary(result);
  if (sts !== null) label('MTA-STS', sts);
  return lines;
}

/**
 * The short tags of a batch row: DANE where it applies (not for an unsigned domain or one
 * without TLSA records), MTA-STS where a policy is in force (enforce or testing).
 */
function mailTlsTags(result: DomainResult): string {
  const tags: string[] = [];
  // Behind a resolver that does not validate, every address is indeterminate: no tag on every row.
  const dane = result.dnssec?.validating === false ? [] : daneStatuses(result).filter((s) => s !== 'none' && s !== 'insecure');
  if (dane.length > 0) tags.push(`DANE ${dane.join('/')}`);
  const mode = mtaStsMode(result);
  if (mode === 'enforce' || mode === 'testing') tags.push(`MTA-STS ${mode}`);
  return tags.map((t) => ` · ${t}`).join('');
}

function problemLines(problems: readonly Problem[], c: ChalkInstance): string[] {
  const colour = { error: c.red, warning: c.yellow, info: c.blue };
  return problems.flatMap((p) => [
    `  ${colour[p.severity](`${SYMBOL[p.severity]} ${p.code}`)} ${sanitize(p.message)}`,
    `    ${c.dim('fix:')} ${p.hint}`,
  ]);
}

/** The margin of a policy's row: ✔ / ✘ / ? for a required policy (satisfied, not, undetermined), blank for the others. */
function requiredMark(p: PolicyOutcome, result: DomainResult, c: ChalkInstance): string {
  if (!result.requiredPolicies.includes(p.id)) return ' ';
  return p.satisfied === true ? c.green('✔') : p.satisfied === false ? c.red('✘') : c.yellow('?');
}

/**
 * The heading and a row per sender policy of the table (judge/sender-policies.ts), as the result
 * lists them: delivered, encrypted and authenticated over the reachable MX addresses, a required
 * policy marked in the margin (✔ satisfied, ✘ not, ? undetermined). At most 80 columns.
 */
function policyLines(result: DomainResult, c: ChalkInstance): string[] {
  const policies = result.policies;
  const paint = (value: string, width: number) => {
    const padded = value.padEnd(width);
    return value === 'yes' ? c.green(padded) : value === 'no' ? c.red(padded) : value === 'partly' ? c.yellow(padded) : c.dim(padded);
  };
  const width = Math.max(POLICIES_HEADING.length - 2, ...policies.map((p) => p.name.length + 4));
  const head = `${POLICIES_HEADING.padEnd(width + 2)}  ${c.dim(`${'delivered'.padEnd(9)}  ${'encrypted'.padEnd(9)}  authenticated`)}`;
  const rows = policies.map(
    (p) => `${requiredMark(p, result, c)} ${`(${p.policy}) ${p.name}`.padEnd(width)}  ${paint(p.delivered, 9)}  ${paint(p.encrypted, 9)}  ${paint(p.authenticated, 0)}`,
  );
  return [c.bold(head), ...rows];
}

export function transcriptLines(entries: readonly TranscriptEntry[], c: ChalkInstance): string[] {
  return entries.map((e) => {
    const time = c.dim(`${String(e.ms).padStart(6)} ms`);
    const dir = e.dir === 'C' ? c.cyan('C:') : e.dir === 'S' ? c.magenta('S:') : c.dim('* ');
    return `  ${time} ${dir} ${sanitize(e.text)}`;
  });
}

/** The full report of one domain: verdict line, address table, problems, policy matrix, transcripts. */
function domainReport(result: DomainResult, c: ChalkInstance, columns: number, transcript: boolean): string {
  const lines = [verdictLine(result, c)];
  const t = addresses(result, c, columns);
  if (t !== null) lines.push(t);
  lines.push(...mailTlsLines(result, c, columns));
  lines.push(...deepSection(result, c, columns));
  const problems = allProblems(result);
  if (problems.length > 0) lines.push(c.bold('Problems'), ...problemLines(problems, c));
  lines.push(...policyLines(result, c));
  if (transcript) {
    for (const a of result.mx.flatMap((h) => h.addresses)) {
      lines.push(c.bold(`Transcript ${sanitize(a.host)} [${a.ip}]:${a.port}`), ...transcriptLines(a.transcript ?? [], c));
    }
  }
  return lines.join('\n');
}

/**
 * The text format as a renderer: layout `report` writes each domain's full report, a blank
 * line between two; layout `rows` one verdict line per domain (a batch). No header, no footer
 * (a batch's summary is the caller's, written after the footer).
 *
 * @example textRenderer({ layout: 'rows', colorLevel: 0, transcript: false }).row(result, 0) // 'PASS example.com: level verify (required: encrypt)\n'
 */
export function textRenderer(options: Pick<RenderOptions, 'layout' | 'colorLevel' | 'transcript' | 'columns'>): StreamedRenderer {
  const c = new Chalk({ level: options.colorLevel });
  const columns = options.columns ?? TEXT_COLUMNS_NOT_A_TERMINAL;
  const row =
    options.layout === 'rows'
      ? (result: DomainResult) => `${verdictLine(result, c, `${mailTlsTags(result)}${deepTag(result, c)}`)}\n`
      : (result: DomainResult, index: number) => `${index > 0 ? '\n' : ''}${domainReport(result, c, columns, options.transcript)}\n`;
  return { totalsFirst: false, header: () => '', row, footer: () => '' };
}

/**
 * The text report of `results`, every domain's full report at once (library use); by default
 * without colour or transcripts, for a width of TEXT_COLUMNS_NOT_A_TERMINAL.
 *
 * @example renderText([result])
 * @example renderText([result], { colorLevel: 1, transcript: false, columns: process.stdout.columns })
 */
export function renderText(results: readonly DomainResult[], options: Partial<TextOptions> = {}): string {
  const c = new Chalk({ level: options.colorLevel ?? 0 });
  const columns = options.columns ?? TEXT_COLUMNS_NOT_A_TERMINAL;
  return `${results.map((result) => domainReport(result, c, columns, options.transcript === true)).join('\n\n')}\n`;
}
