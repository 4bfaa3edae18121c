import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReplacedError, createEvent, type Outcome } from '@fnkit/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRetryable, isSuccess } from '../../src/contracts.js';
import { CANCELLED_STATUS, HttpDeliveryInvoker } from '../../src/invoker/http-delivery-invoker.js';
import { recordingLogger } from './fakes.js';

interface Seen {
  method: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(204).end();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, headers: req.headers, body: Buffer.concat(chunks) });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function event(attrs: Record<string, unknown> = {}) {
  return createEvent({ specversion: '1.0', id: 'ev-1', source: '/fnkit/cron/nightly', type: 'dev.fnkit.cron.tick', time: '2026-01-02T03:04:05.000Z', ...attrs }, { kind: 'cron', name: 'nightly', schedule: '0 3 * * *', scheduledTime: '2026-01-02T03:04:05.000Z' });
}

function invoker(timeoutMs = 5000) {
  return new HttpDeliveryInvoker({ target: base, timeoutMs, log: recordingLogger() });
}

describe('HttpDeliveryInvoker', () => {
  it('POSTs a binary-mode CloudEvent: ce-* headers, JSON data as the body, and maps a 2xx reply to a result', async () => {
    answer = (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'x-custom': 'yes' }).end('{"ok":true}');
    seen.length = 0;
    const outcome = await invoker().invoke(event({ datacontenttype: 'application/json', data: { item: 'milk', n: 2 }, subject: 'a b/ü', myext: 'v' }));
    const req = seen[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers['ce-specversion']).toBe('1.0');
    expect(req.headers['ce-id']).toBe('ev-1');
    expect(req.headers['ce-source']).toBe('/fnkit/cron/nightly');
    expect(req.headers['ce-type']).toBe('dev.fnkit.cron.tick');
    expect(req.headers['ce-time']).toBe('2026-01-02T03:04:05.000Z');
    expect(req.headers['ce-myext']).toBe('v');
    expect(req.headers['ce-subject']).toBe('a%20b/%C3%BC');
    expect(req.headers['ce-trigger']).toBeUndefined();
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body.toString())).toEqual({ item: 'milk', n: 2 });
    expect(outcome.type).toBe('result');
    expect(isSuccess(outcome)).toBe(true);
    const r = (outcome as Extract<Outcome, { type: 'result' }>).response;
    expect(r.status).toBe(200);
    expect(r.kind).toBe('json');
    expect(r.headers['x-custom']).toBe('yes');
    expect(r.body?.toString()).toBe('{"ok":true}');
  });

  it('sends text as it is, bytes as they are, and no body for an event without data', async () => {
    answer = (_req, res) => res.writeHead(204).end();
    seen.length = 0;
    const inv = invoker();
    await inv.invoke(event({ datacontenttype: 'text/plain; charset=utf-8', data: 'héllo' }));
    await inv.invoke(event({ data: Buffer.from([0, 1, 255]) }));
    await inv.invoke(event({ datacontenttype: 'application/json', data: 'a JSON string' }));
    const outcome = await inv.invoke(event());
    expect(seen[0]!.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(seen[0]!.body.toString('utf8')).toBe('héllo');
    expect(seen[1]!.headers['content-type']).toBe('application/octet-stream');
    expect([...seen[1]!.body]).toEqual([0, 1, 255]);
    expect(seen[2]!.body.toString()).toBe('"a JSON string"');
    expect(seen[3]!.body.length).toBe(0);
    expect(seen[3]!.headers['content-type']).toBeUndefined();
    expect(outcome.type === 'result' && outcome.response.kind).toBe('empty');
  });

  it('a non-2xx reply is a result with that status: not a success; 5xx retryable, 400 final', async () => {
    const inv = invoker();
    answer = (_req, res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
    const five = await inv.invoke(event());
    expect(five.type === 'result' && five.response.status).toBe(500);
    expect(isSuccess(five)).toBe(false);
    expect(isRetryable(five)).toBe(true);
    answer = (_req, res) => res.writeHead(400).end('bad');
    const four = await inv.invoke(event());
    expect(isSuccess(four)).toBe(false);
    expect(isRetryable(four)).toBe(false);
  });

  it('a binary-mode CloudEvent reply is kept as the cloudEvent of the response', async () => {
    answer = (_req, res) => res.writeHead(200, { 'ce-specversion': '1.0', 'ce-id': 'r1', 'ce-source': '/reply', 'ce-type': 'done', 'content-type': 'application/json' }).end('{"n":1}');
    const outcome = await invoker().invoke(event());
    expect(outcome.type === 'result' && outcome.response.kind).toBe('cloudevent');
    expect(outcome.type === 'result' && outcome.response.cloudEvent).toMatchObject({ specversion: '1.0', id: 'r1', source: '/reply', type: 'done', data: { n: 1 } });
  });

  it('no reply in time is a retryable 504 error; an unreachable target a retryable 502 naming the cause', async () => {
    answer = () => undefined; // never answers
    const slow = await invoker(300).invoke(event());
    expect(slow.type).toBe('error');
    expect(slow.type === 'error' && slow.status).toBe(504);
    expect(isRetryable(slow)).toBe(true);

    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const gone = await new HttpDeliveryInvoker({ target: `http://127.0.0.1:${port}/`, timeoutMs: 5000, log: recordingLogger() }).invoke(event());
    expect(gone.type === 'error' && gone.status).toBe(502);
    expect(isRetryable(gone)).toBe(true);
    expect(gone.type === 'error' && String((gone.error as Error).message)).toMatch(/ECONNREFUSED/);
    server.closeAllConnections();
  });

  it('sends once more when the connection is closed under the request (a stale kept-alive socket)', async () => {
    let n = 0;
    answer = (req, res) => {
      if (++n === 1) req.socket.destroy();
      else res.writeHead(200).end('second');
    };
    seen.length = 0;
    server.closeAllConnections(); // the earlier tests' kept-alive sockets would be stale ones too
    const outcome = await invoker().invoke(event({ data: 'x', datacontenttype: 'text/plain' }));
    expect(isSuccess(outcome)).toBe(true);
    expect(seen.length).toBe(2);
    expect(seen[1]!.headers['ce-id']).toBe('ev-1');
  });

  it("the request's signal cancels a delivery the function never answers: the request is aborted, a final 499 carrying the reason", async () => {
    let requestClosed!: Promise<void>;
    let arrived!: () => void;
    const seenRequest = new Promise<void>((r) => (arrived = r));
    answer = (req) => {
      requestClosed = new Promise((r) => req.socket.once('close', () => r()));
      arrived();
    }; // never answers
    const cancel = new AbortController();
    const delivering = invoker().invoke(event(), { signal: cancel.signal });
    await seenRequest;
    const reason = new ReplacedError('replaced by the cron tick of 03:05 (concurrency policy Replace)');
    cancel.abort(reason);
    const outcome = await delivering;
    expect(outcome.type).toBe('error');
    expect(outcome.type === 'error' && outcome.status).toBe(CANCELLED_STATUS);
    expect(outcome.type === 'error' && outcome.error).toBe(reason);
    expect(outcome.type === 'error' && outcome.body.error).toMatch(/was cancelled: replaced by the cron tick/);
    expect(isRetryable(outcome)).toBe(false);
    // The connection to the function is closed: the function's server sees the request go.
    await requestClosed;
  });

  it('a signal aborting while the reply body is still arriving cancels it too', async () => {
    let arrived!: () => void;
    const headersSent = new Promise<void>((r) => (arrived = r));
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part', () => arrived()); // and never ends
    };
    const cancel = new AbortController();
    const delivering = invoker().invoke(event(), { signal: cancel.signal });
    await headersSent;
    cancel.abort(new ReplacedError());
    const outcome = await delivering;
    expect(outcome.type === 'error' && outcome.status).toBe(CANCELLED_STATUS);
    expect(outcome.type === 'error' && outcome.error).toBeInstanceOf(ReplacedError);
    server.closeAllConnections();
  });

  it('an already aborted signal sends nothing', async () => {
    seen.length = 0;
    const cancel = new AbortController();
    cancel.abort(new ReplacedError());
    const outcome = await invoker().invoke(event(), { signal: cancel.signal });
    expect(outcome.type === 'error' && outcome.status).toBe(CANCELLED_STATUS);
    expect(seen.length).toBe(0);
  });

  it('whenIdle() waits for deliveries in flight', async () => {
    let release!: () => void;
    answer = (_req, res) => (release = () => res.writeHead(200).end('x'));
    const inv = invoker();
    const p = inv.invoke(event());
    await new Promise((r) => setTimeout(r, 100));
    expect(inv.pending).toBe(1);
    let idle = false;
    const w = inv.whenIdle().then(() => (idle = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(idle).toBe(false);
    release();
    await p;
    await w;
    expect(inv.pending).toBe(0);
  });
});
