/**
 * Judges a domain's MTA-STS facts (RFC 8461) against its MX hosts, and its TLS reporting record
 * (RFC 8460): the problems of the record, the policy fetch and the policy text; every MX host
 * must match an `mx` pattern (§4.1) and every matching host must pass PKIX verification for its
 * name (§4.2), errors in enforce mode and warnings in testing mode; and what a sender that
 * enforces MTA-STS does at one address (mtaStsDelivery: the judge of sender-policy row (f),
 * judge/sender-policies.ts, which alone adds it up over a domain). Pure: the per-host PKIX
 * verdicts are given.
 */
import type { MtaStsFacts, MtaStsMxMatch, TlsRptFacts } from '../model/mta-sts.js';
import type { AddressDelivery } from '../model/policy.js';
import type { Problem } from '../model/problem.js';
import { parsePolicy } from '../mta-sts/policy.js';
import { parseStsRecord } from '../mta-sts/record.js';
import { parseTlsRpt } from '../mta-sts/tls-rpt.js';
import { matchingPattern } from '../rules/mx-pattern.js';
import { problem } from './problem-catalogue.js';

/**
 * One MX host as the MTA-STS judge needs it: its name and its PKIX verdict.
 *
 * @example const host: MtaStsHostInput = { host: 'mx1.example.com', verified: true };
 */
export interface MtaStsHostInput {
  /** The MX host name (for an implicit MX, the domain). */
  host: string;
  /** Every reachable address passed PKIX verification for the host's name (trusted chain, in date, name matches); false when one did not; null when unknown. */
  verified: boolean | null;
}

/**
 * The MTA-STS verdict of a domain.
 *
 * @example const enforcing = (v: MtaStsVerdict) => v.mode === 'enforce' && v.mxMatch.every((m) => m.pattern !== null && m.verified === true);
 */
export interface MtaStsVerdict {
  /**
   * What a sender that implements MTA-STS applies: the policy's mode, `none` when there is no
   * usable policy (no record, an invalid record, a policy that cannot be fetched or is invalid:
   * RFC 8461 §5 says to deliver as without MTA-STS), null when that cannot be told (the TXT
   * look-up failed, the fetch was stopped from outside, or nothing was gathered).
   */
  mode: 'enforce' | 'testing' | 'none' | null;
  /** Each MX host: the first pattern it matches (null: none) and its PKIX verdict; empty unless the mode is enforce or testing. */
  mxMatch: MtaStsMxMatch[];
  /** The domain's MTA-STS problems (scope domain; MX hosts: scope host). */
  problems: Problem[];
}

/** Items of one problem's message: the first few, then how many more (a problem says it once, RFC text or not). */
const LISTED = 5;
const listed = (items: readonly string[]) => items.slice(0, LISTED).join('; ') + (items.length > LISTED ? `; and ${items.length - LISTED} more` : '');

/** In testing mode a failure is reported, not enforced (RFC 8461 §5): a warning. */
function weighed(p: Problem, mode: 'enforce' | 'testing'): Problem {
  return mode === 'testing' && p.severity === 'error' ? { ...p, severity: 'warning' } : p;
}

/** The problems of the record, the fetch and the policy text, and the mode a sender applies. */
function policyProblems(facts: MtaStsFacts): { mode: MtaStsVerdict['mode']; patterns: string[]; problems: Problem[] } {
  const problems: Problem[] = [];
  if (facts.txt === null) return { mode: null, patterns: [], problems };
  const record = parseStsRecord(facts.txt);
  if (record.status === 'none') return { mode: 'none', patterns: [], problems };
  if (record.status === 'invalid') {
    for (const error of record.errors) problems.push(problem('MTA_STS_RECORD_INVALID', `The MTA-STS record of the domain is not valid: ${error}.`));
    return { mode: 'none', patterns: [], problems };
  }
  for (const key of new Set(record.duplicates)) {
    problems.push(problem('MTA_STS_DUPLICATE_FIELD', `The MTA-STS record gives the field "${key}" more than once: senders take the first one.`));
  }
  const fetched = facts.fetch;
  if (fetched === null) return { mode: null, patterns: [], problems };
  if (fetched.failure !== null) {
    // Stopped from outside (a deadline of the run, a signal): says nothing about the server.
    if (fetched.failure.kind === 'aborted') return { mode: null, patterns: [], problems };
    // A body that came whole but is not UTF-8 text is a policy that breaks §3.2, not a server out of reach.
    if (fetched.failure.kind === 'encoding') {
      problems.push(problem('MTA_STS_POLICY_INVALID', `The MTA-STS policy is not valid: ${fetched.failure.message}.`));
      return { mode: 'none', patterns: [], problems };
    }
    problems.push(problem('MTA_STS_POLICY_UNREACHABLE', `The MTA-STS policy cannot be fetched: ${fetched.failure.message}; senders ignore MTA-STS for the domain.`));
    return { mode: 'none', patterns: [], problems };
  }
  if (fetched.body === null) return { mode: null, patterns: [], problems };
  const reading = parsePolicy(fetched.body);
  // One problem per code, however many lines a (hostile) 64 KiB policy repeats the fault on.
  const unknown = reading.unknownKeys.map((u) => `"${u.key}" on line ${u.line}${u.suggestion !== null ? ` (did you mean "${u.suggestion}"?)` : ''}`);
  const only = reading.unknownKeys.length === 1 ? reading.unknownKeys[0] : undefined;
  if (only !== undefined) {
    problems.push(
      problem('MTA_STS_UNKNOWN_KEY', `The MTA-STS policy has an unknown key "${only.key}" on line ${only.line}, which senders ignore${only.suggestion !== null ? ` (did you mean "${only.suggestion}"?)` : ''}.`),
    );
  } else if (unknown.length > 1) problems.push(problem('MTA_STS_UNKNOWN_KEY', `The MTA-STS policy has ${unknown.length} unknown keys, which senders ignore: ${listed(unknown)}.`));
  if (reading.duplicates.length > 0) {
    const again = reading.duplicates.map((d) => `"${d.key}" on line ${d.line}`);
    problems.push(problem('MTA_STS_DUPLICATE_FIELD', `The MTA-STS policy gives ${listed(again)} again: senders take the first one.`));
  }
  if (reading.policy === null) {
    problems.push(problem('MTA_STS_POLICY_INVALID', `The MTA-STS policy is not valid: ${listed(reading.errors)}.`));
    return { mode: 'none', patterns: [], problems };
  }
  return { mode: reading.policy.mode, patterns: reading.policy.mx, problems };
}

