/**
 * Wires one CLI run through the pipeline: gather (probe/) → judge (judge/) → render (render/),
 * with a spinner on stderr while gathering when stderr is a terminal.
 */
import { errorLine } from './error-line.js';
import os from 'node:os';
import type { Settings } from './options.js';
import type { BatchOptions, BatchOutcome } from '../batch/run-batch.js';
import type { DomainFacts, DomainResult } from '../model/domain.js';
import { makeTrustStore, readCaFile, TrustStoreError, type TrustStore } from '../cert/trust-store.js';
import type { ProbeOptions } from '../probe/probe-address.js';
import type { DnsResolver } from '../dns/resolver.js';
import { ipFamily } from '../input/ip-family.js';
import { fileSink, OutputError, streamSink, type Sink, type SinkFailure } from '../batch/sink.js';
import { probeDomain, probeServer, type DomainProbeOptions } from '../probe/probe-domain.js';
import { mapLimit } from '../concurrency/map-limit.js';
import { judgeDomain } from '../judge/judge-domain.js';
import { renderJson } from '../render/json.js';
import { colorLevel } from './color-level.js';
import { EXIT, exitCodeFor, exitCodeForCounts } from './exit-codes.js';
import { probingText, startSpinner } from '../render/spinner.js';

/** Addresses of one domain probed at once; domains probed at once. */
const PARALLEL_ADDRESSES = 8;
const PARALLEL_DOMAINS = 4;

/** This host's name when it is a fully-qualified domain name, else null (the prober then sends an address literal). */
export function defaultEhloName(hostname = os.hostname()): string | null {
  return /^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(hostname) ? hostname.toLowerCase() : null;
}

export async function run(settings: Settings): Promise<number> {
  const trust = loadTrust(settings);
  if (trust === null) return EXIT.USAGE;
  const probe: ProbeOptions = {
    timeoutMs: settings.timeoutMs,
    connectTimeoutMs: Math.min(settings.connectTimeoutMs, settings.timeoutMs),
    ehloName: settings.ehloName ?? defaultEhloName(),
    trust,
    ...(settings.tlsMode !== null ? { tlsMode: settings.tlsMode } : {}),
  };
  return settings.batch !== null ? runBatchCommand(settings, settings.batch, probe) : runDomains(settings, probe);
}

function loadTrust(settings: Settings): TrustStore | null {
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
  return makeTrustStore(extraCas);
}

const stdoutColor = (settings: Settings) =>
  colorLevel(settings.color, process.env, settings.output === null && process.stdout.isTTY === true, process.stdout.isTTY ? process.stdout.getColorDepth() : 1);
/** The terminal's width for the text report; undefined (the renderer's default) for a file, a pipe or a terminal of unknown width. */
const stdoutColumns = (settings: Settings): number | undefined =>
  settings.output === null && process.stdout.isTTY === true && process.stdout.columns > 0 ? process.stdout.columns : undefined;
const stderrColor = (settings: Settings) =>
  colorLevel(settings.color, process.env, process.stderr.isTTY === true, process.stderr.isTTY ? process.stderr.getColorDepth() : 1);

async function runBatchCommand(settings: Settings, batch: BatchOptions, probe: ProbeOptions): Promise<number> {
  const { runBatch, BatchError } = await import('../batch/run-batch.js');
  try {
    const outcome = await runBatch({
      ...batch,
      output: settings.output,
      format: settings.format,
      quiet: settings.quiet,
      required: settings.required,
      warnDays: settings.warnDays,
      transcript: settings.transcript,
      colorLevel: stdoutColor(settings),
      stderrColorLevel: stderrColor(settings),
      resolverServers: settings.resolver !== null ? [settings.resolver] : null,
      dnsTimeoutMs: settings.dnsTimeoutMs,
      families: settings.families,
      allowSpecialAddresses: settings.allowSpecialAddresses,
      port: settings.port,
      probe,
    });
    return batchExitCode(outcome);
  } catch (err) {
    if (!(err instanceof BatchError)) throw err;
    process.stderr.write(errorLine(err.message));
    return EXIT.USAGE;
  }
}

/**
 * A failed output first (exit 74, with its one line; a closed standard output is 141, quietly),
 * then an interruption (130), then the verdict over every row of the output.
 */
