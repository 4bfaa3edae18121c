import { describe, expect, it } from 'vitest';
import { CloudEventValidationError, createEvent, isRfc3339, validateAttributes } from '../src/index.js';

const base = { specversion: '1.0', id: 'a', source: '/s', type: 't' };

function attributeOf(ev: Record<string, unknown>): string | undefined {
  try {
    validateAttributes(ev);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(CloudEventValidationError);
    return (err as CloudEventValidationError).attribute;
  }
}

describe('CloudEvent attribute rules', () => {
  it('accepts a valid event with extensions', () => {
    expect(attributeOf({ ...base, time: '2026-11-23T10:00:00.123Z', subject: 'x', comexampleext: 'v', n: 5, flag: true, dataschema: 'https://example.com/s.json' })).toBeUndefined();
  });
  it('names the missing or bad attribute', () => {
    expect(attributeOf({ ...base, id: undefined })).toBe('id');
    expect(attributeOf({ ...base, source: '' })).toBe('source');
    expect(attributeOf({ ...base, specversion: '0.1' })).toBe('specversion');
    expect(attributeOf({ ...base, type: 5 })).toBe('type');
    expect(attributeOf({ ...base, time: '2026-13-01T00:00:00Z' })).toBe('time');
    expect(attributeOf({ ...base, dataschema: 'relative/path' })).toBe('dataschema');
    expect(attributeOf({ ...base, 'My-Ext': 'x' })).toBe('My-Ext');
    expect(attributeOf({ ...base, big: 2 ** 40 })).toBe('big');
    expect(attributeOf({ ...base, trigger: 'x' })).toBe('trigger');
    expect(attributeOf({ ...base, source: 'has space' })).toBe('source');
  });
  it('checks RFC 3339', () => {
    expect(isRfc3339('2026-11-23T10:00:00+01:00')).toBe(true);
    expect(isRfc3339('2026-11-23 10:00:00')).toBe(false);
    expect(isRfc3339('2026-02-30T00:00:00Z')).toBe(true); // the spec's grammar; Date.parse rolls it over
    expect(isRfc3339('2026-11-23T25:00:00Z')).toBe(false);
  });
  it('builds events whose Kubeless aliases do not serialise', () => {
    const ev = createEvent({ ...base, time: '2026-11-23T10:00:00Z', data: Buffer.from('hi') }, { kind: 'invoke' }, { eventType: 'application/json' });
    expect(ev['event-id']).toBe('a');
    expect(ev['event-type']).toBe('application/json');
    expect(ev['event-namespace']).toBe('invoke.fnkit.dev');
    expect(JSON.parse(JSON.stringify(ev))).toEqual({ ...base, time: '2026-11-23T10:00:00Z', data_base64: 'aGk=' });
  });
});
