import { join } from 'node:path';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFnRun, waitForMetric, writeFunctions, type FnRun } from '../helpers.js';
import { connectNats, lines, manager, NATS_URL, unique, waitFor } from './nats-helpers.js';

/**
 * The JetStream trigger against the real server and the built fn-run: binding modes, ack after
 * success, in-progress acks for a handler longer than ack-wait, retries with nak then dead-letter,
 * non-retryable failures and undecodable messages dead-lettered at once (stored in a dead-letter
 * stream, with headers saying why).
 */

const HANDLER = `
import { appendFileSync } from 'node:fs';
export default async (event) => {
  const d = typeof event.data === 'string' ? event.data : Buffer.isBuffer(event.data) ? event.data.toString() : JSON.stringify(event.data);
  appendFileSync(process.env.OUT, JSON.stringify({ id: event.id, source: event.source, type: event.type, d, delivery: event.trigger.deliveryCount, seq: event.trigger.streamSequence, stream: event.trigger.stream }) + '\\n');
  if (d.startsWith('fail')) throw new Error('boom ' + d);
  if (d.startsWith('bad')) throw Object.assign(new Error('bad input ' + d), { status: 422 });
  if (d.startsWith('slow')) await new Promise((r) => setTimeout(r, Number(d.slice(4))));
  return 'ok';
};
`;

interface Seen {
  id: string;
  source: string;
  type: string;
  d: string;
  delivery: number;
  seq: number;
  stream: string;
}

const fns = writeFunctions({ 'handler.mjs': HANDLER });
const out = join(fns.dir, 'seen.jsonl');
const u = unique();
const stream = `FNKIT_T_${u}`;
const dlqStream = `FNKIT_DLQ_${u}`;
const subject = `fnkit.js.${u}.in`;
const dlq = `fnkit.jsdlq.${u}`;
const durable = `fn_${u}`;
let nc: NatsConnection;
let jsm: JetStreamManager;
let js: JetStreamClient;
let run: FnRun;

const seen = (): Seen[] => lines(out).map((l) => JSON.parse(l) as Seen);

function hdrs(map: Record<string, string>) {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(map)) h.set(k, v);
  return h;
}

async function publish(body: string, headers?: Record<string, string>): Promise<number> {
  const ack = await js.publish(subject, body, headers ? { headers: hdrs(headers) } : {});
  return ack.seq;
}

