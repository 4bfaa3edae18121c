import type { CloudEventAttributes, FnEvent, TriggerDetails } from './types.js';

/**
 * CloudEvents v1.0 attribute rules (spec v1.0.2 §3) and the event object handlers receive.
 * Hand-written rather than taken from the `cloudevents` package: its receive path does no validation
 * and costs ~22 µs per decode (shared/DESIGN.md); these checks are a few hundred nanoseconds.
 */

export const SPEC_VERSION = '1.0';

/** Names fnkit uses on the event object itself; an incoming extension may not take them. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['trigger', 'extensions', 'data', 'data_base64']);

const EXTENSION_NAME = /^[a-z0-9]+$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;
// Control characters are not allowed in CloudEvents strings (spec §3.1.1 "String").
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const URI_FORBIDDEN = /[\s"<>\\^`{|}]/;

export class CloudEventValidationError extends Error {
  /** The attribute that was wrong, e.g. `source`, or `specversion`. */
  readonly attribute: string;
  constructor(attribute: string, message: string) {
    super(message);
    this.name = 'CloudEventValidationError';
    this.attribute = attribute;
  }
}

export function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return false;
  if (m[9] !== undefined && (Number(m[10]) > 23 || Number(m[11]) > 59)) return false;
  return !Number.isNaN(Date.parse(value));
}

/**
 * Checks a CloudEvent's attributes (not its data). Returns nothing when valid; throws a
 * CloudEventValidationError naming the first bad attribute otherwise.
 * `extensions` are the members that are not core attributes, `data` or `data_base64`.
 */
export function validateAttributes(event: Record<string, unknown>): void {
  const sv = event.specversion;
  if (sv === undefined || sv === null || sv === '') throw new CloudEventValidationError('specversion', "missing required attribute 'specversion'");
  if (sv !== SPEC_VERSION) throw new CloudEventValidationError('specversion', `unsupported specversion ${JSON.stringify(sv)}: expected "1.0"`);
  requiredString('id', event.id);
  requiredString('source', event.source);
  requiredString('type', event.type);
  const source = event.source as string;
  if (!plainUriReference(source) && URI_FORBIDDEN.test(source)) {
    throw new CloudEventValidationError('source', `attribute 'source' must be a URI-reference, got ${JSON.stringify(event.source)}`);
  }
  optionalString('time', event.time);
  optionalString('subject', event.subject);
  optionalString('datacontenttype', event.datacontenttype);
  optionalString('dataschema', event.dataschema);
  if (typeof event.time === 'string' && !isRfc3339(event.time)) {
    throw new CloudEventValidationError('time', `attribute 'time' must be an RFC 3339 timestamp, got ${JSON.stringify(event.time)}`);
  }
  if (typeof event.dataschema === 'string' && (!URI_SCHEME.test(event.dataschema) || URI_FORBIDDEN.test(event.dataschema))) {
    throw new CloudEventValidationError('dataschema', `attribute 'dataschema' must be an absolute URI, got ${JSON.stringify(event.dataschema)}`);
  }
  for (const name in event) {
    if (isCoreOrData(name)) continue;
    const v = event[name];
    if (v === undefined || v === null) continue;
    validateExtension(name, v);
  }
}

// The value is read by the caller with a named property load: a keyed load by a different name on
// every call would go through V8's megamorphic stub cache.
function requiredString(name: 'id' | 'source' | 'type', v: unknown): void {
  if (v === undefined || v === null) throw new CloudEventValidationError(name, `missing required attribute '${name}'`);
  if (typeof v !== 'string') throw new CloudEventValidationError(name, `attribute '${name}' must be a string, got ${typeof v}`);
  if (v.length === 0) throw new CloudEventValidationError(name, `attribute '${name}' must not be empty`);
  if (hasControl(v)) throw new CloudEventValidationError(name, `attribute '${name}' contains a control character`);
}

function optionalString(name: 'time' | 'subject' | 'datacontenttype' | 'dataschema', v: unknown): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'string') throw new CloudEventValidationError(name, `attribute '${name}' must be a string, got ${typeof v}`);
  if (v.length === 0) throw new CloudEventValidationError(name, `attribute '${name}' must not be empty when present`);
  if (hasControl(v)) throw new CloudEventValidationError(name, `attribute '${name}' contains a control character`);
}

// The checks below run for every event a trigger decodes. Most attribute values are short printable
// ASCII, for which a charCodeAt loop answers in a few nanoseconds; only other strings go to the
// regular expressions (whose per-call cost was as much as the JSON parse of a small body).

