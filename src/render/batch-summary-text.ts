/**
 * Batch mode on stderr: the end-of-run summary block (counts by level, pass/fail against the
 * requirements, the domains that satisfy each sender policy, the most frequent problems, the
 * renewal calendar, speed) and the one-line
 * progress report. Pure: colour, elapsed time and counts are parameters; host names and
 * domains pass through sanitize().
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { BatchSummary, SummaryCounts } from '../judge/batch-summary.js';
import type { Severity } from '../model/problem.js';
import type { RunStopReason } from '../model/run.js';
import { sanitize } from './sanitize.js';

export interface SummaryTextOptions {
  /** 0 no colour; 1 basic 16 colours or more. */
  colorLevel: 0 | 1 | 2 | 3;
  /** Wall time of the run. */
  elapsedMs: number;
  /** Address probes (SMTP sessions) made, retries included. */
  probesMade: number;
  /** Why the run stopped before every row was done (a signal, its standard output closed, the output failed); absent when it finished. */
  stopReason?: RunStopReason;
  /** Rows whose probes were still running when the run stopped: not written (a `--resume` redoes them). */
  unfinished?: number;
  /** Rows counted from the earlier output (`--resume`); the rest were done in this run. */
  earlier?: number;
  /** The renewal calendar leaves out the earlier rows (a CSV keeps no certificate fingerprints). */
  calendarWithoutEarlier?: boolean;
  /**
   * `mxprobe report`: the rows come from this many saved files, nothing was probed (no speed,
   * no probes); `judgedAt` when they were judged again as of that moment (--at, --days-ahead).
   */
  saved?: { files: number; judgedAt: Date | null };
}

export interface ProgressState {
  /** Rows done, those counted from an earlier output (`earlier`) included. */
  done: number;
  /** Rows counted from the earlier output (`--resume`): not in the rate. */
  earlier?: number;
  /** null when the input is a stream of unknown length. */
  total: number | null;
  elapsedMs: number;
  /** The counts by level (the policy counts are for the summary only). */
  counts: Readonly<Omit<SummaryCounts, 'satisfied'>>;
  inFlight: number;
}

const SYMBOL: Record<Severity, string> = { error: '✘', warning: '!', info: 'i' };
/** Host names longer than this are cut in the calendar (sanitize adds '…'). */
const HOST_WIDTH = 60;

/** "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  const m = Math.floor(s / 60);
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Domains per second with three significant-ish digits, or null when no time has passed. */
function rate(done: number, elapsedMs: number): number | null {
  return elapsedMs > 0 ? (done * 1000) / elapsedMs : null;
}

function formatRate(r: number | null): string {
  if (r === null) return '— domains/s';
  return `${r >= 100 ? Math.round(r) : r.toFixed(1)} domains/s`;
}

/**
 * "verify 950  encrypt 30  none 10  unknown 8", plus "no mail N" (domains that accept no
 * mail: NXDOMAIN, null MX, no mail host) and "invalid N" when there are any.
 */
function levelCounts(c: ChalkInstance, counts: { verify: number; encrypt: number; none: number; unknown: number }, noMail: number, invalid: number): string {
  const parts = [
    `${c.green('verify')} ${counts.verify}`,
    `${c.cyan('encrypt')} ${counts.encrypt}`,
    `${c.red('none')} ${counts.none}`,
  ];
  if (noMail > 0) parts.push(`${c.red('no mail')} ${noMail}`);
  parts.push(`${c.yellow('unknown')} ${counts.unknown}`);
  if (invalid > 0) parts.push(`${c.red('invalid')} ${invalid}`);
  return parts.join('  ');
}

const STOPPED: Record<NonNullable<SummaryTextOptions['stopReason']>, string> = {
  signal: 'interrupted',
  'broken-pipe': 'stopped: standard output was closed by its reader',
  'output-error': 'stopped: the output could not be written',
};

const isoDate = (iso: string) => (/^\d{4}-\d{2}-\d{2}/.exec(iso)?.[0] ?? sanitize(iso, 24));

/**
 * The end-of-run block for stderr.
 * @example process.stderr.write(renderSummary(acc.summary(), { colorLevel: 0, elapsedMs: 12_300, probesMade: 50 }))
 */
