import { join } from 'node:path';
import { headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFnRun, writeFunctions, type FnRun } from '../helpers.js';
import { connectNats, lines, NATS_URL, unique, waitFor } from './nats-helpers.js';

/**
 * Core NATS against the real server and the built fn-run (`npm run build` first): every binding mode
 * through request-reply, CloudEvent replies, error replies, dead letters of messages nobody waits
 * for, and a queue group shared by two fn-run processes.
 */

const INSPECT = `
import { appendFileSync } from 'node:fs';
export default async (event) => {
  const d = event.data;
  if (process.env.OUT) appendFileSync(process.env.OUT, event.id + '\\n');
  if (d === 'fail') throw new Error('boom: handler failed on purpose');
  if (d === 'ce') return { specversion: '1.0', id: 'reply-1', source: '/test/fn', type: 'test.reply', datacontenttype: 'application/json', data: { answered: event.id } };
  // Wrapped, so the result is not itself CloudEvent-shaped (which would make it a CloudEvent reply).
  return { seen: {
    id: event.id, source: event.source, type: event.type, subject: event.subject ?? null, specversion: event.specversion, time: event.time ?? null,
    datacontenttype: event.datacontenttype ?? null,
    data: Buffer.isBuffer(d) ? { bytes: d.toString('base64') } : d,
    comexampleext: event.comexampleext ?? null,
    trigger: { kind: event.trigger.kind, subject: event.trigger.subject, hasReply: typeof event.trigger.reply === 'string', headers: event.trigger.headers },
  } };
};
`;

const fns = writeFunctions({ 'inspect.mjs': INSPECT });
const u = unique();
const subject = `fnkit.t.${u}.in`;
const deadLetter = `fnkit.t.${u}.dead`;
let nc: NatsConnection;
let run: FnRun;

function hdrs(map: Record<string, string>) {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(map)) h.set(k, v);
  return h;
}

async function seen(body: string | Uint8Array, headers?: Record<string, string>): Promise<Record<string, unknown>> {
  const reply = await request(body, headers);
  expect(reply.headers?.has('Nats-Service-Error')).toBeFalsy();
  return reply.json<{ seen: Record<string, unknown> }>().seen;
}

async function request(body: string | Uint8Array, headers?: Record<string, string>): Promise<Msg> {
  return nc.request(subject, body, { timeout: 15_000, ...(headers ? { headers: hdrs(headers) } : {}) });
}

beforeAll(async () => {
  nc = await connectNats();
  run = await startFnRun(fns.path('inspect.mjs'), ['--nats', subject, '--nats-url', NATS_URL, '--nats-dead-letter', deadLetter, '--nats-max-message-size', '16kb']);
});

afterAll(async () => {
  await run?.stop();
  await nc?.drain();
  fns.remove();
});

describe('NATS core trigger: the CloudEvents NATS binding through request-reply', () => {
  it('structured mode: the event as sent, data parsed by its datacontenttype', async () => {
    const event = { specversion: '1.0', id: 's-1', source: 'urn:test', type: 'com.example.created', datacontenttype: 'application/json', data: { item: 'milk' }, comexampleext: 'x1' };
    expect(await seen(JSON.stringify(event), { 'Content-Type': 'application/cloudevents+json; charset=utf-8' })).toMatchObject({ id: 's-1', source: 'urn:test', type: 'com.example.created', data: { item: 'milk' }, comexampleext: 'x1', trigger: { kind: 'nats', subject, hasReply: true } });
  });

  it('binary mode: ce-* headers (any case), ce-datacontenttype, percent-decoded values', async () => {
    const got = await seen('{"n":7}', {
      'ce-specversion': '1.0',
      'Ce-Id': 'b-1',
      'ce-source': '/orders',
      'ce-type': 'com.example.order',
      'ce-subject': 'caf%C3%A9',
      'ce-datacontenttype': 'application/json',
      'ce-comexampleext': 'y2',
    });
    expect(got).toMatchObject({ id: 'b-1', source: '/orders', type: 'com.example.order', subject: 'café', datacontenttype: 'application/json', data: { n: 7 }, comexampleext: 'y2' });
  });

  it('plain messages are wrapped: source and type say where they came from; data by Content-Type', async () => {
    const raw = await seen(new Uint8Array([1, 2, 3]));
    expect(raw).toMatchObject({ specversion: '1.0', source: `/nats/${subject}`, type: 'dev.fnkit.nats.message', subject, datacontenttype: null, data: { bytes: Buffer.from([1, 2, 3]).toString('base64') } });
    expect(raw.id).toMatch(/^[0-9a-f-]{36}$/);
    const json = await seen('{"a":[1,2]}', { 'Content-Type': 'application/json', 'Nats-Msg-Id': 'p-1', 'X-Trace': 't1' });
    expect(json).toMatchObject({ id: 'p-1', datacontenttype: 'application/json', data: { a: [1, 2] }, trigger: { headers: { 'X-Trace': ['t1'] } } });
  });

  it('the handler result is the reply: JSON body and Content-Type', async () => {
    const reply = await request('hello', { 'Content-Type': 'text/plain' });
    expect(reply.headers?.get('Content-Type')).toMatch(/^application\/json/);
    expect(reply.json()).toMatchObject({ seen: { data: 'hello' } });
  });

  it('a CloudEvent result goes back in binary mode (ce-* headers, ce-datacontenttype)', async () => {
    const reply = await request('ce', { 'Content-Type': 'text/plain', 'Nats-Msg-Id': 'q-9' });
    const h = reply.headers!;
    expect(h.get('ce-id')).toBe('reply-1');
    expect(h.get('ce-source')).toBe('/test/fn');
    expect(h.get('ce-type')).toBe('test.reply');
    expect(h.get('ce-specversion')).toBe('1.0');
    expect(h.get('ce-datacontenttype')).toBe('application/json');
    expect(reply.json()).toEqual({ answered: 'q-9' });
  });

  it('a failing handler answers with Nats-Service-Error headers and a JSON error body', async () => {
    const reply = await request('fail', { 'Content-Type': 'text/plain', 'Nats-Msg-Id': 'f-1' });
    const h = reply.headers!;
    expect(h.get('Nats-Service-Error-Code')).toBe('500');
    expect(h.get('Nats-Service-Error')).toBe('Internal Server Error'); // the handler's own message stays private, as over HTTP
    expect(reply.json()).toMatchObject({ status: 500, eventId: 'f-1', error: expect.any(String) });
  });

  it('an invalid CloudEvent is answered with a 400 naming the attribute; the handler is not called', async () => {
    const reply = await request('{}', { 'ce-specversion': '1.0', 'ce-source': '/s', 'ce-type': 't' });
    expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('400');
    expect(reply.headers?.get('Nats-Service-Error')).toMatch(/missing required attribute 'id'/);
    expect(reply.json()).toMatchObject({ status: 400 });
  });

  it('a payload larger than --nats-max-message-size is answered with 413 without calling the handler', async () => {
    const reply = await request(Buffer.alloc(20_000, 0x61), { 'Content-Type': 'text/plain' });
    expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('413');
    expect(reply.headers?.get('Nats-Service-Error')).toMatch(/20000 bytes, more than --nats-max-message-size \(16384 bytes\)/);
  });
});

