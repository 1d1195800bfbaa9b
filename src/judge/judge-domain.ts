/**
 * Judges a whole domain: DNS outcome, each address, the domain's level (the lowest over all
 * reachable addresses of all MX hosts), DANE (judge/domain-dane.ts), MTA-STS and TLS-RPT
 * (judge/mta-sts.ts), what each sender policy would do (judge/sender-policies.ts) and
 * pass/fail against the required policies. Pure: the time is a parameter.
 */
import { lookupFailed } from '../model/dns-rcode.js';
import type { AddressResult } from '../model/address.js';
import type { DnsQueryFacts } from '../model/dns.js';
import type { DomainFacts, DomainResult, MtaStsResult, MxHostFacts, SkippedAddress } from '../model/domain.js';
import type { Problem, ProblemPlace } from '../model/problem.js';
import type { Requirement } from '../model/policy.js';
import { lowestLevel } from '../model/levels.js';
import { judgeAddress, type JudgePolicy } from './judge-address.js';
import { problem } from './problem-catalogue.js';
import { judgedAt, judgePolicy } from './judge-policy.js';
import { judgePolicies, requirementMet, requirementText } from './sender-policies.js';
import { judgeDomainDane } from './domain-dane.js';
import { judgeMtaSts, judgeTlsRpt, type MtaStsHostInput } from './mta-sts.js';
import { gradedVerdict } from './deep-grade.js';

const familyOption = (family: 4 | 6) => (family === 4 ? '-6' : '-4');
const listed = (items: readonly string[], most = 5) => (items.length > most ? `${items.slice(0, most).join(', ')} and ${items.length - most} more` : items.join(', '));
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** DNS_MALFORMED for a malformed answer, else DNS_FAILURE, naming what was asked and what went wrong. */
function lookupProblem(query: DnsQueryFacts, what: string, host?: string): Problem {
  const where: ProblemPlace = host !== undefined ? { scope: 'host', host } : { scope: 'domain' };
  if (query.rcode === 'MALFORMED') return problem('DNS_MALFORMED', `The ${what} gave a malformed answer: ${query.error ?? 'unreadable'}.`, where);
  const why = query.error !== undefined ? ` (${query.error})` : '';
  return problem('DNS_FAILURE', `The ${what} failed: ${query.rcode}${why}.`, where);
}

/** What the addresses left out of a host's probes say: special-purpose ones, filtered families, the cap. */
function skippedProblems(host: MxHostFacts<AddressResult>, skipped: readonly SkippedAddress[]): Problem[] {
  const problems: Problem[] = [];
  const at = { scope: 'host', host: host.host } as const;
  const special = skipped.filter((s) => s.reason === 'special-purpose');
  if (special.length > 0) {
    const addresses = listed(special.map((s) => `${s.ip} (${s.range ?? 'special-purpose'})`));
    problems.push(problem('MX_ADDRESS_SPECIAL', `The MX host ${host.host} resolves to ${special.length === 1 ? 'a special-purpose address' : 'special-purpose addresses'} senders cannot use: ${addresses}; not probed.`, at));
  }
  for (const family of [4, 6] as const) {
    const filtered = skipped.filter((s) => s.reason === 'family' && s.family === family);
    if (filtered.length === 0) continue;
    const only = host.addresses.length === 0 && !skipped.some((s) => s.reason !== 'family' || s.family !== family);
    const which = `${plural(filtered.length, `IPv${family} address`, `IPv${family} addresses`)} (${listed(filtered.map((s) => s.ip))})`;
    problems.push(problem('ADDRESSES_FILTERED', `${only ? `The MX host ${host.host} has only` : `The MX host ${host.host} has`} ${which}, not probed because of ${familyOption(family)}.`, at));
  }
  const capped = skipped.filter((s) => s.reason === 'limit');
  if (capped.length > 0) {
    const total = host.addresses.length + capped.length;
    problems.push(problem('MX_LIMIT_REACHED', `The MX host ${host.host} has ${total} addresses to probe; mxprobe probed ${host.addresses.length} and not ${listed(capped.map((s) => s.ip))}.`, at));
  }
  return problems;
}

