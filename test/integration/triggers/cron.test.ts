import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFnRun, writeFunctions, type FnRun } from '../helpers.js';
import { logLines, startCli, triggerCount, waitUntil } from './cli-process.js';

/**
 * The cron trigger in-process, through the real built fn-run (`npm run build` first): ticks call the
 * handler while HTTP is served, Forbid skips, Replace cancels, SIGTERM lets a tick in flight finish.
 */

const EVERY_SECOND = '* * * * * *';
const TRIGGER = `cron:${EVERY_SECOND}`;

const fns = writeFunctions({
  'ticks.mjs': `
    export default async (event, ctx) => {
      if (event.trigger.kind !== 'cron') return { served: 'http' };
      ctx.log.info({ tick: event.time, eventType: event.type, source: event.source, data: event.data, scheduled: event.trigger.scheduledTime }, 'TICK');
      return 'ok';
    };`,
  'slow.mjs': `
    export default async (event, ctx) => {
      if (event.trigger.kind !== 'cron') return 'http';
      ctx.log.info({ id: event.id }, 'START');
      await new Promise((r) => setTimeout(r, Number(process.env.SLOW_MS)));
      ctx.log.info({ id: event.id }, 'DONE');
      return 'ok';
    };`,
  'waits.mjs': `
    import { ReplacedError } from '@fnkit/sdk';
    export default async (event, ctx) => {
      if (event.trigger.kind !== 'cron') return 'http';
      ctx.log.info({ id: event.id }, 'START');
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      const r = ctx.signal.reason;
      ctx.log.info({ id: event.id, name: r?.name, message: r?.message, replacedBy: r?.replacedBy, isReplacedError: r instanceof ReplacedError }, 'CANCELLED');
      return 'stopped';
    };`,
});
afterAll(() => fns.remove());

async function metrics(run: FnRun): Promise<string> {
  return (await fetch(`${run.base}/metrics`)).text();
}

