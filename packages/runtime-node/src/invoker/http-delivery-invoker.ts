import { isJsonEssence, mediaTypeEssence, type FnEvent, type Logger, type NormalizedResponse, type Outcome, type ResponseKind } from '@fnkit/sdk';
import { decodeBody } from '../cloudevents/body.js';
import { encodeBinaryHeaders } from '../cloudevents/http-encode.js';
import { decodeHeaderValue } from '../cloudevents/percent.js';
import type { InvokeRequest, Invoker } from '../contracts.js';

/** Sends of one event while the connections it gets are closed under it (stale kept-alive sockets). */
const STALE_CONNECTION_ATTEMPTS = 4;

/**
 * The status of a delivery its caller cancelled (the request's `signal`): 499, nginx's "client closed
 * request", since the dispatcher is the client that gave up. Not retryable.
 */
export const CANCELLED_STATUS = 499;

export interface HttpDeliveryOptions {
  /** The function's URL, e.g. `http://fn.default.svc:8080` (events are POSTed to it as it is). */
  target: string;
  /** Per-request timeout (a request's own `timeoutMs` may shorten it). */
  timeoutMs: number;
  log: Logger;
}

/**
 * Dispatcher mode: an Invoker that delivers each event to a function elsewhere, as a binary-mode
 * CloudEvent over HTTP (POST, `ce-*` headers, the data as the body encoded per `datacontenttype`),
 * the way Kubeless's trigger controllers did. Adapters cannot tell it from the in-process invoker.
 *
 * The reply becomes the Outcome: any HTTP answer is a `result` with its status, headers and body
 * (so a non-2xx counts as a failure and 5xx/404/408/409/429 are retried, as everywhere); a reply in
 * binary CloudEvent mode also carries the event in `cloudEvent`. No answer at all is an `error`
 * outcome: 504 when the request timed out, 502 when the function could not be reached (refused,
 * reset, DNS); both are retryable. A request whose `signal` aborts (a cron tick replaced under the
 * policy Replace) is aborted too: a 499 error carrying the signal's reason, not retried.
 * Connections are kept alive (Node's fetch pools them per origin).
 */
export class HttpDeliveryInvoker implements Invoker {
  readonly #target: string;
  readonly #timeoutMs: number;
  readonly #log: Logger;
  /** Aborts every request still running (end of a shutdown's grace period). */
  readonly #abort = new AbortController();
  #pending = 0;
  #idle: (() => void)[] = [];

  constructor(options: HttpDeliveryOptions) {
    this.#target = options.target;
    this.#timeoutMs = options.timeoutMs;
    this.#log = options.log;
  }

  get target(): string {
    return this.#target;
  }

  /** Deliveries on their way. */
  get pending(): number {
    return this.#pending;
  }

  /** Resolves once no delivery is in flight. */
  whenIdle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Aborts the deliveries in flight (they end as 502 errors); for the end of a shutdown's grace period. */
  abortAll(reason?: unknown): void {
    this.#abort.abort(reason);
  }

