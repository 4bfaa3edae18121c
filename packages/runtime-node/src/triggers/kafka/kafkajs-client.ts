import { readFileSync } from 'node:fs';
import { Kafka, logLevel, Partitioners, type Consumer, type KafkaConfig as KafkaJsConfig, type KafkaMessage, type LogEntry, type Producer, type SASLOptions } from 'kafkajs';
import type { Logger } from '@fnkit/sdk';
import type { KafkaHeaderValue, KafkaMessageInput } from '../../cloudevents/kafka-codec.js';
import type { ConsumerEvents, ConsumerOptions, KafkaClient, KafkaConsumerClient, KafkaProducerClient, OutgoingRecord, TopicPartition } from './kafka-client.js';
import type { KafkaConfig } from './kafka-settings.js';

/**
 * KafkaClient on kafkajs 2.2. kafkajs runs the group protocol and the fetch loop; auto-commit is off,
 * so it commits only what the adapter asks for. `eachBatch` hands each partition's records to the
 * adapter and returns at once, moving kafkajs's fetch position (not the committed offset) past them:
 * a slow partition then never holds up the fetches of the others, and the adapter pauses a partition
 * whose backlog grows. kafkajs restarts the consumer itself after a crash (with its retry backoff).
 */

export function createKafkajsClient(config: KafkaConfig, log: Logger): KafkaClient {
  const kafka = new Kafka(clientConfig(config, log));
  return {
    consumer: (options) => new KafkajsConsumer(kafka, options, log),
    producer: () => new KafkajsProducer(kafka),
  };
}

function clientConfig(config: KafkaConfig, log: Logger): KafkaJsConfig {
  const out: KafkaJsConfig = {
    clientId: config.clientId,
    brokers: config.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => logEntry(log, entry),
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 8 },
    connectionTimeout: 3000,
  };
  if (config.tls) {
    const t = config.tls;
    out.ssl = {
      rejectUnauthorized: t.rejectUnauthorized,
      ...(t.caFile ? { ca: [readFileSync(t.caFile, 'utf8')] } : {}),
      ...(t.certFile ? { cert: readFileSync(t.certFile, 'utf8') } : {}),
      ...(t.keyFile ? { key: readFileSync(t.keyFile, 'utf8') } : {}),
    };
  }
  if (config.sasl) {
    out.sasl = { mechanism: config.sasl.mechanism, username: config.sasl.username, password: config.sasl.password } as SASLOptions;
  }
  return out;
}

function logEntry(log: Logger, entry: LogEntry): void {
  const { message, ...rest } = entry.log;
  const fields = { kafkajs: entry.namespace, ...rest };
  // kafkajs logs at ERROR what it retries anyway (e.g. a coordinator still starting): a warning here;
  // failures that matter reach the adapter (crash, commit and send errors) and are logged there.
  if (entry.level <= logLevel.WARN) log.warn(fields, `kafkajs: ${message}`);
  else log.debug(fields, `kafkajs: ${message}`);
}

class KafkajsConsumer implements KafkaConsumerClient {
  private readonly consumer: Consumer;
  private activity = 0;

  constructor(kafka: Kafka, private readonly options: ConsumerOptions, private readonly log: Logger) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: true,
      maxWaitTimeInMs: 250,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(options.sessionTimeoutMs / 10)),
      retry: {
        initialRetryTime: 300,
        maxRetryTime: 10_000,
        retries: 5,
        // Every failure restarts the consumer (kafkajs waits with its backoff first): a trigger never gives up.
        restartOnFailure: async (err) => {
          this.log.warn({ err }, 'kafka consumer failed; reconnecting');
          return true;
        },
      },
    });
  }

  async start(events: ConsumerEvents): Promise<void> {
    const c = this.consumer;
    c.on(c.events.GROUP_JOIN, (e) => {
      const assigned: TopicPartition[] = [];
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        for (const partition of partitions) assigned.push({ topic, partition });
      }
      alive();
      events.onAssignment(assigned);
      events.onConnection('up');
    });
    // A fetch returns at least every fetch wait (250 ms), even with every partition paused; heartbeats every session timeout / 10.
    const alive = () => {
      this.activity = Date.now();
    };
    c.on(c.events.FETCH, alive);
    c.on(c.events.HEARTBEAT, alive);
    c.on(c.events.CRASH, (e) => events.onConnection('down', e.payload.error?.message ?? 'consumer crashed'));
    c.on(c.events.DISCONNECT, () => events.onConnection('down', 'disconnected'));
    await c.connect();
    await c.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, isStale }) => {
        if (batch.messages.length === 0 || isStale()) return;
        events.onBatch({ topic: batch.topic, partition: batch.partition, highWatermark: batch.highWatermark, records: messagesOf(batch.messages) });
        // Moves the fetch position only: with autoCommit off kafkajs never commits this.
        resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
      },
    });
  }

  pause(partitions: TopicPartition[]): void {
    this.consumer.pause(group(partitions));
  }

  resume(partitions: TopicPartition[]): void {
    this.consumer.resume(group(partitions));
  }

  async commit(offsets: (TopicPartition & { offset: string })[]): Promise<void> {
    await this.consumer.commitOffsets(offsets);
  }

  lastActivity(): number {
    return this.activity;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/**
 * kafkajs's own message objects, handed over as they are when they have the shape the codec reads
 * (kafkajs 2.2 always gives a key, a value and headers, null or empty when absent): one object less per
 * record, and a queued record is what kafkajs made of it and nothing more (fewer objects surviving
 * scavenges while records wait in the adapter's queues). Otherwise each is copied in that shape.
 */
function messagesOf(messages: KafkaMessage[]): KafkaMessageInput[] {
  let asIs = true;
  for (let i = 0; i < messages.length && asIs; i++) {
    const m = messages[i]!;
    asIs = m.key !== undefined && m.value !== undefined && m.headers !== undefined;
  }
  if (asIs) return messages as KafkaMessageInput[];
  return messages.map((m) => ({ offset: m.offset, key: m.key ?? null, value: m.value ?? null, headers: (m.headers ?? {}) as Record<string, KafkaHeaderValue>, timestamp: m.timestamp }));
}

function group(partitions: TopicPartition[]): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) {
    const list = byTopic.get(p.topic) ?? [];
    list.push(p.partition);
    byTopic.set(p.topic, list);
  }
  return [...byTopic].map(([topic, list]) => ({ topic, partitions: list }));
}

class KafkajsProducer implements KafkaProducerClient {
  private readonly producer: Producer;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({ allowAutoTopicCreation: true, idempotent: false, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(topic: string, record: OutgoingRecord): Promise<void> {
    await this.producer.send({ topic, acks: -1, messages: [{ key: record.key, value: record.value, headers: record.headers }] });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}
