import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFnRun, waitForOutput, writeFunctions, type FnRun } from './helpers.js';

/** Every body type and CloudEvents mode in, every result kind and error out, over real TCP through the built CLI. */

const source = `
import { response, BadRequestError } from '@fnkit/sdk';
export default async function handler(event, context) {
  switch (event.trigger.path) {
    case '/echo': return { data: Buffer.isBuffer(event.data) ? { hex: event.data.toString('hex') } : event.data ?? null, id: event.id, type: event.type };
    case '/text': return 'hello';
    case '/buffer': return Buffer.from([1, 2, 3]);
    case '/nothing': return undefined;
    case '/explicit': return response({ made: true }, { status: 201, headers: { 'x-made': 'yes' } });
    case '/lambda': return { statusCode: 404, headers: { 'x-l': '1' }, body: 'missing' };
    case '/stream': return (async function* () { yield 'a'; yield 'b'; })();
    case '/cloudevent': return { specversion: '1.0', id: 'r-1', source: '/fn', type: 'reply', datacontenttype: 'text/plain', data: 'pong' };
    case '/typed': throw new BadRequestError('name is required');
    case '/throw': throw new Error('db password hunter2');
    case '/slow': await new Promise((r) => setTimeout(r, 3000)); return 'late';
    case '/reject': Promise.reject(new Error('stray rejection')); return 'still fine';
    case '/uncaught': setTimeout(() => { throw new Error('thrown from a timer'); }, 1); return 'still fine';
    default: return { hello: 'world', fn: context.functionName };
  }
}
`;

let fns: ReturnType<typeof writeFunctions>;
let fn: FnRun;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (r: Response): Promise<any> => r.json();

beforeAll(async () => {
  fns = writeFunctions({ 'results.mjs': source });
  fn = await startFnRun(fns.path('results.mjs'), ['--body-limit', '1kb'], { FUNC_TIMEOUT: '1' });
});
afterAll(async () => {
  await fn?.stop();
  fns?.remove();
});

