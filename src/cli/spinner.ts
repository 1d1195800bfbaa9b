/**
 * An ora spinner on stderr while probing, only when stderr is a terminal and not in CI;
 * otherwise a no-op, so pipes and CI logs get no control sequences.
 */
import type { Writable } from 'node:stream';

export interface Progress {
  update(item: string): void;
  done(item: string): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, done() {}, stop() {} };

export async function startSpinner(stream: Writable & { isTTY?: boolean }, total: number): Promise<Progress> {
  if (stream.isTTY !== true || process.env.CI === 'true') return SILENT;
  const { default: ora } = await import('ora');
  const spinner = ora({ stream, text: 'probing' }).start();
  let finished = 0;
  return {
    update(item) {
      spinner.text = total > 1 ? `probing ${item} (${finished}/${total} done)` : `probing ${item}`;
    },
    done() {
      finished += 1;
    },
    stop() {
      spinner.stop();
    },
  };
}
