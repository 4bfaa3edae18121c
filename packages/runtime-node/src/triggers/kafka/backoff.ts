/**
 * Retry delays: exponential from `baseMs`, doubling per retry, capped at `maxMs`, with "full jitter"
 * over the upper half (so replicas that failed together do not retry together, and the delay never
 * drops below half the nominal one). `retry` is 1 for the first retry.
 */
export function retryDelayMs(retry: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** Resolves after `ms`, or at once (false) when `signal` aborts first; true when the time passed. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
