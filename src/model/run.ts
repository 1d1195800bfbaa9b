/**
 * What a run as a whole can tell besides its rows: why it stopped before its input was done.
 * Types only (the summary that says it is render/batch-summary-text.ts; the stop itself,
 * pipeline/run-stop.ts).
 */

/**
 * Why a run stopped early: SIGINT/SIGTERM, standard output closed by its reader (EPIPE), or an
 * output that could no longer be written. Not dns/abort-reason.ts's AbortReason, which says why
 * one domain's work was aborted.
 *
 * @example const reason: RunStopReason = 'broken-pipe';
 */
export type RunStopReason = 'signal' | 'broken-pipe' | 'output-error';
