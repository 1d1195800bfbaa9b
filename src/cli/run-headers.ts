/**
 * `mxprobe headers [FILE…]`: reads each input in turn (a file, or standard input for '-') a
 * chunk at a time, analyses its messages as they come (headers/, judge/) and writes each one's
 * report as soon as it is judged (render/): text, or one JSON document written a message at a
 * time. Memory stays bounded by the caps whatever the input's size. Wires stdio and exit codes only.
 */
import { createReadStream } from 'node:fs';
import { errorLine } from './error-line.js';
import { combineInputs, HeadersAnalyser, headersExitStatus } from '../headers/analyse.js';
import { HeadersJsonStream } from '../render/headers-json.js';
import type { HeadersInput, MessageResult } from '../model/headers.js';
import { colorLevel } from './color-level.js';
import { EXIT } from './exit-codes.js';
import { UsageError } from './options.js';

/** Bytes read from an input at a time. */
const CHUNK_BYTES = 64 * 1024;

export interface HeadersSettings {
  /** Paths in the order given, '-' for standard input (at most once); none means standard input. */
  files: string[];
  format: 'text' | 'json';
  color: boolean;
}

/** What a run writes: one input after another, each message as it comes. */
interface ReportWriter {
  start(): void;
  /** An input could be opened and its first bytes are coming (or it is empty). */
  input(file: string): void;
  message(m: MessageResult): void;
  inputEnd(input: HeadersInput): void;
  end(inputs: HeadersInput[]): void;
}

/**
 * Standard output with backpressure. A failed write ends the run at once, quietly with 141 when
 * the reader went away (EPIPE: `mxprobe headers mbox | head`), else with one line and 74 (ENOSPC,
 * EIO). It ends the process from the write's callback, which Node calls before the stream's
 * 'error' event, so no other handler sees the error first.
 */
class StandardOutput {
  private waiting: Promise<void> | null = null;

  write(text: string): void {
    if (text === '') return;
    const ok = process.stdout.write(text, (err) => {
      if (err !== null && err !== undefined) this.fail(err as NodeJS.ErrnoException);
    });
    if (!ok && this.waiting === null) {
      this.waiting = new Promise((resolve) =>
        process.stdout.once('drain', () => {
          this.waiting = null;
          resolve();
        }),
      );
    }
  }

  /** Resolves once standard output takes more (at once when its buffer is not full). */
  ready(): Promise<void> {
    return this.waiting ?? Promise.resolve();
  }

  private fail(err: NodeJS.ErrnoException): never {
    if (err.code === 'EPIPE') process.exit(EXIT.BROKEN_PIPE);
    process.stderr.write(errorLine(`cannot write the report to standard output: ${err.code ?? err.message}`));
    process.exit(EXIT.OUTPUT_ERROR);
  }
}

async function textWriter(out: StandardOutput, settings: HeadersSettings): Promise<ReportWriter> {
  const { HeadersTextStream } = await import('../render/headers-text.js');
  const level = colorLevel(settings.color, process.env, process.stdout.isTTY === true, process.stdout.isTTY ? process.stdout.getColorDepth() : 1);
  const text = new HeadersTextStream({ colorLevel: level, headings: settings.files.length > 1 });
  return {
    start: () => {},
    input: (file) => out.write(text.input(file)),
    message: (m) => out.write(text.message(m)),
    inputEnd: (input) => out.write(text.inputEnd(input)),
    end: () => {},
  };
}

function jsonWriter(out: StandardOutput): ReportWriter {
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
async function readInput(file: string, now: Date, writer: ReportWriter, out: StandardOutput): Promise<HeadersInput> {
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
    }
  } catch (err) {
    error = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
  if (!opened && error === null) writer.input(file);
  const input = analyser.end(error);
  writer.inputEnd(input);
  if (error !== null) process.stderr.write(errorLine(`cannot read ${nameOf(file)}: ${error}`));
  else if (!input.headerFound) process.stderr.write(errorLine(`no message header found in ${nameOf(file)}`));
  return input;
}

/**
 * Runs `mxprobe headers`: every input in turn, then the exit status over all of them
 * (headersExitStatus: 2 an input unreadable or no input held a message, 1 something not proven, 0 all passed).
 *
 * @example process.exitCode = await runHeaders({ files: ['message.eml'], format: 'text', color: true })
 */
export async function runHeaders(settings: HeadersSettings): Promise<number> {
  const files = settings.files.length === 0 ? ['-'] : settings.files;
  if (files.filter((f) => f === '-').length > 1) throw new UsageError("standard input ('-') can be read only once");
  const out = new StandardOutput();
  const writer = settings.format === 'json' ? jsonWriter(out) : await textWriter(out, { ...settings, files });
  const now = new Date();
  writer.start();
  const inputs: HeadersInput[] = [];
  for (const file of files) inputs.push(await readInput(file, now, writer, out));
  writer.end(inputs);
  await out.ready();
  return headersExitStatus({ inputs });
}
