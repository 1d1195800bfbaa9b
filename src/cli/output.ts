/**
 * The one way mxprobe writes a report and handles a failed output, for the probe (every row
 * source and format) and `mxprobe headers` alike: a sink that never throws once open (a file
 * written with synchronous writes, or a stream such as standard output, with backpressure),
 * the one wording of a failure, the exit code it gives (141 for a standard output closed by
 * its reader, quietly; 74 with one line for any other write error), and the guard for
 * standard output written outside a sink (help, version).
 */
import { closeSync, fstatSync, fsyncSync, openSync, statSync, writeSync } from 'node:fs';
import { errorLine } from './error-line.js';
import { EXIT } from './exit-codes.js';

/**
 * Why the output could not be written.
 *
 * @example const failure: SinkFailure = { kind: 'broken-pipe', code: 'EPIPE', message: 'standard output was closed by its reader' };
 */
export interface SinkFailure {
  /** `broken-pipe`: the reader of standard output went away (`| head`); `write`: any other write error. */
  kind: 'broken-pipe' | 'write';
  /** errno code, e.g. ENOSPC, EIO, EPIPE. */
  code: string;
  /** One line for a person: `cannot write --output out.csv: ENOSPC (no space left on the device)`. */
  message: string;
}

/**
 * Where a report goes. Never throws once open: the first write error is kept as its
 * `failure` (and told to `onFailure` listeners) and later writes are dropped, so that the
 * caller can stop the run and say so in one line instead of dying with a stack trace.
 *
 * @example const sink = streamSink(process.stdout); sink.write('…'); await sink.ready(); await sink.close();
 */
export interface Sink {
  /** Writes text; never throws; after a failure, does nothing. */
  write(text: string): void;
  /** Resolves once the sink takes more without buffering (at once for a file, or after a failure). */
  ready(): Promise<void>;
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

/**
 * The failure of a stream such as standard output, in the one wording every command uses:
 * EPIPE is a broken pipe (the reader went away), anything else a write failure.
 *
 * @example streamFailure(Object.assign(new Error('x'), { code: 'ENOSPC' })).message // 'cannot write to standard output: ENOSPC (no space left on the device)'
 */
export function streamFailure(err: unknown, name = 'standard output'): SinkFailure {
  const { code, text } = describe(err);
  return code === 'EPIPE'
    ? { kind: 'broken-pipe', code, message: `${name} was closed by its reader` }
    : { kind: 'write', code, message: `cannot write to ${name}: ${text}` };
}

/**
 * The exit code of a run whose output failed, after saying so: a closed standard output is
 * the reader's choice (`mxprobe … | head`), so no message and 141 (128 + SIGPIPE); any other
 * failure is its one line on standard error and 74.
 *
 * @example return sink.failure !== null ? exitForFailure(sink.failure, process.stderr) : verdict;
 */
export function exitForFailure(failure: SinkFailure, stderr: { write(text: string): unknown }): number {
  if (failure.kind === 'broken-pipe') return EXIT.BROKEN_PIPE;
  stderr.write(errorLine(failure.message));
  return EXIT.OUTPUT_ERROR;
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
 * starts, so a killed run loses nothing finished. Only a regular file is fsync'ed at the end
 * (a device or a pipe has nothing to flush, and fsync there fails with EINVAL).
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
    ready: () => Promise.resolve(),
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
 * The sink of a report: `--output`'s file (appended to when `append`), or standard output when
 * none was given. Throws an OutputError (its one line) when the file cannot be opened.
 *
 * @example const sink = reportSink(settings.output, false); // settings.output: 'audit.html' or null
 */
export function reportSink(output: string | null, append: boolean): Sink {
  return output !== null ? fileSink(output, append) : streamSink(process.stdout);
}

/**
 * A stream such as standard output. Its errors arrive as events or write callbacks (see
 * {@link streamFailure}); after the first, nothing more is written. `ready()` waits for
 * 'drain' when the stream's buffer is full, so a long report (mxprobe headers of a 64 MiB
 * mbox) is written at the reader's pace, and ends at once when the stream fails.
 *
 * @example const sink = streamSink(process.stdout); sink.onFailure((f) => stop(f));
 */
export function streamSink(stream: NodeJS.WritableStream, name = 'standard output'): Sink {
  const state = new FailureState();
  let pending = 0;
  let drained: (() => void) | null = null;
  let waiting: { promise: Promise<void>; resolve: () => void } | null = null;
  const settle = () => {
    if (pending === 0 && drained !== null) {
      const done = drained;
      drained = null;
      done();
    }
  };
  const wakeWriter = () => {
    const w = waiting;
    waiting = null;
    stream.off('drain', wakeWriter);
    w?.resolve();
  };
  const onError = (err: NodeJS.ErrnoException) => {
    state.fail(streamFailure(err, name));
    pending = 0;
    settle();
    wakeWriter();
  };
  // Claims the stream's errors (guardStandardOutput leaves them to a sink that listens).
  stream.on('error', onError);
  return {
    write(text) {
      if (state.failure !== null || text === '') return;
      pending += 1;
      const ok = stream.write(text, (err?: Error | null) => {
        if (err !== null && err !== undefined) onError(err as NodeJS.ErrnoException);
        else pending = Math.max(0, pending - 1);
        settle();
      });
      if (!ok && waiting === null && state.failure === null) {
        let resolve = () => undefined as void;
        const promise = new Promise<void>((r) => (resolve = r));
        waiting = { promise, resolve };
        stream.once('drain', wakeWriter);
      }
    },
    ready() {
      return waiting?.promise ?? Promise.resolve();
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

/**
 * Standard output written outside a sink (help, version, commander's own output): its
 * failure is handled as a sink's is, with the same wording and exit codes, and the process
 * ends at once. A sink that listens (streamSink) reports the failure itself, so that its run
 * can stop in order. Standard error closed by its reader (`2>&1 | head`, a log collector
 * gone) only means progress and messages can no longer be shown: the run and its report go
 * on (an unhandled stream error would kill it with a stack trace no one sees).
 *
 * @example guardStandardOutput(); // once, at start-up
 */
export function guardStandardOutput(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (process.stdout.listenerCount('error') > 1) return;
    process.exit(exitForFailure(streamFailure(err), process.stderr));
  });
  process.stderr.on('error', () => undefined);
}
