import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Runs the containers of a Kubernetes pod spec with podman the way the kubelet would: the same images,
 * command/args, env, volume mount paths and security context. ConfigMap volumes are materialised from
 * the ConfigMap objects as the kubelet lays them out (entries are symlinks into `..data/`) and mounted
 * read-only; each EmptyDir is a named podman volume (mode 0777, as an EmptyDir is) shared by the
 * containers that mount it. Containers use the host network, so ports are the container's own: the
 * caller gives the port the runtime container listens on (FUNC_PORT) in place of the spec's.
 */

const exec = promisify(execFile);

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: unknown[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  securityContext?: SecurityContext;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { containerName?: string; resource: string; divisor?: string };
    secretKeyRef?: unknown;
    configMapKeyRef?: unknown;
  };
}

export interface Probe {
  httpGet?: { path?: string; port: number | string };
}

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
}

export interface Volume {
  name: string;
  configMap?: { name: string; items?: { key: string; path: string }[]; defaultMode?: number };
  emptyDir?: { medium?: string; sizeLimit?: string };
  secret?: unknown;
}

export interface PodSpec {
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
  securityContext?: SecurityContext & { fsGroup?: number };
  terminationGracePeriodSeconds?: number;
}

export interface ConfigMap {
  kind: 'ConfigMap';
  metadata: { name: string };
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export interface KubeObject {
  kind: string;
  metadata: { name: string };
  spec?: unknown;
  [k: string]: unknown;
}

export interface ContainerExit {
  code: number;
  logs: string;
}

export async function podman(args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await exec('podman', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`podman ${args.join(' ')} failed: ${err.stderr || err.message}`);
  }
}

/** Throws a message naming test/infra/podman.sh when podman or an image is missing. */
export async function requirePodman(images: string[]): Promise<void> {
  try {
    await exec('podman', ['--version']);
  } catch {
    throw new Error('podman is not installed: run `bash test/infra/podman.sh` (npm test runs it through test/infra/setup.sh)');
  }
  for (const image of images) {
    try {
      await exec('podman', ['image', 'exists', image]);
    } catch {
      throw new Error(`image ${image} is missing: run \`npm run build && bash test/infra/podman.sh\` to build it`);
    }
  }
}

/** The pod's volumes on this machine; `remove()` deletes all of them. */
export class PodVolumes {
  private readonly hostDirs: string[] = [];
  private readonly named: string[] = [];
  /** Volume name → the `-v` source (a host directory or a podman volume name) and whether read-only. */
  private readonly sources = new Map<string, { source: string; readOnly: boolean }>();

  private constructor(private readonly suffix: string) {}

  static async create(spec: PodSpec, configMaps: ConfigMap[], suffix: string): Promise<PodVolumes> {
    const vols = new PodVolumes(suffix);
    try {
      for (const v of spec.volumes ?? []) await vols.add(v, configMaps);
    } catch (e) {
      await vols.remove();
      throw e;
    }
    return vols;
  }

