import type { FnEvent, KafkaTrigger, Logger, Outcome } from '@fnkit/sdk';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { KafkaRecordInput } from '../../src/cloudevents/kafka-codec.js';
import type { TriggerEnvironment } from '../../src/contracts.js';
import { KafkaAdapter } from '../../src/triggers/kafka/kafka-adapter.js';
import type { ConsumerEvents, KafkaClient, KafkaConsumerClient, KafkaProducerClient, OutgoingRecord, TopicPartition } from '../../src/triggers/kafka/kafka-client.js';
import type { KafkaConfig } from '../../src/triggers/kafka/kafka-settings.js';
import { TriggerMetrics } from '../../src/triggers/trigger-metrics.js';

/**
 * The adapter's delivery logic against a fake client (the real broker is in test/integration/kafka):
 * what it commits, when it pauses, what a rebalance or a stop does to queued work.
 */

class FakeConsumer implements KafkaConsumerClient {
  events!: ConsumerEvents;
  commits: { topic: string; partition: number; offset: string }[] = [];
  paused: string[] = [];
  resumed: string[] = [];
  failCommits = false;
  stopped = false;
  static failStarts = 0;
  async start(events: ConsumerEvents) {
    if (FakeConsumer.failStarts > 0) {
      FakeConsumer.failStarts--;
      throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
    }
    this.events = events;
    events.onAssignment([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
    events.onConnection('up');
  }
  pause(ps: TopicPartition[]) {
    for (const p of ps) this.paused.push(`${p.topic}/${p.partition}`);
  }
  resume(ps: TopicPartition[]) {
    for (const p of ps) this.resumed.push(`${p.topic}/${p.partition}`);
  }
  async commit(offsets: { topic: string; partition: number; offset: string }[]) {
    if (this.failCommits) throw new Error('not the coordinator');
    this.commits.push(...offsets);
  }
  lastActivity() {
    return Date.now();
  }
  async stop() {
    this.stopped = true;
  }
  /** The last committed offset of a partition. */
  committed(partition: number): string | undefined {
    return this.commits.filter((c) => c.partition === partition).at(-1)?.offset;
  }
}

class FakeProducer implements KafkaProducerClient {
  sent: { topic: string; record: OutgoingRecord }[] = [];
  failures = 0;
  async connect() {}
  async send(topic: string, record: OutgoingRecord) {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('broker not available');
    }
    this.sent.push({ topic, record });
  }
  async disconnect() {}
}

const silent: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child: () => silent } as unknown as Logger;

function ok(): Outcome {
  return { type: 'result', response: { kind: 'empty', status: 204, headers: {}, body: null } as never, durationMs: 0 };
}
function fail(status: number): Outcome {
  return { type: 'error', status, body: { error: `failed ${status}`, status, eventId: 'x' }, error: new Error('boom'), durationMs: 0 };
}

function rec(partition: number, offset: number, value: unknown = { n: offset }): KafkaRecordInput {
  return { topic: 't', partition, offset: String(offset), key: null, value: Buffer.from(JSON.stringify(value)), headers: {}, timestamp: '1700000000000' };
}

const config: KafkaConfig = {
  topics: ['t'],
  brokers: ['127.0.0.1:9092'],
  groupId: 'g',
  clientId: 'fnkit',
  deadLetter: { t: 't.dlq' },
  retries: 2,
  retryBackoffMs: 1,
  retryMaxBackoffMs: 2,
  partitionConcurrency: 4,
  maxRecordBytes: 1000,
  fromBeginning: true,
  sessionTimeoutMs: 10_000,
};

interface Harness {
  adapter: KafkaAdapter;
  consumer: FakeConsumer;
  producer: FakeProducer;
  seen: { partition: number; offset: string; attempt: number }[];
  registry: Registry;
  shutdown: AbortController;
}

const running: KafkaAdapter[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
});

