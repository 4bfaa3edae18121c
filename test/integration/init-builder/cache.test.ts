import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TS_MS, TS_MS_NO_LOCK } from './fixtures.js';
import { readRecord, runFnBuild, scratch, serveTarget, writeFiles } from './build-helpers.js';

// With --cache, a rebuild whose dependency hash is unchanged takes node_modules from the cache instead of
// running npm; a changed dependency set installs again. Asserted on the build record, not on time.

const work = scratch();
afterAll(() => work.remove());

describe('fn-build cache', () => {
  it('reuses node_modules when the dependency hash is unchanged, and installs again when it changes', async () => {
    const cache = work.path('cache');
    const target = work.path('out');
    const src = writeFiles(work.path('src'), TS_MS);
    const args = ['--source', src, '--target', target, '--handler', 'handler#hello', '--cache', cache];

    const cold = await runFnBuild(args);
    expect(cold.stderr).toContain('[fn-build] ready:');
    expect(cold.code, cold.stderr).toBe(0);
    const first = readRecord(target);
    expect(first.dependencies).toMatchObject({ installer: 'npm ci', reused: false });
    // npm's cache and the stored node_modules both live in the cache directory.
    expect(existsSync(join(cache, 'npm'))).toBe(true);
    const stored = join(cache, 'node_modules', (first.dependencies.hash as string).slice('sha256:'.length));
    expect(existsSync(join(stored, '.complete'))).toBe(true);
    expect(existsSync(join(stored, 'node_modules/ms/package.json'))).toBe(true);

    // Same dependencies, a changed handler: node_modules comes from the cache.
    writeFiles(src, { 'util.ts': 'export const twice = (n: number): number => n * 3;\n' });
    const warm = await runFnBuild(args);
    expect(warm.code, warm.stderr).toBe(0);
    expect(warm.stderr).toMatch(/\[fn-build\] dependencies: reused node_modules from the cache/);
    const second = readRecord(target);
    expect(second.dependencies).toMatchObject({ installer: 'cache', reused: true, hash: first.dependencies.hash });
    expect(second.source.checksum).not.toBe(first.source.checksum);
    expect(statSync(join(target, 'node_modules/ms/index.js')).isFile()).toBe(true);
    const fn = await serveTarget(target, 'handler', 'hello');
    try {
      expect(await (await fetch(`${fn.base}/`)).json()).toMatchObject({ took: '3s' });
    } finally {
      await fn.stop();
    }

    // A different dependency set (here: no lockfile) has another hash: npm runs again, and both stay cached.
    const other = await runFnBuild(['--source', writeFiles(work.path('src2'), TS_MS_NO_LOCK), '--target', target, '--handler', 'handler#hello', '--cache', cache]);
    expect(other.code, other.stderr).toBe(0);
    const third = readRecord(target);
    expect(third.dependencies).toMatchObject({ installer: 'npm install', reused: false });
    expect(third.dependencies.hash).not.toBe(first.dependencies.hash);
    expect(readdirSync(join(cache, 'node_modules')).filter((e) => !e.startsWith('.'))).toHaveLength(2);
  });
});