function hostProblems(facts: DomainFacts, host: MxHostFacts<AddressResult>): Problem[] {
  const problems: Problem[] = [];
  const at = { scope: 'host', host: host.host } as const;
  if (host.implicit) problems.push(problem('IMPLICIT_MX', `${facts.domain} has no MX record; mail goes to ${host.host} itself.`, at));
  if (host.cnames.length > 0) problems.push(problem('MX_CNAME', `The MX host ${host.host} is an alias for ${host.cnames.join(' → ')}.`, at));
  if (host.unusable !== undefined) {
    const record = `The MX record "${host.preference} ${host.host}" of ${facts.domain}`;
    return host.unusable.kind === 'ip-literal'
      ? [...problems, problem('MX_IP_LITERAL', `${record} names ${host.unusable.detail}; senders refuse it, and mxprobe did not probe it.`, at)]
      : [...problems, problem('DNS_MALFORMED', `${record} does not name a valid host: ${host.unusable.detail}; senders skip it.`, at)];
  }
  const skipped = host.skipped ?? [];
  if (skipped.length > 0) problems.push(...skippedProblems(host, skipped));
  // A malformed answer is a problem of its own, even when the other family gave addresses.
  const lookups = facts.dns.filter((q) => q.name === host.host && lookupFailed(q.rcode));
  for (const query of lookups) if (query.rcode === 'MALFORMED') problems.push(lookupProblem(query, `${query.type} look-up for MX host ${host.host}`, host.host));
  if (host.addresses.length > 0) return problems;
  // No address to probe: a failed look-up says why (and leaves the outcome undetermined), else the host has none.
  const failed = lookups.find((q) => q.rcode !== 'MALFORMED');
  if (failed !== undefined) problems.push(lookupProblem(failed, `${failed.type} look-up for MX host ${host.host}`, host.host));
  else if (skipped.length === 0 && lookups.length === 0) problems.push(problem('MX_HOST_NO_ADDRESS', `The MX host ${host.host} has no ${host.implicit ? 'A/AAAA record' : 'address'}.`, at));
  return problems;
}

function dnsProblems(facts: DomainFacts, hosts: MxHostFacts<AddressResult>[]): Problem[] {
  const mxQuery = facts.dns[0];
  switch (facts.outcome) {
    case 'nxdomain':
      return [problem('DNS_NXDOMAIN', `${facts.domain} does not exist (NXDOMAIN).`)];
    case 'null-mx':
      return [problem('NULL_MX', `${facts.domain} publishes a null MX ("MX 0 ."): it accepts no mail.`)];
    case 'dns-failure':
      if (mxQuery === undefined) return [problem('DNS_FAILURE', `The MX look-up for ${facts.domain} failed: no answer.`)];
      if (mxQuery.type === 'MX' && lookupFailed(mxQuery.rcode)) return [lookupProblem(mxQuery, `MX look-up for ${facts.domain}`)];
      break;
    default:
      break;
  }
  const problems: Problem[] = [];
  if (facts.mxLimit !== undefined) {
    const { found, probed } = facts.mxLimit;
    problems.push(problem('MX_LIMIT_REACHED', `${facts.domain} publishes ${found} MX hosts; mxprobe probed the ${probed} most preferred and not the other ${found - probed}.`));
  }
  for (const host of hosts) problems.push(...hostProblems(facts, host));
  return problems;
}

/**
 * DNSSEC_NOT_VALIDATED, on a domain whose verdict it changes: one required to satisfy the DANE
 * row, which then cannot be told. Elsewhere each address's `dane` outcome and the domain's
 * `dnssec.validating` say it, without a warning on every row of a batch behind an ordinary
 * (non-validating) resolver.
 */
function validationProblems(facts: DomainFacts, required: Requirement): Problem[] {
  if (facts.dnssec?.validating !== false || !required.includes('dane')) return [];
  return [
    problem(
      'DNSSEC_NOT_VALIDATED',
      `The resolver does not validate DNSSEC (no AD flag on a signed answer): mxprobe cannot tell whether DANE applies to ${facts.domain}, and claims no DNSSEC state.`,
    ),
  ];
}

/** Each usable MX host's PKIX verdict over its reachable addresses, as the MTA-STS judge takes it. */
function mtaStsHosts(mx: readonly MxHostFacts<AddressResult>[]): MtaStsHostInput[] {
  return mx
    .filter((host) => host.unusable === undefined)
    .map((host) => {
      const reached = host.addresses.filter((a) => a.level !== null);
      if (reached.length === 0) return { host: host.host, verified: null };
      return { host: host.host, verified: reached.every((a) => a.level === 'verify') };
    });
}

