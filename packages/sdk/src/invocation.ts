// Imported rather than read from the global: Node's global `performance` is a lazy accessor, a getter call on every use.
import { performance } from 'node:perf_hooks';
import { ShutdownError, TimeoutError, defaultMessage, HttpError, statusOfError } from './errors.js';
import { normalizeResult } from './response.js';
import type { FnContext, FnEvent, Handler, Logger, Outcome } from './types.js';

/**
 * The one place a handler is called. The runtime's invoker (every trigger, both isolation modes) and
 * the SDK's in-process `invoke()` both go through `runInvocation`, so unit tests see exactly what
 * production does: the same context, deadline, abort signal, result rules and error mapping.
 */

export interface InvocationSettings {
  functionName: string;
  handlerName: string;
  runtime: string;
  /** FUNC_MEMORY_LIMIT as given, or undefined. */
  memoryLimit: string | undefined;
  timeoutMs: number;
  /** The logger the per-invocation child is made from. */
  log: Logger;
  /** Kubeless `context['function-name']`; defaults to handlerName. */
  kubelessFunctionName?: string;
  /** Aborts every in-flight invocation's `context.signal` (the runtime fires it when a shutdown's grace period runs out). */
  shutdownSignal?: AbortSignal;
}

export interface InvocationOverrides {
  /** A shorter timeout for this invocation (e.g. a caller's deadline); never longer than the setting. */
  timeoutMs?: number;
  /**
   * Cancels this one invocation: when it aborts, `context.signal` aborts with its reason (e.g. a
   * ReplacedError). The runtime only signals; the outcome is still what the handler returns or throws.
   * Also accepted: an object whose `signal` is read only when the handler first reads `context.signal`
   * (for a source that costs something to watch, such as an HTTP client's connection).
   */
  signal?: AbortSignal | { readonly signal: AbortSignal };
}

const TIMED_OUT = Symbol('timed-out');

class InvocationContext implements FnContext {
  readonly functionName: string;
  readonly handlerName: string;
  readonly runtime: string;
  readonly timeoutMs: number;
  readonly memoryLimit: string | undefined;
  readonly trigger: FnEvent['trigger'];
  #settings: InvocationSettings;
  #eventId: string;
  #controller: AbortController | undefined;
  #log: Logger | undefined;
  #onShutdown: (() => void) | undefined;
  #cancel: AbortSignal | { readonly signal: AbortSignal } | undefined;
  #cancelSignal: AbortSignal | undefined;
  #onCancel: (() => void) | undefined;
  #timedOut = false;
  /** performance.now() when the invocation started: the deadline is this plus timeoutMs. */
  readonly #started: number;
  #deadline: number | undefined;

  constructor(settings: InvocationSettings, event: FnEvent, timeoutMs: number, cancel: AbortSignal | { readonly signal: AbortSignal } | undefined, started: number) {
    this.#settings = settings;
    this.#cancel = cancel;
    this.#eventId = event.id;
    this.functionName = settings.functionName;
    this.handlerName = settings.handlerName;
    this.runtime = settings.runtime;
    this.timeoutMs = timeoutMs;
    this.memoryLimit = settings.memoryLimit;
    this.#started = started;
    this.trigger = event.trigger;
  }

  /**
   * Epoch milliseconds, worked out on first read (most handlers never read it: no wall-clock reading per
   * invocation) from the monotonic time left, then kept.
   */
  get deadline(): number {
    this.#deadline ??= Math.round(Date.now() + this.#started + this.timeoutMs - performance.now());
    return this.#deadline;
  }

