import { afterEach, describe, expect, it, vi } from 'vitest';
import { LEGACY, validateAttributes } from '@fnkit/sdk';
import type { FnEvent, HeaderMap } from '@fnkit/sdk';
import {
  decodeHttpRequest,
  encodeBinaryHeaders,
  HTTP_REQUEST_EVENT_TYPE,
} from '../src/cloudevents/index.js';
import type { HttpRequestInput } from '../src/cloudevents/index.js';
import { codecError } from './expect-codec-error.js';

function request(init: { method?: string; path?: string; headers?: HeaderMap; body?: string | Buffer }): HttpRequestInput {
  const path = init.path ?? '/';
  return {
    method: init.method ?? 'POST',
    url: path,
    path,
    query: {},
    headers: init.headers ?? {},
    body: init.body === undefined ? undefined : Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body, 'utf8'),
    remoteAddress: '127.0.0.1',
  };
}

function decode(init: Parameters<typeof request>[0], kubeless = false) {
  return decodeHttpRequest(request(init), { kubeless });
}

function one(init: Parameters<typeof request>[0], kubeless = false): FnEvent {
  const { events } = decode(init, kubeless);
  expect(events).toHaveLength(1);
  return events[0]!;
}

const BINARY = {
  'ce-specversion': '1.0',
  'ce-id': 'A234-1234-1234',
  'ce-source': '/mycontext/subcontext',
  'ce-type': 'com.example.someevent',
};

const STRUCTURED = {
  specversion: '1.0',
  id: 'A234-1234-1234',
  source: 'https://example.com/source',
  type: 'com.example.someevent',
};

