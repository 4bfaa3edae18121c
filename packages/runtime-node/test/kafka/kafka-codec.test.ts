import { describe, expect, it } from 'vitest';
import { decodeKafkaEvent, decodeKafkaRecord, KAFKA_RECORD_EVENT_TYPE, type KafkaRecordInput } from '../../src/cloudevents/kafka-codec.js';
import { codecError } from '../expect-codec-error.js';

/** Conformance cases of the CloudEvents Kafka binding (shared/BINDINGS.md §4, cloudevents/conformance kafka-protocol-binding.feature). */

function record(parts: Partial<KafkaRecordInput>): KafkaRecordInput {
  return { topic: 'orders', partition: 2, offset: '41', key: null, value: null, headers: {}, timestamp: '1700000000000', ...parts };
}

const b = (s: string) => Buffer.from(s, 'utf8');

describe('Kafka binding: binary mode', () => {
  it('reads the conformance example: ce_ headers, content-type application/json, key → partitionkey', () => {
    const { mode, event } = decodeKafkaRecord(
      record({
        key: b('aaaaaa'),
        value: b('{"message":"Hello world!"}'),
        headers: {
          ce_specversion: b('1.0'),
          ce_type: b('com.example.someevent'),
          ce_source: b('/mycontext'),
          ce_id: b('A234-1234-1234'),
          ce_time: b('2018-04-05T17:31:00Z'),
          ce_comexampleextension1: b('value'),
          ce_comexampleothervalue: b('5'),
          'content-type': b('application/json'),
        },
      }),
    );
    expect(mode).toBe('binary');
    expect(event.specversion).toBe('1.0');
    expect(event.type).toBe('com.example.someevent');
    expect(event.source).toBe('/mycontext');
    expect(event.id).toBe('A234-1234-1234');
    expect(event.time).toBe('2018-04-05T17:31:00Z');
    expect(event.datacontenttype).toBe('application/json');
    expect(event.comexampleextension1).toBe('value');
    expect(event.comexampleothervalue).toBe('5');
    expect(event.partitionkey).toBe('aaaaaa');
    expect(event.data).toEqual({ message: 'Hello world!' });
    expect(event.trigger).toMatchObject({ kind: 'kafka', topic: 'orders', partition: 2, offset: '41', key: 'aaaaaa', attempt: 1 });
  });

  it('keeps a partitionkey attribute the event already has', () => {
    const { event } = decodeKafkaRecord(
      record({ key: b('k1'), headers: { ce_specversion: '1.0', ce_id: '1', ce_source: '/s', ce_type: 't', ce_partitionkey: 'mine' } }),
    );
    expect(event.partitionkey).toBe('mine');
  });

  it('no value means no data (a tombstone), with or without content-type', () => {
    const { event } = decodeKafkaRecord(record({ headers: { ce_specversion: '1.0', ce_id: '1', ce_source: '/s', ce_type: 't', 'content-type': 'application/json' } }));
    expect(event.data).toBeUndefined();
    expect(event.datacontenttype).toBe('application/json');
  });

  it('text data is a string; bytes without content-type stay a Buffer', () => {
    const text = decodeKafkaRecord(record({ value: b('héllo'), headers: { ce_specversion: '1.0', ce_id: '1', ce_source: '/s', ce_type: 't', 'content-type': 'text/plain; charset=utf-8' } }));
    expect(text.event.data).toBe('héllo');
    const bytes = decodeKafkaRecord(record({ value: Buffer.from([0xff, 0x00]), headers: { ce_specversion: '1.0', ce_id: '1', ce_source: '/s', ce_type: 't' } }));
    expect(Buffer.isBuffer(bytes.event.data)).toBe(true);
  });

  it('a missing required attribute is an error naming it and its header', () => {
    const err = codecError(() => decodeKafkaRecord(record({ headers: { ce_specversion: '1.0', ce_id: '1', ce_type: 't' } })));
    expect(err.attribute).toBe('source');
    expect(err.message).toContain("'ce_source'");
  });

  it('an unsupported specversion is an error naming specversion', () => {
    const err = codecError(() => decodeKafkaRecord(record({ headers: { ce_specversion: '2.0', ce_id: '1', ce_source: '/s', ce_type: 't' } })));
    expect(err.attribute).toBe('specversion');
  });

  it('a bad time is an error naming time', () => {
    const err = codecError(() => decodeKafkaRecord(record({ headers: { ce_specversion: '1.0', ce_id: '1', ce_source: '/s', ce_type: 't', ce_time: 'yesterday' } })));
    expect(err.attribute).toBe('time');
  });

  it('a header that is not UTF-8 is an error naming the header', () => {
    const err = codecError(() => decodeKafkaRecord(record({ headers: { ce_specversion: '1.0', ce_id: Buffer.from([0xc3, 0x28]), ce_source: '/s', ce_type: 't' } })));
    expect(err.message).toContain("'ce_id'");
  });

  it('an attribute given twice is an error', () => {
    const err = codecError(() => decodeKafkaRecord(record({ headers: { ce_specversion: '1.0', ce_id: ['1', '2'], ce_source: '/s', ce_type: 't' } })));
    expect(err.attribute).toBe('id');
  });

  it('invalid JSON under a JSON content type is an error', () => {
    const err = codecError(() => decodeKafkaRecord(record({ value: b('{nope'), headers: { ce_specversion: '1.0', ce_id: '1', ce_source: '/s', ce_type: 't', 'content-type': 'application/json' } })));
    expect(err.message).toMatch(/not valid JSON/);
  });

  it('upgrades v0.3 (schemaurl → dataschema)', () => {
    const { event } = decodeKafkaRecord(record({ headers: { ce_specversion: '0.3', ce_id: '1', ce_source: '/s', ce_type: 't', ce_schemaurl: 'https://example.com/s' } }));
    expect(event.specversion).toBe('1.0');
    expect(event.dataschema).toBe('https://example.com/s');
  });
});

