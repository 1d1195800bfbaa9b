/**
 * The human report of `mxprobe headers`: per message a verdict line, a table of its hops
 * oldest first, and the problems with what to do. Pure: colour is a parameter, and every
 * string that came from the message passes through sanitize().
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Severity } from '../model/result.js';
import type { HeaderProblem, HeadersReport, Hop, HopGrade, MessageResult } from '../model/headers.js';
import { boxTable } from './headers-table.js';
import { sanitize } from './sanitize.js';

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

/** One line: PASS/FAIL/UNKNOWN, the message, and why. */
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
    why =
      v.networkHops.length === 0
        ? m.hops.length === 0 ? 'no Received field' : 'no network hop recorded'
        : `no hop was plaintext, but TLS is unknown on ${hopList(v.unknownHops)}`;
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
function problemLines(problems: readonly HeaderProblem[], c: ChalkInstance): string[] {
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

/** @example renderHeadersText(analyseMessages(text, new Date()), { colorLevel: 0 }) */
export function renderHeadersText(report: HeadersReport, options: HeadersTextOptions): string {
  const c = new Chalk({ level: options.colorLevel });
  if (report.messages.length === 0) return `${c.yellow.bold('UNKNOWN')} no message header found in the input.\n`;
  const blocks = report.messages.map((m) => {
    const lines = [headersVerdictLine(m, c)];
    if (m.envelopeFrom !== null) lines.push(c.dim(`From ${sanitize(m.envelopeFrom, 200)}`));
    const t = hopTable(m, c);
    if (t !== null) lines.push(t);
    const local = m.hops.filter((h) => h.local);
    if (local.length > 0) lines.push(c.dim(`Local: ${local.map((h) => `hop ${h.order} ${sanitize(h.localReason ?? '', 120)}`).join('; ')}`));
    if (m.problems.length > 0) lines.push(c.bold('Problems'), ...problemLines(m.problems, c));
    return lines.join('\n');
  });
  if (report.input.messagesFound > report.messages.length) {
    blocks.push(c.dim(`${report.messages.length} of ${report.input.messagesFound} messages shown (the rest had no header, or were past the limit).`));
  }
  return `${blocks.join('\n\n')}\n`;
}
