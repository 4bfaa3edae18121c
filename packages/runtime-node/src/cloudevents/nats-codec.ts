import { randomUUID } from 'node:crypto';
import { blankEvent, createEvent, validateAttributes } from '@fnkit/sdk';
import type { EventInit, FnEvent, NatsTrigger } from '@fnkit/sdk';
import { decodeBody } from './body.js';
import { CodecError } from './codec-error.js';
import { encodeBinaryHeaders } from './http-encode.js';
import { mediaTypeEssence, startsWithIgnoreCase } from './media-type.js';
import { decodeHeaderValue } from './percent.js';
import { CE_BATCH_PREFIX, CE_JSON, CE_PREFIX, invalid, parseStructuredJson, REQUIRED_BINARY, structuredAttributes, upgradeBinaryV03 } from './structured.js';

/**
 * NATS message ↔ CloudEvent (CloudEvents NATS protocol binding; rules in shared/BINDINGS.md §5, §16).
 * Pure: knows nothing of the NATS client. The adapter hands it the message's parts.
 *
 * Decoding picks the mode like this (header names are case-insensitive):
 * - structured: a `Content-Type` header starting with `application/cloudevents` (only the JSON
 *   format, `application/cloudevents+json`, is read; batches are not part of the NATS binding), or
 *   a message without `Content-Type` and without `ce-specversion` whose body is a JSON object with a
 *   `specversion` member (binding 1.0.2, which predates NATS headers, is structured-only);
 * - binary: a `ce-specversion` header; every attribute is a `ce-<name>` header, percent-decoded;
 *   `datacontenttype` comes from `ce-datacontenttype`, falling back to `Content-Type`;
 * - plain: anything else is wrapped in a new CloudEvent (see decodePlain).
 */

/** The `type` of an event made from a plain (non-CloudEvent) NATS message. */
export const NATS_MESSAGE_EVENT_TYPE = 'dev.fnkit.nats.message';

export type NatsDecodeMode = 'binary' | 'structured' | 'plain';

export interface NatsJetStreamInfo {
  stream: string;
  consumer: string;
  streamSequence: number;
  deliveryCount: number;
  /** When the stream stored the message (RFC 3339). */
  time?: string;
}

export interface NatsMessageInput {
  subject: string;
  /** The reply subject of a request. */
  reply?: string;
  /** Header names as sent (case kept); a name may repeat. */
  headers: Record<string, string[]>;
  data: Uint8Array;
  jetstream?: NatsJetStreamInfo;
}

export interface DecodedNatsMessage {
  mode: NatsDecodeMode;
  event: FnEvent;
}


/** A message without headers (the usual plain message) shares this one; it is never written to. */
const NO_HEADERS: ReadonlyMap<string, string[]> = new Map();

/** Lower-cased header name → values, built once per message. */
function lowerHeaders(headers: Record<string, string[]>): ReadonlyMap<string, string[]> {
  let out: Map<string, string[]> | undefined;
  for (const name in headers) {
    out ??= new Map<string, string[]>();
    const key = name.toLowerCase();
    const prev = out.get(key);
    const values = headers[name]!;
    out.set(key, prev === undefined ? values : prev.concat(values));
  }
  return out ?? NO_HEADERS;
}

