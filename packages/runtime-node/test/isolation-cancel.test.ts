import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplacedError, createEvent, type Outcome } from '@fnkit/sdk';
import { WorkerPool } from '../src/isolation/worker-pool.js';
import { recordingLogger } from './triggers/fakes.js';

// The pool runs the built worker (dist/isolation-worker.js): run `npm run build` first.

const source = `
export default async function (event, ctx) {
  const describe = (r) => ({ name: r?.name, message: r?.message, replacedBy: r?.replacedBy });
  if (event.data === 'at-start') return { abortedAtStart: ctx.signal.aborted, reason: describe(ctx.signal.reason) };
  if (event.data === 'quick') return { aborted: ctx.signal.aborted };
  await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
  return { reason: describe(ctx.signal.reason) };
}
`;

let dir: string;
let pool: WorkerPool;

beforeAll(async () => {
  const worker = new URL('../dist/isolation-worker.js', import.meta.url);
  if (!existsSync(worker)) throw new Error(`${worker.pathname} is missing: run \`npm run build\` before these tests`);
  dir = mkdtempSync(join(tmpdir(), 'fnkit-iso-cancel-'));
  const file = join(dir, 'fn.mjs');
  writeFileSync(file, source);
  pool = new WorkerPool(
    { file, exportName: undefined, functionName: 'iso', handlerName: 'default', runtime: 'nodejs20', memoryLimit: undefined, timeoutMs: 30_000, kubelessFunctionName: undefined, logLevel: 'silent' },
    1,
    recordingLogger(),
  );
  await pool.start();
});

afterAll(async () => {
  await pool?.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function event(data: string) {
  n++;
  return createEvent({ specversion: '1.0', id: `ev-${n}`, source: '/test', type: 'test', datacontenttype: 'text/plain', data }, { kind: 'cron', name: 'c', schedule: '* * * * *', scheduledTime: '2026-01-01T00:00:00.000Z' });
}

function body(outcome: Outcome): unknown {
  if (outcome.type !== 'result') throw new Error(`expected a result, got ${JSON.stringify(outcome)}`);
  return JSON.parse(String(outcome.response.body));
}

describe('isolation=worker: cancelling one invocation', () => {
  it("aborts the handler's context.signal inside the worker with the reason's name, message and replacedBy", async () => {
    const cancel = new AbortController();
    const ev = event('wait');
    const running = pool.run(ev, undefined, cancel.signal);
    // The handler waits for its signal: only the cancel message can end it (the timeout is 30 s).
    cancel.abort(new ReplacedError('replaced by the cron tick of 00:01 (concurrency policy Replace)', { replacedBy: 'ev-next' }));
    expect(body(await running)).toEqual({ reason: { name: 'ReplacedError', message: 'replaced by the cron tick of 00:01 (concurrency policy Replace)', replacedBy: 'ev-next' } });
  });

  it('an invocation cancelled while it waited for the worker starts with its signal aborted', async () => {
    const blocker = new AbortController();
    const busy = pool.run(event('wait'), undefined, blocker.signal);
    const cancel = new AbortController();
    const queued = pool.run(event('at-start'), undefined, cancel.signal);
    cancel.abort(new ReplacedError('replaced while queued'));
    blocker.abort(new Error('done'));
    expect(body(await busy)).toEqual({ reason: { name: 'Error', message: 'done' } });
    expect(body(await queued)).toEqual({ abortedAtStart: true, reason: { name: 'ReplacedError', message: 'replaced while queued' } });
  });

  it('a cancel after the invocation answered reaches nothing, not the next invocation in the same worker', async () => {
    const first = new AbortController();
    expect(body(await pool.run(event('quick'), undefined, first.signal))).toEqual({ aborted: false });
    first.abort(new ReplacedError());
    const second = new AbortController();
    expect(body(await pool.run(event('quick'), undefined, second.signal))).toEqual({ aborted: false });
  });
});
