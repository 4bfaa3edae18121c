import type { FnEvent, Outcome } from '@fnkit/sdk';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type Consumer,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { CodecError } from '../../cloudevents/codec-error.js';
import { decodeNatsEvent, type NatsMessageInput } from '../../cloudevents/nats-codec.js';
import { describeFailure, isRetryable, isSuccess, type InvokeRequest, type TriggerEnvironment } from '../../contracts.js';
import { NatsAdapterBase } from './base-adapter.js';
import type { SharedNatsConnection } from './connection.js';
import { DeadLetterPublisher } from './dead-letter.js';
import { DeliveryInfoReader } from './delivery-info.js';
import { InFlight } from './in-flight.js';
import { headersOf, oversize } from './message.js';
import { statusOf } from './reply.js';
import type { NatsConfig, NatsJetStreamConfig } from './nats-settings.js';

/** How long one pull request waits on the server for messages before the next one is sent. */
const FETCH_EXPIRES_MS = 10_000;
/** Pull requests outstanding at once. */
const MAX_PULLS = 2;
/** Backoff after a failed fetch (disconnected, server restarting): 250 ms doubling to 5 s. */
const FETCH_RETRY_BASE_MS = 250;
const FETCH_RETRY_MAX_MS = 5000;
/** Every message's invocation request: a trigger waits for a free slot (never rejected as overloaded). */
const WAIT: InvokeRequest = { admission: 'wait' };

/**
 * A JetStream durable pull consumer, at-least-once:
 * - fetches exactly as many messages as there are free in-flight slots (back-pressure: nothing is
 *   delivered that cannot start at once), and keeps fetching across reconnects;
 * - acks a message only after the handler succeeded; a retryable failure is nak'ed with a growing
 *   delay (--nats-retry-delay doubling up to --nats-retry-max-delay, with jitter) until the message
 *   has been delivered --nats-max-deliver times; a final failure, a non-retryable one, or a message
 *   that cannot be decoded is published to the dead-letter subject and then terminated. If the
 *   dead letter cannot be published, the message is nak'ed and tried again later: nothing is
 *   acknowledged unprocessed;
 * - sends in-progress acks (`working`) for handlers running longer than a third of --nats-ack-wait.
 * The server-side consumer has max_deliver unlimited: the adapter counts deliveries itself so that it,
 * not the server, decides when a message is given up (and dead-lettered).
 */
export class NatsJetStreamAdapter extends NatsAdapterBase {
  readonly name: string;
  private readonly js: NatsJetStreamConfig;
  private readonly durable: string;
  private readonly slots: InFlight;
  /** Messages whose handler was still running when the call that started it returned → when they started or last got an in-progress ack. */
  private readonly working = new Map<JsMsg, number>();
  private workingTimer: NodeJS.Timeout | undefined;
  private consumer: Consumer | undefined;
  private jsm: JetStreamManager | undefined;
  private jsClient: JetStreamClient | undefined;
  /** Pull requests still receiving messages. */
  private readonly batches = new Set<ConsumerMessages>();
  private failures = 0;
  /** No new pull before this time (backoff after a failed fetch). */
  private retryAt = 0;
  private loop: Promise<void> | undefined;
  private deadLetters: DeadLetterPublisher | undefined;
  private fetching = false;
  private wake: (() => void) | undefined;
  /**
   * Acks and counts gathered during one turn of the event loop and sent together (setImmediate): the
   * NATS client writes to the socket once per microtask checkpoint, so acks sent one by one from
   * handlers finishing at different moments cost one socket write each.
   */
  private acks: JsMsg[] = [];
  private received = 0;
  private succeeded = 0;
  private lag = -1;
  private flushScheduled = false;
  private readonly deliveryInfo = new DeliveryInfoReader();

  constructor(
    private readonly subject: string,
    durable: string,
    private readonly config: NatsConfig,
    connection: SharedNatsConnection,
    env: TriggerEnvironment,
  ) {
    super(connection, env);
    this.js = config.jetstream!;
    this.durable = durable;
    this.name = `nats:${this.js.stream}/${durable}`;
    this.slots = new InFlight(config.maxInFlight);
  }

