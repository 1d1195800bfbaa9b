/**
 * A saved result's facts, and the result judged again (`mxprobe report --at DATE`,
 * `--days-ahead N`): judging is pure and takes the time as a parameter (judge/judge-domain.ts),
 * so the facts a run kept can be judged as of another moment, against the requirement the run
 * had (`requiredPolicies`, the graded profile). `factsOf` strips exactly what judging adds.
 */
import type { AddressResult } from '../model/address.js';
import type { AddressFacts } from '../model/address.js';
import type { CertificateFacts, CertificateVerdict } from '../model/certificate.js';
import type { DeepFacts, DeepResult } from '../model/deep.js';
import type { DomainFacts, DomainResult, MxHostFacts } from '../model/domain.js';
import type { GuidelineProfileId } from '../model/guideline-profile-ids.js';
import { judgeDomain } from '../judge/judge-domain.js';

/** A judged certificate without its verdict (trust, name, expiry, days left). */
function certificateFacts(certificate: CertificateFacts & CertificateVerdict): CertificateFacts {
  const {
    trusted: _trusted,
    trustError: _trustError,
    trustErrors: _trustErrors,
    nameMatch: _nameMatch,
    matchedName: _matchedName,
    expired: _expired,
    notYetValid: _notYetValid,
    daysLeft: _daysLeft,
    chainDaysLeft: _chainDaysLeft,
    ...facts
  } = certificate;
  return facts;
}

function deepFacts(deep: DeepResult): DeepFacts {
  return { ...deep, certificates: deep.certificates.map((c) => ({ ...c, certificate: c.certificate === null ? null : certificateFacts(c.certificate) })) };
}

function addressFacts(address: AddressResult): AddressFacts {
  const { level: _level, problems: _problems, dane: _dane, grade: _grade, certificate, deep, ...rest } = address;
  return { ...rest, certificate: certificate === null ? null : certificateFacts(certificate), ...(deep !== undefined ? { deep: deepFacts(deep) } : {}) };
}

function hostFacts(host: MxHostFacts<AddressResult>): MxHostFacts {
  const { rollover: _rollover, addresses, ...rest } = host;
  return { ...rest, addresses: addresses.map(addressFacts) };
}

/**
 * What probing the domain found, without what judging added: the level, pass, requirement,
 * problems, sender policies, graded verdict, the batch `source`; per host the DANE rollover; per
 * address the level, problems, DANE outcome, grade and each certificate's verdict; the MTA-STS
 * mode and MX match. `judgeDomain(factsOf(judgeDomain(f, p, t)), p, t)` is `judgeDomain(f, p, t)`.
 *
 * @example judgeDomain(factsOf(saved), { required: saved.requiredPolicies }, new Date('2027-01-01'))
 */
export function factsOf(result: DomainResult): DomainFacts {
  const {
    level: _level,
    required: _required,
    requiredPolicies: _requiredPolicies,
    pass: _pass,
    graded: _graded,
    problems: _problems,
    policies: _policies,
    source: _source,
    mtaSts,
    mx,
    ...rest
  } = result;
  let mtaStsFacts: DomainFacts['mtaSts'];
  if (mtaSts !== undefined) {
    const { mode: _mode, mxMatch: _mxMatch, ...facts } = mtaSts;
    mtaStsFacts = facts;
  }
  return { ...rest, mx: mx.map(hostFacts), ...(mtaStsFacts !== undefined ? { mtaSts: mtaStsFacts } : {}) };
}

/**
 * The guideline profile the saved result was graded under: the graded requirement's, else an
 * address's grade's (`--deep` grades without `+graded`); undefined when nothing was graded.
 */
function profileOf(result: DomainResult): GuidelineProfileId | undefined {
  if (result.graded !== undefined) return result.graded.profile;
  for (const host of result.mx) for (const a of host.addresses) if (a.grade !== undefined) return a.grade.profile;
  return undefined;
}

/**
 * A saved result judged again at `now` with `warnDays`, against the requirement it was judged
 * against (its required policies, `+graded` and profile); its `source` and the input row's own
 * problems (scope `input`) stay. A row that was no domain (`invalid-input`) has nothing to judge
 * and is returned as it is.
 *
 * @example rejudge(saved, { now: new Date('2027-01-01'), warnDays: 30 }).pass
 */
export function rejudge(result: DomainResult, options: { now: Date; warnDays: number }): DomainResult {
  if (result.outcome === 'invalid-input') return result;
  const profile = profileOf(result);
  const judged = judgeDomain(
    factsOf(result),
    { required: result.requiredPolicies, warnDays: options.warnDays, ...(result.graded !== undefined ? { graded: true } : {}), ...(profile !== undefined ? { profile } : {}) },
    options.now,
  );
  const inputProblems = result.problems.filter((p) => p.scope === 'input');
  return {
    ...judged,
    ...(inputProblems.length > 0 ? { problems: [...judged.problems, ...inputProblems] } : {}),
    ...(result.source !== undefined ? { source: result.source } : {}),
  };
}
