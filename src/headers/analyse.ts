/**
 * `mxprobe headers` from text to report: split the input into messages, read each header,
 * parse its Received fields oldest first, judge them. Pure: the CLI reads the file or stdin
 * (bounded) and renders the report; `now` is a parameter.
 */
import { HEADERS_SCHEMA_VERSION, type HeadersReport, type MessageFacts, type MessageResult } from '../model/headers.js';
import { judgeMessage } from '../judge/judge-hops.js';
import { parseReceived } from './parse-received.js';
import { readHeader, splitMessages, type HeaderLimits, type RawMessage } from './read-message.js';

/** Reads one message's header into facts; null when the text has no header field at all. */
export function messageFacts(raw: RawMessage, limits?: Partial<HeaderLimits>): MessageFacts | null {
  const header = readHeader(raw.text, limits);
  if (header.fieldCount === 0) return null;
  const count = header.received.length;
  return {
    index: raw.index,
    envelopeFrom: raw.envelopeFrom,
    messageId: header.messageId,
    subject: header.subject,
    dateHeader: header.dateHeader,
    headerChars: header.chars,
    headerTruncated: header.truncated,
    headerOnly: header.headerOnly,
    receivedCount: header.receivedCount,
    receivedTruncated: header.receivedTruncated,
    fieldCount: header.fieldCount,
    repairedLines: header.repairedLines,
    hops: header.received.map((field, k) => ({
      ...parseReceived(field.value),
      order: k + 1,
      fieldIndex: field.fieldIndex,
      raw: field.value,
      truncated: field.truncated,
    })),
  };
}

/**
 * Reads, parses and judges every message of an input: an .eml, a bare header block, or an
 * mbox. A Uint8Array is decoded as UTF-8 (invalid bytes become U+FFFD). Never throws for
 * hostile input; time and memory are linear in the input and capped per message.
 *
 * @example
 * const report = analyseMessages(readFileSync('message.eml', 'utf8'), new Date());
 * report.messages[0]?.verdict.allNetworkHopsEncrypted // true | false | null
 */
export function analyseMessages(input: string | Uint8Array, now?: Date, limits?: Partial<HeaderLimits>): HeadersReport {
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
  const split = splitMessages(text, limits);
  const messages: MessageResult[] = [];
  for (const raw of split.messages) {
    const facts = messageFacts(raw, limits);
    if (facts !== null) messages.push(judgeMessage(facts, now));
  }
  const kind =
    split.kind === 'mbox' ? 'mbox' : split.kind === 'empty' || messages.length === 0 ? 'empty' : messages[0]?.headerOnly === true ? 'headers' : 'message';
  return {
    schemaVersion: HEADERS_SCHEMA_VERSION,
    input: { kind, chars: text.length, messagesFound: split.messagesFound },
    messages,
  };
}

/**
 * The exit status the issue asks for: 2 when the input held no message header (unreadable),
 * 0 when every message's network hops all used TLS, else 1 (a plaintext hop, an unknown hop,
 * or no network hop). See judge/judge-hops.ts for the rule.
 */
export function headersExitStatus(report: HeadersReport): 0 | 1 | 2 {
  if (report.messages.length === 0) return 2;
  return report.messages.every((m) => m.verdict.pass) ? 0 : 1;
}
