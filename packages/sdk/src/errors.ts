/**
 * A function's copy of @fnkit/sdk is never the runtime's (fn-run bundles its own; a pod installs the
 * function's), so `instanceof` on these classes must hold across copies: each class names its kind
 * under a registry symbol, and `instanceof` is the ordinary prototype check, else a class of the same
 * kind in the value's prototype chain. A subclass that names no kind of its own gets the ordinary check.
 */
const KIND: unique symbol = Symbol.for('fnkit.error.kind');

function isInstance(cls: object, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(cls, value)) return true;
  if (value === null || typeof value !== 'object' || !Object.hasOwn(cls, KIND)) return false;
  const kind = (cls as { [KIND]: string })[KIND];
  for (let p = Object.getPrototypeOf(value) as object | null; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    const c = (p as { constructor?: unknown }).constructor;
    if (typeof c === 'function' && Object.hasOwn(c, KIND) && (c as unknown as { [KIND]: string })[KIND] === kind) return true;
  }
  return false;
}

/**
 * Typed HTTP errors. Throwing one sets the response status; its message is sent to the caller.
 * Any other error becomes a 500 whose body carries the event id and no message or stack.
 */
export class HttpError extends Error {
  static readonly [KIND]: string = 'HttpError';
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, value);
  }
  readonly status: number;
  /** Extra response headers (e.g. `www-authenticate`, `retry-after`). */
  readonly headers: Record<string, string>;
  /** Extra JSON members merged into the error body. */
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, message?: string, options?: { headers?: Record<string, string>; details?: Record<string, unknown>; cause?: unknown }) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError status must be an integer from 400 to 599, got ${String(status)}`);
    }
    super(message ?? defaultMessage(status), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.headers = lowerCaseKeys(options?.headers ?? {});
    this.details = options?.details;
  }
}

export class BadRequestError extends HttpError {
  static override readonly [KIND]: string = 'BadRequestError';
  constructor(message = 'Bad Request', options?: ConstructorParameters<typeof HttpError>[2]) {
    super(400, message, options);
    this.name = 'BadRequestError';
  }
}
export class UnauthorizedError extends HttpError {
  static override readonly [KIND]: string = 'UnauthorizedError';
  constructor(message = 'Unauthorized', options?: ConstructorParameters<typeof HttpError>[2]) {
    super(401, message, options);
    this.name = 'UnauthorizedError';
  }
}
export class ForbiddenError extends HttpError {
  static override readonly [KIND]: string = 'ForbiddenError';
  constructor(message = 'Forbidden', options?: ConstructorParameters<typeof HttpError>[2]) {
    super(403, message, options);
    this.name = 'ForbiddenError';
  }
}
export class NotFoundError extends HttpError {
  static override readonly [KIND]: string = 'NotFoundError';
  constructor(message = 'Not Found', options?: ConstructorParameters<typeof HttpError>[2]) {
    super(404, message, options);
    this.name = 'NotFoundError';
  }
}
export class ConflictError extends HttpError {
  static override readonly [KIND]: string = 'ConflictError';
  constructor(message = 'Conflict', options?: ConstructorParameters<typeof HttpError>[2]) {
    super(409, message, options);
    this.name = 'ConflictError';
  }
}
export class UnprocessableEntityError extends HttpError {
  static override readonly [KIND]: string = 'UnprocessableEntityError';
  constructor(message = 'Unprocessable Entity', options?: ConstructorParameters<typeof HttpError>[2]) {
    super(422, message, options);
    this.name = 'UnprocessableEntityError';
  }
}
export class TooManyRequestsError extends HttpError {
  static override readonly [KIND]: string = 'TooManyRequestsError';
  constructor(message = 'Too Many Requests', options?: ConstructorParameters<typeof HttpError>[2]) {
    super(429, message, options);
    this.name = 'TooManyRequestsError';
  }
}
export class ServiceUnavailableError extends HttpError {
  static override readonly [KIND]: string = 'ServiceUnavailableError';
  constructor(message = 'Service Unavailable', options?: ConstructorParameters<typeof HttpError>[2]) {
    super(503, message, options);
    this.name = 'ServiceUnavailableError';
  }
}

/** Shorthand: `throw httpError(404, 'no such order')`. */
export function httpError(status: number, message?: string, options?: ConstructorParameters<typeof HttpError>[2]): HttpError {
  return new HttpError(status, message, options);
}

/** The abort reason of `context.signal` at the deadline. */
export class TimeoutError extends Error {
  static readonly [KIND]: string = 'TimeoutError';
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, value);
  }
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`the function did not finish within its timeout of ${timeoutMs} ms`);
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** The abort reason of `context.signal` when a shutdown's grace period runs out. */
export class ShutdownError extends Error {
  static readonly [KIND]: string = 'ShutdownError';
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, value);
  }
  constructor(message = 'the runtime is shutting down') {
    super(message);
    this.name = 'ShutdownError';
  }
}

/**
 * The abort reason of `context.signal` when the invocation was replaced by a newer one: a cron tick
 * under the concurrency policy Replace found this invocation still running. The runtime only signals;
 * what the invocation comes to is still what the handler returns or throws.
 */
export class ReplacedError extends Error {
  static readonly [KIND]: string = 'ReplacedError';
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, value);
  }
  /** The id of the event that replaced this invocation, when known. */
  readonly replacedBy: string | undefined;
  constructor(message = 'replaced by a newer invocation (cron concurrency policy Replace)', options?: { replacedBy?: string }) {
    super(message);
    this.name = 'ReplacedError';
    this.replacedBy = options?.replacedBy;
  }
}

/**
 * The abort reason of `context.signal` when the HTTP client went away before the answer (its
 * connection closed or was reset: a caller's own timeout, a dispatcher that cancelled its delivery).
 * Nothing more can be sent to that client: the invocation is logged and counted as cancelled (499).
 */
export class ClientClosedError extends Error {
  static readonly [KIND]: string = 'ClientClosedError';
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, value);
  }
  constructor(message = 'the HTTP client closed the connection before the answer') {
    super(message);
    this.name = 'ClientClosedError';
  }
}

/**
 * True for an error that carries its own HTTP status: an HttpError, or any error with an integer
 * `status` or `statusCode` from 400 to 599 (as http-errors and many libraries set).
 */
export function statusOfError(err: unknown): number | undefined {
  if (err instanceof HttpError) return err.status;
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; expose?: unknown };
  const s = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (s === undefined || !Number.isInteger(s) || s < 400 || s > 599) return undefined;
  // http-errors marks 5xx as not exposed: keep their message private like any other 5xx.
  return s;
}

const MESSAGES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 408: 'Request Timeout', 409: 'Conflict', 410: 'Gone',
  411: 'Length Required', 412: 'Precondition Failed', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function defaultMessage(status: number): string {
  return MESSAGES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

function lowerCaseKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
