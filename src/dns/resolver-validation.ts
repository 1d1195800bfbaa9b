/**
 * Does the resolver validate DNSSEC? Asked once per resolver, as Postfix 3.6+ does with
 * its `dnssec_probe` (there "ns:."): a signed name is asked with DO set (RFC 3225 §3), and
 * the AD flag of the answer (RFC 4035 §3.2.3) says whether the resolver validated it. Only
 * then does an AD flag mean anything, and only then do look-ups get a DNSSEC state.
 */
import type { ResolverValidation } from '../model/dns.js';
import { lookupFailed } from '../model/dns-rcode.js';
import { lookUp, type Ask, type RecordKind } from './look-up.js';

/**
 * The name and type asked to check the resolver: a name signed under a trust anchor the
 * resolver holds. The root's SOA by default: about 400 bytes with its signature, so it fits a
 * UDP answer (the root's DNSKEY set, over 1232 bytes during a key rollover, would need TCP).
 * A lab whose resolver only trusts a test zone asks that zone's apex instead.
 *
 * @example const lab: ValidationProbe = { name: 'lab.test', type: 'DNSKEY' };
 */
export interface ValidationProbe {
  name: string;
  type: 'SOA' | 'DNSKEY';
}

/** The root's SOA. @example new DnsResolver({ validationProbe: ROOT_PROBE }) */
export const ROOT_PROBE: ValidationProbe = { name: '.', type: 'SOA' };

/**
 * Asks `probe` through `ask` and says whether AD came back: `validating` true or false, or
 * null when the look-up failed (SERVFAIL, no answer, …) and nothing is known. Never rejects.
 *
 * @example (await checkValidation(ask, ROOT_PROBE)).validating // true behind unbound, false behind a plain forwarder
 */
export async function checkValidation(ask: Ask, probe: ValidationProbe, signal?: AbortSignal): Promise<ResolverValidation> {
  // Any answer will do (even NODATA): only its AD flag is read, never its records.
  const kind: RecordKind<never> = { type: probe.type, pick: () => null, present: () => '' };
  const { facts } = await lookUp(ask, probe.name, kind, signal, false);
  return { validating: lookupFailed(facts.rcode) ? null : facts.authenticated, probe: facts };
}
