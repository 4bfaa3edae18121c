/**
 * The fnkit function contract: `handler(event, context)`.
 *
 * `event` is a CloudEvent (v1.0) whatever started the invocation: an HTTP request, a cron tick,
 * a NATS message or a Kafka record. `context` carries the function's name, deadline, abort signal,
 * logger and the trigger details. Kubeless field names are available as aliases so functions written
 * for Kubeless run unchanged.
 */

/** A logger with pino's method shape. In the runtime it is a pino child bound to the event id. */
export interface Logger {
  trace(obj: unknown, msg?: string, ...args: unknown[]): void;
  debug(obj: unknown, msg?: string, ...args: unknown[]): void;
  info(obj: unknown, msg?: string, ...args: unknown[]): void;
  warn(obj: unknown, msg?: string, ...args: unknown[]): void;
  error(obj: unknown, msg?: string, ...args: unknown[]): void;
  fatal(obj: unknown, msg?: string, ...args: unknown[]): void;
  child(bindings: Record<string, unknown>): Logger;
}

export type TriggerKind = 'http' | 'cron' | 'nats' | 'kafka' | 'invoke';

/** Header values as Node gives them: lower-case names. */
export type HeaderMap = Record<string, string | string[] | undefined>;

export interface HttpTrigger {
  kind: 'http';
  method: string;
  /** The request path without the query string, e.g. `/orders/42`. */
  path: string;
  /** The raw request URL (path and query). */
  url: string;
  query: Record<string, string | string[]>;
  /** Request headers, lower-case names. */
  headers: HeaderMap;
  remoteAddress?: string;
}

export interface CronTrigger {
  kind: 'cron';
  /** The trigger's name (defaults to the schedule). */
  name: string;
  schedule: string;
  timezone?: string;
  /** RFC 3339 time the tick was scheduled for. */
  scheduledTime: string;
}

export interface NatsTrigger {
  kind: 'nats';
  subject: string;
  /** Reply subject for request-reply. */
  reply?: string;
  /** NATS headers (original case kept). */
  headers: Record<string, string[]>;
  /** JetStream only. */
  stream?: string;
  consumer?: string;
  streamSequence?: number;
  deliveryCount?: number;
}

export interface KafkaTrigger {
  kind: 'kafka';
  topic: string;
  partition: number;
  /** Offsets are 64-bit: kept as a decimal string. */
  offset: string;
  /** The record key decoded as UTF-8, or null for a record without key. */
  key: string | null;
  /** The record key's bytes, or null. */
  keyBytes: Buffer | null;
  /** Record headers decoded as UTF-8. */
  headers: Record<string, string>;
  /** RFC 3339 record timestamp. */
  timestamp: string;
  /** 1 for the first delivery, 2 for the first retry, ... */
  attempt: number;
}

/** The trigger of an in-process `invoke()` from a unit test. */
export interface InvokeTrigger {
  kind: 'invoke';
}

export type TriggerDetails = HttpTrigger | CronTrigger | NatsTrigger | KafkaTrigger | InvokeTrigger;

/** The CloudEvents v1.0 context attributes. */
export interface CloudEventAttributes {
  specversion: string;
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  dataschema?: string;
}

/**
 * What a handler receives: a CloudEvent with its `data` decoded (JSON parsed for JSON content types,
 * a string for text, an object for forms, a Buffer for anything else), extension attributes as
 * top-level members (as in the CloudEvents JSON format), the trigger details, and Kubeless aliases.
 */
export interface FnEvent<TData = unknown> extends CloudEventAttributes {
  data?: TData;
  /** Where the event came from: HTTP request, cron tick, NATS message or Kafka record. */
  trigger: TriggerDetails;
  /** Kubeless: `event['event-id']` (the CloudEvent id). */
  readonly 'event-id': string;
  /** Kubeless: `event['event-type']` (the legacy `event-type` header when one was sent, else the CloudEvent type). */
  readonly 'event-type': string;
  /** Kubeless: `event['event-time']` (RFC 3339). */
  readonly 'event-time': string;
  /** Kubeless: `event['event-namespace']` (the legacy header when sent, else `<trigger>.fnkit.dev`). */
  readonly 'event-namespace': string;
  /** Kubeless: HTTP only, the request and a response object the handler may write to directly. */
  extensions?: { request?: unknown; response?: unknown };
  /** Extension attributes (lower-case a-z and 0-9 names). */
  [extension: string]: unknown;
}

