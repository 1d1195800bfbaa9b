/**
 * The one way the CLI tells a person something went wrong: `mxprobe: <message>` on one line,
 * the message passed through the one sanitiser (render/sanitize.ts), because messages carry
 * file names, option values and server text, any of which may hold escape sequences, bidi
 * overrides or line breaks.
 */
import { sanitize } from '../render/sanitize.js';

/**
 * @example process.stderr.write(errorLine(`cannot read --input ${path}: ENOENT`))
 */
export function errorLine(message: string): string {
  return `mxprobe: ${sanitize(message)}\n`;
}
