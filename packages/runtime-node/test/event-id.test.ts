import { describe, expect, it } from 'vitest';
import { randomEventId } from '../src/cloudevents/event-id.js';

describe('randomEventId', () => {
  it('gives version 4 UUIDs (variant 10xx), lower-case, as randomUUID does, from either random source', () => {
    // 4000 ids: 16 refills of the pool, the first ones from /dev/urandom, the rest from node:crypto.
    const digits = new Set<string>();
    for (let i = 0; i < 4000; i++) {
      const id = randomEventId();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      for (const c of id.slice(24)) digits.add(c);
    }
    // Every hex digit turns up in the last group: the bytes are spread over all of them, not a constant.
    expect(digits.size).toBe(16);
  });

  it('does not repeat, across several refills of its random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(randomEventId());
    expect(seen.size).toBe(5000);
  });

  it('returns independent strings (not views of one buffer)', () => {
    const a = randomEventId();
    const copy = `${a}`;
    randomEventId();
    expect(a).toBe(copy);
  });
});
