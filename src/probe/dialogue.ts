/**
 * The stages of an SMTP probe dialogue, one small function each, every wait bounded by the
 * stage deadline, by what is left of the address's overall deadline, and by the abort signal
 * (ProbeRun.guard). probe-address.ts and modern-check.ts put them in order.
 */
import net from 'node:net';
import type { SmtpReply } from '../model/smtp.js';
import { SmtpConnection, StageError } from '../smtp/connection.js';
import type { ProbeRun } from './probe-run.js';

/** Deadlines and the EHLO name of a dialogue. @example const d: DialogueOptions = { connectTimeoutMs: 10_000, stageTimeoutMs: 30_000, ehloName: null }; */
export interface DialogueOptions {
  /** Deadline for the TCP connection, in ms (capped by what is left of the overall deadline). */
  connectTimeoutMs: number;
  /** Deadline for each reply and for the handshake, in ms (capped likewise). */
  stageTimeoutMs: number;
  /** EHLO argument; null: the address literal of the local end (RFC 5321 §4.1.4). */
  ehloName: string | null;
}

/** Time to wait for the 221 to QUIT: politeness only, never worth a long wait. */
const QUIT_WAIT_MS = 1000;

/**
 * The extension keywords of an EHLO reply: each line after the first (RFC 5321 §4.1.1.1), upper-cased.
 *
 * @example ehloKeywords({ code: 250, lines: ['mx.example.com', 'starttls'] }) // ['STARTTLS']
 */
export function ehloKeywords(reply: SmtpReply): string[] {
  return reply.lines.slice(1).map((line) => line.trim().toUpperCase());
}

/** STARTTLS among the EHLO keywords (RFC 3207 §4). @example isStartTlsOffered(['PIPELINING', 'STARTTLS']) // true */
export function isStartTlsOffered(keywords: readonly string[]): boolean {
  return keywords.some((keyword) => keyword === 'STARTTLS' || keyword.startsWith('STARTTLS '));
}

/**
 * The EHLO argument: `given` (--ehlo-name, or this host's FQDN), else the address literal of
 * the local end (RFC 5321 §4.1.4; the literal's form: §4.1.3).
 *
 * @example ehloArgument(socket, null) // '[192.0.2.7]'
 */
export function ehloArgument(socket: net.Socket, given: string | null): string {
  if (given !== null) return given;
  const local = socket.localAddress ?? '127.0.0.1';
  return local.includes(':') ? `[IPv6:${local}]` : `[${local}]`;
}

/** A TCP connection to the target, tracked by the run (destroyed on abort and at the end). @example const socket = await openSocket(run, 10_000); */
export function openSocket(run: ProbeRun, connectTimeoutMs: number): Promise<net.Socket> {
  const { target } = run;
  const timeoutMs = run.left(connectTimeoutMs);
  const signal = run.abortSignal;
  if (signal?.aborted === true) return Promise.reject(new StageError('aborted', 'probe aborted before connecting'));
  return run.guard(
    new Promise((resolve, reject) => {
      const socket = run.track(net.connect({ host: target.ip, port: target.port, family: target.family }));
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        settle();
        socket.destroy(); // the guard reports the abort
      };
      const timer = setTimeout(() => {
        settle();
        socket.destroy();
        reject(new StageError('timeout', `timeout while connecting to ${target.ip} port ${target.port}`));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        settle();
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        settle();
        socket.destroy();
        reject(new StageError('connect', `cannot connect to ${target.ip} port ${target.port}: ${err.code ?? err.message}`));
      });
    }),
  );
}

/**
 * Reads the greeting (handed to `keep` as it came, refusals too); anything but 220 (RFC 5321
 * §4.2; 421/554 mean "go away", §3.1) ends the dialogue with a polite QUIT and a `rejected`
 * failure.
 *
 * @example await greeting(run, smtp, 30_000, 'server greeting', (reply) => (facts.banner = reply));
 */
export async function greeting(
  run: ProbeRun,
  smtp: SmtpConnection,
  stageTimeoutMs: number,
  what: string,
  keep: (reply: SmtpReply) => void = () => {},
): Promise<SmtpReply> {
  const reply = await run.guard(smtp.readReply(run.left(stageTimeoutMs), what));
  keep(reply);
  if (reply.code !== 220) {
    await quit(run, smtp);
    throw new StageError('rejected', `server refused the session with ${reply.code} ${reply.lines.join(' ')}`);
  }
  return reply;
}

/** Says goodbye (RFC 5321 §4.1.1.10); failures here change no fact, an abort still ends it. @example await quit(run, smtp); */
export async function quit(run: ProbeRun, smtp: SmtpConnection): Promise<void> {
  try {
    await run.guard(smtp.command('QUIT', run.left(QUIT_WAIT_MS)));
  } catch (err) {
    if (err instanceof StageError && err.kind === 'aborted') throw err;
    // the server may close without a 221
  }
}
