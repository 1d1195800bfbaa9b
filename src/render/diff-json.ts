/**
 * `mxprobe diff` as JSON: one document, `"format": "mxprobe-diff"` and its own
 * `schemaVersion` (DIFF_SCHEMA_VERSION), what was compared (files, rows, key, --warn-days),
 * the counts, and every change in the order of the text (README "mxprobe diff"). The same
 * escaping as the probe's JSON (characters a terminal would act on as \u escapes). Pure.
 */
import { DIFF_SCHEMA_VERSION, type AuditDiff, type DiffKey } from '../judge/audit-diff.js';
import { escapeUnsafeJson } from './json.js';

/**
 * What the two audits were: the files read for each side.
 *
 * @example const about: DiffAbout = { old: ['jan.ndjson'], new: ['feb.ndjson'], key: 'domain', warnDays: 30 };
 */
export interface DiffAbout {
  old: string[];
  new: string[];
  key: DiffKey;
  warnDays: number;
}

/**
 * @example JSON.parse(renderDiffJson(diff, about)).changes[0].kind // 'pass'
 */
export function renderDiffJson(diff: AuditDiff, about: DiffAbout): string {
  const doc = {
    format: 'mxprobe-diff',
    schemaVersion: DIFF_SCHEMA_VERSION,
    old: { files: about.old, rows: diff.rows.old },
    new: { files: about.new, rows: diff.rows.new },
    key: about.key === 'domain' ? 'domain' : { column: about.key.column },
    warnDays: about.warnDays,
    counts: diff.counts,
    changes: diff.changes,
  };
  return `${escapeUnsafeJson(JSON.stringify(doc, null, 2))}\n`;
}