  private async add(v: Volume, configMaps: ConfigMap[]): Promise<void> {
    if (v.configMap) {
      const cm = configMaps.find((c) => c.metadata.name === v.configMap!.name);
      if (!cm) throw new Error(`volume ${v.name}: no ConfigMap named ${v.configMap.name} among the generated objects`);
      const dir = materializeConfigMap(cm, v.configMap.items, v.configMap.defaultMode ?? 0o644);
      this.hostDirs.push(dir);
      this.sources.set(v.name, { source: dir, readOnly: true });
    } else if (v.emptyDir) {
      const name = `fnkit-pod-${v.name}-${this.suffix}`;
      await podman(['volume', 'create', name]);
      this.named.push(name);
      // An EmptyDir is world-writable; a fresh podman volume belongs to root with mode 0755.
      const mountpoint = (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', name])).trim();
      chmodSync(mountpoint, 0o777);
      this.sources.set(v.name, { source: name, readOnly: false });
    } else {
      throw new Error(`volume ${v.name}: only configMap and emptyDir volumes can be run here (${JSON.stringify(v)})`);
    }
  }

  /** `-v` arguments for a container's volumeMounts. */
  mountArgs(c: Container): string[] {
    const out: string[] = [];
    for (const m of c.volumeMounts ?? []) {
      const s = this.sources.get(m.name);
      if (!s) throw new Error(`container ${c.name} mounts ${m.name}, which is not a volume of the pod`);
      if (m.subPath) throw new Error(`container ${c.name}: subPath mounts are not supported here (${m.name})`);
      out.push('-v', `${s.source}:${m.mountPath}:${s.readOnly || m.readOnly ? 'ro' : 'rw'}`);
    }
    return out;
  }

  async remove(): Promise<void> {
    for (const d of this.hostDirs) rmSync(d, { recursive: true, force: true });
    for (const n of this.named) await podman(['volume', 'rm', '-f', n]).catch(() => undefined);
  }
}

/**
 * Lays a ConfigMap out as the kubelet's atomic writer does: the files in a timestamped directory,
 * `..data` pointing at it, and each top-level entry a symlink into `..data/`.
 */
export function materializeConfigMap(cm: ConfigMap, items: { key: string; path: string }[] | undefined, mode: number): string {
  const root = mkdtempSync(join(tmpdir(), 'fnkit-configmap-'));
  chmodSync(root, 0o755);
  const stamp = `..${new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '')}`;
  const data = join(root, stamp);
  const entries: [string, Buffer][] = [
    ...Object.entries(cm.data ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, 'utf8')]),
    ...Object.entries(cm.binaryData ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, 'base64')]),
  ];
  const paths = items ? items.map((i) => [i.key, i.path] as const) : entries.map(([k]) => [k, k] as const);
  const top = new Set<string>();
  for (const [key, path] of paths) {
    const content = entries.find(([k]) => k === key)?.[1];
    if (content === undefined) throw new Error(`ConfigMap ${cm.metadata.name} has no key ${key}`);
    const file = join(data, path);
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, content, { mode });
    chmodSync(file, mode);
    top.add(path.split('/')[0]!);
  }
  mkdirSync(data, { recursive: true, mode: 0o755 });
  symlinkSync(stamp, join(root, '..data'));
  for (const entry of top) symlinkSync(join('..data', entry), join(root, entry));
  return root;
}

/** Kubernetes quantities (`256Mi`, `500m`, `1G`) as numbers. */
export function quantity(q: string): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q);
  if (!m) throw new Error(`not a quantity: ${q}`);
  const units: Record<string, number> = {
    '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
  };
  const u = units[m[2]!];
  if (u === undefined) throw new Error(`unknown quantity unit in ${q}`);
  return Number(m[1]) * u;
}

/** The value the kubelet gives an env var (literal, or from a field or a resource of the pod). */
function envValue(e: EnvVar, c: Container, spec: PodSpec, podName: string): string {
  if (e.value !== undefined) return e.value;
  const from = e.valueFrom;
  if (from?.fieldRef) {
    const fields: Record<string, string> = {
      'metadata.name': podName,
      'metadata.namespace': 'default',
      'status.podIP': '127.0.0.1',
      'status.hostIP': '127.0.0.1',
      'spec.nodeName': 'localhost',
    };
    const v = fields[from.fieldRef.fieldPath];
    if (v === undefined) throw new Error(`env ${e.name}: fieldRef ${from.fieldRef.fieldPath} is not supported here`);
    return v;
  }
  if (from?.resourceFieldRef) {
    const ref = from.resourceFieldRef;
    const target = ref.containerName ? [...(spec.initContainers ?? []), ...spec.containers].find((x) => x.name === ref.containerName) : c;
    const [kind, res] = ref.resource.split('.') as ['limits' | 'requests', string];
    const q = target?.resources?.[kind]?.[res];
    if (q === undefined) throw new Error(`env ${e.name}: ${ref.resource} is not set on the container`);
    const divisor = quantity(ref.divisor ?? '1');
    // The kubelet rounds up to a whole number of divisors.
    return String(Math.ceil(quantity(q) / divisor));
  }
  throw new Error(`env ${e.name}: only literal values, fieldRef and resourceFieldRef are supported here`);
}

