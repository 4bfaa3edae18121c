import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import type { ManifestOptions } from './manifest-options.js';
import { heapMiB } from './quantity.js';

/**
 * The function pod (DESIGN.md, "The pod"): the source ConfigMap mounted at /src in the init container,
 * which runs `fn-build` into the EmptyDir /kubeless; the runtime container runs `fn-run` from there.
 * Both run as non-root with a read-only root filesystem; /tmp is an EmptyDir of its own in each.
 */

export const FUNCTION_PORT = 8080;
/** Container port names are IANA service names, at most 15 characters; the Service's port is `http-function-port`. */
export const CONTAINER_PORT_NAME = 'http';
export const SERVICE_PORT_NAME = 'http-function-port';
export const SOURCE_DIR = '/src';
export const INSTALL_DIR = '/kubeless';
export const NPMRC_DIR = '/etc/fnkit/npmrc';
/** The images' non-root user (the `node` user of the Node base images). */
export const RUN_AS_USER = 1000;
/** Pod time after SIGTERM beyond fn-run's own shutdown grace, before SIGKILL. */
const KILL_MARGIN_S = 20;

export const VOLUMES = { source: 'source', install: 'kubeless', tmp: 'tmp', buildTmp: 'build-tmp', npmrc: 'npmrc' } as const;

/** The ConfigMap's name. */
export function sourceConfigMapName(name: string): string {
  return `${name}-source`;
}

/** Non-root, nothing writable but the mounted volumes, no privileges. */
export function containerSecurityContext(): ISecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_USER,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** FUNC_TIMEOUT: seconds as Kubeless wrote it, or `<n>ms` when not whole seconds. */
export function funcTimeout(ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : `${ms}ms`;
}

export function graceSeconds(options: ManifestOptions): number {
  return Math.ceil(options.shutdownGraceMs / 1000) + KILL_MARGIN_S;
}

/** MOD_NAME and, when an export is named, FUNC_HANDLER. */
export function handlerEnv(options: ManifestOptions): IEnvVar[] {
  const env: IEnvVar[] = [{ name: 'MOD_NAME', value: options.handler.modName }];
  if (options.handler.exportName !== undefined) env.push({ name: 'FUNC_HANDLER', value: options.handler.exportName });
  return env;
}

export function builderContainer(options: ManifestOptions): IContainer {
  const source = options.source.kind === 'archive' ? `${SOURCE_DIR}/${options.source.files[0]!.path}` : SOURCE_DIR;
  const env: IEnvVar[] = [
    { name: 'FNKIT_SOURCE', value: source },
    { name: 'KUBELESS_INSTALL_VOLUME', value: INSTALL_DIR },
    ...handlerEnv(options),
    // npm writes its cache and logs under HOME; the root filesystem is read-only.
    { name: 'HOME', value: '/tmp' },
  ];
  if (options.npmRegistry !== undefined) env.push({ name: 'NPM_CONFIG_REGISTRY', value: options.npmRegistry });
  if (options.npmrcSecret !== undefined) env.push({ name: 'NPM_CONFIG_USERCONFIG', value: `${NPMRC_DIR}/.npmrc` });
  // fn-build refuses a source whose checksum differs (a ConfigMap edited by hand, a stale mount).
  env.push({ name: 'FNKIT_SOURCE_CHECKSUM', value: options.source.checksum });
  if (options.allowScripts) env.push({ name: 'FNKIT_ALLOW_SCRIPTS', value: 'true' });
  const mounts: IVolumeMount[] = [
    { name: VOLUMES.source, mountPath: SOURCE_DIR, readOnly: true },
    { name: VOLUMES.install, mountPath: INSTALL_DIR },
    { name: VOLUMES.buildTmp, mountPath: '/tmp' },
  ];
  if (options.npmrcSecret !== undefined) mounts.push({ name: VOLUMES.npmrc, mountPath: NPMRC_DIR, readOnly: true });
  return {
    name: 'build',
    image: options.builderImage,
    ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
    command: ['fn-build'],
    env,
    // npm and esbuild need more than the function; this is only while the pod starts.
    resources: { requests: { cpu: options.resources.requestsCpu, memory: '256Mi' }, limits: { memory: '1Gi' } },
    securityContext: containerSecurityContext(),
    volumeMounts: mounts,
  };
}