describe('binary mode', () => {
  it('maps ce- headers to attributes, extensions and content-type, and percent-decodes values', () => {
    const res = decode({
      headers: {
        ...BINARY,
        'ce-time': '2018-04-05T17:31:00Z',
        'ce-subject': 'Euro%20%E2%82%AC%20%F0%9F%98%80',
        'ce-myextension': 'hello%20world',
        'ce-traceparent': '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        'content-type': 'application/json; charset=utf-8',
        traceparent: 'not-an-attribute',
      },
      body: '{"a":1}',
    });
    expect(res.mode).toBe('binary');
    const ev = res.events[0]!;
    expect(ev.specversion).toBe('1.0');
    expect(ev.id).toBe('A234-1234-1234');
    expect(ev.source).toBe('/mycontext/subcontext');
    expect(ev.type).toBe('com.example.someevent');
    expect(ev.time).toBe('2018-04-05T17:31:00Z');
    expect(ev.subject).toBe('Euro € 😀');
    expect(ev.myextension).toBe('hello world');
    expect(ev.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(ev.datacontenttype).toBe('application/json; charset=utf-8');
    expect(ev.data).toEqual({ a: 1 });
    expect(ev.trigger).toMatchObject({ kind: 'http', method: 'POST', path: '/', remoteAddress: '127.0.0.1' });
    expect(ev['event-id']).toBe('A234-1234-1234');
  });

  it('keeps binary data as bytes and has no data without a body', () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    const ev = one({ headers: { ...BINARY, 'content-type': 'application/octet-stream' }, body: bytes });
    expect(Buffer.isBuffer(ev.data)).toBe(true);
    expect(ev.data).toEqual(bytes);
    const empty = one({ method: 'GET', headers: BINARY });
    expect(empty.data).toBeUndefined();
    expect('datacontenttype' in empty).toBe(false);
    expect('data' in empty).toBe(false);
  });

  it('gives the event its members in header order, then datacontenttype, data and trigger; JSON without trigger', () => {
    const ev = one({ headers: { 'ce-type': BINARY['ce-type'], 'ce-myext': 'x', 'ce-specversion': '1.0', 'ce-id': BINARY['ce-id'], 'ce-source': BINARY['ce-source'], 'content-type': 'text/plain' }, body: 'hi' });
    expect(Object.keys(ev)).toEqual(['type', 'myext', 'specversion', 'id', 'source', 'datacontenttype', 'data', 'trigger']);
    expect(JSON.parse(JSON.stringify(ev))).toEqual({ type: 'com.example.someevent', myext: 'x', specversion: '1.0', id: 'A234-1234-1234', source: '/mycontext/subcontext', datacontenttype: 'text/plain', data: 'hi' });
  });

  for (const name of ['id', 'source', 'type'] as const) {
    it(`rejects a missing ce-${name} with 400 naming it`, () => {
      const headers: HeaderMap = { ...BINARY };
      delete headers[`ce-${name}`];
      const err = codecError(() => decode({ headers }));
      expect(err.status).toBe(400);
      expect(err.attribute).toBe(name);
      expect(err.message).toContain(`'${name}'`);
      expect(err.message).toContain(`ce-${name}`);
    });
  }

  it('rejects an empty required attribute', () => {
    const err = codecError(() => decode({ headers: { ...BINARY, 'ce-id': '' } }));
    expect(err.status).toBe(400);
    expect(err.attribute).toBe('id');
  });

  it('rejects a bad time with a message naming the attribute', () => {
    const err = codecError(() => decode({ headers: { ...BINARY, 'ce-time': 'yesterday' } }));
    expect(err.status).toBe(400);
    expect(err.attribute).toBe('time');
    expect(err.message).toMatch(/^invalid CloudEvent.*attribute 'time' must be an RFC 3339 timestamp/);
  });

  it('rejects a ce-datacontenttype header', () => {
    const err = codecError(() => decode({ headers: { ...BINARY, 'ce-datacontenttype': 'application/json' } }));
    expect(err.status).toBe(400);
    expect(err.attribute).toBe('datacontenttype');
    expect(err.message).toContain('ce-datacontenttype');
  });

  it('rejects an extension name outside [a-z0-9]', () => {
    const err = codecError(() => decode({ headers: { ...BINARY, 'ce-my_ext': 'x' } }));
    expect(err.status).toBe(400);
    expect(err.attribute).toBe('my_ext');
  });

  it("rejects an extension named like one of the event's Kubeless getters, and reports the first bad extension in header order", () => {
    for (const name of ['event-id', 'event-type', 'event-time', 'event-namespace']) {
      const err = codecError(() => decode({ headers: { ...BINARY, [`ce-${name}`]: 'x' } }));
      expect([err.status, err.attribute]).toEqual([400, name]);
    }
    const first = codecError(() => decode({ headers: { ...BINARY, 'ce-bad': 'a%01b', 'ce-event-id': 'x' } }));
    expect([first.status, first.attribute]).toEqual([400, 'bad']);
    const second = codecError(() => decode({ headers: { ...BINARY, 'ce-event-id': 'x', 'ce-bad': 'a%01b' } }));
    expect([second.status, second.attribute]).toEqual([400, 'event-id']);
  });

  // The usual event (specversion 1.0, id, source, type, content type) is checked by a quick path in the
  // decoder; each of these must still get validateAttributes' verdict and message, naming the attribute.
  const usual = { ...BINARY, 'content-type': 'application/json' };
  const rejected: [string, string, string][] = [
    ['ce-id', 'a%01b', 'id'],
    ['ce-id', 'a%7Fb', 'id'],
    ['ce-type', '', 'type'],
    ['ce-type', 'x%C2%85y', 'type'],
    ['ce-source', 'a%20b', 'source'],
    ['ce-source', '/a{b}', 'source'],
    ['ce-source', '/a%09b', 'source'],
    ['ce-source', '', 'source'],
    ['content-type', '', 'datacontenttype'],
    ['content-type', 'text/plain;%01', 'datacontenttype'],
  ];
  for (const [header, value, attribute] of rejected) {
    it(`rejects ${header}: ${JSON.stringify(value)} in the usual event shape as validateAttributes does`, () => {
      const headers = { ...usual, [header]: value };
      const attrs: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(headers)) {
        const raw = decodeURIComponent(v);
        if (k === 'content-type') attrs.datacontenttype = v.includes('%') ? raw : v;
        else attrs[k.slice(3)] = raw;
      }
      let expected = '';
      try {
        validateAttributes(attrs);
      } catch (error) {
        expected = (error as Error).message;
      }
      expect(expected).not.toBe('');
      const err = codecError(() => decode({ headers: header === 'content-type' ? { ...headers, [header]: attrs.datacontenttype as string } : headers, body: '{}' }));
      expect([err.status, err.attribute, err.message]).toEqual([400, attribute, `invalid CloudEvent (binary mode): ${expected}`]);
    });
  }

  it('accepts the usual event shape with values beyond printable ASCII that are still valid', () => {
    const ev = one({ headers: { ...usual, 'ce-id': 'caf%C3%A9', 'ce-source': 'urn:example:caf%C3%A9', 'ce-type': 'a type', 'content-type': 'application/json; charset=utf-8' }, body: '{"a":1}' });
    expect([ev.id, ev.source, ev.type, ev.datacontenttype, ev.data]).toEqual(['café', 'urn:example:café', 'a type', 'application/json; charset=utf-8', { a: 1 }]);
  });

  it('rejects an unknown specversion', () => {
    const err = codecError(() => decode({ headers: { ...BINARY, 'ce-specversion': '2.0' } }));
    expect(err.status).toBe(400);
    expect(err.attribute).toBe('specversion');
  });

  it('reads v0.3 headers as 1.0 (schemaurl → dataschema)', () => {
    const ev = one({ headers: { ...BINARY, 'ce-specversion': '0.3', 'ce-schemaurl': 'https://example.com/schema' } });
    expect(ev.specversion).toBe('1.0');
    expect(ev.dataschema).toBe('https://example.com/schema');
    expect('schemaurl' in ev).toBe(false);
  });

  it('reports invalid JSON data in the body as 400', () => {
    const err = codecError(() => decode({ headers: { ...BINARY, 'content-type': 'application/json' }, body: '{nope' }));
    expect(err.status).toBe(400);
    expect(err.message).toContain('request body is not valid JSON (content-type application/json)');
  });
});

