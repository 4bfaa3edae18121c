// Imported rather than read from the global: Node's global `Buffer` is an accessor, a getter call on every use.
import { Buffer } from 'node:buffer';
import { looksLikeCloudEvent } from './cloudevent.js';
import type { NormalizedResponse } from './types.js';

/**
 * Response helpers and the rules that turn whatever a handler returned into a NormalizedResponse.
 *
 * | returned                                   | response                                             |
 * |--------------------------------------------|------------------------------------------------------|
 * | undefined or null                          | 204, no body                                         |
 * | string                                     | 200 text/plain; charset=utf-8                        |
 * | Buffer / Uint8Array / ArrayBuffer          | 200 application/octet-stream                         |
 * | response(...) / json(...) / text(...)      | as given                                             |
 * | { statusCode, headers?, body? } only       | as given (Lambda-style; body string, bytes or JSON)  |
 * | Readable, web ReadableStream, async iterable | 200 streamed, application/octet-stream unless set  |
 * | a CloudEvent (instance or plain object)    | 200, sent back in binary mode                        |
 * | any other JSON value                       | 200 application/json; charset=utf-8                  |
 */

const EXPLICIT = Symbol.for('fnkit.response');

export interface ResponseInit {
  status?: number;
  headers?: Record<string, string | string[] | number>;
}

export interface ExplicitResponse {
  readonly [EXPLICIT]: true;
  status: number;
  headers: Record<string, string | string[]>;
  body: unknown;
}

/** An explicit response: status, headers and a body (string, bytes, stream, or a JSON value). */
export function response(body?: unknown, init: ResponseInit = {}): ExplicitResponse {
  const status = init.status ?? (body === undefined || body === null ? 204 : 200);
  checkStatus(status);
  return { [EXPLICIT]: true, status, headers: normaliseHeaders(init.headers), body };
}

/** A JSON response. */
export function json(value: unknown, init: ResponseInit = {}): ExplicitResponse {
  const headers = normaliseHeaders(init.headers);
  headers['content-type'] ??= 'application/json; charset=utf-8';
  return response(JSON.stringify(value), { status: init.status ?? 200, headers });
}

/** A text response (text/plain unless a content-type is given). */
export function text(value: string, init: ResponseInit = {}): ExplicitResponse {
  const headers = normaliseHeaders(init.headers);
  headers['content-type'] ??= 'text/plain; charset=utf-8';
  return response(value, { status: init.status ?? 200, headers });
}

/** A redirect (302 unless told otherwise). */
export function redirect(location: string, status = 302): ExplicitResponse {
  return response(undefined, { status, headers: { location } });
}

export function isExplicitResponse(v: unknown): v is ExplicitResponse {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[EXPLICIT] === true;
}

export interface LambdaStyleResponse {
  statusCode: number;
  headers?: Record<string, string | string[] | number>;
  /** API Gateway REST (v1): several values per header name. */
  multiValueHeaders?: Record<string, readonly (string | number)[] | string | number>;
  /** API Gateway HTTP API (v2): each becomes a `set-cookie` header. */
  cookies?: readonly string[];
  body?: unknown;
  isBase64Encoded?: boolean;
}

const LAMBDA_KEYS = new Set(['statusCode', 'headers', 'body', 'isBase64Encoded', 'multiValueHeaders', 'cookies']);

/** `{ statusCode: 404, body: '...' }` with no other members: the Lambda / serverless shape users expect to set the status. */
export function isLambdaStyleResponse(v: unknown): v is LambdaStyleResponse {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (typeof o.statusCode !== 'number') return false;
  for (const k in o) if (!LAMBDA_KEYS.has(k)) return false;
  return true;
}

export class ResultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultError';
  }
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const OCTETS = 'application/octet-stream';

/** Turns a handler's return value into a NormalizedResponse. Throws ResultError for a value that cannot be sent. */
export function normalizeResult(result: unknown): NormalizedResponse {
  if (result === undefined || result === null) return { kind: 'empty', status: 204, headers: {}, body: null };
  if (typeof result === 'string') return { kind: 'text', status: 200, headers: { 'content-type': TEXT }, body: result };
  if (typeof result === 'object') {
    // A plain object or array (what most handlers return) cannot be bytes: no instanceof walk for it.
    const proto: unknown = Object.getPrototypeOf(result);
    if (proto !== Object.prototype && proto !== Array.prototype) {
      const bytes = asBuffer(result);
      if (bytes) return { kind: 'binary', status: 200, headers: { 'content-type': OCTETS }, body: bytes };
    }
    if (isExplicitResponse(result)) return fromExplicit(result.status, result.headers, result.body, false);
    if (isLambdaStyleResponse(result)) {
      checkStatus(result.statusCode);
      return fromExplicit(result.statusCode, lambdaHeaders(result), result.body, result.isBase64Encoded === true);
    }
    if (isStream(result)) return { kind: 'stream', status: 200, headers: { 'content-type': OCTETS }, body: result };
    if (looksLikeCloudEvent(result)) return fromCloudEvent(result);
  }
  if (typeof result === 'function' || typeof result === 'symbol') {
    throw new ResultError(`the function returned a ${typeof result}, which cannot be sent as a response`);
  }
  return { kind: 'json', status: 200, headers: { 'content-type': JSON_TYPE }, body: stringify(result) };
}

