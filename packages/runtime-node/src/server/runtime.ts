import type { Server } from 'node:http';
import { parse as parsePath } from 'node:path';
import { ShutdownError, type FunctionModule, type Handler, type InvocationSettings } from '@fnkit/sdk';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { ConfigError } from '../config/settings.js';
import type { TriggerAdapter } from '../contracts.js';
import { FunctionInvoker } from '../invoker/invoker.js';
import { InProcessRunner, type HandlerRunner } from '../invoker/runner.js';
import { LoopStallReporter } from '../isolation/loop-stall-reporter.js';
import { StallWatchdog } from '../isolation/stall-watchdog.js';
import { WorkerPool } from '../isolation/worker-pool.js';
import { createLogger } from '../observability/logger.js';
import { RuntimeMetrics } from '../observability/metrics.js';
import { Health } from './health.js';
import { createHttpServer } from './http-server.js';
import { listenAddress, onShutdownSignals } from './shutdown-signals.js';
import type { TriggerConfigs } from '../triggers/load-triggers.js';

/** The loaded function (the loader's LoadedFunction has this shape). */
export interface RuntimeFunction {
  handler: Handler;
  module: FunctionModule;
  file: string;
  exportName: string;
}

export interface RunningRuntime {
  /** Resolves with the process exit code once the runtime has stopped (0 after a clean drain, 1 when init failed). */
  closed: Promise<number>;
  /** e.g. `http://127.0.0.1:8080`. */
  address: string;
  /** Starts the same drain a SIGTERM starts (for embedding and tests). */
  shutdown(): Promise<number>;
}

/**
 * Starts fn-run's HTTP runtime: logger, metrics, invoker (in-process or a worker pool), fastify server.
 * Listens first (liveness answers, readiness 503), awaits the module's `init`, then turns ready.
 *
 * SIGTERM / SIGINT: readiness fails at once, new invocations are refused and the listener closes;
 * in-flight invocations get up to `shutdownGraceMs` to finish, then the shutdown AbortSignal fires
 * (every `context.signal`), the module's `shutdown` is awaited, and `closed` resolves with 0.
 * A second signal exits at once (130 for SIGINT, 143 for SIGTERM). The handlers are explicit, so
 * this also works as PID 1 in a container. Errors escaping handler code (unhandled rejections,
 * uncaught exceptions) are logged and the runtime keeps serving.
 *
 * Triggers (`config.triggers`: cron, NATS, Kafka): the adapters are created before listening (a
 * setting only the adapter can check, such as a cron expression, exits 2 with one line), started
 * once `init` is done, and share the HTTP requests' invoker. Readiness is true only while every
 * adapter is ready (connected and consuming). An adapter whose start() rejects stops the runtime
 * with one line and exit code 1. On SIGTERM the adapters stop (no more fetching; in-flight work
 * finishes and is acked/committed; then they disconnect) in parallel with the HTTP drain, within the
 * same grace period.
 */
