import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startFnRun, waitForOutput, writeFunctions } from './helpers.js';

/** A handler that blocks its thread: stopped at the deadline with isolation=worker; made visible (and fatal for liveness) without. */

const source = `
export default function handler(event) {
  if (event.trigger.path === '/spin') { while (true) {} }
  if (event.trigger.path === '/block') { const end = Date.now() + 2500; while (Date.now() < end) {} return 'unblocked'; }
  return 'ok';
}
`;

let fns: ReturnType<typeof writeFunctions>;
beforeAll(() => {
  fns = writeFunctions({ 'blocking.mjs': source });
});
afterAll(() => fns?.remove());

describe('isolation=worker', () => {
  it('answers 408 at the deadline for a synchronous infinite loop and keeps serving', async () => {
    const fn = await startFnRun(fns.path('blocking.mjs'), ['--isolation', 'worker', '--concurrency', '2'], { FUNC_TIMEOUT: '1' });
    try {
      const r = await fetch(`${fn.base}/spin`);
      expect(r.status).toBe(408);
      expect(await r.json()).toMatchObject({ status: 408 });
      for (let i = 0; i < 3; i++) {
        const next = await fetch(`${fn.base}/`);
        expect([next.status, await next.text()]).toEqual([200, 'ok']);
      }
      expect((await fetch(`${fn.base}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${fn.base}/metrics`)).text()).toMatch(/^fnkit_timeouts_total 1$/m);
    } finally {
      expect(await fn.stop()).toBe(0);
    }
  });
});

describe('isolation=none', () => {
  it('cannot answer /healthz while a handler blocks the event loop, and says so on stderr', async () => {
    // startFnRun polls /readyz, as Kubernetes' readiness probe does: the watchdog's thread starts right
    // after that first request, so it watches the first invocation (docs/runtime.md, isolation).
    const fn = await startFnRun(fns.path('blocking.mjs'), [], { FUNC_TIMEOUT: '1' });
    try {
      const blocked = fetch(`${fn.base}/block`);
      await sleep(300);
      const probe = await fetch(`${fn.base}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.status,
        (e: Error) => e.name,
      );
      expect(probe).toBe('TimeoutError');
      // The synchronous handler overran its timeout: 408, even though it could not be stopped.
      expect((await blocked).status).toBe(408);
      await waitForOutput(fn, 'event loop has been blocked', 'stderr');
      expect((await fetch(`${fn.base}/healthz`)).status).toBe(200);
    } finally {
      await fn.stop();
    }
  });
});
