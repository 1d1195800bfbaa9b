/**
 * The handshake of a DANE sender where its SNI is not the MX host name (RFC 7672 §8.1: the TLSA
 * base domain, a secure CNAME target of the host, §2.2.3): a second connection
 * (second-dialogue.ts) with the probe's permissive handshake (start-tls.ts) sending that name,
 * so that a server which picks its certificate by SNI shows the chain a DANE sender gets.
 */
import type { DaneHandshakeFacts } from '../model/dane.js';
import { startTls } from '../tls/start-tls.js';
import type { ProbeRun } from './probe-run.js';
import { secondDialogue } from './second-dialogue.js';

/**
 * Makes the DANE sender's handshake with SNI `serverName` on a new connection. Never throws
 * for a remote problem (where it stopped is in `failure`); rethrows an abort, and any error
 * that is not a StageError (a bug).
 *
 * @example if (run.target.daneServerName !== undefined) run.facts.daneHandshake = await checkDaneHandshake(run, run.target.daneServerName);
 */
export async function checkDaneHandshake(run: ProbeRun, serverName: string): Promise<DaneHandshakeFacts> {
  run.enter('dane-handshake');
  run.note(`second connection: the handshake of a DANE sender, SNI ${serverName} (the TLSA base domain, RFC 7672 §8.1)`);
  const outcome = await secondDialogue(run, (socket, ms) => startTls(socket, serverName, run.options.trust, ms, run.abortSignal));
  if (outcome.ok) {
    const { session } = outcome;
    run.note(`DANE SNI ${serverName}: TLS established: ${session.tls.protocol} ${session.tls.cipher}`);
    return { sni: serverName, tls: session.tls, certificate: session.certificate, failure: null };
  }
  const { step, error } = outcome;
  run.note(`DANE SNI ${serverName}: ${error.message}`);
  return { sni: serverName, tls: null, certificate: null, failure: { stage: step, kind: error.kind, message: error.message } };
}
