/**
 * The JSON report: `{ schemaVersion, domains }` where each domain is a DomainResult.
 * Pure. Characters JSON leaves raw but a terminal would act on (C1 controls, bidi
 * overrides, line separators) are written as \u escapes: the same data, safe to `cat`.
 */
import { SCHEMA_VERSION, type Report } from '../model/report.js';
import type { DomainResult } from '../model/domain.js';
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

/** JSON text with the characters a terminal would act on written as \u escapes. */
export function escapeUnsafeJson(json: string): string {
  return json.replace(RAW_BUT_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One domain on one line (batch JSON and NDJSON rows). */
export function domainJson(domain: DomainResult): string {
  return escapeUnsafeJson(JSON.stringify(domain));
}

/**
 * The JSON report of `domains`; without the SMTP transcripts unless `transcript`.
 *
 * @example JSON.parse(renderJson([result])).schemaVersion // 2
 * @example renderJson([result], { transcript: true })
 */
export function renderJson(domains: readonly DomainResult[], options: Partial<JsonOptions> = {}): string {
  const report: Report = {
    schemaVersion: SCHEMA_VERSION,
    domains: options.transcript === true ? [...domains] : domains.map(withoutTranscripts),
  };
  return `${escapeUnsafeJson(JSON.stringify(report, null, 2))}\n`;
}
