import type { FnEvent, KafkaTrigger, Outcome } from '@fnkit/sdk';
import { CodecError } from '../../cloudevents/codec-error.js';
import { decodeKafkaMessage, type KafkaDecodeOptions, type KafkaMessageInput, type KafkaRecordInput } from '../../cloudevents/kafka-codec.js';
import { describeFailure, isRetryable, isSuccess, type InvokeRequest, type TriggerAdapter, type TriggerEnvironment } from '../../contracts.js';
import { retryDelayMs, sleep } from './backoff.js';
import { deadLetterRecord, type DeadLetterReason } from './dead-letter.js';
import type { KafkaClient, KafkaConsumerClient, KafkaProducerClient, PartitionBatch, TopicPartition } from './kafka-client.js';
import type { KafkaConfig } from './kafka-settings.js';

/**
 * The Kafka trigger: one consumer group member for all of the function's topics.
 *
 * Delivery (at least once):
 * - each partition has a queue worked in offset order; partitions are worked at once up to
 *   `partitionConcurrency` records in flight;
 * - a record's offset is committed (offset + 1, in the periodic commit) only after its handler succeeded
 *   or it was dead-lettered; since a partition is worked in order, a commit never passes unprocessed work;
 * - a retryable failure is retried `retries` times with exponential backoff and jitter; then, or at once
 *   for a final failure or an undecodable record, the record goes to the dead-letter topic and the
 *   partition moves on; if the dead-letter topic cannot be written, the partition waits and tries again;
 * - back-pressure: a partition holding more than its share of the queue budget is paused (no more
 *   fetches) until its queue drains below half of that;
 * - stop(): pauses every partition, drops records not started, lets the records in flight finish,
 *   commits them and leaves the group. A record waiting for a retry is given up (not committed: the next
 *   consumer gets it again).
 */

/**
 * Back-pressure: a budget of queued records and value bytes, split evenly between the assigned
 * partitions (at most QUEUE_HIGH records each). A partition over its share is paused (no more fetches
 * for it) until half of it is left. The low marks leave work for longer than a fetch takes (kafkajs
 * waits up to its fetch wait time before fetching for a partition that was paused), so a busy
 * partition never idles.
 */
const QUEUE_HIGH = 20_000;
const QUEUE_BUDGET_RECORDS = 80_000;
const QUEUE_BUDGET_BYTES = 32 * 1024 * 1024;
const COMMIT_INTERVAL_MS = 500;
/** Every record's invocation request: a trigger waits for a free slot (never rejected as overloaded). */
const WAIT: InvokeRequest = { admission: 'wait' };

type Handled = 'done' | 'abandoned';
type CountedEvent = 'received' | 'succeeded' | 'retried' | 'dead_lettered';

interface PartitionState extends TopicPartition {
  label: string;
  queue: KafkaMessageInput[];
  head: number;
  /** Bytes of the values queued and not yet started. */
  queuedBytes: number;
  /** The offset after the last record queued (records below it are skipped when fetched again). */
  nextExpected: bigint | undefined;
  /** The offset of the last record handled (succeeded or dead-lettered), as the client gave it (parsed only when committing). */
  lastProcessed: string | undefined;
  committedNext: bigint | undefined;
  /** The first offset seen, for lag before the first commit. */
  firstSeen: bigint | undefined;
  highWatermark: bigint | undefined;
  paused: boolean;
  worker: Promise<void> | undefined;
  /** Aborts when the partition is revoked or the adapter stops: retry waits end, the record is given up. */
  abort: AbortController;
}

export interface KafkaAdapterOptions {
  commitIntervalMs?: number;
}

export class KafkaAdapter implements TriggerAdapter {
  readonly name: string;
  private consumer!: KafkaConsumerClient;
  private producer!: KafkaProducerClient;
  /** Connected once: the client reconnects by itself from then on. */
  private running = false;
  private connecting: Promise<void> | undefined;
  private readonly stopAbort = new AbortController();
  private readonly partitions = new Map<string, PartitionState>();
  private readonly slots: Semaphore;
  private readonly commitIntervalMs: number;
  private commitTimer: NodeJS.Timeout | undefined;
  private committing: Promise<void> | undefined;
  private connected = false;
  private started = false;
  private stopping: Promise<void> | undefined;
  private lastCommitError = 0;
  private silent = false;
  /** Per-partition pause marks, from the budget and the number of assigned partitions. */
  private highRecords = QUEUE_HIGH;
  private highBytes = QUEUE_BUDGET_BYTES;
  /** Counts not yet added to the shared metrics (added every commit interval: one label lookup per interval, not per record). */
  private readonly counts: Record<CountedEvent, number> = { received: 0, succeeded: 0, retried: 0, dead_lettered: 0 };
  /** The codec's options, made once rather than per record. */
  private readonly decodeOptions: KafkaDecodeOptions;

