import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import type { KafkaConfig } from '../triggers/kafka/kafka-settings.js';
import type { NatsConfig } from '../triggers/nats/nats-settings.js';
import { functionLabels, triggerLabels } from './labels.js';
import type { ManifestOptions } from './manifest-options.js';

/**
 * KEDA ScaledObjects (`--keda`): the Kafka dispatcher scales on its consumer group's lag, the NATS one
 * on its JetStream durable consumer's pending messages, and the function's Deployment on the same
 * signals (the dispatchers only forward; the function does the work). KEDA's Kafka scaler never goes
 * above the partition count.
 */

type ScaledTrigger = NonNullable<IScaledObject['spec']>['triggers'][number];

export function kafkaTriggers(options: ManifestOptions, kafka: KafkaConfig): ScaledTrigger[] {
  return kafka.topics.map((topic) => ({
    type: 'kafka',
    metadata: {
      bootstrapServers: kafka.brokers.join(','),
      consumerGroup: kafka.groupId,
      topic,
      lagThreshold: String(options.keda!.lagThreshold),
    },
  }));
}

/** KEDA reads JetStream state from the NATS monitoring endpoint (port 8222 unless told otherwise). */
export function natsMonitoringEndpoint(options: ManifestOptions, nats: NatsConfig): string {
  if (options.keda?.natsMonitoring !== undefined) return options.keda.natsMonitoring;
  const first = nats.servers[0]!;
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(first) ? first : `nats://${first}`);
  return `${url.hostname}:8222`;
}

/**
 * The durable consumers the NATS trigger creates (triggers/nats/index.ts): `--nats-durable` for one
 * subject, `<durable>_<subject>` (`.` → `_`, `*` → `any`, `>` → `all`) for each of several. A test
 * checks these against the trigger's own adapters.
 */
export function jetStreamConsumers(nats: NatsConfig): string[] {
  const durable = nats.jetstream!.durable;
  if (nats.subjects.length === 1) return [durable];
  return nats.subjects.map((s) => `${durable}_${s.replace(/\./g, '_').replace(/\*/g, 'any').replace(/>/g, 'all')}`);
}

/** A `nats-jetstream` trigger per durable consumer. */
export function natsTriggers(options: ManifestOptions, nats: NatsConfig): ScaledTrigger[] {
  const js = nats.jetstream!;
  return jetStreamConsumers(nats).map((consumer) => ({
    type: 'nats-jetstream',
    metadata: {
      natsServerMonitoringEndpoint: natsMonitoringEndpoint(options, nats),
      account: '$G',
      stream: js.stream,
      consumer,
      lagThreshold: String(options.keda!.lagThreshold),
    },
  }));
}

export function scaledObject(options: ManifestOptions, target: string, labels: Record<string, string>, minReplicas: number, triggers: ScaledTrigger[]): IScaledObject {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: target, namespace: options.namespace, labels },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
      minReplicaCount: minReplicas,
      maxReplicaCount: options.keda!.maxReplicas,
      pollingInterval: 15,
      cooldownPeriod: 300,
      triggers,
    },
  };
}

export function dispatcherScaledObject(options: ManifestOptions, kind: 'nats' | 'kafka', instance: string, triggers: ScaledTrigger[]): IScaledObject {
  return scaledObject(options, instance, triggerLabels(options.name, kind, instance), 1, triggers);
}

export function functionScaledObject(options: ManifestOptions, triggers: ScaledTrigger[]): IScaledObject {
  // HTTP traffic needs a replica even when the brokers are quiet: never below --replicas (at least 1).
  return scaledObject(options, options.name, functionLabels(options.name), Math.max(1, options.replicas), triggers);
}