/**
 * Severity is relative to the requirement: a domain that meets it carries no error. What
 * does not keep it from passing (an expired certificate under `--require encrypt`, one
 * unreachable address of several) is reported as a warning; the message is unchanged.
 *
 * @example relativeTo(true, [problem('CERT_EXPIRED', '…')])[0].severity // 'warning'
 */
export function relativeTo(pass: boolean | null, problems: Problem[]): Problem[] {
  if (pass !== true) return problems;
  return problems.map((p) => (p.severity === 'error' ? { ...p, severity: 'warning' } : p));
}

/** Two verdicts that must both hold: false when one is false, true when both are true, else null. */
function bothMet(a: boolean | null, b: boolean | null): boolean | null {
  if (a === false || b === false) return false;
  return a === true && b === true ? true : null;
}

/**
 * The judged domain at `now` (a parameter: judge the same facts at another moment, e.g. to see
 * what a certificate's expiry will do). `policy` may leave anything out (judge/judge-policy.ts:
 * policy (c) tls-required, --warn-days 30). Pure.
 *
 * @example judgeDomain(facts, {}, new Date()).pass // true | false | null, against policy (c)
 * @example judgeDomain(facts, { required: ['verify'], warnDays: 14 }, new Date('2027-01-01')).level // 'none' | 'encrypt' | 'verify' | null
 */
export function judgeDomain(facts: DomainFacts, given: Partial<JudgePolicy>, now: Date): DomainResult {
  const policy = judgePolicy(given);
  judgedAt(now);
  const judged = facts.mx.map((host) => ({ ...host, addresses: host.addresses.map((a) => judgeAddress(a, policy, now)) }));
  // The PKIX ladder: DANE's problems join each address after its level was set (capLevel never sees them).
  const level = lowestLevel(judged.flatMap((host) => host.addresses.flatMap((a) => (a.level === null ? [] : [a.level]))));
  const dane = judgeDomainDane(facts, judged, now);
  const mx = dane.mx;
  const { mtaSts: mtaStsFacts, ...rest } = facts;
  let mtaSts: MtaStsResult | undefined;
  const problems = [...validationProblems(facts, policy.required), ...dnsProblems(facts, mx), ...dane.problems];
  if (mtaStsFacts !== undefined) {
    const verdict = judgeMtaSts(mtaStsFacts, mtaStsHosts(mx));
    mtaSts = { ...mtaStsFacts, mode: verdict.mode, mxMatch: verdict.mxMatch };
    problems.push(...verdict.problems);
  }
  // TLS-RPT matters where the domain enforces mail TLS: DANE published (secure, usable or not) or an MTA-STS policy in force.
  const daneDeployed = mx.some((host) => host.addresses.some((a) => a.dane?.status === 'valid' || a.dane?.status === 'invalid' || a.dane?.status === 'unusable'));
  problems.push(...judgeTlsRpt(facts.tlsRpt, daneDeployed || mtaSts?.mode === 'enforce' || mtaSts?.mode === 'testing'));
  // The verdict per sender policy, and against the requirement (judge/sender-policies.ts).
  const context = { ...rest, ...(mtaSts !== undefined ? { mtaSts } : {}) };
  const policies = judgePolicies(context, mx);
  const met = requirementMet(policies, policy.required);
  // `+graded`: no address graded insufficient, every reachable one graded completely (judge/deep-grade.ts).
  const graded = policy.graded === true ? gradedVerdict(mx.flatMap((host) => host.addresses), policy.profile ?? 'ncsc') : undefined;
  const pass = graded === undefined ? met : bothMet(met, graded.satisfied);
  return {
    ...context,
    mx: pass === true ? mx.map((host) => ({ ...host, addresses: host.addresses.map((a) => ({ ...a, problems: relativeTo(pass, a.problems) })) })) : mx,
    level,
    required: requirementText(policy.required, policy.graded === true),
    requiredPolicies: [...policy.required],
    pass,
    ...(graded !== undefined ? { graded } : {}),
    problems: relativeTo(pass, problems),
    policies,
  };
}
