import type { TriggerAdapter, TriggerEnvironment } from '../../contracts.js';
import { CronAdapter } from './cron-adapter.js';
import type { CronConfig } from './cron-settings.js';

export { CronAdapter } from './cron-adapter.js';

/** One adapter per schedule. Throws ConfigError naming a schedule croner cannot read. */
export function createCronAdapters(config: CronConfig, env: TriggerEnvironment): TriggerAdapter[] {
  return config.schedules.map((schedule) => new CronAdapter(schedule, config, env));
}
