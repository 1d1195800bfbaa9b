/**
 * Probes one SMTP server address, in the stages of Postfix's posttls-finger:
 * connect → greeting → EHLO → STARTTLS → TLS handshake → EHLO over TLS → QUIT.
 * Each stage has its own deadline inside one overall deadline for the address. Never sends
 * mail and never throws for a remote problem: whatever happens becomes AddressFacts.
 */
import net from 'node:net';
import type { AddressFacts, ProbeStage, SmtpReply, TranscriptEntry } from '../model/result.js';
import { SmtpConnection, StageError } from '../smtp/connection.js';
import { startTls } from '../tls/start-tls.js';
import type { TrustStore } from '../cert/trust-store.js';

export interface AddressTarget {
  /** MX host name: used for SNI and, later, the name match. */
  host: string;
  ip: string;
  family: 4 | 6;
  port: number;
}

export interface ProbeOptions {
  /** Overall deadline for one address, in ms. */
  timeoutMs: number;
  /** Deadline for the TCP connection, in ms (capped by timeoutMs). */
  connectTimeoutMs: number;
  /** Deadline for each reply and for the handshake, in ms (capped by what is left of timeoutMs). */
  stageTimeoutMs: number;
  /** EHLO argument; default: this host's FQDN, or the address literal of the local end (RFC 5321 §4.1.4). */
  ehloName: string | null;
  trust: TrustStore;
  /**
   * Aborts the probe: the socket is destroyed at once and the facts so far are returned
   * with a failure (a batch stopped by a signal, a domain past its deadline).
   */
  signal?: AbortSignal;
}

/** Wait for a TLS 1.3 session ticket before EHLO only when connecting took less than this. */
const TICKET_WAIT_MAX_RTT_MS = 10;

/** Time to wait for the 221 to QUIT: politeness only, never worth a long wait. */
const QUIT_WAIT_MS = 1000;

/** A 220 greeting (RFC 5321 §4.2); 421/554 mean "go away" (§3.1). */
const isGreeting = (reply: SmtpReply) => reply.code === 220;

function ehloKeywords(reply: SmtpReply): string[] {
  // The first line is the server's domain and greeting; each later line is one extension (RFC 5321 §4.1.1.1).
  return reply.lines.slice(1).map((line) => line.trim().toUpperCase());
}

function addressLiteral(socket: net.Socket): string {
  const local = socket.localAddress ?? '127.0.0.1';
  return local.includes(':') ? `[IPv6:${local}]` : `[${local}]`;
}

