/**
 * A batch audit (`mxprobe --input FILE`): reads rows as a stream, probes up to
 * `concurrency` rows at a time through one SharedProber (each MX address probed once, at
 * most `perHost` connections per IP) and one cache of domain facts (a domain listed twice
 * is probed once), judges each row against its own required level, and writes its row as
 * soon as it is done: every input row gives exactly one output row.
 *
 * Stopping (RunStop): SIGINT/SIGTERM start nothing more (no probe, no retry, every wait
 * woken at once), give the probes in flight STOP_GRACE_MS, then abort them and stop
 * waiting; the rows they were for are not written (a `--resume` redoes them). A closed
 * standard output (EPIPE) or an output that fails stops the same way without the grace.
 * Either way the finished rows are in the output and the summary says what was left.
 */
import { createReadStream, statSync, truncateSync } from 'node:fs';
import type { DomainResult } from '../model/domain.js';
import type { Requirement } from '../model/policy.js';
import { DnsResolver } from '../dns/resolver.js';
import { probeDomain, type DomainProbeOptions } from '../probe/probe-domain.js';
import { SharedProber } from '../probe/shared-prober.js';
import type { ProbeOptions } from '../probe/probe-address.js';
import { judgeDomain } from '../judge/judge-domain.js';
import { invalidInputResult, withInputWarning } from '../judge/invalid-input.js';
import { SummaryAccumulator } from '../judge/batch-summary.js';
import { renderProgressLine, renderSummary } from '../render/batch-summary-text.js';
import { startSpinner, type Spinner } from '../render/spinner.js';
import { openInput, countRecords, InputError, type InputRow } from './read-input.js';
import { readDone, ResumeError } from './resume.js';
import { csvHeaderCells } from '../render/csv.js';
import { inShard, type Shard } from './shard.js';
import { APPENDABLE, BatchWriter, type BatchFormat } from './batch-output.js';
import { checkOutputPath, fileSink, OutputError, streamSink, type Sink, type SinkFailure } from './sink.js';
import { RunStop, type RunStopReason } from './run-stop.js';
import { DomainFactsCache } from './domain-facts-cache.js';
import { isSameFile } from './same-file.js';

/** What --input and its batch-only options ask for. */
export interface BatchOptions {
  /** Path, or '-' for standard input. */
  input: string;
  concurrency: number;
  perHost: number;
  retries: number;
  retryDelayMs: number;
  shard: Shard | null;
  resume: boolean;
}

export interface BatchSettings extends BatchOptions {
  /** Path, or null for standard output. */
  output: string | null;
  format: BatchFormat;
  quiet: boolean;
  required: Requirement;
  warnDays: number;
  transcript: boolean;
  colorLevel: 0 | 1 | 2 | 3;
  /** Colour level for stderr (progress and summary). */
  stderrColorLevel: 0 | 1 | 2 | 3;
  resolverServers: string[] | null;
  dnsTimeoutMs: number;
  families: { ipv4: boolean; ipv6: boolean };
  allowSpecialAddresses: boolean;
  port: number;
  probe: ProbeOptions;
}

/**
 * The batch cannot start (bad input, output or options): a one-line reason, nothing probed.
 *
 * @example throw new BatchError('--input partners.csv is not a file')
 */
export class BatchError extends Error {
  override name = 'BatchError';
}

/** How a batch ended: the CLI turns it into an exit code. */
export interface BatchOutcome {
  /** Why it stopped before the input was done (signal, closed standard output, output error); null when it finished. */
  stopped: RunStopReason | null;
  /** The output's failure, when writing it failed (stopped is then 'output-error' or 'broken-pipe'). */
  outputFailure: SinkFailure | null;
  /** Rows of the whole output (a resumed run: the earlier rows too) below their required level, or invalid. */
  fail: number;
  /** Rows of the whole output whose level could not be determined. */
  undetermined: number;
}

/**
 * Time the probes in flight get to finish after SIGINT/SIGTERM before they are aborted.
 *
 * @example setTimeout(() => stop.abortInFlight(), STOP_GRACE_MS)
 */
