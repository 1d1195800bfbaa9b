/**
 * Why a domain's DNS look-ups and probes were stopped early: its deadline passed, or the
 * run was stopped (SIGINT/SIGTERM in a batch). Carried as the `reason` of an AbortSignal,
 * as a plain object: an expected outcome needs no Error with a stack trace. (The run's own
 * StopReason, batch/run-stop.ts, is why a whole batch stops: a signal, a closed pipe.)
 */

/** @example controller.abort({ kind: 'deadline', message: "the domain's deadline of 9 s for its probes, 3 × --timeout, passed" } satisfies AbortReason) */
export interface AbortReason {
  /** deadline: reported as TIMEOUT; stopped: the run was interrupted (rcode ABORTED). */
  kind: 'deadline' | 'stopped';
  /** In words, e.g. "the domain's deadline of 9 s for its probes, 3 × --timeout, passed". */
  message: string;
}

const STOPPED: AbortReason = { kind: 'stopped', message: 'the run was stopped' };

/**
 * Why `signal` aborted; a reason that is not an AbortReason (an abort from elsewhere) counts as a stop.
 *
 * @example abortReason(AbortSignal.abort({ kind: 'deadline', message: 'x' })).kind // 'deadline'
 */
export function abortReason(signal: AbortSignal): AbortReason {
  const reason = signal.reason as Partial<AbortReason> | undefined;
  if (reason !== null && typeof reason === 'object' && (reason.kind === 'deadline' || reason.kind === 'stopped') && typeof reason.message === 'string') {
    return reason as AbortReason;
  }
  return STOPPED;
}