export async function startRuntime(config: RuntimeConfig & { triggers?: TriggerConfigs }, fn: RuntimeFunction): Promise<RunningRuntime> {
  const log = createLogger(config);
  const metrics = new RuntimeMetrics(parsePath(config.file).name);
  const shutdownController = new AbortController();
  const handlerName = fn.exportName;
  const settings: InvocationSettings = {
    functionName: config.functionName,
    handlerName,
    runtime: config.runtime,
    memoryLimit: config.memoryLimit,
    timeoutMs: config.timeoutMs,
    log,
    kubelessFunctionName: config.kubelessFunctionName,
    shutdownSignal: shutdownController.signal,
  };

  const onRejection = (reason: unknown) => log.error({ err: reason }, 'unhandled promise rejection (from function code); still serving');
  const onException = (error: unknown) => log.error({ err: error }, 'uncaught exception (from function code); still serving');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  // Installed once the shutdown below exists; a start-up failure before that has none to remove.
  let removeSignalHandlers = (): void => undefined;

  let runner: HandlerRunner;
  let pool: WorkerPool | undefined;
  let watchdog: StallWatchdog | undefined;
  let stallReporter: LoopStallReporter | undefined;
  let watchdogDeferred: { cancel(): void } | undefined;
  if (config.isolation === 'worker') {
    pool = new WorkerPool(
      { file: fn.file, exportName: config.exportName ?? fn.exportName, functionName: config.functionName, handlerName, runtime: config.runtime, memoryLimit: config.memoryLimit, timeoutMs: config.timeoutMs, kubelessFunctionName: config.kubelessFunctionName, logLevel: config.logLevel },
      config.concurrency > 0 ? config.concurrency : 4,
      log,
    );
    runner = pool;
    try {
      await pool.start();
    } catch (error) {
      log.fatal({ err: error }, `the function could not be started in an isolation worker: ${error instanceof Error ? error.message : String(error)}`);
      detach();
      return { closed: Promise.resolve(1), address: '', shutdown: async () => 1 };
    }
  } else {
    runner = new InProcessRunner(fn.handler, settings);
  }

  const invoker = new FunctionInvoker({ concurrency: config.concurrency, queueSize: config.queueSize, runner, metrics, log });
  const health = new Health();

  // Trigger adapters: their settings were read with the rest; only the configured kinds' modules load.
  const triggerController = new AbortController();
  let adapters: TriggerAdapter[] = [];
  if (config.triggers && hasAnyTrigger(config.triggers)) {
    try {
      const [{ createTriggerAdapters }, { TriggerMetrics }] = await Promise.all([import('../triggers/load-triggers.js'), import('../triggers/trigger-metrics.js')]);
      adapters = await createTriggerAdapters(config.triggers, {
        invoker,
        log,
        registry: metrics.registry,
        metrics: new TriggerMetrics(metrics.registry),
        shutdownSignal: triggerController.signal,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof ConfigError) process.stderr.write(`fn-run: ${message}\n`);
      else log.fatal({ err: error }, `the triggers could not be set up: ${message}`);
      await runner.close(0).catch(() => undefined);
      detach();
      log.flush?.();
      const code = error instanceof ConfigError ? 2 : 1;
      return { closed: Promise.resolve(code), address: '', shutdown: async () => code };
    }
    health.checks = adapters;
  }
  const app = createHttpServer({ config, invoker, metrics, module: fn.module, health });

  let resolveClosed!: (code: number) => void;
  const closed = new Promise<number>((resolve) => (resolveClosed = resolve));
  let draining: Promise<number> | undefined;

  function detach(): void {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
    removeSignalHandlers();
  }

  async function stopEverything(code: number): Promise<number> {
    // Isolation workers run their module's shutdown too (bounded), then are terminated.
    await runner.close(code === 0 ? 2000 : 0).catch(() => undefined);
    watchdogDeferred?.cancel();
    stallReporter?.stop();
    await watchdog?.stop().catch(() => undefined);
    detach();
    log.flush?.();
    resolveClosed(code);
    return code;
  }

  let adaptersStopped: Promise<void> | undefined;
  function stopAdapters(): Promise<void> {
    adaptersStopped ??= Promise.all(
      adapters.map((a) => a.stop().catch((error: unknown) => log.error({ trigger: a.name, err: error }, `the ${a.name} trigger did not stop cleanly`))),
    ).then(() => undefined);
    return adaptersStopped;
  }

  function shutdown(signal?: string): Promise<number> {
    if (draining) return draining;
    draining = (async () => {
      const started = Date.now();
      health.state = 'draining';
      triggerController.abort(new ShutdownError());
      log.info({ signal, inFlight: invoker.pending, graceMs: config.shutdownGraceMs, triggers: adapters.length }, 'shutting down: readiness off, draining in-flight invocations');
      // New HTTP requests get 503 from here on (fastify's return503OnClosing).
      const closing = app.close();
      // Adapters stop fetching at once and finish what they had already received (invoke, then ack/commit),
      // alongside the HTTP drain; so the invoker refuses new invocations only once they have stopped.
      const triggersStopped = stopAdapters();
      const idle = triggersStopped.then(() => {
        invoker.beginShutdown();
        return invoker.whenIdle();
      });
      let graceTimer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        idle.then(() => true),
        new Promise<boolean>((resolve) => (graceTimer = setTimeout(() => resolve(false), config.shutdownGraceMs))),
      ]);
      clearTimeout(graceTimer);
      invoker.beginShutdown();
      if (!drained) log.warn({ inFlight: invoker.pending }, 'the shutdown grace period ran out: aborting in-flight invocations');
      shutdownController.abort(new ShutdownError());
      pool?.abortAll();
      if (!drained && adapters.length > 0) {
        // Aborted invocations fail fast; adapters get a moment to nak/settle them and disconnect.
        let settleTimer: NodeJS.Timeout | undefined;
        await Promise.race([triggersStopped, new Promise<void>((resolve) => (settleTimer = setTimeout(resolve, 2000)))]);
        clearTimeout(settleTimer);
      }
      try {
        await fn.module.shutdown?.();
      } catch (error) {
        log.error({ err: error }, 'the function module shutdown() failed');
      }
      // Responses of aborted invocations get a moment to go out; then every connection is closed.
      const forced = setTimeout(() => app.server.closeAllConnections(), drained ? 1000 : 200);
      await closing.catch(() => undefined);
      clearTimeout(forced);
      log.info({ durationMs: Date.now() - started }, 'stopped');
      return stopEverything(0);
    })();
    return draining;
  }

  removeSignalHandlers = onShutdownSignals(log, shutdown);

  let address: string;
  try {
    await app.listen({ host: config.host, port: config.port });
    address = listenAddress(app.server.address());
  } catch (error) {
    log.fatal({ err: error }, `could not listen on ${config.host}:${config.port}: ${error instanceof Error ? error.message : String(error)}`);
    return { closed: stopEverything(1), address: '', shutdown: async () => 1 };
  }

  if (config.isolation !== 'worker') {
    // A blocked event loop is reported once it is over, from this thread; the watchdog thread (opt-in:
    // a second isolate, ~6 MiB of RSS) also reports one that never ends, while it lasts.
    stallReporter = new LoopStallReporter(config.timeoutMs, log);
    if (config.stallWatchdog) {
      const startWatchdog = () => {
        watchdogDeferred = undefined;
        if (watchdog === undefined && !draining) watchdog = new StallWatchdog(config.timeoutMs, config.functionName);
      };
      // Booting the thread costs ~10-20 ms of CPU (Node's bootstrap in a new isolate). An init() or a trigger
      // may run function code at once: then it starts now, once listening. Otherwise it starts right after
      // the first request has been handled (in a probed deployment, the first probe, before any invocation;
      // a cold start's first invocation is answered without it), or WATCHDOG_DELAY_MS after listening.
      if (fn.module.init !== undefined || adapters.length > 0) startWatchdog();
      else watchdogDeferred = deferUntilFirstRequest(app.server, WATCHDOG_DELAY_MS, startWatchdog);
    }
  }

  try {
    await fn.module.init?.();
  } catch (error) {
    log.fatal({ err: error }, `the function's init() failed: ${error instanceof Error ? error.message : String(error)}`);
    await app.close().catch(() => undefined);
    return { closed: stopEverything(1), address, shutdown: async () => 1 };
  }
  if (health.state === 'starting') health.state = 'ready';
  if (adapters.length > 0 && !draining) {
    const { startTriggers } = await import('../triggers/load-triggers.js');
    try {
      await startTriggers(adapters);
    } catch (error) {
      // A signal during start-up: the drain already under way decides the exit code.
      if (draining) return { closed, address, shutdown: () => shutdown() };
      // startTriggers has stopped the adapters already started.
      const message = error instanceof Error ? error.message : String(error);
      health.state = 'draining';
      log.fatal({ err: error }, message);
      process.stderr.write(`fn-run: ${message}\n`);
      invoker.beginShutdown();
      await app.close().catch(() => undefined);
      try {
        await fn.module.shutdown?.();
      } catch (shutdownError) {
        log.error({ err: shutdownError }, 'the function module shutdown() failed');
      }
      return { closed: stopEverything(1), address, shutdown: async () => 1 };
    }
    log.info({ triggers: adapters.map((a) => a.name) }, `triggers started: ${adapters.map((a) => a.name).join(', ')}`);
  }
  log.info({ address, isolation: config.isolation, concurrency: config.concurrency, timeoutMs: config.timeoutMs }, `fn-run serving ${config.functionName} on ${address}`);
  return { closed, address, shutdown: () => shutdown() };
}

/** See startRuntime: how long the stall watchdog waits for a first request before it starts anyway. */
const WATCHDOG_DELAY_MS = 100;

/**
 * Calls `start` once: right after the first request `server` receives has been handled (its listener
 * ran; a setImmediate, so after a synchronous answer went out), or after `delayMs`, whichever is first.
 */
export function deferUntilFirstRequest(server: Server, delayMs: number, start: () => void): { cancel(): void } {
  let immediate: NodeJS.Immediate | undefined;
  const cancel = () => {
    clearTimeout(timer);
    clearImmediate(immediate);
    server.off('request', onRequest);
  };
  const fire = () => {
    cancel();
    start();
  };
  const onRequest = () => {
    server.off('request', onRequest);
    immediate = setImmediate(fire);
  };
  const timer = setTimeout(fire, delayMs);
  timer.unref();
  server.on('request', onRequest);
  return { cancel };
}

function hasAnyTrigger(t: TriggerConfigs): boolean {
  return t.cron !== undefined || t.nats !== undefined || t.kafka !== undefined;
}