export interface FnContext {
  /** The function's name (FNKIT_FUNCTION_NAME, K_SERVICE, or the module name). */
  functionName: string;
  /** The export that was called. */
  handlerName: string;
  /** e.g. `nodejs20` (FUNC_RUNTIME). */
  runtime: string;
  timeoutMs: number;
  /** e.g. `128Mi` (FUNC_MEMORY_LIMIT), or undefined when none is set. */
  memoryLimit: string | undefined;
  /** Epoch milliseconds at which the invocation times out. */
  deadline: number;
  remainingTimeMs(): number;
  /**
   * Aborts at the deadline (reason: a TimeoutError), when a shutdown's grace period runs out (a
   * ShutdownError), and when the invocation is cancelled: replaced by a newer cron tick under the
   * policy Replace (a ReplacedError). Made on first use.
   */
  signal: AbortSignal;
  /** A logger bound to this event's id. */
  log: Logger;
  trigger: TriggerDetails;
  /** Kubeless: the handler name, as Kubeless gave it. */
  readonly 'function-name': string;
  /** Kubeless: FUNC_TIMEOUT in seconds. */
  readonly timeout: number;
  /** Kubeless: FUNC_MEMORY_LIMIT as given (e.g. `128Mi`, `0` when none). */
  readonly 'memory-limit': string;
}

export type Handler<TData = unknown, TResult = unknown> = (
  event: FnEvent<TData>,
  context: FnContext,
) => TResult | Promise<TResult>;

/** Optional lifecycle exports of a function module, next to the handler. */
export interface FunctionModule {
  /** Awaited before readiness turns true: open connections, warm caches. */
  init?: () => unknown | Promise<unknown>;
  /** Awaited during the shutdown drain. */
  shutdown?: () => unknown | Promise<unknown>;
  /** Extra liveness check: throw or return false to fail. */
  liveness?: () => boolean | void | Promise<boolean | void>;
  /** Extra readiness check: throw or return false to fail. */
  readiness?: () => boolean | void | Promise<boolean | void>;
}

/** The result kinds a handler may return, normalised by the invoker. */
export type ResponseKind = 'empty' | 'text' | 'json' | 'binary' | 'stream' | 'cloudevent';

/**
 * A handler's result, normalised and transport-neutral. Adapters turn it into an HTTP response,
 * a NATS reply, or (for Kafka and JetStream) success when status < 400.
 */
export interface NormalizedResponse {
  kind: ResponseKind;
  status: number;
  /** Lower-case header names. For a CloudEvent result the `ce-*` headers are not here: see `cloudEvent`. */
  headers: Record<string, string | string[]>;
  /** null for no body; a Buffer or string; an async iterable of chunks for a stream. */
  body: Buffer | string | AsyncIterable<Uint8Array | string> | null;
  /** Set when the handler returned a CloudEvent (sent back in binary mode by HTTP). */
  cloudEvent?: CloudEventAttributes & { data?: unknown; [ext: string]: unknown };
}

export interface ErrorBody {
  error: string;
  status: number;
  eventId: string;
  /** Present for a timeout. */
  timeoutMs?: number;
}

/** What one invocation came to. */
export type Outcome =
  | { type: 'result'; response: NormalizedResponse; durationMs: number }
  | { type: 'error'; status: number; body: ErrorBody; headers?: Record<string, string>; error: unknown; durationMs: number }
  | { type: 'timeout'; status: 408; body: ErrorBody; durationMs: number }
  /** The runtime refused the invocation (overloaded or shutting down): nothing ran. */
  | { type: 'rejected'; status: 503; body: ErrorBody; reason: 'overloaded' | 'shutting-down'; retryAfterSeconds: number; durationMs: number };
