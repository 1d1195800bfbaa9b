/**
 * A probe worker's entry (a worker_threads script, dist/probe-worker.js): probes the
 * addresses the main thread posts (probe-workers.ts), each with the real probeAddress and
 * this worker's own trust store, and posts back their facts. Many probes run at once, as in
 * the main thread; an abort message ends one. A probe that rejects (a bug in mxprobe) is
 * posted back as its error, for the run to end as with any bug; an exception outside a probe
 * ends the worker, which the main thread sees too.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { makeTrustStore } from '../cert/trust-store.js';
import { probeAddress } from '../probe/probe-address.js';
import { factsToPost, workerProbeOptions, type FromProbeWorker, type ProbeWorkerData, type ToProbeWorker } from './probe-worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('probe-worker.js runs as a worker thread only');
const data = workerData as ProbeWorkerData;
const trust = makeTrustStore(data.extraCas);
/** The abort of each probe in flight, by id. */
const inFlight = new Map<number, AbortController>();

const post = (message: FromProbeWorker): void => {
  try {
    port.postMessage(message);
  } catch (err) {
    // An error that cannot be cloned (a thrown value that is not an Error): its words cross.
    if (message.kind !== 'error') throw err;
    port.postMessage({ kind: 'error', id: message.id, error: new Error(String(message.error)) } satisfies FromProbeWorker);
  }
};

async function probe(message: Extract<ToProbeWorker, { kind: 'probe' }>): Promise<void> {
  const controller = new AbortController();
  if (message.aborted) controller.abort();
  inFlight.set(message.id, controller);
  try {
    const facts = await probeAddress(message.target, workerProbeOptions(message.options, trust, controller.signal));
    post({ kind: 'facts', id: message.id, facts: factsToPost(facts, data.transcript) });
  } catch (error) {
    post({ kind: 'error', id: message.id, error });
  } finally {
    inFlight.delete(message.id);
  }
}

port.on('message', (message: ToProbeWorker) => {
  if (message.kind === 'probe') void probe(message);
  else inFlight.get(message.id)?.abort();
});
