/**
 * Whether and how much to colour: --no-color and NO_COLOR (https://no-color.org) win, then
 * FORCE_COLOR, then whether stdout is a terminal and how many colours it has.
 */
export type ColorLevel = 0 | 1 | 2 | 3;

export function colorLevel(flagColor: boolean, env: NodeJS.ProcessEnv, isTTY: boolean, colorDepth: number): ColorLevel {
  if (!flagColor) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    if (force === '2' || force === '3') return Number(force) as ColorLevel;
    return 1;
  }
  if (!isTTY || env.TERM === 'dumb') return 0;
  return colorDepth >= 24 ? 3 : colorDepth >= 8 ? 2 : 1;
}

/**
 * The colour level for text written to `stream` (standard output or standard error), from
 * --color, the environment and the stream; `toStream` false when the text goes to a file
 * instead (--output), where only FORCE_COLOR colours it.
 *
 * @example const level = streamColorLevel(settings.color, process.stderr);
 */
export function streamColorLevel(flagColor: boolean, stream: NodeJS.WriteStream, toStream = true): ColorLevel {
  const tty = stream.isTTY === true;
  return colorLevel(flagColor, process.env, toStream && tty, tty ? stream.getColorDepth() : 1);
}
