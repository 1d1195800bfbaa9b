/**
 * Wires one probe run, whatever its rows: the row source (cli/open-rows.ts) → the runner
 * (pipeline/runner.ts: gather, judge) → the renderer of the format (render/formats.ts) →
 * the report writer and its sink (cli/report-writer.ts, cli/output.ts). Owns what the
 * pipeline does not touch: standard input, output and error, SIGINT/SIGTERM, the spinner
 * and progress, the batch summary and the exit code.
 */
import { errorLine } from './error-line.js';
import type { RunSettings } from '../pipeline/run-settings.js';
import { reportLayout, resolverOptionsFor } from '../pipeline/run-settings.js';
import { rowName, type Row } from '../pipeline/row.js';
import { RunStop } from '../pipeline/run-stop.js';
import { runRows, type RunOutcome } from '../pipeline/runner.js';
import type { Resolver } from '../dns/resolver-api.js';
import { ipFamily, prepareIpv6Check } from '../input/ip-family.js';
import { makeTrustStore, readCaFile, TrustStoreError, type TrustStore } from '../cert/trust-store.js';
import type { SummaryAccumulator } from '../judge/batch-summary.js';
import { formatShowsSummary, loadRenderer } from '../render/formats.js';
import { probingText } from '../render/probing-text.js';
import type { SummaryTextOptions } from '../render/batch-summary-text.js';
import { streamColorLevel } from './color-level.js';
import { EXIT, exitCodeForCounts } from './exit-codes.js';
import { exitForFailure, OutputError, reportSink, type Sink } from './output.js';
import { openRows, type OpenedRows } from './open-rows.js';
import { UsageError } from './raw-options.js';
import { RowsInFlight, startProgress, type Progress } from './progress.js';
import { ReportWriter } from './report-writer.js';

/** The run's trust store, and the --ca-file PEMs it adds (probe workers make their own from them); null after a one-line error. */
function loadTrust(settings: RunSettings): { trust: TrustStore; extraCas: string[] } | null {
  let extraCas: string[] = [];
  if (settings.caFile !== null) {
    try {
      extraCas = readCaFile(settings.caFile);
    } catch (err) {
      if (!(err instanceof TrustStoreError)) throw err;
      process.stderr.write(errorLine(err.message));
      return null;
    }
  }
  return { trust: makeTrustStore(extraCas), extraCas };
}

const stdoutColor = (settings: RunSettings) => streamColorLevel(settings.color, process.stdout, settings.output === null);
/** The terminal's width for the text report; undefined (the renderer's default) for a file, a pipe or a terminal of unknown width. */
const stdoutColumns = (settings: RunSettings): number | undefined =>
  settings.output === null && process.stdout.isTTY === true && process.stdout.columns > 0 ? process.stdout.columns : undefined;
const stderrColor = (settings: RunSettings) => streamColorLevel(settings.color, process.stderr);

/**
 * The resolver the rows need: domains always one; --server one only for a host name with
 * --resolver (an IP literal needs none, a host name otherwise goes through the system), so
 * that `--server IP` never loads the DNS library.
 */
async function resolverFor(settings: RunSettings): Promise<Resolver | null> {
  const source = settings.source;
  if (source.kind === 'server' && (settings.resolver === null || ipFamily(source.server.host) !== 0)) return null;
  const { DnsResolver } = await import('../dns/resolver.js');
  return new DnsResolver(resolverOptionsFor(settings));
}

/**
 * SIGINT/SIGTERM stop the run (RunStop: no new probe, a grace period for those in flight); a
 * second signal exits at once. Returns what removes the handlers.
 */
