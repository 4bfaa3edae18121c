import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { CronPattern } from 'croner';
import { ConfigError } from '../config/settings.js';
import type { CronSchedule } from '../triggers/cron/cron-settings.js';
import { CONTAINER_PORT_NAME, containerSecurityContext, FUNCTION_PORT, pullSecrets, VOLUMES } from './function-pod.js';
import { triggerLabels, triggerSelector } from './labels.js';
import type { ManifestOptions } from './manifest-options.js';
import { heapMiB } from './quantity.js';

/**
 * Triggers in a cluster run apart from the function, as Kubeless' trigger controllers did, and deliver
 * binary-mode CloudEvents to the function's Service: a CronJob per 5-field schedule running
 * `fn-run trigger cron --once`, and a dispatcher Deployment (`fn-run trigger nats|kafka|cron --target`)
 * for NATS, Kafka and schedules with seconds.
 */

const DISPATCHER_MEMORY = '256Mi';
const DISPATCHER_MEMORY_BYTES = 256 * 1024 * 1024;

/**
 * The dispatcher's per-delivery deadline: a little longer than the function's own, so that a slow
 * handler ends in the function's 408 (a reply the trigger acts on), not in the dispatcher giving up.
 */
export function deliveryTimeout(options: ManifestOptions): string {
  return `${Math.ceil(options.timeoutMs / 1000) + 5}s`;
}

/** Where triggers deliver: the function's Service (a Knative Service answers on port 80). */
export function targetUrl(options: ManifestOptions): string {
  return options.knative ? `http://${options.name}.${options.namespace}.svc` : `http://${options.name}.${options.namespace}.svc:${FUNCTION_PORT}`;
}

function triggerContainer(options: ManifestOptions, args: string[], withProbes: boolean): IContainer {
  return {
    name: 'trigger',
    image: options.runtimeImage,
    ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
    command: ['fn-run'],
    args,
    env: [
      { name: 'NODE_OPTIONS', value: `--max-old-space-size=${heapMiB(DISPATCHER_MEMORY_BYTES)}` },
      { name: 'FNKIT_FUNCTION_NAME', value: options.name },
    ],
    ...(options.triggerSecret !== undefined ? { envFrom: [{ secretRef: { name: options.triggerSecret } }] } : {}),
    resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: DISPATCHER_MEMORY } },
    ...(withProbes
      ? {
          ports: [{ name: CONTAINER_PORT_NAME, containerPort: FUNCTION_PORT, protocol: 'TCP' }],
          livenessProbe: { httpGet: { path: '/healthz', port: CONTAINER_PORT_NAME }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
          readinessProbe: { httpGet: { path: '/readyz', port: CONTAINER_PORT_NAME }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
        }
      : {}),
    securityContext: containerSecurityContext(),
    volumeMounts: [{ name: VOLUMES.tmp, mountPath: '/tmp' }],
  };
}

function triggerPodSpec(options: ManifestOptions, container: IContainer, restartPolicy?: 'Never'): IPodSpec {
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    ...(restartPolicy ? { restartPolicy } : {}),
    // fn-run's default shutdown grace (10s) plus a margin: in-flight deliveries finish and commit.
    terminationGracePeriodSeconds: 30,
    ...pullSecrets(options),
    containers: [container],
    volumes: [{ name: VOLUMES.tmp, emptyDir: {} }],
  };
}

/** A dispatcher Deployment: `fn-run trigger <kind> --target <function> <flags>`. */
export function dispatcherDeployment(options: ManifestOptions, kind: 'nats' | 'kafka' | 'cron', instance: string, flags: string[], scaledByKeda: boolean): IDeployment {
  const labels = triggerLabels(options.name, kind, instance);
  const args = ['trigger', kind, '--target', targetUrl(options), '--timeout', deliveryTimeout(options), ...flags];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: instance, namespace: options.namespace, labels },
    spec: {
      ...(scaledByKeda ? {} : { replicas: 1 }),
      selector: { matchLabels: triggerSelector(options.name, instance) },
      // Two cron dispatchers would both fire: the old one stops before the new one starts.
      strategy: kind === 'cron' ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: { metadata: { labels }, spec: triggerPodSpec(options, triggerContainer(options, args, true)) },
    },
  };
}

/**
 * Whether Kubernetes' CronJob can run the schedule: 5 fields or a @ macro. 6 fields (seconds first) need
 * a dispatcher. The expression is parsed with croner first (as the cron trigger will), so a typo fails
 * here and not in the cluster; croner's extensions (L, W, #) have no CronJob equivalent.
 */
export function cronJobCanRun(schedule: CronSchedule): boolean {
  const e = schedule.expression.trim();
  const where = `${schedule.origin} ${JSON.stringify(schedule.expression)}`;
  try {
    new CronPattern(e, undefined, { mode: '5-or-6-parts' });
  } catch (err) {
    throw new ConfigError(`${where} is not a valid cron expression (${(err as Error).message}): expected 5 fields (minute hour day month weekday), 6 with seconds first, or @hourly etc.`);
  }
  if (e.startsWith('@')) return true;
  const fields = e.split(/\s+/);
  if (fields.length === 6) return false;
  if (fields.some((f) => /[LW#]/.test(f))) {
    throw new ConfigError(`${where}: Kubernetes CronJobs have no L, W or # (last day, weekday, nth weekday); write it with seconds (6 fields) to run it in a dispatcher instead`);
  }
  return true;
}

/** The CronJob's name: `<fn>-cron` for one schedule; with several, `<fn>-cron-<schedule name>` (or its position). */
export function cronInstanceName(fn: string, schedule: CronSchedule, index: number, count: number): string {
  if (count === 1) return `${fn}-cron`;
  if (schedule.name !== schedule.expression) {
    const slug = schedule.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
    // A CronJob name leaves 11 characters of the 63 for its Jobs.
    if (slug !== '' && `${fn}-cron-${slug}`.length <= 52) return `${fn}-cron-${slug}`;
  }
  return `${fn}-cron-${index + 1}`;
}

/** The schedule as `--cron` takes it back: `name=expr` when it was named. */
export function scheduleArg(schedule: CronSchedule): string {
  return schedule.name === schedule.expression ? schedule.expression : `${schedule.name}=${schedule.expression}`;
}

export function cronJob(options: ManifestOptions, schedule: CronSchedule, instance: string, cronFlags: string[]): ICronJob {
  const cron = options.triggers.cron!.config;
  const labels = triggerLabels(options.name, 'cron', instance);
  const args = ['trigger', 'cron', '--once', '--target', targetUrl(options), '--timeout', deliveryTimeout(options), '--cron', scheduleArg(schedule), ...cronFlags];
  const timeoutS = Math.ceil(options.timeoutMs / 1000);
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: instance, namespace: options.namespace, labels },
    spec: {
      schedule: schedule.expression,
      ...(cron.timezone !== undefined ? { timeZone: cron.timezone } : {}),
      concurrencyPolicy: cron.policy,
      // A tick missed by more than a minute (controller down) is skipped rather than fired late.
      startingDeadlineSeconds: 60,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          // `--once` exits non-zero when the event was not delivered: the Job retries twice.
          backoffLimit: 2,
          activeDeadlineSeconds: timeoutS + 60,
          template: { metadata: { labels }, spec: triggerPodSpec(options, triggerContainer(options, args, false), 'Never') },
        },
      },
    },
  };
}
