import { isUtf8 } from 'node:buffer';
import { createEvent, validateAttributes } from '@fnkit/sdk';
import type { EventInit, FnEvent, KafkaTrigger } from '@fnkit/sdk';
import { decodeBody } from './body.js';
import { CodecError } from './codec-error.js';
import { isJsonEssence, mediaTypeEssence, startsWithIgnoreCase } from './media-type.js';
import { CE_BATCH_PREFIX, CE_JSON, CE_PREFIX, invalid, parseStructuredJson, REQUIRED_BINARY, structuredAttributes, upgradeBinaryV03 } from './structured.js';

/**
 * Kafka record → CloudEvent (CloudEvents Kafka protocol binding 1.0.2; rules in shared/BINDINGS.md §4).
 * Pure: knows nothing of the Kafka client. The adapter hands it the record's parts.
 *
 * - structured: a `content-type` header starting with `application/cloudevents` (case-insensitive);
 *   only the JSON format is read (batches are not part of the Kafka binding);
 * - binary: a `ce_specversion` header; every other attribute is a `ce_<name>` header (UTF-8, no
 *   percent-encoding); `content-type` is `datacontenttype`; the value is the data (no value: no data);
 * - plain: anything else is wrapped in a new CloudEvent (see wrapRecord).
 * The record key becomes the `partitionkey` extension unless the event carries one already.
 */

/** The `type` of an event made from a plain (non-CloudEvent) Kafka record. */
export const KAFKA_RECORD_EVENT_TYPE = 'dev.fnkit.kafka.record';

export type KafkaDecodeMode = 'binary' | 'structured' | 'plain';

/** A header value as clients give it: bytes or a string; an array when the name repeats. */
export type KafkaHeaderValue = Buffer | string | undefined | (Buffer | string | undefined)[];

/** A record as a client hands it over in a partition's batch (the batch names the topic and partition). */
export interface KafkaMessageInput {
  /** Decimal string (offsets are 64-bit). */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, KafkaHeaderValue>;
  /** Milliseconds since the epoch, as a decimal string. */
  timestamp: string;
}

export interface KafkaRecordInput extends KafkaMessageInput {
  topic: string;
  partition: number;
}

export interface KafkaDecodeOptions {
  /** Records whose value is larger are refused (dead-lettered by the adapter). */
  maxRecordBytes?: number;
  /** 1 for the first delivery. */
  attempt?: number;
}

export interface DecodedKafkaRecord {
  mode: KafkaDecodeMode;
  event: FnEvent;
}


/** The record as a CloudEvent, and which mode it was sent in. */
export function decodeKafkaRecord(record: KafkaRecordInput, options: KafkaDecodeOptions = {}): DecodedKafkaRecord {
  const event = decodeKafkaEvent(record, options);
  return { mode: kafkaDecodeMode(record.headers), event };
}

/** The mode a record is in (its headers were read without error by decodeKafkaEvent). */
function kafkaDecodeMode(headers: Record<string, KafkaHeaderValue>): KafkaDecodeMode {
  const contentType = singleHeader(headers, 'content-type');
  if (contentType !== undefined && startsWithIgnoreCase(contentType, CE_PREFIX)) return 'structured';
  return findHeader(headers, 'ce_specversion') !== undefined ? 'binary' : 'plain';
}

/** The record as a CloudEvent (decodeKafkaRecord without the mode). */
export function decodeKafkaEvent(record: KafkaRecordInput, options: KafkaDecodeOptions = {}): FnEvent {
  return decodeKafkaMessage(record.topic, record.partition, record, options);
}

/** A record of `topic`'s `partition` as a CloudEvent: what the adapter calls for every record, on the client's own objects. */
export function decodeKafkaMessage(topic: string, partition: number, record: KafkaMessageInput, options: KafkaDecodeOptions = {}): FnEvent {
  const max = options.maxRecordBytes;
  const size = record.value?.length ?? 0;
  if (max !== undefined && size > max) {
    throw new CodecError(400, `record value is ${size} bytes, more than the largest allowed (${max} bytes, --kafka-max-record-size)`);
  }
  const trigger = triggerOf(topic, partition, record, options.attempt ?? 1);
  const contentType = singleHeader(record.headers, 'content-type');
  if (contentType !== undefined && startsWithIgnoreCase(contentType, CE_PREFIX)) {
    const essence = mediaTypeEssence(contentType);
    if (startsWithIgnoreCase(contentType, CE_BATCH_PREFIX)) {
      throw new CodecError(415, `content-type '${essence}': batched CloudEvents are not part of the Kafka binding; send one event per record`);
    }
    if (essence !== CE_JSON) {
      throw new CodecError(415, `unsupported CloudEvents format '${essence}': fnkit reads ${CE_JSON} (or binary mode with ce_* headers)`);
    }
    const parsed = parseStructuredJson(record.value ?? undefined, 'structured-mode');
    const attrs = structuredAttributes(parsed, '');
    addPartitionKey(attrs, record.key, trigger.key);
    return createEvent(attrs, trigger);
  }
  if (findHeader(record.headers, 'ce_specversion') !== undefined) return decodeBinary(record, contentType, trigger);
  return wrapRecord(topic, partition, record, contentType, trigger);
}

