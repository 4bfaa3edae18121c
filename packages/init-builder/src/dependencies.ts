import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError } from './build-error.js';
import { copyTree, type CopyMode } from './copy-tree.js';
import { npmFailure, runNpm } from './npm.js';
import { PROVIDED_PACKAGES, provideSdk } from './provide-sdk.js';

export interface DependencyOptions {
  cache: string | undefined;
  allowScripts: boolean;
  dev: boolean;
  env: NodeJS.ProcessEnv;
}

export interface DependencyResult {
  /** How node_modules came to be: nothing to install, npm ci, npm install, or the cache. */
  installer: 'none' | 'npm ci' | 'npm install' | 'cache';
  /** True when node_modules was taken from the cache (the dependency hash was built before). */
  reused: boolean;
  /** sha256 over the lockfile, the dependency fields of package.json, Node's ABI, platform and the install flags. */
  hash?: string;
  lockfile?: string;
  /** Number of packages in the lockfile (or declared, without one). */
  packages: number;
  /** How node_modules was placed from or into the cache. */
  cacheCopy?: CopyMode;
  /** Packages fn-build added itself (`@fnkit/sdk@<version>` for a function importing it undeclared). */
  provided?: string[];
}

/** The function's own lifecycle scripts npm runs on install (with --allow-scripts). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];

/** node_modules sets kept in the cache (least recently used go first). */
const CACHE_KEEP = 5;

const DEPENDENCY_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies', 'bundleDependencies', 'bundledDependencies', 'overrides', 'workspaces'] as const;

interface PackageJson {
  name?: string;
  main?: string;
  type?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  bundleDependencies?: string[] | boolean;
  bundledDependencies?: string[] | boolean;
  scripts?: Record<string, unknown>;
}

/** Reads the source's package.json; undefined when there is none. Throws a clear line when it is not valid JSON. */
export function readPackageJson(dir: string): PackageJson | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  return parseJson(file, 'package.json', 'fix its syntax') as PackageJson;
}

function parseJson(file: string, name: string, todo: string): unknown {
  const text = readFileSync(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BuildError(`${name} in the source is not valid JSON (${(err as Error).message}); ${todo}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BuildError(`${name} in the source is not a JSON object; ${todo}`);
  return value;
}

/**
 * Installs the function's production dependencies into `dir/node_modules`: checks first that every package
 * the handler imports is declared, then takes node_modules from the cache when this dependency hash was
 * installed before, else runs `npm ci` (with a lockfile) or `npm install`, `--omit=dev` and `--ignore-scripts`
 * unless asked otherwise, and stores the result in the cache.
 */
export async function installDependencies(dir: string, imports: ReadonlyMap<string, string>, options: DependencyOptions): Promise<DependencyResult> {
  const pkg = readPackageJson(dir);
  const result = await installPackages(dir, pkg, imports, options);
  // After npm (which empties node_modules) and after the cache stored npm's result.
  const provided = provideSdk(dir, imports, declaredPackages(pkg, options.dev));
  return provided ? { ...result, provided: [provided] } : result;
}

async function installPackages(dir: string, pkg: PackageJson | undefined, allImports: ReadonlyMap<string, string>, options: DependencyOptions): Promise<DependencyResult> {
  const imports = new Map([...allImports].filter(([name]) => !PROVIDED_PACKAGES.has(name) || declaredPackages(pkg, options.dev).has(name)));
  if (!pkg) {
    if (imports.size > 0) {
      const [name, file] = imports.entries().next().value as [string, string];
      const all = [...imports.keys()].map((n) => `'${n}'`).join(', ');
      throw new BuildError(
        `${file} imports '${name}' but the source has no package.json: add a package.json listing ${all} under "dependencies" (and its package-lock.json) to the function's source`,
      );
    }
    return { installer: 'none', reused: false, packages: 0 };
  }
  checkDeclared(pkg, imports, options.dev);

  const lockName = ['npm-shrinkwrap.json', 'package-lock.json'].find((f) => existsSync(join(dir, f)));
  let lockText: string | undefined;
  let lockPackages = 0;
  if (lockName) {
    const lock = parseJson(join(dir, lockName), lockName, 'regenerate it with `npm install` and ship it with the source, or remove it') as {
      lockfileVersion?: unknown;
      packages?: Record<string, unknown>;
      dependencies?: Record<string, unknown>;
    };
    if (typeof lock.lockfileVersion !== 'number') {
      throw new BuildError(`${lockName} in the source has no lockfileVersion, so it is not an npm lockfile; regenerate it with \`npm install\` and ship it, or remove it`);
    }
    lockPackages = Object.keys(lock.packages ?? lock.dependencies ?? {}).filter((k) => k !== '').length;
    lockText = readFileSync(join(dir, lockName), 'utf8');
  }
  const wanted = { ...pkg.dependencies, ...pkg.optionalDependencies, ...(options.dev ? pkg.devDependencies : {}) };
  if (Object.keys(wanted).length === 0) return { installer: 'none', reused: false, packages: 0, ...(lockName ? { lockfile: lockName } : {}) };

  const hash = dependencyHash(pkg, lockText, options);
  const packages = lockName ? lockPackages : Object.keys(wanted).length;
  // With scripts allowed, the function's own install scripts may write outside node_modules: run npm every time.
  const ownScripts = options.allowScripts && INSTALL_SCRIPTS.some((s) => typeof pkg.scripts?.[s] === 'string');
  const cached = options.cache && !ownScripts ? join(options.cache, 'node_modules', hash.slice('sha256:'.length)) : undefined;
  if (cached && existsSync(join(cached, '.complete'))) {
    touch(cached);
    const cacheCopy = copyTree(join(cached, 'node_modules'), join(dir, 'node_modules'));
    return { installer: 'cache', reused: true, hash, packages, cacheCopy, ...(lockName ? { lockfile: lockName } : {}) };
  }

  const command = lockName ? 'ci' : 'install';
  const args = [command, '--no-audit', '--no-fund', '--loglevel=error'];
  // --include=dev explicitly: NODE_ENV=production (the builder image sets it) would leave them out otherwise.
  args.push(options.dev ? '--include=dev' : '--omit=dev');
  if (!options.allowScripts) args.push('--ignore-scripts');
  if (options.cache) args.push('--cache', join(options.cache, 'npm'), '--prefer-offline');
  const run = await runNpm(args, dir, options.env);
  if (run.code !== 0) throw npmFailure(`npm ${command}`, run, options.env.NPM_CONFIG_REGISTRY ?? options.env.npm_config_registry);
  if (!existsSync(join(dir, 'node_modules'))) mkdirSync(join(dir, 'node_modules'));

  let cacheCopy: CopyMode | undefined;
  if (cached) {
    cacheCopy = store(join(dir, 'node_modules'), cached);
    prune(join(cached, '..'), CACHE_KEEP);
  }
  return { installer: `npm ${command}`, reused: false, hash, packages, ...(cacheCopy ? { cacheCopy } : {}), ...(lockName ? { lockfile: lockName } : {}) };
}

