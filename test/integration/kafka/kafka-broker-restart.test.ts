import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFnRun, writeFunctions, type FnRun } from '../helpers.js';
import { RECORDING_HANDLER, readLines, unique, waitFor } from './kafka-helpers.js';
import { createOwnBroker, type OwnBroker } from './own-broker.js';

/**
 * A broker restart under a running fn-run --kafka (a broker of the test's own, not the shared one):
 * readiness goes off while the broker is away and back on after, the consumer reconnects by itself,
 * and every record, from before and after the restart, is handled and committed.
 */

type Seen = { partition: number; offset: string; data: { rid: number } };

describe('fn-run --kafka: broker restart', () => {
  const fns = writeFunctions({ 'handler.mjs': RECORDING_HANDLER });
  const out = join(fns.dir, 'seen.jsonl');
  const topic = unique('kr');
  const group = unique('g');
  let broker: OwnBroker;
  let kafka: Kafka;
  let fn: FnRun | undefined;

  beforeAll(async () => {
    broker = await createOwnBroker();
    await broker.start();
    kafka = new Kafka({ clientId: 'fnkit-tests', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
  });

  afterAll(async () => {
    await fn?.stop('SIGKILL');
    await broker?.destroy();
    fns.remove();
  });

  async function produce(from: number, to: number): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: to - from }, (_, i) => ({ key: `k${from + i}`, value: JSON.stringify({ rid: from + i }) })) });
    await producer.disconnect();
  }

  const ready = async () => (await fetch(`${fn!.base}/readyz`)).status === 200;
  const rids = () => new Set(readLines<Seen>(out).map((s) => s.data.rid));

  it('reconnects after the broker restarts; readiness follows; nothing is lost', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    fn = await startFnRun(fns.path('handler.mjs'), ['--kafka', topic, '--kafka-brokers', broker.brokers, '--kafka-group', group, '--kafka-from-beginning', '--kafka-session-timeout', '6s'], { KT_OUT: out });

    await produce(0, 50);
    await waitFor(() => rids().size === 50, () => `${rids().size} of 50 records before the restart`);

    await broker.stop();
    await waitFor(async () => !(await ready()), () => 'fn-run stayed ready with the broker down', 60_000);

    await broker.start();
    await waitFor(ready, () => `fn-run did not become ready again after the broker restarted:\n${fn!.stdout().split('\n').slice(-20).join('\n')}`, 120_000);
    await produce(50, 100);
    await waitFor(() => rids().size === 100, () => `${rids().size} of 100 records after the restart`, 120_000);
    expect([...rids()].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));

    // Everything handled is committed: the group's offsets reach the end of each partition.
    const admin2 = kafka.admin();
    await admin2.connect();
    try {
      const ends = await admin2.fetchTopicOffsets(topic);
      await waitFor(
        async () => {
          const [res] = await admin2.fetchOffsets({ groupId: group, topics: [topic] });
          return ends.every((e) => res!.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
        },
        () => 'the group did not commit every handled record',
        30_000,
      );
    } finally {
      await admin2.disconnect();
    }
  });
});