function fromExplicit(status: number, headers: Record<string, string | string[]>, body: unknown, base64: boolean): NormalizedResponse {
  const h = { ...headers };
  if (body === undefined || body === null) return { kind: 'empty', status, headers: h, body: null };
  if (typeof body === 'string') {
    if (base64) {
      h['content-type'] ??= OCTETS;
      return { kind: 'binary', status, headers: h, body: Buffer.from(body, 'base64') };
    }
    h['content-type'] ??= TEXT;
    return { kind: 'text', status, headers: h, body };
  }
  const bytes = asBuffer(body);
  if (bytes) {
    h['content-type'] ??= OCTETS;
    return { kind: 'binary', status, headers: h, body: bytes };
  }
  if (isStream(body)) {
    h['content-type'] ??= OCTETS;
    return { kind: 'stream', status, headers: h, body };
  }
  h['content-type'] ??= JSON_TYPE;
  return { kind: 'json', status, headers: h, body: stringify(body) };
}

function fromCloudEvent(ce: Record<string, unknown>): NormalizedResponse {
  // A `cloudevents` CloudEvent keeps binary data in data_base64 (and data as a Uint8Array).
  const attrs: Record<string, unknown> = {};
  for (const k of Object.keys(ce)) {
    if (k === 'data' || k === 'data_base64' || k === 'trigger' || k === 'extensions') continue;
    const v = ce[k];
    if (v === undefined || v === null) continue;
    attrs[k] = v instanceof Date ? v.toISOString() : v;
  }
  const headers: Record<string, string> = {};
  let body: Buffer | string | null = null;
  const data = ce.data;
  const ct = typeof ce.datacontenttype === 'string' ? ce.datacontenttype : undefined;
  if (typeof ce.data_base64 === 'string' && (data === undefined || data === null || data instanceof Uint8Array)) {
    body = Buffer.from(ce.data_base64, 'base64');
    headers['content-type'] = ct ?? OCTETS;
  } else if (data !== undefined) {
    const bytes = asBuffer(data);
    if (bytes) {
      body = bytes;
      headers['content-type'] = ct ?? OCTETS;
    } else if (typeof data === 'string' && ct !== undefined && !isJsonMediaType(ct)) {
      body = data;
      headers['content-type'] = ct;
    } else {
      body = stringify(data);
      headers['content-type'] = ct ?? JSON_TYPE;
    }
  }
  return {
    kind: 'cloudevent',
    status: body === null ? 204 : 200,
    headers,
    body,
    cloudEvent: attrs as NormalizedResponse['cloudEvent'],
  };
}

/** `application/json`, `text/json`, `application/*+json`, parameters and case ignored. */
export function isJsonMediaType(contentType: string): boolean {
  return isJsonEssence(mediaTypeEssence(contentType));
}

/** The essence of a media type: `Application/JSON; charset=UTF-8` → `application/json`. */
export function mediaTypeEssence(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** `*\/json` or `*\/*+json`, for an essence as mediaTypeEssence gives it. */
export function isJsonEssence(essence: string): boolean {
  return essence.endsWith('/json') || essence.endsWith('+json');
}

/** A response body read to one Buffer (a stream read to its end). */
export async function readResponseBody(body: NormalizedResponse['body']): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  return Buffer.concat(chunks);
}

function stringify(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch (err) {
    throw new ResultError(`the function returned a value that cannot be serialised as JSON: ${(err as Error).message}`);
  }
  if (s === undefined) throw new ResultError('the function returned a value that cannot be serialised as JSON');
  return s;
}

function asBuffer(v: unknown): Buffer | undefined {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  return undefined;
}

function isStream(v: unknown): v is AsyncIterable<Uint8Array | string> {
  return typeof v === 'object' && v !== null && typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function';
}

function checkStatus(status: number): void {
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new ResultError(`the function returned an invalid status code ${String(status)}: use an integer from 100 to 599`);
  }
}

/**
 * A Lambda-style answer's headers, as API Gateway sends them: `headers`, then `multiValueHeaders` merged in
 * (a name in both sends the multi-value list), then each of `cookies` as a `set-cookie` header after any
 * `set-cookie` already given.
 */
function lambdaHeaders(r: LambdaStyleResponse): Record<string, string | string[]> {
  const out = normaliseHeaders(r.headers);
  const multi = r.multiValueHeaders;
  if (typeof multi === 'object' && multi !== null) {
    for (const name of Object.keys(multi)) {
      const v = multi[name];
      if (v === undefined || v === null) continue;
      const values: string[] = [];
      for (const x of Array.isArray(v) ? (v as readonly unknown[]) : [v]) if (x !== undefined && x !== null) values.push(String(x));
      if (values.length > 0) out[name.toLowerCase()] = values.length === 1 ? values[0]! : values;
    }
  }
  const cookies = r.cookies;
  if (Array.isArray(cookies) && cookies.length > 0) {
    const prior = out['set-cookie'];
    const all = prior === undefined ? [] : Array.isArray(prior) ? [...prior] : [prior];
    for (const c of cookies as readonly unknown[]) if (c !== undefined && c !== null) all.push(String(c));
    if (all.length > 0) out['set-cookie'] = all;
  }
  return out;
}

function normaliseHeaders(h: Record<string, string | string[] | number> | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!h) return out;
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || v === null) continue;
    out[k.toLowerCase()] = typeof v === 'number' ? String(v) : v;
  }
  return out;
}
