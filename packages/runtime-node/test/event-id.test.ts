import { describe, expect, it } from 'vitest';
import { randomEventId } from '../src/cloudevents/event-id.js';

describe('randomEventId', () => {
  it('gives version 4 UUIDs (variant 10xx), lower-case, as randomUUID does', () => {
    for (let i = 0; i < 1000; i++) expect(randomEventId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
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