/** True when `s` has a control character (CONTROL), answered without a regex for printable ASCII. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return CONTROL.test(s);
  }
  return false;
}

/** True when `s` is printable ASCII with none of URI_FORBIDDEN's characters; false means "ask the regex". */
function plainUriReference(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // space " < > \ ^ ` { | } and anything outside printable ASCII
    if (c <= 0x20 || c > 0x7a || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x5c || c === 0x5e || c === 0x60) {
      if (c === 0x7e) continue; // '~' is allowed
      return false;
    }
  }
  return true;
}

/** Checks one extension attribute's name and value. */
export function validateExtension(name: string, value: unknown): void {
  if (!EXTENSION_NAME.test(name)) {
    throw new CloudEventValidationError(name, `extension attribute name ${JSON.stringify(name)} is invalid: use only lower-case letters a-z and digits 0-9`);
  }
  if (RESERVED_NAMES.has(name)) {
    throw new CloudEventValidationError(name, `extension attribute name '${name}' is reserved by fnkit`);
  }
  switch (typeof value) {
    case 'string':
      if (hasControl(value)) throw new CloudEventValidationError(name, `extension attribute '${name}' contains a control character`);
      return;
    case 'boolean':
      return;
    case 'number':
      if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
        throw new CloudEventValidationError(name, `extension attribute '${name}' must be a 32-bit integer, got ${value}`);
      }
      return;
    default:
      throw new CloudEventValidationError(name, `extension attribute '${name}' must be a string, integer or boolean, got ${typeof value}`);
  }
}

export function isCoreOrData(name: string): boolean {
  switch (name) {
    case 'id': case 'source': case 'type': case 'specversion': case 'time': case 'subject':
    case 'datacontenttype': case 'dataschema': case 'data': case 'data_base64':
      return true;
    default:
      return false;
  }
}

/** Legacy (Kubeless) header values kept beside the event, under a symbol so they never serialise. */
export const LEGACY = Symbol.for('fnkit.legacy');

export interface LegacyAliases {
  eventType?: string;
  eventNamespace?: string;
}

/** The object handlers receive: a plain CloudEvent plus `trigger`, with Kubeless aliases as getters. */
class EventRecord {
  declare [LEGACY]?: LegacyAliases;
  declare id: string;
  declare type: string;
  declare time?: string;
  declare trigger: TriggerDetails;
  get 'event-id'(): string {
    return this.id;
  }
  get 'event-type'(): string {
    return this[LEGACY]?.eventType ?? this.type;
  }
  get 'event-time'(): string {
    return this.time ?? '';
  }
  get 'event-namespace'(): string {
    return this[LEGACY]?.eventNamespace ?? `${this.trigger.kind}.fnkit.dev`;
  }
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(this)) {
      if (k === 'extensions' || k === 'trigger') continue;
      const v = (this as unknown as Record<string, unknown>)[k];
      if (k === 'data' && isBinary(v)) {
        out.data_base64 = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
        continue;
      }
      out[k] = v;
    }
    return out;
  }
}

function isBinary(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

export interface EventInit extends CloudEventAttributes {
  data?: unknown;
  [extension: string]: unknown;
}

/**
 * Builds the event a handler receives. Does not validate: codecs validate at the boundary.
 * `attrs` members are copied as they are (core attributes, extensions, data).
 */
export function createEvent<TData = unknown>(
  attrs: EventInit,
  trigger: TriggerDetails,
  legacy?: LegacyAliases,
  extensions?: { request?: unknown; response?: unknown },
): FnEvent<TData> {
  const ev = new EventRecord() as unknown as Record<string | symbol, unknown>;
  for (const k in attrs) {
    const v = attrs[k];
    if (v !== undefined) ev[k] = v;
  }
  ev.trigger = trigger;
  if (extensions) ev.extensions = extensions;
  if (legacy) Object.defineProperty(ev, LEGACY, { value: legacy, enumerable: false });
  return ev as unknown as FnEvent<TData>;
}

/**
 * An event with no members yet, for a codec that writes the attributes straight into it instead of into
 * an object createEvent then copies (one object and one copy less per event). The codec stores the
 * attributes (by names an extension may have: the event's Kubeless getters such as 'event-id' cannot be
 * assigned), validates them with validateAttributes, then sets `data` (when defined) and `trigger` last,
 * which is the member order createEvent gives.
 */
export function blankEvent(): Record<string, unknown> {
  return new EventRecord() as unknown as Record<string, unknown>;
}

/** True for a CloudEvent-shaped value: a `cloudevents` CloudEvent instance, an FnEvent, or a plain object with the four required attributes. */
export function looksLikeCloudEvent(v: unknown): v is CloudEventAttributes & Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.specversion === 'string' && typeof o.id === 'string' && typeof o.type === 'string' && typeof o.source === 'string';
}
