import { describe, expect, it } from 'vitest';
import { createEvent, errorOutcome, BadRequestError, HttpError, NotFoundError, ReplacedError, ShutdownError, TimeoutError } from '../src/index.js';

// A second copy of the module, as a function's own @fnkit/sdk is next to the runtime's bundled one.
const otherPath = '../src/errors.ts?another-copy';
const other = (await import(/* @vite-ignore */ otherPath)) as typeof import('../src/errors.js');

describe('error classes across copies of @fnkit/sdk', () => {
  it('really is another copy', () => {
    expect(other.HttpError).not.toBe(HttpError);
    expect(Object.getPrototypeOf(new other.ReplacedError())).not.toBe(ReplacedError.prototype);
  });

  it('instanceof holds for the same class from another copy, and for its base classes', () => {
    expect(new other.ReplacedError('r', { replacedBy: 'ev-2' })).toBeInstanceOf(ReplacedError);
    expect(new ReplacedError()).toBeInstanceOf(other.ReplacedError);
    expect(new other.TimeoutError(5)).toBeInstanceOf(TimeoutError);
    expect(new other.ShutdownError()).toBeInstanceOf(ShutdownError);
    expect(new other.BadRequestError()).toBeInstanceOf(BadRequestError);
    expect(new other.BadRequestError()).toBeInstanceOf(HttpError);
    expect(new other.HttpError(418)).toBeInstanceOf(HttpError);
    expect(new other.HttpError(418)).toBeInstanceOf(Error);
  });

  it('and fails where it should: other classes, a base for its subclass, look-alikes, subclasses without a kind', () => {
    expect(new other.BadRequestError()).not.toBeInstanceOf(NotFoundError);
    expect(new other.HttpError(400)).not.toBeInstanceOf(BadRequestError);
    expect(new other.ReplacedError()).not.toBeInstanceOf(ShutdownError);
    expect(Object.assign(new Error('x'), { name: 'ReplacedError' })).not.toBeInstanceOf(ReplacedError);
    expect((null as unknown) instanceof ReplacedError).toBe(false);
    expect(('ReplacedError' as unknown) instanceof ReplacedError).toBe(false);
    class MyError extends HttpError {}
    class OtherMyError extends other.HttpError {}
    expect(new MyError(400)).toBeInstanceOf(MyError);
    expect(new OtherMyError(400)).toBeInstanceOf(HttpError);
    expect(new OtherMyError(400)).not.toBeInstanceOf(MyError);
  });

  it("a typed error thrown from the function's copy keeps its headers and details in the outcome", () => {
    const event = createEvent({ specversion: '1.0', id: 'ev-1', source: '/t', type: 't' }, { kind: 'invoke' });
    const outcome = errorOutcome(event, new other.HttpError(429, 'slow down', { headers: { 'Retry-After': '5' }, details: { hint: 'later' } }), performance.now());
    expect(outcome.status).toBe(429);
    expect(outcome.headers).toEqual({ 'retry-after': '5' });
    expect(outcome.body).toEqual({ hint: 'later', error: 'slow down', status: 429, eventId: 'ev-1' });
  });
});
