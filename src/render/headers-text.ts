/**
 * The human report of `mxprobe headers`: per message a verdict line, a table of its hops
 * oldest first, and the problems with what to do; per input what its caps left unread; with
 * several files a heading per file. Written a piece at a time (HeadersTextStream), so a message
 * is shown as soon as it is read. Pure: colour is a parameter, and every string that came from
 * the message or the command line passes through sanitize().
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Problem, Severity } from '../model/problem.js';
import type { HeadersInput, HeadersReport, Hop, HopGrade, MessageResult } from '../model/headers.js';
import { unreadParts } from '../judge/judge-hops.js';
import { sizeText } from '../judge/problem-catalogue.js';
import { boxTable } from './headers-table.js';
import { sanitize } from './sanitize.js';

/**
 * How renderHeadersText writes. May be left out.
 *
 * @example const options: HeadersTextOptions = { colorLevel: 1 };
 */
export interface HeadersTextOptions {
  /** 0 no colour; 1 basic 16 colours or more. */
  colorLevel: 0 | 1 | 2 | 3;
}

const SYMBOL: Record<Severity, string> = { error: '✘', warning: '!', info: 'i' };
/** Host names and addresses are cut here in the table. */
const CELL = 60;

function gradeText(c: ChalkInstance, grade: HopGrade | null): string {
  if (grade === null) return c.yellow('?');
  if (grade === 'A') return c.green(grade);
  if (grade === 'B') return c.cyan(grade);
  return grade === 'C' ? c.yellow(grade) : c.red(grade);
}

function messageName(m: MessageResult): string {
  const id = m.messageId === null ? '' : ` ${sanitize(m.messageId, CELL)}`;
  const subject = m.subject === null ? '' : ` "${sanitize(m.subject, CELL)}"`;
  return `message ${m.index}${id}${subject}`;
}

function hopName(m: MessageResult, order: number | null): string {
  const hop = order === null ? undefined : m.hops[order - 1];
  if (hop === undefined) return '';
  const from = hop.from === null ? '?' : (hop.from.reverseName ?? hop.from.helo ?? hop.from.ip ?? '?');
  return `hop ${hop.order} (${sanitize(from, CELL)} → ${sanitize(hop.by?.host ?? '?', CELL)})`;
}

/**
 * One line: PASS/FAIL/UNKNOWN, the message, and why.
 *
 * @example headersVerdictLine(m, new Chalk({ level: 0 })) // 'PASS message 1: every network hop used TLS (1 network hop, 1 local); …'
 */
export function headersVerdictLine(m: MessageResult, c: ChalkInstance): string {
  const v = m.verdict;
  const counts = `${v.networkHops.length} network hop${v.networkHops.length === 1 ? '' : 's'}, ${v.localHops.length} local`;
  let head: string;
  let why: string;
  if (v.allNetworkHopsEncrypted === true) {
    head = c.green.bold('PASS');
    why = `every network hop used TLS (${counts})`;
    if (v.weakestHop !== null && v.weakestGrade !== 'A') why += `; weakest: ${hopName(m, v.weakestHop)}, grade ${gradeText(c, v.weakestGrade)}`;
  } else if (v.allNetworkHopsEncrypted === false) {
    head = c.red.bold('FAIL');
    const more = v.unencryptedHops.length > 1 ? ` (and ${v.unencryptedHops.length - 1} more)` : '';
    why = `${hopName(m, v.firstUnencryptedHop)} was not encrypted${more}`;
  } else {
    head = c.yellow.bold('UNKNOWN');
    const unread = unreadParts(m);
    if (unread.length > 0) why = `the header was not read in full (unread: ${unread.join('; ')}), so TLS cannot be proven`;
    else if (v.networkHops.length === 0) why = m.hops.length === 0 ? 'no Received field' : 'no network hop recorded';
    else why = `no hop was plaintext, but TLS is unknown on ${hopList(v.unknownHops)}`;
  }
  return `${head} ${c.bold(messageName(m))}: ${why}`;
}

