import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startFnRun, writeFunctions, type FnRun } from '../helpers.js';
import { logLines, startCli, triggerCount, waitForStatus, waitUntil } from './cli-process.js';

/**
 * Dispatcher mode through the real built fn-run (`npm run build` first): `fn-run trigger cron`
 * delivers binary-mode CloudEvents to a real fn-run serving a function over HTTP.
 */

const EVERY_SECOND = '* * * * * *';

const fns = writeFunctions({
  'record.mjs': `
    export default async (event, ctx) => {
      ctx.log.info({ got: { id: event.id, type: event.type, source: event.source, time: event.time, datacontenttype: event.datacontenttype, data: event.data } }, 'GOT');
      return { received: event.id };
    };`,
  'slow.mjs': `
    export default async (event, ctx) => {
      ctx.log.info({ id: event.id }, 'START');
      await new Promise((r) => setTimeout(r, 2000));
      ctx.log.info({ id: event.id }, 'DONE');
      return 'ok';
    };`,
  'fails.mjs': `
    export default async () => { throw new Error('broken on purpose'); };`,
});
afterAll(() => fns.remove());

function received(run: FnRun): Record<string, unknown>[] {
  return logLines(run.stdout()).filter((l) => l.msg === 'GOT').map((l) => l.got as Record<string, unknown>);
}

describe('fn-run trigger cron --once', () => {
  let target: FnRun;
  let failing: FnRun;
  beforeAll(async () => {
    [target, failing] = await Promise.all([startFnRun(fns.path('record.mjs')), startFnRun(fns.path('fails.mjs'))]);
  });
  afterAll(async () => {
    await Promise.all([target?.stop(), failing?.stop()]);
  });

  it('delivers one binary-mode CloudEvent and exits 0', async () => {
    const p = startCli(['trigger', 'cron', '--once', '--target', target.base, '--cron', 'report=0 6 * * *', '--cron-data', '{"report":"daily"}']);
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toMatch(/delivered cron event .* \(status 200\)/);
    await waitUntil(() => received(target).length === 1, 'the event at the function');
    const got = received(target)[0]!;
    expect(got).toMatchObject({ type: 'dev.fnkit.cron.tick', source: '/fnkit/cron/report', datacontenttype: 'application/json', data: { report: 'daily' } });
    expect(p.stdout()).toContain(got.id as string);
  });

  it('exits non-zero with the reason when the function answers 500', async () => {
    const p = startCli(['trigger', 'cron', '--once', '--target', failing.base]);
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(/was not delivered to .*: the function answered status 500/);
  });

  it('exits non-zero with the reason when nothing listens at the target', async () => {
    const port = await freePort();
    const p = startCli(['trigger', 'cron', '--once', '--target', `http://127.0.0.1:${port}`]);
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(/could not reach http:\/\/127\.0\.0\.1:\d+\/.*ECONNREFUSED/);
  });

  it('exits 2 naming a bad setting', async () => {
    const noTarget = startCli(['trigger', 'cron', '--once']);
    expect(await noTarget.exited).toBe(2);
    expect(noTarget.stderr()).toMatch(/needs --target/);
    const badUrl = startCli(['trigger', 'cron', '--once', '--target', 'fn.default.svc']);
    expect(await badUrl.exited).toBe(2);
    expect(badUrl.stderr()).toMatch(/--target="fn.default.svc" is not a URL/);
    const noKind = startCli(['trigger', 'ftp', '--target', target.base]);
    expect(await noKind.exited).toBe(2);
    expect(noKind.stderr()).toMatch(/unknown trigger kind "ftp"/);
  });
});

describe('fn-run trigger cron --target (a long-running dispatcher)', () => {
  it('delivers every tick, counts them, serves probes and metrics, and stops cleanly on SIGTERM', async () => {
    const target = await startFnRun(fns.path('record.mjs'));
    const failing = await startFnRun(fns.path('fails.mjs'));
    const [port, port2] = [await freePort(), await freePort()];
    const ok = startCli(['trigger', 'cron', '--target', target.base, '--cron', EVERY_SECOND, '--port', String(port), '--host', '127.0.0.1']);
    const bad = startCli(['trigger', 'cron', '--target', failing.base, '--cron', EVERY_SECOND, '--port', String(port2), '--host', '127.0.0.1']);
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitForStatus(`${base}/readyz`, 200, 'the dispatcher to be ready');
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const trigger = `cron:${EVERY_SECOND}`;
      let text = '';
      await waitUntil(async () => triggerCount((text = await (await fetch(`${base}/metrics`)).text()), trigger, 'succeeded') >= 3, 'three delivered ticks');
      // The function's log lines are buffered (up to 100 ms): wait for them rather than assume.
      await waitUntil(() => received(target).length >= 3, 'three events logged by the function');
      expect(received(target).every((e) => e.type === 'dev.fnkit.cron.tick')).toBe(true);
      expect(triggerCount(text, trigger, 'dead_lettered')).toBe(0);

      const base2 = `http://127.0.0.1:${port2}`;
      await waitUntil(async () => triggerCount(await (await fetch(`${base2}/metrics`)).text(), trigger, 'dead_lettered') >= 2, 'failed ticks counted');
      await waitUntil(() => logLines(bad.stdout()).some((l) => typeof l.msg === 'string' && l.msg.includes('the function answered status 500')), 'the failure logged with its reason');

      expect(await ok.stop('SIGTERM')).toBe(0);
      expect(await bad.stop('SIGTERM')).toBe(0);
    } finally {
      await Promise.all([ok.stop('SIGKILL'), bad.stop('SIGKILL'), target.stop(), failing.stop()]);
    }
  });
});

