import { parentPort, workerData } from 'node:worker_threads';
import { pino, destination } from 'pino';
import { ClientClosedError, ReplacedError, ShutdownError, createEvent, readResponseBody, runInvocation, type EventInit, type Outcome, type TriggerDetails } from '@fnkit/sdk';
import { loadFunction } from '../loader/load-function.js';
import type { CancelMessage, InvokeMessage, SerializedError, SerializedReason, ShutdownMessage, WorkerMessage, WorkerSetup } from './protocol.js';

/**
 * An isolation worker (built as dist/isolation-worker.js): loads the same handler as the main thread,
 * runs its module's init, then runs one invocation at a time through runInvocation. If a handler blocks
 * this thread past its deadline, the main thread terminates the worker and starts another.
 * Kubeless `event.extensions.request/response` are not available here: the socket lives in the main thread.
 */

const setup = workerData as WorkerSetup;
const port = parentPort!;
const log = pino({ level: setup.logLevel, base: { function: setup.functionName, worker: true } }, destination({ dest: 1, sync: true }));

process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled promise rejection in the function (isolation worker); still serving'));
process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception in the function (isolation worker); still serving'));

function post(message: WorkerMessage): void {
  port.postMessage(message);
}

async function main(): Promise<void> {
  let fn;
  try {
    fn = await loadFunction(setup.file, setup.exportName);
    await fn.module.init?.();
  } catch (error) {
    post({ type: 'load-failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  const handler = fn.handler;
  const module = fn.module;
  const shutdown = new AbortController();
  const settings = {
    functionName: setup.functionName,
    handlerName: setup.handlerName,
    runtime: setup.runtime,
    memoryLimit: setup.memoryLimit,
    timeoutMs: setup.timeoutMs,
    log,
    kubelessFunctionName: setup.kubelessFunctionName,
    shutdownSignal: shutdown.signal,
  };
  /** The cancellable invocation running here (one at a time), for `cancel` messages. */
  let cancellable: { eventId: string; controller: AbortController } | undefined;
  port.on('message', (message: InvokeMessage | CancelMessage | ShutdownMessage) => {
    if (message.type === 'invoke') void handle(message);
    else if (message.type === 'cancel') {
      // A cancel for an invocation that already answered is late: ignore it.
      if (cancellable?.eventId === message.eventId) cancellable.controller.abort(reviveReason(message.reason));
    } else if (message.type === 'abort') shutdown.abort(new ShutdownError());
    else void stop();
  });
  async function stop(): Promise<void> {
    if (!shutdown.signal.aborted) shutdown.abort(new ShutdownError());
    try {
      await module.shutdown?.();
    } catch (error) {
      log.error({ err: error }, 'the function module shutdown() failed in an isolation worker');
    }
    post({ type: 'stopped' });
  }
  async function handle(message: InvokeMessage): Promise<void> {
    const { trigger, ...attrs } = message.event;
    if (attrs.data instanceof Uint8Array && !Buffer.isBuffer(attrs.data)) attrs.data = Buffer.from(attrs.data.buffer, attrs.data.byteOffset, attrs.data.byteLength);
    const event = createEvent(attrs as unknown as EventInit, trigger as TriggerDetails);
    let outcome: Outcome;
    if (message.cancellable) {
      const controller = new AbortController();
      if (message.cancelled) controller.abort(reviveReason(message.cancelled));
      cancellable = { eventId: event.id, controller };
      outcome = await runInvocation(handler, event, settings, { timeoutMs: message.timeoutMs, signal: controller.signal });
      cancellable = undefined;
    } else {
      outcome = await runInvocation(handler, event, settings, message.timeoutMs === undefined ? undefined : { timeoutMs: message.timeoutMs });
    }
    post({ type: 'outcome', outcome: await cloneable(outcome, event.id) });
  }
  post({ type: 'ready' });
}

/** The abort reason as the main thread had it: fnkit's own classes again, else an error of the same name and message. */
function reviveReason(reason: SerializedReason): unknown {
  if (reason.name === 'ReplacedError') return new ReplacedError(reason.message, { replacedBy: reason.replacedBy });
  if (reason.name === 'ShutdownError') return new ShutdownError(reason.message);
  if (reason.name === 'ClientClosedError') return new ClientClosedError(reason.message);
  if (reason.name === 'AbortError') return new DOMException(reason.message, 'AbortError');
  return Object.assign(new Error(reason.message), { name: reason.name });
}

/** Streams are read to the end here and sent as one Buffer; errors become plain objects. */
async function cloneable(outcome: Outcome, eventId: string): Promise<Outcome> {
  if (outcome.type === 'error') {
    const e = outcome.error;
    const error: SerializedError = e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : { name: 'Error', message: String(e) };
    return { ...outcome, error };
  }
  if (outcome.type === 'result') {
    const body = outcome.response.body;
    if (body !== null && typeof body !== 'string' && !Buffer.isBuffer(body)) {
      try {
        return { ...outcome, response: { ...outcome.response, body: await readResponseBody(body) } };
      } catch (error) {
        log.error({ err: error }, 'the function returned a stream that failed');
        return { type: 'error', status: 500, body: { error: 'Internal Server Error', status: 500, eventId }, error: { name: 'Error', message: String(error) }, durationMs: outcome.durationMs };
      }
    }
  }
  return outcome;
}

void main();