describe('structured mode', () => {
  it('accepts an upper-case media type with a charset parameter', () => {
    const res = decode({
      headers: { 'content-type': 'Application/CloudEvents+JSON; Charset=UTF-8' },
      body: JSON.stringify({ ...STRUCTURED, comexampleextension1: 'value', comexampleothervalue: 5, flag: true, data: { x: 1 } }),
    });
    expect(res.mode).toBe('structured');
    const ev = res.events[0]!;
    expect(ev.id).toBe(STRUCTURED.id);
    expect(ev.comexampleextension1).toBe('value');
    expect(ev.comexampleothervalue).toBe(5);
    expect(ev.flag).toBe(true);
    expect(ev.data).toEqual({ x: 1 });
  });

  it('decodes data_base64 to a Buffer', () => {
    const ev = one({
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ ...STRUCTURED, datacontenttype: 'image/png', data_base64: Buffer.from([1, 2, 3, 250]).toString('base64') }),
    });
    expect(Buffer.isBuffer(ev.data)).toBe(true);
    expect([...(ev.data as Buffer)]).toEqual([1, 2, 3, 250]);
    expect('data_base64' in ev).toBe(false);
    expect(ev.datacontenttype).toBe('image/png');
  });

  it('does not parse a JSON string in data again', () => {
    const ev = one({
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ ...STRUCTURED, datacontenttype: 'application/json', data: '{"a":1}' }),
    });
    expect(ev.data).toBe('{"a":1}');
  });

  it('treats null attributes as unset but keeps an explicit null data', () => {
    const ev = one({
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ ...STRUCTURED, subject: null, time: null, data: null }),
    });
    expect('subject' in ev).toBe(false);
    expect('time' in ev).toBe(false);
    expect(ev.data).toBeNull();
  });

  it('rejects invalid JSON with 400', () => {
    const err = codecError(() => decode({ headers: { 'content-type': 'application/cloudevents+json' }, body: '{"id":' }));
    expect(err.status).toBe(400);
    expect(err.message).toContain('body is not valid JSON: ');
  });

  it('rejects an empty body and a non-object body', () => {
    expect(codecError(() => decode({ headers: { 'content-type': 'application/cloudevents+json' } })).status).toBe(400);
    expect(codecError(() => decode({ headers: { 'content-type': 'application/cloudevents+json' }, body: '[1]' })).message).toContain('JSON object');
  });

  for (const name of ['specversion', 'id', 'source', 'type'] as const) {
    it(`rejects a missing ${name}`, () => {
      const body: Record<string, unknown> = { ...STRUCTURED };
      delete body[name];
      const err = codecError(() => decode({ headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(body) }));
      expect(err.status).toBe(400);
      expect(err.attribute).toBe(name);
      expect(err.message).toContain(`missing required attribute '${name}'`);
    });
  }

  it('rejects a bad time naming the attribute', () => {
    const err = codecError(() =>
      decode({ headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify({ ...STRUCTURED, time: '2020-13-01T00:00:00Z' }) }),
    );
    expect(err.attribute).toBe('time');
    expect(err.message).toContain("invalid CloudEvent: attribute 'time' must be an RFC 3339 timestamp");
  });

  it('rejects data together with data_base64', () => {
    const err = codecError(() =>
      decode({ headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify({ ...STRUCTURED, data: 1, data_base64: 'AQ==' }) }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toContain('mutually exclusive');
  });

  it('answers 415 naming an unsupported structured format', () => {
    const err = codecError(() => decode({ headers: { 'content-type': 'application/cloudevents+avro' }, body: 'x' }));
    expect(err.status).toBe(415);
    expect(err.message).toContain("'application/cloudevents+avro'");
    const batch = codecError(() => decode({ headers: { 'content-type': 'application/cloudevents-batch+protobuf' }, body: 'x' }));
    expect(batch.status).toBe(415);
  });

  it('reads v0.3 and converts it to 1.0', () => {
    const ev = one({
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({
        ...STRUCTURED,
        specversion: '0.3',
        schemaurl: 'https://example.com/schema.json',
        datacontenttype: 'application/octet-stream',
        datacontentencoding: 'base64',
        data: Buffer.from('hi').toString('base64'),
      }),
    });
    expect(ev.specversion).toBe('1.0');
    expect(ev.dataschema).toBe('https://example.com/schema.json');
    expect('schemaurl' in ev).toBe(false);
    expect('datacontentencoding' in ev).toBe(false);
    expect(Buffer.isBuffer(ev.data)).toBe(true);
    expect((ev.data as Buffer).toString()).toBe('hi');
  });

  it('rejects other specversions', () => {
    const err = codecError(() =>
      decode({ headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify({ ...STRUCTURED, specversion: '0.2' }) }),
    );
    expect(err.status).toBe(400);
    expect(err.attribute).toBe('specversion');
  });
});

