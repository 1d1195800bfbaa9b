/**
 * The defaults of a probe for library callers, the same as the CLI's: port 25, both address
 * families, 8 addresses of a domain at once, a 30 s deadline per address with 10 s to connect,
 * EHLO with the address literal of the local end, and Node's bundled roots (plus those of
 * NODE_EXTRA_CA_CERTS) as trust anchors. An option given is used as given; a number out of
 * range is the caller's mistake, refused with a RangeError rather than probed with.
 */
import { makeTrustStore, type TrustStore } from '../cert/trust-store.js';
import type { AddressFamilies } from '../dns/resolve-mail-hosts.js';
import type { ProbeOptions } from './probe-run.js';

/**
 * The default values, as the CLI's options have them (README "Options").
 *
 * @example PROBE_DEFAULTS.timeoutMs // 30000 (--timeout 30)
 */
export const PROBE_DEFAULTS = Object.freeze({
  /** SMTP port (-p). */
  port: 25,
  /** Addresses of one domain probed at the same time. */
  parallel: 8,
  /** Overall deadline for one address, in ms (--timeout). */
  timeoutMs: 30_000,
  /** Deadline for the TCP connection, in ms (--connect-timeout); never more than timeoutMs. */
  connectTimeoutMs: 10_000,
  /** Both address families (neither -4 nor -6). */
  families: Object.freeze({ ipv4: true, ipv6: true }) as Readonly<AddressFamilies>,
});

let sharedTrust: TrustStore | null = null;

/**
 * The trust anchors of a probe given none: one store for the process, built on first use
 * (Node's bundled roots and NODE_EXTRA_CA_CERTS; its certificate cache is bounded).
 *
 * @example defaultTrustStore() === defaultTrustStore() // true
 */
export function defaultTrustStore(): TrustStore {
  sharedTrust ??= makeTrustStore();
  return sharedTrust;
}

/**
 * `value` when it is a number from `min` to `max` (an integer where `integer`), else a RangeError
 * naming `what`: a library caller's mistake, told at once.
 *
 * @example checkNumber('port', 0, 1, true, 65535) // throws RangeError: port must be an integer from 1 to 65535, not 0
 */
export function checkNumber(what: string, value: number, min: number, integer = false, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${what} must be ${integer ? 'an integer' : 'a number'} from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}, not ${String(value)}`);
  }
  return value;
}

/**
 * ProbeOptions complete: what `given` holds, the defaults for the rest (PROBE_DEFAULTS,
 * ehloName null, defaultTrustStore()). Throws a RangeError for a deadline that is not a
 * positive number of milliseconds.
 *
 * @example probeOptions({ timeoutMs: 5_000 }).connectTimeoutMs // 5000: never more than the overall deadline
 */
export function probeOptions(given: Partial<ProbeOptions> = {}): ProbeOptions {
  const timeoutMs = checkNumber('timeoutMs', given.timeoutMs ?? PROBE_DEFAULTS.timeoutMs, 1);
  const connectTimeoutMs = checkNumber('connectTimeoutMs', given.connectTimeoutMs ?? Math.min(PROBE_DEFAULTS.connectTimeoutMs, timeoutMs), 1);
  return { ...given, timeoutMs, connectTimeoutMs, ehloName: given.ehloName ?? null, trust: given.trust ?? defaultTrustStore() };
}