  /** On the monotonic clock: a wall clock set back or forth meanwhile does not change it. */
  remainingTimeMs(): number {
    return Math.max(0, Math.round(this.#started + this.timeoutMs - performance.now()));
  }

  // The controller and the logger child are made on first use: most handlers touch neither,
  // and the HTTP hot path should not pay for them.
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#timedOut) this.#controller.abort(new TimeoutError(this.timeoutMs));
      const shutdown = this.#settings.shutdownSignal;
      if (shutdown) {
        if (shutdown.aborted) this.#controller.abort(shutdown.reason ?? new ShutdownError());
        else {
          const c = this.#controller;
          this.#onShutdown = () => c.abort(shutdown.reason ?? new ShutdownError());
          shutdown.addEventListener('abort', this.#onShutdown, { once: true });
        }
      }
      const source = this.#cancel;
      // A lazy source makes its signal (and whatever listener feeds it) only now.
      const cancel = source === undefined ? undefined : source instanceof AbortSignal ? source : source.signal;
      this.#cancelSignal = cancel;
      if (cancel) {
        if (cancel.aborted) this.#controller.abort(cancel.reason);
        else {
          const c = this.#controller;
          this.#onCancel = () => c.abort(cancel.reason);
          cancel.addEventListener('abort', this.#onCancel, { once: true });
        }
      }
    }
    return this.#controller.signal;
  }

  get log(): Logger {
    this.#log ??= this.#settings.log.child({ eventId: this.#eventId });
    return this.#log;
  }

  get 'function-name'(): string {
    return this.#settings.kubelessFunctionName ?? this.handlerName;
  }
  get timeout(): number {
    return this.timeoutMs / 1000;
  }
  get 'memory-limit'(): string {
    return this.memoryLimit ?? '0';
  }

  timedOut(): void {
    this.#timedOut = true;
    this.#controller?.abort(new TimeoutError(this.timeoutMs));
  }

  /**
   * The cancellation's reason when `error` is it (the handler threw what `context.signal` gave it, or an
   * error caused by it), else undefined. Reads no lazy source the handler did not read itself.
   */
  cancelledBy(error: unknown): unknown {
    const cancel = this.#cancelSignal ?? (this.#cancel instanceof AbortSignal ? this.#cancel : undefined);
    if (cancel === undefined || !cancel.aborted) return undefined;
    return isCancellation(error, cancel.reason) ? cancel.reason : undefined;
  }

  /** Called once the invocation is over (the handler may still run after a timeout, but no longer listens to shutdown). */
  release(): void {
    if (this.#onShutdown) this.#settings.shutdownSignal?.removeEventListener('abort', this.#onShutdown);
    if (this.#onCancel) this.#cancelSignal?.removeEventListener('abort', this.#onCancel);
  }
}

/**
 * Runs one invocation to its Outcome. Never throws; never leaves an unhandled rejection behind.
 * A handler that returns a plain value (no promise) is answered without an async function: one
 * resolved promise instead of an async frame and its awaits, on the path every invocation takes.
 */
export function runInvocation(handler: Handler, event: FnEvent, settings: InvocationSettings, overrides?: InvocationOverrides): Promise<Outcome> {
  const outcome = startInvocation(handler, event, settings, overrides);
  return outcome instanceof Promise ? outcome : Promise.resolve(outcome);
}

/**
 * runInvocation without the promise for a handler that did not return one: its Outcome at once
 * (the handler ran to its end in this call), else a promise of it. For callers that can answer in
 * the same tick (fn-run's HTTP server): no promise, no microtask hop. Never throws.
 */
export function startInvocation(handler: Handler, event: FnEvent, settings: InvocationSettings, overrides?: InvocationOverrides): Outcome | Promise<Outcome> {
  const started = performance.now();
  const timeoutMs = overrides?.timeoutMs !== undefined ? Math.min(overrides.timeoutMs, settings.timeoutMs) : settings.timeoutMs;
  const ctx = new InvocationContext(settings, event, timeoutMs, overrides?.signal, started);
  let result: unknown;
  try {
    result = handler(event, ctx) as unknown;
    if (isThenable(result)) return settleAsync(result, event, settings, ctx, timeoutMs, started);
  } catch (error) {
    ctx.release();
    return thrownOutcome(ctx, event, error, started);
  }
  // One clock reading for a synchronous handler: it decides the timeout and is the duration (the
  // handler's own run time; turning its value into a response is not part of it).
  const durationMs = performance.now() - started;
  let outcome: Outcome;
  try {
    if (durationMs > timeoutMs) {
      // A synchronous handler that overran (isolation off): it could not be stopped, but it still timed out.
      ctx.timedOut();
      outcome = timeoutOutcome(event, timeoutMs, started);
    } else {
      outcome = { type: 'result', response: normalizeResult(result), durationMs };
    }
  } catch (error) {
    outcome = errorOutcome(event, error, started);
  }
  ctx.release();
  return outcome;
}

/** The rest of runInvocation for a handler that returned a promise: its deadline, then its result. */
async function settleAsync(
  result: PromiseLike<unknown>,
  event: FnEvent,
  settings: InvocationSettings,
  ctx: InvocationContext,
  timeoutMs: number,
  started: number,
): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const pending = Promise.resolve(result);
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => {
        // Settle first: a handler that resolves as soon as its signal aborts must still count as timed out.
        resolve(TIMED_OUT);
        ctx.timedOut();
      }, timeoutMs);
    });
    const value = await Promise.race([pending, timeout]);
    if (value === TIMED_OUT) {
      // The handler may still settle later: its result is dropped, and a late rejection is logged, not left unhandled.
      pending.then(
        () => undefined,
        (err: unknown) => settings.log.warn({ eventId: event.id, err }, 'a timed-out invocation failed after its deadline'),
      );
      return timeoutOutcome(event, timeoutMs, started);
    }
    return { type: 'result', response: normalizeResult(value), durationMs: performance.now() - started };
  } catch (error) {
    return thrownOutcome(ctx, event, error, started);
  } finally {
    if (timer) clearTimeout(timer);
    ctx.release();
  }
}

