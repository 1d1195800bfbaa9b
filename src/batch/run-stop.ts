/**
 * How a batch stops before its input is done: SIGINT/SIGTERM, standard output closed by its
 * reader (EPIPE), or an output that can no longer be written. Two steps, two signals:
 * `stopping` (no new probe, no retry, every wait woken at once) and, after a grace period
 * for a signal (at once for a dead output), `abort` (the probes still in flight are ended).
 */

import { setMaxListeners } from 'node:events';

/**
 * Why a batch stopped early (not dns/stop-reason.ts's StopReason, which says why one
 * domain's work was aborted).
 */
export type RunStopReason = 'signal' | 'broken-pipe' | 'output-error';

/** When several reasons come, the exit code follows the most serious: a lost write, a closed pipe, a signal. */
const RANK: Record<RunStopReason, number> = { signal: 1, 'broken-pipe': 2, 'output-error': 3 };

/**
 * @example
 * const stop = new RunStop();
 * process.on('SIGINT', () => stop.request('signal'));
 * stop.stopping.addEventListener('abort', wakeTheLoop, { once: true });
 */
export class RunStop {
  private readonly stopController = new AbortController();
  private readonly abortController = new AbortController();

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
    if (this.requestedAt !== null) return;
    this.requestedAt = performance.now();
    this.stopController.abort();
  }

  /** Ends the work in flight (after the grace period). */
  abortInFlight(): void {
    this.abortController.abort();
  }
}
