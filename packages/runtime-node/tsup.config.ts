import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    target: 'node20',
    sourcemap: true,
  },
  {
    // The CLI and the isolation worker: ESM only, code-split so sub-commands and triggers load lazily.
    // fastify, pino and the SDK are bundled into the chunks that use them (cold start: Node then reads and
    // compiles a few files instead of resolving and loading ~150 modules of node_modules). Everything else
    // (prom-client, pino-pretty, tsx, kafkajs, the NATS client, croner, yaml) stays external and is loaded
    // from node_modules only when used.
    entry: { cli: 'src/cli.ts', 'isolation-worker': 'src/isolation/worker.ts' },
    format: ['esm'],
    target: 'node20',
    sourcemap: true,
    splitting: true,
    noExternal: ['fastify', 'pino', '@fnkit/sdk'],
    // What fastify requires only on paths fn-run never takes (schema compilers: fn-run passes its own
    // no-schema compilers; light-my-request: inject()). Left out of the bundle; they resolve from
    // node_modules (fastify's dependencies) should anything ever ask for them.
    external: [
      '@fastify/ajv-compiler',
      '@fastify/fast-json-stringify-compiler',
      'ajv',
      'ajv-formats',
      'fast-uri',
      'json-schema-ref-resolver',
      '@fastify/merge-json-schemas',
      'light-my-request',
    ],
    // Bundled CommonJS code calls require() for Node's built-in modules: give every chunk one.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __fnkitCreateRequire } from 'node:module';\nconst require = __fnkitCreateRequire(import.meta.url);" },
  },
]);
