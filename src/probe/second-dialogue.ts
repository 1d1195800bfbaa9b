/**
 * A second connection to an address after its dialogue, for one more TLS handshake made another
 * way (modern-check.ts: a sender with current TLS defaults; dane-check.ts: a DANE sender's SNI):
 * connect → greeting → EHLO → STARTTLS → handshake → QUIT, or connect → handshake → greeting →
 * QUIT with implicit TLS, each step within its stage's cap and the address's overall deadline.
 * Never throws for a remote problem: where it stopped is the outcome.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import type { ProbeStage } from '../model/smtp.js';
import { StageError } from '../smtp/connection.js';
import { SmtpClient } from '../smtp/client.js';
import type { ProbeRun } from './probe-run.js';
import { quit } from './dialogue.js';
import { reachTls } from './reach-tls.js';

/**
 * How a second dialogue ended: with the handshake's session, or with the step it stopped at
 * (`handshake`: the handshake itself failed) and why.
 *
 * @example if (!outcome.ok && outcome.step === 'handshake') console.log(outcome.error.message)
 */
export type SecondDialogue<S> = { ok: true; session: S } | { ok: false; step: ProbeStage; error: StageError };

/**
 * Walks a new connection of `run` to its TLS handshake, made by `handshake` (over the TCP
 * socket, with the stage's time), then says QUIT over TLS. Rethrows an abort, and any error
 * that is not a StageError (a bug); closes its sockets in every case.
 *
 * @example const outcome = await secondDialogue(run, (socket, ms) => modernHandshake(socket, run.target.host, ms, run.abortSignal));
 */
export async function secondDialogue<S extends { socket: tls.TLSSocket }>(run: ProbeRun, handshake: (socket: net.Socket, timeoutMs: number) => Promise<S>): Promise<SecondDialogue<S>> {
  const clock = () => run.elapsed();
  let step: ProbeStage = 'connect';
  try {
    const reached = await reachTls(run, (s) => {
      step = s;
    });
    const { socket } = reached;
    let smtp: SmtpClient | null = reached.smtp;
    step = 'handshake';
    const session = await run.within('handshake', (ms) => handshake(socket, ms));
    run.track(session.socket);
    if (smtp === null) {
      const secure = (smtp = new SmtpClient(session.socket, run.transcript, clock, { tls: true }));
      try {
        await run.within('greeting', (ms) => secure.greeting(ms));
      } catch (err) {
        if (!(err instanceof StageError) || err.kind === 'aborted') throw err;
        // the handshake is what was wanted; a greeting that fails now changes nothing
      }
    } else smtp.useTls(session.socket);
    await quit(run, smtp);
    return { ok: true, session };
  } catch (err) {
    if (!(err instanceof StageError)) throw err;
    if (err.kind === 'aborted' || run.abortSignal?.aborted === true) throw err;
    return { ok: false, step, error: err };
  } finally {
    run.closeSockets();
  }
}
