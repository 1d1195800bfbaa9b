/**
 * Why a domain's DNS look-ups and probes were stopped early: its deadline passed, or the
 * run was stopped (SIGINT/SIGTERM in a batch). Carried as the `reason` of an AbortSignal,
 * as a plain object: an expected outcome needs no Error with a stack trace.
 */

export interface StopReason {
  /** deadline: reported as TIMEOUT; stopped: the run was interrupted (rcode ABORTED). */
  kind: 'deadline' | 'stopped';
  /** In words, e.g. "the domain's deadline of 9 s for its probes, 3 × --timeout, passed". */
  message: string;
}

const STOPPED: StopReason = { kind: 'stopped', message: 'the run was stopped' };

/**
 * Why `signal` aborted; a reason that is not a StopReason (an abort from elsewhere) counts as a stop.
 *
 * @example stopReason(AbortSignal.abort({ kind: 'deadline', message: 'x' })).kind // 'deadline'
 */
export function stopReason(signal: AbortSignal): StopReason {
  const reason = signal.reason as Partial<StopReason> | undefined;
  if (reason !== null && typeof reason === 'object' && (reason.kind === 'deadline' || reason.kind === 'stopped') && typeof reason.message === 'string') {
    return reason as StopReason;
  }
  return STOPPED;
}
