/**
 * TLS security levels a receiving domain reaches, ordered like Postfix's table
 * (none < encrypt < verify), so "at least this level" is a comparison.
 *
 * Seed FAQ sender policies: (a) plain needs `none`, (b) TLS if offered and
 * (c) TLS required need `encrypt`, (d) TLS required with the name verified needs `verify`.
 */
export const LEVELS = ['none', 'encrypt', 'verify'] as const;

export type Level = (typeof LEVELS)[number];

/** Rank of a level in {@link LEVELS}; higher is stronger. */
export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}

/** True when `level` is at least `required`. */
export function meetsLevel(level: Level, required: Level): boolean {
  return levelRank(level) >= levelRank(required);
}

/** The weakest of some levels, or null for none. */
export function lowestLevel(levels: readonly Level[]): Level | null {
  let lowest: Level | null = null;
  for (const level of levels) {
    if (lowest === null || levelRank(level) < levelRank(lowest)) lowest = level;
  }
  return lowest;
}

export function isLevel(value: string): value is Level {
  return (LEVELS as readonly string[]).includes(value);
}
