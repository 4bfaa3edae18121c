import type { Worker } from 'node:worker_threads';
import { workerThreads } from './worker-threads.js';
import { timeoutOutcome, type FnEvent, type Logger, type Outcome } from '@fnkit/sdk';
import type { CancelSource, HandlerRunner } from '../invoker/runner.js';
import type { CancelMessage, InvokeMessage, SerializedReason, WorkerMessage, WorkerSetup } from './protocol.js';

/** How long past its deadline a worker may stay silent before it is terminated. */
export const TERMINATE_GRACE_MS = 50;

interface Job {
  event: FnEvent;
  timeoutMs: number | undefined;
  /** Cancels this invocation: forwarded to the worker as a `cancel` message. */
  signal: AbortSignal | undefined;
  /** The listener on `signal` while the job runs in a worker. */
  onCancel?: () => void;
  resolve: (outcome: Outcome) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
  started: number;
  timeoutMs: number;
}

/**
 * The built worker next to the built runtime (dist/isolation-worker.js). Running from source (tests),
 * the package's dist build is used: worker threads do not get the TypeScript loader hooks.
 */
function workerEntry(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { url: new URL('../../dist/isolation-worker.js', here), execArgv: [] };
  return { url: new URL('./isolation-worker.js', here), execArgv: [] };
}

/**
 * Runs the handler in worker threads, one invocation per worker at a time, so a handler that blocks
 * its thread can be stopped: at deadline + 50 ms a silent worker is terminated, the invocation gets a
 * timeout outcome (408), and a replacement worker is started. Invocations beyond the pool size wait.
 */
export class WorkerPool implements HandlerRunner {
  readonly #setup: WorkerSetup;
  readonly #size: number;
  readonly #log: Logger;
  readonly #slots: Slot[] = [];
  readonly #idle: Slot[] = [];
  readonly #queue: Job[] = [];
  /** Every worker alive, ready or still starting (a replacement may be starting when the pool closes). */
  readonly #workers = new Set<Worker>();
  readonly #starting = new Set<Promise<Slot>>();
  #closed = false;

  constructor(setup: WorkerSetup, size: number, log: Logger) {
    this.#setup = setup;
    this.#size = size;
    this.#log = log;
  }