async function consumerSettled(): Promise<boolean> {
  const info = await jsm.consumers.info(stream, durable);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

async function deadLetters(n: number): Promise<StoredMsg[]> {
  await waitFor(`${n} dead letters in ${dlqStream}`, async () => (await jsm.streams.info(dlqStream)).state.messages >= n, 60_000, 100);
  const msgs: StoredMsg[] = [];
  for (let seq = 1; seq <= n; seq++) msgs.push(await jsm.streams.getMessage(dlqStream, { seq }) as StoredMsg);
  return msgs;
}

beforeAll(async () => {
  nc = await connectNats();
  jsm = await manager(nc);
  js = jetstream(nc);
  await jsm.streams.add({ name: stream, subjects: [subject] });
  await jsm.streams.add({ name: dlqStream, subjects: [dlq] });
  run = await startFnRun(
    fns.path('handler.mjs'),
    ['--nats', subject, '--nats-url', NATS_URL, '--nats-stream', stream, '--nats-durable', durable, '--nats-dead-letter', dlq, '--nats-max-deliver', '3', '--nats-retry-delay', '100ms', '--nats-retry-max-delay', '400ms', '--nats-ack-wait', '2s', '--nats-max-message-size', '16kb'],
    { OUT: out },
  );
});

afterAll(async () => {
  await run?.stop();
  await jsm?.streams.delete(stream).catch(() => undefined);
  await jsm?.streams.delete(dlqStream).catch(() => undefined);
  await nc?.drain();
  fns.remove();
});

describe('NATS JetStream trigger', () => {
  it('creates the durable pull consumer with explicit acks', async () => {
    const info = await jsm.consumers.info(stream, durable);
    expect(info.config.durable_name).toBe(durable);
    expect(info.config.ack_policy).toBe('explicit');
    expect(info.config.filter_subject).toBe(subject);
  });

  it('handles every binding mode and acks each message after the handler succeeded', async () => {
    const plainSeq = await publish('ok-plain');
    await publish(JSON.stringify({ specversion: '1.0', id: 'js-s', source: 'urn:t', type: 'com.example.s', data: 'ok-structured' }), { 'Content-Type': 'application/cloudevents+json' });
    await publish('ok-binary', { 'ce-specversion': '1.0', 'ce-id': 'js-b', 'ce-source': '/b', 'ce-type': 'com.example.b', 'ce-datacontenttype': 'text/plain' });
    await publish('ok-msgid', { 'Nats-Msg-Id': 'js-m' });
    await waitFor('the four messages handled', () => seen().filter((s) => s.d.startsWith('ok-')).length >= 4);
    await waitFor('the consumer to have nothing pending or unacknowledged', consumerSettled);
    const byD = new Map(seen().map((s) => [s.d, s]));
    expect(byD.get('ok-plain')).toMatchObject({ id: `${stream}:${plainSeq}`, source: `/nats/${subject}`, type: 'dev.fnkit.nats.message', delivery: 1, stream });
    expect(byD.get('ok-structured')).toMatchObject({ id: 'js-s', source: 'urn:t', type: 'com.example.s' });
    expect(byD.get('ok-binary')).toMatchObject({ id: 'js-b', source: '/b', type: 'com.example.b' });
    expect(byD.get('ok-msgid')).toMatchObject({ id: 'js-m' });
    await waitForMetric(run.base, new RegExp(`fnkit_trigger_messages_total\\{trigger="nats:${stream}/${durable}",event="succeeded"\\} [4-9]`));
  });

  it('keeps a handler that runs longer than ack-wait from being redelivered (in-progress acks)', async () => {
    await publish('slow5000');
    await waitFor('the slow message handled and acked', async () => seen().some((s) => s.d === 'slow5000') && (await consumerSettled()), 60_000, 200);
    expect(seen().filter((s) => s.d === 'slow5000')).toHaveLength(1);
  });

  it('retries a failing handler with nak up to max-deliver, then dead-letters it with the reason', async () => {
    const seq = await publish('fail-1', { 'X-Custom': 'kept' });
    const [dead] = await deadLetters(1);
    const attempts = seen().filter((s) => s.d === 'fail-1');
    expect(attempts.map((a) => a.delivery)).toEqual([1, 2, 3]);
    expect(Buffer.from(dead!.data).toString()).toBe('fail-1');
    const h = dead!.header;
    expect(h.get('Fnkit-Dead-Letter-Code')).toBe('500');
    expect(h.get('Fnkit-Dead-Letter-Reason')).toMatch(/boom fail-1.*delivery 3 of 3/);
    expect(h.get('Fnkit-Original-Subject')).toBe(subject);
    expect(h.get('Fnkit-Original-Stream')).toBe(stream);
    expect(h.get('Fnkit-Original-Sequence')).toBe(String(seq));
    expect(h.get('Fnkit-Delivery-Count')).toBe('3');
    expect(h.get('X-Custom')).toBe('kept');
    await waitFor('the consumer to have nothing pending or unacknowledged', consumerSettled);
    await waitForMetric(run.base, new RegExp(`event="retried"\\} [2-9]`));
  });

  it('dead-letters a non-retryable failure after one delivery, and an oversized or undecodable message without calling the handler', async () => {
    const before = (await jsm.streams.info(dlqStream)).state.messages;
    await publish('bad-1');
    const bigSeq = await publish('x'.repeat(20_000));
    const badSeq = await publish('{"specversion": "1.0", "id": ', { 'Content-Type': 'application/cloudevents+json' });
    const all = await deadLetters(before + 3);
    const fresh = all.slice(before);
    const bad = fresh.find((m) => Buffer.from(m.data).toString() === 'bad-1')!;
    expect(bad.header.get('Fnkit-Dead-Letter-Code')).toBe('422');
    expect(bad.header.get('Fnkit-Delivery-Count')).toBe('1');
    expect(seen().filter((s) => s.d === 'bad-1')).toHaveLength(1);
    const big = fresh.find((m) => m.header.get('Fnkit-Original-Sequence') === String(bigSeq))!;
    expect(big.header.get('Fnkit-Dead-Letter-Code')).toBe('413');
    expect(big.data.byteLength).toBe(20_000);
    expect(seen().some((s) => s.seq === bigSeq)).toBe(false);
    const undecodable = fresh.find((m) => m !== bad && m !== big)!;
    expect(undecodable.header.get('Fnkit-Dead-Letter-Code')).toBe('400');
    expect(undecodable.header.get('Fnkit-Dead-Letter-Reason')).toMatch(/not valid JSON/);
    expect(undecodable.header.get('Fnkit-Original-Sequence')).toBe(String(badSeq));
    expect(seen().some((s) => s.seq === badSeq)).toBe(false);
    await waitFor('the consumer to have nothing pending or unacknowledged', consumerSettled);
    await waitForMetric(run.base, new RegExp(`event="dead_lettered"\\} [4-9]`));
  });

  it('creates the durable consumer again when it is deleted under a running trigger', async () => {
    await jsm.consumers.delete(stream, durable);
    await publish('ok-after-delete');
    await waitFor('the message published after the deletion handled', () => seen().some((s) => s.d === 'ok-after-delete'), 90_000, 100);
    expect((await jsm.consumers.info(stream, durable)).config.ack_policy).toBe('explicit');
  });
});
