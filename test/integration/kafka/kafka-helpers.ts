import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Kafka, logLevel, type IHeaders, type Message } from 'kafkajs';
import { sleep } from '../helpers.js';

/** The shared test broker (test/infra/kafka.sh starts it), and small producer/admin helpers for the tests. */

export const BROKER = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

const kafka = new Kafka({ clientId: 'fnkit-tests', brokers: [BROKER], logLevel: logLevel.NOTHING });

/** Fails with a message naming the script that starts the broker. */
export async function requireKafka(): Promise<void> {
  const [host, port] = BROKER.split(':') as [string, string];
  const ok = await new Promise<boolean>((resolve) => {
    const s = connect(Number(port), host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (!ok) throw new Error(`no Kafka broker on ${BROKER}: start one with \`bash test/infra/kafka.sh\` (npm test runs it)`);
}

export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const mine = topics.filter((t) => existing.has(t));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  } catch {
    // best effort
  } finally {
    await admin.disconnect();
  }
}

export async function produce(topic: string, messages: Message[], chunk = 1000): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += chunk) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + chunk) });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Reads `count` records of a topic from the beginning (a fresh group), or fails after `timeoutMs`. */
export async function readRecords(topic: string, count: number, timeoutMs = 60_000): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({ groupId: unique('reader'), maxWaitTimeInMs: 500 });
  const out: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers: headerStrings(message.headers) });
      },
    });
    const until = Date.now() + timeoutMs;
    while (out.length < count && Date.now() < until) await sleep(100);
  } finally {
    await consumer.disconnect();
  }
  if (out.length < count) throw new Error(`read ${out.length} of ${count} records from ${topic} in ${timeoutMs} ms`);
  return out;
}

/** The group's committed offsets per partition (-1 when none). */
export async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [res] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((res?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

function headerStrings(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined) out[k] = Array.isArray(v) ? v.map(String).join(',') : v.toString();
  return out;
}

/**
 * JSON lines the test handler appended to its file: complete lines only. A poll can read the file while a
 * replica's append is half done; that line is read whole on a later poll.
 */
export function readLines<T = Record<string, unknown>>(file: string): T[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}

/** Polls until `check` returns true, or fails with `describe()` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, describe: () => string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
}

/**
 * A handler that records every invocation as a JSON line in $KT_OUT (`data`: a Buffer is recorded as its
 * JSON when it parses, else as { base64 }; `dataIsBuffer` says which), and fails on request:
 * data.fail = 'always' (a 500), 'once' (a 500 on the first attempt), 'bad' (a 400: final), or
 * data.sleepMs to take time. With $KT_START it also writes a line when it starts.
 */
export const RECORDING_HANDLER = `
import { appendFileSync } from 'node:fs';
import { BadRequestError } from '@fnkit/sdk';
export default async function handler(event) {
  const t = event.trigger;
  const raw = event.data;
  let data = raw;
  if (Buffer.isBuffer(raw)) { try { data = JSON.parse(raw.toString('utf8')); } catch { data = { base64: raw.toString('base64') }; } }
  const seen = { id: event.id, type: event.type, source: event.source, specversion: event.specversion, time: event.time,
    subject: event.subject, datacontenttype: event.datacontenttype, partitionkey: event.partitionkey, ext: event.comexampleextension1,
    data, dataIsBuffer: Buffer.isBuffer(raw),
    topic: t.topic, partition: t.partition, offset: t.offset, key: t.key, headers: t.headers, attempt: t.attempt };
  if (process.env.KT_START) appendFileSync(process.env.KT_START, JSON.stringify({ id: event.id, offset: t.offset, partition: t.partition }) + '\\n');
  const sleepMs = (data && typeof data === 'object' && data.sleepMs) || Number(process.env.KT_SLEEP_MS || 0);
  if (sleepMs) await new Promise((r) => setTimeout(r, sleepMs));
  const fail = data && typeof data === 'object' ? data.fail : undefined;
  if (fail === 'bad') { appendFileSync(process.env.KT_OUT, JSON.stringify({ ...seen, failed: 400 }) + '\\n'); throw new BadRequestError('this record is wrong'); }
  if (fail === 'always' || (fail === 'once' && t.attempt === 1)) { appendFileSync(process.env.KT_OUT, JSON.stringify({ ...seen, failed: 500 }) + '\\n'); throw new Error('boom'); }
  appendFileSync(process.env.KT_OUT, JSON.stringify(seen) + '\\n');
  return 'ok';
}
`;