/** The cache key: what decides the content of node_modules. */
export function dependencyHash(pkg: PackageJson, lockText: string | undefined, options: Pick<DependencyOptions, 'allowScripts' | 'dev'>): string {
  const fields: Record<string, unknown> = {};
  for (const f of DEPENDENCY_FIELDS) if ((pkg as Record<string, unknown>)[f] !== undefined) fields[f] = (pkg as Record<string, unknown>)[f];
  const key = JSON.stringify({
    fields,
    lock: lockText ?? null,
    abi: process.versions.modules,
    platform: process.platform,
    arch: process.arch,
    dev: options.dev,
    scripts: options.allowScripts,
  });
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** A package the handler imports must be one npm will install (production builds leave devDependencies out). */
function checkDeclared(pkg: PackageJson, imports: ReadonlyMap<string, string>, dev: boolean): void {
  const declared = declaredPackages(pkg, dev);
  for (const [name, file] of imports) {
    if (declared.has(name) || name === pkg.name) continue;
    if (pkg.devDependencies?.[name] !== undefined) {
      throw new BuildError(`${file} imports '${name}', which package.json lists only in devDependencies (left out of a production build): move it to "dependencies"`);
    }
    throw new BuildError(`${file} imports '${name}', which package.json does not list: add it to "dependencies" (npm install ${name}) and ship the updated package-lock.json`);
  }
}

/** Packages npm will install for this package.json (production unless `dev`). */
function declaredPackages(pkg: PackageJson | undefined, dev: boolean): Set<string> {
  if (!pkg) return new Set();
  const bundled = pkg.bundleDependencies ?? pkg.bundledDependencies;
  return new Set([
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
    ...(dev ? Object.keys(pkg.devDependencies ?? {}) : []),
    ...(Array.isArray(bundled) ? bundled : []),
  ]);
}

/** Puts a copy of node_modules in the cache under its hash; the rename makes the entry appear complete or not at all. */
function store(nodeModules: string, entry: string): CopyMode | undefined {
  const parent = join(entry, '..');
  const tmp = join(parent, `.tmp-${randomBytes(6).toString('hex')}`);
  try {
    mkdirSync(tmp, { recursive: true });
    const mode = copyTree(nodeModules, join(tmp, 'node_modules'));
    writeFileSync(join(tmp, '.complete'), new Date().toISOString());
    rmSync(entry, { recursive: true, force: true });
    renameSync(tmp, entry);
    return mode;
  } catch {
    // A cache that cannot be written only makes the next build slower.
    rmSync(tmp, { recursive: true, force: true });
    return undefined;
  }
}

/** Marks a cache entry as just used (its mtime orders the pruning). */
function touch(entry: string): void {
  try {
    const now = new Date();
    utimesSync(entry, now, now);
  } catch {
    // a read-only cache still serves
  }
}

/** Keeps the `keep` most recently used node_modules sets; removes the rest and stale temporary copies. */
function prune(dir: string, keep: number): void {
  try {
    const entries = readdirSync(dir).map((name) => ({ name, mtime: statSync(join(dir, name)).mtimeMs }));
    const stale = Date.now() - 60 * 60 * 1000;
    for (const e of entries) if (e.name.startsWith('.tmp-') && e.mtime < stale) rmSync(join(dir, e.name), { recursive: true, force: true });
    const sets = entries.filter((e) => !e.name.startsWith('.')).sort((a, b) => b.mtime - a.mtime);
    for (const e of sets.slice(keep)) rmSync(join(dir, e.name), { recursive: true, force: true });
  } catch {
    // pruning is best effort
  }
}
