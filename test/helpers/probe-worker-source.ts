// The probe worker's script run from the sources (src/pipeline/probe-worker.ts), for tests that start
// probe workers in the test process: a worker does not take the `--import tsx` of its parent for its
// own entry, so a small module (a data: URL) registers tsx in the worker first, imports the real
// entry, then runs `prelude` (a fault to inject, say): after the entry, whose listener must be the
// first on the port (a listener starts the port, and the messages queued so far go to the listeners
// there are). The CLI's workers run dist/probe-worker.js.
// Test helper only.

const TSX_API = import.meta.resolve('tsx/esm/api');
const ENTRY = new URL('../../src/pipeline/probe-worker.ts', import.meta.url).href;

/**
 * @example new ProbeWorkers({ count: 2, extraCas: [], transcript: false, entry: sourceWorkerEntry() })
 * @example sourceWorkerEntry(`import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => { throw new Error('bug'); });`)
 */
export function sourceWorkerEntry(prelude = ''): URL {
  const code = [`import { register } from ${JSON.stringify(TSX_API)};`, 'register();', `await import(${JSON.stringify(ENTRY)});`, prelude].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
