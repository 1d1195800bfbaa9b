/**
 * A further connection to an address, up to the point where TLS starts: connect, then with
 * STARTTLS the greeting, EHLO and STARTTLS (RFC 3207 §4), each step within its stage's cap;
 * with implicit TLS (RFC 8314 §3) nothing after connect. What every further dialogue
 * (second-dialogue.ts) and the deep checks open before their own handshake or ClientHello.
 */
import type net from 'node:net';
import type { ProbeStage } from '../model/smtp.js';
import { StageError } from '../smtp/connection.js';
import { ehloArgument, SmtpClient } from '../smtp/client.js';
import type { ProbeRun } from './probe-run.js';
import { openSocket, quit } from './dialogue.js';

/**
 * A connection where the next bytes are the client's ClientHello: the socket, and the
 * plaintext SMTP client when TLS was reached with STARTTLS (null with implicit TLS).
 *
 * @example const { socket, smtp } = await reachTls(run, (s) => { step = s; });
 */
export interface TlsStart {
  socket: net.Socket;
  smtp: SmtpClient | null;
  /**
   * Bytes the server sent after its 220 to STARTTLS and before the handshake, discarded
   * unread (RFC 3207 §6; SmtpClient.startTls): with `pipelined` commands, the server answered
   * them in plaintext. 0 with implicit TLS.
   */
  discardedBytes: number;
}

/**
 * How reachTls walks: `pipelined` commands are written in the same packet right behind
 * STARTTLS (the server-side command injection check, RFC 3207 §6). Default: none.
 *
 * @example await reachTls(run, onStep, { pipelined: ['NOOP'] })
 */
export interface ReachOptions {
  pipelined?: readonly string[];
}

/**
 * Opens a new connection to the run's target and walks it to the start of TLS. Rejects with
 * a StageError (the server refused, timed out, closed; STARTTLS no longer offered); `onStep`
 * hears each step as it starts, so a caller can say where it stopped; `options` may pipeline
 * commands behind STARTTLS (ReachOptions).
 *
 * @example
 * let step: ProbeStage = 'connect';
 * const { socket, smtp } = await reachTls(run, (s) => { step = s; });
 */
export async function reachTls(run: ProbeRun, onStep: (step: ProbeStage) => void = () => undefined, options: ReachOptions = {}): Promise<TlsStart> {
  onStep('connect');
  const socket = await openSocket(run);
  if (run.facts.tlsMode !== 'starttls') return { socket, smtp: null, discardedBytes: 0 };
  const plain = new SmtpClient(socket, run.transcript, () => run.elapsed());
  onStep('banner');
  const greeting = await run.within('greeting', (ms) => plain.greeting(ms));
  if (greeting.code !== 220) {
    await quit(run, plain);
    throw new StageError('rejected', `server refused the session with ${greeting.code} ${greeting.lines.join(' ')}`);
  }
  onStep('ehlo');
  const ehlo = await run.within('command', (ms) => plain.ehlo(ehloArgument(socket, run.options.ehloName), ms));
  // The first dialogue saw STARTTLS offered (or a 530 asking for it); a further connection asks again.
  if (ehlo.code !== 250 && ehlo.code !== 530) throw new StageError('rejected', `EHLO refused with ${ehlo.code} ${ehlo.lines.join(' ')}`);
  if (ehlo.code === 250 && !plain.startTlsOffered) throw new StageError('protocol', 'STARTTLS no longer offered');
  onStep('starttls');
  const started = await run.within('command', (ms) => plain.startTls(ms, options.pipelined === undefined ? {} : { pipelined: options.pipelined }));
  if (!started.accepted) throw new StageError('rejected', `STARTTLS refused with ${started.reply.code} ${started.reply.lines.join(' ')}`);
  return { socket, smtp: plain, discardedBytes: started.discardedBytes };
}
