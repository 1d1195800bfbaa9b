/**
 * A run whose work is still pending when Node's event loop runs empty would end with exit 0
 * and no output (an unref'd timer or a socket closed at the wrong moment leaves nothing to
 * wait on). That is a bug in mxprobe, never a verdict: say so and exit 70 (EXIT.INTERNAL).
 */
import { errorLine } from './error-line.js';

/**
 * Watches `work` until it settles; if the process is about to exit first, writes one line
 * to stderr and sets the exit code to `internalCode`.
 *
 * @example guardUnsettled(main(process.argv), 70)
 */
export function guardUnsettled(work: Promise<unknown>, internalCode: number): void {
  let settled = false;
  const done = () => {
    settled = true;
    process.off('beforeExit', onBeforeExit);
  };
  const onBeforeExit = () => {
    if (settled) return;
    done();
    process.stderr.write(errorLine('internal error: the run ended before its work was done (please report it)'));
    process.exitCode = internalCode;
  };
  process.on('beforeExit', onBeforeExit);
  work.then(done, done);
}
