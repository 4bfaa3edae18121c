import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CJS_MS, TS_MS } from './fixtures.js';
import { errorLine, runFnBuild, scratch, tgzArchive, writeFiles, zipArchive } from './build-helpers.js';

// Every failure is one `fn-build: error:` line and a non-zero exit, and leaves nothing in the target that
// fn-run could start from (no module, no .fnkit-build.json).

const work = scratch();
afterAll(() => work.remove());

/** What fn-run could start from: any module file or the completion record. */
function startable(target: string): string[] {
  if (!existsSync(target)) return [];
  return readdirSync(target).filter((e) => /\.(m|c)?[jt]s$/.test(e) || e === '.fnkit-build.json' || e === 'node_modules');
}

// An empty npm cache too: a cached tarball would let npm ci succeed without the registry.
const UNREACHABLE = { NPM_CONFIG_REGISTRY: 'http://127.0.0.1:9/', NPM_CONFIG_FETCH_RETRIES: '0', NPM_CONFIG_FETCH_TIMEOUT: '5000', NPM_CONFIG_CACHE: work.path('empty-npm-cache') };

describe('fn-build failures', () => {
  it('a missing export names the file, the export and what the module exports', async () => {
    const target = work.path('missing-out');
    const run = await runFnBuild(['--source', writeFiles(work.path('missing'), TS_MS), '--target', target], { MOD_NAME: 'handler', FUNC_HANDLER: 'goodbye' });
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/^fn-build: error: handler\.mjs has no export 'goodbye'; it exports: hello\b/);
    expect(startable(target)).toEqual([]);
  });

  it('an export that is not a function says what it is', async () => {
    const src = writeFiles(work.path('notfn'), { 'handler.js': 'exports.handler = 42;\nexports.other = () => 1;\n' });
    const run = await runFnBuild(['--source', src, '--target', work.path('notfn-out'), '--handler', 'handler#handler']);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/handler\.js: export 'handler' is not a function \(found a number\)/);
  });

  it('a module without a default function or a handler export, and no FUNC_HANDLER, lists its exports', async () => {
    const src = writeFiles(work.path('nodefault'), { 'handler.mjs': 'export const greet = () => 1;\nexport const version = 2;\n' });
    const run = await runFnBuild(['--source', src, '--target', work.path('nodefault-out')]);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/handler\.mjs has no default export function and no export named 'handler'; it exports: greet, version\. Set FUNC_HANDLER/);
  });

  it('a handler module that is not in the source lists what is there', async () => {
    const run = await runFnBuild(['--source', writeFiles(work.path('nomod'), TS_MS), '--target', work.path('nomod-out')], { MOD_NAME: 'main' });
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/handler module 'main' not found in the source: looked for main\.js, .*; the source has: handler\.ts, util\.ts/);
  });

  it('a checksum mismatch is rejected before anything is built; the right checksum passes', async () => {
    const src = writeFiles(work.path('sum'), { 'handler.js': 'module.exports = () => "ok";\n' });
    const target = work.path('sum-out');
    const wrong = `sha256:${'0'.repeat(64)}`;
    const run = await runFnBuild(['--source', src, '--target', target, '--checksum', wrong]);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(new RegExp(`source ${src} does not match the expected checksum: expected ${wrong}, found sha256:[0-9a-f]{64}`));
    expect(startable(target)).toEqual([]);

    const sum = (await runFnBuild(['checksum', src])).stdout.trim();
    const ok = await runFnBuild(['--source', src, '--target', target], { FNKIT_SOURCE_CHECKSUM: sum });
    expect(ok.code, ok.stderr).toBe(0);

    const bad = await runFnBuild(['--source', src, '--target', target, '--checksum', 'md5:abc']);
    expect(errorLine(bad)).toMatch(/--checksum=md5:abc: expected sha256:<64 hex digits>/);
  });

  it('a zip entry escaping the target (zip-slip) is refused and nothing is written outside', async () => {
    const dir = work.path('slip');
    mkdirSync(dir);
    const zip = join(dir, 'evil.zip');
    writeFileSync(zip, zipArchive({ 'handler.js': 'module.exports = () => 1;\n', '../../evil.js': 'pwned' }));
    const target = join(dir, 'out');
    const run = await runFnBuild(['--source', zip, '--target', target]);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/entry '\.\.\/\.\.\/evil\.js' would be written outside the target directory \(zip-slip\)/);
    expect(existsSync(join(dir, 'evil.js'))).toBe(false);
    expect(existsSync(join(work.dir, 'evil.js'))).toBe(false);
    expect(startable(target)).toEqual([]);
  });

  it('a tgz entry escaping the target (zip-slip) is refused before anything is extracted', async () => {
    const dir = work.path('tslip');
    mkdirSync(dir);
    const tgz = join(dir, 'evil.tgz');
    writeFileSync(tgz, tgzArchive({ 'handler.js': 'module.exports = () => 1;\n', '../evil.js': 'pwned' }));
    const target = join(dir, 'out');
    const run = await runFnBuild(['--source', tgz, '--target', target]);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/entry '\.\.\/evil\.js' would be written outside the target directory \(zip-slip\)/);
    expect(existsSync(join(dir, 'evil.js'))).toBe(false);
    expect(startable(target)).toEqual([]);
  });

  it('a zip that unpacks past the size limit (a zip bomb) stops with a line naming the limit; nothing is started', async () => {
    const dir = work.path('bomb');
    mkdirSync(dir);
    const zip = join(dir, 'bomb.zip');
    // 8 MiB of zeros deflate to a few KiB: the archive is small, what it unpacks to is not.
    writeFileSync(zip, zipArchive({ 'handler.js': 'module.exports = () => 1;\n', 'zeros.bin': Buffer.alloc(8 * 1024 * 1024) }, { deflate: true }));
    const target = join(dir, 'out');
    const run = await runFnBuild(['--source', zip, '--target', target], { FNKIT_MAX_SOURCE_BYTES: '1Mi' });
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/bomb\.zip unpacks to more than 1 MiB \(the limit; entry 'zeros\.bin' of 8 MiB is past it\).*FNKIT_MAX_SOURCE_BYTES/);
    expect(startable(target)).toEqual([]);
    // The same archive within the limit builds: the limit, not the archive, stopped it.
    const ok = await runFnBuild(['--source', zip, '--target', target], { FNKIT_MAX_SOURCE_BYTES: '16Mi' });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('a tgz with more entries than the limit stops before anything is extracted', async () => {
    const dir = work.path('many');
    mkdirSync(dir);
    const tgz = join(dir, 'many.tgz');
    const entries: Record<string, string> = { 'handler.js': 'module.exports = () => 1;\n' };
    for (let i = 0; i < 20; i++) entries[`f${i}.txt`] = 'x';
    writeFileSync(tgz, tgzArchive(entries));
    const target = join(dir, 'out');
    const run = await runFnBuild(['--source', tgz, '--target', target, '--max-source-files', '10']);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/many\.tgz holds more than 10 entries \(the limit; 'f9\.txt' is past it\)/);
    expect(startable(target)).toEqual([]);
  });

  it('a lockfile that is not JSON is named, with what to do', async () => {
    const src = writeFiles(work.path('badlock'), { ...TS_MS, 'package-lock.json': '{ "lockfileVersion": 3, "packages": {' });
    const target = work.path('badlock-out');
    const run = await runFnBuild(['--source', src, '--target', target, '--handler', 'handler#hello']);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/package-lock\.json in the source is not valid JSON \(.*\); regenerate it with `npm install`/);
    expect(startable(target)).toEqual([]);
  });

  it('a lockfile out of sync with package.json is named', async () => {
    const pkg = JSON.parse(TS_MS['package.json']!) as { dependencies: Record<string, string> };
    pkg.dependencies['is-number'] = '^7.0.0';
    const src = writeFiles(work.path('sync'), { ...TS_MS, 'package.json': JSON.stringify(pkg) });
    const run = await runFnBuild(['--source', src, '--target', work.path('sync-out'), '--handler', 'handler#hello']);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/npm ci failed: package\.json and package-lock\.json are not in sync/);
  });

  it('an unreachable registry (NPM_CONFIG_REGISTRY) is named, and nothing startable is left', async () => {
    const target = work.path('offline-out');
    const run = await runFnBuild(['--source', writeFiles(work.path('offline'), CJS_MS), '--target', target, '--handler', 'handler#greet'], UNREACHABLE);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/npm ci failed: cannot reach the npm registry http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\); check NPM_CONFIG_REGISTRY/);
    expect(startable(target)).toEqual([]);
  });

  it("honours the source's .npmrc (registry and token) and never prints the token", async () => {
    const token = 'npm_SOURCEtoken1234567890';
    const src = writeFiles(work.path('npmrc-src'), { ...CJS_MS, '.npmrc': `registry=http://127.0.0.1:9/\n//127.0.0.1:9/:_authToken=${token}\n` });
    const { NPM_CONFIG_REGISTRY: _, ...noRegistry } = UNREACHABLE;
    const run = await runFnBuild(['--source', src, '--target', work.path('npmrc-src-out'), '--handler', 'handler#greet'], noRegistry);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/cannot reach the npm registry http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
    expect(run.stderr + run.stdout).not.toContain(token);
  });

  it('honours an .npmrc mounted from a Secret (NPM_CONFIG_USERCONFIG) and never prints its token', async () => {
    const token = 'npm_SECRETtoken1234567890';
    const npmrc = writeFiles(work.path('secret'), { '.npmrc': `registry=http://127.0.0.1:9/\n//127.0.0.1:9/:_authToken=${token}\nalways-auth=true\n` });
    const { NPM_CONFIG_REGISTRY: _, ...noRegistry } = UNREACHABLE;
    const run = await runFnBuild(['--source', writeFiles(work.path('secret-src'), CJS_MS), '--target', work.path('secret-out'), '--handler', 'handler#greet'], {
      ...noRegistry,
      NPM_CONFIG_USERCONFIG: join(npmrc, '.npmrc'),
    });
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/cannot reach the npm registry http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
    expect(run.stderr + run.stdout).not.toContain(token);
  });

  it('a bare import without a package.json is named before any install', async () => {
    const src = writeFiles(work.path('nopkg'), { 'handler.ts': "import ms from 'ms';\nexport default () => ms(1000);\n" });
    const run = await runFnBuild(['--source', src, '--target', work.path('nopkg-out')]);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/handler\.ts imports 'ms' but the source has no package\.json: add a package\.json listing 'ms' under "dependencies"/);
  });

  it('an import package.json does not list is named', async () => {
    const src = writeFiles(work.path('undeclared'), { ...CJS_MS, 'handler.js': "const n = require('is-number');\nmodule.exports = { greet: () => n(1) };\n" });
    const run = await runFnBuild(['--source', src, '--target', work.path('undeclared-out'), '--handler', 'handler#greet']);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/handler\.js imports 'is-number', which package\.json does not list: add it to "dependencies"/);
  });

  it('a TypeScript syntax error names file and line', async () => {
    const src = writeFiles(work.path('syntax'), { 'handler.ts': 'export default function (event: any) {\n  return event.;\n}\n' });
    const run = await runFnBuild(['--source', src, '--target', work.path('syntax-out')]);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/cannot compile handler\.ts: handler\.ts:2:\d+: /);
  });

  it('an unknown flag is one line pointing at --help, which prints the usage', async () => {
    const bad = await runFnBuild(['--sauce', '/src']);
    expect(bad.code).not.toBe(0);
    expect(errorLine(bad)).toMatch(/Unknown option '--sauce'.*\(run fn-build --help for the options\)/);
    const help = await runFnBuild(['--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage: fn-build \[--source/);
    expect(help.stdout).toContain('KUBELESS_INSTALL_VOLUME');
  });

  it('a missing source says where it looked and what to do', async () => {
    const run = await runFnBuild([], { FNKIT_SOURCE: work.path('nowhere'), FNKIT_TARGET: work.path('nowhere-out') });
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toBe(`fn-build: error: source ${work.path('nowhere')} does not exist: mount the function's ConfigMap there or give --source <dir|file|.zip|.tgz>`);
    // Checked before the target is claimed: nothing was created or emptied.
    expect(existsSync(work.path('nowhere-out'))).toBe(false);
  });

  it('a target holding files fn-build did not write is refused and left untouched', async () => {
    const target = writeFiles(work.path('foreign'), { 'notes.txt': 'mine' });
    const run = await runFnBuild(['--source', writeFiles(work.path('foreign-src'), CJS_MS), '--target', target, '--handler', 'handler#greet']);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/target .*foreign is not empty and was not written by fn-build/);
    expect(readdirSync(target)).toEqual(['notes.txt']);
    expect(readFileSync(join(target, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('a failed rebuild over a good build leaves nothing fn-run could start from', async () => {
    const target = work.path('rebuild-out');
    const good = await runFnBuild(['--source', writeFiles(work.path('rebuild-a'), CJS_MS), '--target', target, '--handler', 'handler#greet']);
    expect(good.code, good.stderr).toBe(0);
    expect(startable(target).length).toBeGreaterThan(0);
    const bad = await runFnBuild(['--source', writeFiles(work.path('rebuild-b'), CJS_MS), '--target', target, '--handler', 'handler#nope']);
    expect(bad.code).not.toBe(0);
    expect(startable(target)).toEqual([]);
    expect(readdirSync(target)).toEqual(['.fnkit-building']);
  });
});
