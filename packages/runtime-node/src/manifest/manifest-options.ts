import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { ConfigError, formatHelp, parseSettings, type SettingSpec } from '../config/settings.js';
import { VERSION } from '../version.js';
import { isArchive, readFunctionSource, type FunctionSource } from './function-source.js';
import { cpuMillis, memoryBytes } from './quantity.js';
import { readTriggerFlags, TRIGGER_FLAG_SETTINGS, type TriggerRequest } from './trigger-flags.js';

export const DEFAULT_RUNTIME_IMAGE = `ghcr.io/fnkit/runtime-node:${VERSION}`;
export const DEFAULT_BUILDER_IMAGE = `ghcr.io/fnkit/init-builder:${VERSION}`;

/** `fn-run manifest`'s own settings; the trigger flags come from the triggers (trigger-flags.ts). */
export const MANIFEST_SETTINGS: readonly SettingSpec[] = [
  { key: 'name', flag: 'name', type: 'string', description: 'function name: the Deployment, Service and ConfigMap names (default: the directory or file name)' },
  { key: 'namespace', flag: 'namespace', short: 'n', type: 'string', default: 'default', description: 'namespace of every object' },
  { key: 'handler', flag: 'handler', short: 'H', type: 'string', description: 'the handler: file#export, file, or an export of the default file (default: handler.ts/.js or index.ts/.js)' },
  { key: 'timeout', flag: 'timeout', type: 'duration', bareUnit: 's', min: 1000, description: 'invocation deadline (FUNC_TIMEOUT); a bare number is seconds (default: 180s)' },
  { key: 'env', flag: 'env', short: 'e', type: 'list', separator: '\n', default: [], description: 'NAME=value for the function container (repeatable)' },
  { key: 'runtimeImage', flag: 'runtime-image', type: 'string', default: DEFAULT_RUNTIME_IMAGE, description: 'image of the function container and trigger dispatchers' },
  { key: 'builderImage', flag: 'builder-image', type: 'string', default: DEFAULT_BUILDER_IMAGE, description: 'image of the init container (fn-build)' },
  { key: 'imagePullPolicy', flag: 'image-pull-policy', type: 'enum', values: ['Always', 'IfNotPresent', 'Never'], description: 'pull policy of every container (default: Kubernetes decides)' },
  { key: 'imagePullSecret', flag: 'image-pull-secret', type: 'list', default: [], description: 'Secret with registry credentials for the images (repeatable)' },
  { key: 'replicas', flag: 'replicas', type: 'int', min: 0, default: 1, description: 'function replicas (left to KEDA with --keda)' },
  { key: 'memory', flag: 'memory', type: 'string', default: '256Mi', description: 'memory limit; sets FUNC_MEMORY_LIMIT and the V8 heap (75%)' },
  { key: 'cpu', flag: 'cpu', type: 'string', description: 'CPU limit, e.g. 500m (default: none, so the function is never throttled)' },
  { key: 'requestsMemory', flag: 'requests-memory', type: 'string', description: 'memory request (default: 128Mi, or the limit when smaller)' },
  { key: 'requestsCpu', flag: 'requests-cpu', type: 'string', default: '100m', description: 'CPU request' },
  { key: 'shutdownGrace', flag: 'shutdown-grace', type: 'duration', bareUnit: 's', min: 0, description: 'time for in-flight work after SIGTERM; the pod gets 20s more before SIGKILL (default: 10s)' },
  { key: 'allowScripts', flag: 'allow-scripts', type: 'boolean', default: false, description: 'let fn-build run dependencies\' install scripts' },
  { key: 'npmRegistry', flag: 'npm-registry', type: 'string', description: 'npm registry URL for fn-build (NPM_CONFIG_REGISTRY)' },
  { key: 'npmrcSecret', flag: 'npmrc-secret', type: 'string', description: 'Secret with an .npmrc key (registry credentials), mounted into the init container only' },
  { key: 'envSecret', flag: 'env-secret', type: 'list', default: [], description: 'Secret loaded as environment into the function container (repeatable)' },
  { key: 'triggerSecret', flag: 'trigger-secret', type: 'string', description: 'Secret loaded as environment into the trigger containers (NATS_PASSWORD, FNKIT_KAFKA_PASSWORD, ...)' },
  { key: 'keda', flag: 'keda', type: 'boolean', default: false, description: 'KEDA ScaledObjects: Kafka consumer-group lag, JetStream pending messages' },
  { key: 'kedaMaxReplicas', flag: 'keda-max-replicas', type: 'int', min: 1, default: 10, description: 'KEDA: most replicas' },
  { key: 'kedaLagThreshold', flag: 'keda-lag-threshold', type: 'int', min: 1, default: 100, description: 'KEDA: lag (or pending messages) per replica' },
  { key: 'kedaNatsMonitoring', flag: 'keda-nats-monitoring', type: 'string', description: 'KEDA: NATS monitoring endpoint host:port (default: the --nats-url host, port 8222)' },
  { key: 'knative', flag: 'knative', type: 'boolean', default: false, description: 'a Knative Service instead of a Deployment and Service' },
  { key: 'output', flag: 'output', short: 'o', type: 'enum', values: ['yaml', 'json'], default: 'yaml', description: 'YAML documents, or a JSON List' },
  { key: 'help', flag: 'help', short: 'h', type: 'boolean', default: false, description: 'show this help' },
];

