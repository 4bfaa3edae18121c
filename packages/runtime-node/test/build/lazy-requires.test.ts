import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, it, expect } from 'vitest';
import { lazyRequires } from '../../build/lazy-requires.js';

const pkg = fileURLToPath(new URL('../..', import.meta.url));

/** fastify bundled with the plugin, as in dist/fn-run.cjs, then run in a fresh node: what it answers and loads. */
async function runBundled(program: string): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'fnkit-lazy-requires-'));
  const entry = join(dir, 'entry.cjs');
  writeFileSync(entry, program);
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
  return JSON.parse(execFileSync(process.execPath, [out], { encoding: 'utf8', cwd: pkg })) as Record<string, unknown>;
}

const LOADED = `const loaded = (m) => process.moduleLoadList.includes('NativeModule ' + m);`;

describe('the lazy-requires build plugin (fastify in the CLI bundle)', () => {
  it('serves plain HTTP without loading https, http2 or tls', async () => {
    const result = await runBundled(`${LOADED}
      const app = require('fastify')();
      app.get('/', async () => ({ ok: true }));
      app.listen({ host: '127.0.0.1', port: 0 }).then(async (address) => {
        // node:http, not fetch: undici itself loads http2 and tls.
        require('node:http').get(address, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', async () => {
            await app.close();
            process.stdout.write(JSON.stringify({ status: res.statusCode, body: JSON.parse(text), https: loaded('https'), http2: loaded('http2'), tls: loaded('tls') }));
          });
        });
      });`);
    expect(result).toMatchObject({ status: 200, body: { ok: true }, https: false, http2: false, tls: false });
  });

  it('still gives the real module to an option that needs it (http2, trustProxy, a plugin version check)', async () => {
    const result = await runBundled(`${LOADED}
      const fp = (fn, meta) => Object.assign(fn, { [Symbol.for('skip-override')]: true, [Symbol.for('plugin-meta')]: meta });
      const app = require('fastify')({ http2: true, trustProxy: '127.0.0.1' });
      app.register(fp(async () => {}, { name: 'too-new', fastify: '>=99' }));
      app.ready((err) => {
        const isHttp2 = app.server.constructor.name;
        process.stdout.write(JSON.stringify({ versionCheck: err ? err.code : 'passed', server: isHttp2, http2: loaded('http2') }));
      });`);
    expect(result).toEqual({ versionCheck: 'FST_ERR_PLUGIN_VERSION_MISMATCH', server: 'Http2Server', http2: true });
  });
});
