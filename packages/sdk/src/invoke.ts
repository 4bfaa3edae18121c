import { randomUUID } from 'node:crypto';
import { createEvent, validateAttributes } from './cloudevent.js';
import { runInvocation } from './invocation.js';
import { readResponseBody } from './response.js';
import type { FnEvent, Handler, Logger, Outcome, TriggerDetails } from './types.js';

/**
 * Runs a handler in-process, through the same invocation code the runtime uses, for unit tests:
 *
 *   const res = await invoke(handler, { data: { name: 'Ada' } });
 *   expect(res.status).toBe(200);
 *   expect(res.json()).toEqual({ hello: 'Ada' });
 */

export interface InvokeInput {
  data?: unknown;
  id?: string;
  source?: string;
  type?: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  dataschema?: string;
  /** Trigger details to pretend the event came from (default `{ kind: 'invoke' }`). */
  trigger?: TriggerDetails;
  /** Extension attributes. */
  [extension: string]: unknown;
}

export interface InvokeOptions {
  /** Default 3000 ms in tests. */
  timeoutMs?: number;
  functionName?: string;
  handlerName?: string;
  runtime?: string;
  memoryLimit?: string;
  /** A logger to use instead of the recording one. */
  log?: Logger;
  /** Aborts `context.signal` as a runtime shutdown would. */
  shutdownSignal?: AbortSignal;
  /** Cancels this invocation: `context.signal` aborts with its reason (as a cron Replace does with a ReplacedError). */
  signal?: AbortSignal;
}

export interface LogRecord {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  msg: string | undefined;
  [key: string]: unknown;
}

export interface InvokeResult {
  outcome: Outcome;
  /** The HTTP status the runtime would answer with. */
  status: number;
  headers: Record<string, string | string[]>;
  /** The body, streams read to the end. */
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
  /** Set when the handler returned a CloudEvent: its attributes. */
  cloudEvent: Record<string, unknown> | undefined;
  /** The event the handler received. */
  event: FnEvent;
  /** What the handler logged through `context.log` (when no logger was given). */
  logs: LogRecord[];
}

export async function invoke<TData = unknown>(handler: Handler<TData>, input: InvokeInput = {}, options: InvokeOptions = {}): Promise<InvokeResult> {
  if (typeof handler !== 'function') throw new TypeError(`invoke() needs a handler function, got ${typeof handler}`);
  const { trigger, ...attrs } = input;
  const init = {
    specversion: '1.0',
    id: randomUUID(),
    source: '/fnkit/invoke',
    type: 'dev.fnkit.invoke',
    time: new Date().toISOString(),
    ...attrs,
  } as Record<string, unknown>;
  if (init.datacontenttype === undefined && init.data !== undefined && !(init.data instanceof Uint8Array) && typeof init.data !== 'string') {
    init.datacontenttype = 'application/json';
  }
  validateAttributes(init);
  const event = createEvent(init as Parameters<typeof createEvent>[0], trigger ?? { kind: 'invoke' });
  const logs: LogRecord[] = [];
  const log = options.log ?? recordingLogger(logs, {});
  const outcome = await runInvocation(handler as Handler, event, {
    functionName: options.functionName ?? 'function',
    handlerName: options.handlerName ?? (handler.name || 'handler'),
    runtime: options.runtime ?? `nodejs${process.versions.node.split('.')[0]}`,
    memoryLimit: options.memoryLimit,
    timeoutMs: options.timeoutMs ?? 3000,
    log,
    shutdownSignal: options.shutdownSignal,
  }, options.signal === undefined ? undefined : { signal: options.signal });
  let status: number;
  let headers: Record<string, string | string[]>;
  let body: Buffer;
  let cloudEvent: Record<string, unknown> | undefined;
  if (outcome.type === 'result') {
    status = outcome.response.status;
    headers = outcome.response.headers;
    body = await readResponseBody(outcome.response.body);
    cloudEvent = outcome.response.cloudEvent;
  } else {
    status = outcome.status;
    headers = { 'content-type': 'application/json; charset=utf-8', ...(outcome.type === 'error' ? outcome.headers : {}) };
    body = Buffer.from(JSON.stringify(outcome.body));
  }
  return {
    outcome,
    status,
    headers,
    body,
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
    cloudEvent,
    event: event as FnEvent,
    logs,
  };
}

function recordingLogger(records: LogRecord[], bindings: Record<string, unknown>): Logger {
  const at = (level: LogRecord['level']) => (obj: unknown, msg?: string) => {
    if (typeof obj === 'string') records.push({ ...bindings, level, msg: obj });
    else records.push({ ...bindings, ...(obj instanceof Error ? { err: obj } : (obj as object)), level, msg });
  };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (b) => recordingLogger(records, { ...bindings, ...b }),
  };
}
