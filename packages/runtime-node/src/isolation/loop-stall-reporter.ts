import type { Logger } from '@fnkit/sdk';

/** How often the main thread looks at the clock: a stall is measured to within this. */
export const STALL_CHECK_MS = 100;

/**
 * Isolation off, a handler that runs synchronous code blocks the event loop and everything on it,
 * `/healthz` included. This reports such a block from the main thread itself, once it is over: a
 * timer ticks every STALL_CHECK_MS, and a tick that comes more than `stallMs` (the function timeout)
 * late logs ONE error line saying for how long the loop was blocked (at least; the measure is short
 * by up to one tick). A block that never ends is never reported here: the liveness probe fails and
 * Kubernetes restarts the pod; the opt-in StallWatchdog thread reports that case while it lasts.
 *
 * Costs ten timer callbacks a second and no thread (a watchdog thread is a second V8 isolate, ~6 MiB
 * of RSS in every pod).
 */
export class LoopStallReporter {
  readonly #interval: NodeJS.Timeout;
  #last = performance.now();

  constructor(stallMs: number, log: Logger) {
    this.#interval = setInterval(() => {
      const now = performance.now();
      const blockedMs = Math.round(now - this.#last - STALL_CHECK_MS);
      this.#last = now;
      if (blockedMs > stallMs) {
        log.error(
          { blockedMs, timeoutMs: stallMs },
          `the event loop was blocked for at least ${blockedMs} ms (longer than the function timeout of ${stallMs} ms): a handler ran synchronous code; nothing, /healthz included, could answer meanwhile, and a liveness probe fails while it lasts. Use FNKIT_ISOLATION=worker to stop such handlers at their deadline.`,
        );
      }
    }, STALL_CHECK_MS);
    this.#interval.unref();
  }

  stop(): void {
    clearInterval(this.#interval);
  }
}
