#!/usr/bin/env node
// The installed entry point: present before the first build, so npm links it at install time.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('fn-build: @fnkit/init-builder is not built yet: run `npm run build` at the repository root\n');
  process.exit(1);
}
await import(cli.href);
