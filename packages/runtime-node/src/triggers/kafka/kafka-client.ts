import type { KafkaMessageInput } from '../../cloudevents/kafka-codec.js';

/**
 * The few Kafka operations the trigger needs, so the client library can be swapped (kafkajs today;
 * see DESIGN.md). The adapter owns delivery semantics; a client only moves bytes:
 * - it never commits on its own: offsets are committed only through `commit`;
 * - `onBatch` hands over a partition's records in offset order; the client then fetches the records
 *   after them, unless the partition is paused. After a rebalance or a restart it may hand over
 *   records again, from the last committed offset: the adapter skips those it already holds.
 */

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface PartitionBatch extends TopicPartition {
  /** The partition's high watermark (offset of the next record to be written), as the broker said. */
  highWatermark: string;
  /** In offset order; the adapter keeps them (queued) after onBatch returns, and never changes them. */
  records: KafkaMessageInput[];
}

export interface ConsumerEvents {
  /** Called synchronously per fetched partition batch; must not throw. */
  onBatch(batch: PartitionBatch): void;
  /** After every (re)join of the group: the partitions this member now owns. */
  onAssignment(assigned: TopicPartition[]): void;
  /** The connection state changed: `up` once joined, `down` on a crash or disconnect (the client reconnects by itself). */
  onConnection(state: 'up' | 'down', reason?: string): void;
}

export interface KafkaConsumerClient {
  /** Connects, subscribes and starts fetching; resolves once fetching has started. */
  start(events: ConsumerEvents): Promise<void>;
  pause(partitions: TopicPartition[]): void;
  resume(partitions: TopicPartition[]): void;
  /** Commits: `offset` is the next record to read (last processed + 1). */
  commit(offsets: (TopicPartition & { offset: string })[]): Promise<void>;
  /** When the consumer last heard from the broker (a fetch or heartbeat answered), ms since the epoch; 0 before. */
  lastActivity(): number;
  /** Stops fetching and leaves the group. */
  stop(): Promise<void>;
}

export interface OutgoingRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string>;
}

export interface KafkaProducerClient {
  connect(): Promise<void>;
  send(topic: string, record: OutgoingRecord): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  sessionTimeoutMs: number;
}

export interface KafkaClient {
  consumer(options: ConsumerOptions): KafkaConsumerClient;
  producer(): KafkaProducerClient;
}
