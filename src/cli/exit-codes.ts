/** Exit codes: a public contract (README "Exit codes"). */
export const EXIT = {
  /** Every domain meets its required level. */
  OK: 0,
  /** Some domain is below its required level (or accepts no mail). */
  BELOW_REQUIRED: 1,
  /** Bad usage or input: nothing was probed. */
  USAGE: 2,
  /** Some result could not be determined (DNS failure, no address reachable) and none failed. */
  UNDETERMINED: 3,
  /** A run stopped by SIGINT/SIGTERM; the reports and rows finished so far are in the output. */
  INTERRUPTED: 130,
  /** A bug in mxprobe: please report it. */
  INTERNAL: 70,
  /** The report could not be written (disk full, I/O error on --output or standard output). */
  OUTPUT_ERROR: 74,
  /** Standard output was closed by its reader (`mxprobe … | head`): the run stopped early (128 + SIGPIPE). */
  BROKEN_PIPE: 141,
} as const;

/** 1 if any domain failed, else 3 if any is undetermined, else 0. */
export function exitCodeFor(passes: ReadonlyArray<boolean | null>): number {
  return exitCodeForCounts(passes.filter((p) => p === false).length, passes.filter((p) => p === null).length);
}

/** The same rule from counts, for a batch that keeps counts rather than every result. */
export function exitCodeForCounts(fail: number, undetermined: number): number {
  if (fail > 0) return EXIT.BELOW_REQUIRED;
  return undetermined > 0 ? EXIT.UNDETERMINED : EXIT.OK;
}
