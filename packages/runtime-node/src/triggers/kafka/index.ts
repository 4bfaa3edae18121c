import type { TriggerAdapter, TriggerEnvironment } from '../../contracts.js';
import { KafkaAdapter } from './kafka-adapter.js';
import { createKafkajsClient } from './kafkajs-client.js';
import type { KafkaConfig } from './kafka-settings.js';

/** The Kafka trigger's entry point for the wiring (imported only when --kafka is given: it loads kafkajs). */
export function createKafkaAdapters(config: KafkaConfig, env: TriggerEnvironment): TriggerAdapter[] {
  return [new KafkaAdapter(config, env, createKafkajsClient(config, env.log))];
}

export { KafkaAdapter } from './kafka-adapter.js';
export type { KafkaClient } from './kafka-client.js';
