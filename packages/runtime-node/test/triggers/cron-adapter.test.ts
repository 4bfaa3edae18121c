import { afterEach, describe, expect, it } from 'vitest';
import { ReplacedError, type FnContext } from '@fnkit/sdk';
import { ConfigError } from '../../src/config/settings.js';
import { FunctionInvoker } from '../../src/invoker/invoker.js';
import { InProcessRunner } from '../../src/invoker/runner.js';
import { RuntimeMetrics } from '../../src/observability/metrics.js';
import type { TriggerAdapter } from '../../src/contracts.js';
import { CRON_EVENT_TYPE } from '../../src/triggers/cron/cron-event.js';
import { createCronAdapters } from '../../src/triggers/cron/index.js';
import type { CronConfig } from '../../src/triggers/cron/cron-settings.js';
import { FakeInvoker, countOf, okOutcome, recordingLogger, triggerEnv, waitFor } from './fakes.js';

const EVERY_SECOND = '* * * * * *';

function config(over: Partial<CronConfig> = {}): CronConfig {
  return { schedules: [{ name: EVERY_SECOND, expression: EVERY_SECOND, origin: '--cron' }], policy: 'Allow', ...over };
}

const started: TriggerAdapter[] = [];
afterEach(async () => {
  for (const c of started.splice(0)) await Promise.race([c.stop(), new Promise((r) => setTimeout(r, 100))]);
});

async function start(invoker: FakeInvoker, over: Partial<CronConfig> = {}) {
  const t = triggerEnv(invoker);
  const [adapter] = createCronAdapters(config(over), t.env);
  started.push(adapter!);
  expect(adapter!.isReady()).toBe(false);
  await adapter!.start();
  expect(adapter!.isReady()).toBe(true);
  return { adapter: adapter!, ...t };
}

