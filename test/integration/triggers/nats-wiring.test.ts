import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startFnRun, writeFunctions } from '../helpers.js';
import { logLines, startCli, triggerCount, waitForStatus, waitUntil } from './cli-process.js';

/**
 * Readiness follows the trigger adapters, and start-up failures of an adapter, through the real
 * built fn-run and real NATS servers: one started here on a port of its own (so it can be absent
 * first), and the shared one on 127.0.0.1:4222 (test/infra/nats.sh) for dispatcher delivery.
 */

const fns = writeFunctions({
  'slow.mjs': `
    export default async (event, ctx) => {
      ctx.log.info({ n: event.data.n }, 'START');
      await new Promise((r) => setTimeout(r, 700));
      ctx.log.info({ n: event.data.n }, 'DONE');
    };`,
  'echo.mjs': `
    export default async (event) => ({ echo: event.data, via: event.trigger.kind });`,
  'seen.mjs': `
    export default async (event, ctx) => {
      ctx.log.info({ data: event.data, subject: event.trigger.kind === 'nats' ? event.trigger.subject : undefined }, 'SEEN');
      return 'ok';
    };`,
});
afterAll(() => fns.remove());

const unique = () => `fnkit.test.${randomBytes(4).toString('hex')}`;

describe('readiness with triggers', () => {
  it('is false while the NATS server is absent (liveness still true), and turns true once it is up', async () => {
    const natsPort = await freePort();
    const port = await freePort();
    const subject = unique();
    const fn = startCli([fns.path('seen.mjs'), '--port', String(port), '--host', '127.0.0.1', '--nats', subject, '--nats-url', `nats://127.0.0.1:${natsPort}`]);
    const store = mkdtempSync(join(tmpdir(), 'fnkit-nats-'));
    let server: ReturnType<typeof spawn> | undefined;
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitForStatus(`${base}/healthz`, 200, 'fn-run to listen', 60_000);
      const body = await waitForStatus(`${base}/readyz`, 503, 'readiness to fail without NATS');
      expect(JSON.parse(body)).toEqual({ status: 'waiting-for-triggers' });

      server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-sd', store], { stdio: 'ignore' });
      await waitForStatus(`${base}/readyz`, 200, 'readiness once NATS is up', 60_000);

      const nc = await connect({ servers: `nats://127.0.0.1:${natsPort}` });
      nc.publish(subject, JSON.stringify({ n: 1 }));
      await nc.flush();
      await nc.close();
      await waitUntil(() => logLines(fn.stdout()).some((l) => l.msg === 'SEEN'), 'the message handled');
      expect(await fn.stop()).toBe(0);
    } finally {
      await fn.stop('SIGKILL');
      server?.kill('SIGTERM');
      rmSync(store, { recursive: true, force: true });
    }
  });

  it('an adapter whose start() fails stops fn-run with one line and exit code 1', async () => {
    const port = await freePort();
    const p = startCli([fns.path('seen.mjs'), '--port', String(port), '--nats', unique(), '--nats-creds', '/nonexistent/fnkit.creds']);
    expect(await p.exited).toBe(1);
    const lines = p.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^fn-run: the nats:\S+ trigger could not start: .*\/nonexistent\/fnkit\.creds/);
  });
});

describe('fn-run trigger nats --target (dispatcher)', () => {
  it('delivers every message to the function over HTTP and counts them', async () => {
    const target = await startFnRun(fns.path('seen.mjs'));
    const subject = unique();
    const port = await freePort();
    const d = startCli(['trigger', 'nats', '--target', target.base, '--nats', subject, '--port', String(port), '--host', '127.0.0.1']);
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitForStatus(`${base}/readyz`, 200, 'the dispatcher to be ready', 60_000);
      const nc = await connect({ servers: 'nats://127.0.0.1:4222' }).catch((err: Error) => {
        throw new Error(`no NATS server at 127.0.0.1:4222 (${err.message}): run bash test/infra/nats.sh (npm test does)`);
      });
      const h = headers();
      h.set('content-type', 'application/json');
      for (let i = 0; i < 20; i++) nc.publish(subject, JSON.stringify({ i }), { headers: h });
      await nc.flush();
      await nc.close();
      const trigger = `nats:${subject}`;
      await waitUntil(async () => triggerCount(await (await fetch(`${base}/metrics`)).text(), trigger, 'succeeded') === 20, '20 deliveries counted');
      const seenNow = () => logLines(target.stdout()).filter((l) => l.msg === 'SEEN');
      await waitUntil(() => seenNow().length >= 20, 'the function to log 20 events (logs are buffered up to 100 ms)');
      const seen = seenNow();
      expect(seen.map((l) => (l.data as { i: number }).i).sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
      expect(await d.stop()).toBe(0);
    } finally {
      await d.stop('SIGKILL');
      await target.stop();
    }
  });
});

describe('NATS request-reply through the dispatcher', () => {
  it("answers a request with the function's HTTP reply body", async () => {
    const target = await startFnRun(fns.path('echo.mjs'));
    const subject = unique();
    const port = await freePort();
    const d = startCli(['trigger', 'nats', '--target', target.base, '--nats', subject, '--port', String(port), '--host', '127.0.0.1']);
    try {
      await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 'the dispatcher to be ready', 60_000);
      const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
      try {
        const h = headers();
        h.set('content-type', 'application/json');
        const reply = await nc.request(subject, JSON.stringify({ q: 42 }), { timeout: 20_000, headers: h });
        expect(JSON.parse(reply.string())).toEqual({ echo: { q: 42 }, via: 'http' });
      } finally {
        await nc.close();
      }
    } finally {
      await d.stop();
      await target.stop();
    }
  });
});

describe('SIGTERM with core NATS messages received but not yet started', () => {
  it('handles them before exiting (the invoker refuses new work only once the adapters have stopped)', async () => {
    const subject = unique();
    const port = await freePort();
    const fn = startCli([fns.path('slow.mjs'), '--port', String(port), '--host', '127.0.0.1', '--nats', subject, '--nats-max-in-flight', '1', '--shutdown-grace', '30s']);
    try {
      await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 'fn-run to be ready', 60_000);
      const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
      const h = headers();
      h.set('content-type', 'application/json');
      for (let n = 0; n < 4; n++) nc.publish(subject, JSON.stringify({ n }), { headers: h });
      await nc.flush();
      await nc.close();
      await waitUntil(() => logLines(fn.stdout()).some((l) => l.msg === 'START'), 'the first message to start');
      expect(await fn.stop('SIGTERM')).toBe(0);
      const done = logLines(fn.stdout()).filter((l) => l.msg === 'DONE').map((l) => l.n);
      expect(done.sort()).toEqual([0, 1, 2, 3]);
      expect(logLines(fn.stdout()).some((l) => l.msg === 'invocation' && l.outcome === 'rejected')).toBe(false);
    } finally {
      await fn.stop('SIGKILL');
    }
  });
});
