/**
 * Probes one SMTP server address, in the stages of Postfix's posttls-finger:
 * - STARTTLS (RFC 3207; ports 25 and 587): connect → greeting → EHLO → STARTTLS → TLS
 *   handshake → EHLO over TLS → QUIT;
 * - implicit TLS (RFC 8314 §3; port 465): connect → TLS handshake → greeting → EHLO → QUIT.
 * When the handshake's facts leave doubt about what a sender with current TLS defaults gets,
 * a second connection makes that sender's handshake (modern-check.ts).
 * Each stage has its own deadline inside one overall deadline for the address; an abort
 * signal ends every wait at once and destroys the sockets. Never sends mail and never throws
 * for a remote problem: whatever happens becomes AddressFacts.
 */
import type { Socket } from 'node:net';
import type { AddressFacts } from '../model/address.js';
import type { TlsMode } from '../model/tls.js';
import { SmtpConnection, StageError } from '../smtp/connection.js';
import { PlaintextReplyError, startTls, type TlsSession } from '../tls/start-tls.js';
import type { TrustStore } from '../cert/trust-store.js';
import { ProbeRun, type AddressTarget, type ProbeClock } from './probe-run.js';
import { ehloArgument, ehloKeywords, greeting, isStartTlsOffered, openSocket, quit, type DialogueOptions } from './dialogue.js';
import { checkModernTls, modernCheckNeeded } from './modern-check.js';

export type { AddressTarget } from './probe-run.js';

/**
 * How one address is probed: its clock (overall deadline, abort signal), the deadlines and
 * EHLO name of the dialogue, the trust anchors, and how TLS is reached.
 *
 * @example const options: ProbeOptions = { timeoutMs: 30_000, connectTimeoutMs: 10_000, stageTimeoutMs: 30_000, ehloName: null, trust };
 */
export interface ProbeOptions extends ProbeClock, DialogueOptions {
  trust: TrustStore;
  /** How TLS is reached (--tls); default: by the port (defaultTlsMode). */
  tlsMode?: TlsMode;
}

/** Wait for a TLS 1.3 session ticket before EHLO only when connecting took less than this. */
const TICKET_WAIT_MAX_RTT_MS = 10;

/** The port of submission over implicit TLS (RFC 8314 §7.3). */
const SUBMISSIONS_PORT = 465;

/**
 * Implicit TLS on port 465 (RFC 8314 §3.3), STARTTLS on every other port (25, 587, …).
 *
 * @example defaultTlsMode(465) // 'implicit'
 */
export function defaultTlsMode(port: number): TlsMode {
  return port === SUBMISSIONS_PORT ? 'implicit' : 'starttls';
}

/** @example const facts = await probeAddress({ host: 'mx.example.com', ip: '192.0.2.25', family: 4, port: 25 }, options); */
export async function probeAddress(target: AddressTarget, options: ProbeOptions): Promise<AddressFacts> {
  const run = new ProbeRun(target, options, options.tlsMode ?? defaultTlsMode(target.port));
  try {
    if (run.facts.tlsMode === 'implicit') await implicitDialogue(run, options);
    else await starttlsDialogue(run, options);
    const tls = run.facts.tls;
    if (tls !== null && run.facts.failure === null && modernCheckNeeded(tls)) {
      run.closeSockets(); // the first session is over (QUIT) before the second starts
      run.facts.modernTls = await checkModernTls(run, options);
    }
  } catch (err) {
    run.fail(err);
  } finally {
    run.finish();
  }
  return run.facts;
}