describe('batched mode', () => {
  const ct = { 'content-type': 'application/cloudevents-batch+json; charset=utf-8' };

  it('decodes every event of the array', () => {
    const res = decode({
      headers: ct,
      body: JSON.stringify([
        { ...STRUCTURED, id: '1', data: 'one', datacontenttype: 'text/plain' },
        { ...STRUCTURED, id: '2', data_base64: 'AQI=' },
      ]),
    });
    expect(res.mode).toBe('batch');
    expect(res.events.map((e) => e.id)).toEqual(['1', '2']);
    expect(res.events[0]!.data).toBe('one');
    expect([...(res.events[1]!.data as Buffer)]).toEqual([1, 2]);
  });

  it('accepts an empty batch', () => {
    const res = decode({ headers: ct, body: '[]' });
    expect(res).toEqual({ mode: 'batch', events: [] });
  });

  it('names the index of a bad element', () => {
    const { id: _id, ...noId } = STRUCTURED;
    const err = codecError(() => decode({ headers: ct, body: JSON.stringify([STRUCTURED, STRUCTURED, noId]) }));
    expect(err.status).toBe(400);
    expect(err.attribute).toBe('id');
    expect(err.message).toContain("event [2]: missing required attribute 'id'");
  });

  it('requires one specversion across the batch', () => {
    const err = codecError(() => decode({ headers: ct, body: JSON.stringify([STRUCTURED, { ...STRUCTURED, specversion: '0.3' }]) }));
    expect(err.message).toContain('event [1]');
    expect(err.message).toContain('share specversion');
  });

  it('rejects a body that is not an array', () => {
    const err = codecError(() => decode({ headers: ct, body: JSON.stringify(STRUCTURED) }));
    expect(err.status).toBe(400);
    expect(err.message).toContain('JSON array');
  });
});