function timeText(hop: Hop, c: ChalkInstance): string {
  if (hop.date === null) return c.yellow('?');
  return hop.date.replace('T', ' ').replace(/\.000Z$/, 'Z');
}

function hopRow(hop: Hop, c: ChalkInstance): string[] {
  const from =
    hop.from === null
      ? c.dim('(no from)')
      : `${sanitize(hop.from.reverseName ?? hop.from.helo ?? '?', CELL)}${hop.from.ip === null ? '' : ` [${sanitize(hop.from.ip, CELL)}]`}`;
  const by = `→ ${sanitize(hop.by?.host ?? '?', CELL)}`;
  const tls = hop.tls;
  const shown = tls === null ? null : (tls.version ?? tls.protocol);
  const protocol =
    shown !== null
      ? hop.grade === 'C' ? c.yellow(sanitize(shown, 20)) : sanitize(shown, 20)
      : hop.encrypted === true ? 'TLS' : hop.encrypted === false ? c.red('none') : c.yellow('?');
  const withLine = hop.with === null ? '' : `\n${c.dim(`with ${sanitize(hop.with, 30)}`)}`;
  const cipher =
    tls?.cipher == null
      ? ''
      : `${hop.grade === 'D' ? c.red(sanitize(tls.cipher, CELL)) : sanitize(tls.cipher, CELL)}${tls.bits === null ? '' : `\n${c.dim(`${tls.bits} bits`)}`}${
          tls.keyExchange === null ? '' : c.dim(`${tls.bits === null ? '\n' : ', '}${sanitize(tls.keyExchange, 20)}`)
        }`;
  const verified = tls?.verified == null ? c.dim('—') : tls.verified === 'yes' ? c.green('yes') : tls.verified === 'fail' ? c.yellow('fail') : tls.verified;
  const grade = hop.local ? c.dim(hop.grade === null ? 'local' : `${hop.grade} local`) : gradeText(c, hop.grade);
  return [String(hop.order), `${from}\n${by}`, timeText(hop, c), `${protocol}${withLine}`, cipher, verified, `${grade}\n${c.dim(hop.format)}`];
}

const HEAD = ['#', 'From → By', 'Time (UTC)', 'Protocol', 'Cipher', 'Verified', 'Grade'];

function hopTable(m: MessageResult, c: ChalkInstance): string | null {
  if (m.hops.length === 0) return null;
  return boxTable(
    HEAD.map((h) => c.bold(h)),
    m.hops.map((hop) => hopRow(hop, c)),
  );
}

/** Each problem, and the fix the first time its code appears (a message may have many hops alike). */
function problemLines(problems: readonly Problem[], c: ChalkInstance): string[] {
  const colour = { error: c.red, warning: c.yellow, info: c.blue };
  const hinted = new Set<string>();
  return problems.flatMap((p) => {
    const line = `  ${colour[p.severity](`${SYMBOL[p.severity]} ${p.code}`)} ${sanitize(p.message)}`;
    if (hinted.has(p.code)) return [line];
    hinted.add(p.code);
    return [line, `    ${c.dim('fix:')} ${p.hint}`];
  });
}

/** "hop 1, hop 2, hop 3, hop 4, hop 6 and 2 more" */
function hopList(orders: readonly number[]): string {
  const shown = orders.slice(0, 5).map((o) => `hop ${o}`).join(', ');
  return orders.length > 5 ? `${shown} and ${orders.length - 5} more` : shown;
}

/**
 * One message: its verdict line, the From_ line of an mbox, the hop table, the local hops and
 * the problems. No line break at the end.
 */
function messageBlock(m: MessageResult, c: ChalkInstance): string {
  const lines = [headersVerdictLine(m, c)];
  if (m.envelopeFrom !== null) lines.push(c.dim(`From ${sanitize(m.envelopeFrom, 200)}`));
  const t = hopTable(m, c);
  if (t !== null) lines.push(t);
  const local = m.hops.filter((h) => h.local);
  if (local.length > 0) lines.push(c.dim(`Local: ${local.map((h) => `hop ${h.order} ${sanitize(h.localReason ?? '', 120)}`).join('; ')}`));
  if (m.problems.length > 0) lines.push(c.bold('Problems'), ...problemLines(m.problems, c));
  return lines.join('\n');
}

