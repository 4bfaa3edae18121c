import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/**
 * Runs a CommonJS bundle (fn-run's CLI, dist/fn-run.cjs) from a V8 code cache made at build time, so that
 * start-up neither parses the bundle nor compiles the functions that start-up and a first request run
 * (Node 20 has no module.enableCompileCache, and an ES module cannot be given cached data).
 *
 * The cache file is `<bundle>.cache`: the 8 bytes "FNKITCC1", the SHA-256 of the V8 data, then the V8 data.
 * V8 itself rejects data made by another V8 version or with other V8 flags, or for a source of another
 * length (script.cachedDataRejected), but release builds of V8 check no checksum: damaged data could crash
 * the process. So the digest is checked first. Data that fails it, or that V8 rejects, is ignored and the
 * bundle is compiled as usual; a missing cache is no error either. Nothing is written at start-up (the
 * runtime image has a read-only root): the build writes the cache (writeCodeCache, train-code-cache.ts).
 */
const MAGIC = Buffer.from('FNKITCC1');
const HEADER = MAGIC.length + 32;

/** What became of the cache: used, rejected by V8, failed the digest check, not there, or not asked for. */
export type CacheUse = 'accepted' | 'rejected' | 'corrupt' | 'absent' | 'off';

export interface BundleRun {
  /** The bundle's module.exports. */
  exports: Record<string, unknown>;
  /** The compiled bundle (for writeCodeCache). */
  script: Script;
  cache: CacheUse;
}

export function cacheFileOf(bundle: string): string {
  return `${bundle}.cache`;
}

/**
 * Compiles `bundle` (with its cache unless `cache: false`), evaluates it as a CommonJS module and returns
 * its exports. The bundle must be ASCII (the build makes it so): it is read as latin1, the quickest way
 * to a one-byte string.
 */
export function runBundle(bundle: string, options: { cache?: boolean } = {}): BundleRun {
  const source = readFileSync(bundle, 'latin1');
  const found = options.cache === false ? { use: 'off' as const } : readCache(cacheFileOf(bundle));
  // The same wrapper Node gives a CommonJS module; the bundle starts on the wrapper's line, as in Node.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData: found.data,
  });
  const cache: CacheUse = found.data === undefined ? found.use : script.cachedDataRejected === true ? 'rejected' : 'accepted';
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return { exports: module.exports, script, cache };
}

function readCache(file: string): { data?: Buffer; use: CacheUse } {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch {
    return { use: 'absent' };
  }
  const data = raw.subarray(HEADER);
  const intact =
    raw.length > HEADER &&
    raw.subarray(0, MAGIC.length).equals(MAGIC) &&
    createHash('sha256').update(data).digest().equals(raw.subarray(MAGIC.length, HEADER));
  return intact ? { data, use: 'accepted' } : { use: 'corrupt' };
}

/**
 * Writes the cache for `script` (what V8 has compiled of it so far: run the code to be cached first) next
 * to `bundle`, replacing the file at once. Returns the size of the V8 data in bytes.
 */
export function writeCodeCache(script: Script, bundle: string): number {
  const data = script.createCachedData();
  const file = cacheFileOf(bundle);
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, Buffer.concat([MAGIC, createHash('sha256').update(data).digest(), data]));
  renameSync(partial, file);
  return data.length;
}
