/**
 * An ora spinner on stderr, only when stderr is a terminal and not in CI, so pipes and CI
 * logs get no control sequences. Its text is asked for again every `refreshMs`.
 */
export interface Spinner {
  /** Runs `write` with the spinner line cleared, so rows on the same terminal stay intact. */
  around(write: () => void): void;
  stop(): void;
}

/** A spinner, or null when stderr is not an interactive terminal (the caller decides what to do instead). */
export async function startSpinner(text: () => string, refreshMs = 250): Promise<Spinner | null> {
  if (process.stderr.isTTY !== true || process.env.CI === 'true') return null;
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: process.stderr, text: text() }).start();
  const timer = setInterval(() => (spinner.text = text()), refreshMs);
  timer.unref();
  return {
    around(write) {
      spinner.clear();
      write();
      spinner.render();
    },
    stop() {
      clearInterval(timer);
      spinner.stop();
    },
  };
}