describe('Kafka binding: structured mode', () => {
  const json = JSON.stringify({
    specversion: '1.0',
    type: 'com.example.someevent',
    source: '/mycontext',
    id: 'A234-1234-1234',
    time: '2018-04-05T17:31:00Z',
    comexampleextension1: 'value',
    datacontenttype: 'application/xml',
    data: '<much wow="xml"/>',
  });

  for (const contentType of ['application/cloudevents+json', 'application/cloudevents+json; charset=utf-8', 'Application/CloudEvents+JSON; Charset=UTF-8']) {
    it(`reads content-type ${contentType}`, () => {
      const { mode, event } = decodeKafkaRecord(record({ key: b('aaaaaa'), value: b(json), headers: { 'content-type': b(contentType) } }));
      expect(mode).toBe('structured');
      expect(event.id).toBe('A234-1234-1234');
      expect(event.datacontenttype).toBe('application/xml');
      expect(event.data).toBe('<much wow="xml"/>');
      expect(event.comexampleextension1).toBe('value');
      expect(event.partitionkey).toBe('aaaaaa');
    });
  }

  it('decodes data_base64 to bytes', () => {
    const v = JSON.stringify({ specversion: '1.0', id: '1', source: '/s', type: 't', data_base64: Buffer.from([1, 2, 3]).toString('base64') });
    const { event } = decodeKafkaRecord(record({ value: b(v), headers: { 'content-type': 'application/cloudevents+json' } }));
    expect(event.data).toEqual(Buffer.from([1, 2, 3]));
  });

  it('an event without id is an error naming id', () => {
    const v = JSON.stringify({ specversion: '1.0', source: '/s', type: 't' });
    const err = codecError(() => decodeKafkaRecord(record({ value: b(v), headers: { 'content-type': 'application/cloudevents+json' } })));
    expect(err.attribute).toBe('id');
  });

  it('a value that is not JSON, or no value, is an error', () => {
    expect(codecError(() => decodeKafkaRecord(record({ value: b('not json'), headers: { 'content-type': 'application/cloudevents+json' } }))).message).toMatch(/not valid JSON/);
    expect(codecError(() => decodeKafkaRecord(record({ value: null, headers: { 'content-type': 'application/cloudevents+json' } }))).message).toMatch(/no body/);
  });

  it('batches and other formats are refused with 415', () => {
    expect(codecError(() => decodeKafkaRecord(record({ value: b('[]'), headers: { 'content-type': 'application/cloudevents-batch+json' } }))).status).toBe(415);
    expect(codecError(() => decodeKafkaRecord(record({ value: b('x'), headers: { 'content-type': 'application/cloudevents+avro' } }))).status).toBe(415);
  });
});

