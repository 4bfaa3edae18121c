import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  ClientClosedError,
  HttpError,
  NotFoundError,
  ReplacedError,
  TimeoutError,
  defineFunction,
  invoke,
  json,
  response,
  text,
  type FnContext,
} from '../src/index.js';

describe('invoke() runs a handler through the runtime invocation path', () => {
  it('passes data and the Kubeless aliases, and returns JSON', async () => {
    const handler = defineFunction<{ name: string }>((event, context) => ({
      hello: event.data?.name,
      id: event['event-id'],
      type: event['event-type'],
      fn: context.functionName,
      kubelessName: context['function-name'],
      timeout: context.timeout,
    }));
    const res = await invoke(handler, { data: { name: 'Ada' }, id: 'e-1', type: 'com.example.greet' }, { functionName: 'greeter', handlerName: 'greet', timeoutMs: 2000 });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual({ hello: 'Ada', id: 'e-1', type: 'com.example.greet', fn: 'greeter', kubelessName: 'greet', timeout: 2 });
    expect(res.event.datacontenttype).toBe('application/json');
  });

  it('maps each result kind', async () => {
    expect((await invoke(() => undefined)).status).toBe(204);
    const t = await invoke(() => 'hi');
    expect([t.status, t.headers['content-type'], t.text()]).toEqual([200, 'text/plain; charset=utf-8', 'hi']);
    const b = await invoke(() => Buffer.from([1, 2, 3]));
    expect([b.headers['content-type'], [...b.body]]).toEqual(['application/octet-stream', [1, 2, 3]]);
    const e = await invoke(() => response('made', { status: 201, headers: { Location: '/x/1' } }));
    expect([e.status, e.headers.location, e.text()]).toEqual([201, '/x/1', 'made']);
    const j = await invoke(() => json({ ok: true }, { status: 202 }));
    expect([j.status, j.json()]).toEqual([202, { ok: true }]);
    const tx = await invoke(() => text('<p/>', { headers: { 'content-type': 'text/html' } }));
    expect(tx.headers['content-type']).toBe('text/html');
    const lambda = await invoke(() => ({ statusCode: 403, body: { denied: true } }));
    expect([lambda.status, lambda.json()]).toEqual([403, { denied: true }]);
    const s = await invoke(() => Readable.from(['a', 'b', 'c']));
    expect([s.outcome.type === 'result' && s.outcome.response.kind, s.text()]).toEqual(['stream', 'abc']);
    const notLambda = await invoke(() => ({ statusCode: 403, reason: 'x' }));
    expect([notLambda.status, notLambda.json()]).toEqual([200, { statusCode: 403, reason: 'x' }]);
  });

  it('sends a returned CloudEvent back as a CloudEvent', async () => {
    const res = await invoke(() => ({ specversion: '1.0', id: 'r-1', source: '/orders', type: 'com.example.done', data: { n: 1 } }));
    expect(res.status).toBe(200);
    expect(res.cloudEvent).toMatchObject({ id: 'r-1', source: '/orders', type: 'com.example.done' });
    expect(res.cloudEvent).not.toHaveProperty('data');
    expect(res.json()).toEqual({ n: 1 });
  });

  it('keeps typed HTTP errors and hides everything else', async () => {
    const nf = await invoke(() => {
      throw new NotFoundError('no such order');
    });
    expect([nf.status, nf.json<{ error: string }>().error]).toEqual([404, 'no such order']);
    const withHeaders = await invoke(() => {
      throw new HttpError(401, 'log in', { headers: { 'WWW-Authenticate': 'Bearer' } });
    });
    expect(withHeaders.headers['www-authenticate']).toBe('Bearer');
    const bad = await invoke(async () => {
      throw new BadRequestError('name is required', { details: { field: 'name' } });
    });
    expect(bad.json()).toMatchObject({ error: 'name is required', status: 400, field: 'name' });
    const boom = await invoke(() => {
      throw new Error('database password is hunter2');
    }, { id: 'ev-9' });
    expect(boom.status).toBe(500);
    expect(boom.json()).toEqual({ error: 'Internal Server Error', status: 500, eventId: 'ev-9' });
    expect(boom.text()).not.toContain('hunter2');
  });

  it('times out, aborts context.signal and answers 408', async () => {
    let reason: unknown;
    const res = await invoke(
      (_e, ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            reason = ctx.signal.reason;
            resolve('late');
          });
        }),
      {},
      { timeoutMs: 50 },
    );
    expect(res.status).toBe(408);
    expect(res.outcome.type).toBe('timeout');
    expect(reason).toBeInstanceOf(TimeoutError);
  });

  it('does not leave an unhandled rejection when a timed-out handler fails later', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (r: unknown) => unhandled.push(r);
    process.on('unhandledRejection', onUnhandled);
    try {
      const res = await invoke(() => new Promise((_r, reject) => setTimeout(() => reject(new Error('late failure')), 80)), {}, { timeoutMs: 20 });
      expect(res.status).toBe(408);
      await new Promise((r) => setTimeout(r, 150));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('aborts context.signal on shutdown', async () => {
    const shutdown = new AbortController();
    const pending = invoke((_e, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('stopped'))), {}, { shutdownSignal: shutdown.signal });
    setTimeout(() => shutdown.abort(), 10);
    const res = await pending;
    expect(res.text()).toBe('stopped');
  });

  it('aborts context.signal with the reason of the invocation\'s own signal, and the handler\'s answer is the outcome', async () => {
    const cancel = new AbortController();
    let reason: unknown;
    const pending = invoke(
      (_e, ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            reason = ctx.signal.reason;
            resolve('gave up');
          });
          cancel.abort(new ReplacedError('replaced by tick 2', { replacedBy: 'ev-2' }));
        }),
      {},
      { signal: cancel.signal },
    );
    const res = await pending;
    expect(reason).toBeInstanceOf(ReplacedError);
    expect((reason as ReplacedError).message).toBe('replaced by tick 2');
    expect((reason as ReplacedError).replacedBy).toBe('ev-2');
    // The runtime only signals: the handler's own result is the outcome.
    expect(res.outcome.type).toBe('result');
    expect(res.text()).toBe('gave up');
  });

  it('a signal aborted before the handler looks at context.signal is seen as aborted; rethrowing the reason is a cancelled 499, as in fn-run', async () => {
    const cancel = new AbortController();
    cancel.abort(new ReplacedError());
    const res = await invoke((_e, ctx) => {
      ctx.signal.throwIfAborted();
      return 'ran on';
    }, { id: 'ev-r' }, { signal: cancel.signal });
    expect(res.status).toBe(499);
    expect(res.json()).toEqual({ error: `the invocation was cancelled: ${new ReplacedError().message}`, status: 499, eventId: 'ev-r' });
    expect(res.outcome.type === 'error' && res.outcome.error).toBeInstanceOf(ReplacedError);
    expect(new ReplacedError().message).toMatch(/cron concurrency policy Replace/);
  });

  it('an error caused by the cancellation (as fetch throws) is a 499 too; any other error after the abort stays a failure', async () => {
    const waitForAbort = (ctx: FnContext) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
    const caused = new AbortController();
    const first = invoke(async (_e, ctx) => {
      await waitForAbort(ctx);
      throw new Error('the request was aborted', { cause: ctx.signal.reason });
    }, { id: 'ev-c' }, { signal: caused.signal });
    caused.abort(new ClientClosedError());
    expect((await first).status).toBe(499);

    const other = new AbortController();
    const second = invoke(async (_e, ctx) => {
      await waitForAbort(ctx);
      throw new Error('cleanup failed');
    }, { id: 'ev-o' }, { signal: other.signal });
    other.abort(new ReplacedError());
    const res = await second;
    expect(res.status).toBe(500);
    expect(res.outcome.type === 'error' && (res.outcome.error as Error).message).toBe('cleanup failed');
  });

  it('stops listening to the invocation\'s signal once the invocation is over', async () => {
    const cancel = new AbortController();
    let seen: AbortSignal | undefined;
    await invoke((_e, ctx) => {
      seen = ctx.signal;
      return 1;
    }, {}, { signal: cancel.signal });
    cancel.abort(new ReplacedError());
    expect(seen!.aborted).toBe(false);
  });

  it('records what the handler logs', async () => {
    const res = await invoke((e, ctx) => {
      ctx.log.info({ n: 1 }, 'working');
      return e.id;
    }, { id: 'log-1' });
    expect(res.logs).toEqual([{ eventId: 'log-1', n: 1, level: 'info', msg: 'working' }]);
  });

  it('rejects an invalid event with an error naming the attribute', async () => {
    await expect(invoke(() => 1, { time: 'yesterday' })).rejects.toThrow(/attribute 'time' must be an RFC 3339 timestamp/);
    await expect(invoke(() => 1, { Bad_Name: 1 })).rejects.toThrow(/extension attribute name "Bad_Name" is invalid/);
  });

  it('turns an unserialisable result into a 500', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const res = await invoke(() => cyclic);
    expect(res.status).toBe(500);
    expect(res.outcome.type === 'error' && (res.outcome.error as Error).message).toMatch(/cannot be serialised as JSON/);
  });
});