function probe(path: string, periodSeconds: number, failureThreshold: number): IProbe {
  return { httpGet: { path, port: CONTAINER_PORT_NAME }, periodSeconds, timeoutSeconds: 3, failureThreshold };
}

export function functionProbes(): Pick<IContainer, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  return {
    // Start-up (module init) gets up to a minute before liveness applies.
    startupProbe: probe('/healthz', 2, 30),
    livenessProbe: probe('/healthz', 10, 3),
    readinessProbe: probe('/readyz', 5, 2),
  };
}

export function runtimeEnv(options: ManifestOptions): IEnvVar[] {
  const userNodeOptions = options.env.find(([k]) => k === 'NODE_OPTIONS')?.[1];
  const heap = `--max-old-space-size=${heapMiB(options.resources.memoryLimitBytes)}`;
  const env: IEnvVar[] = [
    ...handlerEnv(options),
    { name: 'FUNC_TIMEOUT', value: funcTimeout(options.timeoutMs) },
    { name: 'FUNC_PORT', value: String(FUNCTION_PORT) },
    { name: 'FUNC_MEMORY_LIMIT', value: String(options.resources.memoryLimitBytes) },
    { name: 'NODE_OPTIONS', value: userNodeOptions === undefined ? heap : `${heap} ${userNodeOptions}` },
    { name: 'KUBELESS_INSTALL_VOLUME', value: INSTALL_DIR },
    { name: 'FNKIT_FUNCTION_NAME', value: options.name },
    { name: 'FNKIT_SHUTDOWN_GRACE', value: `${options.shutdownGraceMs}ms` },
  ];
  for (const [name, value] of options.env) if (name !== 'NODE_OPTIONS') env.push({ name, value });
  return env;
}

export function runtimeContainer(options: ManifestOptions, knative: boolean): IContainer {
  const r = options.resources;
  return {
    name: 'function',
    image: options.runtimeImage,
    ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
    command: ['fn-run'],
    args: ['serve'],
    // Knative names the port for the protocol (http1) and sets PORT itself.
    ports: [{ name: knative ? 'http1' : CONTAINER_PORT_NAME, containerPort: FUNCTION_PORT, protocol: 'TCP' }],
    env: runtimeEnv(options),
    ...(options.envSecrets.length > 0 ? { envFrom: options.envSecrets.map((name) => ({ secretRef: { name } })) } : {}),
    resources: {
      requests: { cpu: r.requestsCpu, memory: r.requestsMemory },
      limits: { memory: r.limitsMemory, ...(r.limitsCpu !== undefined ? { cpu: r.limitsCpu } : {}) },
    },
    ...functionProbes(),
    securityContext: containerSecurityContext(),
    volumeMounts: [
      { name: VOLUMES.install, mountPath: INSTALL_DIR, readOnly: true },
      { name: VOLUMES.tmp, mountPath: '/tmp' },
    ],
  };
}

export function functionVolumes(options: ManifestOptions): IVolume[] {
  const volumes: IVolume[] = [
    {
      name: VOLUMES.source,
      // Keys cannot hold '/', so each file is placed at its path through `items`.
      configMap: { name: sourceConfigMapName(options.name), items: options.source.files.map((f) => ({ key: f.key, path: f.path })) },
    },
    { name: VOLUMES.install, emptyDir: {} },
    { name: VOLUMES.tmp, emptyDir: {} },
    { name: VOLUMES.buildTmp, emptyDir: {} },
  ];
  if (options.npmrcSecret !== undefined) {
    volumes.push({ name: VOLUMES.npmrc, secret: { secretName: options.npmrcSecret, items: [{ key: '.npmrc', path: '.npmrc' }] } });
  }
  return volumes;
}

/** `imagePullSecrets` for every pod spec, when given. */
export function pullSecrets(options: ManifestOptions): Pick<IPodSpec, 'imagePullSecrets'> {
  return options.imagePullSecrets.length > 0 ? { imagePullSecrets: options.imagePullSecrets.map((name) => ({ name })) } : {};
}

/** The function's pod spec (Deployment). */
export function functionPodSpec(options: ManifestOptions): IPodSpec {
  return {
    // Functions do not talk to the Kubernetes API; and Service links would flood the environment.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: graceSeconds(options),
    ...pullSecrets(options),
    initContainers: [builderContainer(options)],
    containers: [runtimeContainer(options, false)],
    volumes: functionVolumes(options),
  };
}
