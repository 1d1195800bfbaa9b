/**
 * JUnit XML (the Ant/Surefire dialect Jenkins, GitLab and GitHub test reporters read): one
 * <testsuite>, one <testcase classname="mxprobe" name="DOMAIN"> per domain or input row.
 * - below its required level, or accepts no mail: <failure type="BELOW_REQUIRED">;
 * - an input row that is not a domain: <failure type="INVALID_INPUT">;
 * - level undetermined (DNS failure, nothing reachable): <error type="UNDETERMINED">;
 * each with the problem codes in `message` and one line per problem, with its fix, as text,
 * and a <system-out> with the level, the MX hosts and addresses, a DANE and an MTA-STS line
 * (as the text report's), and a line per sender policy.
 * Pure. Server and input text is sanitize()d, then XML-escaped; characters XML 1.0 forbids
 * (C0 controls but TAB, LF, CR; U+FFFE, U+FFFF; lone surrogates) are dropped.
 */
import type { AddressResult } from '../model/address.js';
import type { DomainResult } from '../model/domain.js';
import type { PolicyOutcome } from '../model/policy.js';
import { sanitize } from './sanitize.js';
import { allProblems } from '../judge/all-problems.js';
import { daneSummary, mtaStsSummary } from './mail-tls-summary.js';
import { renderAll, type RenderOptions, type TotalsFirstRenderer } from './report-renderer.js';

export interface JunitOptions {
  /** The suite's name. */
  name: string;
  /** When the run started (written as UTC, ISO 8601 without zone, as the JUnit schema wants). */
  timestamp: Date;
  durationMs: number;
}

const ILLEGAL_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const MESSAGE_MAX = 1000;

