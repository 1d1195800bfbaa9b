/**
 * The stages of an SMTP probe dialogue, one small function each over the probe's state
 * (ProbeRun), in the order of Postfix's posttls-finger:
 * - STARTTLS (RFC 3207; ports 25 and 587): connect → greeting → EHLO → STARTTLS → TLS
 *   handshake → EHLO over TLS → QUIT;
 * - implicit TLS (RFC 8314 §3; port 465): connect → TLS handshake → greeting → EHLO → QUIT.
 * Every wait is bounded by its stage's cap, by what is left of the address's overall deadline
 * and by the abort signal (ProbeRun.within). A stage that meets a refusal records it and asks
 * for a polite QUIT; the server's other failures are thrown as StageError.
 */
import net from 'node:net';
import type { ProbeStage } from '../model/smtp.js';
import type { TlsMode } from '../model/tls.js';
import { StageError } from '../smtp/connection.js';
import { ehloArgument, SmtpClient } from '../smtp/client.js';
import { PlaintextReplyError, startTls } from '../tls/start-tls.js';
import type { ProbeRun } from './probe-run.js';

/** What a stage asks for next: the following stage, a polite QUIT (the dialogue is over), or nothing more. @example return 'quit'; */
export type Next = 'next' | 'quit' | 'end';

/** A stage: its name (in timings and failures) and what it does. @example const stage: Stage = { name: 'ehlo', run: ehloStage }; */
export interface Stage {
  name: ProbeStage;
  run(run: ProbeRun): Promise<Next>;
}

/** The port of submission over implicit TLS (RFC 8314 §7.3). */
const SUBMISSIONS_PORT = 465;

/** Wait for a TLS 1.3 session ticket before EHLO only when connecting took less than this. */
const TICKET_WAIT_MAX_RTT_MS = 10;

/**
 * Implicit TLS on port 465 (RFC 8314 §3.3), STARTTLS on every other port (25, 587, …).
 *
 * @example defaultTlsMode(465) // 'implicit'
 */
export function defaultTlsMode(port: number): TlsMode {
  return port === SUBMISSIONS_PORT ? 'implicit' : 'starttls';
}

