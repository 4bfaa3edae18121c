import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startFnRun, waitForMetric, waitForOutput, writeFunctions, type FnRun } from './helpers.js';

/**
 * An HTTP client that goes away before the answer cancels its invocation: the handler's context.signal
 * aborts with a ClientClosedError, the invocation is logged at warn and counted as `cancelled` (499),
 * a queued request leaves the queue without running, and the process keeps serving.
 */

const source = `
export default async function handler(event, context) {
  const path = event.trigger.path;
  if (path === '/wait') {
    context.log.info('waiting for the signal');
    await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
    const reason = context.signal.reason;
    context.log.info({ reasonName: reason?.name }, 'signal aborted');
    throw reason;
  }
  if (path === '/ignore') {
    context.log.info('ignoring the signal');
    await new Promise((r) => setTimeout(r, 400));
    return 'done';
  }
  if (path === '/read') {
    const signal = context.signal;
    await new Promise((r) => setTimeout(r, 50));
    return { aborted: signal.aborted, body: event.data ?? null };
  }
  if (path === '/batch') {
    context.log.info({ started: event.id }, 'batch event started');
    await new Promise((r) => setTimeout(r, 300));
    return 'done';
  }
  if (path === '/queued') context.log.info('the queued one ran');
  return 'ok';
}
`;

let fns: ReturnType<typeof writeFunctions>;
let fn: FnRun;
beforeAll(async () => {
  fns = writeFunctions({ 'cancel.mjs': source });
  fn = await startFnRun(fns.path('cancel.mjs'), ['--concurrency', '1', '--queue', '4'], { FUNC_TIMEOUT: '20' });
});
afterAll(async () => {
  await fn?.stop();
  fns?.remove();
});

