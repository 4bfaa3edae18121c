import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError, createEvent, response, type Handler } from '@fnkit/sdk';
import type { RuntimeConfig } from '../src/config/runtime-config.js';
import { startRuntime, type RunningRuntime } from '../src/server/runtime.js';

function config(overrides: Partial<RuntimeConfig> = {}): RuntimeConfig {
  return {
    file: '/tmp/handler.ts', exportName: undefined, functionName: 'test-fn', runtime: 'nodejs20', memoryLimit: undefined,
    port: 0, host: '127.0.0.1', timeoutMs: 1000, bodyLimitBytes: 1024, concurrency: 0, queueSize: 0, isolation: 'none', stallWatchdog: false,
    shutdownGraceMs: 2000, logLevel: 'silent', logFormat: 'json', kubeless: false, kubelessFunctionName: undefined,
    ...overrides,
  };
}

/** Routes by the request path so one runtime serves every case. */
const handler: Handler = async (event) => {
  const t = event.trigger;
  if (t.kind !== 'http') return 'not http';
  switch (t.path) {
    case '/echo': return { data: Buffer.isBuffer(event.data) ? { bytes: event.data.toString('hex') } : event.data ?? null, type: event.type, id: event.id, source: event.source };
    case '/text': return 'hello';
    case '/peer': return { remoteAddress: t.remoteAddress ?? null };
    case '/buffer': return Buffer.from([1, 2, 3]);
    case '/nothing': return undefined;
    case '/explicit': return response('created', { status: 201, headers: { 'x-made': 'yes' } });
    case '/lambda': return { statusCode: 404, body: 'no such thing' };
    case '/lambda-multi': return { statusCode: 200, headers: { 'X-One': 'a', 'x-both': 'single', 'set-cookie': 'h=0' }, multiValueHeaders: { 'X-Many': ['1', '2'], 'X-Both': ['m1', 'm2'] }, cookies: ['c=1; Path=/', 'd=2'], body: 'ok' };
    case '/stream': return (async function* () { yield 'a'; yield Buffer.from('b'); yield 'c'; })();
    case '/cloudevent': return { specversion: '1.0', id: 'out-1', source: '/me', type: 'done', datacontenttype: 'application/json', data: { ok: 1 } };
    case '/typed': throw new BadRequestError('field "x" is required');
    case '/throw': throw new Error('secret connection string');
    case '/slow': await new Promise((r) => setTimeout(r, 5000)); return 'late';
    case '/kubeless': {
      const res = (event.extensions as { response: { status(c: number): { send(b: string): void } } }).response;
      res.status(202).send('written by handler');
      return 'ignored';
    }
    case '/kubeless-status': {
      const res = (event.extensions as { response: { status(c: number): { setHeader(n: string, v: string): void } } }).response;
      res.status(201).setHeader('X-Set', 'by-facade');
      return 'made';
    }
    case '/kubeless-req': {
      const req = (event.extensions as { request: { method: string; get(n: string): unknown; body: Buffer } }).request;
      return { method: req.method, header: req.get('X-Thing'), body: req.body?.toString() };
    }
    default: return { hello: 'world' };
  }
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (r: Response): Promise<any> => r.json();

let rt: RunningRuntime;
let base: string;
let initCalled = false;

beforeAll(async () => {
  rt = await startRuntime(config(), { handler, module: { init: () => { initCalled = true; } }, file: '/tmp/handler.ts', exportName: 'handler' });
  base = rt.address;
});
afterAll(async () => {
  expect(await rt.shutdown()).toBe(0);
});

describe('HTTP server (in-process)', () => {
  it('awaits init and answers liveness, readiness and metrics', async () => {
    expect(initCalled).toBe(true);
    for (const p of ['/healthz', '/health/liveness', '/readyz', '/health/readiness']) {
      const r = await fetch(base + p);
      expect(r.status, p).toBe(200);
    }
    const m = await fetch(base + '/metrics');
    expect(await m.text()).toContain('nodejs_eventloop_lag_seconds');
  });

  it('routes reserved paths as fastify routes would: GET and HEAD only, exact path, query string, escapes, absolute form', async () => {
    const send = (method: string, path: string) =>
      new Promise<{ status: number; length: string | undefined; body: string }>((resolve, reject) => {
        const u = new URL(base);
        const req = request({ host: u.hostname, port: u.port, method, path, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, length: res.headers['content-length'], body }));
        });
        req.once('error', reject).end();
      });
    const live = { status: 200, length: '15', body: '{"status":"ok"}' };
    const invoked = { status: 200, length: '17', body: '{"hello":"world"}' };
    expect(await send('GET', '/healthz')).toEqual(live);
    // HEAD: the GET answer's headers (Content-Length of the body it would have had), no body.
    expect(await send('HEAD', '/healthz')).toEqual({ ...live, body: '' });
    expect(await send('HEAD', '/readyz')).toEqual({ status: 200, length: '18', body: '' });
    expect(await send('GET', '/healthz?probe=1')).toEqual(live);
    expect(await send('GET', '/heal%74hz')).toEqual(live);
    expect(await send('GET', 'http://example.test/health/liveness')).toEqual(live);
    expect((await send('HEAD', '/metrics')).body).toBe('');
    // Not reserved: other methods, other spellings, an escaped slash.
    for (const [method, path] of [['POST', '/healthz'], ['PUT', '/readyz'], ['GET', '/healthz/'], ['GET', '/HEALTHZ'], ['GET', '//healthz'], ['GET', '/health%2Fliveness']]) {
      expect(await send(method!, path!), `${method} ${path}`).toEqual(invoked);
    }
    expect(await send('HEAD', '/')).toEqual({ ...invoked, body: '' });
  });

  it('passes JSON, text, form, binary and empty bodies to the handler', async () => {
    const cases: [string | undefined, string | Uint8Array | undefined, unknown][] = [
      ['application/json', '{"a":1}', { a: 1 }],
      ['text/plain', 'hi there', 'hi there'],
      ['application/x-www-form-urlencoded', 'a=1&b=two', { a: '1', b: 'two' }],
      ['application/octet-stream', new Uint8Array([0xde, 0xad]), { bytes: 'dead' }],
    ];
    for (const [ct, body, expected] of cases) {
      const r = await fetch(base + '/echo', { method: 'POST', headers: ct ? { 'content-type': ct } : {}, body });
      expect(r.status, ct).toBe(200);
      expect((await json(r)).data, ct).toEqual(expected);
    }
    const none = await fetch(base + '/echo');
    expect((await json(none)).data).toBeNull();
  });

  it('decodes binary and structured CloudEvents and answers a batch with per-event results', async () => {
    const bin = await fetch(base + '/echo', { method: 'POST', headers: { 'ce-specversion': '1.0', 'ce-id': 'b1', 'ce-source': '/src', 'ce-type': 't.bin', 'content-type': 'application/json' }, body: '{"x":1}' });
    expect(await json(bin)).toEqual({ data: { x: 1 }, type: 't.bin', id: 'b1', source: '/src' });
    const structured = await fetch(base + '/echo', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify({ specversion: '1.0', id: 's1', source: '/src', type: 't.s', data: 'yo' }) });
    expect(await json(structured)).toEqual({ data: 'yo', type: 't.s', id: 's1', source: '/src' });
    const batch = await fetch(base + '/echo', { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify([{ specversion: '1.0', id: 'a', source: '/s', type: 't' }, { specversion: '1.0', id: 'b', source: '/s', type: 't', data: 2 }]) });
    expect(batch.status).toBe(200);
    const entries = await json(batch);
    expect(entries.map((e: { id: string; status: number }) => [e.id, e.status])).toEqual([['a', 200], ['b', 200]]);
    expect(entries[1].body.data).toBe(2);
    const empty = await fetch(base + '/echo', { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: '[]' });
    expect(empty.status).toBe(204);
  });

  it('gives the client\'s address in trigger.remoteAddress, on every request of a kept-alive connection', async () => {
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const url = new URL('/peer', base);
    const get = () =>
      new Promise<{ body: string; socket: unknown }>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: url.pathname, agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ body, socket: req.socket }));
        });
        req.on('error', reject);
        req.end();
      });
    const first = await get();
    const second = await get();
    agent.destroy();
    expect(second.socket).toBe(first.socket); // the same connection, so the address came from the per-socket memo
    expect(JSON.parse(first.body)).toEqual({ remoteAddress: '127.0.0.1' });
    expect(JSON.parse(second.body)).toEqual({ remoteAddress: '127.0.0.1' });
  });

  it('answers 400 naming the attribute for an invalid CloudEvent', async () => {
    const r = await fetch(base + '/echo', { method: 'POST', headers: { 'ce-specversion': '1.0', 'ce-id': 'x', 'ce-type': 't' }, body: '' });
    expect(r.status).toBe(400);
    const body = await json(r);
    expect(body.status).toBe(400);
    expect(body.error).toContain('source');
  });

  it('sends every result kind', async () => {
    let r = await fetch(base + '/text');
    expect([r.status, r.headers.get('content-type'), await r.text()]).toEqual([200, 'text/plain; charset=utf-8', 'hello']);
    r = await fetch(base + '/buffer');
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await r.arrayBuffer())]).toEqual([1, 2, 3]);
    r = await fetch(base + '/json');
    expect([r.status, r.headers.get('content-type'), await r.text()]).toEqual([200, 'application/json; charset=utf-8', '{"hello":"world"}']);
    r = await fetch(base + '/nothing');
    expect(r.status).toBe(204);
    r = await fetch(base + '/explicit');
    expect([r.status, r.headers.get('x-made'), await r.text()]).toEqual([201, 'yes', 'created']);
    r = await fetch(base + '/lambda');
    expect([r.status, await r.text()]).toEqual([404, 'no such thing']);
    r = await fetch(base + '/lambda-multi');
    expect([r.status, r.headers.get('x-one'), r.headers.get('x-many'), r.headers.get('x-both'), r.headers.getSetCookie(), await r.text()])
      .toEqual([200, 'a', '1, 2', 'm1, m2', ['h=0', 'c=1; Path=/', 'd=2'], 'ok']);
    r = await fetch(base + '/stream');
    expect([r.status, await r.text()]).toEqual([200, 'abc']);
    r = await fetch(base + '/cloudevent');
    expect(r.headers.get('ce-id')).toBe('out-1');
    expect(r.headers.get('ce-type')).toBe('done');
    expect(r.headers.get('ce-specversion')).toBe('1.0');
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(await json(r)).toEqual({ ok: 1 });
  });

  it('maps errors: typed → its status and message, plain throw → 500 without message or stack', async () => {
    let r = await fetch(base + '/typed');
    expect(r.status).toBe(400);
    expect((await json(r)).error).toBe('field "x" is required');
    r = await fetch(base + '/throw');
    expect(r.status).toBe(500);
    const text = await r.text();
    expect(text).not.toContain('secret');
    expect(text).not.toContain('at ');
    const body = JSON.parse(text);
    expect(body.status).toBe(500);
    expect(typeof body.eventId).toBe('string');
  });

  it('answers 413 JSON for a body over the limit', async () => {
    const r = await fetch(base + '/echo', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(2048) });
    expect(r.status).toBe(413);
    expect((await json(r)).status).toBe(413);
  });

  it('answers 408 JSON at the timeout and counts it', async () => {
    const r = await fetch(base + '/slow');
    expect(r.status).toBe(408);
    expect((await json(r)).timeoutMs).toBe(1000);
    const m = await (await fetch(base + '/metrics')).text();
    expect(m).toMatch(/^fnkit_timeouts_total 1$/m);
    expect(m).toMatch(/fnkit_invocations_total\{trigger="http",outcome="timeout"\} 1/);
  });

  it('gives Kubeless handlers extensions.request and a response facade that wins over the return value', async () => {
    let r = await fetch(base + '/kubeless');
    expect([r.status, await r.text()]).toEqual([202, 'written by handler']);
    r = await fetch(base + '/kubeless-status');
    expect([r.status, r.headers.get('x-set'), await r.text()]).toEqual([201, 'by-facade', 'made']);
    r = await fetch(base + '/kubeless-req', { method: 'POST', headers: { 'x-thing': 'yes', 'content-type': 'text/plain' }, body: 'raw' });
    expect(await json(r)).toEqual({ method: 'POST', header: 'yes', body: 'raw' });
  });
});