/** RFC 3207: EHLO in plaintext, STARTTLS, the handshake on the same socket, EHLO again over TLS. */
async function starttlsDialogue(run: ProbeRun, options: ProbeOptions): Promise<void> {
  const { facts } = run;
  const socket = await openSocket(run, options.connectTimeoutMs);
  connected(run);
  const smtp = new SmtpConnection(socket, run.transcript, () => run.elapsed());

  run.enter('banner');
  try {
    await greeting(run, smtp, options.stageTimeoutMs, 'server greeting', (reply) => (facts.banner = reply));
  } catch (err) {
    throw greetingTimeoutHint(run.target.port, err);
  }

  run.enter('ehlo');
  const ehloName = ehloArgument(socket, options.ehloName);
  const ehlo = await run.guard(smtp.command(`EHLO ${ehloName}`, run.left(options.stageTimeoutMs)));
  // A server that answers even EHLO with 530 "must issue STARTTLS first" wants TLS before
  // anything else: try STARTTLS although nothing was advertised.
  const demandsTls = ehlo.code === 530;
  if (demandsTls) facts.tlsRequiredReply = ehlo;
  if (ehlo.code !== 250 && !demandsTls) {
    await quit(run, smtp);
    if (ehlo.code === 500 || ehlo.code === 502) return; // no ESMTP at all, so no STARTTLS: a fact, not a failure
    throw new StageError('rejected', `EHLO refused with ${ehlo.code} ${ehlo.lines.join(' ')}`);
  }
  facts.ehlo = demandsTls ? null : ehloKeywords(ehlo);
  facts.starttls = facts.ehlo !== null && isStartTlsOffered(facts.ehlo);
  if (!facts.starttls && !demandsTls) {
    run.enter('quit');
    await quit(run, smtp);
    return;
  }

  run.enter('starttls');
  facts.starttlsReply = await run.guard(smtp.command('STARTTLS', run.left(options.stageTimeoutMs)));
  if (facts.starttlsReply.code !== 220) {
    if (facts.starttlsReply.code === 530) facts.tlsRequiredReply = facts.starttlsReply;
    run.enter('quit');
    await quit(run, smtp);
    return;
  }
  const plaintextBytes = smtp.bytesReceived;
  // RFC 3207 §6: anything the server sent after its 220 and before the handshake is discarded.
  facts.injectedBytes = smtp.detach();
  if (facts.injectedBytes > 0) run.note(`discarded ${facts.injectedBytes} bytes sent in plaintext after the 220 to STARTTLS`);

  run.enter('handshake');
  const session = await handshake(run, socket, options);

  // RFC 3207 §4.2: what was learned before TLS is forgotten; ask again.
  run.enter('ehlo-tls');
  const secure = new SmtpConnection(session.socket, run.transcript, () => run.elapsed(), undefined, plaintextBytes);
  // On a short path, let the TLS 1.3 session ticket arrive before EHLO (see ticketArrived):
  // it comes within about one round trip. On a long path the wait would cost more than the
  // delayed-ACK stall it avoids, so there EHLO goes at once.
  const rtt = facts.timings.connect ?? Infinity;
  if (session.tls.protocol === 'TLSv1.3' && rtt < TICKET_WAIT_MAX_RTT_MS) await run.guard(session.ticketArrived(Math.max(5, 4 * rtt)));
  facts.ehloTls = await ehloOverTls(run, secure, ehloName, options);

  run.enter('quit');
  await quit(run, secure);
}

/** RFC 8314 §3.3: the handshake right after connecting, then the greeting and EHLO over TLS. */
async function implicitDialogue(run: ProbeRun, options: ProbeOptions): Promise<void> {
  const { facts } = run;
  const socket = await openSocket(run, options.connectTimeoutMs);
  connected(run);

  run.enter('handshake');
  let session: TlsSession;
  try {
    session = await handshake(run, socket, options);
  } catch (err) {
    if (!(err instanceof PlaintextReplyError)) throw err;
    throw new StageError('tls', `${err.message}: it speaks STARTTLS, not implicit TLS (--tls starttls)`);
  }

  run.enter('banner');
  const smtp = new SmtpConnection(session.socket, run.transcript, () => run.elapsed());
  await greeting(run, smtp, options.stageTimeoutMs, 'server greeting over TLS', (reply) => (facts.banner = reply));

  run.enter('ehlo-tls');
  facts.ehloTls = await ehloOverTls(run, smtp, ehloArgument(socket, options.ehloName), options);

  run.enter('quit');
  await quit(run, smtp);
}

function connected(run: ProbeRun): void {
  run.facts.connected = true;
  run.note(`connected to ${run.target.ip} port ${run.target.port}${run.facts.tlsMode === 'implicit' ? ' (implicit TLS)' : ''}`);
}

/** The permissive handshake that gathers the facts (start-tls.ts). */
async function handshake(run: ProbeRun, socket: Socket, options: ProbeOptions): Promise<TlsSession> {
  const session = await run.guard(startTls(socket, run.target.host, options.trust, run.left(options.stageTimeoutMs), run.abortSignal));
  run.track(session.socket);
  run.facts.tls = session.tls;
  run.facts.certificate = session.certificate;
  run.note(`TLS established: ${session.tls.protocol} ${session.tls.cipher}`);
  return session;
}

/**
 * EHLO over TLS: anything but 250 means no mail goes over TLS here, so it ends the dialogue
 * as a failure (the judge: TLS_DIALOGUE_FAILED), as do a timeout, a flood or a close.
 */
async function ehloOverTls(run: ProbeRun, smtp: SmtpConnection, ehloName: string, options: ProbeOptions): Promise<string[]> {
  const reply = await run.guard(smtp.command(`EHLO ${ehloName}`, run.left(options.stageTimeoutMs), 'reply to EHLO over TLS'));
  if (reply.code !== 250) {
    await quit(run, smtp);
    throw new StageError('rejected', `EHLO over TLS refused with ${reply.code} ${reply.lines.join(' ')}`.trim());
  }
  return ehloKeywords(reply);
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
