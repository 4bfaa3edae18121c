import { defineConfig } from 'tsup';

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
]);
