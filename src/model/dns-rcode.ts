/**
 * Which DNS rcodes are answers: NOERROR and NXDOMAIN say something about the name (even when
 * empty); every other rcode, and mxprobe's own TIMEOUT, NETWORK_ERROR, MALFORMED and ABORTED,
 * means the look-up failed and nothing is known. A table of two rows and its predicate.
 */

/** The rcodes that are answers (RFC 1035 §4.1.1, RFC 2308 §2.1). */
const ANSWER_RCODES: ReadonlySet<string> = new Set(['NOERROR', 'NXDOMAIN']);

/**
 * The look-up failed (SERVFAIL, REFUSED, TIMEOUT, MALFORMED, ...): nothing is known about
 * the name. NOERROR and NXDOMAIN are answers, even when empty.
 *
 * @example lookupFailed('MALFORMED') // true
 */
export function lookupFailed(rcode: string): boolean {
  return !ANSWER_RCODES.has(rcode);
}
