import { describe, expect, it } from 'vitest';
import { createEvent, HttpError, NotFoundError, ReplacedError, type FnEvent, type Handler, type Logger, type Outcome } from '@fnkit/sdk';
import { FunctionInvoker } from '../src/invoker/invoker.js';
import { InProcessRunner } from '../src/invoker/runner.js';
import { RuntimeMetrics } from '../src/observability/metrics.js';

interface Line { level: string; obj: Record<string, unknown>; msg?: string }

function memoryLogger(lines: Line[]): Logger {
  const make = (bindings: Record<string, unknown>): Logger => {
    const at = (level: string) => (obj: unknown, msg?: string) => lines.push({ level, obj: { ...bindings, ...(obj as object) }, msg });
    return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'), child: (b) => make({ ...bindings, ...b }) };
  };
  return make({});
}

function setup(handler: Handler, opts: { concurrency?: number; queueSize?: number; timeoutMs?: number } = {}) {
  const lines: Line[] = [];
  const log = memoryLogger(lines);
  const metrics = new RuntimeMetrics('handler', { defaultMetrics: false });
  const runner = new InProcessRunner(handler, { functionName: 'fn', handlerName: 'handler', runtime: 'nodejs20', memoryLimit: undefined, timeoutMs: opts.timeoutMs ?? 1000, log });
  const invoker = new FunctionInvoker({ concurrency: opts.concurrency ?? 0, queueSize: opts.queueSize ?? 0, runner, metrics, log });
  return { invoker, metrics, lines };
}

