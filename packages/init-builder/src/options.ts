import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BuildError } from './build-error.js';
import { DEFAULT_UNPACK_LIMITS, type UnpackLimits } from './source/unpack-budget.js';

/** Everything one build needs, resolved from flags and the environment (flags win). */
export interface BuildOptions {
  /** A directory (a ConfigMap mount is fine), a .zip, a .tgz/.tar.gz, or a single module file. */
  source: string;
  /** The directory fn-run starts from (the pod's EmptyDir). */
  target: string;
  /** Module name as fn-run's MOD_NAME takes it (no extension; may hold a sub-directory); undefined: detect. */
  module: string | undefined;
  /** Named export; undefined: fn-run's default rule (a default export function, else `handler`). */
  exportName: string | undefined;
  /** Cache directory (npm cache and node_modules by dependency hash); undefined: no cache. */
  cache: string | undefined;
  /** Expected `sha256:<hex>` of the source (see docs/init-builder.md for what is hashed). */
  checksum: string | undefined;
  /** Run dependencies' install scripts (off by default). */
  allowScripts: boolean;
  /** Install devDependencies too (off by default: production only). */
  dev: boolean;
  /** What an archive source may unpack to (zip bombs stop with a clear line). */
  unpackLimits: UnpackLimits;
}

export const USAGE = `usage: fn-build [--source <dir|file|.zip|.tgz|.tar.gz>] [--target <dir>] [--handler <module>[#<export>]]
                [--cache <dir>] [--checksum sha256:<hex>] [--allow-scripts] [--production | --dev]
                [--max-source-bytes <n>[Ki|Mi|Gi]] [--max-source-files <n>]
       fn-build checksum <source>     prints the sha256:<hex> that --checksum expects for that source

Environment (flags win):
  FNKIT_SOURCE                       source (default /src)
  FNKIT_TARGET, KUBELESS_INSTALL_VOLUME  target (default /kubeless)
  MOD_NAME, FUNC_HANDLER             handler module (no extension) and export, as Kubeless named them
  FNKIT_BUILD_CACHE                  cache directory (default: none)
  FNKIT_SOURCE_CHECKSUM              expected checksum
  FNKIT_ALLOW_SCRIPTS=true           run install scripts
  FNKIT_MAX_SOURCE_BYTES             what a .zip/.tgz source may unpack to (default 512Mi)
  FNKIT_MAX_SOURCE_FILES             how many entries it may hold (default 100000)
  NPM_CONFIG_REGISTRY, NPM_CONFIG_USERCONFIG, .npmrc in the source   npm registry and credentials
`;

export type Command = { kind: 'build'; options: BuildOptions } | { kind: 'checksum'; source: string } | { kind: 'help' } | { kind: 'version' };

const MODULE_EXTENSION = /\.(?:js|cjs|mjs|ts|mts|cts)$/;

