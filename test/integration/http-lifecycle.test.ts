import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startFnRun, waitForMetric, writeFunctions } from './helpers.js';

/** Concurrency limit, and the SIGTERM drain: readiness off, in-flight requests finish, exit 0. */

const source = `
export default async function handler(event) {
  const ms = Number(new URLSearchParams(event.trigger.url.split('?')[1] ?? '').get('ms') ?? 0);
  await new Promise((r) => setTimeout(r, ms));
  return { slept: ms };
}
`;

let fns: ReturnType<typeof writeFunctions>;
beforeAll(() => {
  fns = writeFunctions({
    'sleepy.mjs': source,
    'bad-init.mjs': "export async function init() { throw new Error('cannot reach the database'); }\nexport default () => 'never';\n",
  });
});
afterAll(() => fns?.remove());

/** Sends the request line and headers but not the final blank line, so the request is under way; `finish` completes it. */
function partialRequest(port: number, path: string): Promise<{ finish(): Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
      resolve({
        finish: () =>
          new Promise<string>((done) => {
            let data = '';
            socket.on('data', (c: Buffer) => {
              data += c.toString();
              if (data.includes('\r\n\r\n')) {
                socket.destroy();
                done(data);
              }
            });
            socket.on('close', () => done(data));
            socket.write('\r\n');
          }),
      });
    });
    socket.on('error', reject);
  });
}

describe('concurrency limit', () => {
  it('answers 503 with Retry-After when every slot and the queue are taken', async () => {
    const fn = await startFnRun(fns.path('sleepy.mjs'), ['--concurrency', '1', '--queue', '1'], { FUNC_TIMEOUT: '5' });
    try {
      const running = fetch(`${fn.base}/?ms=1500`);
      await waitForMetric(fn.base, /^fnkit_invocations_in_flight 1$/m);
      const queued = fetch(`${fn.base}/?ms=0`);
      await sleep(100);
      const refused = await fetch(`${fn.base}/?ms=0`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ status: 503 });
      expect((await running).status).toBe(200);
      expect((await queued).status).toBe(200);
    } finally {
      await fn.stop();
    }
  });
});

describe('init', () => {
  it('exits 1 with one clear log line when the module init fails', async () => {
    await expect(startFnRun(fns.path('bad-init.mjs'))).rejects.toThrow(/exited with 1 before it was ready:[^]*init\(\) failed: cannot reach the database/);
  });
});

describe('SIGTERM', () => {
  it('fails readiness, lets in-flight requests finish with 200, then exits 0', async () => {
    const fn = await startFnRun(fns.path('sleepy.mjs'), [], { FUNC_TIMEOUT: '10', FNKIT_SHUTDOWN_GRACE: '8' });
    const inFlight = [1, 2, 3].map(() => fetch(`${fn.base}/?ms=1500`));
    await waitForMetric(fn.base, /^fnkit_invocations_in_flight 3$/m);
    const readiness = await partialRequest(fn.port, '/readyz');
    fn.child.kill('SIGTERM');
    await sleep(200);
    expect(await readiness.finish()).toMatch(/^HTTP\/1\.1 503 /);
    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    for (const r of responses) expect(await r.json()).toEqual({ slept: 1500 });
    expect(await fn.exited).toBe(0);
  });

  it('exits at once on a second signal', async () => {
    const fn = await startFnRun(fns.path('sleepy.mjs'), [], { FUNC_TIMEOUT: '30', FNKIT_SHUTDOWN_GRACE: '20' });
    const pending = fetch(`${fn.base}/?ms=20000`).catch(() => 'connection closed');
    await waitForMetric(fn.base, /^fnkit_invocations_in_flight 1$/m);
    fn.child.kill('SIGTERM');
    await sleep(200);
    fn.child.kill('SIGTERM');
    expect(await fn.exited).toBe(143);
    await pending;
  });
});