function onStopSignals(stop: RunStop): () => void {
  const onSignal = () => {
    if (stop.requestedAt !== null) process.exit(EXIT.INTERRUPTED);
    stop.request('signal');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** What progress shows: a batch's counts and rate, or the command line's domains in flight. */
async function progressFor(settings: RunSettings, opened: OpenedRows, summary: SummaryAccumulator | null, inFlight: RowsInFlight): Promise<Progress> {
  const source = settings.source;
  if (source.kind !== 'input' || summary === null) {
    const total = opened.total ?? 0;
    return startProgress(() => probingText(inFlight.names(), inFlight.ended, total), { quiet: false, plain: false });
  }
  // Batch modules and the summary's colours load only for a batch.
  const [{ countRecords }, { renderProgressLine }] = await Promise.all([import('../batch/read-input.js'), import('../render/batch-summary-text.js')]);
  const started = performance.now();
  let total: number | null = null;
  if (source.path !== '-' && source.shard === null) void countRecords(source.path).then((n) => (total = n), () => undefined);
  const line = () =>
    renderProgressLine({ done: summary.total, earlier: opened.earlierRows, total, elapsedMs: performance.now() - started, counts: summary.counts, inFlight: inFlight.size });
  return startProgress(line, { quiet: settings.quiet, plain: true });
}

/** A batch's summary in a colour level of the caller's choice; its renderer (and chalk) loaded only for a batch. */
async function batchSummaryText(summary: SummaryAccumulator, options: Omit<SummaryTextOptions, 'colorLevel'>): Promise<(level: 0 | 1 | 2 | 3) => string> {
  const { renderSummary } = await import('../render/batch-summary-text.js');
  return (level) => renderSummary(summary.summary(), { ...options, colorLevel: level });
}

/**
 * Runs the probe the settings describe and returns the exit code: a failed output first
 * (74 with its one line; a closed standard output 141, quietly), then an interruption (130),
 * then the verdict over every row of the output (a resumed batch: the earlier rows too).
 *
 * @example process.exitCode = await run(checkOptions(['example.com'], raw));
 */
export async function run(settings: RunSettings): Promise<number> {
  const startedAt = new Date();
  const started = performance.now();
  const anchors = loadTrust(settings);
  if (anchors === null) return EXIT.USAGE;
  const { trust, extraCas } = anchors;
  // A batch's summary (it also counts the rows of an earlier output for the exit code), loaded
  // for a batch only: the command line's exit code comes from the report writer's counts.
  // A format that shows the summary in its footer (HTML) gets it for any run, a single domain too.
  const footerSummary = formatShowsSummary(settings.format);
  const accumulator = settings.source.kind === 'input' || footerSummary ? new (await import('../judge/batch-summary.js')).SummaryAccumulator() : null;
  const summary = settings.source.kind === 'input' ? accumulator : null;

  // The rows, then the output: a file that cannot be written must not cost the probes.
  let opened: OpenedRows;
  let sink: Sink;
  try {
    opened = await openRows(settings, (row) => {
      accumulator?.addRecorded(row.record);
      if (row.result !== null) accumulator?.addFacts(row.result);
    });
    try {
      sink = reportSink(settings.output, opened.append);
    } catch (err) {
      if (err instanceof OutputError) throw new UsageError(err.message);
      throw err;
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(errorLine(err.message));
    return EXIT.USAGE;
  }
  const layout = reportLayout(settings);
  const columns = stdoutColumns(settings);
  const renderer = await loadRenderer(settings.format, {
    layout,
    colorLevel: stdoutColor(settings),
    transcript: settings.transcript,
    extraColumns: opened.extraColumns,
    ...(columns !== undefined ? { columns } : {}),
  });
  const writer = new ReportWriter(sink, renderer, { header: !opened.append });

  // Stopping: a signal, or an output that failed (nothing more can be written).
  const stop = new RunStop();
  const removeSignals = onStopSignals(stop);
  sink.onFailure((failure) => stop.request(failure.kind === 'broken-pipe' ? 'broken-pipe' : 'output-error'));

  const inFlight = new RowsInFlight();
  const progress = await progressFor(settings, opened, summary, inFlight);
  let outcome: RunOutcome;
  try {
    const resolver = await resolverFor(settings);
    // What the first handshake would do on its own (the first use of Node's IPv6 regex in
    // tls.connect, the trust store's context and anchor index), done while the first connections
    // wait for their servers instead: a step per turn of the event loop, so that a reply that came
    // is answered between steps, in the order the handshake needs them. The first step runs once
    // runRows has started (its synchronous part and its promise jobs, which for --server reach
    // the connect).
    const steps = [prepareIpv6Check, ...trust.preparation()];
    const prepare = () => {
      steps.shift()?.();
      if (steps.length > 0) setImmediate(prepare);
    };
    setImmediate(prepare);
    outcome = await runRows(opened.rows, settings, { trust, extraCas, resolver, stop }, {
      result: (result) => {
        progress.around(() => writer.write(result));
        if (sink.failure === null) accumulator?.add(result); // only what the output holds
      },
      started: (row: Row) => inFlight.start(rowName(row)),
      ended: (row: Row) => inFlight.end(rowName(row)),
    });
  } catch (err) {
    await writer.abandon();
    if (settings.source.kind !== 'input') throw err;
    const { InputError } = await import('../batch/read-input.js');
    if (!(err instanceof InputError)) throw err;
    process.stderr.write(errorLine(`--input ${settings.source.path}: ${err.message}`));
    return EXIT.USAGE;
  } finally {
    progress.stop();
    removeSignals();
  }

  // A batch's summary: after its text rows on standard output, else on standard error (machine formats keep stdout clean).
  const summaryText =
    summary !== null && !settings.quiet
      ? await batchSummaryText(summary, {
          elapsedMs: performance.now() - started,
          probesMade: outcome.probesMade,
          ...(outcome.stopped !== null ? { stopReason: outcome.stopped } : {}),
          unfinished: outcome.unfinished,
          earlier: opened.earlierRows,
          calendarWithoutEarlier: settings.format === 'csv',
        })
      : null;
  const textToStdout = layout === 'rows' && settings.format === 'text' && settings.output === null;
  const trailer = summaryText !== null && textToStdout && sink.failure === null ? summaryText(stdoutColor(settings)) : undefined;
  await writer.end({
    startedAt,
    durationMs: performance.now() - started,
    ...(trailer !== undefined ? { trailer } : {}),
    ...(footerSummary && accumulator !== null ? { summary: accumulator.summary() } : {}),
    ...(outcome.stopped === 'signal' ? { stopped: { unfinished: outcome.unfinished } } : {}),
  });
  if (summaryText !== null && trailer === undefined) process.stderr.write(summaryText(stderrColor(settings)));

  if (sink.failure !== null) return exitForFailure(sink.failure, process.stderr);
  if (outcome.stopped === 'signal') return EXIT.INTERRUPTED;
  // Every row of the output: a resumed batch's earlier rows too (the summary), else this run's (the writer).
  const counts = summary?.counts ?? writer.counts;
  return exitCodeForCounts(counts.fail, counts.undetermined);
}
