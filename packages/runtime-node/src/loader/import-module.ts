/**
 * `import()` for modules that are not part of fn-run's own code: the function's module, tsx, esbuild and
 * the dependencies loaded on demand. The CLI runs as a script compiled from a V8 code cache (see
 * boot/code-cache.ts), and such a script cannot evaluate `import()` itself on Node 20 (no dynamic-import
 * callback is attached to code restored from a cache); so the CLI's entry, a real ES module, hands its
 * own `import()` in through setModuleImporter before any command runs. Everywhere else (tests, the
 * isolation worker, the library build) the plain `import()` below is used.
 */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

let importer: ModuleImporter = (specifier) => import(/* @vite-ignore */ specifier);

export function setModuleImporter(fn: ModuleImporter): void {
  importer = fn;
}

/** Imports `specifier` (a package name or a file: URL) as the entry module would. */
export function importModule<T = Record<string, unknown>>(specifier: string): Promise<T> {
  return importer(specifier) as Promise<T>;
}
