import type { SettingSpec } from '../config/settings.js';
import { CRON_SETTINGS, readCronConfig, type CronConfig } from '../triggers/cron/cron-settings.js';
import { KAFKA_SETTINGS, readKafkaConfig, type KafkaConfig } from '../triggers/kafka/kafka-settings.js';
import { NATS_SETTINGS, readNatsConfig, type NatsConfig } from '../triggers/nats/nats-settings.js';

/**
 * The trigger flags `fn-run manifest` takes are the triggers' own (`--cron*`, `--nats*`, `--kafka*`),
 * validated by the triggers' own readers and passed on verbatim to the `fn-run trigger <kind>` commands
 * of the generated CronJobs and Deployments. Only flags count here: the environment of the machine
 * that generates a manifest says nothing about the cluster. Settings with no flag (passwords, TLS key
 * files) belong in a Secret: `--trigger-secret <name>` loads one into the trigger containers.
 */

export type TriggerKind = 'cron' | 'nats' | 'kafka';

/** A kind's settings, flags only. */
function flagsOnly(specs: readonly SettingSpec[]): SettingSpec[] {
  return specs.filter((s) => s.flag !== undefined).map((s) => ({ ...s, env: undefined }));
}

export const TRIGGER_FLAG_SETTINGS: Record<TriggerKind, SettingSpec[]> = {
  cron: flagsOnly(CRON_SETTINGS),
  nats: flagsOnly(NATS_SETTINGS),
  kafka: flagsOnly(KAFKA_SETTINGS),
};

export interface TriggerRequest {
  cron?: { config: CronConfig; args: string[] };
  nats?: { config: NatsConfig; args: string[] };
  kafka?: { config: KafkaConfig; args: string[] };
}

/**
 * Reads the trigger flags out of the parse result and `argv`. `args` holds each kind's flags as the
 * user wrote them (cron: all but `--cron` itself, since each schedule gets its own CronJob).
 */
export function readTriggerFlags(argv: readonly string[], values: Record<string, unknown>, sources: Record<string, string>, functionName: string): TriggerRequest {
  const request: TriggerRequest = {};
  const cron = readCronConfig(values, sources);
  if (cron) request.cron = { config: cron, args: flagTokens(argv, TRIGGER_FLAG_SETTINGS.cron.filter((s) => s.flag !== 'cron')) };
  const nats = readNatsConfig(values, sources);
  if (nats) request.nats = { config: nats, args: flagTokens(argv, TRIGGER_FLAG_SETTINGS.nats) };
  const kafka = readKafkaConfig(values, sources, functionName);
  if (kafka) request.kafka = { config: kafka, args: flagTokens(argv, TRIGGER_FLAG_SETTINGS.kafka) };
  return request;
}

/**
 * The tokens of `argv` that belong to `specs`, in order, each flag with its value: `--x v`, `--x=v`,
 * `--flag`, `--no-flag`. argv was already accepted by parseSettings, so its shape is known good.
 */
export function flagTokens(argv: readonly string[], specs: readonly SettingSpec[]): string[] {
  const byFlag = new Map(specs.map((s) => [s.flag!, s]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('--')) continue;
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const spec = byFlag.get(name) ?? (name.startsWith('no-') && byFlag.get(name.slice(3))?.type === 'boolean' ? byFlag.get(name.slice(3)) : undefined);
    if (!spec) continue;
    if (spec.type === 'boolean' || eq !== -1) {
      out.push(arg);
    } else {
      out.push(arg, argv[i + 1]!);
      i++;
    }
  }
  return out;
}
