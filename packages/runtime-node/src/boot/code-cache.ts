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
 * The cache file is `<bundle>.cache`: the 8 bytes "FNKITCC2", the SHA-256 of the V8 data, the key of the
 * bundle it was made for, then the V8 data. The key is the SHA-256 of the bundle, written by stampBundle
 * as the bundle's last line when the cache is made; a bundle rebuilt since (no stamp, or another one)
 * does not get the cache. (V8 only compares the source's length: code changed without changing the
 * length would otherwise run the old code.) V8 itself rejects data made by another V8 version or with
 * other V8 flags (script.cachedDataRejected), but release builds of V8 check no checksum: damaged data
 * could crash the process. So the digest is checked first. A cache that fails a check, or that V8
 * rejects, is ignored and the bundle is compiled as usual; a missing cache is no error either. Nothing
 * is written at start-up (the runtime image has a read-only root): the build writes the cache
 * (stampBundle, writeCodeCache: train-code-cache.ts).
 */
const MAGIC = Buffer.from('FNKITCC2');
const DIGEST = 32;
const HEADER = MAGIC.length + DIGEST + DIGEST;
const STAMP = /\n\/\/# fnkitCodeCacheKey=([0-9a-f]{64})\n$/;

/**
 * What became of the cache: used, rejected by V8, failed the digest check, made for another build of the
 * bundle, not there, or not asked for.
 */
export type CacheUse = 'accepted' | 'rejected' | 'corrupt' | 'stale' | 'absent' | 'off';

export interface BundleRun {
  /** The bundle's module.exports. */
  exports: Record<string, unknown>;
  /** The compiled bundle (for writeCodeCache). */
  script: Script;
  /** The bundle's stamp (stampBundle), if it has one. */
  key: string | undefined;
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
  const key = STAMP.exec(source.slice(-100))?.[1];
  const found = options.cache === false ? { use: 'off' as const } : readCache(cacheFileOf(bundle), key);
  // The same wrapper Node gives a CommonJS module; the bundle starts on the wrapper's line, as in Node.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData: found.data,
  });
  const cache: CacheUse = found.data === undefined ? found.use : script.cachedDataRejected === true ? 'rejected' : 'accepted';
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return { exports: module.exports, script, key, cache };
}

function readCache(file: string, key: string | undefined): { data?: Buffer; use: CacheUse } {
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
    createHash('sha256').update(data).digest().equals(raw.subarray(MAGIC.length, MAGIC.length + DIGEST));
  if (!intact) return { use: 'corrupt' };
  if (key === undefined || !raw.subarray(MAGIC.length + DIGEST, HEADER).equals(Buffer.from(key, 'hex'))) return { use: 'stale' };
  return { data, use: 'accepted' };
}

/**
 * Build step, before the bundle is compiled for its cache: ends `bundle` with its key (the SHA-256 of the
 * rest), replacing an earlier stamp. Returns the key.
 */
export function stampBundle(bundle: string): string {
  const source = readFileSync(bundle, 'latin1');
  const stripped = source.replace(STAMP, '\n');
  const body = stripped.endsWith('\n') ? stripped : `${stripped}\n`;
  const key = createHash('sha256').update(body, 'latin1').digest('hex');
  writeFileSync(bundle, `${body}//# fnkitCodeCacheKey=${key}\n`, 'latin1');
  return key;
}

/**
 * Writes the cache for `run` (what V8 has compiled of its bundle so far: run the code to be cached first)
 * next to `bundle`, replacing the file at once. The bundle must be stamped (stampBundle) before it was
 * compiled. Returns the size of the V8 data in bytes.
 */
export function writeCodeCache(run: BundleRun, bundle: string): number {
  if (run.key === undefined) throw new Error(`${bundle} has no code cache key: stampBundle() it before compiling it`);
  const data = run.script.createCachedData();
  const file = cacheFileOf(bundle);
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, Buffer.concat([MAGIC, createHash('sha256').update(data).digest(), Buffer.from(run.key, 'hex'), data]));
  renameSync(partial, file);
  return data.length;
}