export function renderSummary(summary: BatchSummary, options: SummaryTextOptions): string {
  const c = new Chalk({ level: options.colorLevel });
  const lines: string[] = [];
  const earlier = options.earlier ?? 0;
  const unfinished = options.unfinished ?? 0;
  if (options.stopReason !== undefined) {
    const unfinishedText = unfinished > 0 ? `, ${unfinished} unfinished (not written: --resume redoes them)` : '';
    lines.push(c.yellow.bold(`${STOPPED[options.stopReason]}: partial results — ${summary.total} domains done${unfinishedText}; the rest were not probed`));
  }
  lines.push(c.bold('Summary'));
  const here = summary.total - earlier;
  const speed = formatRate(rate(here, options.elapsedMs));
  const done = earlier > 0 ? `${summary.total} (${earlier} from the earlier output, ${here} in this run)` : String(summary.total);
  if (options.saved !== undefined) {
    const { files, judgedAt } = options.saved;
    const when = judgedAt !== null ? `, judged as of ${judgedAt.toISOString().replace(/\.000Z$/, 'Z')}` : '';
    lines.push(`  domains   ${summary.total} from ${files} saved file${files === 1 ? '' : 's'}${when}`);
  } else lines.push(`  domains   ${done} in ${formatDuration(options.elapsedMs)} (${speed}), ${options.probesMade} probes`);
  lines.push(`  levels    ${levelCounts(c, summary.byLevel, summary.noMail, summary.invalid)}`);
  const why = [summary.noMail > 0 ? `${summary.noMail} accept no mail` : '', summary.invalid > 0 ? `${summary.invalid} invalid input` : ''].filter((x) => x !== '');
  lines.push(
    `  required  ${c.green('pass')} ${summary.pass}  ${c.red('fail')} ${summary.fail}${why.length > 0 ? ` (${why.join(', ')})` : ''}  ${c.yellow('undetermined')} ${summary.undetermined}`,
  );
  // A count per sender policy of the table, by its letter as the text report shows it: the
  // domains that satisfy it, whatever they were required to. Short, to fit 80 columns.
  lines.push(`  satisfied ${summary.satisfied.map((p) => `(${p.policy}) ${p.count}`).join('  ')}`);

  if (summary.topProblems.length > 0) {
    lines.push(c.bold('Most frequent problems') + c.dim(' (domains)'));
    const colour = { error: c.red, warning: c.yellow, info: c.blue };
    const width = Math.max(...summary.topProblems.map((p) => p.code.length));
    const countWidth = Math.max(...summary.topProblems.map((p) => String(p.count).length));
    for (const p of summary.topProblems) {
      lines.push(`  ${colour[p.severity](`${SYMBOL[p.severity]} ${p.code.padEnd(width)}`)}  ${String(p.count).padStart(countWidth)}`);
    }
  }

  if (summary.renewals.length > 0) {
    const scope = options.calendarWithoutEarlier === true && earlier > 0 ? '; rows of this run only: a CSV keeps no certificates' : '';
    lines.push(c.bold('Renewal calendar') + c.dim(` (soonest first${scope})`));
    const rows = summary.renewals.map((r) => ({
      r,
      days: String(r.daysLeft),
      date: isoDate(r.notAfter),
      host: sanitize(r.host, HOST_WIDTH),
      domains: String(r.domains),
      example: sanitize(r.domain, HOST_WIDTH),
    }));
    const head = { days: 'days left', date: 'expires', host: 'MX host', domains: 'domains', example: 'e.g.' };
    const w = {
      days: Math.max(head.days.length, ...rows.map((x) => x.days.length)),
      date: Math.max(head.date.length, ...rows.map((x) => x.date.length)),
      host: Math.max(head.host.length, ...rows.map((x) => x.host.length)),
      domains: Math.max(head.domains.length, ...rows.map((x) => x.domains.length)),
    };
    lines.push(
      c.dim(`  ${head.days.padStart(w.days)}  ${head.date.padEnd(w.date)}  ${head.host.padEnd(w.host)}  ${head.domains.padStart(w.domains)}  ${head.example}`),
    );
    for (const x of rows) {
      const days = x.days.padStart(w.days);
      const paint = x.r.daysLeft < 0 ? c.red : x.r.daysLeft < 30 ? c.yellow : (s: string) => s;
      lines.push(`  ${paint(days)}  ${x.date.padEnd(w.date)}  ${x.host.padEnd(w.host)}  ${x.domains.padStart(w.domains)}  ${x.example}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * One progress line (no colour, no newline): for ora's text on a terminal or a periodic log line.
 * @example renderProgressLine({ done: 500, total: 1000, elapsedMs: 10_000, counts, inFlight: 32 })
 *   // '500/1000 (50%) · 50.0 domains/s · ETA 10.0 s · verify 480  encrypt 10  none 5  unknown 5 · 32 in flight'
 */
export function renderProgressLine(p: ProgressState): string {
  const c = new Chalk({ level: 0 });
  const r = rate(p.done - (p.earlier ?? 0), p.elapsedMs);
  const parts: string[] = [];
  if (p.total === null) {
    parts.push(`${p.done} done`);
  } else {
    const pct = p.total > 0 ? Math.floor((Math.min(p.done, p.total) * 100) / p.total) : 100;
    parts.push(`${p.done}/${p.total} (${pct}%)`);
  }
  parts.push(formatRate(r));
  if (p.total !== null) {
    const left = Math.max(0, p.total - p.done);
    parts.push(left === 0 ? 'ETA 0 s' : r === null || r === 0 ? 'ETA —' : `ETA ${formatDuration((left / r) * 1000)}`);
  }
  parts.push(levelCounts(c, p.counts, p.counts.noMail, p.counts.invalid));
  parts.push(`${p.inFlight} in flight`);
  return parts.join(' · ');
}