export async function probeAddress(target: AddressTarget, options: ProbeOptions): Promise<AddressFacts> {
  const started = performance.now();
  const deadline = started + options.timeoutMs;
  const elapsed = () => Math.round(performance.now() - started);
  const left = (cap: number) => Math.max(0, Math.min(cap, deadline - performance.now()));
  const transcript: TranscriptEntry[] = [];
  const facts: AddressFacts = {
    ip: target.ip,
    family: target.family,
    port: target.port,
    host: target.host,
    connected: false,
    banner: null,
    ehlo: null,
    starttls: false,
    starttlsReply: null,
    injectedBytes: 0,
    tlsRequiredReply: null,
    tls: null,
    ehloTls: null,
    certificate: null,
    failure: null,
    timings: { total: 0 },
    transcript,
  };
  let stage: ProbeStage = 'connect';
  let stageStart = performance.now();
  const enter = (next: ProbeStage) => {
    facts.timings[stage] = Math.round(performance.now() - stageStart);
    stage = next;
    stageStart = performance.now();
  };
  const note = (text: string) => transcript.push({ dir: '*', text, ms: elapsed() });

  let socket: net.Socket | null = null;
  try {
    socket = await connect(target, left(options.connectTimeoutMs));
    facts.connected = true;
    note(`connected to ${target.ip} port ${target.port}`);
    let smtp = new SmtpConnection(socket, transcript, elapsed);

    enter('banner');
    facts.banner = await smtp.readReply(left(options.stageTimeoutMs), 'server greeting');
    if (!isGreeting(facts.banner)) {
      await quit(smtp, left(QUIT_WAIT_MS));
      throw new StageError('rejected', `server refused the session with ${facts.banner.code} ${facts.banner.lines.join(' ')}`);
    }

    enter('ehlo');
    const ehloName = options.ehloName ?? addressLiteral(socket);
    const ehlo = await smtp.command(`EHLO ${ehloName}`, left(options.stageTimeoutMs));
    // A server that answers even EHLO with 530 "must issue STARTTLS first" wants TLS before
    // anything else: try STARTTLS although nothing was advertised.
    const demandsTls = ehlo.code === 530;
    if (demandsTls) facts.tlsRequiredReply = ehlo;
    if (ehlo.code !== 250 && !demandsTls) {
      await quit(smtp, left(QUIT_WAIT_MS));
      if (ehlo.code === 500 || ehlo.code === 502) return facts; // no ESMTP at all, so no STARTTLS: a fact, not a failure
      throw new StageError('rejected', `EHLO refused with ${ehlo.code} ${ehlo.lines.join(' ')}`);
    }
    facts.ehlo = demandsTls ? null : ehloKeywords(ehlo);
    facts.starttls = facts.ehlo?.some((keyword) => keyword === 'STARTTLS' || keyword.startsWith('STARTTLS ')) ?? false;
    if (!facts.starttls && !demandsTls) {
      enter('quit');
      await quit(smtp, left(QUIT_WAIT_MS));
      return facts;
    }

    enter('starttls');
    facts.starttlsReply = await smtp.command('STARTTLS', left(options.stageTimeoutMs));
    if (facts.starttlsReply.code !== 220) {
      if (facts.starttlsReply.code === 530) facts.tlsRequiredReply = facts.starttlsReply;
      enter('quit');
      await quit(smtp, left(QUIT_WAIT_MS));
      return facts;
    }
    // RFC 3207 §6: anything the server sent after its 220 and before the handshake is discarded.
    facts.injectedBytes = smtp.detach();
    if (facts.injectedBytes > 0) note(`discarded ${facts.injectedBytes} bytes sent in plaintext after the 220 to STARTTLS`);

    enter('handshake');
    const session = await startTls(socket, target.host, options.trust, left(options.stageTimeoutMs));
    socket = session.socket;
    facts.tls = session.tls;
    facts.certificate = session.certificate;
    note(`TLS established: ${session.tls.protocol} ${session.tls.cipher}`);

    // RFC 3207 §4.2: what was learned before TLS is forgotten; ask again.
    enter('ehlo-tls');
    smtp = new SmtpConnection(socket, transcript, elapsed);
    // On a short path, let the TLS 1.3 session ticket arrive before EHLO (see ticketArrived):
    // it comes within about one round trip. On a long path the wait would cost more than the
    // delayed-ACK stall it avoids, so there EHLO goes at once.
    const rtt = facts.timings.connect ?? Infinity;
    if (session.tls.protocol === 'TLSv1.3' && rtt < TICKET_WAIT_MAX_RTT_MS) await session.ticketArrived(Math.max(5, 4 * rtt));
    const ehloTls = await smtp.command(`EHLO ${ehloName}`, left(options.stageTimeoutMs));
    if (ehloTls.code === 250) facts.ehloTls = ehloKeywords(ehloTls);

    enter('quit');
    await quit(smtp, left(QUIT_WAIT_MS));
    return facts;
  } catch (err) {
    const error = err instanceof StageError ? err : new StageError('protocol', (err as Error).message);
    facts.failure = { stage, kind: error.kind, message: error.message };
    note(error.message);
    return facts;
  } finally {
    facts.timings[stage] ??= Math.round(performance.now() - stageStart);
    facts.timings.total = elapsed();
    socket?.destroy();
  }
}

function connect(target: AddressTarget, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.ip, port: target.port, family: target.family });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new StageError('timeout', `timeout while connecting to ${target.ip} port ${target.port}`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new StageError('connect', `cannot connect to ${target.ip} port ${target.port}: ${err.code ?? err.message}`));
    });
  });
}

/** Says goodbye (RFC 5321 §4.1.1.10); failures here change no fact. */
async function quit(smtp: SmtpConnection, timeoutMs: number): Promise<void> {
  try {
    await smtp.command('QUIT', timeoutMs);
  } catch {
    // the server may close without a 221
  }
}
