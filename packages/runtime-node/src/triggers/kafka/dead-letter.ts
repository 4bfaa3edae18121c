import type { KafkaRecordInput } from '../../cloudevents/kafka-codec.js';
import type { OutgoingRecord } from './kafka-client.js';

/**
 * The record sent to the dead-letter topic: the original key, value and headers unchanged, plus
 * headers saying why and where it came from (all UTF-8 strings):
 *   fnkit-dlq-reason      what went wrong (the decode error or the last failure)
 *   fnkit-dlq-kind        `undecodable` (never invoked) or `failed` (the handler failed for good)
 *   fnkit-dlq-topic / fnkit-dlq-partition / fnkit-dlq-offset   the original record
 *   fnkit-dlq-attempts    invocations made (0 for an undecodable record)
 *   fnkit-dlq-group       the consumer group that gave up
 *   fnkit-dlq-time        when (RFC 3339)
 */

export const DLQ_HEADER_PREFIX = 'fnkit-dlq-';

export interface DeadLetterReason {
  kind: 'undecodable' | 'failed';
  reason: string;
  attempts: number;
  groupId: string;
}

export function deadLetterRecord(record: KafkaRecordInput, why: DeadLetterReason): OutgoingRecord {
  const headers: Record<string, Buffer | string> = {};
  for (const name in record.headers) {
    if (name.startsWith(DLQ_HEADER_PREFIX)) continue; // a record dead-lettered twice keeps only the latest reason
    const v = record.headers[name];
    if (v === undefined) continue;
    // kafkajs sends one header per name; a repeated header keeps its first value.
    const first = Array.isArray(v) ? v.find((x) => x !== undefined) : v;
    if (first !== undefined) headers[name] = first;
  }
  headers[`${DLQ_HEADER_PREFIX}reason`] = why.reason.length > 2000 ? `${why.reason.slice(0, 2000)}…` : why.reason;
  headers[`${DLQ_HEADER_PREFIX}kind`] = why.kind;
  headers[`${DLQ_HEADER_PREFIX}topic`] = record.topic;
  headers[`${DLQ_HEADER_PREFIX}partition`] = String(record.partition);
  headers[`${DLQ_HEADER_PREFIX}offset`] = record.offset;
  headers[`${DLQ_HEADER_PREFIX}attempts`] = String(why.attempts);
  headers[`${DLQ_HEADER_PREFIX}group`] = why.groupId;
  headers[`${DLQ_HEADER_PREFIX}time`] = new Date().toISOString();
  return { key: record.key, value: record.value, headers };
}
