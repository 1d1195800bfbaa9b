/**
 * What the main thread and a probe worker (probe-workers.ts, probe-worker.ts) say to each
 * other, and the part of ProbeOptions that crosses between them. Everything posted survives
 * the structured clone: plain objects, arrays, strings, numbers and Errors. The trust store
 * (a TLS context, a certificate cache) and the abort signal do not cross: a worker builds
 * its own trust store from the same PEMs, and an abort is a message of its own.
 */
import type { AddressFacts } from '../model/address.js';
import type { TrustStore } from '../cert/trust-store.js';
import type { AddressTarget, ProbeOptions } from '../probe/probe-address.js';

/**
 * ProbeOptions without what cannot cross threads (`trust`, `signal`): deadlines, the EHLO
 * name, the stage caps, how TLS is reached, the deep probe's settings.
 *
 * @example const plain: PlainProbeOptions = { timeoutMs: 30_000, connectTimeoutMs: 10_000, ehloName: null };
 */
export type PlainProbeOptions = Omit<ProbeOptions, 'trust' | 'signal'>;

/**
 * What a worker is started with (workerData): the --ca-file PEMs its trust store adds to
 * Node's roots, and whether the run keeps SMTP transcripts (when not, a worker drops them
 * before posting: the main thread would only throw them away).
 *
 * @example const data: ProbeWorkerData = { extraCas: readCaFile('lab-ca.pem'), transcript: false };
 */
export interface ProbeWorkerData {
  extraCas: readonly string[];
  transcript: boolean;
}

/**
 * Main thread → worker: probe this target (`aborted`: the probe's signal had fired already),
 * or abort probe `id`.
 *
 * @example worker.postMessage({ kind: 'probe', id: 7, target, options: plainProbeOptions(options), aborted: false } satisfies ToProbeWorker)
 */
export type ToProbeWorker =
  | { kind: 'probe'; id: number; target: AddressTarget; options: PlainProbeOptions; aborted: boolean }
  | { kind: 'abort'; id: number };

/**
 * Worker → main thread: the facts of probe `id`, or the error it rejected with (a bug in
 * mxprobe, or an option out of range: never what the server did).
 *
 * @example parentPort.postMessage({ kind: 'facts', id: 7, facts } satisfies FromProbeWorker)
 */
export type FromProbeWorker = { kind: 'facts'; id: number; facts: AddressFacts } | { kind: 'error'; id: number; error: unknown };

/**
 * The options of a probe as they cross to a worker: every field but `trust` and `signal`.
 *
 * @example plainProbeOptions({ timeoutMs: 5_000, connectTimeoutMs: 5_000, ehloName: null, trust, signal }) // { timeoutMs: 5000, connectTimeoutMs: 5000, ehloName: null }
 */
export function plainProbeOptions(options: ProbeOptions): PlainProbeOptions {
  const { trust: _trust, signal: _signal, ...plain } = options;
  return plain;
}

/**
 * The options of a probe on the worker's side: what crossed, with the worker's own trust
 * store and the signal its abort message fires.
 *
 * @example await probeAddress(message.target, workerProbeOptions(message.options, trust, controller.signal))
 */
export function workerProbeOptions(plain: PlainProbeOptions, trust: TrustStore, signal: AbortSignal): ProbeOptions {
  return { ...plain, trust, signal };
}

/**
 * The facts as a worker posts them: without the SMTP transcript when the run does not keep it.
 *
 * @example parentPort.postMessage({ kind: 'facts', id, facts: factsToPost(facts, data.transcript) })
 */
export function factsToPost(facts: AddressFacts, transcript: boolean): AddressFacts {
  if (!transcript) delete facts.transcript;
  return facts;
}
