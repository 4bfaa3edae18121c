import { blankEvent, createEvent, LEGACY, validateAttributes } from '@fnkit/sdk';
import type { EventInit, FnEvent, HeaderMap, HttpTrigger, LegacyAliases } from '@fnkit/sdk';
import { decodeBody, decodeKubelessBody } from './body.js';
import { randomEventId } from './event-id.js';
import { CodecError } from './codec-error.js';
import { mediaTypeEssence, startsWithIgnoreCase } from './media-type.js';
import { decodeHeaderValue } from './percent.js';
import { CE_BATCH_JSON, CE_BATCH_PREFIX, CE_JSON, CE_PREFIX, invalid, isObject, jsonKind, parseStructuredJson, structuredAttributes, upgradeBinaryV03 } from './structured.js';
import { MILLIS } from '../millis-text.js';

/**
 * HTTP request → CloudEvents (CloudEvents HTTP binding 1.0.2; rules in shared/BINDINGS.md §2, §3, §7.10).
 * Pure: knows nothing of fastify. The HTTP server hands it the request's parts and the raw body.
 */

/** The `type` of an event made from a plain (non-CloudEvent) HTTP request. */
export const HTTP_REQUEST_EVENT_TYPE = 'dev.fnkit.http.request';

export interface HttpRequestInput {
  method: string;
  /** The raw request URL (path and query). */
  url: string;
  /** The path without the query string. */
  path: string;
  query: Record<string, string | string[]>;
  /** Lower-case names, as Node gives them. */
  headers: HeaderMap;
  /** The raw body; undefined when the request had none (e.g. a GET). */
  body: Buffer | undefined;
  remoteAddress?: string;
}

export type DecodeMode = 'binary' | 'structured' | 'batch' | 'plain';

export interface DecodedRequest {
  mode: DecodeMode;
  events: FnEvent[];
}

export interface DecodeOptions {
  /** Kubeless profile: plain requests get `data` as Kubeless's runtime gave it. */
  kubeless: boolean;
}


export function decodeHttpRequest(req: HttpRequestInput, options: DecodeOptions): DecodedRequest {
  const headers = req.headers;
  const contentType = headerValue(headers['content-type']);
  if (contentType !== undefined && startsWithIgnoreCase(contentType, CE_PREFIX)) {
    const essence = mediaTypeEssence(contentType);
    if (startsWithIgnoreCase(contentType, CE_BATCH_PREFIX)) {
      if (essence !== CE_BATCH_JSON) throw unsupportedFormat(essence, CE_BATCH_JSON);
      return { mode: 'batch', events: decodeBatch(req) };
    }
    if (essence !== CE_JSON) throw unsupportedFormat(essence, CE_JSON);
    return { mode: 'structured', events: [decodeStructured(req)] };
  }
  if (headers['ce-specversion'] !== undefined) {
    return { mode: 'binary', events: [decodeBinary(req, contentType)] };
  }
  return { mode: 'plain', events: [decodePlain(req, contentType, options.kubeless)] };
}

function headerValue(v: string | string[] | undefined): string | undefined {
  if (v === undefined || typeof v === 'string') return v;
  return v.length === 0 ? undefined : v.join(', ');
}

function triggerOf(req: HttpRequestInput): HttpTrigger {
  const trigger: HttpTrigger = { kind: 'http', method: req.method, path: req.path, url: req.url, query: req.query, headers: req.headers };
  if (req.remoteAddress !== undefined) trigger.remoteAddress = req.remoteAddress;
  return trigger;
}

function unsupportedFormat(essence: string, supported: string): CodecError {
  return new CodecError(415, `unsupported CloudEvents format '${essence}': fnkit reads ${supported} (or binary mode with ce-* headers)`);
}

// ---------------------------------------------------------------------------------------- binary

/** An extension name the event itself can take as an own member (the Kubeless getters have a '-'). */
const PLAIN_NAME = /^[a-z0-9]+$/;

