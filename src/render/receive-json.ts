/**
 * `mxprobe receive` as JSON (one document at the end: `{schemaVersion, sessions, senders}`) and
 * as NDJSON (one `session` record per line as each session ends, then one `sender` record per
 * sender at the end; each line carries `schemaVersion`). The JSON report's escaping (C1
 * controls, bidi overrides and line separators as \u escapes). Pure.
 */
import { RECEIVE_SCHEMA_VERSION, type ReceiveReport, type SenderRecord, type SessionRecord } from '../model/receive.js';
import { escapeUnsafeJson } from './json.js';

/**
 * One NDJSON line: a session or a sender record, `record` and `schemaVersion` first.
 *
 * @example receiveNdjsonLine(session) // '{"record":"session","schemaVersion":1,"id":1,"ip":"192.0.2.7",…}\n'
 */
export function receiveNdjsonLine(item: SessionRecord | SenderRecord): string {
  const { record, ...rest } = item;
  return `${escapeUnsafeJson(JSON.stringify({ record, schemaVersion: RECEIVE_SCHEMA_VERSION, ...rest }))}\n`;
}

/**
 * The whole report as one JSON document, indented by two.
 *
 * @example receiveJson({ schemaVersion: 1, sessions: [], senders: [] }) // '{\n  "schemaVersion": 1,\n  "sessions": [],\n  "senders": []\n}\n'
 */
export function receiveJson(report: ReceiveReport): string {
  return `${escapeUnsafeJson(JSON.stringify(report, null, 2))}\n`;
}
