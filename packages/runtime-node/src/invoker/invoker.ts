import { cancellationText, cancelledOutcome, type FnEvent, type Logger, type Outcome } from '@fnkit/sdk';
import type { InvokeRequest, Invoker } from '../contracts.js';
import { invocationLineWriter, type InvocationLineWriter } from '../observability/invocation-line.js';
import type { RuntimeMetrics } from '../observability/metrics.js';
import type { HandlerRunner } from './runner.js';

export interface InvokerOptions {
  /** Max invocations running at once; 0 = unlimited. */
  concurrency: number;
  /** Invocations (admission `queue`) waiting for a slot before new ones are rejected. */
  queueSize: number;
  runner: HandlerRunner;
  metrics: RuntimeMetrics;
  log: Logger;
}


interface Waiter {
  admission: 'queue' | 'wait';
  start: () => void;
}

/**
 * The one invoker every trigger shares: a concurrency gate with a bounded queue, then the runner
 * (which calls `runInvocation`), then metrics and ONE log line per invocation.
 *
 * Gate: with `concurrency` > 0 at most that many invocations run; HTTP requests (admission `queue`)
 * wait in a FIFO of at most `queueSize` and beyond that get a `rejected` outcome (503, Retry-After 1);
 * triggers (admission `wait`) wait however long it takes. Once shutdown starts, new invocations are
 * rejected (`shutting-down`); those already admitted or queued still run.
 *
 * Cancellation (the request's `signal`, or its lazy `cancellation`: an HTTP client that went away): a
 * queued invocation that is cancelled leaves the queue at once and never runs; one that ran settles as
 * `cancelled` (status 499, logged at warn with the reason, counted `outcome="cancelled"`) when the
 * handler threw the cancellation's reason, or, for a lazy cancellation, whatever it returned.
 */
export class FunctionInvoker implements Invoker {
  readonly #concurrency: number;
  readonly #queueSize: number;
  readonly #runner: HandlerRunner;
  readonly #metrics: RuntimeMetrics;
  readonly #log: Logger;
  /** The hand-written "invocation" info line when the logger allows it (JSON format), else undefined. */
  readonly #infoLine: InvocationLineWriter | undefined;
  #running = 0;
  #queuedForHttp = 0;
  readonly #waiters: Waiter[] = [];
  #shuttingDown = false;
  #idle: (() => void)[] = [];

  constructor(options: InvokerOptions) {
    this.#concurrency = options.concurrency;
    this.#queueSize = options.queueSize;
    this.#runner = options.runner;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#infoLine = invocationLineWriter(options.log);
  }

  /** Invocations running or waiting for a slot. */
  get pending(): number {
    return this.#running + this.#waiters.length;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  invoke(event: FnEvent, request?: InvokeRequest): Promise<Outcome> {
    const outcome = this.invokeNow(event, request);
    return outcome instanceof Promise ? outcome : Promise.resolve(outcome);
  }

  /**
   * As invoke, but the Outcome itself when it is known within this call: a rejection, or a handler that
   * returned a plain value and had a free slot (it ran, was counted and logged before this returns).
   * Otherwise a promise of it. For callers that can answer in the same tick (the HTTP server).
   */
  invokeNow(event: FnEvent, request?: InvokeRequest): Outcome | Promise<Outcome> {
    if (this.#shuttingDown) return this.#reject(event, 'shutting-down');
    if (this.#concurrency === 0 || this.#running < this.#concurrency) return this.#run(event, request, true);
    const admission = request?.admission ?? 'queue';
    if (admission === 'queue' && this.#queuedForHttp >= this.#queueSize) {
      // A caller already gone (an HTTP client that closed its connection) gets its cancellation, not a 503 it will never read.
      const gone = request?.signal?.aborted === true ? (request.signal.reason as unknown) : request?.cancellation?.reason;
      if (gone !== undefined) return this.#cancelledWaiting(event, gone, performance.now());
      return this.#reject(event, 'overloaded');
    }
    // Waiting is watched: a cancelled waiter leaves the queue at once (a lazy cancellation starts listening now).
    const cancel = request?.signal ?? request?.cancellation?.signal;
    if (cancel?.aborted) return this.#cancelledWaiting(event, cancel.reason, performance.now());
    const queued = performance.now();
    return new Promise<Outcome>((resolve) => {
      if (admission === 'queue') this.#queuedForHttp++;
      const onCancel = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i === -1) return;
        this.#waiters.splice(i, 1);
        if (admission === 'queue') this.#queuedForHttp--;
        resolve(this.#cancelledWaiting(event, cancel!.reason, queued));
        this.#idleCheck();
      };
      const waiter: Waiter = {
        admission,
        start: () => {
          if (admission === 'queue') this.#queuedForHttp--;
          cancel?.removeEventListener('abort', onCancel);
          // Always through a promise: a queued invocation settling inline would start the next one inside it.
          resolve(this.#run(event, request, false));
        },
      };
      this.#waiters.push(waiter);
      cancel?.addEventListener('abort', onCancel, { once: true });
    });
  }

  /**
   * An invocation its caller cancelled before it was started (the client of an HTTP batch left before
   * this event's turn): it never runs, and is counted and logged as cancelled like a waiter that left the queue.
   */
  cancelUnstarted(event: FnEvent, reason: unknown): Outcome {
    return this.#cancelledWaiting(event, reason, performance.now());
  }

  /** Refuses new invocations from now on (readiness has already turned false). */
  beginShutdown(): void {
    this.#shuttingDown = true;
  }

  /** Resolves once nothing runs or waits (at once when idle). */
  whenIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  // Not an async function: one `then` on the runner's promise instead of an async frame and its await,
  // and none at all (`inline`) when the runner has the outcome at once.
  #run(event: FnEvent, request: InvokeRequest | undefined, inline: boolean): Outcome | Promise<Outcome> {
    this.#running++;
    this.#metrics.inFlight++;
    let pending: Outcome | Promise<Outcome>;
    try {
      const runner = this.#runner;
      const timeoutMs = request?.timeoutMs;
      const signal = request === undefined ? undefined : request.signal ?? request.cancellation;
      pending = runner.runNow !== undefined ? runner.runNow(event, timeoutMs, signal) : runner.run(event, timeoutMs, signal);
    } catch (error) {
      pending = Promise.reject(error);
    }
    if (!(pending instanceof Promise)) {
      // Same tick as the request: a lazy cancellation (the HTTP client's connection) cannot have changed
      // since the invocation started, so it is not looked at.
      if (inline) return this.#settle(event, pending);
      pending = Promise.resolve(pending);
    }
    return pending.then(
      (outcome) => this.#settle(event, counted(event, outcome, request)),
      (error: unknown) => {
        // Runners never throw by contract; if one does, it is our bug: report a 500, never crash.
        this.#log.error({ eventId: event.id, err: error }, 'the runner failed');
        return this.#settle(event, { type: 'error', status: 500, body: { error: 'Internal Server Error', status: 500, eventId: event.id }, error, durationMs: 0 });
      },
    );
  }

  #settle(event: FnEvent, outcome: Outcome): Outcome {
    this.#running--;
    this.#metrics.inFlight--;
    this.#next();
    this.#finish(event, outcome);
    return outcome;
  }

