import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFnRun, waitForMetric, writeFunctions, type FnRun } from '../helpers.js';
import { RECORDING_HANDLER, createTopic, deleteTopics, produce, readLines, readRecords, requireKafka, unique, waitFor } from './kafka-helpers.js';

/**
 * The CloudEvents Kafka binding through the real fn-run and a real broker: binary mode, structured mode,
 * plain records wrapped, and records that cannot be decoded dead-lettered with the reason (never invoked).
 */

type Seen = Record<string, unknown> & { id: string; offset: string };

describe('fn-run --kafka: CloudEvents Kafka binding', () => {
  const topic = unique('kb');
  const dlq = `${topic}.dlq`;
  const fns = writeFunctions({ 'handler.mjs': RECORDING_HANDLER });
  const out = join(fns.dir, 'seen.jsonl');
  let fn: FnRun;

  beforeAll(async () => {
    await requireKafka();
    await createTopic(topic, 1);
    fn = await startFnRun(fns.path('handler.mjs'), ['--kafka', topic, '--kafka-from-beginning', '--kafka-group', unique('g'), '--kafka-max-record-size', '2kb'], { KT_OUT: out });
  });

  afterAll(async () => {
    await fn?.stop();
    await deleteTopics([topic, dlq]);
    fns.remove();
  });

  it('delivers binary, structured and plain records as CloudEvents, and dead-letters what cannot be decoded', async () => {
    const structured = { specversion: '1.0', id: 's-1', source: '/orders', type: 'com.example.order.created', subject: 'o-9', datacontenttype: 'application/json', data: { total: 12 } };
    await produce(topic, [
      // 0: binary mode (conformance example)
      { key: 'aaaaaa', value: '{"message":"Hello world!"}', headers: { ce_specversion: '1.0', ce_type: 'com.example.someevent', ce_source: '/mycontext', ce_id: 'A234-1234-1234', ce_time: '2018-04-05T17:31:00Z', ce_comexampleextension1: 'value', 'content-type': 'application/json' } },
      // 1: structured mode
      { key: 'k2', value: JSON.stringify(structured), headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8' } },
      // 2: a plain record with a content type
      { key: 'user-7', value: '{"n":1}', headers: { trace: 'abc', 'content-type': 'application/json' } },
      // 3: binary mode without ce_id: undecodable
      { value: 'x', headers: { ce_specversion: '1.0', ce_type: 't', ce_source: '/s' } },
      // 4: invalid JSON under a JSON content type
      { value: '{oops', headers: { 'content-type': 'application/json' } },
      // 5: structured mode with an invalid event
      { value: JSON.stringify({ specversion: '1.0', id: 'x', type: 't' }), headers: { 'content-type': 'application/cloudevents+json' } },
      // 6: oversized (more than --kafka-max-record-size 2kb)
      { value: 'z'.repeat(3000) },
      // 7: a plain record without content type, after the bad ones: the partition moved on
      { value: 'after' },
    ]);

    await waitFor(() => readLines(out).length >= 4, () => `handler saw ${readLines(out).length} of 4 records`);
    const seen = readLines<Seen>(out);
    expect(seen.map((s) => s.offset)).toEqual(['0', '1', '2', '7']);

    expect(seen[0]).toMatchObject({ id: 'A234-1234-1234', type: 'com.example.someevent', source: '/mycontext', specversion: '1.0', time: '2018-04-05T17:31:00Z', datacontenttype: 'application/json', ext: 'value', partitionkey: 'aaaaaa', data: { message: 'Hello world!' }, key: 'aaaaaa', attempt: 1 });
    expect(seen[1]).toMatchObject({ id: 's-1', type: 'com.example.order.created', source: '/orders', subject: 'o-9', datacontenttype: 'application/json', data: { total: 12 }, partitionkey: 'k2' });
    expect(seen[2]).toMatchObject({ id: `${topic}-0-2`, type: 'dev.fnkit.kafka.record', source: `/kafka/${topic}`, datacontenttype: 'application/json', partitionkey: 'user-7', data: { n: 1 }, dataIsBuffer: false, topic, partition: 0, offset: '2', key: 'user-7', headers: { trace: 'abc' } });
    expect(seen[3]).toMatchObject({ id: `${topic}-0-7`, data: { base64: Buffer.from('after').toString('base64') }, dataIsBuffer: true, key: null });

    const dead = await readRecords(dlq, 4);
    const byOffset = new Map(dead.map((r) => [r.headers['fnkit-dlq-offset'], r]));
    expect([...byOffset.keys()].sort()).toEqual(['3', '4', '5', '6']);
    for (const r of dead) {
      expect(r.headers).toMatchObject({ 'fnkit-dlq-kind': 'undecodable', 'fnkit-dlq-topic': topic, 'fnkit-dlq-partition': '0', 'fnkit-dlq-attempts': '0' });
    }
    expect(byOffset.get('3')!.headers['fnkit-dlq-reason']).toMatch(/missing required attribute 'id'/);
    expect(byOffset.get('3')!.headers.ce_source).toBe('/s'); // original headers kept
    expect(byOffset.get('4')!.headers['fnkit-dlq-reason']).toMatch(/not valid JSON/);
    expect(byOffset.get('4')!.value).toBe('{oops'); // original value kept
    expect(byOffset.get('5')!.headers['fnkit-dlq-reason']).toMatch(/'source'/);
    expect(byOffset.get('6')!.headers['fnkit-dlq-reason']).toMatch(/3000 bytes, more than the largest allowed \(2048 bytes/);

    const name = `kafka:${topic}`;
    const metrics = await waitForMetric(fn.base, new RegExp(`fnkit_trigger_lag\\{trigger="${name}",partition="0"\\} 0`), 400);
    expect(metrics).toContain(`fnkit_trigger_messages_total{trigger="${name}",event="received"} 8`);
    expect(metrics).toContain(`fnkit_trigger_messages_total{trigger="${name}",event="succeeded"} 4`);
    expect(metrics).toContain(`fnkit_trigger_messages_total{trigger="${name}",event="dead_lettered"} 4`);
  });
});