function decodeBinary(req: HttpRequestInput, contentType: string | undefined): FnEvent {
  // The attributes go straight into the event (blankEvent), in header order; only a request with an
  // extension name the event cannot hold (e.g. 'event-id', one of its getters; such a name is invalid
  // and answered 400 below) switches to a plain object, copied into the event as before.
  let attrs = blankEvent();
  let plain = false;
  // False once a header sets an attribute the quick check below does not cover (time, subject,
  // dataschema, an extension): validateAttributes then checks them all.
  let common = true;
  const headers = req.headers;
  for (const key in headers) {
    if (key.length <= 3 || key.charCodeAt(0) !== 0x63 || key.charCodeAt(1) !== 0x65 || key.charCodeAt(2) !== 0x2d) continue; // 'ce-'
    const value = headers[key];
    const raw = typeof value === 'string' ? value : headerValue(value);
    if (raw === undefined) continue;
    // Node gives header names in lower case already (HttpRequestInput.headers), so no toLowerCase.
    // The usual attributes are stored by name (one store site each, in the order the headers came):
    // a store keyed by a different name each time goes through V8's megamorphic stub cache.
    const decoded = decodeHeaderValue(raw);
    switch (key) {
      case 'ce-specversion': attrs.specversion = decoded; continue;
      case 'ce-id': attrs.id = decoded; continue;
      case 'ce-source': attrs.source = decoded; continue;
      case 'ce-type': attrs.type = decoded; continue;
      case 'ce-time': attrs.time = decoded; common = false; continue;
      case 'ce-subject': attrs.subject = decoded; common = false; continue;
      case 'ce-dataschema': attrs.dataschema = decoded; common = false; continue;
    }
    common = false;
    const name = key.slice(3).toLowerCase();
    if (name === 'datacontenttype') {
      throw new CodecError(400, "invalid CloudEvent (binary mode): header 'ce-datacontenttype' must not be sent; the Content-Type header carries datacontenttype", 'datacontenttype');
    }
    if (!plain && !PLAIN_NAME.test(name)) {
      attrs = { ...attrs };
      plain = true;
    }
    attrs[name] = decoded;
  }
  // Named reads (not a loop over the required names), for the same reason as the stores above.
  const missing = attrs.id === undefined ? 'id' : attrs.source === undefined ? 'source' : attrs.type === undefined ? 'type' : undefined;
  if (missing !== undefined) {
    throw new CodecError(400, `invalid CloudEvent (binary mode): missing required attribute '${missing}' (header 'ce-${missing}')`, missing);
  }
  // The usual event (specversion 1.0, id, source, type and a content type, all plain ASCII) is answered by
  // quickCheck; anything else, including every invalid event, by validateAttributes and its error messages.
  const quick = common && attrs.specversion === '1.0' && quickCheck(attrs.id as string, attrs.source as string, attrs.type as string, contentType);
  if (attrs.specversion === '0.3') upgradeBinaryV03(attrs);
  if (contentType !== undefined) attrs.datacontenttype = contentType;
  if (!quick) {
    try {
      validateAttributes(attrs);
    } catch (err) {
      invalid(err, ' (binary mode)');
    }
  }
  const data = decodeBody(req.body, contentType);
  if (plain) {
    attrs.data = data;
    return createEvent(attrs as EventInit, triggerOf(req));
  }
  if (data !== undefined) attrs.data = data;
  attrs.trigger = triggerOf(req);
  return attrs as unknown as FnEvent;
}

/**
 * True when validateAttributes would accept a binary-mode event that has only specversion 1.0, these
 * attributes and no other (the caller checks that): each is non-empty printable ASCII (so no control
 * character), the source also without the characters a URI-reference may not hold (space `"` `<` `>`
 * `\` `^` `` ` `` `{` `|` `}`). False leaves the verdict (and the error message) to validateAttributes.
 * A loop over the characters instead of validateAttributes' generic walk over the event's members.
 */
function quickCheck(id: string, source: string, type: string, contentType: string | undefined): boolean {
  if (!printable(id) || !printable(type) || (contentType !== undefined && !printable(contentType))) return false;
  const n = source.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = source.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x5c || c === 0x5e || c === 0x60 || c === 0x7b || c === 0x7c || c === 0x7d) return false;
  }
  return true;
}

