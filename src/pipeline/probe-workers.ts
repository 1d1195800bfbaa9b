/**
 * Probe workers, the main thread's side: a batch's address probes (SMTP, TLS, certificate
 * facts, the modern and DANE handshakes, the deep probe) run in `count` worker threads
 * (probe-worker.ts), so that a batch uses every core. Everything else stays in the main
 * thread: the shared prober (its cache, the per-host cap, retries and the count of
 * connections), DNS, MTA-STS, judging and the report.
 *
 * `probeAddress` is a drop-in for the probe's own (SharedProberOptions.probeAddress): each
 * call goes to the worker with the fewest probes in flight, and an abort of its signal is
 * posted to that worker. A worker that fails (an exception outside a probe, an exit) is a
 * bug: every probe it held, and every later call, rejects with the error, so the run ends as
 * it does for any bug. `close` terminates the workers; the run calls it when it ends.
 */
import { Worker } from 'node:worker_threads';
import type { AddressFacts } from '../model/address.js';
import type { AddressTarget, ProbeOptions } from '../probe/probe-address.js';
import { plainProbeOptions, type FromProbeWorker, type ProbeWorkerData, type ToProbeWorker } from './probe-worker-protocol.js';
import { SharedCertificates } from './shared-certificates.js';

/**
 * @example const workers = new ProbeWorkers({ count: 2, extraCas: [], transcript: false });
 */
export interface ProbeWorkersOptions {
  /** Worker threads, at least 1. */
  count: number;
  /** The --ca-file PEMs: each worker builds its trust store from them (Node's roots and NODE_EXTRA_CA_CERTS too). */
  extraCas: readonly string[];
  /** Keep the SMTP transcript in the facts (--transcript). */
  transcript: boolean;
  /** The worker's script; default the built dist/probe-worker.js beside this module (tests pass one that runs the sources). */
  entry?: URL;
}

/** A probe posted to a worker, waiting for its facts. */
interface Pending {
  worker: ProbeWorker;
  resolve: (facts: AddressFacts) => void;
  reject: (error: unknown) => void;
  /** Takes the abort listener off the probe's signal. */
  unlisten: () => void;
}

interface ProbeWorker {
  thread: Worker;
  /** Probes posted and not answered yet. */
  inFlight: number;
}

/**
 * The young generation of a worker's heap, in MB. A probe's garbage dies young, and V8's default
 * (tens of MB per isolate) only made each worker's resident memory grow: with 4 MB, a batch of
 * 2,000 distinct targets with two workers peaked at about 215 MB instead of 255 MB, at the same
 * CPU per probe (the CLI against 50 fake servers on loopback, a probe per domain, five runs each;
 * 2 MB did no better).
 */
const YOUNG_GENERATION_MB = 4;

/** Where the worker's script is: beside this module, as the build puts both (scripts/build.mjs). */
const DEFAULT_ENTRY = (): URL => new URL('./probe-worker.js', import.meta.url);

/**
 * A pool of probe workers (see the module comment). Workers start at once (each takes tens
 * of milliseconds to load the probe, in parallel with the run's first DNS look-ups).
 *
 * @example
 * const workers = new ProbeWorkers({ count: 2, extraCas: [], transcript: false });
 * try { facts = await workers.probeAddress(target, options); } finally { await workers.close(); }
 */
export class ProbeWorkers {
  private readonly workers: ProbeWorker[];
  private readonly pending = new Map<number, Pending>();
  /** One copy of each certificate's description, as in one thread (shared-certificates.ts). */
  private readonly certificates = new SharedCertificates();
  private nextId = 0;
  /** Where the search for the least busy worker starts. */
  private turn = 0;
  /** Set when a worker failed: every later probe rejects with it. */
  private failure: Error | null = null;
  private closing = false;

  constructor(options: ProbeWorkersOptions) {
    const data: ProbeWorkerData = { extraCas: [...options.extraCas], transcript: options.transcript };
    const entry = options.entry ?? DEFAULT_ENTRY();
    this.workers = Array.from({ length: Math.max(1, options.count) }, () => {
      const thread = new Worker(entry, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
      const worker: ProbeWorker = { thread, inFlight: 0 };
      worker.thread.on('message', (message: FromProbeWorker) => this.answer(message));
      worker.thread.on('error', (error) => this.failed(worker, error));
      worker.thread.on('exit', (code) => this.failed(worker, new Error(`a probe worker exited (code ${code})`)));
      return worker;
    });
  }

  /**
   * The facts of one address, probed in a worker: as probeAddress(target, options) gives
   * them, but for `trust` (the worker's own, from the same PEMs). Rejects as probeAddress
   * does (a bug), and when a worker failed.
   */
  readonly probeAddress = (target: AddressTarget, options: ProbeOptions): Promise<AddressFacts> => {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the probe workers are closed'));
    const worker = this.leastBusy();
    const id = this.nextId++;
    const signal = options.signal;
    return new Promise<AddressFacts>((resolve, reject) => {
      const onAbort = () => worker.thread.postMessage({ kind: 'abort', id } satisfies ToProbeWorker);
      signal?.addEventListener('abort', onAbort, { once: true });
      const unlisten = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, { worker, resolve, reject, unlisten });
      worker.inFlight += 1;
      try {
        worker.thread.postMessage({ kind: 'probe', id, target, options: plainProbeOptions(options), aborted: signal?.aborted === true } satisfies ToProbeWorker);
      } catch (err) {
        this.settle(id)?.reject(err); // options that cannot be cloned: a bug
      }
    });
  };

  /** Terminates every worker (probes still in flight are dropped: their promises never settle). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const entry of this.pending.values()) entry.unlisten();
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.thread.terminate()));
  }

  /** The worker with the fewest probes in flight; among equals, each in turn. */
  private leastBusy(): ProbeWorker {
    const n = this.workers.length;
    this.turn = (this.turn + 1) % n;
    let best = this.workers[this.turn] as ProbeWorker;
    for (let i = 1; i < n; i++) {
      const w = this.workers[(this.turn + i) % n] as ProbeWorker;
      if (w.inFlight < best.inFlight) best = w;
    }
    return best;
  }

  /** Takes probe `id` off the books; undefined when it is not (any more) pending. */
  private settle(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    if (entry === undefined) return undefined;
    this.pending.delete(id);
    entry.worker.inFlight -= 1;
    entry.unlisten();
    return entry;
  }

  private answer(message: FromProbeWorker): void {
    const entry = this.settle(message.id);
    if (entry === undefined) return;
    if (message.kind === 'error') return entry.reject(message.error);
    try {
      entry.resolve(this.certificates.share(message.facts));
    } catch (err) {
      entry.reject(err); // a bug: the run ends with it, as with any other
    }
  }

  /** A worker failed (or exited): its probes and every later one reject with the error. */
  private failed(worker: ProbeWorker, error: Error): void {
    if (this.closing) return;
    this.failure ??= new Error(`a probe worker failed: ${error.message}`, { cause: error });
    for (const [id, entry] of [...this.pending]) if (entry.worker === worker) this.settle(id)?.reject(this.failure);
  }
}