/** A TCP connection to the target within the connect cap, tracked by the run (destroyed on abort and at the end). @example const socket = await openSocket(run); */
export function openSocket(run: ProbeRun): Promise<net.Socket> {
  const { target } = run;
  const signal = run.abortSignal;
  if (signal?.aborted === true) return Promise.reject(new StageError('aborted', 'probe aborted before connecting'));
  return run.within(
    'connect',
    (timeoutMs) =>
      new Promise((resolve, reject) => {
        const socket = run.track(net.connect({ host: target.ip, port: target.port, family: target.family }));
        const settle = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        };
        const onAbort = () => {
          settle();
          socket.destroy(); // within() reports the abort
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

/** Says goodbye (RFC 5321 §4.1.1.10) within the QUIT cap; failures here change no fact, an abort still ends it. @example await quit(run, smtp); */
export async function quit(run: ProbeRun, smtp: SmtpClient): Promise<void> {
  try {
    await run.within('quit', (ms) => smtp.quit(ms));
  } catch (err) {
    if (!(err instanceof StageError) || err.kind === 'aborted') throw err;
    // the server may close without a 221
  }
}

/**
 * A greeting that never comes on port 465 (probed with STARTTLS) is almost always a server
 * waiting for a ClientHello: the timeout says so.
 *
 * @example greetingTimeoutHint(465, new StageError('timeout', 'timeout while reading server greeting')).message
 * // 'timeout while reading server greeting (port 465 usually speaks implicit TLS: --tls implicit)'
 */
export function greetingTimeoutHint(port: number, err: unknown): unknown {
  if (!(err instanceof StageError) || err.kind !== 'timeout' || port !== SUBMISSIONS_PORT) return err;
  return new StageError('timeout', `${err.message} (port ${SUBMISSIONS_PORT} usually speaks implicit TLS: --tls implicit)`);
}

/** connect: the TCP connection; with STARTTLS, an SMTP client over it at once. */
const connect: Stage = {
  name: 'connect',
  async run(run) {
    const socket = await openSocket(run);
    run.socket = socket;
    run.facts.connected = true;
    run.note(`connected to ${run.target.ip} port ${run.target.port}${run.facts.tlsMode === 'implicit' ? ' (implicit TLS)' : ''}`);
    run.ehloName = ehloArgument(socket, run.options.ehloName);
    if (run.facts.tlsMode === 'starttls') run.smtp = new SmtpClient(socket, run.transcript, () => run.elapsed());
    return 'next';
  },
};

/** banner: the greeting, kept as it came; anything but 220 (RFC 5321 §4.2; 421/554 mean "go away", §3.1) is a refusal. */
const greeting: Stage = {
  name: 'banner',
  async run(run) {
    const smtp = run.client();
    let reply;
    try {
      reply = await run.within('greeting', (ms) => smtp.greeting(ms));
    } catch (err) {
      throw smtp.tls ? err : greetingTimeoutHint(run.target.port, err);
    }
    run.facts.banner = reply;
    if (reply.code === 220) return 'next';
    run.fail(new StageError('rejected', `server refused the session with ${reply.code} ${reply.lines.join(' ')}`));
    return 'quit';
  },
};

/**
 * ehlo: EHLO in plaintext. STARTTLS offered goes on; a 530 ("must issue STARTTLS first") asks
 * for TLS before anything else, so STARTTLS is tried although nothing was advertised; no
 * STARTTLS, or no ESMTP at all (500/502), is a fact and ends politely; any other reply is a refusal.
 */
const ehlo: Stage = {
  name: 'ehlo',
  async run(run) {
    const { facts } = run;
    const smtp = run.client();
    const reply = await run.within('command', (ms) => smtp.ehlo(run.ehloName, ms));
    const demandsTls = reply.code === 530;
    if (demandsTls) facts.tlsRequiredReply = reply;
    if (reply.code !== 250 && !demandsTls) {
      if (reply.code !== 500 && reply.code !== 502) run.fail(new StageError('rejected', `EHLO refused with ${reply.code} ${reply.lines.join(' ')}`));
      return 'quit';
    }
    facts.ehlo = demandsTls ? null : [...(smtp.extensions ?? [])];
    facts.starttls = !demandsTls && smtp.startTlsOffered;
    return facts.starttls || demandsTls ? 'next' : 'quit';
  },
};

/**
 * starttls: STARTTLS. A 220 lets go of the plaintext connection for the handshake; bytes the
 * server sent after it are discarded, counted (RFC 3207 §6). Any other reply ends politely
 * (a 530 says TLS is required yet not available).
 */
const starttls: Stage = {
  name: 'starttls',
  async run(run) {
    const { facts } = run;
    const started = await run.within('command', (ms) => run.client().startTls(ms));
    facts.starttlsReply = started.reply;
    if (!started.accepted) {
      if (started.reply.code === 530) facts.tlsRequiredReply = started.reply;
      return 'quit';
    }
    facts.injectedBytes = started.discardedBytes;
    if (facts.injectedBytes > 0) run.note(`discarded ${facts.injectedBytes} bytes sent in plaintext after the 220 to STARTTLS`);
    return 'next';
  },
};

/**
 * handshake: the permissive handshake that gathers the facts (start-tls.ts), on the TCP
 * connection: after the 220 to STARTTLS, or at once with implicit TLS. The SMTP client goes
 * on over TLS (forgetting what it learned in plaintext).
 */
const handshake: Stage = {
  name: 'handshake',
  async run(run) {
    const { facts, target } = run;
    const socket = run.socket;
    if (socket === null) throw new Error('handshake without a connection');
    let session;
    try {
      session = await run.within('handshake', (ms) => startTls(socket, target.host, run.options.trust, ms, run.abortSignal));
    } catch (err) {
      if (!(err instanceof PlaintextReplyError) || facts.tlsMode !== 'implicit') throw err;
      throw new StageError('tls', `${err.message}: it speaks STARTTLS, not implicit TLS (--tls starttls)`);
    }
    run.track(session.socket);
    facts.tls = session.tls;
    facts.certificate = session.certificate;
    run.note(`TLS established: ${session.tls.protocol} ${session.tls.cipher}`);
    if (run.smtp === null) run.smtp = new SmtpClient(session.socket, run.transcript, () => run.elapsed(), { tls: true });
    else run.smtp.useTls(session.socket);
    run.session = session;
    return 'next';
  },
};

/**
 * ehlo-tls: EHLO over TLS (RFC 3207 §4.2: ask again). Anything but 250 means no mail goes
 * over TLS here: a failure (the judge: TLS_DIALOGUE_FAILED), as are a timeout, a flood or a close.
 */
const ehloOverTls: Stage = {
  name: 'ehlo-tls',
  async run(run) {
    const { facts } = run;
    const smtp = run.client();
    // On a short path, let the TLS 1.3 session ticket arrive before EHLO (TlsSession.ticketArrived):
    // it comes within about one round trip. On a long path the wait would cost more than the
    // delayed-ACK stall it avoids, so there EHLO goes at once. (With implicit TLS the greeting came first.)
    const rtt = facts.timings.connect ?? Infinity;
    const session = run.session;
    if (facts.tlsMode === 'starttls' && session?.tls.protocol === 'TLSv1.3' && rtt < TICKET_WAIT_MAX_RTT_MS) {
      await run.guard(session.ticketArrived(Math.max(5, 4 * rtt)));
    }
    const reply = await run.within('command', (ms) => smtp.ehlo(run.ehloName, ms));
    if (reply.code !== 250) {
      run.fail(new StageError('rejected', `EHLO over TLS refused with ${reply.code} ${reply.lines.join(' ')}`.trim()));
      return 'quit';
    }
    facts.ehloTls = [...(smtp.extensions ?? [])];
    return 'next';
  },
};

/** quit: QUIT, politely (see quit). */
const goodbye: Stage = {
  name: 'quit',
  async run(run) {
    await quit(run, run.client());
    return 'end';
  },
};

/** The stages of a STARTTLS dialogue (RFC 3207), in order. @example await walk(run, STARTTLS_STAGES) */
export const STARTTLS_STAGES: readonly Stage[] = [connect, greeting, ehlo, starttls, handshake, ehloOverTls, goodbye];

/** The stages of an implicit TLS dialogue (RFC 8314 §3.3), in order. @example await walk(run, IMPLICIT_TLS_STAGES) */
export const IMPLICIT_TLS_STAGES: readonly Stage[] = [connect, handshake, greeting, ehloOverTls, goodbye];

/**
 * Walks `stages` in order over `run`, each entered (its clock and name) before it runs; a
 * stage that asks for QUIT jumps to the `quit` stage, one that asks for nothing more ends
 * the walk. A StageError thrown by a stage ends it too (no QUIT: the connection is unusable).
 *
 * @example await walk(run, run.facts.tlsMode === 'implicit' ? IMPLICIT_TLS_STAGES : STARTTLS_STAGES);
 */
export async function walk(run: ProbeRun, stages: readonly Stage[]): Promise<void> {
  for (let at = 0; at < stages.length; ) {
    const stage = stages[at] as Stage;
    run.enter(stage.name);
    const next = await stage.run(run);
    if (next === 'end') return;
    at = next === 'quit' ? stages.findIndex((s) => s.name === 'quit') : at + 1;
    if (at < 0) return;
  }
}