/**
 * What the kubelet checks for `runAsNonRoot`: the user from the security context, else the image's
 * USER, must be numeric and not 0.
 */
export async function verifyRunAsNonRoot(c: Container, spec: PodSpec): Promise<void> {
  const sc = { ...spec.securityContext, ...c.securityContext };
  if (!sc.runAsNonRoot) return;
  const user = sc.runAsUser !== undefined ? String(sc.runAsUser) : (await podman(['image', 'inspect', '--format', '{{.Config.User}}', c.image])).trim().split(':')[0]!;
  if (!/^\d+$/.test(user) || Number(user) === 0) {
    throw new Error(`container ${c.name}: runAsNonRoot is set but the user is ${JSON.stringify(user)} (the kubelet needs a numeric non-zero uid)`);
  }
}

/** The `podman run` arguments for one container of the pod (without `--detach`/`--name`). */
export function runArgs(
  c: Container,
  spec: PodSpec,
  volumes: PodVolumes,
  opts: { podName: string; envOverrides?: Record<string, string> },
): string[] {
  if (c.envFrom?.length) throw new Error(`container ${c.name}: envFrom is not supported here`);
  const sc = { ...spec.securityContext, ...c.securityContext };
  const args = ['--network', 'host', '--pull', 'never'];
  if (sc.runAsUser !== undefined) args.push('--user', `${sc.runAsUser}:${sc.runAsGroup ?? sc.runAsUser}`);
  if (sc.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false');
  if (sc.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  for (const cap of sc.capabilities?.drop ?? []) args.push('--cap-drop', cap.toLowerCase());
  for (const cap of sc.capabilities?.add ?? []) args.push('--cap-add', cap.toLowerCase());
  const memory = c.resources?.limits?.memory;
  if (memory) args.push('--memory', String(quantity(memory)));
  const cpu = c.resources?.limits?.cpu;
  if (cpu) args.push('--cpus', String(quantity(cpu)));
  if (c.workingDir) args.push('--workdir', c.workingDir);
  const env = new Map<string, string>();
  for (const e of c.env ?? []) env.set(e.name, envValue(e, c, spec, opts.podName));
  for (const [k, v] of Object.entries(opts.envOverrides ?? {})) env.set(k, v);
  for (const [k, v] of env) args.push('--env', `${k}=${v}`);
  args.push(...volumes.mountArgs(c));
  // Kubernetes: `command` replaces the image's ENTRYPOINT (and drops its CMD); `args` replace CMD.
  if (c.command?.length) args.push('--entrypoint', JSON.stringify(c.command));
  args.push(c.image, ...(c.args ?? []));
  return args;
}

/** Runs a container to completion (as the kubelet runs an init container); returns its code and logs. */
export async function runToCompletion(name: string, args: string[], timeoutMs: number): Promise<ContainerExit> {
  // A non-zero exit rejects too; the container's state tells the two apart.
  let runError: unknown;
  await podman(['run', '--name', name, ...args], timeoutMs).catch((e: unknown) => (runError = e));
  const state = await podman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', name]).catch(() => {
    throw runError instanceof Error ? runError : new Error(`container ${name} was not created`);
  });
  const [status, code] = state.trim().split(' ');
  if (status !== 'exited') throw new Error(`container ${name} did not finish (${status}): ${String(runError)}`);
  return { code: Number(code), logs: await logs(name) };
}

export async function logs(name: string): Promise<string> {
  const { stdout, stderr } = await exec('podman', ['logs', name], { maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout?: string; stderr?: string }) => ({
    stdout: e.stdout ?? '',
    stderr: e.stderr ?? '',
  }));
  return stdout + stderr;
}

/** The HTTP path a probe checks (httpGet only). */
export function probePath(p: Probe | undefined, what: string): string {
  if (!p?.httpGet) throw new Error(`the container has no httpGet ${what} probe`);
  return p.httpGet.path ?? '/';
}

export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
