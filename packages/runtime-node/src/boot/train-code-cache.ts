/**
 * Build step: makes dist/fn-run.cjs.cache, the V8 code cache fn-run's CLI starts from (see code-cache.ts).
 * Run by `npm run build` and by the runtime image build, each time with the node that will run fn-run
 * (V8 rejects a cache made by another version: fn-run then still works, it only starts slower).
 *
 * It serves a one-line function as `fn-run handler.mjs --host 127.0.0.1 --port <free port>` would, with
 * default settings, in a child process; once a GET / has been answered, the child saves what V8 has
 * compiled of the bundle: the code start-up and a first request run.
 *   node dist/train-code-cache.js
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBundle, stampBundle, writeCodeCache } from './code-cache.js';
import type { runCli } from '../run-cli.js';

const bundle = fileURLToPath(new URL('./fn-run.cjs', import.meta.url));
const TIMEOUT_MS = 60_000;

if (process.argv[2] === '--serve') await serveAndSave(process.argv[3]!);
else process.exitCode = await train();

/** Parent: writes the function to a temporary directory and runs the child with a clean environment. */
async function train(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'fnkit-code-cache-'));
  try {
    const handler = join(dir, 'handler.mjs');
    writeFileSync(handler, "export default function handler() {\n  return { ok: true };\n}\n");
    // No FNKIT_*/FUNC_* settings from the build's environment: the cache is made with the defaults.
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', handler], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { PATH: process.env.PATH ?? '' },
      timeout: TIMEOUT_MS,
    });
    const code = await new Promise<number>((resolve) => {
      child.once('error', () => resolve(1));
      child.once('exit', (c) => resolve(c ?? 1));
    });
    if (code !== 0) process.stderr.write(`fn-run: the code cache was not made (the training run exited with ${code})\n`);
    return code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Child: serves `handler`, waits for one answered GET /, saves the cache and exits. */
async function serveAndSave(handler: string): Promise<void> {
  // runBundle reads the bundle as latin1: anything but ASCII would change the code (tsup.config.ts escapes it).
  if (/[^\0-\x7f]/.test(readFileSync(bundle, 'utf8'))) throw new Error(`${bundle} is not ASCII: see tsup.config.ts`);
  stampBundle(bundle);
  const port = await freePort();
  const run = runBundle(bundle, { cache: false });
  void (run.exports.runCli as typeof runCli)([handler, '--host', '127.0.0.1', '--port', String(port)], (specifier) => import(specifier));
  const until = Date.now() + TIMEOUT_MS;
  while (!(await answered(port))) {
    if (Date.now() > until) throw new Error('fn-run did not answer GET / while the code cache was being made');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const bytes = writeCodeCache(run, bundle);
  process.stderr.write(`fn-run: code cache written (${Math.round(bytes / 1024)} KiB, node ${process.version})\n`);
  process.exit(0);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function answered(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('error', () => resolve(false));
    req.end();
  });
}
