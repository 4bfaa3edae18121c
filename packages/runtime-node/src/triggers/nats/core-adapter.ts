import type { FnEvent, Outcome } from '@fnkit/sdk';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { CodecError } from '../../cloudevents/codec-error.js';
import { decodeNatsEvent } from '../../cloudevents/nats-codec.js';
import { describeFailure, isSuccess, type TriggerEnvironment } from '../../contracts.js';
import { NatsAdapterBase } from './base-adapter.js';
import type { SharedNatsConnection } from './connection.js';
import { DeadLetterPublisher } from './dead-letter.js';
import { InFlight } from './in-flight.js';
import { headersOf, oversize } from './message.js';
import type { NatsConfig } from './nats-settings.js';
import { errorReply, replyFor, statusOf } from './reply.js';

/**
 * A core NATS subscription (optionally in a queue group, so replicas share the messages). Each
 * message becomes a CloudEvent and goes through the invoker, at most `--nats-max-in-flight` at once.
 * Core NATS is at-most-once: there is no redelivery. A request (a message with a reply subject) gets
 * the handler's result as its reply, or an error reply (see reply.ts). A message that fails without a
 * requester to tell, or cannot be decoded, goes to the dead-letter subject when one is set.
 */
export class NatsCoreAdapter extends NatsAdapterBase {
  readonly name: string;
  private sub: Subscription | undefined;
  private loop: Promise<void> | undefined;
  private deadLetters: DeadLetterPublisher | undefined;
  private readonly slots: InFlight;

  constructor(
    private readonly subject: string,
    private readonly config: NatsConfig,
    connection: SharedNatsConnection,
    env: TriggerEnvironment,
  ) {
    super(connection, env);
    this.name = `nats:${subject}`;
    this.slots = new InFlight(config.maxInFlight);
  }

  protected async setup(nc: NatsConnection): Promise<void> {
    if (this.config.deadLetter !== undefined) this.deadLetters = new DeadLetterPublisher(this.config.deadLetter, nc, jetstream(nc));
    this.sub = nc.subscribe(this.subject, this.config.queue !== undefined ? { queue: this.config.queue } : {});
    await nc.flush(); // the server knows the subscription before start() resolves
    this.loop = this.run(this.sub);
    this.env.log.info({ trigger: this.name, queue: this.config.queue }, 'NATS: subscribed');
  }

  protected consuming(): boolean {
    return true;
  }

  /** Unsubscribes (the server stops sending), handles what was already received, waits for in-flight work. */
  protected async shutdown(): Promise<void> {
    try {
      await this.sub?.drain();
    } catch (err) {
      this.env.log.warn({ err, trigger: this.name }, 'NATS: unsubscribe failed');
    }
    await this.loop;
    await this.slots.idle();
  }

  private async run(sub: Subscription): Promise<void> {
    try {
      for await (const m of sub) {
        const wait = this.slots.whenFree();
        if (wait !== undefined) await wait;
        this.slots.take(1);
        this.handle(m).then(
          () => this.slots.release(),
          (err: unknown) => {
            this.slots.release();
            this.env.log.error({ err, trigger: this.name }, 'NATS: message handling failed');
          },
        );
      }
    } catch (err) {
      this.env.log.error({ err, trigger: this.name }, 'NATS: subscription ended with an error');
    }
  }

  private async handle(m: Msg): Promise<void> {
    const { metrics, log } = this.env;
    metrics.count(this.name, 'received');
    const headers = headersOf(m.headers);
    const reply = m.reply !== undefined && m.reply !== '' ? m.reply : undefined;
    const input = { subject: m.subject, headers, data: m.data, ...(reply !== undefined ? { reply } : {}) };
    let event: FnEvent;
    try {
      const tooLarge = oversize(m.data, this.config.maxMessageBytes);
      if (tooLarge !== undefined) throw new Rejected(413, tooLarge);
      event = decodeNatsEvent(input);
    } catch (err) {
      if (!(err instanceof CodecError) && !(err instanceof Rejected)) throw err;
      log.warn({ trigger: this.name, subject: m.subject, reason: err.message }, 'NATS: message not handed to the function');
      if (reply !== undefined) {
        const r = errorReply(err.status, err.message);
        m.respond(r.body, { headers: r.headers });
      } else {
        await this.deadLetter(m, headers, err.message, err.status);
      }
      metrics.count(this.name, 'dead_lettered');
      return;
    }
    let outcome: Outcome;
    try {
      outcome = await this.env.invoker.invoke(event, { admission: 'wait' });
    } catch (err) {
      outcome = { type: 'error', status: 500, body: { error: 'the invoker failed', status: 500, eventId: event.id }, error: err, durationMs: 0 };
    }
    if (reply !== undefined) {
      const r = await replyFor(outcome);
      m.respond(r.body, { headers: r.headers });
    }
    if (isSuccess(outcome)) {
      metrics.count(this.name, 'succeeded');
      return;
    }
    const reason = describeFailure(outcome);
    log.warn({ trigger: this.name, eventId: event.id, reason }, reply !== undefined ? 'NATS: request failed; the error went back in the reply' : 'NATS: handler failed (core NATS does not redeliver)');
    if (reply === undefined) {
      await this.deadLetter(m, headers, reason, statusOf(outcome));
      metrics.count(this.name, 'dead_lettered');
    }
  }

  private async deadLetter(m: Msg, headers: Record<string, string[]>, reason: string, code: number): Promise<void> {
    if (this.deadLetters === undefined) return;
    try {
      await this.deadLetters.publish({ subject: m.subject, headers, data: m.data, reason, code });
    } catch (err) {
      this.env.log.error({ err, trigger: this.name, deadLetter: this.deadLetters.subject }, 'NATS: could not publish the dead letter');
    }
  }
}

/** A message refused before decoding (e.g. too large), with the status its reply or dead letter gets. */
class Rejected extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
