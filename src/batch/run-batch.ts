/**
 * A batch audit (`mxprobe --input FILE`): reads rows as a stream, probes up to
 * `concurrency` domains at a time through one SharedProber (each MX address probed once,
 * at most `perHost` connections per IP), judges each domain against its own required
 * level, and writes its row as soon as it is done. SIGINT/SIGTERM stop new probes, give
 * the ones in flight a few seconds, flush, summarise and exit 130: nothing finished is lost.
 */
import { createReadStream, statSync, truncateSync } from 'node:fs';
import type { DomainResult } from '../model/result.js';
import type { Level } from '../model/levels.js';
import { DnsResolver } from '../dns/resolver.js';
import { probeDomain, type DomainProbeOptions } from '../probe/probe-domain.js';
import { SharedProber } from '../probe/shared-prober.js';
import type { ProbeOptions } from '../probe/probe-address.js';
import { judgeDomain } from '../judge/judge-domain.js';
import { invalidInputResult } from '../judge/invalid-input.js';
import { SummaryAccumulator } from '../judge/batch-summary.js';
import { renderProgressLine, renderSummary } from '../render/batch-summary-text.js';
import { startSpinner, type Spinner } from '../render/spinner.js';
import { openInput, countRecords, InputError, type InputRow } from './read-input.js';
import { readDone, resumeKey, ResumeError } from './resume.js';
import { csvColumnNames } from '../render/csv.js';
import { inShard, type Shard } from './shard.js';
import { APPENDABLE, BatchWriter, type BatchFormat } from './batch-output.js';
import { fileSink, OutputError, streamSink } from './sink.js';

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
  required: Level;
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

export class BatchError extends Error {}

/** How a batch ended: the CLI turns it into an exit code. */
export interface BatchOutcome {
  /** Stopped by SIGINT/SIGTERM before the input was done. */
  interrupted: boolean;
  /** Rows below their required level, or invalid. */
  fail: number;
  /** Rows whose level could not be determined. */
  undetermined: number;
}

/** Time the probes in flight get to finish after SIGINT/SIGTERM before they are abandoned. */
const STOP_GRACE_MS = 3000;
/** Probe results and DNS answers remembered in one run. */
const CACHE_ENTRIES = 100_000;
/** A plain progress line this often when stderr is not a terminal. */
const PLAIN_PROGRESS_MS = 5000;

/** 128 + SIGINT: the conventional status of a run stopped by a signal. */
const EXIT_INTERRUPTED = 130;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export async function runBatch(settings: BatchSettings): Promise<BatchOutcome> {
  const startedAt = new Date();
  const started = performance.now();
  if (settings.resume && (settings.output === null || !APPENDABLE.has(settings.format))) {
    throw new BatchError('--resume needs --output FILE and --format csv or ndjson (formats that can be appended to)');
  }

  // Input.
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
  let opened;
  try {
    opened = await openInput(source);
  } catch (err) {
    if (err instanceof InputError) throw new BatchError(`--input ${settings.input}: ${err.message}`);
    throw err;
  }
  const { header, rows } = opened;

  // Output: a resumed run skips what the earlier one wrote and appends after its last complete row.
  let done = new Set<string>();
  let append = false;
  const resumeFormat = settings.format === 'csv' ? 'csv' : 'ndjson';
  if (settings.resume && settings.output !== null) {
    let earlier;
    try {
      earlier = await readDone(settings.output, resumeFormat);
    } catch (err) {
      if (err instanceof ResumeError) throw new BatchError(`--resume: ${err.message}`);
      throw err;
    }
    const columns = csvColumnNames(header.extraColumns);
    if (earlier.header !== null && earlier.header.join('\n') !== columns.join('\n')) {
      throw new BatchError(`--resume: ${settings.output} has other columns than this input would write (${earlier.header.join(',')})`);
    }
    done = earlier.done;
    if (earlier.validBytes > 0) {
      truncateSync(settings.output, earlier.validBytes); // a killed run may have left half a row
      append = true;
    }
  }
  const textLine =
    settings.format === 'text' ? await import('../render/text.js').then((m) => m.verdictLineFor(settings.colorLevel)) : undefined;
  let sink;
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

  const prober = new SharedProber({
    probe: settings.probe,
    perHost: settings.perHost,
    retries: settings.retries,
    retryDelayMs: settings.retryDelayMs,
    transcript: settings.transcript,
    cacheSize: CACHE_ENTRIES,
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
    probe: settings.probe,
    probeAddress: (target) => prober.probe(target),
  };

  // Stopping: the first signal stops new probes; a second one stops at once.
  let stopping: NodeJS.Signals | null = null;
  let writerClosed = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping !== null) process.exit(EXIT_INTERRUPTED);
    stopping = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const summary = new SummaryAccumulator();
  let progress: ProgressHandle | null = null;
  const finish = (result: DomainResult) => {
    if (writerClosed) return; // abandoned after a signal: its row is not written
    if (progress !== null) progress.around(() => writer.write(result));
    else writer.write(result);
    summary.add(result);
  };

  const total = settings.input !== '-' && settings.shard === null && !settings.resume ? countRecords(settings.input).catch(() => null) : Promise.resolve(null);
  let totalKnown: number | null = null;
  void total.then((n: number | null) => (totalKnown = n));
  const inflight = new Set<Promise<void>>();
  progress = await startProgress(settings, () =>
    renderProgressLine({ done: summary.total, total: totalKnown, elapsedMs: performance.now() - started, counts: summary.counts, inFlight: inflight.size }),
  );

  const seen = new Set<string>();
  const probeRow = async (row: InputRow & { domain: string }) => {
    const facts = await probeDomain(row.input, row.domain, resolver, domainOptions);
    const result = judgeDomain(facts, { required: row.required ?? settings.required, warnDays: settings.warnDays }, new Date());
    finish({ ...result, source: { line: row.line, columns: row.columns } });
  };

  try {
    for await (const row of rows) {
      if (stopping !== null) break;
      if (settings.shard !== null && !inShard(row.domain ?? row.input, settings.shard)) continue;
      if (done.has(resumeKey(row, resumeFormat))) continue;
      if (row.domain === null) {
        finish(invalidInputResult({ line: row.line, input: row.input, error: row.error ?? 'not a domain', columns: row.columns }, row.required ?? settings.required, new Date()));
        continue;
      }
      if (seen.has(row.domain)) continue; // a domain is probed once, however often it is listed
      seen.add(row.domain);
      while (inflight.size >= settings.concurrency && stopping === null) await Promise.race(inflight);
      if (stopping !== null) break;
      const task: Promise<void> = probeRow(row as InputRow & { domain: string }).finally(() => inflight.delete(task));
      inflight.add(task);
    }
    if (stopping === null) await Promise.all(inflight);
    else await Promise.race([Promise.allSettled(inflight), sleep(STOP_GRACE_MS)]);
  } finally {
    writerClosed = true;
    writer.end({ startedAt, durationMs: performance.now() - started });
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  if (!settings.quiet) {
    const text = renderSummary(summary.summary(), {
      colorLevel: settings.format === 'text' && settings.output === null ? settings.colorLevel : settings.stderrColorLevel,
      elapsedMs: performance.now() - started,
      probesMade: prober.connections,
      interrupted: stopping !== null,
    });
    // Machine formats keep stdout clean: the summary goes to stderr.
    (settings.format === 'text' && settings.output === null ? process.stdout : process.stderr).write(text);
  }
  const { fail, undetermined } = summary.counts;
  return { interrupted: stopping !== null, fail, undetermined };
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