/** Parses argv (without node and the script) and env into a command. Throws BuildError naming the bad setting. */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        source: { type: 'string' },
        target: { type: 'string' },
        handler: { type: 'string' },
        cache: { type: 'string' },
        checksum: { type: 'string' },
        'allow-scripts': { type: 'boolean' },
        production: { type: 'boolean' },
        dev: { type: 'boolean' },
        'max-source-bytes': { type: 'string' },
        'max-source-files': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new BuildError(`${(err as Error).message.split('\n')[0]} (run fn-build --help for the options)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  if (positionals[0] === 'checksum') {
    const source = positionals[1] ?? values.source ?? env.FNKIT_SOURCE;
    if (!source) throw new BuildError('fn-build checksum: give the source: fn-build checksum <dir|file|.zip|.tgz>');
    return { kind: 'checksum', source: resolve(source) };
  }
  if (positionals.length > 0) {
    throw new BuildError(`unexpected argument '${positionals[0]}': give the source with --source <path> (run fn-build --help)`);
  }
  if (values.production && values.dev) throw new BuildError('--production and --dev contradict each other: give one');

  const checksum = nonEmpty(values.checksum) ?? nonEmpty(env.FNKIT_SOURCE_CHECKSUM);
  if (checksum !== undefined && !/^sha256:[0-9a-f]{64}$/i.test(checksum)) {
    const from = values.checksum !== undefined ? '--checksum' : 'FNKIT_SOURCE_CHECKSUM';
    throw new BuildError(`${from}=${checksum}: expected sha256:<64 hex digits> (print it with: fn-build checksum <source>)`);
  }

  let module: string | undefined;
  let exportName: string | undefined;
  const handler = nonEmpty(values.handler);
  if (handler !== undefined) {
    const hash = handler.indexOf('#');
    module = hash === -1 ? handler : handler.slice(0, hash);
    exportName = hash === -1 ? undefined : nonEmpty(handler.slice(hash + 1));
    if (!module) throw new BuildError(`--handler=${handler}: give the module before '#', e.g. --handler handler#${exportName ?? 'hello'}`);
  } else {
    module = nonEmpty(env.MOD_NAME);
    exportName = nonEmpty(env.FUNC_HANDLER);
  }
  if (module !== undefined) {
    module = module.replace(/^\.\//, '').replace(MODULE_EXTENSION, '');
    if (module.startsWith('/') || module.split('/').includes('..')) {
      throw new BuildError(`handler module '${module}' must be a path inside the source (no leading '/', no '..')`);
    }
  }

  return {
    kind: 'build',
    options: {
      source: resolve(nonEmpty(values.source) ?? nonEmpty(env.FNKIT_SOURCE) ?? '/src'),
      target: resolve(nonEmpty(values.target) ?? nonEmpty(env.FNKIT_TARGET) ?? nonEmpty(env.KUBELESS_INSTALL_VOLUME) ?? '/kubeless'),
      module,
      exportName,
      cache: ((c) => (c === undefined ? undefined : resolve(c)))(nonEmpty(values.cache) ?? nonEmpty(env.FNKIT_BUILD_CACHE)),
      checksum: checksum?.toLowerCase(),
      allowScripts: values['allow-scripts'] ?? truthy(env.FNKIT_ALLOW_SCRIPTS, 'FNKIT_ALLOW_SCRIPTS'),
      dev: values.dev ?? false,
      unpackLimits: {
        maxBytes: limit(values['max-source-bytes'], '--max-source-bytes', env.FNKIT_MAX_SOURCE_BYTES, 'FNKIT_MAX_SOURCE_BYTES', DEFAULT_UNPACK_LIMITS.maxBytes, true),
        maxEntries: limit(values['max-source-files'], '--max-source-files', env.FNKIT_MAX_SOURCE_FILES, 'FNKIT_MAX_SOURCE_FILES', DEFAULT_UNPACK_LIMITS.maxEntries, false),
      },
    },
  };
}

const BINARY_SUFFIX: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** A positive whole number from the flag or else the environment; sizes may end in Ki, Mi or Gi. */
function limit(flag: string | undefined, flagName: string, envValue: string | undefined, envName: string, fallback: number, size: boolean): number {
  const raw = nonEmpty(flag) ?? nonEmpty(envValue);
  if (raw === undefined) return fallback;
  const name = nonEmpty(flag) !== undefined ? flagName : envName;
  const m = (size ? /^(\d+)(Ki|Mi|Gi)?$/ : /^(\d+)()$/).exec(raw);
  const n = m ? Number(m[1]) * BINARY_SUFFIX[m[2] ?? '']! : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new BuildError(`${name}=${raw}: expected a positive whole number${size ? ' of bytes, optionally with Ki, Mi or Gi (e.g. 512Mi)' : ''}`);
  }
  return n;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function truthy(v: string | undefined, name: string): boolean {
  if (v === undefined || v === '') return false;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new BuildError(`${name}=${v}: expected true or false`);
}