describe('fn-run --cron (in-process)', () => {
  let run: FnRun;
  beforeAll(async () => {
    run = await startFnRun(fns.path('ticks.mjs'), ['--cron', EVERY_SECOND, '--cron-data', '{"job":"sweep"}']);
  });
  afterAll(async () => {
    await run?.stop();
  });

  it('calls the handler every second with a cron CloudEvent, while HTTP is still served', async () => {
    await waitUntil(() => logLines(run.stdout()).filter((l) => l.msg === 'TICK').length >= 3, 'three ticks');
    const res = await fetch(`${run.base}/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ served: 'http' });
    const ticks = logLines(run.stdout()).filter((l) => l.msg === 'TICK');
    expect(ticks[0]).toMatchObject({ eventType: 'dev.fnkit.cron.tick', source: `/fnkit/cron/${encodeURIComponent(EVERY_SECOND)}`, data: { job: 'sweep' } });
    expect(ticks[0]!.tick).toBe(ticks[0]!.scheduled);
    const times = ticks.map((t) => Date.parse(t.tick as string));
    expect(new Set(times).size).toBe(times.length);
    await waitUntil(async () => triggerCount(await metrics(run), TRIGGER, 'succeeded') >= 3, 'succeeded ticks in /metrics');
    expect(triggerCount(await metrics(run), TRIGGER, 'received')).toBeGreaterThanOrEqual(3);
  });

  it('is ready (readiness includes the running cron adapter)', async () => {
    const res = await fetch(`${run.base}/readyz`);
    expect(res.status).toBe(200);
  });
});

describe('fn-run --cron-policy Forbid', () => {
  it('skips ticks while the previous invocation runs, and counts them', async () => {
    const run = await startFnRun(fns.path('slow.mjs'), ['--cron', EVERY_SECOND, '--cron-policy', 'Forbid'], { SLOW_MS: '3500' });
    try {
      await waitUntil(async () => triggerCount(await metrics(run), TRIGGER, 'skipped') >= 2, 'two skipped ticks', 40_000);
      const skippedLine = (l: Record<string, unknown>) => typeof l.msg === 'string' && l.msg.includes('skipped') && l.msg.includes('Forbid');
      await waitUntil(() => logLines(run.stdout()).some(skippedLine), 'the skip logged');
      const lines = logLines(run.stdout());
      // Never two at once: every START after the first comes after the previous DONE.
      const seq = lines.filter((l) => l.msg === 'START' || l.msg === 'DONE').map((l) => l.msg);
      for (let i = 1; i < seq.length; i++) expect(seq[i]).not.toBe(seq[i - 1]);
    } finally {
      await run.stop();
    }
  });
});

describe('fn-run --cron-policy Replace', () => {
  // Each tick waits for its context.signal; only a Replace (or the end of the test) ends it.
  const waits = fns.path('waits.mjs');
  for (const isolation of ['none', 'worker']) {
    it(`cancels the running invocation with a ReplacedError (isolation ${isolation}) and counts it`, async () => {
      const run = await startFnRun(waits, ['--cron', EVERY_SECOND, '--cron-policy', 'Replace', '--isolation', isolation, '--shutdown-grace', '1s']);
      try {
        await waitUntil(() => logLines(run.stdout()).some((l) => l.msg === 'CANCELLED'), 'a tick cancelled by the next one', 40_000);
        const lines = logLines(run.stdout());
        const cancelled = lines.find((l) => l.msg === 'CANCELLED')!;
        expect(cancelled).toMatchObject({ name: 'ReplacedError', isReplacedError: true });
        expect(cancelled.message).toMatch(/cron concurrency policy Replace/);
        // The reason names the tick that replaced it, and that tick ran.
        const started = lines.filter((l) => l.msg === 'START').map((l) => l.id);
        expect(started).toContain(cancelled.replacedBy);
        expect(started.indexOf(cancelled.replacedBy)).toBeGreaterThan(started.indexOf(cancelled.id));
        const warn = lines.find((l) => typeof l.msg === 'string' && l.msg.includes('policy Replace') && l.eventId === cancelled.id);
        expect(warn).toMatchObject({ level: 40, replacedBy: cancelled.replacedBy });
        await waitUntil(async () => triggerCount(await metrics(run), TRIGGER, 'replaced') >= 1, 'replaced counted');
        expect(triggerCount(await metrics(run), TRIGGER, 'succeeded')).toBe(0);
      } finally {
        await run.stop();
      }
    });
  }
});

describe('SIGTERM with a cron invocation in flight', () => {
  it('lets it finish, then exits 0', async () => {
    const run = await startFnRun(fns.path('slow.mjs'), ['--cron', EVERY_SECOND, '--cron-policy', 'Forbid', '--shutdown-grace', '20s'], { SLOW_MS: '2000' });
    await waitUntil(() => logLines(run.stdout()).some((l) => l.msg === 'START'), 'a tick to start');
    const started = logLines(run.stdout()).filter((l) => l.msg === 'START').map((l) => l.id);
    const code = await run.stop('SIGTERM');
    expect(code).toBe(0);
    const lines = logLines(run.stdout());
    const done = new Set(lines.filter((l) => l.msg === 'DONE').map((l) => l.id));
    for (const id of started) expect(done.has(id)).toBe(true);
    const invocations = lines.filter((l) => l.msg === 'invocation' && l.trigger === 'cron');
    expect(invocations.length).toBeGreaterThanOrEqual(started.length);
    expect(invocations.every((l) => l.outcome === 'success')).toBe(true);
  });
});

describe('bad cron settings', () => {
  it('exits 2 with one line naming the expression, before listening', async () => {
    const p = startCli([fns.path('ticks.mjs'), '--port', '0', '--cron', '*/61 * * * *']);
    expect(await p.exited).toBe(2);
    expect(p.stderr().trim().split('\n')).toHaveLength(1);
    expect(p.stderr()).toMatch(/--cron "\*\/61 \* \* \* \*" is not a valid cron schedule/);
    expect(p.stdout()).not.toMatch(/serving/);
  });
});
