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
  it('cannot answer /healthz while a handler blocks the event loop, and says so once the block is over', async () => {
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
      // The main thread's report, after the fact (no watchdog thread by default): one error line on stdout.
      const out = await waitForOutput(fn, 'the event loop was blocked for at least');
      const line = JSON.parse(out.split('\n').find((l) => l.includes('the event loop was blocked'))!) as { level: number; blockedMs: number; timeoutMs: number };
      expect(line).toMatchObject({ level: 50, timeoutMs: 1000 });
      // /block spins 2.5 s; the report is short by at most one 100 ms tick, and the request waited ~300 ms before it.
      expect(line.blockedMs).toBeGreaterThan(1000);
      expect(line.blockedMs).toBeLessThanOrEqual(2600);
      expect(fn.stderr()).not.toContain('event loop has been blocked');
      expect((await fetch(`${fn.base}/healthz`)).status).toBe(200);
    } finally {
      await fn.stop();
    }
  });

  it('with --stall-watchdog, a thread says so on stderr while the loop is still blocked', async () => {
    // startFnRun polls /readyz, as Kubernetes' readiness probe does: the watchdog's thread starts right
    // after that first request, so it watches the first invocation (docs/runtime.md, isolation).
    const fn = await startFnRun(fns.path('blocking.mjs'), ['--stall-watchdog'], { FUNC_TIMEOUT: '1' });
    try {
      // Give the thread a moment to boot (it starts after the readiness poll's request).
      await sleep(300);
      const blocked = fetch(`${fn.base}/block`);
      // The thread writes its line during the block (after 1 s of it), before the main thread could.
      const err = await waitForOutput(fn, 'event loop has been blocked', 'stderr');
      expect(fn.stdout()).not.toContain('the event loop was blocked for at least');
      expect(err).toMatch(/longer than the function timeout of 1000 ms/);
      expect((await blocked).status).toBe(408);
      await waitForOutput(fn, 'the event loop was blocked for at least');
    } finally {
      await fn.stop();
    }
  });
});
