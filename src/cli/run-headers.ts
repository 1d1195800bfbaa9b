/**
 * `mxprobe headers [FILE…]`: reads each input in turn (a file, or standard input for '-') a
 * chunk at a time, analyses its messages as they come (headers/, judge/) and writes each one's
 * report as soon as it is judged (render/): text, or one JSON document written a message at a
 * time. Memory stays bounded by the caps whatever the input's size. Wires stdio and exit codes only;
 * standard output is written through the one sink of cli/output.ts, at the reader's pace, and
 * a failed write stops the run as it stops a probe (141 quietly for a closed pipe, else 74).
 */
import { createReadStream } from 'node:fs';
import { errorLine } from './error-line.js';
import { combineInputs, HeadersAnalyser, headersExitStatus } from '../headers/analyse.js';
import { HeadersJsonStream } from '../render/headers-json.js';
import type { HeadersInput, MessageResult } from '../model/headers.js';
import { streamColorLevel } from './color-level.js';
import { UsageError } from './raw-options.js';
import { exitForFailure, streamSink, type Sink } from './output.js';

/** Bytes read from an input at a time. */
const CHUNK_BYTES = 64 * 1024;

export interface HeadersSettings {
  /** Paths in the order given, '-' for standard input (at most once); none means standard input. */
  files: string[];
  format: 'text' | 'json';
  color: boolean;
}

/** What a run writes: one input after another, each message as it comes. */
interface HeadersWriter {
  start(): void;
  /** An input could be opened and its first bytes are coming (or it is empty). */
  input(file: string): void;
  message(m: MessageResult): void;
  inputEnd(input: HeadersInput): void;
  end(inputs: HeadersInput[]): void;
}

async function textWriter(out: Sink, settings: HeadersSettings): Promise<HeadersWriter> {
  const { HeadersTextStream } = await import('../render/headers-text.js');
  const level = streamColorLevel(settings.color, process.stdout);
  const text = new HeadersTextStream({ colorLevel: level, headings: settings.files.length > 1 });
  return {
    start: () => {},
    input: (file) => out.write(text.input(file)),
    message: (m) => out.write(text.message(m)),
    inputEnd: (input) => out.write(text.inputEnd(input)),
    end: () => {},
  };
}

function jsonWriter(out: Sink): HeadersWriter {
  const doc = new HeadersJsonStream();
  return {
    start: () => out.write(doc.start()),
    input: () => {},
    message: (m) => out.write(doc.message(m)),
    inputEnd: () => {},
    end: (inputs) => out.write(doc.end(inputs, combineInputs(inputs))),
  };
}

/** The chunks of one input: standard input, or a file (a directory or a missing file fails on the first read). */
function chunksOf(file: string): AsyncIterable<Uint8Array> {
  if (file !== '-') return createReadStream(file, { highWaterMark: CHUNK_BYTES });
  if (process.stdin.isTTY === true) process.stderr.write('mxprobe: reading a message from standard input (end with Ctrl-D)\n');
  return process.stdin;
}

const nameOf = (file: string) => (file === '-' ? 'standard input' : file);

/** Reads one input through the analyser; a read error ends it early, with its code. */
async function readInput(file: string, now: Date, writer: HeadersWriter, out: Sink): Promise<HeadersInput> {
  let opened = false;
  const analyser = new HeadersAnalyser({ file, now, onMessage: (m) => writer.message(m) });
  let error: string | null = null;
  try {
    for await (const chunk of chunksOf(file)) {
      if (!opened) {
        opened = true;
        writer.input(file);
      }
      const more = analyser.push(chunk);
      await out.ready();
      if (!more) break; // the input cap: the rest is left unread (and the input cannot pass)
      if (out.failure !== null) break; // nobody reads on: stop reading
    }
  } catch (err) {
    error = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
  if (!opened && error === null) writer.input(file);
  const input = analyser.end(error);
  writer.inputEnd(input);
  if (out.failure !== null) return input; // the run ends on the failed output alone (141 quietly, or 74 with its reason): an input cut short has nothing more to say
  if (error !== null) process.stderr.write(errorLine(`cannot read ${nameOf(file)}: ${error}`));
  else if (!input.headerFound) process.stderr.write(errorLine(`no message header found in ${nameOf(file)}`));
  return input;
}

/**
 * Runs `mxprobe headers`: every input in turn, then the exit status over all of them
 * (headersExitStatus: 2 an input unreadable or no input held a message, 1 something not proven,
 * 0 all passed); a failed standard output first (141 or 74, cli/output.ts).
 *
 * @example process.exitCode = await runHeaders({ files: ['message.eml'], format: 'text', color: false });
 */
export async function runHeaders(settings: HeadersSettings): Promise<number> {
  const files = settings.files.length === 0 ? ['-'] : settings.files;
  if (files.filter((f) => f === '-').length > 1) throw new UsageError("standard input ('-') can be read only once");
  const out = streamSink(process.stdout);
  const writer = settings.format === 'json' ? jsonWriter(out) : await textWriter(out, { ...settings, files });
  const now = new Date();
  writer.start();
  const inputs: HeadersInput[] = [];
  for (const file of files) {
    if (out.failure !== null) break;
    inputs.push(await readInput(file, now, writer, out));
  }
  writer.end(inputs);
  await out.close();
  if (out.failure !== null) return exitForFailure(out.failure, process.stderr);
  return headersExitStatus({ inputs });
}
