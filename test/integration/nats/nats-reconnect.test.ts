import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startFnRun, writeFunctions } from '../helpers.js';
import { lines, unique, waitFor } from './nats-helpers.js';

/**
 * Connection loss: a nats-server of the test's own (not the shared one) is killed and restarted on
 * the same port and store under a running fn-run. Readiness goes false while it is gone and true again
 * after the reconnect; messages from before and after are all handled.
 */

function natsServerBinary(): string {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (existsSync(p)) return p;
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return which.stdout.trim();
  throw new Error('nats-server is not installed: run bash test/infra/nats.sh (npm test does)');
}

const HANDLER = `
import { appendFileSync } from 'node:fs';
export default async (event) => { appendFileSync(process.env.OUT, event.id + '\\n'); };
`;

const fns = writeFunctions({ 'append.mjs': HANDLER });
const store = mkdtempSync(join(tmpdir(), 'fnkit-nats-store-'));
let server: ChildProcess | undefined;

async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(natsServerBinary(), ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
  await waitFor(`nats-server on port ${port}`, async () => {
    try {
      const nc = await connect({ servers: `127.0.0.1:${port}`, timeout: 500, reconnect: false });
      await nc.close();
      return true;
    } catch {
      return false;
    }
  }, 30_000, 100);
  return child;
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await gone;
}

async function ready(base: string): Promise<number> {
  return (await fetch(`${base}/readyz`)).status;
}

afterAll(async () => {
  if (server) await stopServer(server);
  rmSync(store, { recursive: true, force: true });
  fns.remove();
});

describe('NATS trigger: server restart', () => {
  it('reconnects with backoff; readiness is false while the server is gone; nothing is lost', async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    server = await startServer(port);
    const u = unique();
    const stream = `FNKIT_RC_${u}`;
    const subject = `fnkit.rc.${u}`;
    const out = join(fns.dir, 'seen.txt');
    let nc: NatsConnection = await connect({ servers: url });
    await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [subject] });
    const publish = async (from: number, to: number) => {
      const js = jetstream(nc);
      for (let i = from; i < to; i++) await js.publish(subject, `r-${i}`, { msgID: `r-${i}` });
    };
    await publish(0, 50);
    await nc.close();

    const run = await startFnRun(fns.path('append.mjs'), ['--nats', subject, '--nats-url', url, '--nats-stream', stream, '--nats-durable', 'fn', '--nats-ack-wait', '3s'], { OUT: out });
    try {
      await waitFor('the first 50 handled', () => new Set(lines(out)).size >= 50);

      await stopServer(server);
      await waitFor('readiness to turn false', async () => (await ready(run.base)) === 503, 30_000, 100);

      server = await startServer(port);
      await waitFor('readiness to turn true again', async () => (await ready(run.base)) === 200, 60_000, 100);
      nc = await connect({ servers: url });
      await publish(50, 100);
      await nc.close();
      await waitFor('all 100 handled', () => new Set(lines(out)).size >= 100, 60_000);
      const handled = new Set(lines(out));
      expect(Array.from({ length: 100 }, (_, i) => `r-${i}`).filter((id) => !handled.has(id))).toEqual([]);
      // fn-run buffers log lines for up to 100 ms: wait for them rather than read stdout at once.
      await waitFor('the reconnect log lines', () => /NATS: disconnected; reconnecting/.test(run.stdout()) && /NATS: reconnected/.test(run.stdout()), 10_000, 50);
    } finally {
      const code = await run.stop();
      if (code !== 0) console.log(run.stdout().slice(-6000), run.stderr());
      expect(code).toBe(0);
    }
  });
});
