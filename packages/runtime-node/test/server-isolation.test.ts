import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeConfig } from '../src/config/runtime-config.js';
import { startRuntime, type RunningRuntime } from '../src/server/runtime.js';

// isolation=worker runs the built worker (dist/isolation-worker.js): run `npm run build` first.

const source = `
import { isMainThread } from 'node:worker_threads';
import { appendFileSync } from 'node:fs';
export function shutdown() { appendFileSync(new URL('./stopped.txt', import.meta.url), 'stopped\\n'); }
export default async function (event) {
  switch (event.trigger.path) {
    case '/spin': while (true) {}
    case '/stream': return (async function* () { yield 'x'; yield Buffer.from('y'); })();
    case '/bytes': return event.data;
    case '/throw': throw new Error('secret in worker');
    default: return { inWorker: !isMainThread, id: event.id };
  }
}
`;

let dir: string;
let rt: RunningRuntime;

beforeAll(async () => {
  const worker = new URL('../dist/isolation-worker.js', import.meta.url);
  if (!existsSync(worker)) throw new Error(`${worker.pathname} is missing: run \`npm run build\` before these tests`);
  dir = mkdtempSync(join(tmpdir(), 'fnkit-iso-'));
  const file = join(dir, 'fn.mjs');
  writeFileSync(file, source);
  const config: RuntimeConfig = {
    file, exportName: undefined, functionName: 'iso', runtime: 'nodejs20', memoryLimit: undefined, port: 0, host: '127.0.0.1',
    timeoutMs: 500, bodyLimitBytes: 10_000, concurrency: 2, queueSize: 10, isolation: 'worker', stallWatchdog: false, shutdownGraceMs: 1000,
    logLevel: 'silent', logFormat: 'json', kubeless: false, kubelessFunctionName: undefined,
  };
  rt = await startRuntime(config, { handler: () => 'main thread: wrong', module: {}, file, exportName: 'default' });
  if (!rt.address) throw new Error('the isolated runtime did not start (see the fatal log line)');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('isolation=worker', () => {
  it('runs the handler in a worker thread', async () => {
    const r = await fetch(rt.address + '/');
    expect(r.status).toBe(200);
    expect(((await r.json()) as { inWorker: boolean }).inWorker).toBe(true);
  });

  it('stops a synchronous infinite loop at the deadline with 408 and keeps serving', async () => {
    const r = await fetch(rt.address + '/spin');
    expect(r.status).toBe(408);
    expect(((await r.json()) as { status: number }).status).toBe(408);
    for (let i = 0; i < 4; i++) {
      const next = await fetch(rt.address + '/');
      expect(next.status).toBe(200);
    }
    const m = await (await fetch(rt.address + '/metrics')).text();
    expect(m).toMatch(/^fnkit_timeouts_total 1$/m);
  });

  it('sends streams (read to the end in the worker), bytes, and private 500s', async () => {
    let r = await fetch(rt.address + '/stream');
    expect(await r.text()).toBe('xy');
    r = await fetch(rt.address + '/bytes', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([7, 8, 9]) });
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await r.arrayBuffer())]).toEqual([7, 8, 9]);
    r = await fetch(rt.address + '/throw');
    expect(r.status).toBe(500);
    expect(await r.text()).not.toContain('secret');
  });

  it("runs the module's shutdown in every worker when the runtime stops", async () => {
    expect(await rt.shutdown()).toBe(0);
    // Two workers (concurrency 2): each ran shutdown once; the main thread's module is the plain object this test passed in.
    expect(readFileSync(join(dir, 'stopped.txt'), 'utf8')).toBe('stopped\nstopped\n');
  });
});
