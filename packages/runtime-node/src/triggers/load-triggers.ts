import type { SettingSpec } from '../config/settings.js';
import type { TriggerAdapter, TriggerEnvironment } from '../contracts.js';
import { CRON_SETTINGS, readCronConfig, type CronConfig } from './cron/cron-settings.js';
import { KAFKA_SETTINGS, readKafkaConfig, type KafkaConfig } from './kafka/kafka-settings.js';
import { NATS_SETTINGS, readNatsConfig, type NatsConfig } from './nats/nats-settings.js';

/**
 * The wiring between `fn-run serve` / `fn-run trigger <kind>` and the trigger adapters: every kind's
 * settings, read into one TriggerConfigs, and the adapters created for the configured kinds only. A
 * kind's client library (croner, the NATS client, kafkajs) is imported only when that kind is used,
 * so a plain HTTP function starts without loading any of them.
 */

export type TriggerKindName = 'cron' | 'nats' | 'kafka';
export const TRIGGER_KINDS: readonly TriggerKindName[] = ['cron', 'nats', 'kafka'];

export const TRIGGER_SETTINGS_BY_KIND: Readonly<Record<TriggerKindName, readonly SettingSpec[]>> = {
  cron: CRON_SETTINGS,
  nats: NATS_SETTINGS,
  kafka: KAFKA_SETTINGS,
};

/** Every trigger setting, for `fn-run serve`. */
export const TRIGGER_SETTINGS: readonly SettingSpec[] = [...CRON_SETTINGS, ...NATS_SETTINGS, ...KAFKA_SETTINGS];

export interface TriggerConfigs {
  cron?: CronConfig;
  nats?: NatsConfig;
  kafka?: KafkaConfig;
}

/** Reads the trigger settings of the given kinds. Throws ConfigError naming a bad flag or variable. */
export function readTriggerConfigs(
  values: Record<string, unknown>,
  sources: Record<string, string>,
  options: { kinds?: readonly TriggerKindName[]; functionName?: string } = {},
): TriggerConfigs {
  const kinds = options.kinds ?? TRIGGER_KINDS;
  const out: TriggerConfigs = {};
  if (kinds.includes('cron')) out.cron = readCronConfig(values, sources);
  if (kinds.includes('nats')) out.nats = readNatsConfig(values, sources);
  if (kinds.includes('kafka')) out.kafka = readKafkaConfig(values, sources, options.functionName);
  for (const k of TRIGGER_KINDS) if (out[k] === undefined) delete out[k];
  return out;
}

export function hasTriggers(configs: TriggerConfigs | undefined): boolean {
  return configs !== undefined && (configs.cron !== undefined || configs.nats !== undefined || configs.kafka !== undefined);
}

/**
 * Creates the adapters of every configured kind (cron first, then NATS, then Kafka). Only the
 * configured kinds' modules are imported. Throws ConfigError for a setting only the adapter can
 * check (e.g. a cron expression croner cannot read).
 */
export async function createTriggerAdapters(configs: TriggerConfigs, env: TriggerEnvironment): Promise<TriggerAdapter[]> {
  const adapters: TriggerAdapter[] = [];
  if (configs.cron) {
    const { createCronAdapters } = await import('./cron/index.js');
    adapters.push(...createCronAdapters(configs.cron, env));
  }
  if (configs.nats) {
    const { createNatsAdapters } = await import('./nats/index.js');
    adapters.push(...createNatsAdapters(configs.nats, env));
  }
  if (configs.kafka) {
    const { createKafkaAdapters } = await import('./kafka/index.js');
    adapters.push(...createKafkaAdapters(configs.kafka, env));
  }
  return adapters;
}

/** Thrown by startTriggers: names the adapter that could not start and why. */
export class TriggerStartError extends Error {
  constructor(
    readonly adapter: string,
    readonly reason: unknown,
  ) {
    super(`the ${adapter} trigger could not start: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'TriggerStartError';
  }
}

/**
 * Starts every adapter at once. If one rejects (a bad setting its broker told us about, e.g. an
 * unknown stream or a broker address that does not resolve), the ones already started are stopped
 * and a TriggerStartError naming it is thrown. A broker that is merely down is not an error here:
 * the adapter retries with backoff and reports not ready meanwhile.
 */
export async function startTriggers(adapters: readonly TriggerAdapter[]): Promise<void> {
  const results = await Promise.allSettled(adapters.map((a) => a.start()));
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed === -1) return;
  await stopTriggers(adapters);
  throw new TriggerStartError(adapters[failed]!.name, (results[failed] as PromiseRejectedResult).reason);
}

/** Stops every adapter in parallel (stop fetching, finish in-flight work, commit/ack, disconnect). Never rejects. */
export async function stopTriggers(adapters: readonly TriggerAdapter[], log?: TriggerEnvironment['log']): Promise<void> {
  await Promise.all(
    adapters.map((a) =>
      a.stop().catch((error: unknown) => log?.error({ trigger: a.name, err: error }, `the ${a.name} trigger did not stop cleanly`)),
    ),
  );
}

/** Names of the adapters not ready (for readiness and logs). */
export function notReady(adapters: readonly TriggerAdapter[]): string[] {
  return adapters.filter((a) => !a.isReady()).map((a) => a.name);
}
