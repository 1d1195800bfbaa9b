/**
 * The resolver's bound on queries in flight, in a module of its own so that the run's settings
 * can size it without loading the DNS library (a probe of `--server IP` never needs it).
 */

/** Queries in flight at once over all domains of a run, unless DnsResolverOptions.maxInFlight says otherwise. @example resolver.peakInFlight <= DEFAULT_MAX_IN_FLIGHT // true */
export const DEFAULT_MAX_IN_FLIGHT = 64;