/** Non-empty, and only printable ASCII (U+0020-U+007E). */
function printable(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// ------------------------------------------------------------------------------ structured / batch

function decodeStructured(req: HttpRequestInput): FnEvent {
  const parsed = parseStructuredJson(req.body, 'structured-mode');
  return createEvent(structuredAttributes(parsed, ''), triggerOf(req));
}

function decodeBatch(req: HttpRequestInput): FnEvent[] {
  const parsed = parseStructuredJson(req.body, 'batched-mode');
  if (!Array.isArray(parsed)) {
    throw new CodecError(400, `invalid CloudEvent batch: body must be a JSON array of events, got ${jsonKind(parsed)}`);
  }
  const events: FnEvent[] = [];
  if (parsed.length === 0) return events;
  const trigger = triggerOf(req);
  const first = isObject(parsed[0]) ? parsed[0].specversion : undefined;
  for (let i = 0; i < parsed.length; i++) {
    const el: unknown = parsed[i];
    if (i > 0 && isObject(el) && el.specversion !== first && el.specversion !== undefined && el.specversion !== null) {
      throw new CodecError(
        400,
        `invalid CloudEvent batch: event [${i}]: specversion ${JSON.stringify(el.specversion)} differs from event [0]'s ${JSON.stringify(first)}; all events in a batch must share specversion`,
        'specversion',
      );
    }
    events.push(createEvent(structuredAttributes(el, ` batch: event [${i}]`), trigger));
  }
  return events;
}

// ----------------------------------------------------------------------------------------- plain

/**
 * A request that is not a CloudEvent becomes one: id from `event-id` (Kubeless), `Idempotency-Key`
 * or `X-Request-Id`, else a random UUID; source = the request path; type = HTTP_REQUEST_EVENT_TYPE;
 * time = `event-time` (Kubeless) when it parses as a date, else now.
 */
function decodePlain(req: HttpRequestInput, contentType: string | undefined, kubeless: boolean): FnEvent {
  const headers = req.headers;
  const id = nonEmpty(headers['event-id']) ?? nonEmpty(headers['idempotency-key']) ?? nonEmpty(headers['x-request-id']) ?? randomEventId();
  // Straight into the event (no attribute object for createEvent to copy), in createEvent's member order.
  const ev = blankEvent();
  ev.specversion = '1.0';
  ev.id = id;
  ev.source = req.path === '' ? '/' : req.path;
  ev.type = HTTP_REQUEST_EVENT_TYPE;
  ev.time = legacyTime(headers['event-time']) ?? nowIso();
  if (contentType !== undefined && contentType !== '') ev.datacontenttype = contentType;
  const data = kubeless ? decodeKubelessBody(req.body, contentType) : decodeBody(req.body, contentType);
  if (data !== undefined) ev.data = data;
  ev.trigger = triggerOf(req);
  const eventType = nonEmpty(headers['event-type']);
  const eventNamespace = nonEmpty(headers['event-namespace']);
  if (eventType !== undefined || eventNamespace !== undefined) {
    const legacy: LegacyAliases = {};
    if (eventType !== undefined) legacy.eventType = eventType;
    if (eventNamespace !== undefined) legacy.eventNamespace = eventNamespace;
    Object.defineProperty(ev, LEGACY, { value: legacy, enumerable: false });
  }
  return ev as unknown as FnEvent;
}

let clockMs = -1;
let clockIso = '';
let clockSecond = -1;
/** `YYYY-MM-DDTHH:MM:SS.` of clockSecond. */
let secondPrefix = '';

/**
 * The current time in RFC 3339, as Date#toISOString gives it. Formatting a Date costs about a microsecond
 * (it consults the time zone), so the text is kept per millisecond and its date-and-seconds part per second.
 */
function nowIso(): string {
  const ms = Date.now();
  if (ms !== clockMs) {
    clockMs = ms;
    const second = Math.floor(ms / 1000);
    if (second !== clockSecond) {
      clockSecond = second;
      secondPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    }
    clockIso = `${secondPrefix}${MILLIS[ms - second * 1000]!}Z`;
  }
  return clockIso;
}

function nonEmpty(v: string | string[] | undefined): string | undefined {
  const s = headerValue(v);
  return s === undefined || s === '' ? undefined : s;
}

/** Kubeless callers sent `event-time` in three formats (shared/KUBELESS.md §3.12); any that parses is converted to RFC 3339. */
function legacyTime(v: string | string[] | undefined): string | undefined {
  const s = nonEmpty(v);
  if (s === undefined) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
