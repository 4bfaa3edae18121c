import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, it, expect } from 'vitest';
import { lazyRequires } from '../../build/lazy-requires.js';

const pkg = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `program` bundled with fastify and pino and the plugin, as in dist/fn-run.cjs, then run in a fresh node.
 * Every bundled module records that it was evaluated (globalThis.evaluated, paths under node_modules);
 * `loaded(name)` tells whether a built-in module was loaded. The program prints JSON.
 */
async function runBundled(program: string): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'fnkit-lazy-requires-'));
  const entry = join(dir, 'entry.cjs');
  writeFileSync(entry, `const loaded = (m) => process.moduleLoadList.includes('NativeModule ' + m);\n${program}`);
  const out = join(dir, 'out.cjs');
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: out,
    nodePaths: [join(pkg, 'node_modules'), join(pkg, '../../node_modules')],
    external: ['light-my-request'],
    plugins: [lazyRequires],
    logLevel: 'silent',
  });
  const marked = readFileSync(out, 'utf8').replace(
    /"(?:[^"]*\/)?node_modules\/([^"]+\.js)"\(exports\d*, module\d*\) \{/g,
    (m, path: string) => `${m} (globalThis.evaluated ??= []).push(${JSON.stringify(path)});`,
  );
  writeFileSync(out, marked);
  return JSON.parse(execFileSync(process.execPath, [out], { encoding: 'utf8', cwd: pkg })) as Record<string, unknown>;
}

const LAZY_MODULES = /^(semver|@fastify\/proxy-addr|sonic-boom|thread-stream|on-exit-leak-free|atomic-sleep|pino\/lib\/transport\.js)/;

describe('the lazy-requires build plugin (fastify and pino in the CLI bundle)', () => {
  it('serves plain HTTP and logs to a stream of its own without evaluating what only other options use', async () => {
    const result = await runBundled(`
      const lines = [];
      const log = require('pino')({ base: null }, { write: (line) => lines.push(JSON.parse(line).msg) });
      const app = require('fastify')();
      app.get('/', async () => ({ ok: true }));
      app.listen({ host: '127.0.0.1', port: 0 }).then((address) => {
        // node:http, not fetch: undici itself loads http2 and tls.
        require('node:http').get(address, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', async () => {
            log.info('answered');
            await app.close();
            process.stdout.write(JSON.stringify({ status: res.statusCode, body: JSON.parse(text), lines,
              builtins: ['https', 'http2', 'tls', 'assert'].filter(loaded), evaluated: globalThis.evaluated }));
          });
        });
      });`);
    expect(result).toMatchObject({ status: 200, body: { ok: true }, lines: ['answered'], builtins: [] });
    const evaluated = result.evaluated as string[];
    expect(evaluated).toContain('fastify/fastify.js');
    expect(evaluated).toContain('pino/pino.js');
    expect(evaluated.filter((m) => LAZY_MODULES.test(m))).toEqual([]);
  });

  it('still gives the real module to an option that needs it (http2, trustProxy, a plugin version check, pino.destination)', async () => {
    const result = await runBundled(`
      const fp = (fn, meta) => Object.assign(fn, { [Symbol.for('skip-override')]: true, [Symbol.for('plugin-meta')]: meta });
      const pino = require('pino');
      const dest = pino.destination({ dest: 1, sync: true });
      const app = require('fastify')({ http2: true, trustProxy: '127.0.0.1' });
      app.register(fp(async () => {}, { name: 'too-new', fastify: '>=99' }));
      app.ready((err) => {
        process.stdout.write(JSON.stringify({ versionCheck: err ? err.code : 'passed', server: app.server.constructor.name,
          sonicBoom: dest.constructor.name, evaluated: globalThis.evaluated.filter((m) => ${LAZY_MODULES}.test(m)).sort() }));
      });`);
    expect(result).toMatchObject({ versionCheck: 'FST_ERR_PLUGIN_VERSION_MISMATCH', server: 'Http2Server', sonicBoom: 'SonicBoom' });
    expect(result.evaluated).toEqual(expect.arrayContaining(['semver/index.js', '@fastify/proxy-addr/index.js', 'sonic-boom/index.js']));
  });

  it("answers find-my-way's and fastify's passing asserts without node:assert, and throws the real AssertionError for a failing one", async () => {
    const result = await runBundled(`
      const router = require('find-my-way')();
      router.on('GET', '/a/:id', () => {});
      const before = loaded('assert');
      let error;
      try {
        router.on('GET', '', () => {});
      } catch (err) {
        error = { name: err.name, code: err.code, message: err.message, isAssertionError: err instanceof require('node:assert').AssertionError };
      }
      process.stdout.write(JSON.stringify({ found: router.find('GET', '/a/7')?.params, before, error, after: loaded('assert') }));`);
    expect(result).toEqual({
      found: { id: '7' },
      before: false,
      error: { name: 'AssertionError', code: 'ERR_ASSERTION', message: 'The path could not be empty', isAssertionError: true },
      after: true,
    });
  });
});