  async invoke(event: FnEvent, request?: InvokeRequest): Promise<Outcome> {
    const started = performance.now();
    const timeoutMs = Math.min(request?.timeoutMs ?? this.#timeoutMs, this.#timeoutMs);
    let body: Buffer | undefined;
    let headers: Record<string, string>;
    try {
      ({ body, headers } = encodeBinaryEvent(event));
    } catch (error) {
      // An event that cannot be expressed in HTTP headers: retrying cannot help.
      return errorOutcome(event, 400, `the event cannot be sent over HTTP: ${error instanceof Error ? error.message : String(error)}`, error, started);
    }
    this.#pending++;
    try {
      const cancel = request?.signal;
      const signal = AbortSignal.any(cancel ? [AbortSignal.timeout(timeoutMs), this.#abort.signal, cancel] : [AbortSignal.timeout(timeoutMs), this.#abort.signal]);
      const post = () => fetch(this.#target, { method: 'POST', headers, body, signal, redirect: 'manual' });
      let res: Response | undefined;
      for (let attempt = 1; res === undefined; attempt++) {
        try {
          res = await post();
        } catch (error) {
          // A kept-alive connection the function's server closed just as it was reused: send again (the pool
          // may hold more than one such socket; delivery is at-least-once anyway). Refused connections and
          // timeouts are not resent here: the adapter's retry policy decides.
          if (!isStaleConnection(error) || signal.aborted || attempt >= STALE_CONNECTION_ATTEMPTS) throw error;
          this.#log.debug({ eventId: event.id, target: this.#target, attempt }, 'the connection was closed under the request; sending again');
        }
      }
      const replyBody = Buffer.from(await res.arrayBuffer());
      return { type: 'result', response: toResponse(res, replyBody), durationMs: performance.now() - started };
    } catch (error) {
      if (request?.signal?.aborted && error === request.signal.reason) {
        const reason = request.signal.reason as unknown;
        const why = reason instanceof Error && reason.message ? reason.message : 'no reason given';
        this.#log.debug({ eventId: event.id, target: this.#target }, `delivery cancelled: ${why}`);
        return errorOutcome(event, CANCELLED_STATUS, `the delivery to ${this.#target} was cancelled: ${why}`, reason, started);
      }
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      const reason = timedOut ? `no reply from ${this.#target} within ${timeoutMs} ms` : `could not reach ${this.#target}: ${causeOf(error)}`;
      this.#log.debug({ eventId: event.id, target: this.#target, err: error }, reason);
      return errorOutcome(event, timedOut ? 504 : 502, timedOut ? 'Gateway Timeout' : 'Bad Gateway', new Error(reason), started);
    } finally {
      this.#pending--;
      if (this.#pending === 0 && this.#idle.length > 0) {
        const idle = this.#idle;
        this.#idle = [];
        for (const resolve of idle) resolve();
      }
    }
  }
}

/** The event as binary-mode HTTP: `ce-*` headers, Content-Type from `datacontenttype`, the data as the body. */
export function encodeBinaryEvent(event: FnEvent): { headers: Record<string, string>; body: Buffer | undefined } {
  const headers = encodeBinaryHeaders(event as unknown as Record<string, unknown>);
  const data = event.data;
  let contentType = event.datacontenttype;
  let body: Buffer | undefined;
  if (data === undefined) {
    body = undefined;
  } else if (data instanceof Uint8Array) {
    body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    contentType ??= 'application/octet-stream';
  } else if (typeof data === 'string' && !(contentType !== undefined && isJsonEssence(mediaTypeEssence(contentType)))) {
    body = Buffer.from(data, 'utf8');
    contentType ??= 'text/plain; charset=utf-8';
  } else {
    // JSON values, and strings under a JSON content type (a JSON string value).
    body = Buffer.from(JSON.stringify(data), 'utf8');
    contentType ??= 'application/json';
  }
  if (contentType !== undefined) headers['content-type'] = contentType;
  return { headers, body };
}

function toResponse(res: Response, body: Buffer): NormalizedResponse {
  const headers: Record<string, string | string[]> = {};
  const ce: Record<string, unknown> = {};
  res.headers.forEach((value, name) => {
    if (name.startsWith('ce-')) ce[name.slice(3)] = decodeHeaderValue(value);
    else if (name === 'set-cookie') headers[name] = res.headers.getSetCookie();
    else headers[name] = value;
  });
  const contentType = res.headers.get('content-type') ?? undefined;
  const response: NormalizedResponse = { kind: kindOf(body, contentType), status: res.status, headers, body: body.length === 0 ? null : body };
  if (typeof ce.specversion === 'string' && typeof ce.id === 'string' && typeof ce.source === 'string' && typeof ce.type === 'string') {
    let data: unknown;
    try {
      data = decodeBody(body, contentType);
    } catch {
      data = body;
    }
    response.kind = 'cloudevent';
    response.cloudEvent = { ...(ce as { specversion: string; id: string; source: string; type: string }), datacontenttype: contentType, data };
  }
  return response;
}

function kindOf(body: Buffer, contentType: string | undefined): ResponseKind {
  if (body.length === 0) return 'empty';
  if (contentType === undefined) return 'binary';
  const essence = mediaTypeEssence(contentType);
  if (isJsonEssence(essence)) return 'json';
  return essence.startsWith('text/') ? 'text' : 'binary';
}

function errorOutcome(event: FnEvent, status: number, message: string, error: unknown, started: number): Outcome {
  return { type: 'error', status, body: { error: message, status, eventId: event.id }, error, durationMs: performance.now() - started };
}

/** The socket closed or reset before a reply (not a refused connection, not a timeout). */
function isStaleConnection(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
  const code = cause?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED';
}

/** fetch wraps the socket error in `cause` ("fetch failed"): name the real one (ECONNREFUSED, ENOTFOUND ...). */
function causeOf(error: unknown): string {
  let e: unknown = error;
  for (let i = 0; i < 3 && e instanceof Error && e.cause !== undefined; i++) e = e.cause;
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code && !e.message.includes(code) ? `${code} ${e.message}` : e.message;
  }
  return String(e);
}
