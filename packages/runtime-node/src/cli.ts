/**
 * fn-run's entry (dist/cli.js; bin/fn-run.js, `npx fn-run` and the runtime image all start here).
 * The command line itself (run-cli.ts) is built as one CommonJS bundle, dist/fn-run.cjs, and run from
 * the V8 code cache the build made for it (boot/code-cache.ts): most of fn-run's start-up was Node
 * parsing and compiling fastify, pino and fn-run. This file stays a real ES module because code restored
 * from a cache cannot call import() on Node 20; the bundle imports the function module (and tsx,
 * esbuild) through the import() handed over here, which resolves from dist/ as the bundle's require does.
 */
import { fileURLToPath } from 'node:url';
import { runBundle } from './boot/code-cache.js';
import type { runCli } from './run-cli.js';

const { exports } = runBundle(fileURLToPath(new URL('./fn-run.cjs', import.meta.url)));
void (exports.runCli as typeof runCli)(process.argv.slice(2), (specifier) => import(specifier));
