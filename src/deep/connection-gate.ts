/**
 * The one way a deep probe (`--deep`) opens its connections to an address: one at a time, with
 * `delayMs` between them (`--deep-delay`), each walked to the start of TLS (reach-tls.ts), and
 * counted, within the deep probe's own deadline (its ProbeRun's). A 421 (RFC 5321 §3.8: the server is closing the channel, often "too many
 * connections") or a stop of the run ends the deep probe: every later `reach` throws
 * DeepStopped and the facts say the result is partial. A server that merely refuses one
 * connection in another way is that check's fact (a StageError for the caller).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProbeFailure, ProbeStage } from '../model/smtp.js';
import { StageError } from '../smtp/connection.js';
import type { ProbeRun } from '../probe/probe-run.js';
import { reachTls, type ReachOptions, type TlsStart } from '../probe/reach-tls.js';

/**
 * The deep probe stopped (a 421, the deadline, the run stopped): no further connection.
 *
 * @example try { await gate.reach(); } catch (err) { if (err instanceof DeepStopped) return partialFacts(err.failure); throw err; }
 */
export class DeepStopped extends Error {
  override name = 'DeepStopped';

  constructor(readonly failure: ProbeFailure) {
    super(failure.message);
  }
}

/**
 * @example
 * const gate = new ConnectionGate(run, { delayMs: 0 });
 * const start = await gate.reach(); // socket at the start of TLS
 * gate.done(); // closes it
 */
export class ConnectionGate {
  /** Connections opened so far. */
  opened = 0;
  /** Why the deep probe stopped, once it did. */
  stopped: ProbeFailure | null = null;
  private lastClosed = 0;

  constructor(
    readonly run: ProbeRun,
    private readonly options: { delayMs: number },
  ) {}

  /**
   * The next connection, at the start of TLS. Throws DeepStopped once the deep probe must stop
   * (now or before), a StageError when this connection failed in another way. `options`: how
   * the walk goes (reach-tls.ts ReachOptions: commands pipelined behind STARTTLS).
   *
   * @example const { socket, smtp } = await gate.reach();
   */
  async reach(options: ReachOptions = {}): Promise<TlsStart> {
    this.throwIfStopped();
    const wait = this.opened === 0 ? 0 : this.options.delayMs - (Date.now() - this.lastClosed);
    if (wait > 0) {
      try {
        await sleep(wait, undefined, this.run.abortSignal === undefined ? {} : { signal: this.run.abortSignal });
      } catch {
        this.stop({ stage: 'connect', kind: 'aborted', message: 'the run was stopped' });
      }
    }
    this.throwIfStopped();
    this.opened += 1;
    let step: ProbeStage = 'connect';
    try {
      return await reachTls(
        this.run,
        (s) => {
          step = s;
        },
        options,
      );
    } catch (err) {
      this.done();
      if (!(err instanceof StageError)) throw err;
      if (err.kind === 'aborted' || this.run.abortSignal?.aborted === true) this.stop({ stage: step, kind: 'aborted', message: err.message });
      else if (/\b421\b/.test(err.message) && err.kind === 'rejected') this.stop({ stage: step, kind: 'rejected', message: `${err.message}: the server asks to stop; deep checks end here` });
      throw err;
    }
  }

  /** Ends the current connection (every socket of the run is closed). @example gate.done(); */
  done(): void {
    this.run.closeSockets();
    this.lastClosed = Date.now();
  }

  /** Records that the deep probe stops, and why (the first reason counts). @example gate.stop({ stage: 'handshake', kind: 'timeout', message: 'deep probe deadline' }); */
  stop(failure: ProbeFailure): never {
    this.stopped ??= failure;
    throw new DeepStopped(this.stopped);
  }

  private throwIfStopped(): void {
    if (this.stopped !== null) throw new DeepStopped(this.stopped);
    if (this.run.abortSignal?.aborted === true) this.stop({ stage: 'connect', kind: 'aborted', message: 'the run was stopped' });
    if (this.run.left(1) <= 0) this.stop({ stage: 'connect', kind: 'timeout', message: "the deep probe's deadline passed" });
  }
}
