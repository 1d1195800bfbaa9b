/**
 * The ids of the TLS guideline profiles (model/tls-guidelines.ts), apart from the profiles
 * themselves: the command line lists `--profile`'s choices from here without loading the
 * guideline tables.
 */

/**
 * The profile ids, `--profile`'s choices (the first is the default); GUIDELINE_PROFILES has
 * a profile for each, in this order.
 *
 * @example GUIDELINE_PROFILE_IDS // ['ncsc', 'mozilla-intermediate']
 */
export const GUIDELINE_PROFILE_IDS: readonly GuidelineProfileId[] = ['ncsc', 'mozilla-intermediate'];

/**
 * A profile's id, as `--profile` names it.
 *
 * @example const id: GuidelineProfileId = 'mozilla-intermediate';
 */
export type GuidelineProfileId = 'ncsc' | 'mozilla-intermediate';