function first(map: ReadonlyMap<string, string[]>, name: string): string | undefined {
  const v = map.get(name);
  return v === undefined || v.length === 0 ? undefined : v[0];
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function decodeNatsMessage(msg: NatsMessageInput): DecodedNatsMessage {
  const out = { mode: 'plain' as NatsDecodeMode };
  const event = decode(msg, out);
  return { mode: out.mode, event };
}

/** decodeNatsMessage's event alone, without the wrapper object (what the adapters use, once per message). */
export function decodeNatsEvent(msg: NatsMessageInput): FnEvent {
  return decode(msg, undefined);
}

function decode(msg: NatsMessageInput, out: { mode: NatsDecodeMode } | undefined): FnEvent {
  const headers = lowerHeaders(msg.headers);
  const body = asBuffer(msg.data);
  const contentType = first(headers, 'content-type');
  if (contentType !== undefined && startsWithIgnoreCase(contentType, CE_PREFIX)) {
    const essence = mediaTypeEssence(contentType);
    if (startsWithIgnoreCase(contentType, CE_BATCH_PREFIX)) {
      throw new CodecError(415, `unsupported CloudEvents format '${essence}': the NATS binding has no batch mode; send one event per message as ${CE_JSON} or in binary mode (ce-* headers)`);
    }
    if (essence !== CE_JSON) {
      throw new CodecError(415, `unsupported CloudEvents format '${essence}': fnkit reads ${CE_JSON} (or binary mode with ce-* headers)`);
    }
    const event = decodeStructured(body, msg);
    if (out !== undefined) out.mode = 'structured';
    return event;
  }
  if (headers.has('ce-specversion')) {
    const event = decodeBinary(headers, body, contentType, msg);
    if (out !== undefined) out.mode = 'binary';
    return event;
  }
  if (contentType === undefined) {
    const parsed = headerlessStructured(body);
    if (parsed !== undefined) {
      const event = createEvent(structuredAttributes(parsed, ' (structured mode)'), triggerOf(msg));
      if (out !== undefined) out.mode = 'structured';
      return event;
    }
  }
  return decodePlain(headers, body, contentType, msg);
}

export function triggerOf(msg: NatsMessageInput): NatsTrigger {
  const trigger: NatsTrigger = { kind: 'nats', subject: msg.subject, headers: msg.headers };
  if (msg.reply !== undefined && msg.reply !== '') trigger.reply = msg.reply;
  const js = msg.jetstream;
  if (js !== undefined) {
    trigger.stream = js.stream;
    trigger.consumer = js.consumer;
    trigger.streamSequence = js.streamSequence;
    trigger.deliveryCount = js.deliveryCount;
  }
  return trigger;
}

// ------------------------------------------------------------------------------------ structured

function decodeStructured(body: Buffer, msg: NatsMessageInput): FnEvent {
  const parsed = parseStructuredJson(body, 'structured-mode');
  return createEvent(structuredAttributes(parsed, ' (structured mode)'), triggerOf(msg));
}

/**
 * Binding 1.0.2 messages carry no headers at all: a header-less body that is a JSON object with a
 * `specversion` member is read as a structured event (and must then be a valid one). Anything else
 * (not JSON, or JSON without `specversion`) is plain data. Cheap checks first: no parse unless the
 * body starts with `{` and mentions "specversion".
 */
const SPECVERSION_KEY = Buffer.from('"specversion"');

function headerlessStructured(body: Buffer): Record<string, unknown> | undefined {
  let i = 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++;
  if (body[i] !== 0x7b) return undefined; // '{'
  if (body.indexOf(SPECVERSION_KEY, i) === -1) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('specversion' in parsed)) return undefined;
  return parsed as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------- binary

function decodeBinary(headers: ReadonlyMap<string, string[]>, body: Buffer, contentType: string | undefined, msg: NatsMessageInput): FnEvent {
  const attrs: Record<string, unknown> = {};
  for (const [key, values] of headers) {
    if (key.length <= 3 || !key.startsWith('ce-')) continue;
    const name = key.slice(3);
    if (values.length > 1) {
      throw new CodecError(400, `invalid CloudEvent (binary mode): header 'ce-${name}' appears ${values.length} times; each attribute appears once`, name);
    }
    attrs[name] = decodeHeaderValue(values[0] ?? '');
  }
  for (const name of REQUIRED_BINARY) {
    if (attrs[name] === undefined) {
      throw new CodecError(400, `invalid CloudEvent (binary mode): missing required attribute '${name}' (header 'ce-${name}')`, name);
    }
  }
  if (attrs.specversion === '0.3') upgradeBinaryV03(attrs);
  // The NATS binding puts datacontenttype in ce-datacontenttype; Content-Type is accepted as a fallback (sdk-go does the same).
  if (attrs.datacontenttype === undefined && contentType !== undefined && contentType !== '') attrs.datacontenttype = contentType;
  try {
    validateAttributes(attrs);
  } catch (err) {
    invalid(err, ' (binary mode)');
  }
  attrs.data = decodeBody(body, attrs.datacontenttype as string | undefined);
  return createEvent(attrs as EventInit, triggerOf(msg));
}

// ----------------------------------------------------------------------------------------- plain

/**
 * A message that is not a CloudEvent becomes one:
 * - id: the publisher's `Nats-Msg-Id` header; else, from JetStream, `<stream>:<stream sequence>`
 *   (stable across redeliveries); else a random UUID;
 * - source: `/nats/<subject>`; type: NATS_MESSAGE_EVENT_TYPE; subject: the NATS subject;
 * - time: when JetStream stored the message, else now;
 * - datacontenttype: the `Content-Type` header when there is one; data decoded by it (JSON parsed,
 *   text as a string, anything else or no content type: the bytes as a Buffer).
 * Headers and the reply subject are in `event.trigger`, not in extensions.
 */
function decodePlain(headers: ReadonlyMap<string, string[]>, body: Buffer, contentType: string | undefined, msg: NatsMessageInput): FnEvent {
  const js = msg.jetstream;
  const msgId = first(headers, 'nats-msg-id');
  // Decoded first (it may throw), then stored straight into the event in createEvent's member order.
  const data = decodeBody(body, contentType);
  const ev = blankEvent();
  ev.specversion = '1.0';
  ev.id = msgId !== undefined && msgId !== '' ? msgId : js !== undefined ? `${js.stream}:${js.streamSequence}` : randomUUID();
  ev.source = sourceOf(msg.subject);
  ev.type = NATS_MESSAGE_EVENT_TYPE;
  ev.subject = msg.subject;
  ev.time = js?.time ?? new Date().toISOString();
  if (contentType !== undefined && contentType !== '') ev.datacontenttype = contentType;
  if (data !== undefined) ev.data = data;
  ev.trigger = triggerOf(msg);
  return ev as unknown as FnEvent;
}

/** `/nats/<subject>`, kept while the subject repeats (a JetStream consumer or a plain subscription sees one subject, or a few). */
let lastSubject = '';
let lastSource = '/nats/';
function sourceOf(subject: string): string {
  if (subject !== lastSubject) {
    lastSource = `/nats/${subject}`;
    lastSubject = subject;
  }
  return lastSource;
}

// ---------------------------------------------------------------------------------------- encode

/**
 * CloudEvent attributes → NATS binary-mode headers: `ce-<name>` for every attribute and extension,
 * percent-encoded, **including `ce-datacontenttype`** (unlike HTTP). `Content-Type` is set to the same
 * value so plain NATS clients see the data's type too (receivers choose binary mode by `ce-specversion`).
 * `contentType` is used when the attributes carry no datacontenttype.
 */
export function encodeNatsBinaryHeaders(attrs: Record<string, unknown>, contentType?: string): Record<string, string> {
  const out = encodeBinaryHeaders(attrs);
  const dct = typeof attrs.datacontenttype === 'string' ? attrs.datacontenttype : contentType;
  if (dct !== undefined && dct !== '') {
    out['ce-datacontenttype'] = dct;
    out['Content-Type'] = dct;
  }
  return out;
}

/**
 * A header value NATS accepts: no CR or LF (the client rejects them), trimmed, and bounded so a long
 * error message cannot bloat a reply or dead letter.
 */
export function safeHeaderValue(value: string, max = 1024): string {
  const flat = value.replace(/[\r\n]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