  /** A waiter cancelled before its turn: it never ran. */
  #cancelledWaiting(event: FnEvent, reason: unknown, since: number): Outcome {
    const outcome = cancelledOutcome(event, reason, performance.now() - since);
    this.#finish(event, outcome);
    return outcome;
  }

  #next(): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.start();
      return;
    }
    this.#idleCheck();
  }

  #idleCheck(): void {
    if (this.pending === 0 && this.#idle.length > 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }

  #finish(event: FnEvent, outcome: Outcome): void {
    const trigger = event.trigger.kind;
    const method = trigger === 'http' ? event.trigger.method : trigger;
    const label = this.#metrics.record(trigger, method, outcome);
    const status = outcome.type === 'result' ? outcome.response.status : outcome.status;
    const durationMs = Math.round(outcome.durationMs * 1000) / 1000;
    if (outcome.type === 'error') {
      if (label === 'cancelled') {
        // Expected (a newer cron tick took over, the HTTP client went away): the reason, not a failure.
        this.#log.warn({ eventId: event.id, trigger, status, outcome: label, durationMs, reason: cancellationText(outcome.error) }, 'invocation cancelled');
        return;
      }
      const line = { eventId: event.id, trigger, status, outcome: label, durationMs, err: outcome.error };
      if (status >= 500) this.#log.error(line, 'invocation failed');
      else this.#log.warn(line, 'invocation failed');
    } else if (outcome.type === 'timeout') {
      this.#log.warn({ eventId: event.id, trigger, status, outcome: label, durationMs }, 'invocation timed out');
    } else if (this.#infoLine !== undefined) {
      this.#infoLine(event.id, trigger, status, label, durationMs);
    } else {
      this.#log.info({ eventId: event.id, trigger, status, outcome: label, durationMs }, 'invocation');
    }
  }

  #reject(event: FnEvent, reason: 'overloaded' | 'shutting-down'): Outcome {
    const error = reason === 'overloaded'
      ? 'the function is at its concurrency limit and its queue is full: retry later'
      : 'the function is shutting down: retry on another instance';
    const outcome: Outcome = { type: 'rejected', status: 503, body: { error, status: 503, eventId: event.id }, reason, retryAfterSeconds: 1, durationMs: 0 };
    this.#finish(event, outcome);
    return outcome;
  }
}

/**
 * The outcome as it counts: for a lazy cancellation (the HTTP client went away before the answer),
 * cancelled whatever it came to. A handler that threw its cancellation's reason (or an error caused by
 * it) is a cancelled outcome already: runInvocation makes it, in-process and in an isolation worker.
 */
function counted(event: FnEvent, outcome: Outcome, request: InvokeRequest | undefined): Outcome {
  const lazy = request?.cancellation;
  if (lazy === undefined) return outcome;
  const reason: unknown = lazy.reason;
  return reason === undefined ? outcome : cancelledOutcome(event, reason, outcome.durationMs);
}
