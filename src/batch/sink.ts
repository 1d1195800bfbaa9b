/**
 * Where a report goes: a file written with synchronous writes (each row reaches the kernel
 * before the next starts, so a killed run loses nothing finished), or standard output.
 * A sink never throws once open: the first write error is kept as its `failure` (and told
 * to `onFailure` listeners) and later writes are dropped, so that the caller can stop the
 * run and say so in one line instead of dying with a stack trace.
 */
import { closeSync, fstatSync, fsyncSync, openSync, statSync, writeSync } from 'node:fs';

/** Why the output could not be written. */
export interface SinkFailure {
  /** `broken-pipe`: the reader of standard output went away (`| head`); `write`: any other write error. */
  kind: 'broken-pipe' | 'write';
  /** errno code, e.g. ENOSPC, EIO, EPIPE. */
  code: string;
  /** One line for a person: `cannot write --output out.csv: ENOSPC (no space left on the device)`. */
  message: string;
}

export interface Sink {
  /** Writes text; never throws; after a failure, does nothing. */
  write(text: string): void;
  /** Flushes (fsync for a regular file) and closes; never throws; resolves once the last write is done or failed. */
  close(): Promise<void>;
  /** The first failure, or null. */
  readonly failure: SinkFailure | null;
  /** Called once, at the first failure (at once when it has already failed). */
  onFailure(listener: (failure: SinkFailure) => void): void;
}

/**
 * The output file cannot be opened: a one-line reason, raised before anything is probed.
 *
 * @example throw new OutputError('--output results is a directory: give a file name')
 */
export class OutputError extends Error {
  override name = 'OutputError';
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EIO: 'input/output error',
  EPIPE: 'its reader went away',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
};

/** "ENOSPC (no space left on the device)" */
function describe(err: unknown): { code: string; text: string } {
  const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
  const reason = REASONS[code];
  return { code, text: reason !== undefined ? `${code} (${reason})` : code };
}

/** fsync of a device or a pipe fails with these; there is nothing to flush there. */
const NOT_SYNCABLE = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EROFS']);

/** A sink's failure bookkeeping, shared by both kinds. */
class FailureState {
  failure: SinkFailure | null = null;
  private listeners: Array<(failure: SinkFailure) => void> = [];

  fail(failure: SinkFailure): void {
    if (this.failure !== null) return;
    this.failure = failure;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener(failure);
  }

  onFailure(listener: (failure: SinkFailure) => void): void {
    if (this.failure !== null) listener(this.failure);
    else this.listeners.push(listener);
  }
}

/**
 * Checks that `path` can be an output before anything is probed: not a directory (EISDIR
 * would only show at the first write, or never for a read). Missing is fine.
 *
 * @example checkOutputPath('audit.csv') // throws OutputError for a directory
 */
export function checkOutputPath(path: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    return; // missing, or unreadable: opening it says why
  }
  if (isDirectory) throw new OutputError(`--output ${path} is a directory: give a file name`);
}

/**
 * A file written with synchronous writes: each row reaches the kernel before the next
 * starts. Only a regular file is fsync'ed at the end (a device or a pipe has nothing to
 * flush, and fsync there fails with EINVAL).
 *
 * @example const sink = fileSink('audit.csv', false); sink.write('…'); await sink.close();
 */
export function fileSink(path: string, append: boolean): Sink {
  checkOutputPath(path);
  let fd: number;
  try {
    fd = openSync(path, append ? 'a' : 'w');
  } catch (err) {
    throw new OutputError(`cannot write --output ${path}: ${describe(err).text}`);
  }
  let regular = false;
  try {
    regular = fstatSync(fd).isFile();
  } catch {
    regular = false;
  }
  const state = new FailureState();
  const fail = (err: unknown, doing: string) => {
    const { code, text } = describe(err);
    state.fail({ kind: 'write', code, message: `cannot ${doing} --output ${path}: ${text}` });
  };
  let open = true;
  return {
    write(text) {
      if (state.failure !== null || !open) return;
      const bytes = Buffer.from(text, 'utf8');
      try {
        // A write to a pipe or a slow device may take part of the buffer: write the rest.
        for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      } catch (err) {
        fail(err, 'write');
      }
    },
    async close() {
      if (!open) return;
      open = false;
      if (regular && state.failure === null) {
        try {
          fsyncSync(fd);
        } catch (err) {
          if (!NOT_SYNCABLE.has((err as NodeJS.ErrnoException).code ?? '')) fail(err, 'flush');
        }
      }
      try {
        closeSync(fd);
      } catch (err) {
        if (state.failure === null) fail(err, 'close');
      }
    },
    get failure() {
      return state.failure;
    },
    onFailure: (listener) => state.onFailure(listener),
  };
}

/**
 * A stream such as standard output. Its errors arrive as events: EPIPE (the reader went
 * away) is a broken pipe, any other a write failure; after the first, nothing more is written.
 *
 * @example const sink = streamSink(process.stdout); sink.onFailure((f) => stop(f));
 */
export function streamSink(stream: NodeJS.WritableStream, name = 'standard output'): Sink {
  const state = new FailureState();
  let pending = 0;
  let drained: (() => void) | null = null;
  const settle = () => {
    if (pending === 0 && drained !== null) {
      const done = drained;
      drained = null;
      done();
    }
  };
  const onError = (err: NodeJS.ErrnoException) => {
    const { code, text } = describe(err);
    state.fail(
      code === 'EPIPE'
        ? { kind: 'broken-pipe', code, message: `${name} was closed by its reader` }
        : { kind: 'write', code, message: `cannot write to ${name}: ${text}` },
    );
    pending = 0;
    settle();
  };
  // Claims the stream's errors (the CLI's own handler leaves them to a sink that listens).
  stream.on('error', onError);
  return {
    write(text) {
      if (state.failure !== null) return;
      pending += 1;
      stream.write(text, (err?: Error | null) => {
        if (err !== null && err !== undefined) onError(err as NodeJS.ErrnoException);
        else pending = Math.max(0, pending - 1);
        settle();
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        const finish = () => {
          // After a failure the stream may still report the writes queued before it: keep swallowing those.
          if (state.failure === null) stream.off('error', onError);
          resolve();
        };
        if (pending === 0 || state.failure !== null) finish();
        else drained = finish;
      });
    },
    get failure() {
      return state.failure;
    },
    onFailure: (listener) => state.onFailure(listener),
  };
}
