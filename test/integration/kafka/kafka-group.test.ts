import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, freePort, root, sleep, startFnRun, writeFunctions, type FnRun } from '../helpers.js';
import { RECORDING_HANDLER, createTopic, deleteTopics, produce, readLines, readRecords, requireKafka, unique, waitFor } from './kafka-helpers.js';

/**
 * Replicas of one function share a topic's partitions through the consumer group (a rebalance when one
 * joins, another when one leaves, nothing lost), and dispatcher mode (`fn-run trigger kafka --target`)
 * delivers records to a function over HTTP with the same semantics: a non-2xx reply is a failure.
 */

type Seen = { id: string; partition: number; offset: string; failed?: number; data: { rid: number } };

describe('fn-run --kafka: consumer groups and dispatcher mode', () => {
  const fns = writeFunctions({ 'handler.mjs': RECORDING_HANDLER });
  const topics: string[] = [];
  const runs: FnRun[] = [];

  beforeAll(async () => {
    await requireKafka();
  });

  afterAll(async () => {
    for (const r of runs) await r.stop('SIGKILL');
    await deleteTopics(topics);
    fns.remove();
  });

  it('replicas in one group share the partitions; one joining and one leaving lose nothing', async () => {
    const topic = unique('kg');
    const group = unique('g');
    topics.push(topic, `${topic}.dlq`);
    const total = 3000;
    await createTopic(topic, 4);
    await produce(topic, Array.from({ length: total }, (_, rid) => ({ key: `k${rid % 50}`, value: JSON.stringify({ rid }) })));
    const outA = join(fns.dir, 'group-a.jsonl');
    const outB = join(fns.dir, 'group-b.jsonl');
    const args = ['--kafka', topic, '--kafka-from-beginning', '--kafka-group', group, '--kafka-session-timeout', '6s'];
    const all = () => new Set([...readLines<Seen>(outA), ...readLines<Seen>(outB)].map((s) => s.data.rid));

    const a = await startFnRun(fns.path('handler.mjs'), args, { KT_OUT: outA, KT_SLEEP_MS: '3' });
    runs.push(a);
    await waitFor(() => readLines(outA).length >= 300, () => `replica A handled ${readLines(outA).length}`);
    const b = await startFnRun(fns.path('handler.mjs'), args, { KT_OUT: outB, KT_SLEEP_MS: '3' });
    runs.push(b);
    await waitFor(() => readLines(outB).length >= 100, () => `replica B handled ${readLines(outB).length} (no partitions after the rebalance?)`, 90_000);
    // A leaves (SIGTERM): B takes over its partitions.
    expect(await a.stop('SIGTERM')).toBe(0);
    await waitFor(() => all().size === total, () => `${all().size} of ${total} records handled`, 120_000);
    const seen = all();
    expect(Array.from({ length: total }, (_, i) => i).filter((i) => !seen.has(i))).toEqual([]);
    // Within each replica, a partition's offsets only grow: a partition it kept through the rebalance
    // is not handled again from the last commit (records fetched again are skipped).
    for (const out of [outA, outB]) {
      const lines = readLines<Seen>(out);
      for (let p = 0; p < 4; p++) {
        const offs = lines.filter((s) => s.partition === p).map((s) => Number(s.offset));
        expect(offs.filter((o, i) => i > 0 && o <= offs[i - 1]!)).toEqual([]);
      }
    }
  });

  it('dispatcher mode: fn-run trigger kafka --target delivers over HTTP; a non-2xx reply is a failure', async () => {
    const topic = unique('kt');
    topics.push(topic, `${topic}.dlq`);
    await createTopic(topic, 1);
    const out = join(fns.dir, 'dispatch.jsonl');
    const fn = await startFnRun(fns.path('handler.mjs'), [], { KT_OUT: out });
    runs.push(fn);

    const port = await freePort();
    const child = spawn(process.execPath, [cli, 'trigger', 'kafka', '--target', fn.base, '--port', String(port), '--host', '127.0.0.1', '--kafka', topic, '--kafka-from-beginning', '--kafka-group', unique('g'), '--kafka-retries', '1', '--kafka-retry-backoff', '20ms'], {
      cwd: root,
      env: { ...process.env, FNKIT_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal)));
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, () => `dispatcher not ready:\n${log}`);
      await produce(topic, [
        { key: 'a', value: JSON.stringify({ rid: 1 }), headers: { ce_specversion: '1.0', ce_id: 'evt-1', ce_source: '/shop', ce_type: 'order.created', 'content-type': 'application/json' } },
        { key: 'b', value: JSON.stringify({ rid: 2, fail: 'bad' }) },
        { key: 'c', value: JSON.stringify({ rid: 3, fail: 'always' }) },
        { key: 'd', value: JSON.stringify({ rid: 4 }) },
      ]);
      await waitFor(() => readLines<Seen>(out).some((s) => s.data.rid === 4), () => `function saw: ${JSON.stringify(readLines(out))}\n${log}`);
      const seen = readLines<Seen & { type: string; source: string; partitionkey?: string }>(out);
      expect(seen[0]).toMatchObject({ id: 'evt-1', type: 'order.created', source: '/shop', data: { rid: 1 } });
      // 400: final, one attempt; 500: retried once, then dead-lettered.
      expect(seen.map((s) => `${s.data.rid}:${s.failed ?? 'ok'}`)).toEqual(['1:ok', '2:400', '3:500', '3:500', '4:ok']);
      const dead = await readRecords(`${topic}.dlq`, 2);
      expect(dead.map((d) => `${JSON.parse(d.value!).rid}:${d.headers['fnkit-dlq-attempts']}`).sort()).toEqual(['2:1', '3:2']);
      expect(dead.find((d) => JSON.parse(d.value!).rid === 2)!.headers['fnkit-dlq-reason']).toMatch(/400/);
    } finally {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
