import type { FnEvent, Logger, Outcome } from '@fnkit/sdk';
import type { Registry } from 'prom-client';
import type { TriggerMetrics } from './triggers/trigger-metrics.js';

/**
 * The seams between the parts of fn-run. Adapters (HTTP, cron, NATS, Kafka) know their transport and
 * nothing of handlers; the invoker knows handlers and nothing of transports. Every delivery goes
 * through `Invoker.invoke`, in-process or (dispatcher mode) over HTTP to a function elsewhere.
 */

export interface InvokeRequest {
  /**
   * What to do when the concurrency limit is reached:
   * - `queue` (HTTP): wait in the bounded queue; when that is full, resolve at once with a `rejected` outcome (503).
   * - `wait` (triggers): wait for a slot however long it takes; the adapter's own in-flight bound is its back-pressure.
   */
  admission?: 'queue' | 'wait';
  /** A shorter timeout for this one invocation (never longer than FUNC_TIMEOUT). */
  timeoutMs?: number;
  /**
   * Cancels this one invocation (e.g. a cron tick replaced under the policy Replace). In-process and in
   * an isolation worker, the handler's `context.signal` aborts with this signal's reason; the runtime
   * only signals, so the outcome is still what the handler returns or throws (or a timeout). In
   * dispatcher mode the HTTP request is aborted and the outcome is a 499 error. An invocation still
   * waiting for a concurrency slot when it aborts leaves the queue at once and settles as cancelled
   * (499, outcome `cancelled`) without running. A handler that throws the signal's reason (or an error
   * caused by it) settles as cancelled too, not as a failure.
   */
  signal?: AbortSignal;
  /**
   * Cancellation that is only watched on demand (the HTTP server: the client's connection, where an
   * eager close listener per request costs more than the rest of the request's bookkeeping). Once
   * `reason` is defined, the invocation's outcome is cancelled (499) whatever the handler returned.
   */
  cancellation?: Cancellation;
}

/** A cancellation source that costs nothing until it is watched. */
export interface Cancellation {
  /** Made on first read (the handler read `context.signal`, or the invocation waits for a slot); aborts on cancellation. */
  readonly signal: AbortSignal;
  /** The reason when cancelled by now (checked without listening), else undefined. */
  readonly reason: unknown;
}

export interface Invoker {
  invoke(event: FnEvent, request?: InvokeRequest): Promise<Outcome>;
  /**
   * Optional: as invoke, but the Outcome itself when it is known within the call (a handler that returned a
   * plain value, a rejection), else a promise of it. Adapters that settle a message in the same tick use it
   * when present (the in-process invoker has it; dispatcher mode's HTTP invoker does not).
   */
  invokeNow?(event: FnEvent, request?: InvokeRequest): Outcome | Promise<Outcome>;
}

/** A trigger adapter: turns messages of one source into CloudEvents and hands them to an Invoker. */
export interface TriggerAdapter {
  /** e.g. `kafka:orders`, `nats:events.todo.newitem`, `cron:*\/10 * * * * *`. */
  readonly name: string;
  /** Connects and starts consuming. Rejects with a clear error for bad settings; reconnects by itself once started. */
  start(): Promise<void>;
  /** Stops fetching, waits for in-flight work, commits/acks what finished, disconnects. */
  stop(): Promise<void>;
  /** For readiness: connected and consuming. */
  isReady(): boolean;
}

/** What every adapter is given. */
export interface TriggerEnvironment {
  invoker: Invoker;
  log: Logger;
  registry: Registry;
  metrics: TriggerMetrics;
  /** Aborts when the process starts shutting down (adapters stop fetching). */
  shutdownSignal: AbortSignal;
}

/**
 * Delivery semantics shared by every trigger (in-process and dispatcher mode alike):
 * success is a result with a status below 400. Failures are retried when retrying can help:
 * timeouts, overload, 5xx, and 404/408/409/429 (as Knative's data plane does); other 4xx (a bad
 * event, a typed BadRequestError) are final and go straight to the dead-letter target.
 */
export function isSuccess(outcome: Outcome): boolean {
  return outcome.type === 'result' && outcome.response.status < 400;
}

export function isRetryable(outcome: Outcome): boolean {
  if (outcome.type === 'timeout' || outcome.type === 'rejected') return true;
  const status = outcome.type === 'result' ? outcome.response.status : outcome.status;
  return status >= 500 || status === 404 || status === 408 || status === 409 || status === 429;
}

/** A short human-readable reason for logs and dead-letter headers. */
export function describeFailure(outcome: Outcome): string {
  switch (outcome.type) {
    case 'result':
      return `the function answered status ${outcome.response.status}`;
    case 'error':
      return `${outcome.status}: ${outcome.body.error}${outcome.status >= 500 && outcome.error instanceof Error && outcome.error.message ? ` (${outcome.error.message})` : ''}`;
    case 'timeout':
      return outcome.body.error;
    case 'rejected':
      return `rejected: ${outcome.reason}`;
  }
}
