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
  /** A bug in mxprobe: please report it. */
  INTERNAL: 70,
} as const;

/** 1 if any domain failed, else 3 if any is undetermined, else 0. */
export function exitCodeFor(passes: ReadonlyArray<boolean | null>): number {
  if (passes.some((p) => p === false)) return EXIT.BELOW_REQUIRED;
  if (passes.some((p) => p === null)) return EXIT.UNDETERMINED;
  return EXIT.OK;
}