function batchExitCode(outcome: BatchOutcome): number {
  if (outcome.outputFailure !== null) return outputFailureCode(outcome.outputFailure);
  if (outcome.stopped === 'signal') return EXIT.INTERRUPTED;
  return exitCodeForCounts(outcome.fail, outcome.undetermined);
}

/** EXIT.BROKEN_PIPE for a closed standard output (no message: the reader chose to stop); else one line and EXIT.OUTPUT_ERROR. */
function outputFailureCode(failure: SinkFailure): number {
  if (failure.kind === 'broken-pipe') return EXIT.BROKEN_PIPE;
  process.stderr.write(errorLine(failure.message));
  return EXIT.OUTPUT_ERROR;
}

async function makeResolver(settings: Settings): Promise<DnsResolver> {
  const { DnsResolver } = await import('../dns/resolver.js');
  return new DnsResolver({ ...(settings.resolver !== null ? { servers: [settings.resolver] } : {}), timeoutMs: settings.dnsTimeoutMs });
}

async function runDomains(settings: Settings, probe: ProbeOptions): Promise<number> {
  // Open the output first: a file that cannot be written must not cost the probes.
  let sink: Sink;
  try {
    sink = settings.output !== null ? fileSink(settings.output, false) : streamSink(process.stdout);
  } catch (err) {
    if (!(err instanceof OutputError)) throw err;
    process.stderr.write(errorLine(err.message));
    return EXIT.USAGE;
  }
  const options: DomainProbeOptions = {
    families: settings.families,
    allowSpecialAddresses: settings.allowSpecialAddresses,
    port: settings.port,
    parallel: PARALLEL_ADDRESSES,
    probe,
  };

  const total = settings.server !== null ? 1 : settings.domains.length;
  // The spinner names what is in flight (oldest first), never a domain that has finished.
  const inFlight = new Set<string>(settings.server !== null ? [settings.server.host] : []);
  let finished = 0;
  const spinner = await startSpinner(() => probingText([...inFlight], finished, total));
  let facts: DomainFacts[];
  try {
    if (settings.server !== null) {
      // An IP literal needs no DNS, nor the DNS library: --server with an IP starts fastest.
      const resolver = settings.resolver !== null && ipFamily(settings.server.host) === 0 ? await makeResolver(settings) : null;
      facts = [await probeServer(settings.server, options, resolver)];
    } else {
      const resolver = await makeResolver(settings);
      facts = await mapLimit(settings.domains, PARALLEL_DOMAINS, async ({ input, domain }) => {
        inFlight.add(domain);
        try {
          return await probeDomain(input, domain, resolver, options);
        } finally {
          inFlight.delete(domain);
          finished += 1;
        }
      });
    }
  } finally {
    spinner?.stop();
  }

  const now = new Date();
  const results: DomainResult[] = facts.map((f) => judgeDomain(f, { required: settings.required, warnDays: settings.warnDays }, now));
  await writeReport(settings, results, sink);
  return sink.failure !== null ? outputFailureCode(sink.failure) : exitCodeFor(results.map((r) => r.pass));
}

/**
 * Text and JSON are rendered whole; csv, ndjson and junit through the batch writers, one row
 * per domain. Resolves once the sink is closed: a write error is then in `sink.failure`.
 */
async function writeReport(settings: Settings, results: DomainResult[], sink: Sink): Promise<void> {
  if (settings.format === 'json') {
    sink.write(renderJson(results, { transcript: settings.transcript }));
  } else if (settings.format === 'text') {
    // The table renderer (cli-table3, chalk) is loaded only for text output.
    const { renderText } = await import('../render/text.js');
    const columns = stdoutColumns(settings);
    sink.write(renderText(results, { colorLevel: stdoutColor(settings), transcript: settings.transcript, ...(columns !== undefined ? { columns } : {}) }));
  } else {
    const { BatchWriter } = await import('../batch/batch-output.js');
    const writer = new BatchWriter(sink, { format: settings.format, extraColumns: [], header: true });
    for (const result of results) writer.write(result);
    await writer.end({ startedAt: new Date(results[0]?.probedAt ?? Date.now()), durationMs: 0 });
    return;
  }
  await sink.close();
}
