import { Cron } from 'croner';
import { ReplacedError, type FnEvent, type Outcome } from '@fnkit/sdk';
import { ConfigError } from '../../config/settings.js';
import { describeFailure, isSuccess, type TriggerAdapter, type TriggerEnvironment } from '../../contracts.js';
import { cronTickEvent } from './cron-event.js';
import type { CronConfig, CronSchedule } from './cron-settings.js';

interface Run {
  scheduled: string;
  eventId: string;
  /** Policy Replace only: cancels the invocation (its context.signal, or the dispatcher's HTTP request). */
  cancel: AbortController | undefined;
}

/**
 * One cron schedule: each tick becomes a CloudEvent handed to the invoker. The concurrency policy is a
 * Kubernetes CronJob's, applied to this schedule's own invocations:
 * - Allow: every tick runs, however many are still running.
 * - Forbid: a tick that finds the previous invocation still running is skipped (logged, counted as
 *   `skipped`); nothing is queued.
 * - Replace: the running invocation is cancelled (its `context.signal` aborts with a ReplacedError; in
 *   dispatcher mode its HTTP request is aborted), counted as `replaced`, and the new tick runs at once.
 *   JavaScript cannot be stopped from outside: a handler that ignores the signal runs on until it
 *   returns or reaches its deadline; its outcome is then logged but no longer counted.
 * A failed tick is not retried (the next tick is the retry); it is logged with the reason and counted
 * as `dead_lettered`.
 */
export class CronAdapter implements TriggerAdapter {
  readonly name: string;
  readonly #schedule: CronSchedule;
  readonly #config: CronConfig;
  readonly #env: TriggerEnvironment;
  readonly #job: Cron;
  /** Invocations the policy looks at (Replace cancels the replaced ones and drops them from here). */
  readonly #current = new Set<Run>();
  /** Every invocation not yet finished, replaced ones too: stop() waits for these. */
  readonly #all = new Set<Promise<void>>();
  #started = false;
  #stopping = false;

  constructor(schedule: CronSchedule, config: CronConfig, env: TriggerEnvironment) {
    this.name = `cron:${schedule.name}`;
    this.#schedule = schedule;
    this.#config = config;
    this.#env = env;
    try {
      this.#job = new Cron(schedule.expression, { paused: true, timezone: config.timezone, mode: '5-or-6-parts', name: undefined }, () => this.#tick());
    } catch (error) {
      throw new ConfigError(`${schedule.origin} ${JSON.stringify(schedule.expression)} is not a valid cron schedule: ${(error instanceof Error ? error.message : String(error)).replace(/\.$/, '')}; use 5 fields (minute hour day month weekday), 6 (with seconds first) or @yearly/@monthly/@weekly/@daily/@hourly`);
    }
    if (this.#job.nextRun() === null) {
      this.#job.stop();
      throw new ConfigError(`${schedule.origin} ${JSON.stringify(schedule.expression)} never fires (no matching date); check the day and month fields`);
    }
  }

  async start(): Promise<void> {
    if (this.#stopping) return;
    this.#started = true;
    this.#job.resume();
    this.#env.log.info({ trigger: this.name, schedule: this.#schedule.expression, timezone: this.#config.timezone ?? 'UTC', policy: this.#config.policy, next: this.#job.nextRun()?.toISOString() }, 'cron trigger started');
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#job.stop();
    await Promise.all([...this.#all]);
  }

  isReady(): boolean {
    return this.#started && !this.#stopping;
  }

  /** The next time this schedule fires (for logs and tests). */
  nextRun(): Date | null {
    return this.#job.nextRun();
  }

  #tick(): void {
    if (this.#stopping || this.#env.shutdownSignal.aborted) return;
    const scheduled = this.#scheduledTime();
    const { metrics, log } = this.#env;
    metrics.count(this.name, 'received');
    if (this.#current.size > 0 && this.#config.policy === 'Forbid') {
      const running = [...this.#current].map((r) => r.scheduled);
      metrics.count(this.name, 'skipped');
      log.warn({ trigger: this.name, scheduledTime: scheduled.toISOString(), running }, 'cron tick skipped: the previous invocation is still running (policy Forbid)');
      return;
    }
    const event = cronTickEvent({ name: this.#schedule.name, expression: this.#schedule.expression }, this.#config, scheduled);
    if (this.#config.policy === 'Replace' && this.#current.size > 0) this.#replace(event.id, scheduled);
    this.#run(event, scheduled);
  }

  /** Policy Replace: cancels every run still going, in favour of the tick of `eventId`. */
  #replace(eventId: string, scheduled: Date): void {
    const { metrics, log } = this.#env;
    const scheduledTime = scheduled.toISOString();
    for (const run of this.#current) {
      this.#current.delete(run);
      metrics.count(this.name, 'replaced');
      log.warn({ trigger: this.name, eventId: run.eventId, scheduledTime: run.scheduled, replacedBy: eventId }, `cron tick of ${scheduledTime} replaces the invocation of ${run.scheduled} still running (policy Replace): cancelling it`);
      run.cancel?.abort(new ReplacedError(`replaced by the ${scheduledTime} tick of ${this.name} (cron concurrency policy Replace)`, { replacedBy: eventId }));
    }
  }

  #run(event: FnEvent, scheduled: Date): void {
    const cancel = this.#config.policy === 'Replace' ? new AbortController() : undefined;
    const run: Run = { scheduled: scheduled.toISOString(), eventId: event.id, cancel };
    const done = this.#env.invoker.invoke(event, cancel ? { admission: 'wait', signal: cancel.signal } : { admission: 'wait' }).then(
      (outcome) => this.#settle(run, event.id, outcome),
      (error: unknown) => {
        // Invokers resolve by contract; a rejection is a bug somewhere: log it, keep ticking.
        this.#current.delete(run);
        this.#env.metrics.count(this.name, 'dead_lettered');
        this.#env.log.error({ trigger: this.name, eventId: event.id, err: error }, 'cron tick failed: the invoker threw');
      },
    );
    this.#current.add(run);
    this.#all.add(done);
    void done.finally(() => this.#all.delete(done));
  }

  #settle(run: Run, eventId: string, outcome: Outcome): void {
    const replaced = !this.#current.delete(run);
    const { metrics, log } = this.#env;
    if (replaced) {
      log.info({ trigger: this.name, eventId, scheduledTime: run.scheduled, success: isSuccess(outcome), result: isSuccess(outcome) ? undefined : describeFailure(outcome) }, 'a replaced cron invocation finished');
      return;
    }
    if (isSuccess(outcome)) {
      metrics.count(this.name, 'succeeded');
      return;
    }
    metrics.count(this.name, 'dead_lettered');
    log.warn({ trigger: this.name, eventId, scheduledTime: run.scheduled, reason: describeFailure(outcome) }, `cron tick failed: ${describeFailure(outcome)}`);
  }

  /** The time the tick was due: croner fires at or just after it (to the second); a late wake-up maps back to the last due time. */
  #scheduledTime(): Date {
    const now = Date.now();
    const second = new Date(now - (now % 1000));
    if (this.#job.match(second)) return second;
    return this.#job.previousRuns(1, new Date(second.getTime() + 1000))[0] ?? second;
  }
}
