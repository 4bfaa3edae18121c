/**
 * fn-run's entry, built as CommonJS: dist/cli.cjs (bin/fn-run.cjs, `npx fn-run` and the runtime image all
 * start here; dist/cli.js, cli-esm.ts, requires it). CommonJS, so that Node boots it without its ES
 * module loader and the ES module facades of the built-in modules it uses.
 * The command line itself (run-cli.ts) is built as one CommonJS bundle, dist/fn-run.cjs, and run from
 * the V8 code cache the build made for it (boot/code-cache.ts): most of fn-run's start-up was Node
 * parsing and compiling fastify, pino and fn-run. Code restored from a cache cannot call import() on
 * Node 20: the bundle imports the function module (and tsx, esbuild) through the import() handed over
 * here (a file Node compiles itself, CommonJS or not), which resolves from dist/ as the bundle's require does.
 */
import { fileURLToPath } from 'node:url';
import { runBundle } from './boot/code-cache.js';
import type { runCli } from './run-cli.js';

const { exports } = runBundle(fileURLToPath(new URL('./fn-run.cjs', import.meta.url)));
void (exports.runCli as typeof runCli)(process.argv.slice(2), (specifier) => import(specifier));
