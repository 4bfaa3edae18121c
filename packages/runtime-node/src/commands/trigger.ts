import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ShutdownError } from '@fnkit/sdk';
import { ConfigError, formatHelp, parseSettings, type SettingSpec } from '../config/settings.js';
import { importModule } from '../loader/import-module.js';
import { describeFailure, isSuccess, type TriggerAdapter } from '../contracts.js';
import { cronData, type CronConfig } from '../triggers/cron/cron-settings.js';
import { TRIGGER_KINDS, TRIGGER_SETTINGS_BY_KIND, readTriggerConfigs, type TriggerKindName } from '../triggers/load-triggers.js';

/**
 * `fn-run trigger cron|nats|kafka --target <url> [options]`: dispatcher mode. Runs one kind of trigger
 * apart from the function (as a Deployment of its own) and delivers every event to the function's URL
 * as a binary-mode CloudEvent over HTTP, with the same delivery semantics as in-process triggers
 * (a non-2xx reply is a failure: retried when retryable, else dead-lettered). No function is loaded.
 * Serves /healthz, /readyz and /metrics on --port.
 *
 * `fn-run trigger cron --once --target <url>`: fires one event now and exits 0 when the function
 * answered 2xx (3xx too: any status below 400), 1 otherwise, with a line saying why (for a Kubernetes CronJob).
 *
 * Exit codes: 0 after a clean stop (SIGTERM), 1 when an adapter cannot start or a --once delivery
 * failed, 2 for a bad setting.
 */

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const DISPATCH_SETTINGS: readonly SettingSpec[] = [
  { key: 'target', flag: 'target', env: ['FNKIT_TARGET'], type: 'string', description: "the function's URL, e.g. http://fn.default.svc:8080 (required)" },
  { key: 'timeout', flag: 'timeout', env: ['FNKIT_TARGET_TIMEOUT', 'FUNC_TIMEOUT'], type: 'duration', bareUnit: 's', min: 1, description: 'per-delivery timeout; a bare number is seconds (default: 180s)' },
  { key: 'once', flag: 'once', type: 'boolean', default: false, description: 'cron only: fire one event now, exit 0 if delivered (2xx), else 1' },
  { key: 'port', flag: 'port', short: 'p', env: ['FNKIT_PORT', 'PORT'], type: 'int', min: 0, max: 65535, default: 8080, description: 'port of /healthz, /readyz and /metrics' },
  { key: 'host', flag: 'host', env: ['FNKIT_HOST'], type: 'string', default: '0.0.0.0', description: 'address to listen on' },
  { key: 'name', flag: 'name', env: ['FNKIT_FUNCTION_NAME'], type: 'string', description: "the function's name for logs and the default Kafka group (default: the target's first host label)" },
  { key: 'shutdownGrace', flag: 'shutdown-grace', env: ['FNKIT_SHUTDOWN_GRACE'], type: 'duration', bareUnit: 's', min: 0, description: 'time for in-flight deliveries on SIGTERM (default: 10s)' },
  { key: 'logLevel', flag: 'log-level', env: ['FNKIT_LOG_LEVEL', 'LOG_LEVEL'], type: 'enum', values: LOG_LEVELS, default: 'info', description: 'log level', hidden: true },
  { key: 'logFormat', flag: 'log-format', env: ['FNKIT_LOG_FORMAT'], type: 'enum', values: ['json', 'pretty'], description: 'log format (default: pretty on a terminal, else json)' },
  { key: 'help', flag: 'help', short: 'h', type: 'boolean', default: false, description: 'show this help' },
];