  protected async setup(nc: NatsConnection): Promise<void> {
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(nc);
    } catch (err) {
      throw new Error(`NATS: JetStream is not available on ${nc.getServer()} (${(err as Error).message}); start nats-server with -js, or drop --nats-stream for core NATS`, { cause: err });
    }
    await this.ensureStream(jsm);
    await this.ensureConsumer(jsm);
    const js = jetstream(nc);
    this.jsm = jsm;
    this.jsClient = js;
    this.consumer = await js.consumers.get(this.js.stream, this.durable);
    if (this.config.deadLetter !== undefined) this.deadLetters = new DeadLetterPublisher(this.config.deadLetter, nc, js);
    const every = Math.max(250, Math.floor(this.js.ackWaitMs / 3));
    this.workingTimer = setInterval(() => this.sendWorking(every), every);
    this.workingTimer.unref();
    this.loop = this.run();
    this.env.log.info({ trigger: this.name, subject: this.subject, maxInFlight: this.config.maxInFlight }, 'NATS: JetStream consumer started');
  }

  protected consuming(): boolean {
    return this.fetching;
  }

  /** Stops fetching and lets in-flight handlers finish and ack (or nak); the connection's drain then flushes the acks. */
  protected async shutdown(): Promise<void> {
    for (const b of this.batches) b.stop();
    this.wake?.();
    await this.loop;
    await this.slots.idle();
    this.flush();
    clearInterval(this.workingTimer);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const acks = this.acks;
    this.acks = [];
    for (const m of acks) m.ack();
    const { metrics } = this.env;
    if (this.received > 0) metrics.count(this.name, 'received', this.received);
    if (this.succeeded > 0) metrics.count(this.name, 'succeeded', this.succeeded);
    if (this.lag >= 0) metrics.setLag(this.name, this.lag);
    this.received = 0;
    this.succeeded = 0;
    this.lag = -1;
  };

  // ------------------------------------------------------------------------------------ set-up

  private async ensureStream(jsm: JetStreamManager): Promise<void> {
    const { stream } = this.js;
    try {
      await jsm.streams.info(stream);
      return;
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
    }
    if (!this.js.createStream) {
      throw new Error(`NATS: JetStream stream '${stream}' does not exist: create it (e.g. nats stream add ${stream} --subjects '${this.config.subjects.join(',')}') or pass --nats-create-stream`);
    }
    try {
      await jsm.streams.add({ name: stream, subjects: this.config.subjects, storage: StorageType.File, retention: RetentionPolicy.Limits });
      this.env.log.info({ stream, subjects: this.config.subjects }, 'NATS: created JetStream stream');
    } catch (err) {
      // Another replica may have created it at the same moment.
      try {
        await jsm.streams.info(stream);
      } catch {
        throw new Error(`NATS: cannot create JetStream stream '${stream}' for ${this.config.subjects.join(', ')}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  private async ensureConsumer(jsm: JetStreamManager): Promise<void> {
    const { stream } = this.js;
    const wanted: Partial<ConsumerConfig> = {
      durable_name: this.durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(this.js.ackWaitMs),
      max_deliver: -1,
      max_ack_pending: Math.max(1000, this.config.maxInFlight * 4),
      deliver_policy: this.js.deliverPolicy === 'new' ? DeliverPolicy.New : this.js.deliverPolicy === 'last' ? DeliverPolicy.Last : DeliverPolicy.All,
      filter_subject: this.subject,
    };
    let existing;
    try {
      existing = await jsm.consumers.info(stream, this.durable);
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
    }
    if (existing === undefined) {
      try {
        await jsm.consumers.add(stream, wanted);
      } catch (err) {
        throw new Error(`NATS: cannot create durable consumer '${this.durable}' on stream '${stream}' for ${this.subject}: ${(err as Error).message}`, { cause: err });
      }
      this.env.log.info({ stream, durable: this.durable, subject: this.subject }, 'NATS: created durable consumer');
      return;
    }
    const c = existing.config;
    if (c.ack_policy !== AckPolicy.Explicit || (c.deliver_subject ?? '') !== '') {
      throw new Error(`NATS: consumer '${this.durable}' on stream '${stream}' exists but is not a pull consumer with explicit acks; pick another --nats-durable`);
    }
    if ((c.filter_subject ?? '') !== this.subject) {
      throw new Error(`NATS: consumer '${this.durable}' on stream '${stream}' filters '${c.filter_subject ?? '(all subjects)'}', not '${this.subject}'; pick another --nats-durable or delete the consumer`);
    }
    if (c.ack_wait !== wanted.ack_wait || c.max_deliver !== -1 || (c.max_ack_pending ?? 0) < wanted.max_ack_pending!) {
      try {
        await jsm.consumers.update(stream, this.durable, { ack_wait: wanted.ack_wait!, max_deliver: -1, max_ack_pending: Math.max(c.max_ack_pending ?? 0, wanted.max_ack_pending!) });
      } catch (err) {
        this.env.log.warn({ err, stream, durable: this.durable }, 'NATS: could not update the durable consumer; using it as it is');
      }
    }
  }

  // ------------------------------------------------------------------------------------ fetching

  /**
   * The fetch loop. A pull request asks for as many messages as there are free slots (reserved up
   * front). While one batch is still arriving, the next pull is sent once half the slots are free
   * again, so the handlers never wait for a round trip to the server (at most MAX_PULLS outstanding).
   */
  private async run(): Promise<void> {
    const pulls = new Set<Promise<void>>();
    while (!this.stopping) {
      const now = Date.now();
      if (this.retryAt > now) {
        await this.sleep(this.retryAt - now);
        continue;
      }
      const want = pulls.size === 0 ? 1 : Math.ceil(this.slots.limit / 2);
      const free = pulls.size < MAX_PULLS ? this.slots.whenFree(want) : Promise.race(pulls);
      if (free !== undefined) {
        await Promise.race([free, ...pulls, this.wakeUp()]);
        continue;
      }
      const reserved = this.slots.take(this.slots.free);
      const pull: Promise<void> = this.pull(reserved).finally(() => pulls.delete(pull));
      pulls.add(pull);
    }
    await Promise.all(pulls);
    this.fetching = false;
  }

  /** One pull request for `reserved` messages; each message received is handed to handle(). Never rejects. */
  private async pull(reserved: number): Promise<void> {
    let used = 0;
    let batch: ConsumerMessages | undefined;
    try {
      batch = await this.consumer!.fetch({ max_messages: reserved, expires: FETCH_EXPIRES_MS });
      this.batches.add(batch);
      this.fetching = true;
      if (this.stopping) batch.stop();
      for await (const m of batch) {
        // After a reconnect the client may re-pull a batch in full: a message beyond what was reserved takes a slot of its own.
        if (++used > reserved) this.slots.force();
        if (this.stopping) {
          m.nak(); // not started: another replica (or the next start) gets it at once
          this.slots.release();
          continue;
        }
        this.begin(m);
      }
      if (used === 0) {
        this.lag = 0;
        this.scheduleFlush();
      }
      this.failures = 0;
    } catch (err) {
      this.fetching = false;
      if (!this.stopping) {
        const delay = Math.min(FETCH_RETRY_MAX_MS, FETCH_RETRY_BASE_MS * 2 ** this.failures++);
        this.retryAt = Math.max(this.retryAt, Date.now() + delay);
        this.env.log.warn({ err, trigger: this.name, retryInMs: delay }, 'NATS: fetching from JetStream failed; retrying');
        await this.recreateConsumerIfGone();
      }
    } finally {
      if (batch !== undefined) this.batches.delete(batch);
      this.slots.release(Math.max(0, reserved - used));
    }
  }

  /** A promise stop() resolves at once (so the loop notices it is stopping). */
  private wakeUp(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  private async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.wakeUp()]);
    clearTimeout(timer);
  }

  /** After a failed fetch: a durable consumer deleted under us (by an operator, or lost with the server's store) is created again. */
  private async recreateConsumerIfGone(): Promise<void> {
    const jsm = this.jsm;
    const js = this.jsClient;
    if (jsm === undefined || js === undefined) return;
    try {
      await jsm.consumers.info(this.js.stream, this.durable);
      return;
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) return; // disconnected or the like: the fetch retry covers it
    }
    try {
      this.env.log.warn({ trigger: this.name, stream: this.js.stream, durable: this.durable }, 'NATS: the durable consumer is gone; creating it again');
      await this.ensureConsumer(jsm);
      this.consumer = await js.consumers.get(this.js.stream, this.durable);
    } catch (err) {
      this.env.log.error({ err, trigger: this.name }, 'NATS: could not create the durable consumer again; retrying');
    }
  }

  private sendWorking(every: number): void {
    const now = Date.now();
    for (const [m, since] of this.working) {
      if (now - since >= every) {
        m.working();
        this.working.set(m, now);
      }
    }
  }

  // ------------------------------------------------------------------------------------ one message

  /**
   * Starts one message; its slot is released once the message is settled (acked, nak'ed or given up).
   * The usual message (decoded, succeeded on its first try) is settled without an async frame of its
   * own: when the handler returns a plain value the outcome comes back within this call and the ack is
   * queued at once; otherwise one `then` on the invocation. Never throws.
   */
  private begin(m: JsMsg): void {
    let pending: Promise<void> | undefined;
    try {
      pending = this.handle(m);
    } catch (err) {
      this.handlingFailed(m, err);
      return;
    }
    if (pending === undefined) this.slots.release();
    else pending.then(this.release, (err: unknown) => this.handlingFailed(m, err));
  }

  private readonly release = (): void => this.slots.release();

  /** A bug, not a handler failure (those are outcomes): leave no message unsettled. */
  private handlingFailed(m: JsMsg, err: unknown): void {
    this.working.delete(m);
    m.nak(this.js.retryMaxDelayMs);
    this.slots.release();
    this.env.log.error({ err, trigger: this.name }, 'NATS: message handling failed; redelivering later');
  }

  /** Handles one message: undefined when it is settled already, else a promise that resolves once it is. */
  private handle(m: JsMsg): Promise<void> | undefined {
    const { log } = this.env;
    const info = this.deliveryInfo.read(m);
    this.received++;
    this.lag = this.deliveryInfo.pending;
    this.scheduleFlush();
    const input: NatsMessageInput = { subject: m.subject, headers: headersOf(m.headers), data: m.data, jetstream: info };
    if (info.deliveryCount > this.js.maxDeliver) {
      // Handled max-deliver times already; an earlier dead-letter publish failed.
      return this.giveUp(m, input, `delivered ${info.deliveryCount} times (--nats-max-deliver ${this.js.maxDeliver}); the last failure was not recorded`, 500);
    }
    const tooLarge = oversize(m.data, this.config.maxMessageBytes);
    if (tooLarge !== undefined) {
      log.warn({ trigger: this.name, seq: info.streamSequence, reason: tooLarge }, 'NATS: message too large');
      return this.giveUp(m, input, tooLarge, 413);
    }
    let event: FnEvent;
    try {
      event = decodeNatsEvent(input);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      log.warn({ trigger: this.name, seq: info.streamSequence, reason: err.message }, 'NATS: message is not a valid CloudEvent');
      return this.giveUp(m, input, err.message, err.status);
    }
    const started = Date.now();
    const invoker = this.env.invoker;
    let outcome: Outcome | Promise<Outcome>;
    try {
      outcome = invoker.invokeNow !== undefined ? invoker.invokeNow(event, WAIT) : invoker.invoke(event, WAIT);
    } catch (err) {
      outcome = invokerFailed(event, err);
    }
    if (outcome instanceof Promise) {
      // Still running: from now on the working timer sends it in-progress acks when it runs long. (One that
      // settled within the call never needs them: the timer cannot fire in between, so it is not recorded.)
      this.working.set(m, started);
      return outcome.then(
        (o) => {
          this.working.delete(m);
          return this.settle(m, input, event, o);
        },
        (err: unknown) => {
          this.working.delete(m);
          return this.settle(m, input, event, invokerFailed(event, err));
        },
      );
    }
    return this.settle(m, input, event, outcome);
  }

  /** After the invocation: a success is queued for the next ack flush; anything else goes on in afterFailure. */
  private settle(m: JsMsg, input: NatsMessageInput, event: FnEvent, outcome: Outcome): Promise<void> | undefined {
    if (isSuccess(outcome)) {
      this.acks.push(m);
      this.succeeded++;
      this.scheduleFlush();
      return undefined;
    }
    return this.afterFailure(m, input, event, outcome);
  }

  private async afterFailure(m: JsMsg, input: NatsMessageInput, event: FnEvent, outcome: Outcome): Promise<void> {
    const { metrics, log } = this.env;
    const info = input.jetstream!;
    if (outcome.type === 'rejected' && outcome.reason === 'shutting-down') {
      // It never ran (this process is stopping): back at once, for another replica or the next start; never a dead letter.
      m.nak();
      return;
    }
    const reason = describeFailure(outcome);
    if (isRetryable(outcome) && info.deliveryCount < this.js.maxDeliver) {
      const delay = this.retryDelay(info.deliveryCount);
      m.nak(delay);
      metrics.count(this.name, 'retried');
      log.warn({ trigger: this.name, eventId: event.id, seq: info.streamSequence, delivery: info.deliveryCount, retryInMs: delay, reason }, 'NATS: handler failed; redelivering later');
      return;
    }
    const why = isRetryable(outcome) ? `${reason} (delivery ${info.deliveryCount} of ${this.js.maxDeliver})` : reason;
    log.warn({ trigger: this.name, eventId: event.id, seq: info.streamSequence, delivery: info.deliveryCount, reason: why }, 'NATS: handler failed for good');
    await this.giveUp(m, input, why, statusOf(outcome));
  }

  /** Equal jitter: half the exponential delay fixed, half random. */
  private retryDelay(deliveryCount: number): number {
    const d = Math.min(this.js.retryMaxDelayMs, this.js.retryDelayMs * 2 ** (deliveryCount - 1));
    return Math.round(d / 2 + Math.random() * (d / 2));
  }

  /** Dead-letters the message (when a subject is set) and terminates it; if the dead letter cannot be published, naks it to try again later. */
  private async giveUp(m: JsMsg, input: NatsMessageInput, reason: string, code: number): Promise<void> {
    const js = input.jetstream!;
    if (this.deadLetters !== undefined) {
      try {
        await this.deadLetters.publish({
          subject: input.subject,
          headers: input.headers,
          data: input.data,
          reason,
          code,
          stream: js.stream,
          sequence: js.streamSequence,
          consumer: js.consumer,
          deliveries: js.deliveryCount,
        });
      } catch (err) {
        const delay = this.js.retryMaxDelayMs;
        m.nak(delay);
        this.env.metrics.count(this.name, 'retried');
        this.env.log.error({ err, trigger: this.name, seq: js.streamSequence, deadLetter: this.deadLetters.subject, retryInMs: delay }, 'NATS: could not publish the dead letter; the message stays unacknowledged and comes back later');
        return;
      }
    } else {
      this.env.log.error({ trigger: this.name, subject: input.subject, seq: js.streamSequence, reason }, 'NATS: message dropped (terminated): no --nats-dead-letter subject is set; it stays in the stream until the stream limits remove it');
    }
    m.term();
    this.env.metrics.count(this.name, 'dead_lettered');
  }
}

/** The outcome recorded when the invoker itself threw (never expected: runners report failures as outcomes). */
function invokerFailed(event: FnEvent, err: unknown): Outcome {
  return { type: 'error', status: 500, body: { error: 'the invoker failed', status: 500, eventId: event.id }, error: err, durationMs: 0 };
}

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}
