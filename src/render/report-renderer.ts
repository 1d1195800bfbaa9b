/**
 * The shape of every report format of the probe (render/formats.ts lists them): a pure
 * `header / row / footer`, each returning text and doing nothing else, so that one writer
 * (cli/report-writer.ts) streams every format the same way: the header before the first row,
 * a row as each domain is judged, the footer at the end. A format whose header states the
 * totals (JUnit's counts in its opening elements) says so, and the writer then keeps its
 * rendered rows until the end; so does a format in sections (OpenMetrics: each metric family
 * whole), whose rows each give a part to several sections (SectionedRenderer, KeptSections).
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
export type ReportRenderer = StreamedRenderer | TotalsFirstRenderer | SectionedRenderer;

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
 * One row of a sectioned format: its text in each section, and the key that names its record.
 *
 * @example const parts: RowParts = { key: 'example.com', parts: ['mxprobe_domain_pass{domain="example.com"} 1\n', ''] };
 */
export interface RowParts {
  /** Rows with the same key are one record of the format (OpenMetrics: one domain's series): only the first is kept. */
  key: string;
  /** Its text in each section, in the sections' order ('' where it has none): as many as the renderer's `sections`. */
  parts: readonly string[];
}

/**
 * A format whose body is in sections that must each be written whole, each row having a part
 * in several of them (OpenMetrics: a metric family's samples together, the families one after
 * another): nothing can be written before the last row. Its rows' parts are kept by section
 * until the end (KeptSections), and of rows with the same key only the first.
 *
 * @example
 * const r: ReportRenderer = await loadRenderer('openmetrics', { layout: 'rows', colorLevel: 0, transcript: false, extraColumns: [] });
 * const families = 'sections' in r ? r.sections : 0; // a section per metric family of a row
 */
export interface SectionedRenderer {
  readonly totalsFirst: true;
  /** How many sections a row's parts go to. */
  readonly sections: number;
  /** Text before the first section (it may state the totals). */
  header(totals: ReportTotals): string;
  /** The opening of section `section` (0 ≤ section < sections), written even when no row has a part in it. */
  section(section: number): string;
  row(result: DomainResult, index: number): RowParts;
  footer(totals: ReportTotals): string;
}

/**
 * The rows of a sectioned format kept until the end: each row's parts by section, the first row
 * of each key only. Memory: the rendered parts (far less than the results) and the keys.
 *
 * @example
 * const kept = new KeptSections(renderer);
 * for (const [i, result] of results.entries()) kept.add(result, i);
 * for (const text of kept.texts(totals)) sink.write(text);
 */
export class KeptSections {
  private readonly keys = new Set<string>();
  private readonly bySection: string[][];

  constructor(private readonly renderer: SectionedRenderer) {
    this.bySection = Array.from({ length: renderer.sections }, () => []);
  }

  /** Renders and keeps one row; false (nothing kept) when a row of its key came before. */
  add(result: DomainResult, index: number): boolean {
    const { key, parts } = this.renderer.row(result, index);
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    parts.forEach((part, section) => {
      if (part !== '') this.bySection[section]?.push(part);
    });
    return true;
  }

  /**
   * The whole report in pieces (the header, each section's opening and its parts, `batch` rows
   * a piece, the footer), emptying what was kept: a few large writes, never one string of it all.
   */
  *texts(totals: ReportTotals, batch = 1000): Generator<string> {
    yield this.renderer.header(totals);
    for (let section = 0; section < this.renderer.sections; section++) {
      yield this.renderer.section(section);
      const parts = this.bySection[section] ?? [];
      this.bySection[section] = [];
      for (let i = 0; i < parts.length; i += batch) yield parts.slice(i, i + batch).join('');
    }
    this.keys.clear();
    yield this.renderer.footer(totals);
  }
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
  if ('sections' in renderer) {
    const kept = new KeptSections(renderer);
    results.forEach((result, index) => kept.add(result, index));
    return [...kept.texts(totals)].join('');
  }
  const rows = results.map((result, index) => renderer.row(result, index)).join('');
  return `${renderer.totalsFirst ? renderer.header(totals) : renderer.header()}${rows}${renderer.footer(totals)}`;
}