/** Character data: & < > escaped, CR as a reference (a parser would turn CRLF into LF). */
export function xmlText(text: string): string {
  return text.replace(ILLEGAL_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** An attribute value (for "…"): also quotes, and TAB/LF/CR as references so they survive normalisation. */
export function xmlAttr(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

type Verdict = { kind: 'pass' } | { kind: 'failure' | 'error'; type: 'BELOW_REQUIRED' | 'INVALID_INPUT' | 'UNDETERMINED'; message: string };

function distinctCodes(result: DomainResult): string {
  return [...new Set(allProblems(result).map((p) => p.code))].join('; ');
}

function verdict(result: DomainResult): Verdict {
  const codes = distinctCodes(result);
  const withCodes = (text: string) => (codes === '' ? text : `${text}: ${codes}`);
  if (result.outcome === 'invalid-input') {
    const reason = result.problems.find((p) => p.code === 'INVALID_INPUT')?.message;
    const line = result.source !== undefined ? `line ${result.source.line}: ` : '';
    return { kind: 'failure', type: 'INVALID_INPUT', message: `invalid input: ${reason !== undefined ? sanitize(reason) : `${line}not a domain`}` };
  }
  if (result.pass === true) return { kind: 'pass' };
  if (result.pass === null) {
    return { kind: 'error', type: 'UNDETERMINED', message: withCodes(`level undetermined (${result.outcome}), required ${result.required}`) };
  }
  const level = result.level !== null ? `level ${result.level}` : `no mail accepted (${result.outcome})`;
  return { kind: 'failure', type: 'BELOW_REQUIRED', message: withCodes(`${level} below required ${result.required}`) };
}

function problemLines(result: DomainResult): string {
  return allProblems(result)
    .map((p) => {
      const where = p.host !== undefined ? ` ${p.host}${p.ip !== undefined ? ` [${p.ip}]` : ''}` : '';
      return `${p.severity.toUpperCase()} ${p.code}${sanitize(where)}: ${sanitize(p.message)}\n  fix: ${sanitize(p.hint)}`;
    })
    .join('\n');
}

function addressLine(address: AddressResult): string {
  const parts = [address.level ?? 'unreachable'];
  if (address.failure !== null) parts.push(`stopped at ${address.failure.stage}: ${address.failure.message}`);
  else if (address.tlsMode === 'implicit') parts.push('implicit TLS');
  else if (!address.starttls) parts.push('no STARTTLS');
  if (address.tls !== null) parts.push(`${address.tls.protocol} ${address.tls.cipher}`);
  const cert = address.certificate;
  const leaf = cert?.chain[0];
  if (cert != null && leaf !== undefined) parts.push(`certificate ${leaf.subject}, ${cert.daysLeft} days left`);
  return `  ${address.ip}: ${parts.join(', ')}`;
}

/** "policy (c) TLS required: delivered partly, encrypted yes, authenticated no; required, not satisfied" */
function policyLine(p: PolicyOutcome, required: boolean): string {
  const verdict = p.satisfied === true ? 'satisfied' : p.satisfied === false ? 'not satisfied' : 'undetermined';
  return `policy (${p.policy}) ${p.name}: delivered ${p.delivered}, encrypted ${p.encrypted}, authenticated ${p.authenticated}; ${required ? `required, ${verdict}` : verdict}`;
}

function systemOut(result: DomainResult): string {
  const lines =
    result.outcome === 'invalid-input'
      ? [`${result.input}: not a domain, nothing probed`]
      : [
          `${result.input === result.domain ? result.domain : `${result.domain} (input ${result.input})`}: level ${result.level ?? 'undetermined'}, required ${result.required}, outcome ${result.outcome}`,
        ];
  if (result.source !== undefined) {
    const columns = Object.entries(result.source.columns).map(([name, value]) => `${name}=${value}`);
    lines.push(`input line ${result.source.line}${columns.length > 0 ? `: ${columns.join('; ')}` : ''}`);
  }
  for (const host of [...result.mx].sort((a, b) => a.preference - b.preference)) {
    lines.push(`MX ${host.preference} ${host.host}${host.implicit ? ' (implicit)' : ''}`);
    for (const address of host.addresses) lines.push(addressLine(address));
  }
  // How the domain enforces mail TLS, as the text report says it (render/mail-tls-summary.ts).
  const dane = daneSummary(result);
  if (dane !== null) lines.push(`DANE: ${dane.line}`, ...(dane.pkixNote !== null ? [`  ${dane.pkixNote}`] : []));
  const sts = mtaStsSummary(result);
  if (sts !== null) lines.push(`MTA-STS: ${sts}`);
  // A line per sender policy, as the table (judge/sender-policies.ts) gave them to the result.
  if (result.outcome !== 'invalid-input') for (const p of result.policies) lines.push(policyLine(p, result.requiredPolicies.includes(p.id)));
  return lines.map((line) => sanitize(line, 2000)).join('\n');
}

function caseTime(result: DomainResult): number {
  const dns = result.dns.reduce((sum, q) => sum + q.ms, 0);
  const probe = result.mx.flatMap((h) => h.addresses).reduce((max, a) => Math.max(max, a.timings.total), 0);
  return dns + probe;
}

function cut(text: string): string {
  return text.length > MESSAGE_MAX ? `${text.slice(0, MESSAGE_MAX)}…` : text;
}

/** One <testcase> element, with its failure or error and its <system-out>. */
function testCase(result: DomainResult): string {
  const v = verdict(result);
  const name = sanitize(result.outcome === 'invalid-input' ? result.input : result.domain);
  const head = `    <testcase classname="mxprobe" name="${xmlAttr(name)}" time="${seconds(caseTime(result))}">`;
  const body: string[] = [];
  if (v.kind !== 'pass') {
    body.push(`      <${v.kind} message="${xmlAttr(cut(v.message))}" type="${v.type}">${xmlText(problemLines(result))}</${v.kind}>`);
  }
  body.push(`      <system-out>${xmlText(systemOut(result))}</system-out>`);
  return `${head}\n${body.join('\n')}\n    </testcase>\n`;
}

/**
 * JUnit as a renderer. Its opening elements carry the counts (tests, failures, errors), which
 * only the last row settles, so its header takes the totals (`totalsFirst`): the writer keeps
 * the rendered test cases and writes the report when the run ends. The counts follow each
 * row's `pass` as its test case does: false a failure, null an error.
 *
 * @example junitRenderer({ name: 'mxprobe' }).header({ rows: 1, fail: 0, undetermined: 0, startedAt: new Date(), durationMs: 5 })
 */
export function junitRenderer(options: Pick<RenderOptions, 'name'>): TotalsFirstRenderer {
  const suite = xmlAttr(sanitize(options.name ?? 'mxprobe'));
  return {
    totalsFirst: true,
    header(totals) {
      const counts = `tests="${totals.rows}" failures="${totals.fail}" errors="${totals.undetermined}" skipped="0" time="${seconds(totals.durationMs)}"`;
      const timestamp = totals.startedAt.toISOString().slice(0, 19);
      return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${suite}" ${counts}>`, `  <testsuite name="${suite}" ${counts} timestamp="${timestamp}">`, ''].join('\n');
    },
    row: (result) => testCase(result),
    footer: () => '  </testsuite>\n</testsuites>\n',
  };
}

/**
 * The whole report at once. A test case's time is approximate: its DNS look-ups plus its
 * slowest address (probes are shared between domains and run in parallel).
 *
 * @example junitReport(results, { name: 'mxprobe', timestamp: new Date(), durationMs: 1234 })
 */
export function junitReport(results: Iterable<DomainResult>, options: JunitOptions): string {
  return renderAll(junitRenderer({ name: options.name }), [...results], { startedAt: options.timestamp, durationMs: options.durationMs });
}