export const STOP_GRACE_MS = 3000;
/** Probe results and DNS answers remembered in one run. */
const CACHE_ENTRIES = 100_000;
/** Domains whose facts are remembered for later rows naming them again (least recently used forgotten). */
const DOMAIN_FACTS_ENTRIES = 10_000;
/** A plain progress line this often when stderr is not a terminal. */
const PLAIN_PROGRESS_MS = 5000;

/** 128 + SIGINT: the conventional status of a run stopped by a signal (a second signal exits with it at once). */
const EXIT_INTERRUPTED = 130;

const STOPPED = Symbol('stopped');

/** A promise that resolves to STOPPED when `signal` aborts; `cancel` removes its listener. */
function untilAborted(signal: AbortSignal): { promise: Promise<typeof STOPPED>; cancel: () => void } {
  let cancel = () => undefined as void;
  const promise = new Promise<typeof STOPPED>((resolve) => {
    if (signal.aborted) return resolve(STOPPED);
    const onAbort = () => resolve(STOPPED);
    signal.addEventListener('abort', onAbort, { once: true });
    cancel = () => signal.removeEventListener('abort', onAbort);
  });
  return { promise, cancel };
}

/** Checks what can be checked before anything is opened for writing: every failure is a BatchError. */
function checkPaths(settings: BatchSettings): void {
  if (settings.resume && (settings.output === null || !APPENDABLE.has(settings.format))) {
    throw new BatchError('--resume needs --output FILE and --format csv or ndjson (formats that can be appended to)');
  }
  if (settings.output === null) return;
  try {
    checkOutputPath(settings.output);
  } catch (err) {
    if (err instanceof OutputError) throw new BatchError(err.message);
    throw err;
  }
  if (isSameFile(settings.input, settings.output)) {
    throw new BatchError(
      `--output ${settings.output} is the --input file${settings.input === '-' ? ' (standard input)' : ''}: writing it would destroy the input; choose another output file`,
    );
  }
  if (settings.resume) {
    let regular = true;
    try {
      regular = statSync(settings.output).isFile();
    } catch {
      regular = true; // missing: a fresh start
    }
    if (!regular) throw new BatchError(`--resume needs --output to be a regular file; ${settings.output} is not one`);
  }
}

