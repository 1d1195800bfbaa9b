/**
 * How a deep probe (`--deep`) runs, apart from the probe itself so that the run's settings can
 * name it without loading the scans (deep-probe.ts is loaded only when --deep is given).
 */

/**
 * How a deep probe runs: the pause between its connections and its own deadline (all its
 * connections together; each step still has its stage's cap).
 *
 * @example const deep: DeepProbeOptions = { delayMs: 0, timeoutMs: 120_000 };
 */
export interface DeepProbeOptions {
  /** Milliseconds between the end of one connection and the start of the next (`--deep-delay`). */
  delayMs: number;
  /** Deadline of the whole deep probe, in ms. */
  timeoutMs: number;
}

/**
 * The deep deadline for an address deadline (`--timeout`): four times it, since a deep probe
 * makes tens of connections where the probe makes one or two.
 *
 * @example deepTimeoutFor(30_000) // 120000
 */
export function deepTimeoutFor(timeoutMs: number): number {
  return 4 * timeoutMs;
}
