import { defineFunction } from '@fnkit/sdk';

/**
 * The cron function: runs every minute and logs a reminder.
 *
 *   fn-run examples/todo/reminder.ts --cron '* * * * *'
 *   fn-run examples/todo/reminder.ts --cron '* * * * *' --cron-data '{"list":"home"}'
 */
export default defineFunction<{ list?: string } | undefined>(async (event, context) => {
  const scheduled = event.trigger.kind === 'cron' ? event.trigger.scheduledTime : event.time;
  const list = event.data?.list ?? 'default';
  context.log.info({ list, scheduled }, `REMINDER @ ${scheduled}: review the ${list} to-do list`);
  return { reminded: list, at: scheduled };
});
