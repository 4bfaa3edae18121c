/** The runtime's settings once read and validated (see commands/serve.ts for the flags and env names). */
export interface RuntimeConfig {
  /** The function module file (absolute path). */
  file: string;
  /** The export to call (undefined: default export, else `handler`, else module.exports itself). */
  exportName: string | undefined;
  functionName: string;
  runtime: string;
  memoryLimit: string | undefined;
  port: number;
  host: string;
  timeoutMs: number;
  bodyLimitBytes: number;
  /** Max invocations running at once; 0 = unlimited. */
  concurrency: number;
  /** Invocations waiting for a slot before 503; used when concurrency > 0. */
  queueSize: number;
  /** Run handlers in worker threads so a blocked event loop can be stopped at its deadline. */
  isolation: 'none' | 'worker';
  /**
   * Isolation off: also start a watchdog thread that reports a blocked event loop while it lasts (it costs
   * a second V8 isolate, ~6 MiB of RSS). Without it a block is reported once it is over (LoopStallReporter).
   */
  stallWatchdog: boolean;
  /** Grace period for in-flight work on SIGTERM/SIGINT. */
  shutdownGraceMs: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** pretty when stdout is a terminal, unless forced. */
  logFormat: 'json' | 'pretty';
  /** Kubeless compatibility profile: started through MOD_NAME/FUNC_HANDLER. */
  kubeless: boolean;
  /** Kubeless `context['function-name']` (the FUNC_HANDLER value). */
  kubelessFunctionName: string | undefined;
}
