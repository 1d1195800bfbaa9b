/**
 * `mxprobe headers` from bytes to judged messages, streaming: decode the input a chunk at a time,
 * split it into messages as they come, read each header, parse its Received fields oldest first,
 * judge the message and hand it on at once, then drop it. Memory is bounded by the caps
 * (HEADER_LIMITS) whatever the input's size; time is linear in it. Pure: the CLI reads the
 * files and renders; `now` is a parameter.
 */
import {
  HEADERS_SCHEMA_VERSION,
  type HeadersInput,
  type HeadersInputFacts,
  type HeadersReport,
  type MessageFacts,
  type MessageResult,
} from '../model/headers.js';
import { headersExitStatus, judgeInput, judgeMessage } from '../judge/judge-hops.js';
import { parseReceived } from './parse-received.js';
import { limitsOf, MessageSplitter, type HeaderLimits, type RawMessage } from './read-message.js';

export { headersExitStatus };

/**
 * One message's header as facts: its Received fields parsed, oldest first. `readError` is the
 * read error that ended the input, if one did (it cut the header the input stopped in).
 *
 * @example messageFacts(raw, 'message.eml').hops[0]?.encrypted // true | false | null
 */
export function messageFacts(raw: RawMessage, file: string | null = null, readError: string | null = null): MessageFacts {
  const header = raw.header;
  return {
    file,
    index: raw.index,
    envelopeFrom: raw.envelopeFrom,
    messageId: header.messageId,
    subject: header.subject,
    dateHeader: header.dateHeader,
    headerChars: header.chars,
    headerTruncated: header.truncated,
    inputCut: header.inputCut,
    inputError: header.inputCut ? readError : null,
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

export interface AnalyserOptions {
  /** The input's name as given ('-' standard input), copied into each message; null by default. */
  file?: string | null;
  /** The time for HOP_DATE_IN_FUTURE; without it, no time stamp is in the future. */
  now?: Date;
  limits?: Partial<HeaderLimits>;
  /** Called with each message as soon as its header has been read and judged. */
  onMessage: (message: MessageResult) => void;
}

/**
 * Analyses one input fed a chunk at a time. `push` returns false once the input cap is reached
 * (the caller stops reading: the rest is left unread and the input cannot pass); `end` judges
 * the input as a whole.
 *
 * @example
 * const analyser = new HeadersAnalyser({ file: 'mbox', now: new Date(), onMessage: (m) => print(m) });
 * for await (const chunk of stream) if (!analyser.push(chunk)) break;
 * const input = analyser.end(); // input.pass, input.problems
 */
export class HeadersAnalyser {
  private readonly limits: HeaderLimits;
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly splitter: MessageSplitter;
  private bytes = 0;
  private chars = 0;
  private inputCut = false;
  private listed = 0;
  private headerFound = false;
  private allPass = true;
  private firstHeaderOnly: boolean | null = null;
  private ended = false;
  /** The read error that ended the input ('EIO'), once `end` knows it. */
  private readError: string | null = null;

  constructor(private readonly options: AnalyserOptions) {
    this.limits = limitsOf(options.limits);
    const file = options.file ?? null;
    this.splitter = new MessageSplitter(this.limits, (raw) => {
      this.firstHeaderOnly ??= raw.header.headerOnly;
      if (raw.header.fieldCount > 0) this.headerFound = true;
      // Outside an mbox, text without a single header field is not a message; in an mbox every
      // From_ entry is one (with nothing to prove, it cannot pass).
      if (raw.header.fieldCount === 0 && raw.envelopeFrom === null) return;
      const result = judgeMessage(messageFacts(raw, file, this.readError), this.options.now);
      this.listed += 1;
      if (!result.verdict.pass) this.allPass = false;
      this.options.onMessage(result);
    });
  }

  /** Feeds the next bytes; false once the input cap was reached (stop reading). */
  push(chunk: Uint8Array): boolean {
    if (this.inputCut || this.ended) return false;
    const room = this.limits.inputBytes - this.bytes;
    let bytes = chunk;
    if (chunk.length > room) {
      bytes = chunk.subarray(0, room);
      this.inputCut = true;
    }
    this.bytes += bytes.length;
    const text = this.decoder.decode(bytes, { stream: true });
    this.chars += text.length;
    this.splitter.push(text);
    return !this.inputCut;
  }

  /** Ends the input; `error` is why reading stopped early ('EIO'), if it did. Returns the judged input. */
  end(error: string | null = null): HeadersInput {
    this.ended = true;
    this.readError = error;
    const tail = this.decoder.decode();
    this.chars += tail.length;
    this.splitter.push(tail);
    // A read error stops the input like the cap does: a header being read then is incomplete.
    const split = this.splitter.end({ inputCut: this.inputCut || error !== null });
    const kind = split.kind === 'mbox' ? 'mbox' : split.kind === 'empty' || this.listed === 0 ? 'empty' : this.firstHeaderOnly === true ? 'headers' : 'message';
    const facts: HeadersInputFacts = {
      file: this.options.file ?? null,
      kind,
      bytes: this.bytes,
      chars: this.chars,
      messagesFound: split.messagesFound,
      messagesRead: this.listed,
      headerFound: this.headerFound,
      inputCut: this.inputCut,
      messagesCut: split.messagesFound > this.limits.messages,
      messagesPass: this.allPass,
      error,
    };
    return judgeInput(facts);
  }
}

/**
 * The totals of several inputs (`HeadersReport.input` with several files): sums, kind 'several',
 * passing only when every input passes. One input is returned as it is.
 *
 * @example combineInputs([a, b]).pass === (a.pass && b.pass)
 */
export function combineInputs(inputs: readonly HeadersInput[]): HeadersInput {
  if (inputs.length === 1 && inputs[0] !== undefined) return inputs[0];
  const sum = (key: 'bytes' | 'chars' | 'messagesFound' | 'messagesRead') => inputs.reduce((n, i) => n + i[key], 0);
  return {
    file: null,
    kind: 'several',
    bytes: sum('bytes'),
    chars: sum('chars'),
    messagesFound: sum('messagesFound'),
    messagesRead: sum('messagesRead'),
    headerFound: inputs.some((i) => i.headerFound),
    complete: inputs.every((i) => i.complete),
    pass: inputs.length > 0 && inputs.every((i) => i.pass),
    problems: [],
    error: null,
  };
}

/**
 * Reads, parses and judges every message of an input in memory: an .eml, a bare header block,
 * or an mbox (the streaming HeadersAnalyser underneath). A string is read as its UTF-8 bytes;
 * invalid bytes become U+FFFD. Never throws for hostile input; time is linear in the input, and
 * every cap of `limits` applies (the input cap too).
 *
 * @example
 * const report = analyseMessages(readFileSync('message.eml'), new Date());
 * report.messages[0]?.verdict.allNetworkHopsEncrypted // true | false | null
 */
export function analyseMessages(input: string | Uint8Array, now?: Date, limits?: Partial<HeaderLimits>, file: string | null = null): HeadersReport {
  const messages: MessageResult[] = [];
  const analyser = new HeadersAnalyser({ file, ...(now === undefined ? {} : { now }), ...(limits === undefined ? {} : { limits }), onMessage: (m) => messages.push(m) });
  analyser.push(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  const summary = analyser.end();
  return { schemaVersion: HEADERS_SCHEMA_VERSION, messages, inputs: [summary], input: summary };
}