let n = 0;
function httpEvent(): FnEvent {
  n++;
  return createEvent({ specversion: '1.0', id: `ev-${n}`, source: '/test', type: 'test' }, { kind: 'http', method: 'POST', path: '/', url: '/', query: {}, headers: {} });
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function metricValue(metrics: RuntimeMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)!.get();
  const v = m.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

describe('FunctionInvoker', () => {
  it('runs the handler and logs one info line with eventId, trigger, status, outcome and durationMs', async () => {
    const { invoker, lines, metrics } = setup(() => ({ ok: true }));
    const ev = httpEvent();
    const outcome = await invoker.invoke(ev);
    expect(outcome.type).toBe('result');
    if (outcome.type === 'result') expect(outcome.response.body).toBe('{"ok":true}');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('info');
    expect(lines[0]!.obj).toMatchObject({ eventId: ev.id, trigger: 'http', status: 200, outcome: 'success' });
    expect(typeof lines[0]!.obj.durationMs).toBe('number');
    expect(await metricValue(metrics, 'fnkit_invocations_total', { trigger: 'http', outcome: 'success' })).toBe(1);
    expect(await metricValue(metrics, 'function_calls_total', { method: 'handler-POST' })).toBe(1);
  });

  it('maps a plain throw to a private 500 and logs the error with its stack', async () => {
    const { invoker, lines, metrics } = setup(() => {
      throw new Error('database password is hunter2');
    });
    const outcome = await invoker.invoke(httpEvent());
    expect(outcome.type).toBe('error');
    if (outcome.type !== 'error') return;
    expect(outcome.status).toBe(500);
    expect(JSON.stringify(outcome.body)).not.toContain('hunter2');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('error');
    expect((lines[0]!.obj.err as Error).stack).toContain('hunter2');
    expect(await metricValue(metrics, 'fnkit_invocations_total', { outcome: 'error' })).toBe(1);
    expect(await metricValue(metrics, 'function_failures_total', { method: 'handler-POST' })).toBe(1);
  });

  it('keeps a typed HttpError status and message', async () => {
    const { invoker } = setup(() => {
      throw new NotFoundError('no such order 42');
    });
    const outcome = await invoker.invoke(httpEvent());
    expect(outcome.type === 'error' && outcome.status).toBe(404);
    expect(outcome.type === 'error' && outcome.body.error).toBe('no such order 42');
    const teapot = setup(() => {
      throw new HttpError(418, 'short and stout');
    });
    const o2 = await teapot.invoker.invoke(httpEvent());
    expect(o2.type === 'error' && o2.status).toBe(418);
  });

  it('counts a result with status >= 400 as an error', async () => {
    const { invoker, metrics } = setup(() => ({ statusCode: 422, body: 'nope' }));
    await invoker.invoke(httpEvent());
    expect(await metricValue(metrics, 'fnkit_invocations_total', { outcome: 'error' })).toBe(1);
  });

  it('returns a timeout outcome (408) when the handler does not finish in time, and counts it', async () => {
    const { invoker, metrics, lines } = setup(() => new Promise(() => undefined), { timeoutMs: 50 });
    const outcome = await invoker.invoke(httpEvent());
    expect(outcome.type).toBe('timeout');
    expect(outcome.type === 'timeout' && outcome.status).toBe(408);
    expect(await metricValue(metrics, 'fnkit_timeouts_total')).toBe(1);
    expect(await metricValue(metrics, 'fnkit_invocations_total', { outcome: 'timeout' })).toBe(1);
    expect(lines).toHaveLength(1);
  });

  it('gates concurrency, queues up to queueSize and rejects beyond with 503 overloaded, Retry-After 1', async () => {
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    const { invoker, metrics } = setup(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await gate.promise;
        running--;
        return 'done';
      },
      { concurrency: 2, queueSize: 1 },
    );
    const first = [invoker.invoke(httpEvent()), invoker.invoke(httpEvent()), invoker.invoke(httpEvent())];
    const rejected = await invoker.invoke(httpEvent());
    expect(rejected.type).toBe('rejected');
    if (rejected.type === 'rejected') {
      expect(rejected.status).toBe(503);
      expect(rejected.reason).toBe('overloaded');
      expect(rejected.retryAfterSeconds).toBe(1);
    }
    expect(invoker.pending).toBe(3);
    gate.resolve();
    const outcomes = await Promise.all(first);
    expect(outcomes.map((o) => o.type)).toEqual(['result', 'result', 'result']);
    expect(maxRunning).toBe(2);
    expect(await metricValue(metrics, 'fnkit_invocations_total', { outcome: 'rejected' })).toBe(1);
  });

  it("admission 'wait' waits beyond the queue bound instead of rejecting", async () => {
    const gate = deferred();
    const { invoker } = setup(async () => {
      await gate.promise;
      return 'ok';
    }, { concurrency: 1, queueSize: 0 });
    const all = [invoker.invoke(httpEvent(), { admission: 'wait' }), invoker.invoke(httpEvent(), { admission: 'wait' }), invoker.invoke(httpEvent(), { admission: 'wait' })];
    expect(invoker.pending).toBe(3);
    gate.resolve();
    expect((await Promise.all(all)).every((o) => o.type === 'result')).toBe(true);
  });

  it("links a request's signal into the handler's context.signal; a waiter whose signal aborts leaves the queue without running", async () => {
    const gate = deferred();
    const reasons: unknown[] = [];
    let calls = 0;
    const { invoker, lines, metrics } = setup(
      async (_e, ctx) => {
        calls++;
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        reasons.push(ctx.signal.reason);
        await gate.promise;
        return 'gave up';
      },
      { concurrency: 1, queueSize: 0, timeoutMs: 10_000 },
    );
    const running = new AbortController();
    const waiting = new AbortController();
    const first = invoker.invoke(httpEvent(), { admission: 'wait', signal: running.signal });
    const second = invoker.invoke(httpEvent(), { admission: 'wait', signal: waiting.signal });
    expect(invoker.pending).toBe(2);
    const reason = new ReplacedError('replaced in a test');
    running.abort(reason);
    const waitingReason = new ReplacedError('replaced while it waited');
    waiting.abort(waitingReason);
    // The waiter settles at once, while the first still runs, and never reaches the handler.
    const b = await second;
    expect(b).toMatchObject({ type: 'error', status: 499, error: waitingReason });
    expect(invoker.pending).toBe(1);
    expect(reasons).toEqual([reason]);
    gate.resolve();
    const a = await first;
    // The runtime only signals: a handler that returns after the abort is answered as it returned.
    expect(a.type === 'result' && a.response.body).toBe('gave up');
    expect(calls).toBe(1);
    expect(metrics.byTrigger.get('http')?.outcomes).toMatchObject({ success: 1, cancelled: 1 });
    const cancelledLine = lines.find((l) => l.obj.outcome === 'cancelled')!;
    expect(cancelledLine.level).toBe('warn');
    expect(cancelledLine.obj).toMatchObject({ status: 499, reason: 'replaced while it waited' });
    await invoker.whenIdle();
  });

  it('a queued HTTP invocation cancelled while it waits frees its queue place; an already-aborted one is not queued', async () => {
    const gate = deferred();
    let calls = 0;
    const { invoker } = setup(
      async () => {
        calls++;
        await gate.promise;
        return 'ok';
      },
      { concurrency: 1, queueSize: 1 },
    );
    const first = invoker.invoke(httpEvent());
    const leaving = new AbortController();
    const queued = invoker.invoke(httpEvent(), { admission: 'queue', signal: leaving.signal });
    expect((await invoker.invoke(httpEvent())).type).toBe('rejected'); // the queue (1) is full
    leaving.abort(new Error('client gone'));
    expect(await queued).toMatchObject({ type: 'error', status: 499 });
    const next = invoker.invoke(httpEvent()); // its place is free again
    const gone = AbortSignal.abort(new Error('gone before it came'));
    expect(await invoker.invoke(httpEvent(), { admission: 'wait', signal: gone })).toMatchObject({ type: 'error', status: 499 });
    gate.resolve();
    expect((await first).type).toBe('result');
    expect((await next).type).toBe('result');
    expect(calls).toBe(2);
    await invoker.whenIdle();
    expect(invoker.pending).toBe(0);
  });

  it('a caller already gone at a full queue is cancelled (499), not rejected; cancelUnstarted never runs the handler', async () => {
    const gate = deferred();
    let calls = 0;
    const { invoker, lines, metrics } = setup(
      async () => {
        calls++;
        await gate.promise;
        return 'ok';
      },
      { concurrency: 1, queueSize: 0 },
    );
    const first = invoker.invoke(httpEvent());
    const lazy = { signal: new AbortController().signal, reason: new Error('the client closed the connection') as unknown };
    expect(await invoker.invoke(httpEvent(), { admission: 'queue', cancellation: lazy })).toMatchObject({ type: 'error', status: 499 });
    expect(await invoker.invoke(httpEvent(), { admission: 'queue', signal: AbortSignal.abort(new Error('gone')) })).toMatchObject({ type: 'error', status: 499 });
    lazy.reason = undefined;
    expect(await invoker.invoke(httpEvent(), { admission: 'queue', cancellation: lazy })).toMatchObject({ type: 'rejected', status: 503 });
    const skipped = invoker.cancelUnstarted(httpEvent(), new Error('the client closed the connection'));
    expect(skipped).toMatchObject({ type: 'error', status: 499 });
    gate.resolve();
    await first;
    expect(calls).toBe(1);
    expect(lines.filter((l) => l.msg === 'invocation cancelled')).toHaveLength(3);
    expect(await metricValue(metrics, 'fnkit_invocations_total', { trigger: 'http', outcome: 'cancelled' })).toBe(3);
    expect(await metricValue(metrics, 'fnkit_invocations_total', { trigger: 'http', outcome: 'rejected' })).toBe(1);
  });

  it('a handler that rethrows its cancellation reason is cancelled (499, warn, outcome "cancelled"), not a failure', async () => {
    const { invoker, lines, metrics } = setup(async (_e, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      throw ctx.signal.reason;
    });
    const cancel = new AbortController();
    const pending = invoker.invoke(httpEvent(), { admission: 'wait', signal: cancel.signal });
    const reason = new ReplacedError('replaced by the next tick');
    setImmediate(() => cancel.abort(reason));
    const outcome = await pending;
    expect(outcome).toMatchObject({ type: 'error', status: 499, error: reason });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('warn');
    expect(lines[0]!.msg).toBe('invocation cancelled');
    expect(lines[0]!.obj).toMatchObject({ status: 499, outcome: 'cancelled', reason: 'replaced by the next tick' });
    expect(await metricValue(metrics, 'fnkit_invocations_total', { trigger: 'http', outcome: 'cancelled' })).toBe(1);
    expect(await metricValue(metrics, 'fnkit_invocations_total', { trigger: 'http', outcome: 'error' })).toBe(0);
    expect(await metricValue(metrics, 'function_failures_total', { method: 'handler-POST' })).toBe(0);
    // An unrelated error while the signal is aborted is still the handler's failure.
    const other = setup(async (_e, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      throw new Error('cleanup failed');
    });
    const c2 = new AbortController();
    const p2 = other.invoker.invoke(httpEvent(), { admission: 'wait', signal: c2.signal });
    setImmediate(() => c2.abort(new ReplacedError()));
    expect(await p2).toMatchObject({ type: 'error', status: 500 });
    expect(other.lines[0]!.level).toBe('error');
  });

  it('a lazy cancellation is watched only when the handler reads context.signal, and decides the outcome once cancelled', async () => {
    let reads = 0;
    let gone: unknown;
    const controller = new AbortController();
    const lazy = {
      get signal() {
        reads++;
        return controller.signal;
      },
      get reason() {
        return gone;
      },
    };
    const { invoker, lines } = setup(async () => 'ignored the signal');
    const ok = await invoker.invoke(httpEvent(), { admission: 'queue', cancellation: lazy });
    expect(ok.type).toBe('result');
    expect(reads).toBe(0);
    gone = new Error('the client closed the connection');
    const late = await invoker.invoke(httpEvent(), { admission: 'queue', cancellation: lazy });
    expect(late).toMatchObject({ type: 'error', status: 499, error: gone });
    expect(reads).toBe(0);
    expect(lines[1]!.obj).toMatchObject({ outcome: 'cancelled', status: 499, reason: 'the client closed the connection' });
    gone = undefined;
    const seen: unknown[] = [];
    const reader = setup(async (_e, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      seen.push(ctx.signal.reason);
      return 'stopped';
    });
    const p = reader.invoker.invoke(httpEvent(), { admission: 'queue', cancellation: lazy });
    await new Promise((r) => setImmediate(r));
    expect(reads).toBe(1);
    gone = new Error('closed');
    controller.abort(gone);
    expect(await p).toMatchObject({ type: 'error', status: 499 });
    expect(seen).toEqual([gone]);
  });

  it('invokeNow answers a plain-value handler within the call: counted and logged before it returns', () => {
    const { invoker, lines, metrics } = setup(() => ({ ok: true }));
    const outcome = invoker.invokeNow(httpEvent());
    expect(outcome).not.toBeInstanceOf(Promise);
    expect((outcome as Outcome).type).toBe('result');
    expect(lines).toHaveLength(1);
    expect(invoker.pending).toBe(0);
    expect(metrics.byTrigger.get('http')?.outcomes.success).toBe(1);
    const thrown = setup(() => {
      throw new NotFoundError('gone');
    }).invoker.invokeNow(httpEvent());
    expect(thrown).not.toBeInstanceOf(Promise);
    expect((thrown as Outcome).type === 'error' && (thrown as Outcome & { type: 'error' }).status).toBe(404);
  });

  it('invokeNow gives a promise for an async handler, and for a queued one even when its handler is synchronous', async () => {
    const gate = deferred();
    const { invoker, lines } = setup((event) => (event.id.endsWith('-slow') ? gate.promise.then(() => 'slow') : 'quick'), { concurrency: 1, queueSize: 1 });
    const slowEvent = httpEvent();
    slowEvent.id += '-slow';
    const slow = invoker.invokeNow(slowEvent);
    expect(slow).toBeInstanceOf(Promise);
    const queued = invoker.invokeNow(httpEvent());
    expect(queued).toBeInstanceOf(Promise);
    expect(invoker.pending).toBe(2);
    expect(lines).toHaveLength(0);
    gate.resolve();
    const [a, b] = await Promise.all([slow, queued]);
    expect(a.type === 'result' && a.response.body).toBe('slow');
    expect(b.type === 'result' && b.response.body).toBe('quick');
    expect(lines).toHaveLength(2);
    expect(invoker.pending).toBe(0);
  });

  it('rejects new invocations once shutdown began and reports idle when the last one finishes', async () => {
    const gate = deferred();
    const { invoker } = setup(async () => {
      await gate.promise;
      return 'ok';
    });
    const inFlight = invoker.invoke(httpEvent());
    invoker.beginShutdown();
    const refused = await invoker.invoke(httpEvent());
    expect(refused.type === 'rejected' && refused.reason).toBe('shutting-down');
    let idle = false;
    const whenIdle = invoker.whenIdle().then(() => (idle = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(idle).toBe(false);
    gate.resolve();
    await whenIdle;
    expect((await inFlight).type).toBe('result');
  });
});