  constructor(
    private readonly config: KafkaConfig,
    private readonly env: TriggerEnvironment,
    private readonly client: KafkaClient,
    options: KafkaAdapterOptions = {},
  ) {
    this.name = `kafka:${config.topics.join(',')}`;
    this.slots = new Semaphore(config.partitionConcurrency);
    this.commitIntervalMs = options.commitIntervalMs ?? COMMIT_INTERVAL_MS;
    this.decodeOptions = { maxRecordBytes: config.maxRecordBytes };
  }

  /**
   * Connects and joins the group. A broker that cannot be reached is not an error: the adapter keeps
   * trying with backoff in the background (not ready meanwhile), as kafkajs does after a crash.
   */
  async start(): Promise<void> {
    this.started = true;
    this.commitTimer = setInterval(() => {
      this.flushMetrics();
      void this.flushCommits();
    }, this.commitIntervalMs);
    this.commitTimer.unref();
    this.env.shutdownSignal.addEventListener('abort', () => void this.stop(), { once: true });
    this.connecting = this.connect().then((ok) => (ok ? undefined : this.reconnect()));
    // Wait a little for the first connection (so a healthy start is ready at once), never for long.
    const waited = new AbortController();
    await Promise.race([this.connecting, sleep(5000, waited.signal)]);
    waited.abort();
  }