export function triggerUsage(kind?: TriggerKindName): string {
  const kinds = kind ? [kind] : TRIGGER_KINDS;
  const lines = [
    `usage: fn-run trigger ${kind ?? 'cron|nats|kafka'} --target <url> [options]`,
    '       fn-run trigger cron --once --target <url> [--cron-data <json|text>]',
    '',
    'Runs a trigger apart from the function and delivers each event to --target as a binary-mode',
    'CloudEvent (HTTP POST). A non-2xx reply is a failure (retried when retryable, else dead-lettered).',
    '',
    'options:',
    formatHelp(DISPATCH_SETTINGS),
    `      --log-level <level>  ${LOG_LEVELS.join('|')} (default: info) [env: FNKIT_LOG_LEVEL, LOG_LEVEL]`,
  ];
  for (const k of kinds) lines.push('', `${k} options:`, formatHelp(TRIGGER_SETTINGS_BY_KIND[k]));
  lines.push('');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const kind = argv[0];
  const isKind = (k: string | undefined): k is TriggerKindName => k !== undefined && (TRIGGER_KINDS as readonly string[]).includes(k);
  if (argv.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(triggerUsage(isKind(kind) ? kind : undefined));
    return 0;
  }
  try {
    if (!isKind(kind)) {
      throw new ConfigError(kind === undefined || kind.startsWith('-')
        ? '`trigger` needs a kind: cron, nats or kafka (e.g. fn-run trigger kafka --target http://fn:8080 --kafka orders); see fn-run trigger --help'
        : `unknown trigger kind ${JSON.stringify(kind)}: use cron, nats or kafka`);
    }
    const settings = readDispatchSettings(kind, argv.slice(1), process.env);
    return settings.once ? await fireOnce(settings) : await runDispatcher(settings);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`fn-run: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

interface DispatchSettings {
  kind: TriggerKindName;
  target: string;
  timeoutMs: number;
  once: boolean;
  port: number;
  host: string;
  functionName: string;
  shutdownGraceMs: number;
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: 'json' | 'pretty';
  triggers: ReturnType<typeof readTriggerConfigs>;
  /** For --once: the tick's settings (no schedule needed). */
  onceTick: Pick<CronConfig, 'timezone' | 'data'> & { name: string; expression: string };
}

export function readDispatchSettings(kind: TriggerKindName, argv: string[], env: NodeJS.ProcessEnv): DispatchSettings {
  const { values: v, positionals, sources } = parseSettings([...DISPATCH_SETTINGS, ...TRIGGER_SETTINGS_BY_KIND[kind]], argv, env);
  if (positionals.length > 0) throw new ConfigError(`unexpected argument ${JSON.stringify(positionals[0])}: fn-run trigger ${kind} takes no function file (the function runs at --target)`);
  const rawTarget = v.target as string | undefined;
  if (rawTarget === undefined) throw new ConfigError(`fn-run trigger ${kind} needs --target <url> (or FNKIT_TARGET): the function's URL, e.g. http://fn.default.svc:8080`);
  const target = checkTarget(rawTarget, sources.target ?? '--target');
  const once = v.once as boolean;
  const functionName = (v.name as string | undefined) ?? new URL(target).hostname.split('.')[0] ?? 'function';
  if (once && kind !== 'cron') throw new ConfigError(`--once is for fn-run trigger cron only (a ${kind} trigger runs until stopped)`);
  let triggers: DispatchSettings['triggers'] = {};
  let onceTick: DispatchSettings['onceTick'] = { name: 'once', expression: '' };
  if (once) {
    // No schedule needed: the CronJob is the schedule. A --cron given anyway names the tick.
    const schedules = (v.cronSchedules as string[] | undefined) ?? [];
    if (schedules.length > 1) throw new ConfigError('--once fires one event: give at most one --cron (it names the event source)');
    const first = schedules.length === 1 ? readTriggerConfigs(v, sources, { kinds: ['cron'] }).cron!.schedules[0]! : undefined;
    onceTick = {
      name: first?.name ?? 'once',
      expression: first?.expression ?? '',
      timezone: v.cronTimezone as string | undefined,
      data: v.cronData === undefined ? undefined : cronData(v.cronData as string),
    };
  } else {
    triggers = readTriggerConfigs(v, sources, { kinds: [kind], functionName });
    if (triggers[kind] === undefined) {
      const main = { cron: "--cron '<expression>' (or --once)", nats: '--nats <subject>', kafka: '--kafka <topic>' }[kind];
      throw new ConfigError(`fn-run trigger ${kind} needs ${main}; see fn-run trigger ${kind} --help`);
    }
  }
  return {
    kind,
    target,
    timeoutMs: (v.timeout as number | undefined) ?? 180_000,
    once,
    port: v.port as number,
    host: v.host as string,
    functionName,
    shutdownGraceMs: (v.shutdownGrace as number | undefined) ?? 10_000,
    logLevel: v.logLevel as DispatchSettings['logLevel'],
    logFormat: (v.logFormat as 'json' | 'pretty' | undefined) ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    triggers,
    onceTick,
  };
}

function checkTarget(raw: string, origin: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${origin}=${JSON.stringify(raw)} is not a URL: give the function's address, e.g. http://fn.default.svc:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${origin}=${JSON.stringify(raw)}: only http:// and https:// targets are supported`);
  return url.href;
}

async function makeInvoker(s: DispatchSettings) {
  const [{ createLogger }, { HttpDeliveryInvoker }] = await Promise.all([import('../observability/logger.js'), import('../invoker/http-delivery-invoker.js')]);
  const log = createLogger({ logLevel: s.logLevel, logFormat: s.logFormat, functionName: s.functionName });
  return { log, invoker: new HttpDeliveryInvoker({ target: s.target, timeoutMs: s.timeoutMs, log }) };
}

/** `--once`: one event now; exit 0 when delivered (status < 400), 1 with the reason otherwise. */
async function fireOnce(s: DispatchSettings): Promise<number> {
  const { cronTickEvent } = await import('../triggers/cron/cron-event.js');
  const { log, invoker } = await makeInvoker(s);
  const event = cronTickEvent(s.onceTick, s.onceTick, new Date());
  const outcome = await invoker.invoke(event);
  log.flush?.();
  if (isSuccess(outcome)) {
    const status = outcome.type === 'result' ? outcome.response.status : 0;
    process.stdout.write(`fn-run: delivered cron event ${event.id} to ${s.target} (status ${status})\n`);
    return 0;
  }
  process.stderr.write(`fn-run: cron event ${event.id} was not delivered to ${s.target}: ${describeFailure(outcome)}\n`);
  return 1;
}

/** The dispatcher: the kind's adapters with an HttpDeliveryInvoker, and a probe/metrics server. */
async function runDispatcher(s: DispatchSettings): Promise<number> {
  const [{ Registry, collectDefaultMetrics }, { TriggerMetrics }, { createTriggerAdapters, startTriggers }] = await Promise.all([
    importModule<typeof import('prom-client')>('prom-client'),
    import('../triggers/trigger-metrics.js'),
    import('../triggers/load-triggers.js'),
  ]);
  const { log, invoker } = await makeInvoker(s);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const shutdownController = new AbortController();
  const adapters: TriggerAdapter[] = await createTriggerAdapters(s.triggers, {
    invoker,
    log,
    registry,
    metrics: new TriggerMetrics(registry),
    shutdownSignal: shutdownController.signal,
  });

  let state: 'starting' | 'running' | 'draining' = 'starting';
  const server = createServer((req, res) => void probe(req, res));
  async function probe(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string): void => void res.writeHead(status, { 'content-type': type }).end(body);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'application/json', '{"error":"Method Not Allowed"}');
    switch (path) {
      case '/healthz':
      case '/health/liveness':
        return send(200, 'application/json', '{"status":"ok"}');
      case '/readyz':
      case '/health/readiness': {
        const waiting = adapters.filter((a) => !a.isReady()).map((a) => a.name);
        const ready = state === 'running' && waiting.length === 0;
        return send(ready ? 200 : 503, 'application/json', JSON.stringify(ready ? { status: 'ready' } : { status: state === 'running' ? 'waiting-for-triggers' : state, waiting }));
      }
      case '/metrics':
        try {
          return send(200, registry.contentType, await registry.metrics());
        } catch (error) {
          return send(500, 'text/plain', `metrics failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      default:
        return send(404, 'application/json', '{"error":"Not Found"}');
    }
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(s.port, s.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    process.stderr.write(`fn-run: could not listen on ${s.host}:${s.port}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }

  let resolveClosed!: (code: number) => void;
  const closed = new Promise<number>((resolve) => (resolveClosed = resolve));
  let draining = false;
  async function shutdown(signal: string): Promise<void> {
    if (draining) return;
    draining = true;
    state = 'draining';
    shutdownController.abort(new ShutdownError());
    log.info({ signal, inFlight: invoker.pending, graceMs: s.shutdownGraceMs }, 'shutting down: readiness off, stopping the triggers');
    const stopped = Promise.all(adapters.map((a) => a.stop().catch((error: unknown) => log.error({ trigger: a.name, err: error }, `the ${a.name} trigger did not stop cleanly`))));
    let timer: NodeJS.Timeout | undefined;
    const clean = await Promise.race([stopped.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), s.shutdownGraceMs)))]);
    clearTimeout(timer);
    if (!clean) {
      log.warn({ inFlight: invoker.pending }, 'the shutdown grace period ran out: aborting deliveries in flight');
      invoker.abortAll(new ShutdownError());
      await Promise.race([stopped, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
    }
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    log.info({}, 'stopped');
    log.flush?.();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    resolveClosed(0);
  }
  let signals = 0;
  function onSignal(signal: NodeJS.Signals): void {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      log.flush?.();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    void shutdown(signal);
  }
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    await startTriggers(adapters);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.fatal({ err: error }, message);
    log.flush?.();
    process.stderr.write(`fn-run: ${message}\n`);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await new Promise<void>((r) => server.close(() => r()));
    return 1;
  }
  if (!draining) state = 'running';
  const a = server.address();
  const address = typeof a === 'object' && a !== null ? `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : String(a);
  log.info({ target: s.target, triggers: adapters.map((x) => x.name), address }, `fn-run trigger ${s.kind}: delivering to ${s.target}; probes and metrics on ${address}`);
  return closed;
}
