import { statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionModule, Handler } from '@fnkit/sdk';
import { LoadError } from './load-error.js';
import { registerTypeScript } from './register-typescript.js';
import { resolveExport } from './resolve-export.js';
import { findSyntaxErrorLine } from './syntax-location.js';
import { importModule } from './import-module.js';

export { LoadError } from './load-error.js';

export interface LoadedFunction {
  handler: Handler;
  /** Lifecycle hooks the module exports as functions (init, shutdown, liveness, readiness). */
  module: FunctionModule;
  /** Absolute path of the module file. */
  file: string;
  /** The export the handler came from (`default`, `handler` or the name asked for). */
  exportName: string;
}

export const SUPPORTED_EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts', '.mts', '.cts'] as const;
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);

/** Imports a function module (ESM or CommonJS, JavaScript or TypeScript) and picks its handler. Throws LoadError. */
export async function loadFunction(file: string, exportName: string | undefined): Promise<LoadedFunction> {
  const abs = resolve(file);
  const ext = extname(abs);
  let isFile = false;
  try {
    // Sync: node:fs/promises is not loaded at start-up otherwise (~1 ms of CPU to load), and one stat is
    // cheaper than a round trip through the thread pool.
    isFile = statSync(abs).isFile();
  } catch {
    throw new LoadError(`file not found: ${abs}`);
  }
  if (!isFile) throw new LoadError(`cannot load ${abs}: not a file (give the handler module, e.g. ${abs}/handler.ts)`);
  if (!(SUPPORTED_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new LoadError(`cannot load ${abs}: unsupported file type '${ext || '(none)'}'; use one of ${SUPPORTED_EXTENSIONS.join(' ')}`);
  }
  if (TYPESCRIPT.has(ext)) await registerTypeScript();
  let ns: Record<string, unknown>;
  try {
    ns = await importModule(pathToFileURL(abs).href);
  } catch (err) {
    throw await importError(abs, err);
  }
  const picked = resolveExport(ns, abs, exportName);
  return { handler: picked.handler, module: picked.module, file: abs, exportName: picked.exportName };
}

/** One line for an error thrown while importing: syntax errors with their line, others with their message. */
async function importError(file: string, err: unknown): Promise<LoadError> {
  const e = err instanceof Error ? err : new Error(String(err));
  const message = firstLine(e.message);
  const transform = /Transform failed with \d+ errors?:\s*\n?(.*?):(\d+):\d+: (?:ERROR: )?(.*)/.exec(e.message);
  if (transform) {
    return new LoadError(`syntax error in ${transform[1]}:${transform[2]}: ${firstLine(transform[3] ?? '')}`, { cause: err });
  }
  if (e.name === 'SyntaxError') {
    const line = syntaxLine(e, file);
    const where = line ? `${line.file}:${line.line}` : await withLine(file);
    return new LoadError(`syntax error in ${where}: ${message}`, { cause: err });
  }
  if (/is not defined in ES module scope/.test(message)) {
    return new LoadError(
      `cannot load ${file}: ${message.replace(/, you can use import instead$/, '')} (the file is loaded as an ES module because it ends in .mjs or its package.json says "type": "module"; for CommonJS rename it to .cjs)`,
      { cause: err },
    );
  }
  return new LoadError(`cannot load ${file}: ${message}`, { cause: err });
}

async function withLine(file: string): Promise<string> {
  const line = await findSyntaxErrorLine(file);
  return line === undefined ? file : `${file}:${line}`;
}

/** Node puts `file:line` (CJS) or `file:///url:line` (ESM) at the top of a SyntaxError's stack. */
function syntaxLine(e: Error, file: string): { file: string; line: string } | undefined {
  const head = (e.stack ?? '').split('\n')[0] ?? '';
  const m = /^(file:\/\/\S+|\/\S+?):(\d+)\s*$/.exec(head);
  if (!m) return undefined;
  const where = m[1]!.startsWith('file://') ? decodeURIComponent(new URL(m[1]!).pathname) : m[1]!;
  return { file: where || file, line: m[2]! };
}

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? s).trim();
}