  private async connect(): Promise<boolean> {
    const log = this.env.log;
    this.consumer = this.client.consumer({ groupId: this.config.groupId, topics: this.config.topics, fromBeginning: this.config.fromBeginning, sessionTimeoutMs: this.config.sessionTimeoutMs });
    this.producer = this.client.producer();
    try {
      await this.producer.connect();
      await this.consumer.start({
        onBatch: (batch) => this.onBatch(batch),
        onAssignment: (assigned) => this.onAssignment(assigned),
        onConnection: (state, reason) => {
          if (state === 'up' && !this.connected) log.info({ trigger: this.name, group: this.config.groupId }, 'kafka consumer joined the group');
          if (state === 'down' && this.connected && this.stopping === undefined) log.warn({ trigger: this.name, reason }, 'kafka consumer lost its connection; reconnecting');
          this.connected = state === 'up';
        },
      });
      if (this.stopAbort.signal.aborted) {
        // stop() came while connecting and did not wait for it: leave at once.
        await this.consumer.stop().catch(() => undefined);
        await this.producer.disconnect().catch(() => undefined);
        return true;
      }
      this.running = true;
      log.info({ trigger: this.name, group: this.config.groupId, brokers: this.config.brokers, deadLetter: this.config.deadLetter }, 'kafka trigger started');
      return true;
    } catch (err) {
      await this.consumer.stop().catch(() => undefined);
      await this.producer.disconnect().catch(() => undefined);
      log.warn({ err, trigger: this.name, brokers: this.config.brokers }, `kafka trigger cannot connect to ${this.config.brokers.join(',')} (--kafka-brokers); trying again`);
      return false;
    }
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 1; this.stopping === undefined; attempt++) {
      if (!(await sleep(retryDelayMs(attempt, 1000, 30_000), this.stopAbort.signal))) return;
      if (this.stopping !== undefined) return;
      if (await this.connect()) return;
    }
  }

  /**
   * Joined to the group and heard from the broker within the session timeout. kafkajs may spend a
   * while retrying a lost connection before it reports a crash; silence says so sooner.
   */
  isReady(): boolean {
    if (!this.started || !this.connected || this.stopping !== undefined) return false;
    const silentFor = Date.now() - this.consumer.lastActivity();
    if (silentFor > this.config.sessionTimeoutMs) {
      if (!this.silent) {
        this.silent = true;
        this.env.log.warn({ trigger: this.name, silentForMs: silentFor }, 'kafka consumer has not heard from the broker; not ready');
      }
      return false;
    }
    this.silent = false;
    return true;
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    if (this.commitTimer) clearInterval(this.commitTimer);
    this.stopAbort.abort();
    // A connection attempt in progress (kafkajs may retry for a while) is not waited for long: it leaves by itself once done.
    const waited = new AbortController();
    await Promise.race([this.connecting, sleep(2000, waited.signal)]);
    waited.abort();
    const states = [...this.partitions.values()];
    if (this.running && states.length > 0) {
      try {
        this.consumer.pause(states);
      } catch {
        // not running any more: nothing to pause
      }
    }
    for (const s of states) {
      s.queue.length = 0;
      s.head = 0;
      s.queuedBytes = 0;
      s.abort.abort();
    }
    await Promise.all(states.map((s) => s.worker));
    await this.flushCommits();
    this.flushMetrics();
    if (this.running) {
      await this.consumer.stop().catch((err: unknown) => this.env.log.warn({ err, trigger: this.name }, 'kafka consumer did not leave the group cleanly'));
      await this.producer.disconnect().catch(() => undefined);
    }
    this.env.log.info({ trigger: this.name }, 'kafka trigger stopped');
  }

  // ------------------------------------------------------------------------------------ fetching

  private state(tp: TopicPartition): PartitionState {
    const key = `${tp.topic}\u0000${tp.partition}`;
    let s = this.partitions.get(key);
    if (!s) {
      s = {
        topic: tp.topic,
        partition: tp.partition,
        label: this.config.topics.length === 1 ? String(tp.partition) : `${tp.topic}/${tp.partition}`,
        queue: [],
        head: 0,
        queuedBytes: 0,
        nextExpected: undefined,
        lastProcessed: undefined,
        committedNext: undefined,
        firstSeen: undefined,
        highWatermark: undefined,
        paused: false,
        worker: undefined,
        abort: new AbortController(),
      };
      this.partitions.set(key, s);
    }
    return s;
  }

  private onBatch(batch: PartitionBatch): void {
    if (this.stopping) return;
    const s = this.state(batch);
    const records = batch.records;
    let i = 0;
    // Fetched again after a rebalance or a reconnect: records already queued or handled are skipped.
    // A batch is in offset order, so only its start needs looking at.
    const skipBelow = max(s.nextExpected, processedNext(s));
    if (skipBelow !== undefined) while (i < records.length && BigInt(records[i]!.offset) < skipBelow) i++;
    if (i < records.length) {
      s.firstSeen ??= BigInt(records[i]!.offset);
      for (; i < records.length; i++) {
        const r = records[i]!;
        s.queue.push(r);
        s.queuedBytes += r.value?.length ?? 0;
      }
      s.nextExpected = BigInt(records[records.length - 1]!.offset) + 1n;
    }
    s.highWatermark = BigInt(batch.highWatermark);
    this.updateLag(s);
    if (!s.paused && (s.queue.length - s.head >= this.highRecords || s.queuedBytes >= this.highBytes)) {
      s.paused = true;
      this.consumer.pause([s]);
    }
    if (s.worker === undefined && s.queue.length > s.head) s.worker = this.work(s);
  }

  private onAssignment(assigned: TopicPartition[]): void {
    const n = Math.max(1, assigned.length);
    this.highRecords = Math.max(500, Math.min(QUEUE_HIGH, Math.floor(QUEUE_BUDGET_RECORDS / n)));
    this.highBytes = Math.max(256 * 1024, Math.floor(QUEUE_BUDGET_BYTES / n));
    const keep = new Set(assigned.map((tp) => `${tp.topic}\u0000${tp.partition}`));
    for (const [key, s] of this.partitions) {
      if (keep.has(key)) {
        // A restarted consumer forgets pauses: say it again.
        if (s.paused) this.consumer.pause([s]);
        // kafkajs drops a commit silently while its consumer restarts: commit the progress again in the new generation.
        s.committedNext = undefined;
        continue;
      }
      // Revoked: records not started go back to the group (uncommitted); a retry wait is given up.
      s.queue.length = 0;
      s.head = 0;
      s.queuedBytes = 0;
      s.nextExpected = undefined;
      s.paused = false;
      s.abort.abort();
      s.abort = new AbortController();
      this.env.metrics.setLag(this.name, 0, s.label);
    }
    this.env.log.info({ trigger: this.name, partitions: assigned.map((tp) => `${tp.topic}/${tp.partition}`) }, 'kafka partitions assigned');
  }

  // ------------------------------------------------------------------------------------ working

  private async work(s: PartitionState): Promise<void> {
    const invoker = this.env.invoker;
    const counts = this.counts;
    try {
      while (s.head < s.queue.length && !this.stopping) {
        const record = s.queue[s.head]!;
        s.head++;
        s.queuedBytes -= record.value?.length ?? 0;
        // The partition's controller as the record starts (a revocation replaces it): its signal is read only on the slow paths.
        const abort = s.abort;
        if (!this.slots.tryAcquire()) await this.slots.acquire();
        let handled: Handled;
        try {
          // The usual record (decoded, succeeded on its first attempt) is handled right here, with one
          // await; a record that fails or cannot be decoded goes on in afterFirstAttempt / deadLetter.
          counts.received++;
          let event: FnEvent | undefined;
          let undecodable: unknown;
          try {
            event = decodeKafkaMessage(s.topic, s.partition, record, this.decodeOptions);
          } catch (err) {
            undecodable = err;
          }
          if (event === undefined) {
            const reason = undecodable instanceof CodecError ? undecodable.message : `cannot decode the record: ${(undecodable as Error).message}`;
            handled = await this.deadLetter(recordOf(s, record), { kind: 'undecodable', reason, attempts: 0, groupId: this.config.groupId }, abort.signal);
          } else {
            let outcome: Outcome | undefined;
            let invokeError: unknown;
            try {
              outcome = await invoker.invoke(event, WAIT);
            } catch (err) {
              outcome = undefined;
              invokeError = err;
            }
            if (outcome !== undefined && isSuccess(outcome)) {
              counts.succeeded++;
              handled = 'done';
            } else handled = await this.afterFirstAttempt(recordOf(s, record), event, outcome, invokeError, abort.signal);
          }
        } finally {
          this.slots.release();
        }
        if (handled === 'abandoned') {
          s.queue.length = 0;
          s.head = 0;
          s.queuedBytes = 0;
          s.nextExpected = processedNext(s);
          break;
        }
        s.lastProcessed = record.offset;
        if (s.head > 1024 && s.head * 2 > s.queue.length) {
          s.queue.splice(0, s.head);
          s.head = 0;
        }
        if (s.paused && s.queue.length - s.head <= this.highRecords / 2 && s.queuedBytes <= this.highBytes / 2 && !this.stopping) {
          s.paused = false;
          this.consumer.resume([s]);
        }
      }
    } finally {
      s.worker = undefined;
      if (s.head >= s.queue.length) {
        s.queue.length = 0;
        s.head = 0;
      }
    }
    // Records may have arrived while the last one finished.
    if (!this.stopping && s.head < s.queue.length) s.worker = this.work(s);
  }

  /**
   * A record whose first attempt did not succeed (`outcome`, or undefined when the invoker threw
   * `invokeError`): retried with backoff while that may help, else dead-lettered.
   */
  private async afterFirstAttempt(record: KafkaRecordInput, event: FnEvent, outcome: Outcome | undefined, invokeError: unknown, signal: AbortSignal): Promise<Handled> {
    const { log, invoker } = this.env;
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) {
        (event.trigger as KafkaTrigger).attempt = attempt;
        try {
          outcome = await invoker.invoke(event, WAIT);
        } catch (err) {
          outcome = undefined;
          invokeError = err;
        }
      }
      let failure: string;
      let retryable: boolean;
      if (outcome !== undefined) {
        if (isSuccess(outcome)) {
          this.counts.succeeded++;
          return 'done';
        }
        // The runtime is shutting down: nothing ran; the record stays uncommitted for the next consumer.
        if (outcome.type === 'rejected' && outcome.reason === 'shutting-down') return 'abandoned';
        failure = describeFailure(outcome);
        retryable = isRetryable(outcome);
      } else {
        failure = `the invoker failed: ${(invokeError as Error).message}`;
        retryable = true;
      }
      const where = { trigger: this.name, topic: record.topic, partition: record.partition, offset: record.offset, eventId: event.id, attempt };
      if (retryable && attempt <= this.config.retries) {
        const delay = retryDelayMs(attempt, this.config.retryBackoffMs, this.config.retryMaxBackoffMs);
        this.counts.retried++;
        log.warn({ ...where, reason: failure, retryInMs: delay }, 'kafka record failed; retrying');
        if (!(await sleep(delay, signal))) return 'abandoned';
        continue;
      }
      const reason = retryable ? `${failure} (gave up after ${attempt} attempts)` : failure;
      return this.deadLetter(record, { kind: 'failed', reason, attempts: attempt, groupId: this.config.groupId }, signal);
    }
  }

  private async deadLetter(record: KafkaRecordInput, why: DeadLetterReason, signal: AbortSignal): Promise<Handled> {
    const topic = this.config.deadLetter[record.topic] ?? `${record.topic}.dlq`;
    const out = deadLetterRecord(record, why);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.producer.send(topic, out);
        this.counts.dead_lettered++;
        this.env.log.warn({ trigger: this.name, topic: record.topic, partition: record.partition, offset: record.offset, deadLetter: topic, kind: why.kind, reason: why.reason }, 'kafka record dead-lettered');
        return 'done';
      } catch (err) {
        const delay = retryDelayMs(attempt, Math.max(this.config.retryBackoffMs, 200), Math.max(this.config.retryMaxBackoffMs, 1000));
        this.env.log.error({ err, trigger: this.name, deadLetter: topic, offset: record.offset, retryInMs: delay }, 'cannot write the dead-letter topic; the partition waits and tries again');
        if (!(await sleep(delay, signal))) return 'abandoned';
      }
    }
  }

  // ------------------------------------------------------------------------------------ commits

  /** Commits every partition's progress; one commit at a time (a call during a commit waits for it and commits again). */
  flushCommits(): Promise<void> {
    const run = async (): Promise<void> => {
      const todo: (TopicPartition & { offset: string })[] = [];
      const states: [PartitionState, bigint][] = [];
      for (const s of this.partitions.values()) {
        const p = processedNext(s);
        if (p !== undefined && (s.committedNext === undefined || p > s.committedNext)) {
          todo.push({ topic: s.topic, partition: s.partition, offset: p.toString() });
          states.push([s, p]);
        }
      }
      if (todo.length === 0 || !this.running) return;
      try {
        await this.consumer.commit(todo);
        for (const [s, p] of states) {
          if (s.committedNext === undefined || p > s.committedNext) s.committedNext = p;
          this.updateLag(s);
        }
      } catch (err) {
        const now = Date.now();
        if (now - this.lastCommitError > 5000) {
          this.lastCommitError = now;
          this.env.log.warn({ err, trigger: this.name }, 'kafka offset commit failed; will commit again');
        }
      }
    };
    const previous = this.committing ?? Promise.resolve();
    const next = previous.then(run);
    this.committing = next;
    void next.finally(() => {
      if (this.committing === next) this.committing = undefined;
    });
    return next;
  }

  private flushMetrics(): void {
    for (const event of Object.keys(this.counts) as CountedEvent[]) {
      const n = this.counts[event];
      if (n === 0) continue;
      this.counts[event] = 0;
      this.env.metrics.count(this.name, event, n);
    }
  }

  private updateLag(s: PartitionState): void {
    const from = s.committedNext ?? s.firstSeen;
    if (s.highWatermark === undefined || from === undefined) return;
    const lag = s.highWatermark - from;
    this.env.metrics.setLag(this.name, lag > 0n ? Number(lag) : 0, s.label);
  }
}

/** A queued record with its topic and partition, for the paths that name them (retries, dead letters). */
function recordOf(tp: TopicPartition, message: KafkaMessageInput): KafkaRecordInput {
  return { topic: tp.topic, partition: tp.partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers, timestamp: message.timestamp };
}

/** The offset after the last record handled: what a commit says. */
function processedNext(s: PartitionState): bigint | undefined {
  return s.lastProcessed === undefined ? undefined : BigInt(s.lastProcessed) + 1n;
}

function max(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

/** A counting semaphore: at most `limit` records in flight across partitions. */
class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];
  constructor(limit: number) {
    this.available = limit;
  }
  /** Takes a slot if one is free, without waiting (no promise on the hot path). */
  tryAcquire(): boolean {
    if (this.available > 0 && this.waiters.length === 0) {
      this.available--;
      return true;
    }
    return false;
  }
  acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }
}