describe('NATS core trigger: dead letters', () => {
  it('a message nobody waits for that fails, or cannot be decoded, goes to the dead-letter subject with the reason', async () => {
    const sub = nc.subscribe(deadLetter, { max: 2 });
    await nc.flush();
    const got: Msg[] = [];
    const done = (async () => {
      for await (const m of sub) got.push(m);
    })();
    nc.publish(subject, 'fail', { headers: hdrs({ 'Content-Type': 'text/plain', 'Nats-Msg-Id': 'dl-1' }) });
    nc.publish(subject, '{"specversion":"1.0"', { headers: hdrs({ 'Content-Type': 'application/cloudevents+json' }) });
    await waitFor('two dead letters', () => got.length === 2, 30_000);
    await done;
    const failed = got.find((m) => m.headers?.get('Nats-Msg-Id') === 'dl-1')!;
    expect(failed.string()).toBe('fail');
    expect(failed.headers?.get('Fnkit-Dead-Letter-Code')).toBe('500');
    expect(failed.headers?.get('Fnkit-Original-Subject')).toBe(subject);
    const bad = got.find((m) => m !== failed)!;
    expect(bad.string()).toBe('{"specversion":"1.0"');
    expect(bad.headers?.get('Fnkit-Dead-Letter-Code')).toBe('400');
    expect(bad.headers?.get('Fnkit-Dead-Letter-Reason')).toMatch(/not valid JSON/);
    expect(bad.headers?.get('Content-Type')).toBe('application/cloudevents+json');
  });
});

describe('NATS core trigger: queue group', () => {
  it('two fn-run processes in one queue group share the messages: each message handled exactly once', async () => {
    const qs = `fnkit.t.${u}.queue`;
    const group = `g${u}`;
    const outA = join(fns.dir, 'a.txt');
    const outB = join(fns.dir, 'b.txt');
    const args = ['--nats', qs, '--nats-url', NATS_URL, '--nats-queue', group];
    const [a, b] = await Promise.all([startFnRun(fns.path('inspect.mjs'), args, { OUT: outA }), startFnRun(fns.path('inspect.mjs'), args, { OUT: outB })]);
    try {
      const n = 200;
      for (let i = 0; i < n; i++) nc.publish(qs, `m${i}`, { headers: hdrs({ 'Nats-Msg-Id': `q-${i}` }) });
      await nc.flush();
      await waitFor(`${n} messages handled`, () => lines(outA).length + lines(outB).length >= n, 60_000);
      const seenA = lines(outA);
      const seenB = lines(outB);
      expect(seenA.length).toBeGreaterThan(0);
      expect(seenB.length).toBeGreaterThan(0);
      const all = [...seenA, ...seenB];
      expect(all.length).toBe(n);
      expect(new Set(all).size).toBe(n);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