describe('Kafka records that are not CloudEvents', () => {
  it('are wrapped: id from topic/partition/offset, source /kafka/<topic>, time from the record', () => {
    const { mode, event } = decodeKafkaRecord(record({ key: b('user-7'), value: b('{"n":1}'), headers: { trace: b('abc'), 'content-type': b('application/json') } }));
    expect(mode).toBe('plain');
    expect(event.id).toBe('orders-2-41');
    expect(event.source).toBe('/kafka/orders');
    expect(event.type).toBe(KAFKA_RECORD_EVENT_TYPE);
    expect(event.time).toBe(new Date(1700000000000).toISOString());
    expect(event.partitionkey).toBe('user-7');
    expect(event.data).toEqual({ n: 1 });
    expect(event.datacontenttype).toBe('application/json');
    expect(event.trigger).toMatchObject({ kind: 'kafka', topic: 'orders', partition: 2, offset: '41', key: 'user-7', headers: { trace: 'abc' } });
  });

  it('keys: the text in trigger.key and partitionkey, or base64 in partitionkey when the bytes are not UTF-8', () => {
    const keys = [b(''), b('k7'), b('tab\there\u0000'), b('x'.repeat(24)), b('y'.repeat(25)), b('ünï ✓'), b('a'.repeat(30) + 'é'), Buffer.from([0x6b, 0xff]), Buffer.from([0xc3])];
    for (const key of keys) {
      const { event } = decodeKafkaRecord(record({ key }));
      const utf8 = Buffer.from(key.toString('utf8'), 'utf8').equals(key);
      expect((event.trigger as { key: string }).key).toBe(key.toString('utf8'));
      expect(event.partitionkey).toBe(utf8 ? key.toString('utf8') : key.toString('base64'));
    }
  });

  it('ids name their own topic and partition when records of several come interleaved', () => {
    const parts: [string, number, string][] = [['orders', 2, '41'], ['payments', 0, '7'], ['orders', 2, '42'], ['orders', 10, '1'], ['payments', 2, '9'], ['orders', 2000, '5'], ['orders', 0, '18446744073709551615']];
    for (let round = 0; round < 2; round++) {
      for (const [topic, partition, offset] of parts) {
        expect(decodeKafkaEvent(record({ topic, partition, offset })).id).toBe(`${topic}-${partition}-${offset}`);
      }
    }
  });

  it('record timestamps become RFC 3339 with milliseconds', () => {
    for (const ms of [0, 5, 1700000000000, 1700000000007, 1700000000042, 1700000000999, 1700000001000, 4102444799999]) {
      expect(decodeKafkaRecord(record({ timestamp: String(ms) })).event.time).toBe(new Date(ms).toISOString());
    }
  });

  it('record timestamps are right when records of many partitions come interleaved', () => {
    const base = 1700000000000;
    for (let i = 0; i < 400; i++) {
      const partition = (i * 7) % 21; // 0..20: partitions 0 and 16 share a cache slot
      const ms = base + partition * 999 + Math.floor(i / 21) * (i % 3 === 0 ? 1 : 250);
      expect(decodeKafkaEvent(record({ partition, timestamp: String(ms) })).time).toBe(new Date(ms).toISOString());
    }
  });

  it('data without content-type stays bytes (only a content type says what they are)', () => {
    const { event } = decodeKafkaRecord(record({ value: b('{"n":1}') }));
    expect(event.data).toEqual(b('{"n":1}'));
    expect(event.datacontenttype).toBeUndefined();
    expect(decodeKafkaRecord(record({ value: null })).event.data).toBeUndefined();
  });

  it('data with a content-type follows it; invalid JSON under a JSON type is an error', () => {
    expect(decodeKafkaRecord(record({ value: b('[1,2]'), headers: { 'content-type': 'application/vnd.x+json' } })).event.data).toEqual([1, 2]);
    expect(decodeKafkaRecord(record({ value: b('{"a":1}'), headers: { 'content-type': 'text/plain' } })).event.data).toBe('{"a":1}');
    expect(codecError(() => decodeKafkaRecord(record({ value: b('{oops'), headers: { 'content-type': 'application/json' } }))).message).toMatch(/not valid JSON \(content-type application\/json\)/);
  });

  it('an oversized value is refused naming the limit', () => {
    const err = codecError(() => decodeKafkaRecord(record({ value: Buffer.alloc(11) }), { maxRecordBytes: 10 }));
    expect(err.message).toMatch(/11 bytes, more than the largest allowed \(10 bytes, --kafka-max-record-size\)/);
  });
});
