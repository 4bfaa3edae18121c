import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Spawns the built CLI (`npm run build` first) on a free port and waits for /readyz. */

export const root = fileURLToPath(new URL('../../', import.meta.url));
// The entry bin/fn-run.cjs runs (CommonJS: it imports the function module with the import() it hands to
// the cached bundle); dist/cli.js only requires it.
export const cli = join(root, 'packages/runtime-node/dist/cli.cjs');

/** A running `fn-run <args>` process with its output captured. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Exit code (or signal name) once the process is gone and its output read. */
  exited: Promise<number | string>;
  /** SIGTERM (or the given signal), then SIGKILL after 15 s; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** A served function: the process plus where it listens. */
export interface FnRun extends CliProcess {
  base: string;
  port: number;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Writes function sources into a fresh temporary directory; returns its path and a cleanup. */
export function writeFunctions(files: Record<string, string>): { dir: string; path(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'fnkit-http-'));
  // So the functions can import @fnkit/sdk and the rest of the workspace's packages.
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
  return { dir, path: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The environment without any fn-run setting of the outer shell. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (/^(FUNC_|MOD_NAME|KUBELESS_|FNKIT_|NATS_|KAFKA_|REQ_MB_LIMIT|PORT$|K_SERVICE|LOG_LEVEL)/.test(k)) delete env[k];
  return env;
}

/** Spawns `fn-run <args>` (JSON logs, no inherited fn-run settings) and captures its output. */
export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...cleanEnv(), FNKIT_LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  // 'close': the process is gone and its output fully read.
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const code = await exited;
        clearTimeout(t);
        return code;
      }
      return exited;
    },
  };
}

export async function startFnRun(file: string, args: string[] = [], env: Record<string, string> = {}): Promise<FnRun> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const run: FnRun = { ...startCli([file, '--port', String(port), '--host', '127.0.0.1', ...args], env), base, port };
  const { child } = run;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) {
      await run.exited;
      throw new Error(`fn-run exited with ${child.exitCode} before it was ready:\n${run.stderr()}${run.stdout()}`);
    }
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.status === 200) return run;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await run.stop('SIGKILL');
  throw new Error(`fn-run did not become ready at ${base}: ${run.stderr()}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls GET /metrics until the text matches (the function's event loop must be free to answer). */
export async function waitForMetric(base: string, pattern: RegExp, tries = 200): Promise<string> {
  let text = '';
  for (let i = 0; i < tries; i++) {
    text = await (await fetch(`${base}/metrics`)).text();
    if (pattern.test(text)) return text;
    await sleep(25);
  }
  throw new Error(`metrics never matched ${pattern}:\n${text}`);
}

/** Waits until the process's stdout (logs are flushed every 100 ms) or stderr contains the text. */
export async function waitForOutput(run: FnRun, text: string, stream: 'stdout' | 'stderr' = 'stdout', tries = 100): Promise<string> {
  for (let i = 0; i < tries; i++) {
    const out = stream === 'stdout' ? run.stdout() : run.stderr();
    if (out.includes(text)) return out;
    await sleep(50);
  }
  throw new Error(`fn-run never wrote ${JSON.stringify(text)} to ${stream}:\n${stream === 'stdout' ? run.stdout() : run.stderr()}`);
}
