/**
 * The human report: a verdict line per domain, a table of every MX address, the problems
 * with what to fix, and what the seed FAQ's four sender policies would do. Pure: colour is
 * a parameter, and every string that came from the network passes through sanitize().
 */
import Table from 'cli-table3';
import { Chalk, type ChalkInstance } from 'chalk';
import type { AddressResult, DomainResult, PolicyOutcome, Problem, Severity, TranscriptEntry } from '../model/result.js';
import type { Level } from '../model/levels.js';
import { sanitize } from './sanitize.js';

export interface TextOptions {
  /** 0 no colour; 1 basic 16 colours or more. */
  colorLevel: 0 | 1 | 2 | 3;
  /** Print each address's SMTP dialogue. */
  transcript: boolean;
}

const SYMBOL: Record<Severity, string> = { error: '✘', warning: '!', info: 'i' };

function levelText(c: ChalkInstance, level: Level | null): string {
  if (level === null) return c.yellow('unknown');
  if (level === 'verify') return c.green(level);
  return level === 'encrypt' ? c.cyan(level) : c.red(level);
}

/** One line: PASS/FAIL/UNKNOWN, the domain, its level against the required one, and the first error. */
export function verdictLine(result: DomainResult, c: ChalkInstance): string {
  const head =
    result.pass === true ? c.green.bold('PASS') : result.pass === false ? c.red.bold('FAIL') : c.yellow.bold('UNKNOWN');
  const level = `level ${levelText(c, result.level)} (required: ${result.required})`;
  const first = result.problems.find((p) => p.severity === 'error');
  const why = result.pass === true || first === undefined ? '' : ` — ${sanitize(first.message)}`;
  return `${head} ${c.bold(sanitize(result.domain))}: ${level}${why}`;
}

/** verdictLine with a fixed colour level: one line per domain for batch text output. */
export function verdictLineFor(colorLevel: 0 | 1 | 2 | 3): (result: DomainResult) => string {
  const c = new Chalk({ level: colorLevel });
  return (result) => verdictLine(result, c);
}

const cn = (subject: string) => /(?:^|, )CN=([^,]*)/.exec(subject)?.[1] ?? subject;

function addressRow(host: string, preference: number, a: AddressResult, c: ChalkInstance): string[] {
  const cert = a.certificate;
  const leaf = cert?.chain[0];
  // Implicit TLS (port 465) has no STARTTLS: the column says how TLS was reached.
  const starttls = a.tlsMode === 'implicit'
    ? a.tls !== null ? c.green('implicit') : c.red('implicit')
    : a.starttls
    ? a.starttlsReply?.code === 220 ? c.green('yes') : c.red(`refused ${a.starttlsReply?.code ?? ''}`.trim())
    : a.level === null ? c.yellow('?') : c.red('no');
  const soon = a.problems.some((p) => p.code === 'CERT_EXPIRES_SOON'); // --warn-days decided it
  const days = cert === null ? '' : cert.expired ? c.red(`${cert.daysLeft}`) : soon ? c.yellow(`${cert.daysLeft}`) : `${cert.daysLeft}`;
  const trust = cert === null ? '' : cert.trusted ? c.green('trusted') : c.red(sanitize(cert.trustError ?? 'untrusted'));
  const name = cert === null ? '' : cert.nameMatch ? c.green('match') : c.red('mismatch');
  return [
    `${sanitize(host)}\n${c.dim(`pref ${preference}`)}`,
    a.port === 25 ? a.ip : `${a.ip}\nport ${a.port}`,
    starttls,
    a.tls === null ? c.dim(a.failure?.stage === 'handshake' ? c.red('failed') : '—') : `${a.tls.protocol}\n${a.tls.cipher}`,
    leaf === undefined ? '' : `${sanitize(cn(leaf.subject), 60)}\n${c.dim(`by ${sanitize(cn(leaf.issuer), 60)}`)}`,
    days,
    trust,
    name,
    levelText(c, a.level),
  ];
}

function table(result: DomainResult, c: ChalkInstance): string | null {
  const rows = result.mx.flatMap((host) => host.addresses.map((a) => addressRow(host.host, host.preference, a, c)));
  if (rows.length === 0) return null;
  const t = new Table({
    head: ['MX host', 'IP', 'STARTTLS', 'TLS', 'Certificate', 'Days left', 'Trust', 'Name', 'Level'].map((h) => c.bold(h)),
    style: { head: [], border: [] },
  });
  t.push(...rows);
  return t.toString();
}

function problemLines(problems: readonly Problem[], c: ChalkInstance): string[] {
  const colour = { error: c.red, warning: c.yellow, info: c.blue };
  return problems.flatMap((p) => [
    `  ${colour[p.severity](`${SYMBOL[p.severity]} ${p.code}`)} ${sanitize(p.message)}`,
    `    ${c.dim('fix:')} ${p.hint}`,
  ]);
}

function policyLines(policies: readonly PolicyOutcome[], c: ChalkInstance): string[] {
  const paint = (value: string, width: number) => {
    const padded = value.padEnd(width);
    return value === 'yes' ? c.green(padded) : value === 'no' ? c.red(padded) : value === 'partly' ? c.yellow(padded) : c.dim(padded);
  };
  const width = Math.max(...policies.map((p) => p.name.length));
  return policies.map((p) => `  (${p.policy}) ${p.name.padEnd(width)}  delivered: ${paint(p.delivered, 7)}  encrypted: ${paint(p.encrypted, 0)}`);
}

export function transcriptLines(entries: readonly TranscriptEntry[], c: ChalkInstance): string[] {
  return entries.map((e) => {
    const time = c.dim(`${String(e.ms).padStart(6)} ms`);
    const dir = e.dir === 'C' ? c.cyan('C:') : e.dir === 'S' ? c.magenta('S:') : c.dim('* ');
    return `  ${time} ${dir} ${sanitize(e.text)}`;
  });
}

/** @example renderText([result], { colorLevel: 0, transcript: false }) */
export function renderText(results: readonly DomainResult[], options: TextOptions): string {
  const c = new Chalk({ level: options.colorLevel });
  const blocks = results.map((result) => {
    const lines = [verdictLine(result, c)];
    const t = table(result, c);
    if (t !== null) lines.push(t);
    if (result.problems.length > 0) lines.push(c.bold('Problems'), ...problemLines(result.problems, c));
    lines.push(c.bold('Sender policies (seed FAQ)'), ...policyLines(result.policies, c));
    if (options.transcript) {
      for (const a of result.mx.flatMap((h) => h.addresses)) {
        lines.push(c.bold(`Transcript ${sanitize(a.host)} [${a.ip}]:${a.port}`), ...transcriptLines(a.transcript ?? [], c));
      }
    }
    return lines.join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}