  /** Starts every worker; rejects when the function cannot be loaded or initialised in a worker. */
  async start(): Promise<void> {
    const started = [];
    for (let i = 0; i < this.#size; i++) started.push(this.#spawn());
    const slots = await Promise.allSettled(started);
    const failed = slots.find((s) => s.status === 'rejected');
    if (failed) {
      await this.close();
      throw (failed as PromiseRejectedResult).reason;
    }
  }

  run(event: FnEvent, timeoutMs: number | undefined, cancel?: CancelSource): Promise<Outcome> {
    // The handler's reads of context.signal happen in the worker: a lazy source is watched from the start here.
    const signal = cancel === undefined || cancel instanceof AbortSignal ? cancel : cancel.signal;
    return new Promise((resolve) => {
      const job: Job = { event, timeoutMs, signal, resolve };
      const slot = this.#idle.pop();
      if (slot) this.#dispatch(slot, job);
      else this.#queue.push(job);
    });
  }

  /** The shutdown grace period ran out: every running invocation's context.signal aborts. */
  abortAll(): void {
    for (const w of this.#workers) w.postMessage({ type: 'abort' });
  }

  /**
   * Stops the pool: each ready worker runs its module's `shutdown` (up to `graceMs`), then every
   * worker is terminated, including any replacement still starting.
   */
  async close(graceMs = 0): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (graceMs > 0) {
      // A replacement still starting has run (or is running) the module's init: let it become ready, then stop it too.
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.#starting]), new Promise((r) => (waited = setTimeout(r, graceMs)))]);
      clearTimeout(waited);
      await Promise.all(
        this.#slots.map(
          (slot) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, graceMs);
              slot.worker.on('message', (m: WorkerMessage) => {
                if (m.type === 'stopped') {
                  clearTimeout(timer);
                  resolve();
                }
              });
              slot.worker.once('exit', () => resolve());
              slot.worker.postMessage({ type: 'shutdown' });
            }),
        ),
      );
    }
    this.#slots.length = 0;
    this.#idle.length = 0;
    const workers = [...this.#workers];
    this.#workers.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  #spawn(): Promise<Slot> {
    const { url, execArgv } = workerEntry();
    const worker = new (workerThreads().Worker)(url, { workerData: this.#setup, execArgv, stdout: false, stderr: false });
    this.#workers.add(worker);
    worker.once('exit', () => this.#workers.delete(worker));
    const slot: Slot = { worker, job: undefined, timer: undefined, started: 0, timeoutMs: 0 };
    const starting = new Promise<Slot>((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          ready = true;
          this.#slots.push(slot);
          resolve(slot);
          // Ready while the pool is closing: close() shuts it down with the others.
          if (!this.#closed) this.#release(slot);
        } else if (message.type === 'load-failed') {
          reject(new Error(`the isolation worker could not load the function: ${message.message}`));
          void worker.terminate();
        } else if (message.type === 'outcome') {
          this.#answer(slot, reviveOutcome(message.outcome));
        }
      });
      worker.on('error', (error) => {
        // An error that escaped the handler's thread: the invocation fails, the worker is replaced.
        if (!ready) {
          reject(error);
          return;
        }
        this.#log.error({ err: error }, 'an isolation worker failed; starting a replacement');
        this.#replace(slot, (job) => failedOutcome(job.event, error, slot.started));
      });
      worker.on('exit', (code) => {
        if (!ready) reject(new Error(this.#closed ? 'the pool closed while the isolation worker was starting' : `the isolation worker exited with code ${code} before it was ready`));
        else if (this.#slots.includes(slot) && !this.#closed) {
          this.#log.error({ code }, 'an isolation worker exited; starting a replacement');
          this.#replace(slot, (job) => failedOutcome(job.event, new Error(`worker exited with code ${code}`), slot.started));
        }
      });
    });
    this.#starting.add(starting);
    const settled = () => this.#starting.delete(starting);
    starting.then(settled, settled);
    return starting;
  }

  #dispatch(slot: Slot, job: Job): void {
    slot.job = job;
    slot.started = performance.now();
    const timeoutMs = job.timeoutMs !== undefined ? Math.min(job.timeoutMs, this.#setup.timeoutMs) : this.#setup.timeoutMs;
    slot.timeoutMs = timeoutMs;
    slot.timer = setTimeout(() => this.#expire(slot), timeoutMs + TERMINATE_GRACE_MS);
    const { extensions: _ignored, ...members } = job.event as unknown as Record<string, unknown>;
    const message: InvokeMessage = { type: 'invoke', event: members, timeoutMs: job.timeoutMs };
    const signal = job.signal;
    if (signal) {
      message.cancellable = true;
      // Cancelled while it waited: say so in the invoke itself (a cancel message would land after the handler started).
      if (signal.aborted) message.cancelled = serializeReason(signal.reason);
      else {
        job.onCancel = () => {
          const cancel: CancelMessage = { type: 'cancel', eventId: job.event.id, reason: serializeReason(signal.reason) };
          if (slot.job === job) slot.worker.postMessage(cancel);
        };
        signal.addEventListener('abort', job.onCancel, { once: true });
      }
    }
    slot.worker.postMessage(message);
  }

  #answer(slot: Slot, outcome: Outcome): void {
    const job = slot.job;
    if (!job) return;
    clearTimeout(slot.timer);
    slot.job = undefined;
    if (job.onCancel) job.signal?.removeEventListener('abort', job.onCancel);
    job.resolve(outcome);
    this.#release(slot);
  }

  #release(slot: Slot): void {
    if (this.#closed) return;
    const next = this.#queue.shift();
    if (next) this.#dispatch(slot, next);
    else this.#idle.push(slot);
  }

  #expire(slot: Slot): void {
    const job = slot.job;
    if (!job) return;
    this.#log.warn({ eventId: job.event.id, timeoutMs: slot.timeoutMs }, 'the function did not answer by its deadline: terminating its isolation worker and starting a replacement');
    this.#replace(slot, (j) => timeoutOutcome(j.event, slot.timeoutMs, slot.started));
  }

  #replace(slot: Slot, outcomeFor: (job: Job) => Outcome): void {
    const index = this.#slots.indexOf(slot);
    if (index === -1) return;
    this.#slots.splice(index, 1);
    const idle = this.#idle.indexOf(slot);
    if (idle !== -1) this.#idle.splice(idle, 1);
    clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = undefined;
    void slot.worker.terminate();
    if (job?.onCancel) job.signal?.removeEventListener('abort', job.onCancel);
    if (job) job.resolve(outcomeFor(job));
    if (this.#closed) return;
    this.#spawn().catch((error: unknown) => {
      if (!this.#closed) this.#log.error({ err: error }, 'could not start a replacement isolation worker');
    });
  }
}

function failedOutcome(event: FnEvent, error: unknown, started: number): Outcome {
  return {
    type: 'error',
    status: 500,
    body: { error: 'Internal Server Error', status: 500, eventId: event.id },
    error,
    durationMs: performance.now() - started,
  };
}

function serializeReason(reason: unknown): SerializedReason {
  if (!(reason instanceof Error) && !(reason instanceof DOMException)) return { name: 'Error', message: String(reason) };
  const replacedBy = (reason as { replacedBy?: unknown }).replacedBy;
  return { name: reason.name, message: reason.message, ...(typeof replacedBy === 'string' ? { replacedBy } : {}) };
}

/** Bytes cross threads as Uint8Array: make them Buffers again. */
function reviveOutcome(outcome: Outcome): Outcome {
  if (outcome.type === 'result') {
    const body = outcome.response.body as unknown;
    if (body instanceof Uint8Array && !Buffer.isBuffer(body)) outcome.response.body = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
  return outcome;
}
