/**
 * Where a report goes: a file written with synchronous writes (each row reaches the kernel
 * before the next starts, so a killed run loses nothing finished), or standard output.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

export interface Sink {
  write(text: string): void;
  close(): void;
}

/** The output file cannot be opened: a one-line reason, raised before anything is probed. */
export class OutputError extends Error {}

/** A file written with synchronous writes: each row reaches the kernel before the next starts. */
export function fileSink(path: string, append: boolean): Sink {
  let fd: number;
  try {
    fd = openSync(path, append ? 'a' : 'w');
  } catch (err) {
    throw new OutputError(`cannot write --output ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return {
    write(text) {
      writeSync(fd, text);
    },
    close() {
      fsyncSync(fd);
      closeSync(fd);
    },
  };
}

export function streamSink(stream: NodeJS.WritableStream): Sink {
  return {
    write(text) {
      stream.write(text);
    },
    close() {},
  };
}
