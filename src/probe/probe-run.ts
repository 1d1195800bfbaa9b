/**
 * The state of one address probe, walked through the stage functions of dialogue.ts (as
 * Postfix's posttls-finger walks its one state struct): the options, the facts gathered so
 * far, the connection in use (socket, SMTP client, EHLO name), the current stage and its
 * clock, each stage's cap and the overall deadline, the sockets opened, and the abort signal
 * that ends every wait at once.
 */
import net from 'node:net';
import type { AddressFacts } from '../model/address.js';
import type { ProbeStage, TranscriptEntry } from '../model/smtp.js';
import type { TlsMode } from '../model/tls.js';
import { StageError } from '../smtp/connection.js';
import type { SmtpClient } from '../smtp/client.js';
import type { TrustStore } from '../cert/trust-store.js';
import type { TlsSession } from '../tls/start-tls.js';
import type { DeepProbeOptions } from '../deep/deep-options.js';
import { STAGE_CAPS, type StageCaps, type StageDeadlines } from './stage-deadlines.js';

/** The address probed. @example const target: AddressTarget = { host: 'mx.example.com', ip: '192.0.2.25', family: 4, port: 25 }; */
export interface AddressTarget {
  /** MX host name: used for SNI and, later, the name match. */
  host: string;
  ip: string;
  family: 4 | 6;
  port: number;
  /**
   * The TLSA base domain, where DANE applies to the host and it is not `host` (rules/dane-applies.ts
   * daneServerName): a second handshake sends it as SNI, as a DANE sender does (RFC 7672 §8.1),
   * and its chain is the one DANE is judged on (AddressFacts.daneHandshake).
   */
  daneServerName?: string;
}

/** The overall deadline and the abort signal. @example const clock: ProbeClock = { timeoutMs: 30_000, signal: controller.signal }; */
export interface ProbeClock {
  /** Overall deadline for the address, in ms. */
  timeoutMs: number;
  /**
   * Aborts the probe: the socket is destroyed at once and the facts so far are returned
   * with a failure of kind `aborted` (a batch stopped by a signal, a domain past its deadline).
   */
  signal?: AbortSignal;
}

/** The connection deadline, the EHLO name and the stage caps of a dialogue. @example const d: DialogueOptions = { connectTimeoutMs: 10_000, ehloName: null }; */
export interface DialogueOptions {
  /** Deadline for the TCP connection, in ms (capped by what is left of the overall deadline). */
  connectTimeoutMs: number;
  /** EHLO argument; null: the address literal of the local end (RFC 5321 §4.1.4). */
  ehloName: string | null;
  /** Caps of the other stages (stage-deadlines.ts); default STAGE_CAPS. */
  stageCaps?: Partial<StageCaps>;
}

/**
 * How one address is probed: its clock (overall deadline, abort signal), the dialogue's
 * deadlines and EHLO name, the trust anchors, and how TLS is reached.
 *
 * @example const options: ProbeOptions = { timeoutMs: 30_000, connectTimeoutMs: 10_000, ehloName: null, trust };
 */
export interface ProbeOptions extends ProbeClock, DialogueOptions {
  trust: TrustStore;
  /** How TLS is reached (--tls); default: by the port (defaultTlsMode). */
  tlsMode?: TlsMode;
  /**
   * Probe deeply too (`--deep`): after the probe, what else the address accepts, on further
   * connections with their own deadline (deep/deep-probe.ts). Absent: no deep probe.
   */
  deep?: DeepProbeOptions;
}

/**
 * The facts of an address before anything was learned (not connected, no reply, no TLS):
 * the start of every probe, and what an address the domain's deadline or a stop left
 * unprobed keeps, with its failure.
 *
 * @example noFactsYet({ host: 'mx.example.com', ip: '192.0.2.25', family: 4, port: 25 }, 'starttls').connected // false
 */
export function noFactsYet(target: AddressTarget, tlsMode: TlsMode): AddressFacts {
  return {
    ip: target.ip,
    family: target.family,
    port: target.port,
    host: target.host,
    tlsMode,
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
    modernTls: null,
    failure: null,
    timings: { total: 0 },
  };
}

/**
 * @example
 * const run = new ProbeRun(target, options, 'starttls');
 * run.enter('banner');
 * const reply = await run.within('greeting', (ms) => run.client().greeting(ms));
 * const facts = run.finish();
 */
