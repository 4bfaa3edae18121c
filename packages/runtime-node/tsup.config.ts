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
    // The CLI and the isolation worker: ESM only, code-split so sub-commands load lazily.
    entry: { cli: 'src/cli.ts', 'isolation-worker': 'src/isolation/worker.ts' },
    format: ['esm'],
    target: 'node20',
    sourcemap: true,
    splitting: true,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
