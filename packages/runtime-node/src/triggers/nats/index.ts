import type { TriggerAdapter, TriggerEnvironment } from '../../contracts.js';
import type { NatsConfig } from './nats-settings.js';

export type { NatsConfig } from './nats-settings.js';

/** One adapter per consumed subject (core NATS) or per JetStream durable consumer. */
export function createNatsAdapters(config: NatsConfig, env: TriggerEnvironment): TriggerAdapter[] {
  void env;
  throw new Error(`the NATS trigger is being built (subjects ${config.subjects.join(', ')}); it lands in the next commits`);
}
