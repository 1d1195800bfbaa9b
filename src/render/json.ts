/**
 * The JSON report: `{ schemaVersion, domains }` where each domain is a DomainResult, as a
 * header / row / footer renderer. Layout `report` is the document indented as
 * JSON.stringify(report, null, 2) writes it; layout `rows` puts one domain on each line
 * (a batch, written as each row finishes). Pure. Characters JSON leaves raw but a terminal
 * would act on (C1 controls, bidi overrides, line separators) are written as \u escapes: the
 * same data, safe to `cat`.
 */
import { SCHEMA_VERSION } from '../model/report.js';
import type { DomainResult } from '../model/domain.js';
import { renderAll, type RenderOptions, type ReportTotals, type StreamedRenderer } from './report-renderer.js';
import { withoutTranscripts } from './without-transcripts.js';

/**
 * How renderJson writes. May be left out.
 *
 * @example const options: JsonOptions = { transcript: true };
 */
export interface JsonOptions {
  /** Keep each address's SMTP transcript. */
  transcript: boolean;
}

const RAW_BUT_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON text with the characters a terminal would act on written as \u escapes. @example escapeUnsafeJson('"\u202e"') // '"\\u202e"' */
export function escapeUnsafeJson(json: string): string {
  return json.replace(RAW_BUT_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One domain on one line (batch JSON and NDJSON rows). @example domainJson(result) // '{"domain":"example.com",…}' */
export function domainJson(domain: DomainResult): string {
  return escapeUnsafeJson(JSON.stringify(domain));
}

/** A domain indented as it sits in the `report` document: its lines four spaces in. */
function indentedDomain(domain: DomainResult): string {
  return `    ${escapeUnsafeJson(JSON.stringify(domain, null, 2)).split('\n').join('\n    ')}`;
}

/**
 * @example jsonRenderer({ layout: 'rows', transcript: false }).header() // '{"schemaVersion":2,"domains":[\n'
 */
export function jsonRenderer(options: Pick<RenderOptions, 'layout' | 'transcript'>): StreamedRenderer {
  const kept = (d: DomainResult) => (options.transcript ? d : withoutTranscripts(d));
  if (options.layout === 'rows') {
    return {
      totalsFirst: false,
      header: () => `{"schemaVersion":${SCHEMA_VERSION},"domains":[\n`,
      row: (domain, index) => `${index > 0 ? ',\n' : ''}${domainJson(kept(domain))}`,
      footer: () => '\n]}\n',
    };
  }
  return {
    totalsFirst: false,
    header: () => `{\n  "schemaVersion": ${SCHEMA_VERSION},\n  "domains": [`,
    row: (domain, index) => `${index > 0 ? ',' : ''}\n${indentedDomain(kept(domain))}`,
    footer: (totals: ReportTotals) => `${totals.rows > 0 ? '\n  ' : ''}]\n}\n`,
  };
}

/**
 * The JSON report of `domains` as one document (the `report` layout); without the SMTP
 * transcripts unless `transcript`.
 *
 * @example JSON.parse(renderJson([result])).schemaVersion // 2
 * @example renderJson([result], { transcript: true })
 */
export function renderJson(domains: readonly DomainResult[], options: Partial<JsonOptions> = {}): string {
  return renderAll(jsonRenderer({ layout: 'report', transcript: options.transcript === true }), domains, { startedAt: new Date(0), durationMs: 0 });
}
