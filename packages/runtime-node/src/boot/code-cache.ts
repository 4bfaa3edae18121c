import { closeSync, fstatSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import type { Hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { BUNDLE_WRAPPER } from './bundle-wrapper.js';

/**
 * Runs a CommonJS bundle (fn-run's CLI, dist/fn-run.cjs) from a V8 code cache made at build time, so that
 * start-up neither parses the bundle nor compiles the functions that start-up and a first request run
 * (Node 20 has no module.enableCompileCache, and an ES module cannot be given cached data).
 *
 * The cache file is `<bundle>.cache`: 8 bytes naming the format and checksum, the checksum of the V8
 * data (32 bytes), the key of the bundle it was made for (32 bytes), then the V8 data. The checksum is a
 * CRC-32 ("FNKITCC3", zlib.crc32, Node >= 20.15; its 4 bytes then zeros) or, on a Node without
 * zlib.crc32, a SHA-256 ("FNKITCC2"). The CRC-32 is what start-up can afford: node:crypto alone costs
 * ~4 ms of start-up CPU to load, node:zlib < 1 ms, and a CRC-32 catches damaged bytes as surely as
 * a hash (nobody forges a cache file that sits next to the code it runs). The key is the SHA-256 of the bundle, written by stampBundle
 * as the bundle's last line when the cache is made; a bundle rebuilt since (no stamp, or another one)
 * does not get the cache. (V8 only compares the source's length: code changed without changing the
 * length would otherwise run the old code.) V8 itself rejects data made by another V8 version or with
 * other V8 flags (script.cachedDataRejected), but release builds of V8 check no checksum: damaged data
 * could crash the process. So the checksum is checked first. A cache that fails a check, or that V8
 * rejects, is ignored and the bundle is compiled as usual; a missing cache is no error either. Nothing
 * is written at start-up (the runtime image has a read-only root): the build writes the cache
 * (stampBundle, writeCodeCache: train-code-cache.ts).
 */
/**
 * node:zlib and node:crypto come through require(): fn-run's entry is built as CommonJS (dist/cli.cjs),
 * where an `import * as` of a built-in module costs ~0.3-0.5 ms at start-up (esbuild's __toESM copies
 * its ~40 exports onto getters).
 */
let requireBuiltin: NodeJS.Require | undefined;
function builtin<T>(id: string): T {
  return (requireBuiltin ??= createRequire(import.meta.url))(id) as T;
}
const zlib = (): typeof import('node:zlib') => builtin('node:zlib');

const CRC32 = Buffer.from('FNKITCC3');
const SHA256 = Buffer.from('FNKITCC2');
const MAGIC = CRC32.length;
const DIGEST = 32;
const HEADER = MAGIC + DIGEST + DIGEST;
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
  const source = readUnmalloced(bundle).toString('latin1');
  const key = STAMP.exec(source.slice(-100))?.[1];
  const found = options.cache === false ? { use: 'off' as const } : readCache(cacheFileOf(bundle), key);
  // The same wrapper Node gives a CommonJS module. dist/fn-run.cjs has it written in (the build puts it
  // there): V8 then compiles the string just read, where wrapping it here makes a cons string that V8
  // copies into one flat string first (~0.6 ms for the 1.1 MB bundle). Any other bundle is wrapped here,
  // starting on the wrapper's line, as in Node.
  const wrapped = source.startsWith(BUNDLE_WRAPPER);
  const script = new Script(wrapped ? source : `${BUNDLE_WRAPPER}${source}\n})`, {
    filename: bundle,
    cachedData: found.data,
  });
  const cache: CacheUse = found.data === undefined ? found.use : script.cachedDataRejected === true ? 'rejected' : 'accepted';
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return { exports: module.exports, script, key, cache };
}

/**
 * The bytes of `file`, read into memory that glibc's malloc never sees (a WebAssembly.Memory: V8 maps and
 * unmaps it itself), or as readFileSync reads them where that is not available (no WebAssembly, e.g.
 * --jitless). Why: the bundle (1.1 MB) and its cache (0.6 MB) are read once and dropped, and glibc, on
 * freeing a block it had mmap()ed, raises its mmap threshold to that block's size and its trim threshold to
 * twice that, for the rest of the process. Freeing readFileSync's buffers did that at start-up: from then on
 * each thread's malloc arena kept up to ~2 MiB it had freed (V8's compiler threads), ~4.5 MiB of RSS after
 * load (measured with MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ fixed at 128 KiB: 78 -> 73 MiB).
 * The latin1 string made from the bundle's bytes is a copy (V8 keeps it as the script's source for good).
 * V8 unmaps the memory at its first major GC (not at a scavenge): until then RSS is ~1.8 MiB higher.
 */
function readUnmalloced(file: string): Buffer {
  const Memory = (globalThis as { WebAssembly?: { Memory: new (size: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly?.Memory;
  if (Memory === undefined) return readFileSync(file);
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    let bytes: Buffer;
    try {
      bytes = Buffer.from(new Memory({ initial: Math.max(1, Math.ceil(size / 65536)) }).buffer, 0, size);
    } catch {
      return readFileSync(file); // no address space for it (e.g. a ulimit -v)
    }
    let at = 0;
    while (at < size) {
      const n = readSync(fd, bytes, at, size - at, null);
      if (n === 0) break;
      at += n;
    }
    return bytes.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

function readCache(file: string, key: string | undefined): { data?: Buffer; use: CacheUse } {
  let raw: Buffer;
  try {
    raw = readUnmalloced(file);
  } catch {
    return { use: 'absent' };
  }
  const data = raw.subarray(HEADER);
  const magic = raw.subarray(0, MAGIC);
  const sum = magic.equals(CRC32) && typeof zlib().crc32 === 'function' ? crc32Of(data) : magic.equals(SHA256) ? sha256Of(data) : undefined;
  const intact = raw.length > HEADER && sum !== undefined && sum.equals(raw.subarray(MAGIC, MAGIC + DIGEST));
  if (!intact) return { use: 'corrupt' };
  if (key === undefined || !raw.subarray(MAGIC + DIGEST, HEADER).equals(Buffer.from(key, 'hex'))) return { use: 'stale' };
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
  const key = sha256().update(body, 'latin1').digest('hex');
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
  const header = typeof zlib().crc32 === 'function' ? [CRC32, crc32Of(data)] : [SHA256, sha256Of(data)];
  writeFileSync(partial, Buffer.concat([...header, Buffer.from(run.key, 'hex'), data]));
  renameSync(partial, file);
  return data.length;
}

/** The CRC-32 of `data` in the checksum field: 4 bytes (big-endian), then zeros. */
function crc32Of(data: Buffer): Buffer {
  const field = Buffer.alloc(DIGEST);
  field.writeUInt32BE(zlib().crc32(data), 0);
  return field;
}

function sha256Of(data: string | Buffer): Buffer {
  return sha256().update(data).digest();
}

/** node:crypto, loaded only when a SHA-256 is made (the build, a Node without zlib.crc32): see above. */
function sha256(): Hash {
  return builtin<typeof import('node:crypto')>('node:crypto').createHash('sha256');
}