/** How an input is named to a person: 'standard input', its file name (sanitised), or 'the input'. */
function inputName(file: string | null): string {
  if (file === null) return 'the input';
  return file === '-' ? 'standard input' : sanitize(file, 200);
}

/**
 * What an input's caps left unread, or that it held no message ('UNKNOWN mbox: only the first
 * 10000 of 10001 messages were read …'): a closing block; null when there is nothing to say (the
 * input was read in full and held messages). No line break at the end.
 */
function inputBlock(input: HeadersInput, c: ChalkInstance): string | null {
  if (input.error !== null) return null; // said on standard error, once
  const name = inputName(input.file);
  const lines: string[] = [];
  const rest = input.problems.filter((p) => p.code !== 'NO_MESSAGE_HEADER');
  if (input.messagesRead === 0) {
    lines.push(`${c.yellow.bold('UNKNOWN')} no message header found in ${name}.`);
  } else if (rest.length > 0) {
    const parts: string[] = [];
    if (input.problems.some((p) => p.code === 'INPUT_TOO_LARGE')) parts.push(`only its first ${sizeText(input.bytes, 'bytes')} were read`);
    if (input.problems.some((p) => p.code === 'TOO_MANY_MESSAGES')) parts.push(`only the first ${input.messagesRead} of ${input.messagesFound} messages were read`);
    lines.push(`${c.yellow.bold('UNKNOWN')} ${c.bold(name)}: ${parts.join(', and ')}, so it cannot pass`);
  } else {
    return null;
  }
  if (rest.length > 0) lines.push(c.bold('Problems'), ...problemLines(rest, c));
  return lines.join('\n');
}

/**
 * The text report written a piece at a time: each method returns the text to write next, blank
 * lines between blocks. With `headings`, each input opens with `==> name <==` (as head(1) does).
 *
 * @example
 * const text = new HeadersTextStream({ colorLevel: 0, headings: false });
 * write(text.input('-')); for (const m of messages) write(text.message(m)); write(text.inputEnd(input));
 */
export class HeadersTextStream {
  private blocks = 0;
  private afterHeading = false;
  private readonly c: ChalkInstance;

  constructor(private readonly options: HeadersTextOptions & { headings: boolean }) {
    this.c = new Chalk({ level: options.colorLevel });
  }

  /** The heading of the next input ('' without headings). */
  input(file: string | null): string {
    if (!this.options.headings) return '';
    const text = `${this.blocks > 0 ? '\n' : ''}==> ${inputName(file)} <==\n`;
    this.blocks += 1;
    this.afterHeading = true;
    return text;
  }

  message(m: MessageResult): string {
    return this.block(messageBlock(m, this.c));
  }

  /** The input's closing block, when it has one ('' otherwise). */
  inputEnd(input: HeadersInput): string {
    const text = inputBlock(input, this.c);
    return text === null ? '' : this.block(text);
  }

  private block(text: string): string {
    const gap = this.blocks > 0 && !this.afterHeading ? '\n' : '';
    this.blocks += 1;
    this.afterHeading = false;
    return `${gap}${text}\n`;
  }
}

/**
 * The whole text report at once (what HeadersTextStream writes piece by piece); headings when
 * the report holds several inputs; by default without colour.
 *
 * @example renderHeadersText(analyseMessages(text, new Date()))
 * @example renderHeadersText(report, { colorLevel: 1 })
 */
export function renderHeadersText(report: HeadersReport, options: Partial<HeadersTextOptions> = {}): string {
  const stream = new HeadersTextStream({ colorLevel: options.colorLevel ?? 0, headings: report.inputs.length > 1 });
  let out = '';
  let next = 0;
  for (const input of report.inputs) {
    out += stream.input(input.file);
    for (const m of report.messages.slice(next, next + input.messagesRead)) out += stream.message(m);
    next += input.messagesRead;
    out += stream.inputEnd(input);
  }
  return out;
}
