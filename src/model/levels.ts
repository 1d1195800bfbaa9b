/**
 * TLS security levels a receiving domain reaches, ordered like Postfix's table
 * (none < encrypt < verify), so "at least this level" is a comparison. A domain's level is the
 * highest every reachable address reached; what each sender policy of the partner TLS FAQs
 * does with it is judged per address in judge/sender-policies.ts.
 *
 * @example LEVELS.indexOf('encrypt') // 1: none < encrypt < verify
 */
export const LEVELS = ['none', 'encrypt', 'verify'] as const;

/**
 * A level: `none` (no TLS), `encrypt` (a TLS session), `verify` (and a verified certificate
 * naming the host).
 *
 * @example const level: Level = 'encrypt'; // meetsLevel(level, 'verify'): false
 */
export type Level = (typeof LEVELS)[number];

/** Rank of a level in {@link LEVELS}; higher is stronger. @example levelRank('verify') // 2 */
export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}

/** True when `level` is at least `required`. @example meetsLevel('verify', 'encrypt') // true */
export function meetsLevel(level: Level, required: Level): boolean {
  return levelRank(level) >= levelRank(required);
}

/** The weakest of some levels, or null for none. @example lowestLevel(['verify', 'none']) // 'none' */
export function lowestLevel(levels: readonly Level[]): Level | null {
  let lowest: Level | null = null;
  for (const level of levels) {
    if (lowest === null || levelRank(level) < levelRank(lowest)) lowest = level;
  }
  return lowest;
}

/** A level's name. @example isLevel('encrypt') // true */
export function isLevel(value: string): value is Level {
  return (LEVELS as readonly string[]).includes(value);
}
