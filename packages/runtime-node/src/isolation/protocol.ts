import type { Outcome } from '@fnkit/sdk';

/** What the main thread hands each isolation worker at start. */
export interface WorkerSetup {
  file: string;
  exportName: string | undefined;
  functionName: string;
  handlerName: string;
  runtime: string;
  memoryLimit: string | undefined;
  timeoutMs: number;
  kubelessFunctionName: string | undefined;
  logLevel: string;
}

/** main → worker: one invocation. `event` is the event's own members (structured clone), `trigger` included. */
export interface InvokeMessage {
  type: 'invoke';
  event: Record<string, unknown>;
  timeoutMs: number | undefined;
  /** Set when the invocation has a cancel signal: the worker then gives it one, for `cancel` messages. */
  cancellable?: true;
  /** The invocation was cancelled before it was sent (it waited for a worker): its signal starts aborted with this reason. */
  cancelled?: SerializedReason;
}

/**
 * main → worker: cancel the invocation of `eventId` running there (its context.signal aborts with
 * `reason`). A worker runs one invocation at a time and messages arrive in order, so a cancel that
 * finds another event (or none) running is late and ignored.
 */
export interface CancelMessage {
  type: 'cancel';
  eventId: string;
  reason: SerializedReason;
}

/** An abort reason made cloneable (an Error's class does not cross threads): the worker makes it again. */
export interface SerializedReason {
  name: string;
  message: string;
  /** ReplacedError's. */
  replacedBy?: string;
}

/** main → worker: the shutdown grace period ran out (abort every context.signal), or: run the module's shutdown and stop. */
export interface ShutdownMessage {
  type: 'abort' | 'shutdown';
}

/** The error of an `error` outcome, made cloneable. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

/** worker → main. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'load-failed'; message: string }
  | { type: 'outcome'; outcome: Outcome }
  | { type: 'stopped' };
