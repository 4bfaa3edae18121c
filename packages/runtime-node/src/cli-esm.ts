/**
 * dist/cli.js: `node dist/cli.js ...` as before the entry became CommonJS. It only runs dist/cli.cjs
 * (cli.ts), the entry that bin/fn-run.cjs and the runtime image use; starting there skips the ES module
 * loader at boot.
 */
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./cli.cjs');