/**
 * What a sender that enforces MTA-STS does at one reachable address of `host` (RFC 8461 §5):
 * without a usable policy, or in testing or none mode, it delivers as an opportunistic sender
 * does (over TLS when a session is made, else in plaintext unless refused) and authenticates
 * nothing; in enforce mode it delivers only to hosts that match a pattern and only over TLS
 * with the certificate verified for the host's name. Null when the mode is unknown.
 *
 * @example mtaStsDelivery(verdict, 'mx1.example.com', { encrypted: true, verified: false, refusesPlaintext: false }) // enforce: { delivered: false, … }
 */
export function mtaStsDelivery(
  verdict: Pick<MtaStsVerdict, 'mode' | 'mxMatch'>,
  host: string,
  address: { encrypted: boolean; verified: boolean; refusesPlaintext: boolean },
): AddressDelivery | null {
  if (verdict.mode === null) return null;
  if (verdict.mode !== 'enforce') {
    return { delivered: address.encrypted || !address.refusesPlaintext, encrypted: address.encrypted, authenticated: false };
  }
  const listed = verdict.mxMatch.some((m) => m.host === host && m.pattern !== null);
  const delivered = listed && address.encrypted && address.verified;
  return { delivered, encrypted: delivered, authenticated: delivered };
}

/**
 * The domain's MTA-STS verdict from its facts (absent: not gathered) and its MX hosts with their
 * PKIX verdicts: the mode, each host against the patterns, the problems. What a sender then
 * does is sender-policy row (f) (judge/sender-policies.ts, through mtaStsDelivery). Pure.
 *
 * @example judgeMtaSts(facts.mtaSts, [{ host: 'mx1.example.com', verified: true }]).mode // 'enforce'
 */
export function judgeMtaSts(facts: MtaStsFacts | undefined, mx: readonly MtaStsHostInput[]): MtaStsVerdict {
  const { mode, patterns, problems } = facts === undefined ? { mode: null, patterns: [], problems: [] } : policyProblems(facts);
  const mxMatch: MtaStsVerdict['mxMatch'] = [];
  if (mode === 'enforce' || mode === 'testing') {
    const consequence =
      mode === 'enforce' ? 'senders that enforce MTA-STS do not deliver to it' : 'in testing mode senders still deliver, and report the failure (RFC 8460)';
    const listedPatterns = patterns.length > LISTED ? `${patterns.slice(0, LISTED).join(', ')} and ${patterns.length - LISTED} more` : patterns.join(', ');
    for (const host of mx) {
      const pattern = matchingPattern(host.host, patterns);
      mxMatch.push({ host: host.host, pattern, verified: host.verified });
      const at = { scope: 'host' as const, host: host.host };
      if (pattern === null) {
        problems.push(weighed(problem('MTA_STS_MX_MISMATCH', `The MX host ${host.host} matches no mx pattern of the MTA-STS policy (${listedPatterns}): ${consequence}.`, at), mode));
      } else if (host.verified === false) {
        problems.push(
          weighed(problem('MTA_STS_MX_NOT_VERIFIED', `The MX host ${host.host} matches the MTA-STS pattern ${pattern}, but its certificate does not verify for its name: ${consequence}.`, at), mode),
        );
      }
    }
  }
  return { mode, mxMatch, problems };
}

/**
 * The problems of the domain's TLS reporting record (RFC 8460 §3): invalid (`TLSRPT_INVALID`,
 * each reason), or missing where the domain enforces mail TLS (`TLSRPT_MISSING`, information:
 * `enforced` says whether DANE or MTA-STS is deployed; without either, a missing record is
 * nothing to report). Absent facts or a failed look-up: nothing.
 *
 * @example judgeTlsRpt({ txt: [], record: null, rua: [], error: null }, true)[0]?.code // 'TLSRPT_MISSING'
 */
export function judgeTlsRpt(facts: TlsRptFacts | undefined, enforced: boolean): Problem[] {
  if (facts === undefined || facts.txt === null) return [];
  const reading = parseTlsRpt(facts.txt);
  if (reading.status === 'invalid') return reading.errors.map((e) => problem('TLSRPT_INVALID', `The TLS reporting record of the domain is not valid: ${e}; senders send no report.`));
  if (reading.status === 'none' && enforced) {
    return [problem('TLSRPT_MISSING', 'The domain enforces mail TLS (DANE or MTA-STS) but publishes no TLS reporting record (_smtp._tls): it will not hear of senders that cannot deliver.')];
  }
  return [];
}
