import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFnRun, writeFunctions, type FnRun } from '../helpers.js';
import { RECORDING_HANDLER, committedOffsets, createTopic, deleteTopics, produce, readLines, requireKafka, unique, waitFor } from './kafka-helpers.js';

/**
 * At least once through crashes and shutdowns, with the real fn-run and broker:
 * - 10,000 records; fn-run killed with SIGKILL in the middle and started again: every record seen by
 *   the handler at least once, none missing;
 * - SIGTERM while handlers run: every invocation in flight finishes, its offset is committed before
 *   exit, and a restarted consumer neither loses nor repeats a record.
 */

type Seen = { id: string; partition: number; offset: string; data: { rid: number } };

describe('fn-run --kafka: crash and shutdown', () => {
  const fns = writeFunctions({ 'handler.mjs': RECORDING_HANDLER });
  const topics: string[] = [];
  const running: FnRun[] = [];

  beforeAll(async () => {
    await requireKafka();
  });

  afterAll(async () => {
    for (const r of running) await r.stop('SIGKILL');
    await deleteTopics(topics);
    fns.remove();
  });

  async function start(topic: string, group: string, env: Record<string, string>): Promise<FnRun> {
    const run = await startFnRun(fns.path('handler.mjs'), ['--kafka', topic, '--kafka-from-beginning', '--kafka-group', group, '--kafka-partition-concurrency', '4', '--kafka-session-timeout', '6s'], env);
    running.push(run);
    return run;
  }

  it('SIGKILL in the middle of 10,000 records, restart: every record handled at least once', async () => {
    const topic = unique('kc');
    const group = unique('g');
    topics.push(topic, `${topic}.dlq`);
    const total = 10_000;
    await createTopic(topic, 4);
    await produce(topic, Array.from({ length: total }, (_, rid) => ({ key: `k${rid % 97}`, value: JSON.stringify({ rid }) })));
    const out = join(fns.dir, 'crash.jsonl');
    const ids = () => new Set(readLines<Seen>(out).map((s) => s.data.rid));

    const first = await start(topic, group, { KT_OUT: out, KT_SLEEP_MS: '1' });
    await waitFor(() => readLines(out).length >= 2500, () => `handler saw ${readLines(out).length} records before the kill`, 120_000);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    const beforeRestart = ids().size;
    expect(beforeRestart).toBeLessThan(total);

    await start(topic, group, { KT_OUT: out });
    await waitFor(() => ids().size === total, () => `${ids().size} of ${total} distinct records seen (${beforeRestart} before the kill)`, 180_000);
    const seen = ids();
    const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !seen.has(i));
    expect(missing).toEqual([]);
  });

  it('SIGTERM: in-flight invocations finish and are committed; nothing lost, nothing repeated after restart', async () => {
    const topic = unique('ks');
    const group = unique('g');
    topics.push(topic, `${topic}.dlq`);
    const total = 200;
    await createTopic(topic, 4);
    await produce(topic, Array.from({ length: total }, (_, rid) => ({ key: `k${rid}`, value: JSON.stringify({ rid }) })));
    const out = join(fns.dir, 'term.jsonl');
    const started = join(fns.dir, 'term-started.jsonl');

    const first = await start(topic, group, { KT_OUT: out, KT_START: started, KT_SLEEP_MS: '300' });
    await waitFor(() => readLines(started).length >= 8, () => `${readLines(started).length} invocations started`);
    expect(await first.stop('SIGTERM')).toBe(0);

    // Every invocation that started before the stop finished.
    const startedIds = readLines<{ id: string }>(started).map((s) => s.id);
    const done = readLines<Seen>(out);
    expect(new Set(done.map((s) => s.id))).toEqual(new Set(startedIds));
    expect(done.length).toBeLessThan(total);
    // ... and its offset was committed before exit: each partition's commit is right after its last finished record.
    const committed = await committedOffsets(group, topic);
    for (let p = 0; p < 4; p++) {
      const finished = done.filter((s) => s.partition === p).map((s) => Number(s.offset));
      const expected = finished.length === 0 ? -1 : Math.max(...finished) + 1;
      expect({ partition: p, committed: committed.get(p) }).toEqual({ partition: p, committed: expected });
    }

    await start(topic, group, { KT_OUT: out });
    await waitFor(() => readLines(out).length >= total, () => `${readLines(out).length} of ${total} records handled`);
    const all = readLines<Seen>(out).map((s) => s.data.rid).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: total }, (_, i) => i));
  });
});