async function harness(invoke: (event: FnEvent) => Promise<Outcome> | Outcome, overrides: Partial<KafkaConfig> = {}): Promise<Harness> {
  let consumer = new FakeConsumer();
  const producer = new FakeProducer();
  const client: KafkaClient = {
    consumer: () => {
      consumer = new FakeConsumer();
      return consumer;
    },
    producer: () => producer,
  };
  const registry = new Registry();
  const seen: Harness['seen'] = [];
  const shutdown = new AbortController();
  const env: TriggerEnvironment = {
    invoker: {
      invoke: async (event) => {
        const t = event.trigger as KafkaTrigger;
        seen.push({ partition: t.partition, offset: t.offset, attempt: t.attempt });
        return invoke(event);
      },
    },
    log: silent,
    registry,
    metrics: new TriggerMetrics(registry),
    shutdownSignal: shutdown.signal,
  };
  const adapter = new KafkaAdapter({ ...config, ...overrides }, env, client, { commitIntervalMs: 60_000 });
  running.push(adapter);
  await adapter.start();
  return {
    adapter,
    get consumer() {
      return consumer;
    },
    producer,
    seen,
    registry,
    shutdown,
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out: ${what}`);
}

function batch(partition: number, from: number, to: number, hw = to) {
  const records = [];
  for (let o = from; o < to; o++) records.push(rec(partition, o));
  return { topic: 't', partition, highWatermark: String(hw), records };
}

describe('KafkaAdapter', () => {
  it('commits the offset after the last handled record of each partition, never past one still running', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = await harness(async (e) => {
      if ((e.trigger as KafkaTrigger).partition === 1 && (e.trigger as KafkaTrigger).offset === '2') await gate;
      return ok();
    });
    h.consumer.events.onBatch(batch(0, 0, 5));
    h.consumer.events.onBatch(batch(1, 0, 5));
    await until(() => h.seen.length === 8, 'p0 done and p1 up to offset 2');
    await h.adapter.flushCommits();
    expect(h.consumer.committed(0)).toBe('5');
    expect(h.consumer.committed(1)).toBe('2'); // offset 2 is running: 0 and 1 are handled
    release();
    await until(() => h.seen.length === 10, 'p1 done');
    await h.adapter.flushCommits();
    expect(h.consumer.committed(1)).toBe('5');
  });

  it('a failed commit is retried by the next one, with the newest offset', async () => {
    const h = await harness(() => ok());
    h.consumer.failCommits = true;
    h.consumer.events.onBatch(batch(0, 0, 3));
    await until(() => h.seen.length === 3, 'handled');
    await h.adapter.flushCommits();
    expect(h.consumer.commits).toEqual([]);
    h.consumer.failCommits = false;
    await h.adapter.flushCommits();
    expect(h.consumer.committed(0)).toBe('3');
  });

  it('commits the progress again after the group is joined again (a commit may have been dropped meanwhile)', async () => {
    const h = await harness(() => ok());
    h.consumer.events.onBatch(batch(0, 0, 3));
    await until(() => h.seen.length === 3, 'handled');
    await h.adapter.flushCommits();
    expect(h.consumer.commits).toHaveLength(1);
    h.consumer.events.onAssignment([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
    await h.adapter.flushCommits();
    expect(h.consumer.commits).toEqual([{ topic: 't', partition: 0, offset: '3' }, { topic: 't', partition: 0, offset: '3' }]);
  });

  it('skips records fetched again after a rebalance or reconnect', async () => {
    const h = await harness(() => ok());
    h.consumer.events.onBatch(batch(0, 0, 4));
    await until(() => h.seen.length === 4, 'first batch');
    h.consumer.events.onAssignment([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
    h.consumer.events.onBatch(batch(0, 2, 6)); // from an older committed offset
    await until(() => h.seen.length === 6, 'new records');
    expect(h.seen.map((s) => s.offset)).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('drops the queue of a revoked partition without committing it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = await harness(async (e) => {
      if ((e.trigger as KafkaTrigger).offset === '0') await gate;
      return ok();
    });
    h.consumer.events.onBatch(batch(0, 0, 10));
    await until(() => h.seen.length === 1, 'first record running');
    h.consumer.events.onAssignment([{ topic: 't', partition: 1 }]); // partition 0 moved to another member
    release();
    await new Promise((r) => setTimeout(r, 50));
    expect(h.seen.map((s) => s.offset)).toEqual(['0']);
    await h.adapter.flushCommits();
    expect(h.consumer.committed(0)).toBe('1'); // only what was handled
  });

  it('retries retryable failures with the attempt number, then dead-letters with the reason', async () => {
    const h = await harness((e) => ((e.trigger as KafkaTrigger).offset === '0' ? fail(503) : ok()));
    h.consumer.events.onBatch(batch(0, 0, 2));
    await until(() => h.seen.length === 4, 'three attempts and the next record');
    expect(h.seen.map((s) => `${s.offset}:${s.attempt}`)).toEqual(['0:1', '0:2', '0:3', '1:1']);
    expect(h.producer.sent).toHaveLength(1);
    const dl = h.producer.sent[0]!;
    expect(dl.topic).toBe('t.dlq');
    expect(dl.record.headers).toMatchObject({ 'fnkit-dlq-kind': 'failed', 'fnkit-dlq-attempts': '3', 'fnkit-dlq-offset': '0', 'fnkit-dlq-partition': '0', 'fnkit-dlq-topic': 't', 'fnkit-dlq-group': 'g' });
    expect(String(dl.record.headers['fnkit-dlq-reason'])).toMatch(/503.*gave up after 3 attempts/);
    await h.adapter.flushCommits();
    expect(h.consumer.committed(0)).toBe('2');
  });

  it('a final failure is dead-lettered at once; an undecodable record without invoking', async () => {
    const h = await harness(() => fail(400), { maxRecordBytes: 20 });
    h.consumer.events.onBatch({ topic: 't', partition: 0, highWatermark: '2', records: [rec(0, 0), rec(0, 1, 'x'.repeat(50))] });
    await until(() => h.producer.sent.length === 2, 'two dead letters');
    expect(h.seen.map((s) => s.offset)).toEqual(['0']);
    expect(h.producer.sent.map((s) => s.record.headers['fnkit-dlq-kind'])).toEqual(['failed', 'undecodable']);
    expect(h.producer.sent[1]!.record.headers['fnkit-dlq-attempts']).toBe('0');
  });

  it('waits for the dead-letter topic: nothing is committed until the record is written', async () => {
    const h = await harness(() => fail(400), { retryBackoffMs: 1, retryMaxBackoffMs: 5 });
    h.producer.failures = 3;
    h.consumer.events.onBatch(batch(0, 0, 1));
    await until(() => h.seen.length === 1, 'invoked');
    await h.adapter.flushCommits();
    expect(h.consumer.committed(0)).toBeUndefined();
    await until(() => h.producer.sent.length === 1, 'dead letter written after 3 failures');
    await h.adapter.flushCommits();
    expect(h.consumer.committed(0)).toBe('1');
  });

  it('pauses a partition whose queue grows and resumes it once drained', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = await harness(async () => {
      await gate;
      return ok();
    });
    h.consumer.events.onBatch(batch(0, 0, 25_000));
    expect(h.consumer.paused).toEqual(['t/0']);
    release();
    await until(() => h.consumer.resumed.includes('t/0'), 'resumed');
    expect(h.seen.length).toBeGreaterThanOrEqual(25_000 - 10_000);
  });

  it('pauses on bytes too: the byte budget is shared between the assigned partitions', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = await harness(async () => {
      await gate;
      return ok();
    }, { maxRecordBytes: 1_000_000 });
    const big = Buffer.alloc(100 * 1024, 0x61);
    const records = Array.from({ length: 200 }, (_, o) => ({ ...rec(0, o), value: big })); // 20 MiB > 32 MiB / 2 partitions
    h.consumer.events.onBatch({ topic: 't', partition: 0, highWatermark: '200', records });
    expect(h.consumer.paused).toEqual(['t/0']);
    h.consumer.events.onBatch({ topic: 't', partition: 1, highWatermark: '10', records: records.slice(0, 10).map((r) => ({ ...r, partition: 1 })) });
    expect(h.consumer.paused).toEqual(['t/0']); // 1 MiB: under its share
    release();
    await until(() => h.consumer.resumed.includes('t/0'), 'resumed');
  });

  it('stop(): the record in flight finishes and is committed; queued records are left uncommitted', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = await harness(async (e) => {
      if ((e.trigger as KafkaTrigger).offset === '3') await gate;
      return ok();
    });
    h.consumer.events.onBatch(batch(0, 0, 10));
    await until(() => h.seen.length === 4, 'offset 3 running');
    const stopped = h.adapter.stop();
    expect(h.adapter.isReady()).toBe(false);
    release();
    await stopped;
    expect(h.seen.map((s) => s.offset)).toEqual(['0', '1', '2', '3']);
    expect(h.consumer.committed(0)).toBe('4');
    expect(h.consumer.stopped).toBe(true);
  });

  it('stop() during a retry wait gives the record up uncommitted; so does a shutting-down rejection', async () => {
    const h = await harness((e) => {
      const t = e.trigger as KafkaTrigger;
      if (t.partition === 0) return fail(500);
      return { type: 'rejected', status: 503, body: { error: 'shutting down', status: 503, eventId: 'x' }, reason: 'shutting-down', retryAfterSeconds: 1, durationMs: 0 };
    }, { retries: 5, retryBackoffMs: 60_000, retryMaxBackoffMs: 60_000 });
    h.consumer.events.onBatch(batch(0, 0, 2));
    h.consumer.events.onBatch(batch(1, 0, 2));
    await until(() => h.seen.length === 2, 'both partitions tried once');
    await h.adapter.stop();
    expect(h.consumer.committed(0)).toBeUndefined();
    expect(h.consumer.committed(1)).toBeUndefined();
    expect(h.producer.sent).toEqual([]);
  });

  it('counts received, succeeded, retried and dead-lettered, and sets lag from the high watermark', async () => {
    const h = await harness((e) => ((e.trigger as KafkaTrigger).offset === '1' ? fail(400) : ok()));
    h.consumer.events.onBatch(batch(0, 0, 3, 10));
    await until(() => h.seen.length === 3, 'handled');
    await h.adapter.stop();
    const text = await h.registry.metrics();
    expect(text).toContain('fnkit_trigger_messages_total{trigger="kafka:t",event="received"} 3');
    expect(text).toContain('fnkit_trigger_messages_total{trigger="kafka:t",event="succeeded"} 2');
    expect(text).toContain('fnkit_trigger_messages_total{trigger="kafka:t",event="dead_lettered"} 1');
    expect(text).toContain('fnkit_trigger_lag{trigger="kafka:t",partition="0"} 7');
  });

  it('a broker that cannot be reached at start is not an error: the adapter tries again and becomes ready', async () => {
    FakeConsumer.failStarts = 1;
    const h = await harness(() => ok());
    await until(() => h.adapter.isReady(), 'connected on the second attempt (after about a second)');
    h.consumer.events.onBatch(batch(0, 0, 2));
    await until(() => h.seen.length === 2, 'handled after connecting');
  });

  it('the shutdown signal stops the adapter', async () => {
    const h = await harness(() => ok());
    h.consumer.events.onBatch(batch(0, 0, 2));
    await until(() => h.seen.length === 2, 'handled');
    h.shutdown.abort();
    await until(() => h.consumer.stopped, 'stopped');
    expect(h.consumer.committed(0)).toBe('2');
  });
});
