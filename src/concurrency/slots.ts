/**
 * A first-come, first-served limit on work in flight (a counting semaphore whose waiters give
 * up when their AbortSignal aborts). `acquire` waits for a free slot, and a waiter whose
 * signal aborts leaves the queue at once. Its users: the DNS queries of a run
 * (dns/resolver.ts: a stopped domain drops its queued queries instead of sending them later)
 * and a batch's connections per server IP (probe/shared-prober.ts: a stopped batch starts no
 * probe).
 */

/** @example const slots = new Slots(64); if (await slots.acquire(signal)) try { await work() } finally { slots.release() } */
export class Slots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Most slots in use at once since the start (for tests and benchmarks). */
  peak = 0;

  constructor(readonly limit: number) {}

  /** Slots in use now. */
  get inFlight(): number {
    return this.active;
  }

  /**
   * A slot, or false when `signal` aborted first (then no slot is held).
   *
   * @example if (await slots.acquire(signal)) try { await work() } finally { slots.release() }
   */
  acquire(signal?: AbortSignal): Promise<boolean> | boolean {
    if (signal?.aborted === true) return false;
    if (this.active < this.limit) {
      this.take();
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const grant = () => {
        signal?.removeEventListener('abort', leave);
        this.take();
        resolve(true);
      };
      const leave = () => {
        const at = this.waiting.indexOf(grant);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve(false);
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }

  release(): void {
    this.active -= 1;
    this.waiting.shift()?.();
  }

  private take(): void {
    this.active += 1;
    if (this.active > this.peak) this.peak = this.active;
  }
}
