import { normalizeResult, type Outcome } from '@fnkit/sdk';
import { describe, expect, it } from 'vitest';
import { InFlight } from '../../src/triggers/nats/in-flight.js';
import { errorReply, replyFor } from '../../src/triggers/nats/reply.js';

function result(value: unknown): Outcome {
  return { type: 'result', response: normalizeResult(value), durationMs: 1 };
}

const text = (b: Uint8Array) => Buffer.from(b).toString();

describe('NATS request replies', () => {
  it('a JSON result: the body and its Content-Type, no error headers', async () => {
    const r = await replyFor(result({ ok: true }));
    expect(JSON.parse(text(r.body))).toEqual({ ok: true });
    expect(r.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(r.headers.has('Nats-Service-Error')).toBe(false);
  });

  it('a CloudEvent result: binary mode with ce-* headers and ce-datacontenttype', async () => {
    const r = await replyFor(result({ specversion: '1.0', id: 'r 1', source: '/fn', type: 'com.example.done', data: { a: 1 } }));
    expect(r.headers.get('ce-id')).toBe('r%201');
    expect(r.headers.get('ce-type')).toBe('com.example.done');
    expect(r.headers.get('ce-datacontenttype')).toMatch(/^application\/json/);
    expect(JSON.parse(text(r.body))).toEqual({ a: 1 });
  });

  it('an error outcome: Nats-Service-Error(-Code) with the public message and the JSON error body', async () => {
    const outcome: Outcome = { type: 'error', status: 500, body: { error: 'Internal Server Error', status: 500, eventId: 'e1' }, error: new Error('secret detail'), durationMs: 1 };
    const r = await replyFor(outcome);
    expect(r.headers.get('Nats-Service-Error')).toBe('Internal Server Error');
    expect(r.headers.get('Nats-Service-Error-Code')).toBe('500');
    expect(JSON.parse(text(r.body))).toEqual({ error: 'Internal Server Error', status: 500, eventId: 'e1' });
    expect(text(r.body)).not.toContain('secret');
  });

  it('a result with status >= 400 keeps its body and gets the error headers', async () => {
    const r = await replyFor(result({ statusCode: 404, body: 'no such item' }));
    expect(r.headers.get('Nats-Service-Error-Code')).toBe('404');
    expect(text(r.body)).toBe('no such item');
  });

  it('a timeout and a decode error', async () => {
    const t = await replyFor({ type: 'timeout', status: 408, body: { error: 'the function did not finish within its timeout of 5 ms', status: 408, eventId: 'e', timeoutMs: 5 }, durationMs: 5 });
    expect(t.headers.get('Nats-Service-Error-Code')).toBe('408');
    const d = errorReply(400, "invalid CloudEvent: missing required attribute 'id'\r\nx");
    expect(d.headers.get('Nats-Service-Error')).toBe("invalid CloudEvent: missing required attribute 'id' x");
    expect(JSON.parse(text(d.body))).toEqual({ error: "invalid CloudEvent: missing required attribute 'id'\r\nx", status: 400 });
  });
});

describe('InFlight', () => {
  it('bounds slots, wakes waiters on release, and reports idle', async () => {
    const f = new InFlight(2);
    expect(f.take(5)).toBe(2);
    expect(f.free).toBe(0);
    const free = f.whenFree();
    expect(free).toBeInstanceOf(Promise);
    let idle = false;
    void f.idle().then(() => (idle = true));
    f.release();
    await free;
    expect(f.free).toBe(1);
    f.force();
    f.force();
    expect(f.size).toBe(3);
    f.release(3);
    await Promise.resolve();
    expect(idle).toBe(true);
    expect(f.whenFree()).toBeUndefined();
  });

  it('whenFree(n) waits until n slots are free', async () => {
    const f = new InFlight(4);
    f.take(4);
    let woke = false;
    void f.whenFree(2)!.then(() => (woke = true));
    f.release();
    await Promise.resolve();
    expect(woke).toBe(false);
    f.release();
    await Promise.resolve();
    expect(woke).toBe(true);
  });
});
