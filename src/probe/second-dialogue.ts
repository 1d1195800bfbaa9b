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
import { ehloArgument, SmtpClient } from '../smtp/client.js';
import type { ProbeRun } from './probe-run.js';
import { openSocket, quit } from './dialogue.js';

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
    const socket = await openSocket(run);
    let smtp: SmtpClient | null = null;
    if (run.facts.tlsMode === 'starttls') {
      const plain = (smtp = new SmtpClient(socket, run.transcript, clock));
      step = 'banner';
      const greeting = await run.within('greeting', (ms) => plain.greeting(ms));
      if (greeting.code !== 220) {
        await quit(run, plain);
        throw new StageError('rejected', `server refused the session with ${greeting.code} ${greeting.lines.join(' ')}`);
      }
      step = 'ehlo';
      const ehlo = await run.within('command', (ms) => plain.ehlo(ehloArgument(socket, run.options.ehloName), ms));
      // The first dialogue saw STARTTLS offered (or a 530 asking for it); this one asks again.
      if (ehlo.code !== 250 && ehlo.code !== 530) throw new StageError('rejected', `EHLO refused with ${ehlo.code} ${ehlo.lines.join(' ')}`);
      if (ehlo.code === 250 && !plain.startTlsOffered) throw new StageError('protocol', 'STARTTLS no longer offered');
      step = 'starttls';
      const started = await run.within('command', (ms) => plain.startTls(ms));
      if (!started.accepted) throw new StageError('rejected', `STARTTLS refused with ${started.reply.code} ${started.reply.lines.join(' ')}`);
    }
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
