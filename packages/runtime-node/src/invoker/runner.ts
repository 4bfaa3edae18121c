import { runInvocation, startInvocation, type FnEvent, type Handler, type InvocationSettings, type Outcome } from '@fnkit/sdk';

/** A cancel signal, or a lazy source of one (read only when the handler reads context.signal). */
export type CancelSource = AbortSignal | { readonly signal: AbortSignal };

/** What actually calls the handler: in this thread, or in a worker of the isolation pool. */
export interface HandlerRunner {
  /** `signal` cancels this invocation: the handler's context.signal aborts with its reason. */
  run(event: FnEvent, timeoutMs: number | undefined, signal?: CancelSource): Promise<Outcome>;
  /**
   * Optional: as run, but the Outcome itself when the handler finished within this call (a handler
   * that returned a plain value). Runners that always go through a promise (worker pool) leave it out.
   */
  runNow?(event: FnEvent, timeoutMs: number | undefined, signal?: CancelSource): Outcome | Promise<Outcome>;
  /** Stops whatever the runner started (workers, after their module's shutdown, up to graceMs); in-flight runs are abandoned. */
  close(graceMs?: number): Promise<void>;
}

/** Runs the handler in the main thread (isolation off). */
export class InProcessRunner implements HandlerRunner {
  readonly #handler: Handler;
  readonly #settings: InvocationSettings;

  constructor(handler: Handler, settings: InvocationSettings) {
    this.#handler = handler;
    this.#settings = settings;
  }

  run(event: FnEvent, timeoutMs: number | undefined, signal?: CancelSource): Promise<Outcome> {
    return runInvocation(this.#handler, event, this.#settings, timeoutMs === undefined && signal === undefined ? undefined : { timeoutMs, signal });
  }

  runNow(event: FnEvent, timeoutMs: number | undefined, signal?: CancelSource): Outcome | Promise<Outcome> {
    return startInvocation(this.#handler, event, this.#settings, timeoutMs === undefined && signal === undefined ? undefined : { timeoutMs, signal });
  }

  async close(): Promise<void> {}
}
