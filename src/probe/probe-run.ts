/**
 * The state of one address probe, walked through the stage functions of probe-address.ts
 * (as Postfix's posttls-finger walks its one state struct): the facts gathered so far, the
 * current stage and its clock, the overall deadline, the sockets opened, and the abort
 * signal that ends every wait at once.
 */
import net from 'node:net';
import type { AddressFacts } from '../model/address.js';
import type { ProbeStage, TranscriptEntry } from '../model/smtp.js';
import type { TlsMode } from '../model/tls.js';
import { StageError } from '../smtp/connection.js';

/** The address probed. @example const target: AddressTarget = { host: 'mx.example.com', ip: '192.0.2.25', family: 4, port: 25 }; */
export interface AddressTarget {
  /** MX host name: used for SNI and, later, the name match. */
  host: string;
  ip: string;
  family: 4 | 6;
  port: number;
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
 * const run = new ProbeRun(target, { timeoutMs: 30_000 }, 'starttls');
 * run.enter('banner');
 * const reply = await run.guard(smtp.readReply(run.left(10_000), 'server greeting'));
 * const facts = run.finish();
 */
export class ProbeRun {
  readonly facts: AddressFacts;
  readonly transcript: TranscriptEntry[] = [];
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
    clock: ProbeClock,
    mode: TlsMode,
  ) {
    this.started = performance.now();
    this.stageStart = this.started;
    this.deadline = this.started + clock.timeoutMs;
    this.signal = clock.signal;
    this.facts = { ...noFactsYet(target, mode), transcript: this.transcript };
    this.aborted = new Promise<never>((_, reject) => {
      const signal = clock.signal;
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

  /** Records why the dialogue stopped (the first reason only). */
  fail(err: unknown): void {
    const error = StageError.of(err);
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
