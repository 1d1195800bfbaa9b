/**
 * Every problem of a judged domain in one list, for the renderers that show them together (the
 * text report, CSV, JUnit, the batch summary). The result keeps each problem once, where it is:
 * the domain's own (DNS, MX hosts, limits, the input row) at the domain, each address's at the
 * address. Pure.
 */
import type { DomainResult } from '../model/domain.js';
import type { Problem } from '../model/problem.js';

/**
 * The domain's own problems (scope `domain` and `host`), then each address's in MX and address
 * order, then the input row's (scope `input`: INVALID_INPUT, INPUT_EXTRA_FIELDS).
 *
 * @example allProblems(result).map((p) => p.code) // ['IMPLICIT_MX', 'STARTTLS_NOT_OFFERED', 'INPUT_EXTRA_FIELDS']
 */
export function allProblems(result: Pick<DomainResult, 'problems' | 'mx'>): Problem[] {
  const own = result.problems.filter((p) => p.scope !== 'input');
  const input = result.problems.filter((p) => p.scope === 'input');
  return [...own, ...result.mx.flatMap((host) => host.addresses.flatMap((a) => a.problems)), ...input];
}