async function openSource(settings: BatchSettings) {
  let source: NodeJS.ReadableStream;
  if (settings.input === '-') source = process.stdin;
  else {
    try {
      if (!statSync(settings.input).isFile()) throw new BatchError(`--input ${settings.input} is not a file`);
    } catch (err: unknown) {
      if (err instanceof BatchError) throw err;
      throw new BatchError(`cannot read --input ${settings.input}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    source = createReadStream(settings.input);
  }
  try {
    return await openInput(source);
  } catch (err) {
    if (err instanceof InputError) throw new BatchError(`--input ${settings.input}: ${err.message}`);
    throw err;
  }
}

/**
 * Runs a whole batch; throws BatchError when it cannot start.
 *
 * @example const outcome = await runBatch({ input: 'partners.csv', output: 'audit.csv', format: 'csv', … });
 */
export async function runBatch(settings: BatchSettings): Promise<BatchOutcome> {
  const startedAt = new Date();
  const started = performance.now();
  checkPaths(settings);
  const { header, rows } = await openSource(settings);
  const summary = new SummaryAccumulator();

  // Output: a resumed run skips the input lines the earlier one wrote, counts its rows in the
  // summary, and appends after its last complete row.
  let done = new Set<number>();
  let earlierRows = 0;
  let append = false;
  const resumeFormat = settings.format === 'csv' ? 'csv' : 'ndjson';
  if (settings.resume && settings.output !== null) {
    const output = settings.output;
    let earlier;
    try {
      earlier = await readDone(output, resumeFormat, (row) => {
        summary.addRecorded(row.record);
        if (row.result !== null) summary.addCertificates(row.result);
      });
    } catch (err) {
      if (err instanceof ResumeError) throw new BatchError(`--resume: ${err.message}`);
      throw new BatchError(`--resume: cannot read ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    // Through the function that writes the header, so sanitised or cut names compare equal.
    const columns = csvHeaderCells(header.extraColumns);
    if (earlier.header !== null && earlier.header.join('\n') !== columns.join('\n')) {
      throw new BatchError(`--resume: ${output} has other columns than this input would write (${earlier.header.join(',')})`);
    }
    done = earlier.done;
    earlierRows = earlier.rows;
    if (earlier.validBytes > 0) {
      try {
        truncateSync(output, earlier.validBytes); // a killed run may have left half a row
      } catch (err) {
        throw new BatchError(`--resume: cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      append = true;
    }
  }
  const textLine =
    settings.format === 'text' ? await import('../render/text.js').then((m) => m.verdictLineFor(settings.colorLevel)) : undefined;
  let sink: Sink;
  try {
    sink = settings.output !== null ? fileSink(settings.output, append) : streamSink(process.stdout);
  } catch (err) {
    if (err instanceof OutputError) throw new BatchError(err.message);
    throw err;
  }
  const writer = new BatchWriter(sink, {
    format: settings.format,
    extraColumns: header.extraColumns,
    header: !append,
    ...(textLine !== undefined ? { textLine } : {}),
  });

  // Stopping: the first signal stops new work; a second one exits at once. A failed output stops too.
  const stop = new RunStop();
  // One wake-up for every wait of the loop: a row finished, or the run is stopping.
  let wakeLoop: (() => void) | null = null;
  const wake = () => {
    const resume = wakeLoop;
    wakeLoop = null;
    resume?.();
  };
  const nap = () => new Promise<void>((resolve) => (wakeLoop = resolve));
  stop.stopping.addEventListener('abort', wake, { once: true });
  const onSignal = () => {
    if (stop.requestedAt !== null) process.exit(EXIT_INTERRUPTED);
    stop.request('signal');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  sink.onFailure((failure) => {
    stop.request(failure.kind === 'broken-pipe' ? 'broken-pipe' : 'output-error');
    wake(); // a grace period in progress ends: nothing more can be written
  });

  const probe: ProbeOptions = { ...settings.probe, signal: stop.abort };
  const prober = new SharedProber({
    probe,
    perHost: settings.perHost,
    retries: settings.retries,
    retryDelayMs: settings.retryDelayMs,
    transcript: settings.transcript,
    cacheSize: CACHE_ENTRIES,
    stop: stop.stopping,
  });
  const resolver = new DnsResolver({
    ...(settings.resolverServers !== null ? { servers: settings.resolverServers } : {}),
    timeoutMs: settings.dnsTimeoutMs,
    cacheSize: CACHE_ENTRIES,
  });
  const domainOptions: DomainProbeOptions = {
    families: settings.families,
    allowSpecialAddresses: settings.allowSpecialAddresses,
    port: settings.port,
    parallel: 8,
    probe,
    signal: stop.abort,
    probeAddress: (target) => prober.probe(target),
  };
  const facts = new DomainFactsCache(DOMAIN_FACTS_ENTRIES);

  /** Set once the run stops waiting: rows finishing later are not written. */
  let closed = false;
  const finish = (result: DomainResult) => {
    if (closed || sink.failure !== null) return;
    if (progress !== null) progress.around(() => writer.write(result));
    else writer.write(result);
    if (sink.failure === null) summary.add(result); // only what the output holds
  };

  const total = settings.input !== '-' && settings.shard === null ? countRecords(settings.input).catch(() => null) : Promise.resolve(null);
  let totalKnown: number | null = null;
  void total.then((n: number | null) => (totalKnown = n));
  const inflight = new Set<Promise<void>>();
  let progress: ProgressHandle | null = null;
  progress = await startProgress(settings, () =>
    renderProgressLine({
      done: summary.total,
      earlier: earlierRows,
      total: totalKnown,
      elapsedMs: performance.now() - started,
      counts: summary.counts,
      inFlight: inflight.size,
    }),
  );

  let unfinished = 0;
  let fatal: unknown = null;
  const probeRow = async (row: InputRow & { domain: string }) => {
    const found = await facts.get(row.domain, () => probeDomain(row.input, row.domain, resolver, domainOptions));
    const judged = judgeDomain({ ...found, input: row.input }, { required: row.required ?? settings.required, warnDays: settings.warnDays }, new Date());
    finish(withInputWarning({ ...judged, source: { line: row.line, columns: row.columns } }, row.line, row.warning));
  };
  const start = (row: InputRow & { domain: string }) => {
    const task: Promise<void> = probeRow(row)
      .catch((err: unknown) => {
        if (stop.requestedAt !== null) unfinished += 1; // stopped before its probes were done
        else {
          fatal ??= err; // a bug: stop, then report it
          stop.request('signal');
        }
      })
      .finally(() => {
        inflight.delete(task);
        wake();
      });
    inflight.add(task);
  };

  const iterator = rows[Symbol.asyncIterator]();
  try {
    for (;;) {
      // Reading the input (standard input may be slow) is woken by a stop too.
      const next = iterator.next();
      next.catch(() => undefined);
      const stopped = untilAborted(stop.stopping);
      const item = await Promise.race([next, stopped.promise]);
      stopped.cancel();
      if (item === STOPPED || item.done === true) break;
      const row = item.value;
      if (settings.shard !== null && !inShard(row.domain ?? row.input, settings.shard)) continue;
      if (done.has(row.line)) continue;
      if (row.domain === null) {
        finish(invalidInputResult({ line: row.line, input: row.input, error: row.error ?? 'not a domain', columns: row.columns }, row.required ?? settings.required, new Date()));
        continue;
      }
      while (inflight.size >= settings.concurrency && !stop.stopping.aborted) await nap();
      if (stop.stopping.aborted) break;
      start(row as InputRow & { domain: string });
    }
    while (inflight.size > 0 && !stop.stopping.aborted) await nap();
    if (inflight.size > 0 && stop.reason === 'signal' && fatal === null) {
      // The probes in flight get the rest of the grace period, counted from the signal. The
      // timer itself says when it is over: a timer may fire a fraction of a millisecond
      // before performance.now() reaches its deadline, and a nap after it would never end.
      let graceOver = false;
      const timer = setTimeout(
        () => {
          graceOver = true;
          wake();
        },
        Math.max(0, (stop.requestedAt ?? performance.now()) + STOP_GRACE_MS - performance.now()),
      );
      while (inflight.size > 0 && !graceOver && stop.reason === 'signal') await nap();
      clearTimeout(timer);
    }
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    fatal ??= new BatchError(`--input ${settings.input}: ${err.message}`);
  } finally {
    // Whatever is still running is abandoned: its row is not written, and its probes are ended.
    closed = true;
    unfinished += inflight.size;
    stop.abortInFlight();
    void iterator.return?.(undefined)?.catch(() => undefined);
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (fatal !== null) {
    await writer.end({ startedAt, durationMs: performance.now() - started });
    throw fatal;
  }

  // Why the rows stopped coming (a write that fails only at the end stopped nothing early;
  // the sink's failure listener still records it in stop.reason for the exit code).
  const stoppedEarly = stop.reason;
  const text = (colorLevel: BatchSettings['colorLevel']) =>
    renderSummary(summary.summary(), {
      colorLevel,
      elapsedMs: performance.now() - started,
      probesMade: prober.connections,
      ...(stoppedEarly !== null ? { stopReason: stoppedEarly } : {}),
      unfinished,
      earlier: earlierRows,
      calendarWithoutEarlier: resumeFormat === 'csv',
    });
  // The text format's summary follows its rows on stdout; machine formats keep stdout clean (stderr).
  const textToStdout = settings.format === 'text' && settings.output === null;
  const trailer = !settings.quiet && textToStdout && sink.failure === null ? text(settings.colorLevel) : undefined;
  await writer.end({ startedAt, durationMs: performance.now() - started, ...(trailer !== undefined ? { trailer } : {}) });
  if (!settings.quiet && trailer === undefined) process.stderr.write(text(settings.stderrColorLevel));
  const { fail, undetermined } = summary.counts;
  return { stopped: stop.reason, outputFailure: sink.failure, fail, undetermined };
}

type ProgressHandle = Spinner;

/** ora on a terminal, a plain line every few seconds otherwise, nothing with --quiet. */
async function startProgress(settings: BatchSettings, line: () => string): Promise<ProgressHandle> {
  const plain = { around: (write: () => void) => write() };
  if (settings.quiet) return { ...plain, stop() {} };
  const spinner = await startSpinner(line);
  if (spinner !== null) return spinner;
  const timer = setInterval(() => process.stderr.write(`${line()}\n`), PLAIN_PROGRESS_MS);
  timer.unref();
  return { ...plain, stop: () => clearInterval(timer) };
}