function decodeBinary(record: KafkaMessageInput, contentType: string | undefined, trigger: KafkaTrigger): FnEvent {
  const attrs: Record<string, unknown> = {};
  for (const rawName in record.headers) {
    if (rawName.length <= 3 || !startsWithIgnoreCase(rawName, 'ce_')) continue;
    const name = rawName.slice(3).toLowerCase();
    const values = headerList(record.headers[rawName]);
    if (values.length === 0) continue;
    if (values.length > 1 || attrs[name] !== undefined) {
      throw new CodecError(400, `invalid CloudEvent (binary mode): attribute '${name}' is given more than once (header '${rawName}'); each attribute appears at most once`, name);
    }
    attrs[name] = utf8Header(values[0]!, rawName, name);
  }
  for (const name of REQUIRED_BINARY) {
    if (attrs[name] === undefined) {
      throw new CodecError(400, `invalid CloudEvent (binary mode): missing required attribute '${name}' (header 'ce_${name}')`, name);
    }
  }
  if (attrs.specversion === '0.3') upgradeBinaryV03(attrs);
  // The binding maps content-type to datacontenttype; a ce_datacontenttype header is accepted when it agrees.
  const ceType = attrs.datacontenttype as string | undefined;
  if (contentType !== undefined) {
    if (ceType !== undefined && mediaTypeEssence(ceType) !== mediaTypeEssence(contentType)) {
      throw new CodecError(400, `invalid CloudEvent (binary mode): header 'ce_datacontenttype' (${ceType}) disagrees with 'content-type' (${contentType}); send content-type only`, 'datacontenttype');
    }
    attrs.datacontenttype = contentType;
  }
  try {
    validateAttributes(attrs);
  } catch (err) {
    invalid(err, ' (binary mode)');
  }
  addPartitionKey(attrs, record.key, trigger.key);
  attrs.data = decodeValue(record.value, attrs.datacontenttype as string | undefined);
  return createEvent(attrs as EventInit, trigger);
}

/**
 * A record that is not a CloudEvent becomes one: id `<topic>-<partition>-<offset>` (the same on every
 * redelivery, so handlers can deduplicate), source `/kafka/<topic>`, type KAFKA_RECORD_EVENT_TYPE,
 * time = the record timestamp, `partitionkey` = the key. Data follows the content-type header (JSON parsed,
 * text a string, anything else a Buffer); without one the value stays bytes (a Buffer), as in the HTTP and
 * NATS bindings: only a content type says what the bytes are.
 */
function wrapRecord(topic: string, partition: number, record: KafkaMessageInput, contentType: string | undefined, trigger: KafkaTrigger): FnEvent {
  const attrs: EventInit = {
    specversion: '1.0',
    id: `${idPrefix(topic, partition)}${record.offset}`,
    source: sourceOf(topic),
    type: KAFKA_RECORD_EVENT_TYPE,
    time: trigger.timestamp,
  };
  if (contentType !== undefined && contentType !== '') attrs.datacontenttype = contentType;
  addPartitionKey(attrs, record.key, trigger.key);
  attrs.data = decodeValue(record.value, contentType === '' ? undefined : contentType);
  return createEvent(attrs, trigger);
}

let lastTopic = '';
let lastSource = '';
let prefixTopic = '';
let prefixes: string[] = [];
const prefixesByTopic = new Map<string, string[]>();

/** `<topic>-<partition>-`, made once per partition rather than per record (the ids' common part). */
function idPrefix(topic: string, partition: number): string {
  if (topic !== prefixTopic) {
    prefixTopic = topic;
    let known = prefixesByTopic.get(topic);
    if (known === undefined) {
      if (prefixesByTopic.size >= 256) prefixesByTopic.clear(); // bounded, whatever the topics
      known = [];
      prefixesByTopic.set(topic, known);
    }
    prefixes = known;
  }
  let prefix = prefixes[partition];
  if (prefix === undefined) {
    prefix = `${topic}-${partition}-`;
    if (partition < 1024) prefixes[partition] = prefix;
  }
  return prefix;
}

/** `/kafka/<topic>`, made once per topic change rather than per record. */
function sourceOf(topic: string): string {
  if (topic !== lastTopic) {
    lastTopic = topic;
    lastSource = `/kafka/${topic}`;
  }
  return lastSource;
}

function decodeValue(value: Buffer | null, contentType: string | undefined): unknown {
  if (value === null || value.length === 0) return undefined;
  if (contentType !== undefined && isJsonEssence(mediaTypeEssence(contentType))) {
    try {
      return JSON.parse(value.toString('utf8'));
    } catch (err) {
      throw new CodecError(400, `record value is not valid JSON (content-type ${contentType}): ${(err as Error).message}`);
    }
  }
  return decodeBody(value, contentType);
}

