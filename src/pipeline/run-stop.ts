/**
 * How a run stops before its rows are done: SIGINT/SIGTERM, standard output closed by its
 * reader (EPIPE), or an output that can no longer be written. Two steps, two signals:
 * `stopping` (no new probe, no retry, every wait woken at once) and, after a grace period
 * for a signal (at once for a dead output), `abort` (the probes still in flight are ended).
 * The CLI requests a stop (cli/ owns signals and the output); the runner obeys it.
 */
import { setMaxListeners } from 'node:events';
import type { RunStopReason } from '../model/run.js';

export type { RunStopReason } from '../model/run.js';

/** When several reasons come, the exit code follows the most serious: a lost write, a closed pipe, a signal. */
const RANK: Record<RunStopReason, number> = { signal: 1, 'broken-pipe': 2, 'output-error': 3 };

/**
 * @example
 * const stop = new RunStop();
 * process.on('SIGINT', () => stop.request('signal'));
 * stop.onRequest(wakeTheLoop);
 */
export class RunStop {
  private readonly stopController = new AbortController();
  private readonly abortController = new AbortController();
  private readonly listeners = new Set<() => void>();

  constructor() {
    // Every probe and wait in flight listens (and stops listening when it ends): as many as
    // the run's concurrency, far past EventTarget's default warning threshold of 10.
    setMaxListeners(0, this.stopController.signal, this.abortController.signal);
  }

  /** The most serious reason requested so far, or null while running. */
  reason: RunStopReason | null = null;
  /** performance.now() of the first request. */
  requestedAt: number | null = null;

  /** Aborted at the first request: start nothing more. */
  get stopping(): AbortSignal {
    return this.stopController.signal;
  }

  /** Aborted when the work in flight must end (pass it to the probes). */
  get abort(): AbortSignal {
    return this.abortController.signal;
  }

  request(reason: RunStopReason): void {
    if (this.reason === null || RANK[reason] > RANK[this.reason]) this.reason = reason;
    if (this.requestedAt === null) {
      this.requestedAt = performance.now();
      this.stopController.abort();
    }
    // Every request, the first and a more serious one (an output that fails during a signal's grace period).
    for (const listener of [...this.listeners]) listener();
  }

  /** Calls `listener` at every request; returns what removes it. */
  onRequest(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends the work in flight (after the grace period). */
  abortInFlight(): void {
    this.abortController.abort();
  }
}
