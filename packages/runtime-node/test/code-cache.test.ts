import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { BUNDLE_WRAPPER } from '../src/boot/bundle-wrapper.js';
import { cacheFileOf, runBundle, stampBundle, writeCodeCache } from '../src/boot/code-cache.js';

// A CommonJS bundle with enough code for V8 to cache, using what the wrapper provides.
const SOURCE = `
const { basename } = require('node:path');
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
module.exports = { answer: fib(10), file: basename(__filename), sameExports: module.exports === exports, self: this === exports };
`;

function bundle(source = SOURCE): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fnkit-code-cache-test-')), 'bundle.cjs');
  writeFileSync(file, source);
  return file;
}

/** A bundle with a cache made by this process's V8, as the build makes it. */
function cachedBundle(source = SOURCE): string {
  const file = bundle(source);
  stampBundle(file);
  const run = runBundle(file, { cache: false });
  expect(writeCodeCache(run, file)).toBeGreaterThan(0);
  return file;
}

const expected = { answer: 55, file: 'bundle.cjs', sameExports: true, self: true };

describe('runBundle (the CLI bundle and its V8 code cache)', () => {
  it('runs the bundle as a CommonJS module when there is no cache', () => {
    const run = runBundle(bundle());
    expect(run.cache).toBe('absent');
    expect(run.exports).toEqual(expected);
  });

  it('uses a cache written by writeCodeCache', () => {
    const run = runBundle(cachedBundle());
    expect(run.cache).toBe('accepted');
    expect(run.exports).toEqual(expected);
  });

  it('checks a CRC-32 of the V8 data (no node:crypto at start-up), and still reads a SHA-256 checked cache', () => {
    const file = cachedBundle();
    const raw = readFileSync(cacheFileOf(file));
    expect(raw.subarray(0, 8).toString('latin1')).toBe('FNKITCC3');
    const data = raw.subarray(72);
    const sha = Buffer.concat([Buffer.from('FNKITCC2'), createHash('sha256').update(data).digest(), raw.subarray(40, 72), data]);
    writeFileSync(cacheFileOf(file), sha);
    expect(runBundle(file).cache).toBe('accepted');
    // The same header with the checksum of the other kind: damaged.
    writeFileSync(cacheFileOf(file), Buffer.concat([Buffer.from('FNKITCC3'), sha.subarray(8)]));
    expect(runBundle(file).cache).toBe('corrupt');
  });

  it('compiles a bundle that carries the CommonJS wrapper itself (as the build writes dist/fn-run.cjs) as it is, with its cache', () => {
    const source = `${BUNDLE_WRAPPER}\n${SOURCE}\nmodule.exports.line = Number(/:(\\d+):\\d+\\)?$/.exec(new Error().stack.split('\\n')[1])[1]);\n})\n`;
    const line = source.split('\n').findIndex((l) => l.startsWith('module.exports.line')) + 1;
    const plain = runBundle(bundle(source));
    expect(plain.exports).toEqual({ ...expected, line });
    const cached = runBundle(cachedBundle(source));
    expect(cached.cache).toBe('accepted');
    expect(cached.exports).toEqual({ ...expected, line });
  });

  it('ignores the cache when asked to', () => {
    const run = runBundle(cachedBundle(), { cache: false });
    expect(run.cache).toBe('off');
    expect(run.exports).toEqual(expected);
  });

  it('compiles as usual when V8 rejects the cache (here: the source got longer, its stamp kept)', () => {
    const file = cachedBundle();
    writeFileSync(file, readFileSync(file, 'utf8').replace('module.exports =', 'module.exports.changed = true;\nmodule.exports ='));
    const run = runBundle(file);
    expect(run.cache).toBe('rejected');
    expect(run.exports).toEqual(expected);
  });

  it('does not use a cache made for another build of the bundle, even of the same length', () => {
    // fib(10) -> fib(11): same length, so V8 alone would accept the old code.
    const file = cachedBundle();
    const rebuilt = SOURCE.replace('fib(10)', 'fib(11)');
    writeFileSync(file, rebuilt);
    const unstamped = runBundle(file);
    expect(unstamped.cache).toBe('stale');
    expect(unstamped.exports).toEqual({ ...expected, answer: 89 });
    stampBundle(file);
    const restamped = runBundle(file);
    expect(restamped.cache).toBe('stale');
    expect(restamped.exports).toEqual({ ...expected, answer: 89 });
  });

  it('a stamped bundle still runs, and stamping again keeps one stamp', () => {
    const file = bundle();
    const key = stampBundle(file);
    expect(stampBundle(file)).toBe(key);
    expect(readFileSync(file, 'utf8').match(/fnkitCodeCacheKey=/g)).toHaveLength(1);
    expect(runBundle(file).exports).toEqual(expected);
  });

  it('refuses to write a cache for a bundle that was not stamped', () => {
    const file = bundle();
    expect(() => writeCodeCache(runBundle(file, { cache: false }), file)).toThrow(/stampBundle/);
  });

  it('does not hand damaged data to V8 (a flipped byte, a cut file, another file), and still runs', () => {
    const damaged: ((data: Buffer) => Buffer)[] = [
      (data) => {
        const copy = Buffer.from(data);
        copy[copy.length >> 1]! ^= 0x5a;
        return copy;
      },
      (data) => data.subarray(0, data.length - 100),
      (data) => data.subarray(0, 20),
      () => Buffer.from('not a code cache at all, but long enough to hold a header and some data'),
    ];
    for (const damage of damaged) {
      const file = cachedBundle();
      writeFileSync(cacheFileOf(file), damage(readFileSync(cacheFileOf(file))));
      const run = runBundle(file);
      expect(run.cache).toBe('corrupt');
      expect(run.exports).toEqual(expected);
    }
  });

  it('the build made an ASCII CLI bundle (it is read as latin1) and a cache for it that this node accepts', () => {
    // dist/ is built by `npm run build` with this node before the tests run.
    const cli = fileURLToPath(new URL('../dist/fn-run.cjs', import.meta.url));
    expect(readFileSync(cli, 'utf8')).toMatch(/^[\0-\x7f]*$/);
    expect(readFileSync(cli, 'latin1').startsWith(`${BUNDLE_WRAPPER}\n`)).toBe(true);
    const run = runBundle(cli);
    expect(run.cache).toBe('accepted');
    expect(typeof run.exports.runCli).toBe('function');
  });
});
