/**
 * The one runner of mxprobe, for domains given as arguments, `--server` and batch inputs
 * alike: takes rows from the row source (pipeline/row.ts), probes up to `concurrency` rows at
 * a time through one SharedProber (each MX address probed once per run, at most `perHost`
 * connections per IP, transient failures retried) and one cache of domain facts (a domain
 * named on several rows is probed once), judges each row against its own requirement, and
 * hands its result on: in the order of the rows for the command line, as each finishes for a
 * batch. Every row gives exactly one result, unless the run stops first. A batch with
 * `--workers N` > 1 makes its address probes in N worker threads (probe-workers.ts); the rest
 * of the run, the shared prober included, stays here.
 *
 * Stopping (RunStop, requested by the CLI): a signal starts nothing more (no probe, no retry,
 * every wait woken at once), gives the probes in flight STOP_GRACE_MS, then aborts them and
 * stops waiting; their rows are not handed on (a `--resume` redoes them). A closed or failed
 * output stops the same way without the grace. No stdio, no signal handler, no exit here:
 * cli/ owns them.
 */
import type { BatchSource, DomainResult } from '../model/domain.js';
import type { RunStopReason } from '../model/run.js';
import type { Resolver } from '../dns/resolver-api.js';
import type { TrustStore } from '../cert/trust-store.js';
import { probeDomain, probeServer } from '../probe/probe-domain.js';
import { SharedProber, type SharedProberOptions } from '../probe/shared-prober.js';
import { judgeDomain } from '../judge/judge-domain.js';
import { invalidInputResult, withInputWarning } from '../judge/invalid-input.js';
import type { Row } from './row.js';
import { DomainFactsCache } from './domain-facts-cache.js';
import type { RunStop } from './run-stop.js';
import { domainOptionsFor, inRowOrder, judgePolicyFor, probeOptionsFor, proberOptionsFor, type RunSettings } from './run-settings.js';

/**
 * Time the probes in flight get to finish after SIGINT/SIGTERM before they are aborted.
 *
 * @example setTimeout(() => stop.abortInFlight(), STOP_GRACE_MS)
 */
export const STOP_GRACE_MS = 3000;
/** Domains whose facts are remembered for later rows naming them again (least recently used forgotten). */
const DOMAIN_FACTS_ENTRIES = 2048;

/** @example const context: RunContext = { trust: makeTrustStore([]), resolver: new DnsResolver(), stop: new RunStop() }; */
export interface RunContext {
  trust: TrustStore;
  /** Looks up the domains' mail hosts (required for domain rows); for --server: a host name's addresses, null for the system's. */
  resolver: Resolver | null;
  /** How the caller stops the run (signals, a failed output). */
  stop: RunStop;
  /** The moment each row is judged at; default: now. */
  now?: () => Date;
  /** How one address is probed (tests, library users replaying facts); default: probeAddress, in probe workers when `settings.workers` > 1. */
  probeAddress?: SharedProberOptions['probeAddress'];
  /** The --ca-file PEMs `trust` was made with: probe workers build their own trust store from them. */
  extraCas?: readonly string[];
  /** The probe workers' script (tests that run the sources); default the built one (ProbeWorkersOptions.entry). */
  probeWorkerEntry?: URL;
}

/** What the caller sees of a run as it goes. @example const hooks: RunHooks = { result: (r) => writer.write(r) }; */
export interface RunHooks {
  /** A row's result, to be written: in row order for the command line, as rows finish for a batch. */
  result(result: DomainResult): void;
  /** A row's probes start (for progress: what is in flight). */
  started?(row: Row): void;
  /** A row started is done, or was abandoned by a stop. */
  ended?(row: Row): void;
}

/** How a run ended. @example const outcome: RunOutcome = { stopped: null, unfinished: 0, probesMade: 50 }; */
export interface RunOutcome {
  /** Why it stopped before its rows were done (the most serious reason requested); null when it finished. */
  stopped: RunStopReason | null;
  /** Rows whose probes were still running when the run stopped: not handed on. */
  unfinished: number;
  /** Address probes (SMTP sessions) made, retries included. */
  probesMade: number;
}

const STOPPED = Symbol('stopped');

