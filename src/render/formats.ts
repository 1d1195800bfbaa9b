/**
 * The one list of the probe's report formats (`--format`): for each, whether an earlier
 * output of it can be continued (`--resume` appends to a file of one self-contained record a
 * line) and its renderer, loaded only when used (the text report's table library and colours
 * stay out of start-up: `--help` and `--version` read this list).
 */
import type { RenderOptions, ReportRenderer } from './report-renderer.js';

/**
 * The formats `--format` takes, in the order `--help` lists them.
 *
 * @example FORMATS.includes('csv') // true
 */
export const FORMATS = ['text', 'json', 'csv', 'ndjson', 'junit', 'html', 'openmetrics'] as const;

/** @example const format: Format = 'csv'; */
export type Format = (typeof FORMATS)[number];

interface FormatSpec {
  /** One self-contained record a line, so that `--resume` can append to an earlier output. */
  appendable: boolean;
  /** Its footer shows the run's summary (ReportTotals.summary), for a single domain too. */
  summary?: true;
  load(): Promise<(options: RenderOptions) => ReportRenderer>;
}

const SPECS: Record<Format, FormatSpec> = {
  text: { appendable: false, load: () => import('./text.js').then((m) => m.textRenderer) },
  json: { appendable: false, load: () => import('./json.js').then((m) => m.jsonRenderer) },
  csv: { appendable: true, load: () => import('./csv.js').then((m) => m.csvRenderer) },
  ndjson: { appendable: true, load: () => import('./ndjson.js').then((m) => m.ndjsonRenderer) },
  junit: { appendable: false, load: () => import('./junit.js').then((m) => m.junitRenderer) },
  html: { appendable: false, summary: true, load: () => import('./html-report.js').then((m) => m.htmlRenderer) },
  openmetrics: { appendable: false, load: () => import('./openmetrics.js').then((m) => m.openMetricsRenderer) },
};

/**
 * @example isFormat('xml') // false
 */
export function isFormat(text: string): text is Format {
  return (FORMATS as readonly string[]).includes(text);
}

/**
 * Can `--resume` continue an output of this format?
 *
 * @example isAppendable('csv') // true
 */
export function isAppendable(format: Format): boolean {
  return SPECS[format].appendable;
}

/**
 * Does the format's footer show the run's summary (so the run fills ReportTotals.summary)?
 *
 * @example formatShowsSummary('html') // true
 */
export function formatShowsSummary(format: Format): boolean {
  return SPECS[format].summary === true;
}

/**
 * The formats `--resume` can continue, in the list's order.
 *
 * @example APPENDABLE_FORMATS // ['csv', 'ndjson']
 */
export const APPENDABLE_FORMATS: readonly Format[] = FORMATS.filter((f) => SPECS[f].appendable);

/**
 * The renderer of a format, its module loaded on first use.
 *
 * @example const renderer = await loadRenderer('csv', { layout: 'rows', colorLevel: 0, transcript: false, extraColumns: ['partner'] });
 */
export async function loadRenderer(format: Format, options: RenderOptions): Promise<ReportRenderer> {
  const make = await SPECS[format].load();
  return make(options);
}