/** `text` is the key already decoded as UTF-8 (the trigger details' `key`). */
function addPartitionKey(attrs: Record<string, unknown>, key: Buffer | null, text: string | null): void {
  if (key === null || attrs.partitionkey !== undefined) return;
  attrs.partitionkey = text !== null && (asciiText(key) !== undefined || isUtf8(key)) ? text : key.toString('base64');
}

/**
 * A short key of ASCII bytes (most keys: ids, names) as text, decoded here: Buffer#toString and isUtf8
 * are native calls costing ~0.2 µs per record together, this ~0.05 µs. Undefined for anything else.
 */
function asciiText(bytes: Buffer): string | undefined {
  const n = bytes.length;
  if (n > 24) return undefined;
  let text = '';
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c > 0x7f) return undefined;
    text += String.fromCharCode(c);
  }
  return text;
}

function triggerOf(topic: string, partition: number, record: KafkaMessageInput, attempt: number): KafkaTrigger {
  const headers: Record<string, string> = {};
  for (const name in record.headers) {
    const v = record.headers[name];
    if (v === undefined) continue;
    if (!Array.isArray(v)) {
      headers[name] = typeof v === 'string' ? v : v.toString('utf8');
      continue;
    }
    const list = headerList(v);
    if (list.length > 0) headers[name] = list.map((x) => (typeof x === 'string' ? x : x.toString('utf8'))).join(', ');
  }
  return {
    kind: 'kafka',
    topic,
    partition,
    offset: record.offset,
    key: record.key === null ? null : (asciiText(record.key) ?? record.key.toString('utf8')),
    keyBytes: record.key,
    headers,
    timestamp: isoTime(record.timestamp, partition),
    attempt,
  };
}

/**
 * isoTime's caches, one slot per partition (numbers modulo 16): a partition's records are in time
 * order, while the adapter works the partitions at once, so one cache for all of them kept missing.
 */
const SLOTS = 16;
const slotStamp: string[] = new Array<string>(SLOTS).fill('');
const slotIso: string[] = new Array<string>(SLOTS).fill('');
const slotSecond: number[] = new Array<number>(SLOTS).fill(-1);
const slotPrefix: string[] = new Array<string>(SLOTS).fill('');

/**
 * A record timestamp (epoch ms as a string) in RFC 3339 UTC with milliseconds. Date#toISOString costs
 * about a microsecond, as much as the rest of the decoding: the part up to the second is formatted once
 * per second (records of a batch are close in time) and the milliseconds appended; records of a batch
 * often share their millisecond, and then the previous answer is reused.
 */
function isoTime(stamp: string, partition: number): string {
  const slot = partition & (SLOTS - 1);
  if (stamp === slotStamp[slot]) return slotIso[slot]!;
  let ms = Number(stamp);
  if (!Number.isFinite(ms) || ms < 0) return new Date(Date.now()).toISOString(); // no usable timestamp: now (never cached)
  ms = Math.floor(ms);
  let iso: string;
  if (ms >= 253402300800000) iso = new Date(ms).toISOString(); // past year 9999: the extended format
  else {
    const second = Math.floor(ms / 1000);
    if (second !== slotSecond[slot]) {
      slotSecond[slot] = second;
      slotPrefix[slot] = new Date(second * 1000).toISOString().slice(0, 20); // 'YYYY-MM-DDTHH:MM:SS.'
    }
    const frac = ms - second * 1000;
    iso = `${slotPrefix[slot]!}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
  }
  slotStamp[slot] = stamp;
  slotIso[slot] = iso;
  return iso;
}

function headerList(v: KafkaHeaderValue): (Buffer | string)[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.filter((x): x is Buffer | string => x !== undefined);
  return [v];
}

function utf8Header(v: Buffer | string, header: string, attribute: string): string {
  if (typeof v === 'string') return v;
  if (!isUtf8(v)) throw new CodecError(400, `invalid CloudEvent (binary mode): header '${header}' is not valid UTF-8`, attribute);
  return v.toString('utf8');
}

/** The header's name as sent, matched case-insensitively. */
function findHeader(headers: Record<string, KafkaHeaderValue>, lowerName: string): string | undefined {
  if (headers[lowerName] !== undefined) return lowerName;
  for (const name in headers) if (name.length === lowerName.length && name.toLowerCase() === lowerName) return name;
  return undefined;
}

function singleHeader(headers: Record<string, KafkaHeaderValue>, lowerName: string): string | undefined {
  const name = findHeader(headers, lowerName);
  if (name === undefined) return undefined;
  const list = headerList(headers[name]);
  if (list.length === 0) return undefined;
  if (list.length > 1) throw new CodecError(400, `header '${name}' is given ${list.length} times; give it once`);
  const v = list[0]!;
  if (typeof v !== 'string' && !isUtf8(v)) throw new CodecError(400, `header '${name}' is not valid UTF-8`);
  return typeof v === 'string' ? v : v.toString('utf8');
}
