import { randomUUID } from 'node:crypto';
import { createEvent, type CronTrigger, type FnEvent } from '@fnkit/sdk';
import type { CronConfig } from './cron-settings.js';

/** The CloudEvent type of every cron tick. */
export const CRON_EVENT_TYPE = 'dev.fnkit.cron.tick';

export interface TickSource {
  name: string;
  /** The cron expression; empty for a one-off tick (`fn-run trigger cron --once`). */
  expression: string;
}

/**
 * The CloudEvent of one tick: `type` dev.fnkit.cron.tick, `source` /fnkit/cron/<name>, `time` the
 * time the tick was scheduled for, a fresh `id` per tick, and the configured data (copied, so a
 * handler that changes it does not change the next tick's).
 */
export function cronTickEvent(source: TickSource, config: Pick<CronConfig, 'timezone' | 'data'>, scheduled: Date): FnEvent {
  const trigger: CronTrigger = {
    kind: 'cron',
    name: source.name,
    schedule: source.expression,
    scheduledTime: scheduled.toISOString(),
  };
  if (config.timezone !== undefined) trigger.timezone = config.timezone;
  return createEvent(
    {
      specversion: '1.0',
      id: randomUUID(),
      source: `/fnkit/cron/${encodeURIComponent(source.name)}`,
      type: CRON_EVENT_TYPE,
      time: scheduled.toISOString(),
      datacontenttype: config.data?.contentType,
      data: config.data === undefined ? undefined : structuredClone(config.data.value),
    },
    trigger,
  );
}