export interface HandlerRef {
  /** The module's path in the source, with extension (e.g. `handler.ts`, `src/audit.ts`). */
  file: string;
  /** MOD_NAME: the path without extension. */
  modName: string;
  /** FUNC_HANDLER: the export; undefined lets fn-run pick the default export (or `handler`). */
  exportName?: string;
}

export interface Resources {
  limitsMemory: string;
  limitsCpu?: string;
  requestsMemory: string;
  requestsCpu: string;
  memoryLimitBytes: number;
}

export interface ManifestOptions {
  name: string;
  namespace: string;
  source: FunctionSource;
  handler: HandlerRef;
  timeoutMs: number;
  env: [string, string][];
  runtimeImage: string;
  builderImage: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSecrets: string[];
  replicas: number;
  resources: Resources;
  shutdownGraceMs: number;
  allowScripts: boolean;
  npmRegistry?: string;
  npmrcSecret?: string;
  /** Secrets loaded with envFrom into the function container. */
  envSecrets: string[];
  triggerSecret?: string;
  keda?: { maxReplicas: number; lagThreshold: number; natsMonitoring?: string };
  knative: boolean;
  output: 'yaml' | 'json';
  triggers: TriggerRequest;
}

export function manifestUsage(): string {
  return [
    'usage: fn-run manifest <dir | file[#export] | source.tgz> [options]',
    '',
    'Prints the Kubernetes objects of a function: a ConfigMap with its source, a Deployment (fn-build init',
    'container, fn-run container) and a Service; a CronJob per --cron schedule; a dispatcher Deployment for',
    '--nats and for --kafka; with --keda, ScaledObjects; with --knative, a Knative Service.',
    '',
    'options:',
    formatHelp(MANIFEST_SETTINGS),
    '',
    'cron trigger (a CronJob per schedule; 6-field schedules, which CronJobs cannot express, get a dispatcher):',
    formatHelp(TRIGGER_FLAG_SETTINGS.cron),
    '',
    'NATS trigger (a dispatcher Deployment):',
    formatHelp(TRIGGER_FLAG_SETTINGS.nats),
    '',
    'Kafka trigger (a dispatcher Deployment):',
    formatHelp(TRIGGER_FLAG_SETTINGS.kafka),
    '',
  ].join('\n');
}

/** Env names the generated spec sets itself, and the flag that sets each. */
const RESERVED_ENV: Record<string, string> = {
  MOD_NAME: '--handler',
  FUNC_HANDLER: '--handler',
  FUNC_TIMEOUT: '--timeout',
  FUNC_PORT: '(fixed at 8080)',
  FUNC_MEMORY_LIMIT: '--memory',
  KUBELESS_INSTALL_VOLUME: '(fixed at /kubeless)',
  FNKIT_FUNCTION_NAME: '--name',
  FNKIT_SHUTDOWN_GRACE: '--shutdown-grace',
};

