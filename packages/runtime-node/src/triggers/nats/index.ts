import type { TriggerAdapter, TriggerEnvironment } from '../../contracts.js';
import { SharedNatsConnection } from './connection.js';
import { NatsCoreAdapter } from './core-adapter.js';
import { NatsJetStreamAdapter } from './jetstream-adapter.js';
import type { NatsConfig } from './nats-settings.js';

export type { NatsConfig } from './nats-settings.js';

/**
 * The NATS trigger's adapters, all on one shared connection: one core subscription per `--nats`
 * subject, or with `--nats-stream` one durable pull consumer per subject (named `--nats-durable`, or
 * `<durable>_<subject>` when several subjects are given, because nats-server before 2.10 filters one
 * subject per consumer).
 */
export function createNatsAdapters(config: NatsConfig, env: TriggerEnvironment): TriggerAdapter[] {
  const connection = new SharedNatsConnection(config, env.log);
  const js = config.jetstream;
  if (js === undefined) return config.subjects.map((s) => new NatsCoreAdapter(s, config, connection, env));
  const many = config.subjects.length > 1;
  return config.subjects.map((s) => new NatsJetStreamAdapter(s, many ? `${js.durable}_${durableSuffix(s)}` : js.durable, config, connection, env));
}

/** A subject as a consumer-name suffix: '.' → '_', '*' → 'any', '>' → 'all'. */
function durableSuffix(subject: string): string {
  return subject.replace(/\./g, '_').replace(/\*/g, 'any').replace(/>/g, 'all');
}
