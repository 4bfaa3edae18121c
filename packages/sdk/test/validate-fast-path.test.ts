import { describe, expect, it } from 'vitest';
import { CloudEventValidationError, validateAttributes } from '../src/cloudevent.js';

// validateAttributes answers printable ASCII without its regular expressions; these cases pin that the
// quick path and the regex path agree at their edges.
const base = { specversion: '1.0', id: 'id-1', source: '/s', type: 't' };
const attributeOf = (attrs: Record<string, unknown>): string | undefined => {
  try {
    validateAttributes(attrs);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(CloudEventValidationError);
    return (err as CloudEventValidationError).attribute;
  }
};

describe('validateAttributes: quick path and regex path agree', () => {
  it.each([
    ['/a~b', undefined],
    ['https://example.com/x?y=1#z', undefined],
    ['urn:ü:äöü', undefined],
    ['/a b', 'source'],
    ['/a{b', 'source'],
    ['/a|b', 'source'],
    ['/a}b', 'source'],
    ['/a^b', 'source'],
    ['/a`b', 'source'],
    ['/a"b', 'source'],
    ['/a<b>', 'source'],
    ['/a\\b', 'source'],
    ['/a\u00a0b', 'source'],
    ['/a\u3000b', 'source'],
    ['/a\u007fb', 'source'],
  ])('source %j → %s', (source, attribute) => {
    expect(attributeOf({ ...base, source })).toBe(attribute);
  });

  it.each([
    ['plain', undefined],
    ['ünïcödé ✓', undefined],
    ['tab\t', 'id'],
    ['del\u007f', 'id'],
    ['c1\u0085', 'id'],
    ['c1 end\u009f', 'id'],
    ['after c1\u00a0', undefined],
  ])('id %j → %s', (id, attribute) => {
    expect(attributeOf({ ...base, id })).toBe(attribute);
  });

  it('checks the optional attributes and extension strings the same way', () => {
    expect(attributeOf({ ...base, subject: 'a\nb' })).toBe('subject');
    expect(attributeOf({ ...base, datacontenttype: 'text/plain\u0080' })).toBe('datacontenttype');
    expect(attributeOf({ ...base, myext: 'v\u0001' })).toBe('myext');
    expect(attributeOf({ ...base, subject: 'ok', myext: 'ök' })).toBeUndefined();
  });
});
