import { readFile, writeFile } from 'node:fs/promises';
import { defineConfig } from 'tsup';
import { lazyRequires } from './build/lazy-requires.js';
import { BUNDLE_WRAPPER } from './src/boot/bundle-wrapper.js';

// fastify (with find-my-way, which http-server.ts also uses for the reserved paths), pino and the SDK are bundled into fn-run's own code (cold start: Node then reads one file
// instead of resolving and loading ~150 modules of node_modules). Everything else (prom-client,
// pino-pretty, tsx, kafkajs, the NATS client, croner, yaml) stays external and is loaded from
// node_modules only when used.
const bundled = ['fastify', 'find-my-way', 'pino', '@fnkit/sdk'];
// What fastify requires only on paths fn-run never takes (schema compilers: fn-run passes its own
// no-schema compilers; light-my-request: inject()). Left out of the bundle; they resolve from
// node_modules (fastify's dependencies) should anything ever ask for them.
const unused = [
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
  'ajv',
  'ajv-formats',
  'fast-uri',
  'json-schema-ref-resolver',
  '@fastify/merge-json-schemas',
  'light-my-request',
];

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    target: 'node20',
    sourcemap: true,
  },
  {
    // The CLI as one CommonJS script, dist/fn-run.cjs, that the entry (dist/cli.cjs) runs from a V8 code cache
    // (src/boot/code-cache.ts; the cache is made after this build by dist/train-code-cache.js).
    // Sub-commands and triggers stay lazy: esbuild turns their import() into code that is compiled
    // and evaluated only when called. import.meta.url is shimmed from __filename (dist/fn-run.cjs).
    entry: { 'fn-run': 'src/run-cli.ts' },
    format: ['cjs'],
    target: 'node20',
    sourcemap: true,
    splitting: false,
    shims: true,
    noExternal: bundled,
    external: unused,
    // fastify's requires of https, http2, dns, semver and proxy-addr run on first use only.
    esbuildPlugins: [lazyRequires],
    // The CommonJS wrapper Node would add, written into the file (runBundle compiles the file's text as
    // it is: wrapping it at start-up made V8 copy the whole 1.1 MB string first). Not a module of its own
    // any more: only runBundle runs it.
    banner: { js: BUNDLE_WRAPPER },
    footer: { js: '})' },
    // ASCII only, so code-cache.ts can read it as latin1 straight into a one-byte string (a two-byte
    // string of the whole bundle costs time to decode and twice the memory): esbuild escapes other
    // characters in code; those it leaves in comments are replaced here.
    esbuildOptions(options) {
      options.charset = 'ascii';
    },
    async onSuccess() {
      const file = 'dist/fn-run.cjs';
      const source = await readFile(file, 'utf8');
      const ascii = source.replace(/[^\0-\x7f]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
      if (ascii !== source) await writeFile(file, ascii);
    },
  },
  {
    // The entry, dist/cli.cjs (bin/fn-run.cjs, `npx fn-run` and the runtime image start here): CommonJS, so
    // Node boots it without its ES module loader and without ES module facades of node:fs, node:vm,
    // node:zlib and the rest (~4 ms of start-up CPU); the loader starts later, at the import() of the
    // function module. import.meta.url is shimmed from __filename.
    entry: { cli: 'src/cli.ts' },
    format: ['cjs'],
    target: 'node20',
    sourcemap: true,
    splitting: false,
    shims: true,
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // ES modules: dist/cli.js (`node dist/cli.js` as before: it requires dist/cli.cjs), the isolation
    // worker and the build step that makes the code cache. Each one file (no shared chunks).
    entry: { cli: 'src/cli-esm.ts', 'isolation-worker': 'src/isolation/worker.ts', 'train-code-cache': 'src/boot/train-code-cache.ts' },
    format: ['esm'],
    target: 'node20',
    sourcemap: true,
    splitting: false,
    noExternal: bundled,
    external: unused,
    // Bundled CommonJS code calls require() for Node's built-in modules: give every chunk one.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __fnkitCreateRequire } from 'node:module';\nconst require = __fnkitCreateRequire(import.meta.url);" },
  },
]);
