// Microbench (in-process, no broker): CPU µs per record through fn-run's Kafka adapter, invoker, runner and
// invocation log line (JSON, to fd 1: redirect it to /dev/null), fed batches of plain records like bench/kafka.mjs
// produces, from a fake consumer client (kafkajs's own fetch and decode are not included).
// Run: node_modules/.bin/esbuild bench/lib/kafka-micro.ts --bundle --platform=node --format=esm --packages=external \
//   --alias:@fnkit/sdk=./packages/sdk/src/index.ts --outfile=bench/.work/kafka-micro.mjs && node bench/.work/kafka-micro.mjs >/dev/null
// (env LOG_LEVEL=warn for the line's share; bundle another checkout the same way for an A/B).
import { Registry } from 'prom-client';
import type { KafkaRecordInput } from '../../packages/runtime-node/src/cloudevents/kafka-codec.js';
import { FunctionInvoker } from '../../packages/runtime-node/src/invoker/invoker.js';
import { InProcessRunner } from '../../packages/runtime-node/src/invoker/runner.js';
import { createLogger } from '../../packages/runtime-node/src/observability/logger.js';
import { RuntimeMetrics } from '../../packages/runtime-node/src/observability/metrics.js';
import { KafkaAdapter } from '../../packages/runtime-node/src/triggers/kafka/kafka-adapter.js';
import type { ConsumerEvents, KafkaClient } from '../../packages/runtime-node/src/triggers/kafka/kafka-client.js';
import { TriggerMetrics } from '../../packages/runtime-node/src/triggers/trigger-metrics.js';

const TOTAL = Number(process.env.RECORDS ?? 400_000);
const PARTITIONS = 4;
const BATCH = 500;
const log = createLogger({ logLevel: (process.env.LOG_LEVEL ?? 'info') as 'info', logFormat: 'json', functionName: 'handler' });
const metrics = new RuntimeMetrics('handler');
let handled = 0;
let done: () => void = () => undefined;
const runner = new InProcessRunner(
  () => {
    if (++handled === TOTAL) done();
  },
  { functionName: 'handler', handlerName: 'handler', runtime: 'nodejs20', memoryLimit: undefined, timeoutMs: 30_000, log },
);
const invoker = new FunctionInvoker({ concurrency: 0, queueSize: 100, runner, metrics, log });
let events!: ConsumerEvents;
const client: KafkaClient = {
  consumer: () => ({
    async start(e: ConsumerEvents) {
      events = e;
      e.onAssignment(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'bench-kafka-mwtq4qbf-07bd20', partition })));
      e.onConnection('up');
    },
    pause() {},
    resume() {},
    async commit() {},
    lastActivity: () => Date.now(),
    async stop() {},
  }),
  producer: () => ({ async connect() {}, async send() {}, async disconnect() {} }),
};
const config = { topics: ['bench-kafka-mwtq4qbf-07bd20'], groupId: 'g', brokers: ['127.0.0.1:9092'], fromBeginning: true, sessionTimeoutMs: 30_000, partitionConcurrency: PARTITIONS, retries: 3, retryBackoffMs: 100, retryMaxBackoffMs: 1000, deadLetter: {}, maxRecordBytes: 1 << 20, clientId: 'c' };
const adapter = new KafkaAdapter(config as never, { invoker, log, registry: new Registry(), metrics: new TriggerMetrics(metrics.registry), shutdownSignal: new AbortController().signal }, client);
await adapter.start();

const offsets = new Array<number>(PARTITIONS).fill(0);
const keys = Array.from({ length: 1000 }, (_, j) => Buffer.from(`k${j}`));
const values = Array.from({ length: 4096 }, (_, j) => Buffer.from(JSON.stringify({ id: j, item: 'buy milk', added: '2026-11-23T10:00:00Z' })));
/** A batch as kafkajs-client.ts hands it over (the bytes come from a pool: kafkajs's own decoding is not measured). */
function batch(partition: number) {
  const records: KafkaRecordInput[] = new Array(BATCH);
  for (let i = 0; i < BATCH; i++) {
    const o = offsets[partition]++;
    const j = o * PARTITIONS + partition;
    records[i] = { topic: 'bench-kafka-mwtq4qbf-07bd20', partition, offset: String(o), key: keys[j % 1000]!, value: values[j & 4095]!, headers: {}, timestamp: String(1795466081965 + (o >> 4)) };
  }
  return { topic: 'bench-kafka-mwtq4qbf-07bd20', partition, highWatermark: '99999999', records };
}
// Batches as kafkajs hands them over: one partition at a time, a macrotask between them.
const finished = new Promise<void>((r) => (done = r));
let fed = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const feed = () => {
  if (fed >= TOTAL) return;
  for (let p = 0; p < PARTITIONS && fed < TOTAL; p++, fed += BATCH) events.onBatch(batch(p));
  setImmediate(feed);
};
feed();
await finished;
const c = process.cpuUsage(cpu0);
const ms = performance.now() - t0;
process.stderr.write(`${TOTAL} records: ${((c.user + c.system) / TOTAL).toFixed(2)} CPU µs/record, ${Math.round(TOTAL / (ms / 1000))} records/s\n`);
await adapter.stop();
