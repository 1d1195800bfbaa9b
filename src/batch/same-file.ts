/**
 * `--input F --output F` would truncate the input while reading it (and, appending, read
 * its own rows back forever). Refused before anything is opened for writing: the same file
 * is the same device and inode, whatever the path (symbolic or hard links, `/dev/stdin`,
 * `--input -` with standard input redirected from the file).
 */
import { fstatSync, statSync, type BigIntStats } from 'node:fs';

/** `stdin`: the path '-' means standard input (as --input has it). */
function stat(path: string, stdin: boolean): BigIntStats | null {
  try {
    return stdin && path === '-' ? fstatSync(0, { bigint: true }) : statSync(path, { bigint: true });
  } catch {
    return null; // missing or unreadable: opening it says why
  }
}

/**
 * True when the output would write into the input file. Only a regular input file can be
 * destroyed this way (a terminal or a pipe as both is harmless).
 *
 * @example isSameFile('partners.csv', './partners.csv') // true
 */
export function isSameFile(input: string, output: string): boolean {
  const from = stat(input, true);
  if (from === null || !from.isFile()) return false;
  const to = stat(output, false);
  return to !== null && to.dev === from.dev && to.ino === from.ino;
}
