/**
 * A bound on messages handled at once. The NATS adapters take slots before they ask for messages
 * (JetStream fetches exactly as many as are free; a core subscription takes one per message before
 * it reads the next), so a slow handler slows fetching instead of growing memory.
 */
export class InFlight {
  private active = 0;
  private freeWaiters: { n: number; resolve: () => void }[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(readonly limit: number) {}

  get size(): number {
    return this.active;
  }

  get free(): number {
    return this.limit - this.active;
  }

  /** Resolves when at least `n` slots (at most the limit) are free; undefined (no extra tick) when they already are. */
  whenFree(n = 1): Promise<void> | undefined {
    const want = Math.min(n, this.limit);
    if (this.limit - this.active >= want) return undefined;
    return new Promise<void>((resolve) => this.freeWaiters.push({ n: want, resolve }));
  }

  /** Takes up to `n` free slots; returns how many it took. */
  take(n: number): number {
    const k = Math.max(0, Math.min(n, this.limit - this.active));
    this.active += k;
    return k;
  }

  /** Takes a slot even when none is free (a message that arrived unasked must still be counted). */
  force(): void {
    this.active++;
  }

  release(n = 1): void {
    if (n <= 0) return;
    this.active -= n;
    if (this.freeWaiters.length > 0) {
      const free = this.limit - this.active;
      const still: { n: number; resolve: () => void }[] = [];
      for (const w of this.freeWaiters) {
        if (free >= w.n) w.resolve();
        else still.push(w);
      }
      this.freeWaiters = still;
    }
    if (this.active === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves when nothing is in flight. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
