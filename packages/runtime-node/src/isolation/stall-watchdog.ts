import type { Worker } from 'node:worker_threads';
import { workerThreads } from './worker-threads.js';

/**
 * Isolation off, a handler that blocks the event loop also blocks /healthz, so Kubernetes' liveness
 * probe (timeout 1 s) fails and the pod is restarted. This watchdog makes that visible: the main thread
 * bumps a counter in a SharedArrayBuffer every 100 ms; a tiny worker thread checks it, and when it has
 * not moved for longer than `stallMs` writes ONE line to stderr (fs.writeSync, since the main thread's
 * streams are stuck) saying the event loop is blocked. It never kills the process.
 *
 * Opt-in (`--stall-watchdog`): the thread is a second V8 isolate, ~6 MiB of RSS in every pod. By default
 * only LoopStallReporter runs, which reports a block from the main thread once it is over.
 */
const WATCHER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const beats = new Int32Array(workerData.shared);
const stallMs = workerData.stallMs;
let last = Atomics.load(beats, 0);
let since = Date.now();
let reported = false;
setInterval(() => {
  const now = Date.now();
  const seen = Atomics.load(beats, 0);
  if (seen !== last) { last = seen; since = now; reported = false; return; }
  if (!reported && now - since > stallMs) {
    reported = true;
    fs.writeSync(2, JSON.stringify({ level: 50, time: now, function: workerData.functionName,
      msg: 'the event loop has been blocked for ' + (now - since) + ' ms (longer than the function timeout of ' + stallMs +
        ' ms): a handler is running synchronous code; /healthz cannot answer, so the liveness probe will fail and Kubernetes will restart the pod. Use FNKIT_ISOLATION=worker to stop such handlers at their deadline.' }) + '\\n');
  }
}, Math.max(50, Math.min(250, Math.floor(stallMs / 4))));
`;

export class StallWatchdog {
  readonly #worker: Worker;
  readonly #beats: Int32Array;
  readonly #interval: NodeJS.Timeout;

  constructor(stallMs: number, functionName: string) {
    const shared = new SharedArrayBuffer(4);
    this.#beats = new Int32Array(shared);
    // stdout/stderr: true leaves the thread's stdio unpiped (it writes with fs.writeSync), so the main
    // thread need not create process.stdout/stderr for it; SHARE_ENV spares copying the environment.
    const threads = workerThreads();
    this.#worker = new threads.Worker(WATCHER, { eval: true, workerData: { shared, stallMs, functionName }, env: threads.SHARE_ENV, stdout: true, stderr: true });
    this.#worker.unref();
    // The watchdog only reports; should its thread ever fail, the function keeps serving without it.
    this.#worker.on('error', () => undefined);
    this.#interval = setInterval(() => Atomics.add(this.#beats, 0, 1), 100);
    this.#interval.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#interval);
    await this.#worker.terminate();
  }
}
