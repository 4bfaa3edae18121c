import { mkdirSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative } from 'node:path';
import type { BuildFailure, BuildOptions as EsbuildOptions, Message, Metafile, Plugin } from 'esbuild';
import { BuildError } from './build-error.js';
import type { HandlerModule } from './handler-module.js';

export interface CompileResult {
  /** The file fn-run will find for MOD_NAME (relative to the build directory). */
  outputFile: string;
  /** True when TypeScript was compiled (to .mjs, or .cjs for a .cts module). */
  compiled: boolean;
  /** Packages (bare imports, not Node built-ins) the handler's module graph imports: name -> one importing file. */
  imports: Map<string, string>;
  /** Set when a JavaScript handler could not be scanned (its imports are then left to the load check). */
  scanWarning?: string;
}

/**
 * CommonJS names an ES module lacks, defined at the top of the output when the bundle uses them and does
 * not declare them itself (tsx runs a `.ts` file of a non-module package as CommonJS, where they exist).
 */
const SHIMS: { uses: RegExp; declares: RegExp; code: string }[] = [
  {
    // esbuild's __require helper calls `require` when one exists (a CommonJS file imported from ESM).
    uses: /Dynamic require of "|\brequire\(/,
    declares: /(?:const|let|var|function)\s+require\b/,
    code: "import { createRequire as __fnkitCreateRequire } from 'node:module'; const require = __fnkitCreateRequire(import.meta.url);",
  },
  {
    uses: /\b__filename\b|\b__dirname\b/,
    declares: /(?:const|let|var|function)\s+__(?:file|dir)name\b/,
    code: "import { fileURLToPath as __fnkitFileURLToPath } from 'node:url'; const __filename = __fnkitFileURLToPath(import.meta.url); const __dirname = __fnkitFileURLToPath(new URL('.', import.meta.url)).replace(/\\/$/, '');",
  },
];

/**
 * TypeScript: bundles the handler's own files (packages stay imports, resolved from node_modules at run
 * time) with esbuild into `<module>.mjs` (ESM; `.cts` gives `<module>.cjs`), which fn-run finds before any
 * `.ts`, so it starts without tsx. JavaScript: nothing is written; esbuild only lists the packages it imports.
 */
export async function compileHandler(dir: string, handler: HandlerModule): Promise<CompileResult> {
  const esbuild = await import('esbuild');
  const entry = join(dir, handler.sourceFile);
  const base: EsbuildOptions = {
    absWorkingDir: dir,
    entryPoints: [entry],
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    metafile: true,
    write: false,
    logLevel: 'silent',
    plugins: [nativeAddonsExternal],
  };
  if (!handler.typescript) {
    try {
      const result = await esbuild.build({ ...base, format: 'esm', outdir: join(dir, '.fnkit-scan') });
      return { outputFile: handler.sourceFile, compiled: false, imports: packageImports(result.metafile!, dir) };
    } catch (err) {
      return { outputFile: handler.sourceFile, compiled: false, imports: new Map(), scanWarning: describeFailure(err, dir) };
    }
  }
  const cjs = handler.sourceFile.endsWith('.cts');
  const outputFile = handler.module + (cjs ? '.cjs' : '.mjs');
  const options: EsbuildOptions = { ...base, format: cjs ? 'cjs' : 'esm', outfile: join(dir, outputFile), sourcemap: 'linked' };
  let result;
  try {
    result = await esbuild.build(options);
    const main = result.outputFiles!.find((f) => f.path.endsWith(outputFile));
    const shims = cjs || !main ? [] : SHIMS.filter((shim) => shim.uses.test(main.text) && !shim.declares.test(main.text));
    if (shims.length > 0) result = await esbuild.build({ ...options, banner: { js: shims.map((shim) => shim.code).join('\n') } });
  } catch (err) {
    throw new BuildError(`cannot compile ${handler.sourceFile}: ${describeFailure(err, dir)}; fix the source and rebuild`);
  }
  for (const file of result.outputFiles!) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.contents);
  }
  return { outputFile, compiled: true, imports: packageImports(result.metafile!, dir) };
}

/** Native add-ons (`.node`) are loaded by Node at run time, never bundled. */
const nativeAddonsExternal: Plugin = {
  name: 'fnkit-native-addons',
  setup(build) {
    build.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, external: true }));
  },
};

/** The package name of a bare specifier: `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
export function packageName(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(specifier)) return undefined;
  if (isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function packageImports(metafile: Metafile, dir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const [file, input] of Object.entries(metafile.inputs)) {
    for (const imp of input.imports) {
      if (!imp.external) continue;
      const name = packageName(imp.path);
      if (name && !found.has(name)) found.set(name, relative(dir, join(dir, file)) || file);
    }
  }
  return found;
}

function describeFailure(err: unknown, dir: string): string {
  const errors = (err as BuildFailure).errors as Message[] | undefined;
  const first = errors?.[0];
  if (!first) return (err as Error).message.split('\n')[0] ?? String(err);
  const where = first.location ? `${relative(dir, join(dir, first.location.file)) || first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
  const more = errors!.length > 1 ? ` (and ${errors!.length - 1} more error${errors!.length > 2 ? 's' : ''})` : '';
  return `${where}${first.text}${more}`;
}
