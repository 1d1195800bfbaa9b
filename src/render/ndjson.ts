/**
 * NDJSON output: one DomainResult per line, `schemaVersion` its first field, written as each
 * domain finishes, so that a killed run keeps every finished line and `--resume` can append
 * (to a file of the same schema version only). No header, no footer. The same escaping as the
 * JSON report (C1 controls, bidi overrides and line separators as \u escapes), so no line can
 * hold a raw line break or act on a terminal. Pure.
 */
import type { DomainResult } from '../model/domain.js';
import { SCHEMA_VERSION, type NdjsonRow } from '../model/report.js';
import type { RenderOptions, StreamedRenderer } from './report-renderer.js';
import { escapeUnsafeJson } from './json.js';
import { withoutTranscripts } from './without-transcripts.js';

export interface NdjsonOptions {
  /** Keep each address's SMTP transcript (--transcript); default false. */
  transcript?: boolean;
}

/** @example ndjsonRow(result) // '{"schemaVersion":2,"domain":"partner.example",…}\n' */
export function ndjsonRow(result: DomainResult, options: NdjsonOptions = {}): string {
  const row: NdjsonRow = { schemaVersion: SCHEMA_VERSION, ...(options.transcript === true ? result : withoutTranscripts(result)) };
  return `${escapeUnsafeJson(JSON.stringify(row))}\n`;
}

/** @example ndjsonRenderer({ transcript: false }).row(result, 0) // '{"schemaVersion":2,…}\n' */
export function ndjsonRenderer(options: Pick<RenderOptions, 'transcript'>): StreamedRenderer {
  const rowOptions = { transcript: options.transcript };
  return { totalsFirst: false, header: () => '', row: (result) => ndjsonRow(result, rowOptions), footer: () => '' };
}
