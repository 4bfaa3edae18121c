import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFnRun, writeFunctions, type FnRun } from '../helpers.js';
import { connectNats, lines, manager, NATS_URL, unique, waitFor } from './nats-helpers.js';

/**
 * At-least-once through process death: fn-run's JetStream trigger is killed with SIGKILL in the middle
 * of 10,000 messages and restarted; every message id must reach the handler at least once. And
 * SIGTERM: what is in flight finishes (and is acked) before the process exits.
 */

// Appends synchronously: what the handler saw survives SIGKILL (it is in the OS, not in a buffer).
const HANDLER = `
import { appendFileSync } from 'node:fs';
const delay = Number(process.env.DELAY_MS ?? 0);
export default async (event) => {
  if (process.env.LOG_START) appendFileSync(process.env.OUT, 'start ' + event.id + '\\n');
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  appendFileSync(process.env.OUT, (process.env.LOG_START ? 'end ' : '') + event.id + '\\n');
};
`;

const fns = writeFunctions({ 'append.mjs': HANDLER });
let nc: NatsConnection;
let jsm: JetStreamManager;
const streams: string[] = [];

async function setUpStream(u: string): Promise<{ stream: string; subject: string; durable: string }> {
  const stream = `FNKIT_CRASH_${u}`;
  const subject = `fnkit.crash.${u}`;
  await jsm.streams.add({ name: stream, subjects: [subject] });
  streams.push(stream);
  return { stream, subject, durable: `fn_${u}` };
}

/** Publishes ids with Nats-Msg-Id (the event id), many acks awaited at once. */
async function publishIds(subject: string, ids: string[]): Promise<void> {
  const js = jetstream(nc);
  for (let i = 0; i < ids.length; i += 500) {
    await Promise.all(ids.slice(i, i + 500).map((id) => js.publish(subject, id, { msgID: id })));
  }
}

beforeAll(async () => {
  nc = await connectNats();
  jsm = await manager(nc);
});

afterAll(async () => {
  for (const s of streams) await jsm?.streams.delete(s).catch(() => undefined);
  await nc?.drain();
  fns.remove();
});

describe('NATS JetStream trigger: process death', () => {
  it('SIGKILL in the middle of 10,000 messages, restart: every id handled at least once, none missing', async () => {
    const { stream, subject, durable } = await setUpStream(unique());
    const out = join(fns.dir, `crash-${stream}.txt`);
    const n = 10_000;
    const ids = Array.from({ length: n }, (_, i) => `m-${i}`);
    await publishIds(subject, ids);
    const args = ['--nats', subject, '--nats-url', NATS_URL, '--nats-stream', stream, '--nats-durable', durable, '--nats-ack-wait', '3s', '--nats-max-in-flight', '16'];
    const env = { OUT: out, DELAY_MS: '2' };

    const first = await startFnRun(fns.path('append.mjs'), args, env);
    await waitFor('a third of the messages handled', () => lines(out).length >= n / 3, 120_000, 20);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const beforeRestart = new Set(lines(out));
    expect(beforeRestart.size).toBeLessThan(n); // killed in the middle, not after the end

    const second = await startFnRun(fns.path('append.mjs'), args, env);
    try {
      await waitFor('every id handled', () => new Set(lines(out)).size >= n, 120_000, 100);
      const handled = new Set(lines(out));
      expect(ids.filter((id) => !handled.has(id))).toEqual([]);
      expect(handled.size).toBe(n);
      await waitFor('the consumer to have nothing pending or unacknowledged', async () => {
        const info = await jsm.consumers.info(stream, durable);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      }, 60_000, 200);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  it('SIGTERM: stops fetching, finishes what is in flight (and acks it), exits 0; a restart handles the rest', async () => {
    const { stream, subject, durable } = await setUpStream(unique());
    const out = join(fns.dir, `term-${stream}.txt`);
    const n = 200;
    const ids = Array.from({ length: n }, (_, i) => `t-${i}`);
    await publishIds(subject, ids);
    const args = ['--nats', subject, '--nats-url', NATS_URL, '--nats-stream', stream, '--nats-durable', durable, '--nats-ack-wait', '30s', '--nats-max-in-flight', '8'];
    const env = { OUT: out, DELAY_MS: '300', LOG_START: '1' };

    const first = await startFnRun(fns.path('append.mjs'), args, env);
    await waitFor('some messages handled', () => lines(out).filter((l) => l.startsWith('end ')).length >= 16, 60_000, 20);
    expect(await first.stop('SIGTERM')).toBe(0);
    const firstRun = lines(out);
    const started = firstRun.filter((l) => l.startsWith('start ')).map((l) => l.slice(6));
    const ended = new Set(firstRun.filter((l) => l.startsWith('end ')).map((l) => l.slice(4)));
    expect(started.length).toBeLessThan(n);
    expect(started.filter((id) => !ended.has(id))).toEqual([]); // nothing in flight was abandoned

    const second = await startFnRun(fns.path('append.mjs'), args, env);
    try {
      await waitFor('every id handled', () => new Set(lines(out).filter((l) => l.startsWith('end ')).map((l) => l.slice(4))).size >= n, 120_000, 100);
      const secondRun = lines(out).slice(firstRun.length).filter((l) => l.startsWith('end ')).map((l) => l.slice(4));
      // What the first run finished was acked before it exited: none of it is delivered again.
      expect(secondRun.filter((id) => ended.has(id))).toEqual([]);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
