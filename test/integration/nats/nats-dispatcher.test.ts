import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startFnRun, writeFunctions, type FnRun } from '../helpers.js';
import { startCli, waitForStatus, type CliProcess } from '../triggers/cli-process.js';
import { connectNats, lines, manager, NATS_URL, unique, waitFor } from './nats-helpers.js';

/**
 * Dispatcher mode: `fn-run trigger nats --target <url>` runs the JetStream trigger apart from the
 * function and POSTs each message as a binary-mode CloudEvent; a non-2xx reply is a failure, retried
 * and then dead-lettered like an in-process one.
 */

const HANDLER = `
import { appendFileSync } from 'node:fs';
export default async (event) => {
  const d = Buffer.isBuffer(event.data) ? event.data.toString() : String(event.data);
  appendFileSync(process.env.OUT, JSON.stringify({ id: event.id, source: event.source, type: event.type, d }) + '\\n');
  if (d === 'fail') throw new Error('boom');
  return 'ok';
};
`;

const fns = writeFunctions({ 'handler.mjs': HANDLER });
const out = join(fns.dir, 'seen.jsonl');
const u = unique();
const stream = `FNKIT_DISP_${u}`;
const dlqStream = `FNKIT_DISP_DLQ_${u}`;
const subject = `fnkit.disp.${u}`;
const dlq = `fnkit.disp.dead.${u}`;
let nc: NatsConnection;
let jsm: JetStreamManager;
let fn: FnRun;
let dispatcher: CliProcess;

beforeAll(async () => {
  nc = await connectNats();
  jsm = await manager(nc);
  await jsm.streams.add({ name: stream, subjects: [subject] });
  await jsm.streams.add({ name: dlqStream, subjects: [dlq] });
  fn = await startFnRun(fns.path('handler.mjs'), [], { OUT: out });
  const port = await freePort();
  dispatcher = startCli(['trigger', 'nats', '--port', String(port), '--host', '127.0.0.1', '--target', fn.base, '--nats', subject, '--nats-url', NATS_URL, '--nats-stream', stream, '--nats-durable', 'fn', '--nats-dead-letter', dlq, '--nats-max-deliver', '2', '--nats-retry-delay', '100ms']);
  await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 'the NATS dispatcher to be ready');
});

afterAll(async () => {
  await dispatcher?.stop();
  await fn?.stop();
  await jsm?.streams.delete(stream).catch(() => undefined);
  await jsm?.streams.delete(dlqStream).catch(() => undefined);
  await nc?.drain();
  fns.remove();
});

describe('NATS trigger in dispatcher mode (fn-run trigger nats --target)', () => {
  it('delivers each message as a CloudEvent over HTTP; a 500 reply is retried, then dead-lettered', async () => {
    const js = jetstream(nc);
    const ok = await js.publish(subject, 'hello');
    await js.publish(subject, 'fail');
    await waitFor('the dead letter', async () => (await jsm.streams.info(dlqStream)).state.messages >= 1, 60_000, 100);
    const dead = (await jsm.streams.getMessage(dlqStream, { seq: 1 })) as StoredMsg;
    expect(Buffer.from(dead.data).toString()).toBe('fail');
    expect(dead.header.get('Fnkit-Dead-Letter-Code')).toBe('500');
    expect(dead.header.get('Fnkit-Delivery-Count')).toBe('2');
    const seen = lines(out).map((l) => JSON.parse(l) as { id: string; source: string; type: string; d: string });
    expect(seen.find((s) => s.d === 'hello')).toMatchObject({ id: `${stream}:${ok.seq}`, source: `/nats/${subject}`, type: 'dev.fnkit.nats.message' });
    expect(seen.filter((s) => s.d === 'fail')).toHaveLength(2);
    await waitFor('the consumer to have nothing pending or unacknowledged', async () => {
      const info = await jsm.consumers.info(stream, 'fn');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
  });
});
