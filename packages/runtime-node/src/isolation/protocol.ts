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