export class ProbeRun {
  readonly facts: AddressFacts;
  readonly transcript: TranscriptEntry[] = [];
  /** Each stage's cap, in ms (stage-deadlines.ts). */
  readonly caps: Readonly<StageDeadlines>;
  /** The TCP connection of the dialogue, once made. */
  socket: net.Socket | null = null;
  /** The SMTP client of the dialogue: over the TCP connection, then over TLS. */
  smtp: SmtpClient | null = null;
  /** The EHLO argument, chosen once connected (ehloArgument). */
  ehloName = '';
  /** The TLS session of the dialogue, once the handshake is made. */
  session: TlsSession | null = null;
  private stage: ProbeStage = 'connect';
  private stageStart: number;
  private readonly started: number;
  private readonly deadline: number;
  /** Every socket opened, in order: a TLS socket after the socket it runs over. */
  private readonly sockets: net.Socket[] = [];
  /** Rejects when the signal fires; every wait races it (see guard). */
  private readonly aborted: Promise<never>;
  private readonly signal: AbortSignal | undefined;

  constructor(
    readonly target: AddressTarget,
    readonly options: ProbeOptions,
    mode: TlsMode,
  ) {
    this.caps = { ...STAGE_CAPS, ...options.stageCaps, connect: options.connectTimeoutMs };
    this.started = performance.now();
    this.stageStart = this.started;
    this.deadline = this.started + options.timeoutMs;
    this.signal = options.signal;
    this.facts = { ...noFactsYet(target, mode), transcript: this.transcript };
    this.aborted = new Promise<never>((_, reject) => {
      const signal = options.signal;
      if (signal === undefined) return;
      const abort = () => reject(new StageError('aborted', `probe aborted during ${this.stage}`));
      if (signal.aborted) abort();
      else {
        signal.addEventListener('abort', abort, { once: true });
        // One signal serves a whole batch: each probe takes its listener away when it ends.
        this.unlisten = () => signal.removeEventListener('abort', abort);
      }
    });
    this.aborted.catch(() => {}); // only the guarded waits report it
  }

  private unlisten: () => void = () => {};

  get currentStage(): ProbeStage {
    return this.stage;
  }

  /** Milliseconds since the probe started. */
  elapsed(): number {
    return Math.round(performance.now() - this.started);
  }

  /** What is left of the overall deadline, at most `cap` ms. */
  left(cap: number): number {
    return Math.max(0, Math.min(cap, this.deadline - performance.now()));
  }

  /** Closes the current stage's clock and starts `next`'s. */
  enter(next: ProbeStage): void {
    this.facts.timings[this.stage] = Math.round(performance.now() - this.stageStart);
    this.stage = next;
    this.stageStart = performance.now();
  }

  note(text: string): void {
    this.transcript.push({ dir: '*', text, ms: this.elapsed() });
  }

  /** Keeps `socket` to be destroyed on abort and at the end. */
  track<S extends net.Socket>(socket: S): S {
    this.sockets.push(socket);
    return socket;
  }

  /**
   * One wait of a stage: `work` gets the time it may take (the cap of `kind`, within what is
   * left of the overall deadline), and an abort ends the wait at once (guard).
   *
   * @example const reply = await run.within('command', (ms) => smtp.ehlo(run.ehloName, ms));
   */
  within<T>(kind: keyof StageDeadlines, work: (timeoutMs: number) => Promise<T>): Promise<T> {
    return this.guard(work(this.left(this.caps[kind])));
  }

  /** The dialogue's SMTP client; asking for it before there is one is a bug. */
  client(): SmtpClient {
    if (this.smtp === null) throw new Error(`no SMTP client in stage ${this.stage}`);
    return this.smtp;
  }

  /**
   * Waits for `work`, or rejects at once with an `aborted` StageError when the signal fires.
   * The abandoned wait ends when its socket is destroyed (finish, or closeSockets).
   */
  guard<T>(work: Promise<T>): Promise<T> {
    return this.signal === undefined ? work : Promise.race([work, this.aborted]);
  }

  /** The signal, for waits that clean up their own timers when it fires (connect, handshake). */
  get abortSignal(): AbortSignal | undefined {
    return this.signal;
  }

  /**
   * Records why the dialogue stopped (the first reason only): a StageError, the server's doing
   * (or an abort). Anything else thrown during a probe is a bug and is never recorded as a fact.
   */
  fail(error: StageError): void {
    // An abort wins over whatever the destroyed socket made the abandoned wait say.
    const kind = this.signal?.aborted === true ? 'aborted' : error.kind;
    const message = kind === 'aborted' && error.kind !== 'aborted' ? `probe aborted during ${this.stage}` : error.message;
    this.facts.failure ??= { stage: this.stage, kind, message };
    this.note(message);
  }

  /**
   * Destroys every socket opened so far, the outermost first (a TLS socket before the
   * socket under it: Node 20 can crash when the inner one goes first inside a TLS callback).
   */
  closeSockets(): void {
    for (const socket of this.sockets.reverse()) socket.destroy();
    this.sockets.length = 0;
  }

  /** Stops the clocks and closes every socket; the facts are final. */
  finish(): AddressFacts {
    this.facts.timings[this.stage] ??= Math.round(performance.now() - this.stageStart);
    this.facts.timings.total = this.elapsed();
    this.closeSockets();
    this.unlisten();
    return this.facts;
  }
}
