import { describe, expect, it } from 'vitest';
import { describeExports, pickHandler } from '../src/index.js';

describe('pickHandler (the rule fn-run loads by and fn-build checks by)', () => {
  const fn = () => 1;
  const other = () => 2;

  it('prefers a default export function, then module.exports.handler, then a named handler export', () => {
    expect(pickHandler({ default: fn, handler: other }, undefined)).toMatchObject({ ok: true, exportName: 'default', handler: fn });
    expect(pickHandler({ default: { handler: fn }, 'module.exports': { handler: fn } }, undefined)).toMatchObject({ ok: true, exportName: 'handler', handler: fn });
    expect(pickHandler({ handler: other }, undefined)).toMatchObject({ ok: true, exportName: 'handler', handler: other });
  });

  it('takes the default export of an ES module compiled to CommonJS (module.exports.default)', () => {
    const compiled = { __esModule: true, default: fn, handler: other };
    expect(pickHandler({ default: compiled, 'module.exports': compiled }, undefined)).toMatchObject({ ok: true, exportName: 'default', handler: fn });
    expect(pickHandler({ default: compiled, 'module.exports': compiled }, 'default')).toMatchObject({ ok: true, exportName: 'default', handler: fn });
    expect(pickHandler({ default: compiled, 'module.exports': compiled }, 'handler')).toMatchObject({ ok: true, handler: other });
  });

  it('with a name, takes the named export or a member of module.exports', () => {
    expect(pickHandler({ foo: fn }, 'foo')).toMatchObject({ ok: true, exportName: 'foo', handler: fn });
    expect(pickHandler({ default: { greet: other } }, 'greet')).toMatchObject({ ok: true, exportName: 'greet', handler: other });
  });

  it('says why nothing was picked', () => {
    expect(pickHandler({ bar: fn }, 'foo')).toEqual({ ok: false, reason: 'missing', exportName: 'foo' });
    expect(pickHandler({ other: fn }, undefined)).toEqual({ ok: false, reason: 'no-default' });
    expect(pickHandler({ foo: 'x' }, 'foo')).toEqual({ ok: false, reason: 'not-function', exportName: 'foo', found: 'a string' });
    expect(pickHandler({ handler: null }, undefined)).toMatchObject({ reason: 'not-function', found: 'null' });
    expect(pickHandler({ foo: [1] }, 'foo')).toMatchObject({ found: 'an array' });
    expect(pickHandler({ foo: {} }, 'foo')).toMatchObject({ found: 'an object' });
  });

  it('collects the lifecycle hooks from named exports or module.exports members', () => {
    const init = async () => undefined;
    const shutdown = () => undefined;
    const pick = pickHandler({ default: { handler: fn, init, shutdown, readiness: 'not a function' } }, undefined);
    expect(pick).toMatchObject({ ok: true });
    if (pick.ok) expect(pick.module).toEqual({ init, shutdown });
    const named = pickHandler({ default: fn, liveness: other }, undefined);
    expect(named.ok).toBe(true);
    if (named.ok) expect(named.module).toEqual({ liveness: other });
  });

  it('lists exports as an author would name them', () => {
    expect(describeExports({ default: { a: 1, b: 2 }, 'module.exports': {} })).toBe('a, b');
    expect(describeExports({ x: 1, default: fn })).toBe('x, default');
    expect(describeExports({})).toBe('(nothing)');
  });
});
