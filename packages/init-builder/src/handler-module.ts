import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { BuildError } from './build-error.js';

/** fn-run's lookup order for MOD_NAME: the first of these that exists is the module it loads. */
export const MODULE_EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts', '.mts', '.cts'] as const;
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);

export interface HandlerModule {
  /** MOD_NAME: path relative to the build directory, no extension. */
  module: string;
  /** The source file fn-run would pick, relative ('/'-separated). */
  sourceFile: string;
  typescript: boolean;
}

/**
 * Finds the handler module in the staged source. With a name: `<name>.js`, `.cjs`, `.mjs`, `.ts`, `.mts`,
 * `.cts`, first found (fn-run's order). Without: a single-file source's file, else package.json `main`,
 * else `handler.*`, else `index.*`, else the only module file at the top level.
 */
export function findHandlerModule(dir: string, wanted: string | undefined, singleFile: string | undefined, main: string | undefined): HandlerModule {
  if (wanted !== undefined) {
    const found = lookup(dir, wanted);
    if (found) return found;
    throw new BuildError(
      `handler module '${wanted}' not found in the source: looked for ${MODULE_EXTENSIONS.map((e) => wanted + e).join(', ')}; the source has: ${listModules(dir)}. Set MOD_NAME or --handler to one of those`,
    );
  }
  const candidates: string[] = [];
  if (singleFile) candidates.push(stripExtension(singleFile));
  if (main && (MODULE_EXTENSIONS as readonly string[]).includes(extname(main))) candidates.push(stripExtension(main.replace(/^\.\//, '')));
  candidates.push('handler', 'index');
  for (const c of candidates) {
    const found = lookup(dir, c);
    if (found) return found;
  }
  const top = topLevelModules(dir);
  if (top.length === 1) return lookup(dir, stripExtension(top[0]!))!;
  throw new BuildError(
    `cannot tell which module is the handler: the source has ${top.length === 0 ? 'no module file (.js .cjs .mjs .ts .mts .cts)' : top.join(', ')}; set MOD_NAME (or --handler <module>[#<export>])`,
  );
}

export function stripExtension(file: string): string {
  const ext = extname(file);
  return (MODULE_EXTENSIONS as readonly string[]).includes(ext) ? file.slice(0, -ext.length) : file;
}

function lookup(dir: string, module: string): HandlerModule | undefined {
  for (const ext of MODULE_EXTENSIONS) {
    const rel = module + ext;
    const abs = join(dir, rel);
    if (existsSync(abs) && statSync(abs).isFile()) return { module, sourceFile: rel, typescript: TYPESCRIPT.has(ext) };
  }
  return undefined;
}

function topLevelModules(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => (MODULE_EXTENSIONS as readonly string[]).includes(extname(n)) && !n.endsWith('.d.ts') && !/\.config\.[cm]?[jt]s$/.test(n))
    .sort();
}

function listModules(dir: string): string {
  const top = topLevelModules(dir);
  return top.length === 0 ? '(no module files)' : top.join(', ');
}
