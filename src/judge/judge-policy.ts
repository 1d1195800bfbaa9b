/**
 * The policy of a judge given only part of one, as the CLI's defaults have it: `--require
 * encrypt` (sender policy (c), tls-required), `--warn-days 30`, no graded requirement and the
 * ncsc profile. What a library caller gives
 * is checked here, at the edge: a requirement that names no known policy, a number of days or
 * a moment that is not a number, is a RangeError, never a verdict made from it.
 */
import type { JudgePolicy } from './judge-address.js';
import { SENDER_POLICIES } from './sender-policies.js';
import { GUIDELINE_PROFILE_IDS } from '../model/tls-guidelines.js';

/**
 * The defaults: policy (c) required, CERT_EXPIRES_SOON below 30 days.
 *
 * @example DEFAULT_JUDGE_POLICY.required // ['tls-required']
 */
export const DEFAULT_JUDGE_POLICY: Readonly<JudgePolicy> = Object.freeze({ required: Object.freeze(['tls-required'] as const), warnDays: 30 });

/**
 * A complete JudgePolicy: `given`, with DEFAULT_JUDGE_POLICY for what it leaves out. Throws a
 * RangeError for an empty requirement, an unknown policy id or a warnDays that is no number.
 *
 * @example judgePolicy({ required: ['verify'] }) // { required: ['verify'], warnDays: 30 }
 */
export function judgePolicy(given: Partial<JudgePolicy> = {}): JudgePolicy {
  const required = given.required ?? DEFAULT_JUDGE_POLICY.required;
  const ids = SENDER_POLICIES.map((p) => p.id);
  if (!Array.isArray(required) || required.length === 0 || required.some((id) => !ids.includes(id))) {
    throw new RangeError(`required must list one or more sender policy ids (${ids.join(', ')}; parseRequirement() reads letters and level names), not ${JSON.stringify(required)}`);
  }
  const warnDays = given.warnDays ?? DEFAULT_JUDGE_POLICY.warnDays;
  if (typeof warnDays !== 'number' || !Number.isFinite(warnDays)) throw new RangeError(`warnDays must be a number, not ${String(warnDays)}`);
  const graded = given.graded ?? false;
  if (typeof graded !== 'boolean') throw new RangeError(`graded must be true or false, not ${String(graded)}`);
  const profile = given.profile;
  if (profile !== undefined && !GUIDELINE_PROFILE_IDS.includes(profile)) {
    throw new RangeError(`profile must be one of ${GUIDELINE_PROFILE_IDS.join(', ')}, not ${JSON.stringify(profile)}`);
  }
  // Only what was given beyond the defaults: a policy of v1's two fields stays as it was.
  return { required, warnDays, ...(graded ? { graded } : {}), ...(profile !== undefined ? { profile } : {}) };
}

/**
 * `now` when it is a valid Date (the judged moment), else a RangeError.
 *
 * @example judgedAt(new Date('2026-06-01T00:00:00Z')).toISOString() // '2026-06-01T00:00:00.000Z'
 */
export function judgedAt(now: Date): Date {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new RangeError(`now must be a valid Date, not ${String(now)}`);
  return now;
}
