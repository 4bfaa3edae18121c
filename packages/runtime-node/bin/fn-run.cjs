#!/usr/bin/env node
// The installed entry point: present before the first build, so npm links it at install time.
// CommonJS, as dist/cli.cjs, the entry it runs: no ES module loader at boot (see src/cli.ts).
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '../dist/cli.cjs');
if (!existsSync(cli)) {
  process.stderr.write('fn-run: @fnkit/runtime-node is not built yet: run `npm run build` at the repository root\n');
  process.exit(1);
}
require(cli);
