/**
 * The shape of every report format of the probe (render/formats.ts lists them): a pure
 * `header / row / footer`, each returning text and doing nothing else, so that one writer
 * (cli/report-writer.ts) streams every format the same way: the header before the first row,
 * a row as each domain is judged, the footer at the end. A format whose header states the
 * totals (JUnit's counts in its opening elements) says so, and the writer then keeps its
 * rendered rows until the end.
 */
import type { DomainResult } from '../model/domain.js';
import type { BatchSummary } from '../judge/batch-summary.js';

/**
 * How rows are laid out: `report` for a few domains a person reads (the full text report of
 * each, indented JSON), `rows` for a long list (a verdict line per domain, JSON a domain a line).
 *
 * @example const layout: ReportLayout = settings.source.kind === 'input' ? 'rows' : 'report';
 */
export type ReportLayout = 'report' | 'rows';

/** @example const options: RenderOptions = { layout: 'report', colorLevel: 0, transcript: false, extraColumns: [] }; */
export interface RenderOptions {
  layout: ReportLayout;
  /** 0 no colour; 1 basic 16 colours or more (text only). */
  colorLevel: 0 | 1 | 2 | 3;
  /** Keep each address's SMTP transcript (text: print it with the report; JSON, NDJSON: keep the field). */
  transcript: boolean;
  /** Text: the width of the terminal the report is for (default: render/text.ts TEXT_COLUMNS_NOT_A_TERMINAL). */
  columns?: number;
  /** CSV: the input's carried columns (InputHeader.extraColumns), in order; none for domains given as arguments. */
  extraColumns: readonly string[];
  /** JUnit: the suite's name (default "mxprobe"). */
  name?: string;
}

/**
 * What is known at the end of a report: its rows (this run's), how many failed or were
 * undetermined (by each result's `pass`), when the run started and how long it took.
 *
 * @example const totals: ReportTotals = { rows: 3, fail: 1, undetermined: 1, startedAt: new Date(), durationMs: 1234 };
 */
export interface ReportTotals {
  rows: number;
  /** Rows whose `pass` is false (below a required policy, no mail accepted, not a domain). */
  fail: number;
  /** Rows whose `pass` is null. */
  undetermined: number;
  startedAt: Date;
  durationMs: number;
  /** The run's summary (counts, problems, renewal calendar), when the format shows it (HTML); filled by cli/run.ts. */
  summary?: BatchSummary;
  /** Set when a signal stopped the run before its rows were done: how many rows were left unfinished (not in the report). */
  stopped?: { unfinished: number };
}

/**
 * One format's renderer. Pure: every call returns text from its arguments (and the options
 * the renderer was made with) and keeps no state between calls.
 *
 * @example
 * const r: ReportRenderer = await loadRenderer('ndjson', { layout: 'rows', colorLevel: 0, transcript: false, extraColumns: [] });
 * const text = renderAll(r, results, { startedAt: new Date(), durationMs: 0 });
 */
export type ReportRenderer = StreamedRenderer | TotalsFirstRenderer;

/** A format written as it goes: its header needs nothing the rows will tell. @example const r: StreamedRenderer = csvRenderer({ extraColumns: [] }); */
export interface StreamedRenderer {
  readonly totalsFirst: false;
  /** Text before the first row ('' when none); not written when appending to an earlier output. */
  header(): string;
  /** One result; `index` counts the rows of this report from 0 (separators go before a row). */
  row(result: DomainResult, index: number): string;
  /** Text after the last row ('' when none). */
  footer(totals: ReportTotals): string;
}

/** A format whose header states the totals (JUnit): nothing can be written before the last row. @example const r: TotalsFirstRenderer = junitRenderer({ name: 'mxprobe' }); */
export interface TotalsFirstRenderer {
  readonly totalsFirst: true;
  header(totals: ReportTotals): string;
  row(result: DomainResult, index: number): string;
  footer(totals: ReportTotals): string;
}

/**
 * A whole report from a renderer, in one string: for a library user with every result at hand.
 *
 * @example renderAll(csvRenderer({ extraColumns: [] }), results, { startedAt: new Date(), durationMs: 0 })
 */
export function renderAll(renderer: ReportRenderer, results: readonly DomainResult[], time: Pick<ReportTotals, 'startedAt' | 'durationMs'>): string {
  const totals: ReportTotals = {
    rows: results.length,
    fail: results.filter((r) => r.pass === false).length,
    undetermined: results.filter((r) => r.pass === null).length,
    ...time,
  };
  const rows = results.map((result, index) => renderer.row(result, index)).join('');
  return `${renderer.totalsFirst ? renderer.header(totals) : renderer.header()}${rows}${renderer.footer(totals)}`;
}