describe('SIGTERM of a dispatcher with a delivery in flight', () => {
  it('waits for the reply, then exits 0', async () => {
    const target = await startFnRun(fns.path('slow.mjs'));
    const port = await freePort();
    const d = startCli(['trigger', 'cron', '--target', target.base, '--cron', EVERY_SECOND, '--cron-policy', 'Forbid', '--port', String(port), '--host', '127.0.0.1', '--shutdown-grace', '20s']);
    try {
      await waitUntil(() => logLines(target.stdout()).some((l) => l.msg === 'START'), 'a delivery to start at the function');
      const started = logLines(target.stdout()).filter((l) => l.msg === 'START').map((l) => l.id);
      expect(await d.stop('SIGTERM')).toBe(0);
      await waitUntil(() => {
        const done = new Set(logLines(target.stdout()).filter((l) => l.msg === 'DONE').map((l) => l.id));
        return started.every((id) => done.has(id));
      }, 'every started delivery to finish');
      // The dispatcher stopped only after the function had finished each of them.
      const stoppedAt = logLines(d.stdout()).find((l) => l.msg === 'stopped')?.time as number;
      const doneAt = logLines(target.stdout()).filter((l) => l.msg === 'DONE' && started.includes(l.id)).map((l) => l.time as number);
      expect(stoppedAt).toBeGreaterThanOrEqual(Math.max(...doneAt));
      // The dispatcher saw them succeed: no failure was logged.
      expect(logLines(d.stdout()).some((l) => typeof l.msg === 'string' && l.msg.startsWith('cron tick failed'))).toBe(false);
    } finally {
      await d.stop('SIGKILL');
      await target.stop();
    }
  });
});

describe('fn-run trigger cron --cron-policy Replace', () => {
  it('aborts the delivery still waiting for its reply when the next tick comes, and counts it as replaced', async () => {
    // A function that never answers: only the dispatcher can end a request, by closing it.
    const requests: { id: string; closed: boolean }[] = [];
    const server = createServer((req: IncomingMessage) => {
      const r = { id: String(req.headers['ce-id']), closed: false };
      requests.push(r);
      req.socket.once('close', () => (r.closed = true));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const port = await freePort();
    const d = startCli(['trigger', 'cron', '--target', target, '--cron', EVERY_SECOND, '--cron-policy', 'Replace', '--port', String(port), '--host', '127.0.0.1', '--shutdown-grace', '1s']);
    try {
      const base = `http://127.0.0.1:${port}`;
      const trigger = `cron:${EVERY_SECOND}`;
      await waitForStatus(`${base}/readyz`, 200, 'the dispatcher to be ready');
      await waitUntil(async () => triggerCount(await (await fetch(`${base}/metrics`)).text(), trigger, 'replaced') >= 2, 'two replaced deliveries', 40_000);
      await waitUntil(() => requests.length >= 3 && requests[0]!.closed && requests[1]!.closed, 'the replaced requests closed at the function');
      await waitUntil(() => logLines(d.stdout()).some((l) => l.msg === 'a replaced cron invocation finished'), 'the replaced delivery ending logged');
      const lines = logLines(d.stdout());
      const warn = lines.find((l) => typeof l.msg === 'string' && l.msg.includes('policy Replace') && l.eventId === requests[0]!.id);
      expect(warn).toMatchObject({ level: 40, replacedBy: requests[1]!.id });
      const finished = lines.find((l) => l.msg === 'a replaced cron invocation finished' && l.eventId === requests[0]!.id);
      expect(finished).toMatchObject({ success: false });
      expect(finished!.result).toMatch(/^499: .*was cancelled: replaced by the .* tick of cron:/);
      expect(await d.stop('SIGTERM')).toBe(0);
    } finally {
      await d.stop('SIGKILL');
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
