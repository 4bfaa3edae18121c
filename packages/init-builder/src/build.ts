import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { BuildError } from './build-error.js';
import { startHandlerCheck, type HandlerCheck } from './check/verify-handler.js';
import { compileHandler, type CompileResult } from './compile.js';
import { installDependencies, readPackageJson, type DependencyResult } from './dependencies.js';
import { findHandlerModule, type HandlerModule } from './handler-module.js';
import type { BuildOptions } from './options.js';
import { createProgress } from './progress.js';
import { materializeSource, statSource, type MaterializedSource } from './source/materialize.js';
import { abandonStaging, claimTarget, entriesToKeep, finishTarget, moveIntoTarget, realOrSelf, RECORD_FILE } from './target.js';
import { VERSION } from './version.js';

/** `.fnkit-build.json`: what was built from what, and how long each step took. */
export interface BuildRecord {
  builder: string;
  builtAt: string;
  source: { path: string; kind: MaterializedSource['kind']; files: number; checksum: string; unwrapped?: string };
  handler: { module: string; file: string; source: string; export: string; compiled: boolean };
  dependencies: DependencyResult;
  node: string;
  platform: string;
  durationsMs: Record<string, number>;
}

export interface BuildIo {
  /** Progress lines (one per step). */
  log(line: string): void;
  env: NodeJS.ProcessEnv;
}

/**
 * Builds the function's source into the target directory: source -> staging (inside the target) ->
 * compile -> dependencies -> handler check -> move into place -> record. Throws BuildError (one line);
 * on failure the target holds no module fn-run could start from.
 */
export async function build(options: BuildOptions, io: BuildIo): Promise<BuildRecord> {
  const started = performance.now();
  const progress = createProgress(io.log);
  const target = realOrSelf(options.target);
  const source = realOrSelf(options.source);
  if (source === target || isInside(source, target)) {
    throw new BuildError(`source ${options.source} lies inside the target ${options.target}, which fn-build empties first: keep them apart`);
  }

  statSource(options.source);

  // Node starts for the load check now, while the build goes on; it imports the module when asked.
  const check: HandlerCheck = startHandlerCheck();
  let claimed: { staging: string; removed: Promise<void> };
  try {
    claimed = await progress.step(
      'prepare',
      () => claimTarget(target, entriesToKeep(target, options.cache && realOrSelf(options.cache))),
      () => `target ${options.target}`,
    );
  } catch (err) {
    check.dispose();
    throw err;
  }
  const { staging, removed } = claimed;
  try {
    const src = await progress.step(
      'source',
      () => materializeSource(options.source, staging, options.checksum, new Set([target, ...(options.cache ? [realOrSelf(options.cache)] : [])]), options.module, options.unpackLimits),
      (s) => `${s.kind} ${options.source} (${s.files} file${s.files === 1 ? '' : 's'}${s.unwrapped ? `, unwrapped ${s.unwrapped}/` : ''}; ${s.checksum}${options.checksum ? ', checksum matches' : ''})`,
    );

    let handler!: HandlerModule;
    let hasPackageJson = false;
    const compiled = await progress.step(
      'compile',
      async () => {
        const pkg = readPackageJson(staging);
        hasPackageJson = pkg !== undefined;
        handler = findHandlerModule(staging, options.module, src.file, pkg?.main);
        return compileHandler(staging, handler);
      },
      (c: CompileResult) =>
        (c.compiled ? `${handler.sourceFile} -> ${c.outputFile} (esbuild)` : `${c.outputFile} (JavaScript, nothing to compile)`) +
        (c.imports.size > 0 ? `; imports ${[...c.imports.keys()].join(', ')}` : '') +
        (c.scanWarning ? `; imports not scanned: ${c.scanWarning}` : ''),
    );

    const deps = await progress.step(
      'dependencies',
      () => installDependencies(staging, compiled.imports, { cache: options.cache, allowScripts: options.allowScripts, dev: options.dev, env: io.env }),
      (d) =>
        (d.installer === 'none'
          ? 'none to install'
          : `${d.installer === 'cache' ? `reused node_modules from the cache (${d.cacheCopy})` : d.installer} (${d.packages} package${d.packages === 1 ? '' : 's'}${d.lockfile ? `, ${d.lockfile}` : ''}${options.dev ? ', with devDependencies' : ', production'}${options.allowScripts ? ', scripts allowed' : ''})`) + (d.provided ? `; provided ${d.provided.join(', ')}` : ''),
    );
    // Registry credentials are for the install only: they stay out of the runtime's volume.
    const npmrc = join(staging, '.npmrc');
    if (existsSync(npmrc)) {
      rmSync(npmrc);
      progress.info('removed .npmrc from the output (credentials stay out of the runtime volume)');
    }

    const exportName = await progress.step(
      'check',
      () => check.verify(join(staging, compiled.outputFile), compiled.outputFile, options.exportName, hasPackageJson, options.allowScripts),
      (name) => `${compiled.outputFile} loads; export '${name}' is a function`,
    );

    await progress.step(
      'commit',
      async () => {
        await removed;
        return moveIntoTarget(staging, target, lastEntries(staging, handler.module));
      },
      (n) => `${n} entries moved into ${options.target}`,
    );

    const durationsMs = { ...progress.durations, total: Math.round(performance.now() - started) };
    const record: BuildRecord = {
      builder: `@fnkit/init-builder ${VERSION}`,
      builtAt: new Date().toISOString(),
      source: { path: options.source, kind: src.kind, files: src.files, checksum: src.checksum, ...(src.unwrapped ? { unwrapped: src.unwrapped } : {}) },
      handler: { module: handler.module, file: compiled.outputFile, source: handler.sourceFile, export: exportName, compiled: compiled.compiled },
      dependencies: deps,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      durationsMs,
    };
    finishTarget(staging, target, record);
    progress.info(`ready: ${options.target} (MOD_NAME=${handler.module} FUNC_HANDLER=${exportName}; ${RECORD_FILE} written) in ${durationsMs.total} ms`);
    return record;
  } catch (err) {
    check.dispose();
    await removed;
    abandonStaging(staging);
    throw err;
  }
}

/** The entries through which fn-run finds the handler: moved last. */
function lastEntries(staging: string, module: string): Set<string> {
  const first = module.split('/')[0]!;
  if (module.includes('/')) return new Set([first]);
  return new Set(readdirSync(staging).filter((e) => e.startsWith(`${module}.`)));
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
}
