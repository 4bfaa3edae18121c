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
});
