import { readFileSync, writeFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

/** The @fnkit/sdk copy fn-build puts into node_modules for functions that import it without declaring it. */
const SDK_OUT = 'dist/vendor/fnkit-sdk';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: true,
    target: 'node20',
    sourcemap: true,
  },
  {
    // The CLI, and the script the handler check runs in a child process (loaded by path, so its own file).
    entry: { cli: 'src/cli.ts', 'check-handler': 'src/check/check-handler.ts' },
    format: ['esm'],
    target: 'node20',
    sourcemap: true,
    splitting: true,
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // Built from the workspace's SDK source, so the package ships it without depending on a registry copy.
    entry: { index: '../sdk/src/index.ts' },
    outDir: SDK_OUT,
    format: ['esm', 'cjs'],
    target: 'node20',
    async onSuccess() {
      const sdk = JSON.parse(readFileSync('../sdk/package.json', 'utf8')) as { name: string; version: string; license: string };
      const manifest = {
        name: sdk.name,
        version: sdk.version,
        license: sdk.license,
        description: 'Provided by fn-build (@fnkit/init-builder) for a function that imports @fnkit/sdk without declaring it',
        type: 'module',
        main: './index.cjs',
        module: './index.js',
        exports: { '.': { import: './index.js', require: './index.cjs' } },
        sideEffects: false,
      };
      writeFileSync(`${SDK_OUT}/package.json`, `${JSON.stringify(manifest, null, 2)}\n`);
    },
  },
]);
