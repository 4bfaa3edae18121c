import { describe, expect, it } from 'vitest';
import { decodeHeaderValue, encodeHeaderValue, unquoteHeaderValue } from '../src/cloudevents/percent.js';

describe('encodeHeaderValue', () => {
  it('encodes the spec example with upper-case hex', () => {
    expect(encodeHeaderValue('Euro € 😀')).toBe('Euro%20%E2%82%AC%20%F0%9F%98%80');
  });

  it('returns printable ASCII unchanged', () => {
    const v = "abc-XYZ_0.9~!#$&'()*+,/:;<=>?@[\\]^`{|}";
    expect(encodeHeaderValue(v)).toBe(v);
  });

  it('encodes space, double quote, percent and control characters', () => {
    expect(encodeHeaderValue('a b"c%d')).toBe('a%20b%22c%25d');
    expect(encodeHeaderValue('tab\there\u007f')).toBe('tab%09here%7F');
    expect(encodeHeaderValue('é')).toBe('%C3%A9');
  });
});

describe('decodeHeaderValue', () => {
  it('decodes the spec example', () => {
    expect(decodeHeaderValue('Euro%20%E2%82%AC%20%F0%9F%98%80')).toBe('Euro € 😀');
  });

  it('accepts lower-case hex and unnecessarily encoded characters', () => {
    expect(decodeHeaderValue('%e2%82%ac')).toBe('€');
    expect(decodeHeaderValue('%41%42c')).toBe('ABc');
  });

  it('decodes exactly one round', () => {
    expect(decodeHeaderValue('100%2541')).toBe('100%41');
  });

  it('unescapes an RFC 7230 quoted-string before percent-decoding', () => {
    expect(unquoteHeaderValue('"a \\"quoted\\" \\\\ value"')).toBe('a "quoted" \\ value');
    expect(decodeHeaderValue('"hello%20world"')).toBe('hello world');
    expect(decodeHeaderValue('"only"')).toBe('only');
    expect(unquoteHeaderValue('"unterminated')).toBe('"unterminated');
  });

  it('keeps the raw value when the bytes are not valid UTF-8 (tolerant receiver)', () => {
    expect(decodeHeaderValue('%C0%A0')).toBe('%C0%A0');
    expect(decodeHeaderValue('bad%FFbyte')).toBe('bad%FFbyte');
  });

  it('keeps the raw value when an escape is malformed', () => {
    expect(decodeHeaderValue('100%')).toBe('100%');
    expect(decodeHeaderValue('50%ready')).toBe('50%ready');
    expect(decodeHeaderValue('%4')).toBe('%4');
  });

  it('takes unencoded non-ASCII characters as text next to escapes', () => {
    expect(decodeHeaderValue('€%20x')).toBe('€ x');
    expect(decodeHeaderValue('😀%21')).toBe('😀!');
  });

  it('round-trips any string through encode and decode', () => {
    for (const s of ['', 'plain', 'a b', '100% "sure"', 'Ünïcödé ✓ 😀', 'line\nbreak']) {
      expect(decodeHeaderValue(encodeHeaderValue(s))).toBe(s);
    }
  });
});