const MODULE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];
const DEFAULT_MODULES = ['handler', 'index'].flatMap((b) => MODULE_EXTENSIONS.map((e) => b + e));
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** `<name>-cron-<n>` must fit a CronJob name (52 characters: Jobs add 11). */
const MAX_NAME = 40;

/** Reads `fn-run manifest` argv. Throws ConfigError naming the flag, file or value that was wrong. */
export function readManifestOptions(argv: string[], cwd: string): ManifestOptions {
  const triggerSpecs = Object.values(TRIGGER_FLAG_SETTINGS).flat();
  const { values: v, positionals, sources } = parseSettings([...MANIFEST_SETTINGS, ...triggerSpecs], argv, {});
  if (positionals.length !== 1) {
    throw new ConfigError(
      positionals.length === 0
        ? 'no function given: fn-run manifest <dir> (or <dir>/handler.ts#export, or a .tgz)'
        : `one function expected, got ${positionals.length}: ${positionals.join(' ')}`,
    );
  }
  const located = locate(positionals[0]!, cwd);
  const source = readFunctionSource(located.path, located.root);
  const handler = handlerRef(source, located, v.handler as string | undefined);
  const name = functionName(v.name as string | undefined, located);
  const namespace = v.namespace as string;
  if (namespace.length > 63 || !DNS_1123.test(namespace)) {
    throw new ConfigError(`--namespace=${JSON.stringify(namespace)} is not a valid namespace: lower-case letters, digits and '-', at most 63`);
  }
  const memoryLimitBytes = memoryBytes(v.memory as string, '--memory');
  const requestsMemory = (v.requestsMemory as string | undefined) ?? (memoryLimitBytes < 128 * 1024 * 1024 ? (v.memory as string) : '128Mi');
  if (memoryBytes(requestsMemory, '--requests-memory') > memoryLimitBytes) {
    throw new ConfigError(`--requests-memory=${requestsMemory} is more than --memory=${v.memory as string}: a request cannot exceed the limit`);
  }
  const limitsCpu = v.cpu as string | undefined;
  const requestsCpu = v.requestsCpu as string;
  const reqMillis = cpuMillis(requestsCpu, '--requests-cpu');
  if (limitsCpu !== undefined && reqMillis > cpuMillis(limitsCpu, '--cpu')) {
    throw new ConfigError(`--requests-cpu=${requestsCpu} is more than --cpu=${limitsCpu}: a request cannot exceed the limit`);
  }
  const keda = v.keda === true;
  const knative = v.knative === true;
  if (!keda) {
    const stray = ['kedaMaxReplicas', 'kedaLagThreshold', 'kedaNatsMonitoring'].find((k) => sources[k]?.startsWith('--'));
    if (stray) throw new ConfigError(`${sources[stray]} needs --keda`);
  }
  for (const [key, flag] of [['natsToken', '--nats-token'], ['natsCreds', '--nats-creds']] as const) {
    if (v[key] !== undefined) {
      throw new ConfigError(`${flag} would write a credential into the manifest: put NATS_TOKEN (or NATS_USER and NATS_PASSWORD) in a Secret and load it with --trigger-secret <name>`);
    }
  }
  const triggers = readTriggerFlags(argv, v, sources, name);
  // The triggers' defaults (127.0.0.1) are for a laptop; in a cluster the broker's address must be said.
  if (triggers.nats && sources.natsUrl === 'default') {
    throw new ConfigError('--nats needs --nats-url: the NATS server as the cluster reaches it, e.g. nats://nats.nats.svc:4222');
  }
  if (triggers.kafka && sources.kafkaBrokers === 'default') {
    throw new ConfigError('--kafka needs --kafka-brokers: the brokers as the cluster reaches them, e.g. kafka.kafka.svc:9092');
  }
  if (keda && (v.replicas as number) > (v.kedaMaxReplicas as number)) {
    throw new ConfigError(`--replicas=${v.replicas as number} is more than --keda-max-replicas=${v.kedaMaxReplicas as number}`);
  }
  if (keda && triggers.nats && !triggers.nats.config.jetstream) {
    throw new ConfigError('--keda with --nats needs JetStream (--nats-stream and --nats-durable): KEDA scales on a durable consumer\'s pending messages; core NATS subscriptions have none');
  }
  if (keda && !triggers.kafka && !triggers.nats?.config.jetstream) {
    throw new ConfigError('--keda scales on Kafka consumer-group lag or JetStream pending messages: add --kafka <topic>, or --nats <subject> with --nats-stream and --nats-durable');
  }
  return {
    name,
    namespace,
    source,
    handler,
    timeoutMs: (v.timeout as number | undefined) ?? 180_000,
    env: envPairs(v.env as string[]),
    runtimeImage: image(v.runtimeImage as string, '--runtime-image'),
    builderImage: image(v.builderImage as string, '--builder-image'),
    imagePullPolicy: v.imagePullPolicy as ManifestOptions['imagePullPolicy'],
    imagePullSecrets: (v.imagePullSecret as string[]).map((n) => secretName(n, '--image-pull-secret')!),
    replicas: v.replicas as number,
    resources: { limitsMemory: v.memory as string, limitsCpu, requestsMemory, requestsCpu, memoryLimitBytes },
    shutdownGraceMs: (v.shutdownGrace as number | undefined) ?? 10_000,
    allowScripts: v.allowScripts === true,
    npmRegistry: v.npmRegistry as string | undefined,
    npmrcSecret: secretName(v.npmrcSecret as string | undefined, '--npmrc-secret'),
    envSecrets: (v.envSecret as string[]).map((n) => secretName(n, '--env-secret')!),
    triggerSecret: secretName(v.triggerSecret as string | undefined, '--trigger-secret'),
    keda: keda
      ? { maxReplicas: v.kedaMaxReplicas as number, lagThreshold: v.kedaLagThreshold as number, natsMonitoring: v.kedaNatsMonitoring as string | undefined }
      : undefined,
    knative,
    output: v.output as 'yaml' | 'json',
    triggers,
  };
}

