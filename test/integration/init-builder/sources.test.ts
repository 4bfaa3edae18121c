import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { readFunctionSource } from '../../../packages/runtime-node/src/manifest/function-source.js';
import { CJS_MS, SDK_NO_PACKAGE, SINGLE_TS, TS_COMMONJS_NAMES, TS_MS, TS_MS_NESTED, TS_MS_NO_LOCK } from './fixtures.js';
import { readRecord, runFnBuild, scratch, serveTarget, writeFiles, zipArchive, type Served } from './build-helpers.js';

// Each input kind the pod may hand fn-build, built for real (npm registry, esbuild), then served by the
// real fn-run from the output directory the way the runtime container starts (MOD_NAME, FUNC_HANDLER).

const work = scratch();
const running: Served[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  work.remove();
});

async function serve(target: string, mod: string, fn?: string): Promise<Served> {
  const s = await serveTarget(target, mod, fn);
  running.push(s);
  return s;
}

function sha256(file: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
}

describe('fn-build sources', () => {
  it('builds a TypeScript directory with a dependency into a target fn-run serves without tsx', async () => {
    const src = writeFiles(work.path('ts-src'), TS_MS);
    const target = work.path('ts-out');
    const run = await runFnBuild(['--source', src, '--target', target, '--handler', 'handler#hello']);
    expect(run.stderr).toContain('[fn-build] ready:');
    expect(run.code, run.stderr).toBe(0);
    for (const step of ['prepare', 'source', 'compile', 'dependencies', 'check', 'commit']) {
      expect(run.stderr).toMatch(new RegExp(`^\\[fn-build\\] ${step}: .*\\(\\d+ ms\\)$`, 'm'));
    }

    const record = readRecord(target);
    expect(record.source).toMatchObject({ kind: 'directory', files: 4 });
    expect(record.source.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(record.handler).toEqual({ module: 'handler', file: 'handler.mjs', source: 'handler.ts', export: 'hello', compiled: true });
    expect(record.dependencies).toMatchObject({ installer: 'npm ci', reused: false, lockfile: 'package-lock.json', packages: 1 });
    expect(record.dependencies.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(record.node).toBe(process.version);
    expect(Object.keys(record.durationsMs)).toEqual(expect.arrayContaining(['source', 'compile', 'dependencies', 'check', 'commit', 'total']));
    expect(existsSync(join(target, 'node_modules/ms/package.json'))).toBe(true);
    // Only the finished build is in the target: no staging directory, no in-progress marker.
    expect(readdirSync(target).filter((e) => e.startsWith('.fnkit-') && e !== '.fnkit-build.json')).toEqual([]);
    // The compiled module is plain JavaScript (an ES module, since fn-run sees .mjs before .ts).
    expect(readFileSync(join(target, 'handler.mjs'), 'utf8')).not.toMatch(/: number|Promise</);

    const fn = await serve(target, 'handler', 'hello');
    const res = await fetch(`${fn.base}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 1 }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ took: '2s', data: { a: 1 } });
    const get = await fetch(`${fn.base}/`);
    expect(get.status).toBe(200);
    expect(((await get.json()) as { took: string }).took).toBe('2s');
  });

  it('builds from a ConfigMap-style mount (entries are links into ..data/) with the same checksum as the plain files', async () => {
    // What the kubelet writes: ..<timestamp>/ holds the files (sub-directories from the volume's `items`
    // paths), ..data -> ..<timestamp>, and each top-level name -> ..data/<name>.
    const mount = work.path('configmap');
    const stamp = '..2026_11_23_19_00_00.123456789';
    writeFiles(join(mount, stamp), TS_MS_NESTED);
    symlinkSync(stamp, join(mount, '..data'));
    const topLevel = new Set(Object.keys(TS_MS_NESTED).map((name) => name.split('/')[0]!));
    for (const name of topLevel) symlinkSync(join('..data', name), join(mount, name));
    const plain = writeFiles(work.path('configmap-plain'), TS_MS_NESTED);

    const target = work.path('configmap-out');
    const run = await runFnBuild([], { FNKIT_SOURCE: mount, KUBELESS_INSTALL_VOLUME: target, MOD_NAME: 'handler', FUNC_HANDLER: 'hello' });
    expect(run.stderr).toContain('[fn-build] ready:');
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(target).filter((e) => e.startsWith('..'))).toEqual([]);
    expect(lstatSync(join(target, 'handler.ts')).isFile()).toBe(true);
    expect(lstatSync(join(target, 'lib')).isDirectory()).toBe(true);
    expect(readRecord(target).source.files).toBe(4);

    const sums = await runFnBuild(['checksum', plain]);
    expect(sums.code, sums.stderr).toBe(0);
    expect(readRecord(target).source.checksum).toBe(sums.stdout.trim());
    // ...and the one `fn-run manifest` puts in the pod spec (FNKIT_SOURCE_CHECKSUM) for that directory.
    expect(readFunctionSource(plain, plain).checksum).toBe(sums.stdout.trim());

    const fn = await serve(target, 'handler', 'hello');
    expect(await (await fetch(`${fn.base}/`)).json()).toMatchObject({ took: '2s' });
  });

  it('builds from a .zip whose files sit in one folder, with its checksum checked', async () => {
    const entries: Record<string, string> = { 'fn/': '' };
    for (const [name, content] of Object.entries(CJS_MS)) entries[`fn/${name}`] = content;
    entries['fn/.npmrc'] = '//npm.example.invalid/:_authToken=not-for-the-runtime\nfund=false\n';
    entries['__MACOSX/fn/._handler.js'] = 'resource fork';
    const zip = work.path('fn.zip');
    writeFileSync(zip, zipArchive(entries));
    const target = work.path('zip-out');
    const run = await runFnBuild(['--source', zip, '--target', target, '--checksum', sha256(zip)], { MOD_NAME: 'handler', FUNC_HANDLER: 'greet' });
    // The source's .npmrc serves the install only; credentials never reach the runtime's volume.
    expect(run.stderr).toContain('removed .npmrc from the output');
    expect(existsSync(join(target, '.npmrc'))).toBe(false);
    expect(run.stderr).toContain('[fn-build] ready:');
    expect(run.code, run.stderr).toBe(0);
    const record = readRecord(target);
    expect(record.source).toMatchObject({ kind: 'zip', checksum: sha256(zip), unwrapped: 'fn' });
    expect(record.handler).toMatchObject({ file: 'handler.js', compiled: false, export: 'greet' });

    const fn = await serve(target, 'handler', 'greet');
    expect(await (await fetch(`${fn.base}/`)).json()).toMatchObject({ took: '2s', kind: 'cjs' });
  });

  it('builds from a .tgz made like npm pack (package/ prefix)', async () => {
    const dir = writeFiles(work.path('tgz-src/package'), TS_MS);
    const tgz = work.path('fn.tgz');
    await tar.c({ gzip: true, file: tgz, cwd: work.path('tgz-src') }, ['package']);
    expect(existsSync(join(dir, 'handler.ts'))).toBe(true);
    const target = work.path('tgz-out');
    const run = await runFnBuild(['--source', tgz, '--target', target, '--handler', 'handler#hello']);
    expect(run.stderr).toContain('[fn-build] ready:');
    expect(run.code, run.stderr).toBe(0);
    expect(readRecord(target).source).toMatchObject({ kind: 'tgz', checksum: sha256(tgz), unwrapped: 'package' });

    const fn = await serve(target, 'handler', 'hello');
    expect(await (await fetch(`${fn.base}/`)).json()).toMatchObject({ took: '2s' });
  });

  it('builds a single TypeScript file (no package.json, no dependencies), its module named after the file', async () => {
    const file = work.path('single', 'greeter.ts');
    mkdirSync(work.path('single'));
    writeFileSync(file, SINGLE_TS);
    const target = work.path('single-out');
    const run = await runFnBuild(['--source', file, '--target', target]);
    expect(run.stderr).toContain('[fn-build] ready:');
    expect(run.code, run.stderr).toBe(0);
    const record = readRecord(target);
    expect(record.source).toMatchObject({ kind: 'file', files: 1, checksum: sha256(file) });
    expect(record.handler).toMatchObject({ module: 'greeter', file: 'greeter.mjs', export: 'default' });
    expect(record.dependencies).toMatchObject({ installer: 'none' });
    expect(existsSync(join(target, 'node_modules'))).toBe(false);

    const fn = await serve(target, 'greeter');
    const res = await fetch(`${fn.base}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"pod"}' });
    expect(await res.text()).toBe('hello pod from one file');
  });

  it('runs npm install when the source has no lockfile', async () => {
    const src = writeFiles(work.path('nolock-src'), TS_MS_NO_LOCK);
    const target = work.path('nolock-out');
    const run = await runFnBuild(['--source', src, '--target', target, '--handler', 'handler#hello']);
    expect(run.stderr).toContain('[fn-build] ready:');
    expect(run.code, run.stderr).toBe(0);
    expect(readRecord(target).dependencies).toMatchObject({ installer: 'npm install', reused: false });
    expect(existsSync(join(target, 'node_modules/ms'))).toBe(true);
  });

  it('installs production dependencies without install scripts by default; --dev and --allow-scripts opt in', async () => {
    const pkg = {
      name: 'opt-in',
      version: '1.0.0',
      private: true,
      dependencies: { ms: '^2.1.3' },
      devDependencies: { 'is-number': '^7.0.0' },
      scripts: { postinstall: "node -e \"require('fs').writeFileSync('postinstall-ran.txt', 'yes')\"" },
    };
    const src = writeFiles(work.path('optin-src'), { 'handler.js': CJS_MS['handler.js']!, 'package.json': JSON.stringify(pkg) });
    const target = work.path('optin-out');
    // NODE_ENV=production as in the builder image: --dev must still bring devDependencies.
    const env = { NODE_ENV: 'production' };
    const plain = await runFnBuild(['--source', src, '--target', target, '--handler', 'handler#greet'], env);
    expect(plain.code, plain.stderr).toBe(0);
    expect(existsSync(join(target, 'node_modules/ms'))).toBe(true);
    expect(existsSync(join(target, 'node_modules/is-number'))).toBe(false);
    expect(existsSync(join(target, 'postinstall-ran.txt'))).toBe(false);

    const opted = await runFnBuild(['--source', src, '--target', target, '--handler', 'handler#greet', '--dev', '--allow-scripts'], env);
    expect(opted.code, opted.stderr).toBe(0);
    expect(opted.stderr).toMatch(/with devDependencies, scripts allowed/);
    expect(existsSync(join(target, 'node_modules/is-number'))).toBe(true);
    expect(readFileSync(join(target, 'postinstall-ran.txt'), 'utf8')).toBe('yes');
  });

  it('provides @fnkit/sdk to a function that imports it without a package.json', async () => {
    const target = work.path('sdk-out');
    const run = await runFnBuild(['--source', writeFiles(work.path('sdk-src'), SDK_NO_PACKAGE), '--target', target]);
    expect(run.stderr).toContain('[fn-build] ready:');
    expect(run.code, run.stderr).toBe(0);
    const record = readRecord(target);
    expect(record.dependencies).toMatchObject({ installer: 'none', provided: ['@fnkit/sdk@0.1.0'] });
    expect(record.handler).toMatchObject({ module: 'greet', file: 'greet.mjs', export: 'default' });

    const fn = await serve(target, 'greet');
    const post = (name: string) => fetch(`${fn.base}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    const ok = await post('Ada');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ hello: 'Ada' });
    const missing = await post('nobody');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe('no such person');
  });

  it('gives a TypeScript handler the CommonJS names it uses (__dirname, __filename, require) in its ES module', async () => {
    const target = work.path('cjsnames-out');
    const run = await runFnBuild(['--source', writeFiles(work.path('cjsnames-src'), TS_COMMONJS_NAMES), '--target', target]);
    expect(run.stderr).toContain('[fn-build] ready:');
    expect(run.code, run.stderr).toBe(0);
    const fn = await serve(target, 'handler');
    expect(await (await fetch(`${fn.base}/`)).json()).toEqual({ text: 'HELLO FROM A FILE', file: 'handler.mjs', host: true });
  });

  it('keeps an archive\'s single folder when the handler module is named through it (MOD_NAME=src/handler)', async () => {
    writeFiles(work.path('nested-src'), { 'src/handler.js': "exports.handler = () => 'nested';\n" });
    const tgz = work.path('nested.tgz');
    await tar.c({ gzip: true, file: tgz, cwd: work.path('nested-src') }, ['src']);
    const target = work.path('nested-out');
    const run = await runFnBuild(['--source', tgz, '--target', target], { MOD_NAME: 'src/handler' });
    expect(run.code, run.stderr).toBe(0);
    const record = readRecord(target);
    expect(record.source.unwrapped).toBeUndefined();
    expect(record.handler).toMatchObject({ module: 'src/handler', file: 'src/handler.js', export: 'handler' });
    const fn = await serve(target, 'src/handler');
    expect(await (await fetch(`${fn.base}/`)).text()).toBe('nested');
  });

  it('compiles a .cts handler to CommonJS (.cjs), which fn-run finds first', async () => {
    const src = writeFiles(work.path('cts-src'), {
      'fn.cts': "import { hostname } from 'node:os';\nexport function hello(): { kind: string; host: boolean } {\n  return { kind: typeof module, host: hostname().length > 0 };\n}\n",
    });
    const target = work.path('cts-out');
    const run = await runFnBuild(['--source', src, '--target', target, '--handler', 'fn#hello']);
    expect(run.code, run.stderr).toBe(0);
    expect(readRecord(target).handler).toMatchObject({ file: 'fn.cjs', source: 'fn.cts', compiled: true, export: 'hello' });
    const fn = await serve(target, 'fn', 'hello');
    expect(await (await fetch(`${fn.base}/`)).json()).toEqual({ kind: 'object', host: true });
  });

  it('rebuilds over its own earlier output, replacing it', async () => {
    const target = work.path('again-out');
    const first = await runFnBuild(['--source', writeFiles(work.path('again-a'), CJS_MS), '--target', target, '--handler', 'handler#greet']);
    expect(first.code, first.stderr).toBe(0);
    const file = work.path('again-b', 'other.ts');
    mkdirSync(work.path('again-b'));
    writeFileSync(file, SINGLE_TS);
    const second = await runFnBuild(['--source', file, '--target', target]);
    expect(second.code, second.stderr).toBe(0);
    expect(readdirSync(target).sort()).toEqual(['.fnkit-build.json', 'other.mjs', 'other.mjs.map', 'other.ts']);
  });
});
