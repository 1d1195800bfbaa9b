/**
 * `mxprobe headers`: reads a message (file or standard input, bounded), analyses its
 * Received: fields (headers/, judge/) and renders the hops and the verdict (render/).
 */
import { errorLine } from './error-line.js';
import { open } from 'node:fs/promises';
import { analyseMessages, headersExitStatus } from '../headers/analyse.js';
import { renderHeadersJson } from '../render/headers-json.js';
import { colorLevel } from './color-level.js';
import { EXIT } from './exit-codes.js';
import { UsageError } from './options.js';

/** Largest input read: an mbox beyond this is refused rather than read into memory. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

export interface HeadersSettings {
  /** Path, or '-' for standard input. */
  file: string;
  format: 'text' | 'json';
  color: boolean;
}

async function readBounded(chunks: AsyncIterable<Buffer>, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > MAX_INPUT_BYTES) throw new UsageError(`${what} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

async function readInput(file: string): Promise<Buffer> {
  if (file === '-') {
    if (process.stdin.isTTY === true) process.stderr.write('mxprobe: reading a message from standard input (end with Ctrl-D)\n');
    return readBounded(process.stdin, 'standard input');
  }
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    if (!(await handle.stat()).isFile()) throw new UsageError(`${file} is not a file`);
    return await readBounded(handle.createReadStream(), file);
  } finally {
    await handle.close();
  }
}

export async function runHeaders(settings: HeadersSettings): Promise<number> {
  const report = analyseMessages(await readInput(settings.file), new Date());
  const status = headersExitStatus(report);
  if (status === 2) {
    process.stderr.write(errorLine(`no message header found in ${settings.file === '-' ? 'standard input' : settings.file}`));
    return EXIT.USAGE;
  }
  if (settings.format === 'json') {
    process.stdout.write(renderHeadersJson(report));
  } else {
    const { renderHeadersText } = await import('../render/headers-text.js');
    const level = colorLevel(settings.color, process.env, process.stdout.isTTY === true, process.stdout.isTTY ? process.stdout.getColorDepth() : 1);
    process.stdout.write(renderHeadersText(report, { colorLevel: level }));
  }
  return status;
}