interface Located {
  /** What was given: a directory, a module file or an archive. */
  path: string;
  kind: 'directory' | 'file' | 'archive';
  /** The source root: the directory, or the file's directory. */
  root: string;
  /** For `file`: the module's path relative to root, and the export after `#`. */
  file?: string;
  exportName?: string;
}

function locate(arg: string, cwd: string): Located {
  const hash = arg.lastIndexOf('#');
  const pathPart = hash > 0 ? arg.slice(0, hash) : arg;
  const exportName = hash > 0 ? arg.slice(hash + 1) : undefined;
  if (exportName === '') throw new ConfigError(`no export name after '#' in ${JSON.stringify(arg)}; use dir/handler.ts#exportName`);
  const path = resolve(cwd, pathPart);
  if (!existsSync(path)) throw new ConfigError(`${pathPart}: no such file or directory`);
  if (statSync(path).isDirectory()) {
    if (exportName !== undefined) throw new ConfigError(`${JSON.stringify(arg)}: '#export' goes after a file, not a directory; use --handler file#export`);
    return { path, kind: 'directory', root: path };
  }
  if (isArchive(path)) {
    if (exportName !== undefined) throw new ConfigError(`${JSON.stringify(arg)}: name the handler in an archive with --handler file#export`);
    return { path, kind: 'archive', root: dirname(path) };
  }
  if (!MODULE_EXTENSIONS.includes(extname(path))) {
    throw new ConfigError(`${pathPart}: expected a directory, a module (${MODULE_EXTENSIONS.join(', ')}) or an archive (.tgz, .zip)`);
  }
  return { path, kind: 'file', root: dirname(path), file: basename(path), exportName };
}

