import { existsSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { isatty } from 'node:tty';
import type { RuntimeConfig } from './runtime-config.js';
import { TRIGGER_SETTINGS, TRIGGER_SETTINGS_BY_KIND, readTriggerConfigs, type TriggerConfigs } from '../triggers/load-triggers.js';
import { ConfigError, formatHelp, parseSettings, parseSize, type SettingSpec } from './settings.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** Kubeless looks for `$MOD_NAME.js`; fn-run also takes the other module kinds it can load. */
const MODULE_EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts', '.mts', '.cts'];

/** The settings of `fn-run [serve]`. Kubeless names come first in each env list. */
export const SERVE_SETTINGS: readonly SettingSpec[] = [
  { key: 'handler', flag: 'handler', short: 'H', env: ['FUNC_HANDLER'], type: 'string', description: 'the export to call (or file#name)' },
  { key: 'dir', flag: 'dir', env: ['KUBELESS_INSTALL_VOLUME'], type: 'string', description: 'directory holding the MOD_NAME module (default: /kubeless when MOD_NAME is set)' },
  { key: 'modName', env: ['MOD_NAME'], type: 'string', description: 'Kubeless: module file name without extension', hidden: true },
  { key: 'port', flag: 'port', short: 'p', env: ['FUNC_PORT', 'PORT'], type: 'int', min: 0, max: 65535, default: 8080, description: 'HTTP port' },
  { key: 'host', flag: 'host', env: ['FNKIT_HOST'], type: 'string', default: '0.0.0.0', description: 'address to listen on' },
  { key: 'timeout', flag: 'timeout', env: ['FUNC_TIMEOUT'], type: 'duration', bareUnit: 's', min: 1, description: 'invocation deadline; a bare number is seconds (default: 180s)' },
  { key: 'bodyLimit', flag: 'body-limit', env: ['FNKIT_BODY_LIMIT'], type: 'size', min: 1, description: 'largest request body; REQ_MB_LIMIT in megabytes also works (default: 6mb)' },
  { key: 'reqMbLimit', env: ['REQ_MB_LIMIT'], type: 'string', description: 'Kubeless: body limit in megabytes', hidden: true },
  { key: 'concurrency', flag: 'concurrency', env: ['FNKIT_CONCURRENCY'], type: 'int', min: 0, default: 0, description: 'invocations at once; 0 = unlimited' },
  { key: 'queueSize', flag: 'queue', env: ['FNKIT_QUEUE_SIZE'], type: 'int', min: 0, default: 100, description: 'requests waiting for a slot before 503 (with --concurrency)' },
  { key: 'isolation', flag: 'isolation', env: ['FNKIT_ISOLATION'], type: 'enum', values: ['none', 'worker'], default: 'none', description: 'run handlers in worker threads' },
  { key: 'stallWatchdog', flag: 'stall-watchdog', env: ['FNKIT_STALL_WATCHDOG'], type: 'boolean', default: false, description: 'isolation none: a thread that reports a blocked event loop while it lasts (~6 MiB)' },
  { key: 'shutdownGrace', flag: 'shutdown-grace', env: ['FNKIT_SHUTDOWN_GRACE'], type: 'duration', bareUnit: 's', min: 0, description: 'time for in-flight work on SIGTERM (default: 10s)' },
  { key: 'logLevel', flag: 'log-level', env: ['FNKIT_LOG_LEVEL', 'LOG_LEVEL'], type: 'string', default: 'info', description: `log level: ${LOG_LEVELS.join('|')}` },
  { key: 'logFormat', flag: 'log-format', env: ['FNKIT_LOG_FORMAT'], type: 'enum', values: ['json', 'pretty'], description: 'log format (default: pretty on a terminal, else json)' },
  { key: 'name', flag: 'name', env: ['FNKIT_FUNCTION_NAME', 'K_SERVICE'], type: 'string', description: 'function name (default: the module file name)' },
  { key: 'runtime', flag: 'runtime', env: ['FUNC_RUNTIME'], type: 'string', description: `runtime id (default: nodejs${nodeMajor()})` },
  { key: 'memoryLimit', env: ['FUNC_MEMORY_LIMIT'], type: 'string', description: 'Kubeless: memory limit reported in context', hidden: true },
  { key: 'watch', flag: 'watch', type: 'boolean', default: false, description: 'restart when files in the function directory change' },
  { key: 'help', flag: 'help', short: 'h', type: 'boolean', default: false, description: 'show this help' },
];

/** `fn-run serve` reads its own settings and every trigger's (`--cron`, `--nats`, `--kafka`, ...). */
const ALL_SERVE_SETTINGS: readonly SettingSpec[] = [...SERVE_SETTINGS, ...TRIGGER_SETTINGS];

export type ServeConfig = RuntimeConfig & { watch: boolean; triggers: TriggerConfigs };

export function serveUsage(): string {
  return [
    'usage: fn-run [serve] <file>[#export] [options]',
    '       MOD_NAME=<module> FUNC_HANDLER=<export> fn-run [options]   (Kubeless)',
    '',
    '       fn-run trigger cron|nats|kafka --target <url> [options]  (dispatcher; see fn-run trigger --help)',
    '       fn-run call <url> [--data ...]',
    '',
    'options:',
    formatHelp(SERVE_SETTINGS),
    '',
    'cron trigger (in-process):',
    formatHelp(TRIGGER_SETTINGS_BY_KIND.cron),
    '',
    'NATS trigger (in-process):',
    formatHelp(TRIGGER_SETTINGS_BY_KIND.nats),
    '',
    'Kafka trigger (in-process):',
    formatHelp(TRIGGER_SETTINGS_BY_KIND.kafka),
    '',
  ].join('\n');
}

/** True when argv asks for help (checked before anything else is validated). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
}

/** Reads `fn-run serve` flags and environment into a RuntimeConfig. Throws ConfigError naming what was wrong. */
export function readServeConfig(argv: string[], env: NodeJS.ProcessEnv, cwd: string): ServeConfig {
  const { values: v, positionals, sources } = parseSettings(ALL_SERVE_SETTINGS, argv, env);
  if (positionals.length > 1) {
    throw new ConfigError(`one function file expected, got ${positionals.length}: ${positionals.join(' ')}`);
  }
  const modName = v.modName as string | undefined;
  const { file, exportFromPath } = locateFile(positionals[0], modName, v.dir as string | undefined, cwd);
  const handlerFlag = v.handler as string | undefined;
  if (exportFromPath !== undefined && handlerFlag !== undefined && handlerFlag !== exportFromPath && sources.handler?.startsWith('--')) {
    throw new ConfigError(`the export is given twice: '#${exportFromPath}' in the file argument and ${sources.handler} ${handlerFlag}; give one`);
  }
  const exportName = exportFromPath ?? handlerFlag;
  const kubeless = modName !== undefined;
  const functionName = (v.name as string | undefined) ?? basename(file, extname(file));

  return {
    file,
    exportName,
    functionName,
    runtime: (v.runtime as string | undefined) ?? `nodejs${nodeMajor()}`,
    memoryLimit: v.memoryLimit === undefined || v.memoryLimit === '0' ? undefined : (v.memoryLimit as string),
    port: v.port as number,
    host: v.host as string,
    timeoutMs: (v.timeout as number | undefined) ?? 180_000,
    bodyLimitBytes: bodyLimit(v, sources),
    concurrency: v.concurrency as number,
    queueSize: v.queueSize as number,
    isolation: v.isolation as RuntimeConfig['isolation'],
    stallWatchdog: v.stallWatchdog as boolean,
    shutdownGraceMs: (v.shutdownGrace as number | undefined) ?? 10_000,
    logLevel: logLevel(v.logLevel as string, sources.logLevel ?? 'default'),
    // isatty(1), not process.stdout.isTTY: the log lines are written to fd 1 directly, and that getter
    // would create the process.stdout stream at start-up only to ask.
    logFormat: (v.logFormat as RuntimeConfig['logFormat'] | undefined) ?? (isatty(1) ? 'pretty' : 'json'),
    kubeless,
    kubelessFunctionName: kubeless ? exportName : undefined,
    watch: v.watch as boolean,
    triggers: readTriggerConfigs(v, sources, { functionName }),
  };
}

function locateFile(
  positional: string | undefined,
  modName: string | undefined,
  dirSetting: string | undefined,
  cwd: string,
): { file: string; exportFromPath: string | undefined } {
  if (positional !== undefined) {
    const hash = positional.lastIndexOf('#');
    const path = hash === -1 ? positional : positional.slice(0, hash);
    const name = hash === -1 ? undefined : positional.slice(hash + 1);
    if (path === '') throw new ConfigError(`no file before '#' in ${JSON.stringify(positional)}; use path/to/handler.ts#exportName`);
    if (name === '') throw new ConfigError(`no export name after '#' in ${JSON.stringify(positional)}; use path/to/handler.ts#exportName`);
    return { file: resolve(cwd, path), exportFromPath: name };
  }
  if (modName !== undefined) {
    const dir = resolve(cwd, dirSetting ?? '/kubeless');
    const candidates = MODULE_EXTENSIONS.map((ext) => join(dir, modName + ext));
    const found = candidates.find((c) => existsSync(c));
    if (!found) {
      throw new ConfigError(`MOD_NAME=${modName}: no ${modName}.js (or ${MODULE_EXTENSIONS.slice(1).join(', ')}) in ${dir}; set --dir or KUBELESS_INSTALL_VOLUME to the directory holding it`);
    }
    return { file: found, exportFromPath: undefined };
  }
  throw new ConfigError('no function given: run `fn-run path/to/handler.ts` or set MOD_NAME and FUNC_HANDLER');
}

function bodyLimit(v: Record<string, unknown>, sources: Record<string, string>): number {
  const mb = v.reqMbLimit as string | undefined;
  if (sources.bodyLimit !== undefined) return v.bodyLimit as number;
  if (mb === undefined) return 6 * 1024 * 1024;
  const bad = (what: string) => new ConfigError(`REQ_MB_LIMIT=${JSON.stringify(mb)} is not valid: expected ${what}`);
  const trimmed = mb.trim();
  const bytes = /^\d+(\.\d+)?$/.test(trimmed) ? Math.round(Number(trimmed) * 1024 * 1024) : parseSize(trimmed, bad);
  if (bytes < 1) throw bad('a number of megabytes of at least 1');
  return bytes;
}

function logLevel(value: string, origin: string): RuntimeConfig['logLevel'] {
  const l = value.trim().toLowerCase();
  const level = l === 'warning' ? 'warn' : l;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(`${origin}=${JSON.stringify(value)} is not valid: expected one of ${LOG_LEVELS.join(', ')}`);
  }
  return level as RuntimeConfig['logLevel'];
}

function nodeMajor(): string {
  return process.versions.node.split('.')[0]!;
}
