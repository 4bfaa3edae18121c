import { describe, expect, it } from 'vitest';
import { createEvent } from '@fnkit/sdk';
import { decodeNatsEvent, decodeNatsMessage, encodeNatsBinaryHeaders, NATS_MESSAGE_EVENT_TYPE, safeHeaderValue, type NatsMessageInput } from '../../src/cloudevents/nats-codec.js';
import { codecError } from '../expect-codec-error.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

function msg(headers: Record<string, string | string[]>, body: string | Uint8Array, extra: Partial<NatsMessageInput> = {}): NatsMessageInput {
  const h: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) h[k] = Array.isArray(v) ? v : [v];
  return { subject: 'orders.created', headers: h, data: typeof body === 'string' ? utf8(body) : body, ...extra };
}

describe('NATS binding: binary mode', () => {
  it('decodes the spec example (ce-* headers, ce-datacontenttype)', () => {
    const { mode, event } = decodeNatsMessage(
      msg(
        {
          'ce-specversion': '1.0',
          'ce-type': 'com.example.someevent',
          'ce-time': '2018-04-05T03:56:24Z',
          'ce-id': '1234-1234-1234',
          'ce-source': '/mycontext/subcontext',
          'ce-datacontenttype': 'application/json',
          'ce-comexampleextension1': 'value',
        },
        '{"hello":"world"}',
      ),
    );
    expect(mode).toBe('binary');
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'com.example.someevent',
      time: '2018-04-05T03:56:24Z',
      id: '1234-1234-1234',
      source: '/mycontext/subcontext',
      datacontenttype: 'application/json',
      comexampleextension1: 'value',
      data: { hello: 'world' },
    });
    expect(event.trigger).toEqual({ kind: 'nats', subject: 'orders.created', headers: expect.any(Object) });
  });

  it('matches header names case-insensitively and percent-decodes values', () => {
    const { event } = decodeNatsMessage(msg({ 'Ce-SpecVersion': '1.0', 'CE-ID': 'a%20b', 'ce-Source': '/s', 'ce-type': 't', 'ce-subject': 'caf%C3%A9' }, 'x'));
    expect(event.id).toBe('a b');
    expect(event.subject).toBe('café');
    expect(event.data).toBeInstanceOf(Buffer);
  });

  it('falls back to Content-Type for datacontenttype', () => {
    const { event } = decodeNatsMessage(msg({ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't', 'Content-Type': 'text/plain; charset=utf-8' }, 'hi'));
    expect(event.datacontenttype).toBe('text/plain; charset=utf-8');
    expect(event.data).toBe('hi');
  });

  it('prefers ce-datacontenttype over Content-Type', () => {
    const { event } = decodeNatsMessage(msg({ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't', 'ce-datacontenttype': 'application/json', 'content-type': 'text/plain' }, '[1]'));
    expect(event.data).toEqual([1]);
  });

  it('upgrades v0.3 (schemaurl → dataschema)', () => {
    const { event } = decodeNatsMessage(msg({ 'ce-specversion': '0.3', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't', 'ce-schemaurl': 'https://x/s.json' }, ''));
    expect(event.specversion).toBe('1.0');
    expect(event.dataschema).toBe('https://x/s.json');
    expect(event.data).toBeUndefined();
  });

  it.each([
    [{ 'ce-specversion': '1.0', 'ce-source': '/s', 'ce-type': 't' }, 'id'],
    [{ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-type': 't' }, 'source'],
    [{ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s' }, 'type'],
    [{ 'ce-specversion': '2.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't' }, 'specversion'],
    [{ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't', 'ce-time': 'yesterday' }, 'time'],
    [{ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't', 'ce-Bad_Name': 'x' }, 'bad_name'],
    [{ 'ce-specversion': '1.0', 'ce-id': ['1', '2'], 'ce-source': '/s', 'ce-type': 't' }, 'id'],
  ])('rejects an invalid binary event %j naming the attribute', (headers, attribute) => {
    const err = codecError(() => decodeNatsMessage(msg(headers, '')));
    expect(err.status).toBe(400);
    expect(err.attribute).toBe(attribute);
    expect(err.message).toContain(attribute);
  });

  it('rejects invalid JSON under a JSON content type', () => {
    const err = codecError(() => decodeNatsMessage(msg({ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't', 'ce-datacontenttype': 'application/json' }, '{nope')));
    expect(err.message).toMatch(/not valid JSON/);
  });
});

describe('NATS binding: structured mode', () => {
  const event = { specversion: '1.0', id: 'e1', source: 'urn:x', type: 'com.example', datacontenttype: 'application/json', data: { a: 1 } };

  it('decodes application/cloudevents+json (any case, with charset)', () => {
    for (const ct of ['application/cloudevents+json', 'Application/CloudEvents+JSON; charset=UTF-8']) {
      const out = decodeNatsMessage(msg({ 'Content-Type': ct }, JSON.stringify(event)));
      expect(out.mode).toBe('structured');
      expect(out.event).toMatchObject(event);
    }
  });

  it('decodes data_base64 to bytes', () => {
    const out = decodeNatsMessage(msg({ 'content-type': 'application/cloudevents+json' }, JSON.stringify({ ...event, data: undefined, datacontenttype: 'application/octet-stream', data_base64: Buffer.from([1, 2, 3]).toString('base64') })));
    expect(out.event.data).toEqual(Buffer.from([1, 2, 3]));
  });

  it('reads a header-less JSON event as structured (binding 1.0.2 has no headers)', () => {
    const out = decodeNatsMessage(msg({}, JSON.stringify(event)));
    expect(out.mode).toBe('structured');
    expect(out.event.id).toBe('e1');
  });

  it('rejects a header-less JSON object with specversion that is not a valid event', () => {
    const err = codecError(() => decodeNatsMessage(msg({}, JSON.stringify({ specversion: '1.0', source: '/s', type: 't' }))));
    expect(err.attribute).toBe('id');
  });

  it.each([
    ['application/cloudevents+json', '', /no body/],
    ['application/cloudevents+json', '{"specversion":', /not valid JSON/],
    ['application/cloudevents+json', '[1]', /must be a JSON object/],
  ])('rejects a bad structured body (%s %j)', (ct, body, message) => {
    const err = codecError(() => decodeNatsMessage(msg({ 'content-type': ct }, body)));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(message);
  });

  it('rejects a missing id naming it', () => {
    const err = codecError(() => decodeNatsMessage(msg({ 'content-type': 'application/cloudevents+json' }, JSON.stringify({ ...event, id: undefined }))));
    expect(err.attribute).toBe('id');
  });

  it('refuses batches and other formats with 415', () => {
    expect(codecError(() => decodeNatsMessage(msg({ 'content-type': 'application/cloudevents-batch+json' }, '[]'))).status).toBe(415);
    expect(codecError(() => decodeNatsMessage(msg({ 'content-type': 'application/cloudevents+avro' }, 'x'))).status).toBe(415);
  });
});

describe('NATS binding: plain messages are wrapped', () => {
  it('wraps bytes without content type', () => {
    const { mode, event } = decodeNatsMessage(msg({}, new Uint8Array([0, 255])));
    expect(mode).toBe('plain');
    expect(event).toMatchObject({ specversion: '1.0', source: '/nats/orders.created', type: NATS_MESSAGE_EVENT_TYPE, subject: 'orders.created' });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.data).toEqual(Buffer.from([0, 255]));
    expect(event.datacontenttype).toBeUndefined();
  });

  it('decodes data by Content-Type', () => {
    expect(decodeNatsMessage(msg({ 'Content-Type': 'application/json' }, '{"x":1}')).event.data).toEqual({ x: 1 });
    expect(decodeNatsMessage(msg({ 'Content-Type': 'text/plain' }, 'hi')).event.data).toBe('hi');
  });

  it('keeps a JSON object without specversion as bytes when no content type says it is JSON', () => {
    const { mode, event } = decodeNatsMessage(msg({}, '{"item":"milk"}'));
    expect(mode).toBe('plain');
    expect(Buffer.isBuffer(event.data)).toBe(true);
  });

  it('rejects invalid JSON under a JSON content type', () => {
    const err = codecError(() => decodeNatsMessage(msg({ 'Content-Type': 'application/json' }, 'not json')));
    expect(err.status).toBe(400);
  });

  it('uses Nats-Msg-Id, then <stream>:<sequence>, as the id; JetStream time; reply and headers in the trigger', () => {
    const js = { stream: 'ORDERS', consumer: 'fn', streamSequence: 42, deliveryCount: 2, time: '2026-01-02T03:04:05.000Z' };
    const a = decodeNatsMessage(msg({ 'Nats-Msg-Id': 'order-7' }, 'x', { jetstream: js })).event;
    expect(a.id).toBe('order-7');
    const b = decodeNatsMessage(msg({ 'X-Trace': 'abc' }, 'x', { jetstream: js, reply: '_INBOX.1' })).event;
    expect(b.id).toBe('ORDERS:42');
    expect(b.time).toBe('2026-01-02T03:04:05.000Z');
    expect(b.trigger).toEqual({ kind: 'nats', subject: 'orders.created', reply: '_INBOX.1', headers: { 'X-Trace': ['abc'] }, stream: 'ORDERS', consumer: 'fn', streamSequence: 42, deliveryCount: 2 });
  });
});

describe('NATS binding: decodeNatsEvent (the adapters\' path)', () => {
  const js = { stream: 'ORDERS', consumer: 'fn', streamSequence: 42, deliveryCount: 1, time: '2026-01-02T03:04:05.000Z' };
  it.each([
    ['plain, no headers, JSON-looking body', msg({}, '{"id":1,"item":"buy milk"}', { jetstream: js })],
    ['plain, text', msg({ 'Content-Type': 'text/plain', 'Nats-Msg-Id': 'm-1' }, 'hi', { jetstream: js })],
    ['plain, empty body', msg({}, '', { jetstream: js })],
    ['headerless structured', msg({}, '{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"a":1}}')],
    ['binary', msg({ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't', 'content-type': 'application/json' }, '[1]')],
  ])('gives what decodeNatsMessage gives: %s', (_, input) => {
    const event = decodeNatsEvent(input);
    expect(event).toEqual(decodeNatsMessage(input).event);
    expect(Object.keys(event)).toEqual(Object.keys(decodeNatsMessage(input).event));
  });

  it('builds a plain event with the members and member order createEvent gives (specversion … time, datacontenttype, data, trigger)', () => {
    const input = msg({ 'Content-Type': 'application/json' }, '{"n":1}', { jetstream: js });
    const event = decodeNatsEvent(input);
    const reference = createEvent(
      { specversion: '1.0', id: 'ORDERS:42', source: '/nats/orders.created', type: 'dev.fnkit.nats.message', subject: 'orders.created', time: js.time, datacontenttype: 'application/json', data: { n: 1 } },
      { kind: 'nats', subject: 'orders.created', headers: input.headers, stream: 'ORDERS', consumer: 'fn', streamSequence: 42, deliveryCount: 1 },
    );
    expect(Object.keys(event)).toEqual(Object.keys(reference));
    expect(event).toEqual(reference);
    expect(JSON.stringify(event)).toBe(JSON.stringify(reference));
    expect(event['event-id']).toBe('ORDERS:42');
    // another subject gets its own source
    expect(decodeNatsEvent({ ...input, subject: 'orders.deleted' }).source).toBe('/nats/orders.deleted');
    expect(decodeNatsEvent(input).source).toBe('/nats/orders.created');
  });
});

describe('NATS binding: encode', () => {
  it('writes every attribute as a ce- header, including ce-datacontenttype, percent-encoded; round-trips', () => {
    const attrs = { specversion: '1.0', id: 'r 1', source: '/fn', type: 'com.example.reply', subject: 'café', datacontenttype: 'application/json', count: 3, flag: true };
    const headers = encodeNatsBinaryHeaders(attrs);
    expect(headers).toMatchObject({ 'ce-id': 'r%201', 'ce-subject': 'caf%C3%A9', 'ce-datacontenttype': 'application/json', 'Content-Type': 'application/json', 'ce-count': '3', 'ce-flag': 'true' });
    const { mode, event } = decodeNatsMessage(msg(headers, '{"ok":true}'));
    expect(mode).toBe('binary');
    expect(event).toMatchObject({ id: 'r 1', subject: 'café', datacontenttype: 'application/json', count: '3', data: { ok: true } });
  });

  it('takes the content type from the response when the event has none', () => {
    expect(encodeNatsBinaryHeaders({ specversion: '1.0', id: '1', source: '/s', type: 't' }, 'text/plain')['ce-datacontenttype']).toBe('text/plain');
  });

  it('makes header values NATS accepts', () => {
    expect(safeHeaderValue('a\r\nb')).toBe('a b');
    expect(safeHeaderValue('x'.repeat(2000)).length).toBe(1024);
  });
});