describe('fn-run over HTTP: requests in', () => {
  it('passes JSON, text, form, binary and empty bodies', async () => {
    const cases: [string, string | Uint8Array, unknown][] = [
      ['application/json', '{"a":[1,2]}', { a: [1, 2] }],
      ['text/plain; charset=utf-8', 'plain words', 'plain words'],
      ['application/x-www-form-urlencoded', 'k=v&n=2', { k: 'v', n: '2' }],
      ['application/octet-stream', new Uint8Array([0, 255]), { hex: '00ff' }],
    ];
    for (const [ct, body, data] of cases) {
      const r = await fetch(`${fn.base}/echo`, { method: 'POST', headers: { 'content-type': ct }, body });
      expect((await json(r)).data, ct).toEqual(data);
    }
    expect((await json(await fetch(`${fn.base}/echo`))).data).toBeNull();
  });

  it('reads binary, structured and batched CloudEvents', async () => {
    let r = await fetch(`${fn.base}/echo`, { method: 'POST', headers: { 'ce-specversion': '1.0', 'ce-id': 'bin-1', 'ce-source': '/t', 'ce-type': 'com.example.bin', 'content-type': 'application/json' }, body: '{"n":1}' });
    expect(await json(r)).toEqual({ data: { n: 1 }, id: 'bin-1', type: 'com.example.bin' });
    r = await fetch(`${fn.base}/echo`, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' }, body: JSON.stringify({ specversion: '1.0', id: 'st-1', source: '/t', type: 'com.example.st', data: { s: true } }) });
    expect(await json(r)).toEqual({ data: { s: true }, id: 'st-1', type: 'com.example.st' });
    r = await fetch(`${fn.base}/echo`, { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify([{ specversion: '1.0', id: 'b-1', source: '/t', type: 'x' }, { specversion: '1.0', id: 'b-2', source: '/t', type: 'x', data: 'two' }]) });
    expect(r.status).toBe(200);
    const entries = await json(r);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ id: 'b-1', status: 200 });
    expect(entries[1]).toMatchObject({ id: 'b-2', status: 200, body: { data: 'two' } });
  });

  it('answers 400 naming the attribute for an invalid CloudEvent', async () => {
    const r = await fetch(`${fn.base}/echo`, { method: 'POST', headers: { 'ce-specversion': '1.0', 'ce-source': '/t', 'ce-type': 'x' } });
    expect(r.status).toBe(400);
    const body = await json(r);
    expect(body).toMatchObject({ status: 400 });
    expect(body.error).toMatch(/\bid\b/);
  });

  it('answers 413 with a JSON error for a body over the limit', async () => {
    const r = await fetch(`${fn.base}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(5000) });
    expect(r.status).toBe(413);
    expect(await json(r)).toMatchObject({ status: 413 });
  });
});

describe('fn-run over HTTP: results out', () => {
  it('sends strings, buffers, JSON, nothing, explicit and Lambda-style responses, streams', async () => {
    let r = await fetch(`${fn.base}/text`);
    expect([r.status, r.headers.get('content-type'), await r.text()]).toEqual([200, 'text/plain; charset=utf-8', 'hello']);
    r = await fetch(`${fn.base}/buffer`);
    expect([r.headers.get('content-type'), [...new Uint8Array(await r.arrayBuffer())]]).toEqual(['application/octet-stream', [1, 2, 3]]);
    r = await fetch(`${fn.base}/`);
    expect([r.headers.get('content-type'), await json(r)]).toEqual(['application/json; charset=utf-8', { hello: 'world', fn: 'results' }]);
    r = await fetch(`${fn.base}/nothing`);
    expect([r.status, await r.text()]).toEqual([204, '']);
    r = await fetch(`${fn.base}/explicit`);
    expect([r.status, r.headers.get('x-made'), await json(r)]).toEqual([201, 'yes', { made: true }]);
    r = await fetch(`${fn.base}/lambda`);
    expect([r.status, r.headers.get('x-l'), await r.text()]).toEqual([404, '1', 'missing']);
    r = await fetch(`${fn.base}/stream`);
    expect([r.status, await r.text()]).toEqual([200, 'ab']);
  });

  it('sends a returned CloudEvent in binary mode', async () => {
    const r = await fetch(`${fn.base}/cloudevent`);
    expect(r.status).toBe(200);
    expect(r.headers.get('ce-specversion')).toBe('1.0');
    expect(r.headers.get('ce-id')).toBe('r-1');
    expect(r.headers.get('ce-source')).toBe('/fn');
    expect(r.headers.get('ce-type')).toBe('reply');
    expect(r.headers.get('content-type')).toBe('text/plain');
    expect(await r.text()).toBe('pong');
  });

  it('maps a typed HttpError to its status and a plain throw to a 500 without message or stack', async () => {
    let r = await fetch(`${fn.base}/typed`);
    expect(r.status).toBe(400);
    expect(await json(r)).toMatchObject({ error: 'name is required', status: 400 });
    r = await fetch(`${fn.base}/throw`);
    expect(r.status).toBe(500);
    const text = await r.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toMatch(/at .*\.mjs/);
    expect(JSON.parse(text)).toMatchObject({ status: 500 });
    // ...while the log has the error and its stack.
    expect(await waitForOutput(fn, 'hunter2')).toMatch(/"stack":"Error: db password hunter2\\n/);
  });

  it('answers 408 JSON at the timeout and counts it in fnkit_timeouts_total', async () => {
    const r = await fetch(`${fn.base}/slow`);
    expect(r.status).toBe(408);
    expect(await json(r)).toMatchObject({ status: 408, timeoutMs: 1000 });
    const metrics = await (await fetch(`${fn.base}/metrics`)).text();
    expect(metrics).toMatch(/^fnkit_timeouts_total 1$/m);
    expect(metrics).toMatch(/^function_calls_total\{method="results-GET"\} \d+$/m);
  });

  it('logs a stray unhandled rejection or uncaught exception and keeps serving', async () => {
    let r = await fetch(`${fn.base}/reject`);
    expect(await r.text()).toBe('still fine');
    await waitForOutput(fn, 'stray rejection');
    r = await fetch(`${fn.base}/uncaught`);
    expect(await r.text()).toBe('still fine');
    await waitForOutput(fn, 'thrown from a timer');
    expect((await fetch(`${fn.base}/healthz`)).status).toBe(200);
    expect(fn.child.exitCode).toBeNull();
  });

  it('logs one line per invocation and none for the reserved routes', async () => {
    await fetch(`${fn.base}/healthz`);
    await fetch(`${fn.base}/readyz`);
    const r = await fetch(`${fn.base}/text`, { headers: { 'ce-specversion': '1.0', 'ce-id': 'log-me-1', 'ce-source': '/t', 'ce-type': 'x' } });
    expect(r.status).toBe(200);
    await waitForOutput(fn, '"log-me-1"');
    const lines = fn.stdout().split('\n').filter((l) => l.includes('"log-me-1"'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ eventId: 'log-me-1', trigger: 'http', status: 200, outcome: 'success' });
    expect(fn.stdout()).not.toMatch(/"url":"\/healthz"/);
  });
});

describe('fn-run: a TypeScript module compiled to CommonJS', () => {
  it("serves the `export default` of a .ts file in a package without \"type\": \"module\"", async () => {
    // No package.json "type": a .ts file is CommonJS there, so its default export is module.exports.default.
    const dir = writeFunctions({ 'package.json': '{"name":"cjs-ts"}\n', 'greet.ts': 'export default (event: { data?: unknown }) => ({ got: event.data });\n' });
    const run = await startFnRun(dir.path('greet.ts'));
    try {
      const r = await fetch(run.base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ got: { n: 1 } });
    } finally {
      await run.stop();
      dir.remove();
    }
  });
});