/** Where a batch row's result came from: its line, its other columns, its shard (`--shard`). */
const sourceOf = (row: Row, line: number): BatchSource => ({ line, columns: row.columns, ...(row.shard !== undefined ? { shard: row.shard } : {}) });

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

/**
 * Hands results on in row order (each waits for the rows before it), or at once.
 * A row that gives no result (stopped) leaves a gap that `flush` closes at the end.
 */
class ResultOrder {
  private readonly waiting = new Map<number, DomainResult | null>();
  private next = 0;

  constructor(
    private readonly ordered: boolean,
    private readonly deliver: (result: DomainResult) => void,
  ) {}

  put(index: number, result: DomainResult | null): void {
    if (!this.ordered) {
      if (result !== null) this.deliver(result);
      return;
    }
    this.waiting.set(index, result);
    while (this.waiting.has(this.next)) {
      const ready = this.waiting.get(this.next) ?? null;
      this.waiting.delete(this.next);
      this.next += 1;
      if (ready !== null) this.deliver(ready);
    }
  }

  /** The results still held behind a row that gave none, in row order. */
  flush(): void {
    for (const index of [...this.waiting.keys()].sort((a, b) => a - b)) {
      const ready = this.waiting.get(index) ?? null;
      if (ready !== null) this.deliver(ready);
    }
    this.waiting.clear();
  }
}

/**
 * Runs every row of `rows` (see the module comment). Throws when the row source fails (a
 * batch input that becomes unreadable: batch/read-input.ts InputError) or for a bug in
 * mxprobe (in gathering, judging, or a hook handing a result on; a probe worker that
 * fails), after stopping the work in flight.
 *
 * With `settings.workers` > 1 (a batch's --workers) and no `probeAddress` of the caller's,
 * the address probes run in that many probe workers (pipeline/probe-workers.ts, loaded only
 * then), terminated when the run ends; everything else stays here.
 *
 * @example const outcome = await runRows(argumentRows(domains), settings, { trust, resolver, stop }, { result: (r) => writer.write(r) });
 */
export async function runRows(rows: AsyncIterable<Row> | Iterable<Row>, settings: RunSettings, context: RunContext, hooks: RunHooks): Promise<RunOutcome> {
  if (settings.workers <= 1 || context.probeAddress !== undefined) return runWith(rows, settings, context, hooks);
  const { ProbeWorkers } = await import('./probe-workers.js');
  const workers = new ProbeWorkers({
    count: settings.workers,
    extraCas: context.extraCas ?? [],
    transcript: settings.transcript,
    ...(context.probeWorkerEntry !== undefined ? { entry: context.probeWorkerEntry } : {}),
  });
  try {
    return await runWith(rows, settings, { ...context, probeAddress: workers.probeAddress }, hooks);
  } finally {
    await workers.close();
  }
}

