import { describe, expect, it } from 'vitest';
import { createEvent, startInvocation, type FnEvent, type Logger, type Outcome } from '../src/index.js';

const log: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child: () => log };
const settings = { functionName: 'f', handlerName: 'handler', runtime: 'nodejs20', memoryLimit: undefined, timeoutMs: 1000, log };
const event = (): FnEvent => createEvent({ specversion: '1.0', id: 'e-1', source: '/t', type: 't' }, { kind: 'http', method: 'GET', path: '/', url: '/', query: {}, headers: {} });

describe('startInvocation', () => {
  it('gives the outcome of a handler that returned a plain value in the same call, with its duration', () => {
    const outcome = startInvocation(() => ({ ok: true }), event(), settings);
    expect(outcome).not.toBeInstanceOf(Promise);
    const o = outcome as Outcome;
    expect(o.type === 'result' && o.response.body).toBe('{"ok":true}');
    expect(o.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('gives the error outcome of a handler that threw, and of a result that cannot be sent, in the same call', () => {
    const thrown = startInvocation(() => {
      throw new Error('boom');
    }, event(), settings) as Outcome;
    expect(thrown.type === 'error' && thrown.status).toBe(500);
    const unsendable = startInvocation(() => () => 1, event(), settings) as Outcome;
    expect(unsendable.type === 'error' && unsendable.status).toBe(500);
  });

  it('gives a promise for a handler that returned one', async () => {
    const pending = startInvocation(async () => 'later', event(), settings);
    expect(pending).toBeInstanceOf(Promise);
    const o = await pending;
    expect(o.type === 'result' && o.response.body).toBe('later');
  });

  it('gives the context a deadline in epoch ms, read when asked, and a remaining time that only falls', () => {
    let seen: { deadline: number; again: number; remaining: number[] } | undefined;
    const before = Date.now();
    startInvocation((_e, ctx) => {
      const remaining = [ctx.remainingTimeMs()];
      const deadline = ctx.deadline;
      for (let i = 0; i < 1e5; i++) Math.sqrt(i); // a little time passes
      remaining.push(ctx.remainingTimeMs());
      seen = { deadline, again: ctx.deadline, remaining };
      return null;
    }, event(), settings);
    const after = Date.now();
    expect(seen!.deadline).toBeGreaterThanOrEqual(before + settings.timeoutMs - 1);
    expect(seen!.deadline).toBeLessThanOrEqual(after + settings.timeoutMs + 1);
    expect(Number.isInteger(seen!.deadline)).toBe(true);
    expect(seen!.again).toBe(seen!.deadline); // kept once read
    const [r1, r2] = seen!.remaining as [number, number];
    expect(r1).toBeLessThanOrEqual(settings.timeoutMs);
    expect(r1).toBeGreaterThan(settings.timeoutMs - 100);
    expect(r2).toBeLessThanOrEqual(r1);
    expect(Number.isInteger(r1) && Number.isInteger(r2)).toBe(true);
  });

  it('answers plain objects and arrays as JSON, and bytes (Buffer, Uint8Array, ArrayBuffer) as binary', () => {
    const body = (value: unknown) => {
      const o = startInvocation(() => value, event(), settings) as Outcome;
      if (o.type !== 'result') throw new Error(`unexpected ${o.type}`);
      return { kind: o.response.kind, body: Buffer.isBuffer(o.response.body) ? [...o.response.body] : o.response.body };
    };
    expect(body({ a: 1 })).toEqual({ kind: 'json', body: '{"a":1}' });
    expect(body([1, 2])).toEqual({ kind: 'json', body: '[1,2]' });
    expect(body(Object.assign(Object.create(null), { a: 2 }))).toEqual({ kind: 'json', body: '{"a":2}' });
    expect(body(Buffer.from([1, 2]))).toEqual({ kind: 'binary', body: [1, 2] });
    expect(body(new Uint8Array([3]))).toEqual({ kind: 'binary', body: [3] });
    expect(body(new Uint8Array([4, 5]).buffer)).toEqual({ kind: 'binary', body: [4, 5] });
  });
});