export function timeoutOutcome(event: FnEvent, timeoutMs: number, started: number): Outcome {
  return {
    type: 'timeout',
    status: 408,
    body: { error: `the function did not finish within its timeout of ${timeoutMs} ms`, status: 408, eventId: event.id, timeoutMs },
    durationMs: performance.now() - started,
  };
}

/** An error thrown by a handler: a typed HTTP error keeps its status and message; anything else is a private 500. */
export function errorOutcome(event: FnEvent, error: unknown, started: number): Outcome & { type: 'error' } {
  const status = statusOfError(error) ?? 500;
  const typed = error instanceof HttpError;
  const expose = typed || status < 500;
  const message = expose && error instanceof Error && error.message ? error.message : defaultMessage(status);
  const body = { ...(typed && error.details ? error.details : {}), error: message, status, eventId: event.id };
  return {
    type: 'error',
    status,
    body,
    headers: typed ? error.headers : undefined,
    error,
    durationMs: performance.now() - started,
  };
}

/** A cancelled invocation's status: 499, nginx's "client closed request". */
const CANCELLED_STATUS = 499;

/**
 * What a handler's throw comes to: a cancelled outcome when it threw its cancellation's reason (a cron
 * Replace's ReplacedError, an HTTP client's ClientClosedError, or an error caused by one), else errorOutcome.
 * (A normalizeResult failure is never a cancellation: it goes to errorOutcome directly.)
 */
function thrownOutcome(ctx: InvocationContext, event: FnEvent, error: unknown, started: number): Outcome & { type: 'error' } {
  const reason = ctx.cancelledBy(error);
  return reason === undefined ? errorOutcome(event, error, started) : cancelledOutcome(event, reason, performance.now() - started);
}

/** A cancelled invocation's outcome: status 499, the reason as its error and, in its body, in words. */
export function cancelledOutcome(event: FnEvent, reason: unknown, durationMs: number): Outcome & { type: 'error' } {
  return {
    type: 'error',
    status: CANCELLED_STATUS,
    body: { error: `the invocation was cancelled: ${cancellationText(reason)}`, status: CANCELLED_STATUS, eventId: event.id },
    error: reason,
    durationMs,
  };
}

/** A cancellation's reason in words: its message, or the string it is. */
export function cancellationText(reason: unknown): string {
  return reason instanceof Error && reason.message ? reason.message : typeof reason === 'string' && reason ? reason : 'no reason given';
}

/** Whether `error` is the abort `reason`: itself, an error caused by it (fetch and timers throw those), or a copy (name and message; e.g. back from a worker thread). */
export function isCancellation(error: unknown, reason: unknown): boolean {
  if (error === reason) return true;
  if (typeof error !== 'object' || error === null) return false;
  if ((error as { cause?: unknown }).cause === reason) return true;
  const name = (error as { name?: unknown }).name;
  return reason instanceof Error && name === reason.name && (error as { message?: unknown }).message === reason.message;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