describe('concurrency limit', () => {
  it('answers 503 with Retry-After when slots and queue are full', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const busy = await startRuntime(config({ concurrency: 1, queueSize: 0 }), { handler: async () => { await gate; return 'ok'; }, module: {}, file: '/tmp/busy.ts', exportName: 'handler' });
    try {
      const first = fetch(busy.address + '/');
      // Wait until the first request is running before sending the second.
      for (let i = 0; i < 100; i++) {
        const m = await (await fetch(busy.address + '/metrics')).text();
        if (/^fnkit_invocations_in_flight 1$/m.test(m)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const second = await fetch(busy.address + '/');
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBe('1');
      expect((await json(second)).status).toBe(503);
      release();
      expect((await first).status).toBe(200);
    } finally {
      release();
      await busy.shutdown();
    }
  });

  it("fails liveness and readiness when the module's own checks fail", async () => {
    let healthy = true;
    const checked = await startRuntime(config(), {
      handler: () => 'x',
      module: { liveness: () => { if (!healthy) throw new Error('stuck'); }, readiness: () => healthy },
      file: '/tmp/checked.ts',
      exportName: 'handler',
    });
    try {
      expect((await fetch(checked.address + '/healthz')).status).toBe(200);
      expect((await fetch(checked.address + '/readyz')).status).toBe(200);
      healthy = false;
      expect((await fetch(checked.address + '/healthz')).status).toBe(503);
      expect((await fetch(checked.address + '/health/liveness')).status).toBe(503);
      expect((await fetch(checked.address + '/readyz')).status).toBe(503);
      expect((await fetch(checked.address + '/health/readiness')).status).toBe(503);
    } finally {
      await checked.shutdown();
    }
  });

  it('exits with 1 when init fails', async () => {
    const failed = await startRuntime(config(), { handler: () => 'x', module: { init: () => { throw new Error('no database'); } }, file: '/tmp/x.ts', exportName: 'handler' });
    expect(await failed.closed).toBe(1);
  });
});

void createEvent;
