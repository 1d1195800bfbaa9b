/**
 * The JSON report of `mxprobe headers`: HeadersReport as is. Pure. Like json.ts, characters
 * JSON leaves raw but a terminal would act on (C1 controls, bidi overrides, line separators)
 * are written as \u escapes: the same data, safe to `cat`.
 */
import type { HeadersReport } from '../model/headers.js';

const RAW_BUT_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** @example renderHeadersJson(analyseMessages(text)) // '{\n  "schemaVersion": 1, ...' */
export function renderHeadersJson(report: HeadersReport): string {
  return `${JSON.stringify(report, null, 2).replace(RAW_BUT_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
