/**
 * The spinner's text for domains given on the command line: the domains in flight (oldest
 * first), never a finished one, and how many are done when there are several. Pure.
 */

/**
 * @example probingText(['b.example', 'c.example'], 1, 4) // 'probing b.example and 1 more (1/4 done)'
 */
export function probingText(inFlight: readonly string[], done: number, total: number): string {
  const first = inFlight[0];
  const names = first === undefined ? '' : inFlight.length === 1 ? ` ${first}` : ` ${first} and ${inFlight.length - 1} more`;
  return total > 1 ? `probing${names} (${done}/${total} done)` : `probing${names}`;
}