/** runRows with the address probes made by `context.probeAddress` (or in this thread). */
async function runWith(rows: AsyncIterable<Row> | Iterable<Row>, settings: RunSettings, context: RunContext, hooks: RunHooks): Promise<RunOutcome> {
  const { stop } = context;
  const now = context.now ?? (() => new Date());
  const probe = probeOptionsFor(settings, context.trust, stop.abort);
  const prober = new SharedProber({
    ...proberOptionsFor(settings, probe, stop.stopping),
    ...(context.probeAddress !== undefined ? { probeAddress: context.probeAddress } : {}),
  });
  const domainOptions = domainOptionsFor(settings, probe, (target) => prober.probe(target), stop.abort);
  const facts = new DomainFactsCache(DOMAIN_FACTS_ENTRIES);

  // One wake-up for every wait of the loop: a row finished, or a stop was requested.
  let wakeLoop: (() => void) | null = null;
  const wake = () => {
    const resume = wakeLoop;
    wakeLoop = null;
    resume?.();
  };
  const nap = () => new Promise<void>((resolve) => (wakeLoop = resolve));
  const unlisten = stop.onRequest(wake);
  // Nothing new starts once the caller stops the run, or a bug was found (then everything ends).
  const halt = new AbortController();
  const onStopping = () => halt.abort();
  if (stop.stopping.aborted) halt.abort();
  else stop.stopping.addEventListener('abort', onStopping, { once: true });

  /** Set once the run stops waiting: rows finishing later are not handed on. */
  let closed = false;
  const order = new ResultOrder(inRowOrder(settings), (result) => {
    if (!closed) hooks.result(result);
  });

  const gather = async (row: Row) => {
    const target = row.target;
    if (target.kind === 'server') return probeServer(target.server, domainOptions, context.resolver);
    if (target.kind !== 'domain') throw new Error('gather: a row without a target');
    const resolver = context.resolver;
    if (resolver === null) throw new Error('runRows: domain rows need a resolver');
    return facts.get(target.domain, () => probeDomain(row.input, target.domain, resolver, domainOptions));
  };
  const judge = async (row: Row): Promise<DomainResult> => {
    const found = await gather(row);
    const judged = judgeDomain({ ...found, input: row.input }, judgePolicyFor(settings, row.required), now());
    if (row.line === null) return judged;
    return withInputWarning({ ...judged, source: sourceOf(row, row.line) }, row.line, row.warning);
  };

  const inflight = new Set<Promise<void>>();
  let unfinished = 0;
  let fatal: { error: unknown } | null = null;
  /** A bug: nothing more starts, the loop ends, and the run rejects with it. */
  const failed = (error: unknown) => {
    fatal ??= { error };
    halt.abort();
  };
  /** Hands a row's result (or its gap) on; a hook that throws (a renderer's bug) ends the run as any bug does. */
  const handOn = (index: number, result: DomainResult | null) => {
    try {
      order.put(index, result);
    } catch (err) {
      failed(err);
    }
  };
  const start = (row: Row, index: number) => {
    hooks.started?.(row);
    // Out of `inflight` as soon as it settles, before its result is handed on: a stop that
    // handing it on causes (a closed output) must not count it as unfinished.
    const task: Promise<void> = judge(row)
      .then(
        (result) => {
          inflight.delete(task);
          handOn(index, result);
        },
        (err: unknown) => {
          inflight.delete(task);
          handOn(index, null);
          if (stop.requestedAt !== null) unfinished += 1; // stopped before its probes were done
          else failed(err);
        },
      )
      .finally(() => {
        hooks.ended?.(row);
        wake();
      });
    inflight.add(task);
  };

  const iterator = Symbol.asyncIterator in rows ? rows[Symbol.asyncIterator]() : (rows as Iterable<Row>)[Symbol.iterator]();
  const halted = () => halt.signal.aborted;
  let index = 0;
  try {
    for (;;) {
      // Reading the input (standard input may be slow) is woken by a stop too.
      const next = Promise.resolve(iterator.next());
      next.catch(() => undefined);
      const stopped = untilAborted(halt.signal);
      const item = await Promise.race([next, stopped.promise]);
      stopped.cancel();
      if (item === STOPPED || item.done === true || fatal !== null) break;
      const row = item.value;
      if (row.target.kind === 'invalid') {
        const invalid = { line: row.line ?? 0, input: row.input, error: row.target.error, columns: row.columns, ...(row.shard !== undefined ? { shard: row.shard } : {}) };
        handOn(index++, invalidInputResult(invalid, judgePolicyFor(settings, row.required).required, now()));
        continue;
      }
      while (inflight.size >= settings.concurrency && !halted()) await nap();
      if (halted()) break;
      start(row, index++);
    }
    while (inflight.size > 0 && !halted()) await nap();
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
      while (inflight.size > 0 && !graceOver && stop.reason === 'signal' && fatal === null) await nap();
      clearTimeout(timer);
    }
    if (fatal === null) order.flush();
  } finally {
    // Whatever is still running is abandoned: its row is not handed on, and its probes are ended.
    closed = true;
    unfinished += inflight.size;
    stop.abortInFlight();
    unlisten();
    stop.stopping.removeEventListener('abort', onStopping);
    void Promise.resolve(iterator.return?.(undefined)).catch(() => undefined);
  }
  if (fatal !== null) throw (fatal as { error: unknown }).error;
  return { stopped: stop.reason, unfinished, probesMade: prober.connections };
}
