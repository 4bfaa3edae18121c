import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFnRun, waitForMetric, writeFunctions, type FnRun } from '../helpers.js';
import { RECORDING_HANDLER, createTopic, deleteTopics, produce, readLines, readRecords, requireKafka, unique, waitFor } from './kafka-helpers.js';

/**
 * Delivery semantics through fn-run and the real broker: retries with backoff then the dead-letter
 * topic, a final (4xx) failure dead-lettered at once, and order kept within each partition while
 * partitions run side by side.
 */

type Seen = { id: string; partition: number; offset: string; key: string | null; attempt: number; failed?: number; data: { seq?: number; fail?: string } };

describe('fn-run --kafka: delivery', () => {
  const topic = unique('kd');
  const dlq = unique('kd-dead');
  const group = unique('g');
  const fns = writeFunctions({ 'handler.mjs': RECORDING_HANDLER });
  const out = join(fns.dir, 'seen.jsonl');
  let fn: FnRun;

  beforeAll(async () => {
    await requireKafka();
    await createTopic(topic, 4);
    fn = await startFnRun(
      fns.path('handler.mjs'),
      ['--kafka', topic, '--kafka-from-beginning', '--kafka-group', group, '--kafka-dead-letter', dlq, '--kafka-retries', '2', '--kafka-retry-backoff', '50ms', '--kafka-partition-concurrency', '4'],
      { KT_OUT: out },
    );
  });

  afterAll(async () => {
    await fn?.stop();
    await deleteTopics([topic, dlq]);
    fns.remove();
  });

  it('retries retryable failures, then dead-letters with the reason; 4xx failures go at once; the partition moves on', async () => {
    await produce(topic, [
      { key: 'r', partition: 0, value: JSON.stringify({ fail: 'always', seq: 1 }) },
      { key: 'r', partition: 0, value: JSON.stringify({ fail: 'once', seq: 2 }) },
      { key: 'r', partition: 0, value: JSON.stringify({ fail: 'bad', seq: 3 }) },
      { key: 'r', partition: 0, value: JSON.stringify({ seq: 4 }) },
    ]);
    const onP0 = () => readLines<Seen>(out).filter((s) => s.partition === 0);
    await waitFor(() => onP0().some((s) => s.data.seq === 4), () => JSON.stringify(onP0()));
    const seen = onP0();
    // seq 1: three attempts (1 + 2 retries), all failed; seq 2: failed once, then succeeded; seq 3: one attempt (400 is final).
    expect(seen.map((s) => `${s.data.seq}:${s.attempt}:${s.failed ?? 'ok'}`)).toEqual(['1:1:500', '1:2:500', '1:3:500', '2:1:500', '2:2:ok', '3:1:400', '4:1:ok']);

    const dead = await readRecords(dlq, 2);
    const bySeq = new Map(dead.map((r) => [JSON.parse(r.value!).seq as number, r]));
    expect(bySeq.get(1)!.headers).toMatchObject({ 'fnkit-dlq-kind': 'failed', 'fnkit-dlq-attempts': '3', 'fnkit-dlq-topic': topic, 'fnkit-dlq-partition': '0', 'fnkit-dlq-offset': '0', 'fnkit-dlq-group': group });
    expect(bySeq.get(1)!.headers['fnkit-dlq-reason']).toMatch(/500.*gave up after 3 attempts/);
    expect(bySeq.get(1)!.key).toBe('r');
    expect(bySeq.get(3)!.headers).toMatchObject({ 'fnkit-dlq-kind': 'failed', 'fnkit-dlq-attempts': '1', 'fnkit-dlq-offset': '2' });
    expect(bySeq.get(3)!.headers['fnkit-dlq-reason']).toMatch(/400/);

    const name = `kafka:${topic}`;
    const metrics = await waitForMetric(fn.base, new RegExp(`event="dead_lettered"\\} 2`), 400);
    expect(metrics).toContain(`fnkit_trigger_messages_total{trigger="${name}",event="retried"} 3`);
    expect(metrics).toContain(`fnkit_trigger_messages_total{trigger="${name}",event="succeeded"} 2`);
  });

  it('keeps order within each partition', async () => {
    const perKey = 100;
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const messages = [];
    for (let seq = 0; seq < perKey; seq++) for (const key of keys) messages.push({ key, value: JSON.stringify({ seq, key, sleepMs: seq % 10 === 0 ? 5 : 0 }) });
    const before = readLines(out).length;
    await produce(topic, messages);
    const fresh = () => readLines<Seen & { data: { key: string } }>(out).slice(before);
    await waitFor(() => fresh().length >= messages.length, () => `${fresh().length} of ${messages.length}`);
    const seen = fresh();
    const partitions = new Set<number>();
    for (const key of keys) {
      const seqs = seen.filter((s) => s.data.key === key).map((s) => s.data.seq);
      expect(seqs).toEqual(Array.from({ length: perKey }, (_, i) => i));
      partitions.add(seen.find((s) => s.data.key === key)!.partition);
    }
    expect(partitions.size).toBeGreaterThan(1);
    for (const p of partitions) {
      const offsets = seen.filter((s) => s.partition === p).map((s) => BigInt(s.offset));
      expect(offsets.every((o, i) => i === 0 || o > offsets[i - 1]!)).toBe(true);
    }
  });
});