describe('plain requests', () => {
  it('gives the event its members in order (attributes, data, trigger), with and without a body', () => {
    const get = one({ method: 'GET', path: '/a', headers: {} });
    expect(Object.keys(get)).toEqual(['specversion', 'id', 'source', 'type', 'time', 'trigger']);
    expect('data' in get).toBe(false);
    const post = one({ path: '/a', headers: { 'content-type': 'text/plain', 'event-type': 'legacy.t' }, body: 'x' });
    expect(Object.keys(post)).toEqual(['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'data', 'trigger']);
    expect(Object.keys(JSON.parse(JSON.stringify(post)))).toEqual(['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'data']);
    expect(post['event-type']).toBe('legacy.t');
  });

  it('builds an event from a GET with no body', () => {
    const res = decode({ method: 'GET', path: '/orders/42', headers: {} });
    expect(res.mode).toBe('plain');
    const ev = res.events[0]!;
    expect(ev.specversion).toBe('1.0');
    expect(ev.type).toBe(HTTP_REQUEST_EVENT_TYPE);
    expect(ev.type).toBe('dev.fnkit.http.request');
    expect(ev.source).toBe('/orders/42');
    expect(ev.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.isNaN(Date.parse(ev.time!))).toBe(false);
    expect(ev.data).toBeUndefined();
    expect('datacontenttype' in ev).toBe(false);
    expect(ev['event-type']).toBe(HTTP_REQUEST_EVENT_TYPE);
    expect(ev['event-namespace']).toBe('http.fnkit.dev');
  });

  it('uses / as source for an empty path', () => {
    expect(one({ method: 'GET', path: '' }).source).toBe('/');
  });

  it('takes the id from Idempotency-Key, then X-Request-Id', () => {
    expect(one({ headers: { 'idempotency-key': 'k1', 'x-request-id': 'r1' } }).id).toBe('k1');
    expect(one({ headers: { 'x-request-id': 'r1' } }).id).toBe('r1');
  });

  it('decodes each body type by content type', () => {
    expect(one({ headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' }).data).toEqual({ a: [1, 2] });
    expect(one({ headers: { 'content-type': 'application/merge-patch+json; charset=utf-8' }, body: '"s"' }).data).toBe('s');
    expect(one({ headers: { 'content-type': 'TEXT/Plain; charset=UTF-8' }, body: 'héllo' }).data).toBe('héllo');
    expect(one({ headers: { 'content-type': 'text/xml' }, body: '<a/>' }).data).toBe('<a/>');
    expect(one({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=x+y&a=2&c=%C3%A9' }).data).toEqual({
      a: ['1', '2'],
      b: 'x y',
      c: 'é',
    });
    const bin = Buffer.from([0xff, 0x00, 0x10]);
    expect(one({ headers: { 'content-type': 'application/octet-stream' }, body: bin }).data).toEqual(bin);
    expect(Buffer.isBuffer(one({ headers: {}, body: bin }).data)).toBe(true);
    const multipart = one({ headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' });
    expect(Buffer.isBuffer(multipart.data)).toBe(true);
    expect(one({ headers: { 'content-type': 'application/json' }, body: '' }).data).toBeUndefined();
  });

  it('sets datacontenttype from the content-type header', () => {
    expect(one({ headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'x' }).datacontenttype).toBe('text/plain; charset=utf-8');
  });

  it('keeps a form field named __proto__ as an ordinary member', () => {
    const data = one({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '__proto__=x&a=1' }).data as Record<string, unknown>;
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.keys(data)).toEqual(['__proto__', 'a']);
  });

  it('rejects invalid JSON with a 400 naming the content type', () => {
    const err = codecError(() => decode({ headers: { 'content-type': 'application/json' }, body: '{"a":' }));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^request body is not valid JSON \(content-type application\/json\): /);
  });

  it('honours the legacy Kubeless event-* headers', () => {
    const ev = one({
      headers: {
        'event-id': 'kfx8HFj3kd9Aq1z',
        'event-time': '2021-05-03 11:48:02+00:00',
        'event-type': 'application/json',
        'event-namespace': 'cronjobtrigger.kubeless.io',
        'idempotency-key': 'not-this-one',
      },
    });
    expect(ev.id).toBe('kfx8HFj3kd9Aq1z');
    expect(ev.time).toBe('2021-05-03T11:48:02.000Z');
    expect(ev.type).toBe(HTTP_REQUEST_EVENT_TYPE);
    expect(ev['event-id']).toBe('kfx8HFj3kd9Aq1z');
    expect(ev['event-type']).toBe('application/json');
    expect(ev['event-namespace']).toBe('cronjobtrigger.kubeless.io');
    expect((ev as unknown as Record<symbol, unknown>)[LEGACY]).toEqual({ eventType: 'application/json', eventNamespace: 'cronjobtrigger.kubeless.io' });
  });

  it('ignores an event-time that does not parse', () => {
    const before = Date.now();
    const ev = one({ headers: { 'event-time': 'not a time' } });
    expect(Date.parse(ev.time!)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('does not treat a request with only some ce- headers but no ce-specversion as a CloudEvent', () => {
    const res = decode({ headers: { 'ce-id': 'x' } });
    expect(res.mode).toBe('plain');
  });
});

describe('plain request time', () => {
  afterEach(() => vi.useRealTimers());

  it('is the current time as toISOString gives it, across millisecond, second and day boundaries', () => {
    vi.useFakeTimers();
    for (const at of [Date.UTC(2026, 10, 23, 22, 59, 59, 998), Date.UTC(2026, 10, 23, 22, 59, 59, 999), Date.UTC(2026, 10, 23, 23, 0, 0, 0), Date.UTC(2026, 10, 23, 23, 59, 59, 999), Date.UTC(2026, 10, 24, 0, 0, 0, 1), Date.UTC(2026, 10, 24, 0, 0, 0, 1), Date.UTC(2024, 1, 29, 12, 0, 0, 50)]) {
      vi.setSystemTime(at);
      expect(one({ method: 'GET' }).time).toBe(new Date(at).toISOString());
    }
  });
});

describe('Kubeless profile', () => {
  it('gives data as the Kubeless runtime did for plain requests', () => {
    expect(one({ method: 'GET' }, true).data).toEqual({});
    expect(one({ headers: { 'content-type': 'application/json' }, body: '' }, true).data).toEqual({});
    expect(one({ headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"a":1}' }, true).data).toEqual({ a: 1 });
    expect(one({ headers: { 'content-type': 'application/vnd.api+json' }, body: '{"a":1}' }, true).data).toBe('{"a":1}');
    expect(one({ headers: { 'content-type': 'text/plain' }, body: 'hi' }, true).data).toBe('hi');
    expect(one({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }, true).data).toBe('a=1');
    expect(one({ headers: { 'content-type': 'application/octet-stream' }, body: 'raw' }, true).data).toBe('raw');
    expect(one({ headers: {}, body: 'nothing' }, true).data).toBe('nothing');
    expect(one({ headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' }, true).data).toEqual({});
  });

  it('still rejects invalid JSON with 400', () => {
    expect(codecError(() => decode({ headers: { 'content-type': 'application/json' }, body: '{' }, true)).status).toBe(400);
  });

  it('decodes CloudEvents normally', () => {
    const ev = one({ headers: { ...BINARY, 'content-type': 'application/octet-stream' }, body: 'raw' }, true);
    expect(Buffer.isBuffer(ev.data)).toBe(true);
    const none = one({ method: 'GET', headers: BINARY }, true);
    expect(none.data).toBeUndefined();
  });
});

describe('encodeBinaryHeaders', () => {
  it('writes ce- headers in canonical form, percent-encoded, without datacontenttype or data', () => {
    const headers = encodeBinaryHeaders({
      specversion: '1.0',
      id: 'id 1',
      source: '/src',
      type: 'com.example.t',
      time: new Date('2020-01-02T03:04:05.678Z'),
      subject: 'Euro € 😀',
      datacontenttype: 'application/json',
      data: { a: 1 },
      data_base64: 'AQ==',
      flag: false,
      count: 42,
      blob: Buffer.from([1, 2, 3]),
      unset: undefined,
      nothing: null,
    });
    expect(headers).toEqual({
      'ce-specversion': '1.0',
      'ce-id': 'id%201',
      'ce-source': '/src',
      'ce-type': 'com.example.t',
      'ce-time': '2020-01-02T03:04:05.678Z',
      'ce-subject': 'Euro%20%E2%82%AC%20%F0%9F%98%80',
      'ce-flag': 'false',
      'ce-count': '42',
      'ce-blob': 'AQID',
    });
  });

  it('rejects values that have no canonical string form', () => {
    expect(() => encodeBinaryHeaders({ id: '1', ratio: 1.5 })).toThrow(/ratio.*integer/);
    expect(() => encodeBinaryHeaders({ id: '1', obj: { a: 1 } })).toThrow(/obj/);
    expect(() => encodeBinaryHeaders({ 'Bad-Name': 'x' })).toThrow(/Bad-Name/);
  });

  it('round-trips an event through binary mode', () => {
    const original = one({
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ ...STRUCTURED, time: '2021-01-01T00:00:00Z', subject: 'a "quoted" 100% ünïcode', myext: 'x y', datacontenttype: 'text/plain', data: 'payload' }),
    });
    const headers = encodeBinaryHeaders(original as unknown as Record<string, unknown>);
    expect(headers['ce-datacontenttype']).toBeUndefined();
    expect(Object.keys(headers).every((h) => h.startsWith('ce-'))).toBe(true);
    for (const v of Object.values(headers)) expect(v).toMatch(/^[\x21-\x7e]*$/);
    const back = one({ headers: { ...headers, 'content-type': original.datacontenttype! }, body: String(original.data) });
    expect(JSON.parse(JSON.stringify(back))).toEqual(JSON.parse(JSON.stringify(original)));
  });
});