function handlerRef(source: FunctionSource, located: Located, flag: string | undefined): HandlerRef {
  let file = located.file;
  let exportName = located.exportName;
  if (flag !== undefined) {
    const hash = flag.indexOf('#');
    const filePart = hash === -1 ? (MODULE_EXTENSIONS.includes(extname(flag)) ? flag : undefined) : flag.slice(0, hash);
    const exportPart = hash === -1 ? (filePart === undefined ? flag : undefined) : flag.slice(hash + 1);
    if (hash !== -1 && (filePart === '' || exportPart === '')) throw new ConfigError(`--handler=${JSON.stringify(flag)}: expected file#export, a file, or an export name`);
    if (filePart !== undefined) {
      if (located.kind === 'file' && filePart !== located.file) throw new ConfigError(`the handler file is given twice: ${located.file} and --handler ${flag}; give one`);
      file = filePart.replace(/^\.\//, '');
    }
    if (exportPart !== undefined) {
      if (exportName !== undefined && exportName !== exportPart) throw new ConfigError(`the export is given twice: '#${exportName}' and --handler ${flag}; give one`);
      exportName = exportPart;
    }
  }
  if (exportName !== undefined && !/^[A-Za-z_$][\w$]*$/.test(exportName)) {
    throw new ConfigError(`export ${JSON.stringify(exportName)} is not a JavaScript identifier`);
  }
  if (file === undefined) {
    if (located.kind === 'archive') throw new ConfigError('name the handler module inside the archive: --handler handler.js#export');
    file = defaultModule(source);
  } else if (located.kind === 'directory' && !source.files.some((f) => f.path === file)) {
    throw new ConfigError(`--handler: ${file} is not in ${source.root}`);
  }
  if (!MODULE_EXTENSIONS.includes(extname(file))) throw new ConfigError(`--handler: ${file} is not a module (${MODULE_EXTENSIONS.join(', ')})`);
  return { file, modName: file.slice(0, -extname(file).length), ...(exportName !== undefined ? { exportName } : {}) };
}

function defaultModule(source: FunctionSource): string {
  const paths = new Set(source.files.map((f) => f.path));
  const known = DEFAULT_MODULES.find((m) => paths.has(m));
  if (known) return known;
  const topLevel = [...paths].filter((p) => !p.includes('/') && MODULE_EXTENSIONS.includes(extname(p)) && !p.endsWith('.d.ts') && !/\.config\.[cm]?[jt]s$/.test(p));
  if (topLevel.length === 1) return topLevel[0]!;
  throw new ConfigError(
    `which module is the handler in ${source.root}? ${topLevel.length === 0 ? 'no .ts or .js file at its top' : `found ${topLevel.join(', ')}`}; name it with --handler file#export`,
  );
}

function functionName(flag: string | undefined, located: Located): string {
  if (flag !== undefined) {
    if (flag.length > MAX_NAME || !DNS_1035.test(flag)) {
      throw new ConfigError(`--name=${JSON.stringify(flag)} is not valid: lower-case letters, digits and '-', starting with a letter, at most ${MAX_NAME} characters (it names a Service and a CronJob)`);
    }
    return flag;
  }
  const base = located.kind === 'file' ? basename(located.path, extname(located.path)) : basename(located.kind === 'archive' ? located.path.replace(/\.(tgz|tar\.gz|zip)$/i, '') : located.path);
  const derived = base.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '').slice(0, MAX_NAME).replace(/-+$/, '');
  if (!DNS_1035.test(derived)) throw new ConfigError(`cannot make a Kubernetes name out of ${JSON.stringify(base)}: give one with --name`);
  return derived;
}

function envPairs(entries: string[]): [string, string][] {
  const seen = new Set<string>();
  return entries.map((entry) => {
    const eq = entry.indexOf('=');
    const key = eq === -1 ? entry : entry.slice(0, eq);
    if (eq === -1 || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      throw new ConfigError(`--env ${JSON.stringify(entry)} is not valid: expected NAME=value with NAME made of letters, digits and '_'`);
    }
    const owner = RESERVED_ENV[key];
    if (owner !== undefined) throw new ConfigError(`--env ${key}: the manifest sets ${key} itself; use ${owner}`);
    if (seen.has(key)) throw new ConfigError(`--env ${key} is given twice; give it once`);
    seen.add(key);
    return [key, entry.slice(eq + 1)];
  });
}

function image(value: string, flag: string): string {
  if (value === '' || /\s/.test(value)) throw new ConfigError(`${flag}=${JSON.stringify(value)} is not an image reference`);
  return value;
}

function secretName(value: string | undefined, flag: string): string | undefined {
  if (value !== undefined && (value.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value))) {
    throw new ConfigError(`${flag}=${JSON.stringify(value)} is not a valid Secret name`);
  }
  return value;
}