describe('cron adapter', () => {
  it('turns each tick into a CloudEvent with the scheduled time, the data and CronTrigger details', async () => {
    const invoker = new FakeInvoker(() => okOutcome());
    const { adapter, registry } = await start(invoker, { data: { value: { job: 'x' }, contentType: 'application/json' }, timezone: 'Europe/Berlin' });
    await waitFor(() => invoker.calls.length >= 2, 'two ticks');
    const [a, b] = invoker.calls;
    expect(a!.request).toEqual({ admission: 'wait' });
    const e = a!.event;
    expect(e.type).toBe(CRON_EVENT_TYPE);
    expect(e.specversion).toBe('1.0');
    expect(e.source).toBe(`/fnkit/cron/${encodeURIComponent(EVERY_SECOND)}`);
    expect(e.datacontenttype).toBe('application/json');
    expect(e.data).toEqual({ job: 'x' });
    expect(e.trigger).toEqual({ kind: 'cron', name: EVERY_SECOND, schedule: EVERY_SECOND, timezone: 'Europe/Berlin', scheduledTime: e.time });
    expect(new Date(e.time!).getMilliseconds()).toBe(0);
    expect(b!.event.id).not.toBe(e.id);
    expect(Date.parse(b!.event.time!)).toBeGreaterThan(Date.parse(e.time!));
    // Each tick gets its own copy of the data.
    expect(b!.event.data).not.toBe(e.data);
    await waitFor(async () => (await countOf(registry, adapter.name, 'succeeded')) >= 2, 'succeeded counted');
    expect(await countOf(registry, adapter.name, 'received')).toBeGreaterThanOrEqual(2);
  });

  it('Allow: a tick runs while the previous one still runs', async () => {
    const invoker = new FakeInvoker();
    await start(invoker, { policy: 'Allow' });
    await waitFor(() => invoker.calls.length >= 2, 'two overlapping invocations');
    expect(invoker.calls.every((c) => !c.settled)).toBe(true);
    invoker.calls.forEach((c) => c.release());
  });

  it('Forbid: skips (and counts) ticks while the previous one runs, never queues them', async () => {
    const invoker = new FakeInvoker();
    const { adapter, registry, log } = await start(invoker, { policy: 'Forbid' });
    await waitFor(() => invoker.calls.length === 1, 'the first invocation');
    await waitFor(async () => (await countOf(registry, adapter.name, 'skipped')) >= 2, 'two skipped ticks');
    expect(invoker.calls.length).toBe(1);
    expect(log.records.some((r) => r.level === 'warn' && /skipped.*Forbid/.test(r.msg ?? ''))).toBe(true);
    invoker.calls[0]!.release();
    // Once it is done, the next tick runs again (the skipped ones are not replayed).
    await waitFor(() => invoker.calls.length === 2, 'the next tick after the first finished');
    invoker.calls[1]!.release();
  });

  it('Replace: cancels the running invocation through its request signal, counts it as replaced, runs the new tick', async () => {
    const invoker = new FakeInvoker();
    const { adapter, registry, log } = await start(invoker, { policy: 'Replace' });
    await waitFor(() => invoker.calls.length >= 2, 'a second invocation replacing the first');
    const [first, second] = invoker.calls;
    expect(first!.request?.admission).toBe('wait');
    expect(first!.request?.signal?.aborted).toBe(true);
    const reason = first!.request!.signal!.reason as ReplacedError;
    expect(reason).toBeInstanceOf(ReplacedError);
    expect(reason.replacedBy).toBe(second!.event.id);
    expect(reason.message).toMatch(/policy Replace/);
    expect(second!.settled).toBe(false);
    expect(await countOf(registry, adapter.name, 'replaced')).toBeGreaterThanOrEqual(1);
    const warn = log.records.find((r) => r.level === 'warn' && /policy Replace/.test(r.msg ?? ''));
    expect(warn?.obj).toMatchObject({ eventId: first!.event.id, replacedBy: second!.event.id });
    first!.release(okOutcome(500));
    await new Promise((r) => setTimeout(r, 50));
    // The replaced one failed, but it is no longer this trigger's: not counted as a failure.
    expect(await countOf(registry, adapter.name, 'dead_lettered')).toBe(0);
    invoker.calls.slice(1).forEach((c) => c.release());
  });

  it("Replace through the real invoker: the old run's context.signal aborts with a ReplacedError, the new one runs", async () => {
    const shutdown = new AbortController();
    const runs: { id: string; ctx: FnContext; reason?: unknown }[] = [];
    // Each run ends only when its context.signal aborts (replaced, or the test's shutdown at the end).
    const handler = (event: { id: string }, ctx: FnContext) =>
      new Promise<string>((resolve) => {
        const run: (typeof runs)[number] = { id: event.id, ctx };
        runs.push(run);
        ctx.signal.addEventListener('abort', () => {
          run.reason = ctx.signal.reason;
          resolve('cancelled');
        });
      });
    const log = recordingLogger();
    const runner = new InProcessRunner(handler, { functionName: 'fn', handlerName: 'handler', runtime: 'nodejs20', memoryLimit: undefined, timeoutMs: 60_000, log, shutdownSignal: shutdown.signal });
    const invoker = new FunctionInvoker({ concurrency: 0, queueSize: 0, runner, metrics: new RuntimeMetrics('handler', { defaultMetrics: false }), log });
    const t = triggerEnv(invoker);
    const [adapter] = createCronAdapters(config({ policy: 'Replace' }), t.env);
    started.push(adapter!);
    await adapter!.start();
    await waitFor(() => runs.length >= 2 && runs[0]!.reason !== undefined, 'the first run replaced by the second');
    const [first, second] = runs;
    expect(first!.reason).toBeInstanceOf(ReplacedError);
    expect((first!.reason as ReplacedError).replacedBy).toBe(second!.id);
    expect(await countOf(t.registry, adapter!.name, 'replaced')).toBeGreaterThanOrEqual(1);
    // The replaced run answered (it honoured its signal), yet it is counted as replaced, not succeeded.
    await waitFor(() => t.log.records.some((r) => r.msg === 'a replaced cron invocation finished'), 'the replaced run to finish');
    expect(await countOf(t.registry, adapter!.name, 'succeeded')).toBe(0);
    const stopping = adapter!.stop();
    shutdown.abort();
    await stopping;
  });

  it('counts a failed tick as dead_lettered with the reason logged, and keeps ticking', async () => {
    const invoker = new FakeInvoker(() => okOutcome(503));
    const { adapter, registry, log } = await start(invoker);
    await waitFor(async () => (await countOf(registry, adapter.name, 'dead_lettered')) >= 2, 'two failed ticks');
    expect(log.records.some((r) => r.level === 'warn' && /status 503/.test(r.msg ?? ''))).toBe(true);
  });

  it('stop() waits for the invocation in flight and fires no more ticks', async () => {
    const invoker = new FakeInvoker();
    const { adapter } = await start(invoker);
    await waitFor(() => invoker.calls.length >= 1, 'an invocation');
    let stopped = false;
    const stopping = adapter.stop().then(() => (stopped = true));
    expect(adapter.isReady()).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    invoker.calls.forEach((c) => c.release());
    await stopping;
    const n = invoker.calls.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(invoker.calls.length).toBe(n);
  });

  it('rejects a bad expression with a ConfigError naming it', () => {
    const { env } = triggerEnv(new FakeInvoker());
    const bad = (expression: string) => () => createCronAdapters(config({ schedules: [{ name: expression, expression, origin: 'FNKIT_CRON' }] }), env);
    expect(bad('61 * * * *')).toThrow(ConfigError);
    expect(bad('61 * * * *')).toThrow(/FNKIT_CRON "61 \* \* \* \*" is not a valid cron schedule/);
    expect(bad('* * * *')).toThrow(/not a valid cron schedule/);
    expect(bad('0 0 31 2 *')).toThrow(/never fires/);
    expect(() => createCronAdapters(config({ schedules: [{ name: 'h', expression: '@hourly', origin: '--cron' }] }), env)[0]!.stop()).not.toThrow();
  });
});