/** fn-run's complete JSON log lines so far (a line whose end has not arrived yet is left for a later read). */
function lines(): Record<string, unknown>[] {
  const out = fn.stdout();
  return out.slice(0, out.lastIndexOf('\n') + 1).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('HTTP client disconnect', () => {
  it('does not abort context.signal for a client that stays (GET and POST, kept-alive connection)', async () => {
    for (let i = 0; i < 3; i++) {
      const get = await fetch(`${fn.base}/read`);
      expect(await get.json()).toEqual({ aborted: false, body: null });
      const post = await fetch(`${fn.base}/read`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
      expect(await post.json()).toEqual({ aborted: false, body: { x: 1 } });
    }
  });

  it("aborts the handler's context.signal, logs the invocation as cancelled (499, warn) and keeps serving", async () => {
    const client = new AbortController();
    const request = fetch(`${fn.base}/wait`, { signal: client.signal }).catch((e: unknown) => e);
    await waitForOutput(fn, 'waiting for the signal');
    client.abort();
    expect(await request).toBeInstanceOf(Error);
    await waitForOutput(fn, '"msg":"invocation cancelled"');
    const aborted = lines().find((l) => l.msg === 'signal aborted')!;
    expect(aborted).toMatchObject({ reasonName: 'ClientClosedError' });
    const line = lines().find((l) => l.msg === 'invocation cancelled')!;
    expect(line).toMatchObject({ level: 40, trigger: 'http', status: 499, outcome: 'cancelled' });
    expect(String(line.reason)).toMatch(/client closed the connection/);
    await waitForMetric(fn.base, /^fnkit_invocations_total\{trigger="http",outcome="cancelled"\} 1$/m);
    expect(lines().some((l) => l.level === 50)).toBe(false);
    const next = await fetch(`${fn.base}/`);
    expect(next.status).toBe(200);
    expect(await next.text()).toBe('ok');
  });

  it('a queued request whose client leaves never runs; a handler that ignores the signal is still counted as cancelled', async () => {
    const first = new AbortController();
    const running = fetch(`${fn.base}/ignore`, { signal: first.signal }).catch((e: unknown) => e);
    await waitForOutput(fn, 'ignoring the signal');
    const second = new AbortController();
    const queued = fetch(`${fn.base}/queued`, { signal: second.signal }).catch((e: unknown) => e);
    await sleep(100);
    second.abort();
    first.abort();
    expect(await queued).toBeInstanceOf(Error);
    expect(await running).toBeInstanceOf(Error);
    await waitForMetric(fn.base, /^fnkit_invocations_total\{trigger="http",outcome="cancelled"\} 3$/m);
    expect((await fetch(`${fn.base}/`)).status).toBe(200);
    await sleep(250);
    expect(fn.stdout()).not.toContain('the queued one ran');
    expect(lines().filter((l) => l.msg === 'invocation cancelled').map((l) => l.status)).toEqual([499, 499, 499]);
    // Nothing was written to the dead sockets (fastify would complain about a write after the close).
    expect(fn.stderr()).toBe('');
  });
});

describe('HTTP client disconnect, batched events', () => {
  it('a batch whose client leaves runs no further events: each one left is counted and logged as cancelled', async () => {
    const count = async () => Number(/^fnkit_invocations_total\{trigger="http",outcome="cancelled"\} (\d+)$/m.exec(await (await fetch(`${fn.base}/metrics`)).text())?.[1] ?? 0);
    const before = await count();
    const batch = ['b1', 'b2', 'b3'].map((id) => ({ specversion: '1.0', id, source: '/test', type: 'test.batch', data: { id } }));
    const client = new AbortController();
    const request = fetch(`${fn.base}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(batch),
      signal: client.signal,
    }).catch((e: unknown) => e);
    await waitForOutput(fn, '"started":"b1"');
    client.abort();
    expect(await request).toBeInstanceOf(Error);
    // b1 ran (its client was gone when it settled), b2 and b3 never started.
    await waitForMetric(fn.base, new RegExp(`^fnkit_invocations_total\\{trigger="http",outcome="cancelled"\\} ${before + 3}$`, 'm'));
    await sleep(400);
    expect(lines().filter((l) => l.msg === 'batch event started').map((l) => l.started)).toEqual(['b1']);
    expect(lines().filter((l) => l.msg === 'invocation cancelled' && ['b1', 'b2', 'b3'].includes(l.eventId as string)).map((l) => [l.eventId, l.status])).toEqual([
      ['b1', 499],
      ['b2', 499],
      ['b3', 499],
    ]);
    expect(fn.stderr()).toBe('');
    expect((await fetch(`${fn.base}/`)).status).toBe(200);
  });

  it('a batch whose client stays is answered in full', async () => {
    const batch = ['c1', 'c2'].map((id) => ({ specversion: '1.0', id, source: '/test', type: 'test.batch' }));
    const r = await fetch(`${fn.base}/batch`, { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(batch) });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual([
      { id: 'c1', status: 200, body: 'done' },
      { id: 'c2', status: 200, body: 'done' },
    ]);
  });
});

describe('HTTP client disconnect, --isolation worker', () => {
  it("aborts context.signal in the worker with a ClientClosedError and counts the invocation as cancelled", async () => {
    const worker = await startFnRun(fns.path('cancel.mjs'), ['--isolation', 'worker', '--concurrency', '1'], { FUNC_TIMEOUT: '20' });
    try {
      const client = new AbortController();
      const request = fetch(`${worker.base}/wait`, { signal: client.signal }).catch((e: unknown) => e);
      await waitForOutput(worker, 'waiting for the signal');
      client.abort();
      expect(await request).toBeInstanceOf(Error);
      await waitForOutput(worker, '"msg":"invocation cancelled"');
      expect(worker.stdout()).toContain('"reasonName":"ClientClosedError"');
      await waitForMetric(worker.base, /^fnkit_invocations_total\{trigger="http",outcome="cancelled"\} 1$/m);
      expect((await fetch(`${worker.base}/`)).status).toBe(200);
    } finally {
      await worker.stop();
    }
  });
});
