/**
 * The JSON report of `mxprobe headers`, written a piece at a time: one document whose `messages`
 * array is written a message at a time, then `inputs` and `input` (known only at the end). The
 * same text as JSON.stringify of the whole HeadersReport (keys in that order), indented by two.
 * Pure. As in json.ts, characters JSON leaves raw but a terminal would act on (C1 controls, bidi
 * overrides, line separators) are written as \u escapes (its escapeUnsafeJson): the same data,
 * safe to `cat`.
 */
import { HEADERS_SCHEMA_VERSION, type HeadersInput, type HeadersReport, type MessageResult } from '../model/headers.js';
import { escapeUnsafeJson } from './json.js';

/** JSON.stringify indented by two, its lines shifted right by `indent` spaces (JSON strings hold no raw line break). */
function json(value: unknown, indent: number): string {
  const text = escapeUnsafeJson(JSON.stringify(value, null, 2));
  return indent === 0 ? text : text.replaceAll('\n', `\n${' '.repeat(indent)}`);
}

/**
 * The JSON document a piece at a time: `start()`, `message(m)` for each message, `end(inputs, input)`.
 *
 * @example
 * const doc = new HeadersJsonStream();
 * write(doc.start()); for (const m of messages) write(doc.message(m)); write(doc.end(inputs, combineInputs(inputs)));
 */
export class HeadersJsonStream {
  private count = 0;

  start(): string {
    return `{\n  "schemaVersion": ${HEADERS_SCHEMA_VERSION},\n  "messages": [`;
  }

  message(m: MessageResult): string {
    const text = `${this.count === 0 ? '' : ','}\n    ${json(m, 4)}`;
    this.count += 1;
    return text;
  }

  end(inputs: readonly HeadersInput[], input: HeadersInput): string {
    return `${this.count === 0 ? '' : '\n  '}],\n  "inputs": ${json(inputs, 2)},\n  "input": ${json(input, 2)}\n}\n`;
  }
}

/** @example renderHeadersJson(analyseMessages(text)) // '{\n  "schemaVersion": 1, ...' */
export function renderHeadersJson(report: HeadersReport): string {
  const doc = new HeadersJsonStream();
  return `${doc.start()}${report.messages.map((m) => doc.message(m)).join('')}${doc.end(report.inputs, report.input)}`;
}
