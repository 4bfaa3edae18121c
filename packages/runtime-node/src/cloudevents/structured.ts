import { CloudEventValidationError, validateAttributes } from '@fnkit/sdk';
import type { EventInit } from '@fnkit/sdk';
import { CodecError } from './codec-error.js';

/**
 * The parts of CloudEvents decoding every protocol binding shares (HTTP, Kafka, NATS): the JSON event
 * format (structured mode) and the v0.3 → 1.0 upgrade. Errors are CodecErrors naming the attribute.
 */

/** Content types and attributes every binding's decoder checks (CloudEvents spec and JSON event format). */
export const CE_PREFIX = 'application/cloudevents';
export const CE_BATCH_PREFIX = 'application/cloudevents-batch';
export const CE_JSON = 'application/cloudevents+json';
export const CE_BATCH_JSON = 'application/cloudevents-batch+json';
/** The attributes a binary-mode message must carry in its headers. */
export const REQUIRED_BINARY = ['id', 'source', 'type'] as const;

/** A CloudEventValidationError becomes a 400 CodecError naming the attribute; anything else is rethrown. */
export function invalid(err: unknown, context: string): never {
  if (err instanceof CloudEventValidationError) {
    throw new CodecError(400, `invalid CloudEvent${context}: ${err.message}`, err.attribute);
  }
  throw err;
}

/** v0.3 → 1.0 in binary mode: `schemaurl` became `dataschema`; the body already is the data bytes. */
export function upgradeBinaryV03(attrs: Record<string, unknown>): void {
  attrs.specversion = '1.0';
  if (attrs.schemaurl !== undefined) {
    attrs.dataschema = attrs.schemaurl;
    delete attrs.schemaurl;
  }
  delete attrs.datacontentencoding;
}

/** Parses a structured-mode body as JSON; `what` names the mode in the error (e.g. 'structured-mode'). */
export function parseStructuredJson(body: Buffer | undefined, what: string): unknown {
  if (body === undefined || body.length === 0) {
    throw new CodecError(400, `invalid CloudEvent: ${what} message has no body; send the event as JSON`);
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new CodecError(400, `invalid CloudEvent: body is not valid JSON: ${(err as Error).message}`);
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function jsonKind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

/**
 * A JSON-format event → attributes and data (JSON event format §3): `null` members are unset,
 * `data_base64` → Buffer, `data` used as it is (a JSON string is never parsed again), v0.3 → 1.0.
 * `context` is '' for a single event or ' batch: event [i]' for a batch element.
 */
export function structuredAttributes(parsed: unknown, context: string): EventInit {
  if (!isObject(parsed)) {
    throw new CodecError(400, `invalid CloudEvent${context}: the event must be a JSON object, got ${jsonKind(parsed)}`);
  }
  const attrs: Record<string, unknown> = {};
  for (const key in parsed) {
    const v = parsed[key];
    if (v === null && key !== 'data') continue; // null = unset (JSON format §2.4)
    attrs[key] = v;
  }
  if (attrs.specversion === '0.3') upgradeStructuredV03(attrs, context);
  if (attrs.data_base64 !== undefined) {
    if (attrs.data !== undefined) {
      throw new CodecError(400, `invalid CloudEvent${context}: 'data' and 'data_base64' are mutually exclusive`, 'data_base64');
    }
    if (typeof attrs.data_base64 !== 'string') {
      throw new CodecError(400, `invalid CloudEvent${context}: 'data_base64' must be a base64 string, got ${jsonKind(attrs.data_base64)}`, 'data_base64');
    }
    attrs.data = Buffer.from(attrs.data_base64, 'base64');
    delete attrs.data_base64;
  }
  try {
    validateAttributes(attrs);
  } catch (err) {
    invalid(err, context);
  }
  return attrs as EventInit;
}

/** v0.3 → 1.0: `schemaurl` → `dataschema`; `datacontentencoding: base64` → data decoded to bytes. */
function upgradeStructuredV03(attrs: Record<string, unknown>, context: string): void {
  attrs.specversion = '1.0';
  if (attrs.schemaurl !== undefined) {
    attrs.dataschema = attrs.schemaurl;
    delete attrs.schemaurl;
  }
  const encoding = attrs.datacontentencoding;
  if (encoding === undefined) return;
  delete attrs.datacontentencoding;
  if (typeof encoding !== 'string' || encoding.toLowerCase() !== 'base64') {
    throw new CodecError(400, `invalid CloudEvent${context}: datacontentencoding ${JSON.stringify(encoding)} is not supported (v0.3 defines only "base64")`, 'datacontentencoding');
  }
  if (typeof attrs.data === 'string') attrs.data = Buffer.from(attrs.data, 'base64');
}
