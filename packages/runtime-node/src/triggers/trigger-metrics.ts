import { Counter, Gauge, type Registry } from 'prom-client';

/** What happened to one message of a trigger; the `event` label of fnkit_trigger_messages_total. */
export type TriggerMessageEvent = 'received' | 'succeeded' | 'retried' | 'dead_lettered' | 'skipped' | 'replaced';

/**
 * Per-trigger metrics, shared by every adapter (cron, NATS, Kafka; in-process and dispatcher mode).
 * `trigger` is the adapter's name (e.g. `kafka:orders`). Lag is set where the broker tells it.
 */
export class TriggerMetrics {
  readonly messages: Counter<'trigger' | 'event'>;
  readonly lag: Gauge<'trigger' | 'partition'>;

  constructor(registry: Registry) {
    this.messages = new Counter({
      name: 'fnkit_trigger_messages_total',
      help: 'Trigger messages by what happened to them: received, succeeded, retried, dead_lettered, skipped, replaced',
      labelNames: ['trigger', 'event'],
      registers: [registry],
    });
    this.lag = new Gauge({
      name: 'fnkit_trigger_lag',
      help: 'Messages waiting in the broker for this trigger (Kafka: per partition; JetStream: pending)',
      labelNames: ['trigger', 'partition'],
      registers: [registry],
    });
  }

  count(trigger: string, event: TriggerMessageEvent, n = 1): void {
    this.messages.inc({ trigger, event }, n);
  }

  setLag(trigger: string, value: number, partition = ''): void {
    this.lag.set({ trigger, partition }, value);
  }
}
