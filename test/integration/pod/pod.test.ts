import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, freePort, root, sleep } from '../helpers.js';
import {
  PodVolumes,
  logs,
  podman,
  probePath,
  requirePodman,
  runArgs,
  runToCompletion,
  uniqueSuffix,
  verifyRunAsNonRoot,
  type ConfigMap,
  type Container,
  type KubeObject,
  type PodSpec,
} from './podman-pod.js';

/**
 * The function pod as Kubernetes runs it, with podman: the Deployment that `fn-run manifest` generates,
 * its init container (fn-build, from the init-builder image) installing a function with a real npm
 * dependency into the EmptyDir, then its runtime container (fn-run, from the runtime image) serving it.
 * The images are built by test/infra/podman.sh (images/build.sh).
 */

const execp = promisify(execFile);
const version = (pkg: string): string => (JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as { version: string }).version;
const RUNTIME_IMAGE = `localhost/fnkit/runtime-node:${version('runtime-node')}`;
const BUILDER_IMAGE = `localhost/fnkit/init-builder:${version('init-builder')}`;

const containers: string[] = [];
const volumeSets: PodVolumes[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  await requirePodman([RUNTIME_IMAGE, BUILDER_IMAGE]);
  // Images older than the built code would test old code: images/build.sh compares their inputs.
  const base = process.env.FNKIT_BASE_IMAGE ? [] : ['--local-base'];
  await execp('bash', [join(root, 'images/build.sh'), '--check', '--prefix', 'localhost/fnkit', ...base], { cwd: root }).catch((e: { stderr?: string }) => {
    throw new Error(`the fnkit images are not up to date with the code:\n${e.stderr ?? String(e)}`);
  });
});

afterAll(async () => {
  for (const c of containers) await podman(['rm', '-f', '-t', '0', c]).catch(() => undefined);
  for (const v of volumeSets) await v.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function functionDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fnkit-pod-fn-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** The objects `fn-run manifest` prints for the function, with the local images. */
async function manifest(dir: string, name: string, handler: string): Promise<KubeObject[]> {
  const args = [cli, 'manifest', dir, '--name', name, '--handler', handler, '--runtime-image', RUNTIME_IMAGE, '--builder-image', BUILDER_IMAGE, '--output', 'json'];
  const { stdout } = await execp(process.execPath, args, { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  const list = JSON.parse(stdout) as { kind: string; items: KubeObject[] };
  expect(list.kind).toBe('List');
  return list.items;
}

interface Pod {
  spec: PodSpec;
  configMaps: ConfigMap[];
  init: Container;
  runtime: Container;
  volumes: PodVolumes;
  podName: string;
}

async function podFromManifest(objects: KubeObject[], name: string, suffix: string): Promise<Pod> {
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
  if (!deployment) throw new Error(`fn-run manifest printed no Deployment named ${name}: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  const spec = (deployment.spec as { template: { spec: PodSpec } }).template.spec;
  expect(spec.initContainers).toHaveLength(1);
  expect(spec.containers).toHaveLength(1);
  const init = spec.initContainers![0]!;
  const runtime = spec.containers[0]!;
  expect(init.image).toBe(BUILDER_IMAGE);
  expect(runtime.image).toBe(RUNTIME_IMAGE);
  const configMaps = objects.filter((o): o is KubeObject & ConfigMap => o.kind === 'ConfigMap');
  const volumes = await PodVolumes.create(spec, configMaps, suffix);
  volumeSets.push(volumes);
  return { spec, configMaps, init, runtime, volumes, podName: `${name}-${suffix}` };
}

/** Runs the init container to completion, as the kubelet does before it starts the pod's containers. */
async function runInit(pod: Pod, suffix: string): Promise<{ code: number; logs: string }> {
  const name = `fnkit-pod-init-${suffix}`;
  containers.push(name);
  await verifyRunAsNonRoot(pod.init, pod.spec);
  return runToCompletion(name, runArgs(pod.init, pod.spec, pod.volumes, { podName: pod.podName }), 300_000);
}

/** GET until the status is 200; fails with the container's logs if it exits or never answers. */
async function waitFor200(url: string, container: string, what: string): Promise<void> {
  let last = '';
  for (let i = 0; i < 240; i++) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
      last = `${res.status} ${await res.text()}`;
    } catch (e) {
      last = (e as Error).message;
    }
    const state = (await podman(['inspect', '--format', '{{.State.Status}}', container])).trim();
    if (state === 'exited') throw new Error(`the container exited before its ${what} answered:\n${await logs(container)}`);
    await sleep(250);
  }
  throw new Error(`${what} ${url} never answered 200 (last: ${last}):\n${await logs(container)}`);
}

const env = (c: Container, name: string): string | undefined => c.env?.find((e) => e.name === name)?.value;

/**
 * Starts the runtime container on a free port of this machine in place of the spec's (host network),
 * and waits until its liveness and readiness probes answer.
 */
async function startRuntime(pod: Pod, suffix: string): Promise<{ base: string; name: string }> {
  const specPort = Number(env(pod.runtime, 'FUNC_PORT'));
  const containerPort = pod.runtime.ports?.find((p) => p.containerPort === specPort);
  expect(containerPort, 'the runtime container declares the FUNC_PORT port').toBeDefined();
  for (const probe of [pod.runtime.livenessProbe, pod.runtime.readinessProbe]) {
    expect([containerPort!.name, containerPort!.containerPort]).toContain(probe?.httpGet?.port);
  }
  await verifyRunAsNonRoot(pod.runtime, pod.spec);
  const port = await freePort();
  const name = `fnkit-pod-fn-${suffix}`;
  containers.push(name);
  const args = runArgs(pod.runtime, pod.spec, pod.volumes, { podName: pod.podName, envOverrides: { FUNC_PORT: String(port) } });
  await podman(['run', '--detach', '--name', name, ...args]);
  const base = `http://127.0.0.1:${port}`;
  await waitFor200(base + probePath(pod.runtime.livenessProbe, 'liveness'), name, 'liveness probe');
  await waitFor200(base + probePath(pod.runtime.readinessProbe, 'readiness'), name, 'readiness probe');
  return { base, name };
}

/** SIGTERM as the kubelet sends it, with the pod's grace period before SIGKILL; the exit code and logs. */
async function stopRuntime(pod: Pod, name: string): Promise<{ exit: string; logs: string }> {
  const grace = String(pod.spec.terminationGracePeriodSeconds ?? 30);
  await podman(['stop', '--time', grace, name], 120_000);
  return { exit: (await podman(['inspect', '--format', '{{.State.ExitCode}}', name])).trim(), logs: await logs(name) };
}

async function postJson(url: string, data: unknown): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
  return { status: res.status, body: await res.text() };
}

const functionName = (prefix: string, suffix: string): string => `${prefix}-${suffix.replace(/[^a-z0-9]/g, '')}`.slice(0, 40);

describe('the function pod under podman, from the generated Deployment', () => {
  it('installs a function with an npm dependency in the init container and serves it from the EmptyDir', async () => {
    const suffix = uniqueSuffix();
    const name = functionName('pod-ms', suffix);
    const dir = functionDir({
      'package.json': JSON.stringify({ name: 'pod-ms', version: '1.0.0', private: true, dependencies: { ms: '2.1.3' } }, null, 2),
      'handler.js': [
        "const ms = require('ms');",
        'exports.convert = async (event) => ({ input: event.data.duration, ms: ms(event.data.duration), from: event.source });',
        '',
      ].join('\n'),
    });
    const pod = await podFromManifest(await manifest(dir, name, 'handler.js#convert'), name, suffix);

    // The init container: fn-build from the ConfigMap at /src into the EmptyDir at /kubeless.
    const init = await runInit(pod, suffix);
    expect(init.code, `init container failed:\n${init.logs}`).toBe(0);
    expect(init.logs).toMatch(/npm install \(1 package/);

    const { base, name: container } = await startRuntime(pod, suffix);
    const res = await postJson(`${base}/convert`, { duration: '2 days' });
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ input: '2 days', ms: 172_800_000, from: '/convert' });

    const stopped = await stopRuntime(pod, container);
    expect(stopped.exit, stopped.logs).toBe('0');
    expect(stopped.logs).toMatch(/"signal":"SIGTERM"/);
    expect(stopped.logs).toMatch(/"msg":"stopped"/);
  });

  it('compiles a TypeScript function and installs its lockfile with npm ci', async () => {
    const suffix = uniqueSuffix();
    const name = functionName('pod-ts', suffix);
    const dir = functionDir({
      'package.json': JSON.stringify({ name: 'pod-ts', version: '1.0.0', private: true, dependencies: { 'is-number': '7.0.0' } }, null, 2),
      // No `resolved` URLs: npm ci fetches name@version from the configured registry and checks the integrity.
      'package-lock.json': JSON.stringify(
        {
          name: 'pod-ts',
          version: '1.0.0',
          lockfileVersion: 3,
          requires: true,
          packages: {
            '': { name: 'pod-ts', version: '1.0.0', dependencies: { 'is-number': '7.0.0' } },
            'node_modules/is-number': {
              version: '7.0.0',
              integrity: 'sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==',
              engines: { node: '>=0.12.0' },
            },
          },
        },
        null,
        2,
      ),
      'handler.ts': [
        "import isNumber from 'is-number';",
        '',
        'interface Input { value: unknown }',
        '',
        'export async function check(event: { data: Input }): Promise<Input & { isNumber: boolean }> {',
        '  return { value: event.data.value, isNumber: isNumber(event.data.value) };',
        '}',
        '',
      ].join('\n'),
    });
    const pod = await podFromManifest(await manifest(dir, name, 'handler.ts#check'), name, suffix);
    const init = await runInit(pod, suffix);
    expect(init.code, `init container failed:\n${init.logs}`).toBe(0);
    expect(init.logs).toMatch(/esbuild/);
    expect(init.logs).toMatch(/npm ci/);

    const { base, name: container } = await startRuntime(pod, suffix);
    for (const [value, expected] of [['42', true], ['forty-two', false]] as const) {
      const res = await postJson(`${base}/`, { value });
      expect(res.status, res.body).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ value, isNumber: expected });
    }
    const stopped = await stopRuntime(pod, container);
    expect(stopped.exit, stopped.logs).toBe('0');
  });

  it('fails in the init container with one clear line when the handler export is missing', async () => {
    const suffix = uniqueSuffix();
    const name = functionName('pod-noexport', suffix);
    const dir = functionDir({
      'package.json': JSON.stringify({ name: 'pod-noexport', version: '1.0.0', private: true }, null, 2),
      'handler.js': 'exports.other = async () => "not the handler";\n',
    });
    const pod = await podFromManifest(await manifest(dir, name, 'handler.js#convert'), name, suffix);
    const init = await runInit(pod, suffix);
    expect(init.code, init.logs).not.toBe(0);
    // One line naming the file, the export asked for, and what the module has instead.
    const line = init.logs.split('\n').find((l) => l.includes('handler.js') && l.includes('convert'));
    expect(line, `no line names handler.js and convert:\n${init.logs}`).toBeDefined();
    expect(line).toMatch(/other/);
  });
});

describe('the runtime image on its own', () => {
  it('serves a TypeScript handler that was not compiled (tsx) with a read-only root and no writable /tmp', async () => {
    const suffix = uniqueSuffix();
    const dir = functionDir({
      'fn.ts': 'export async function hello(event: { data?: { name?: string } }): Promise<string> {\n  return `hello ${event.data?.name ?? "world"}`;\n}\n',
    });
    chmodSync(dir, 0o755);
    const port = await freePort();
    const name = `fnkit-pod-tsx-${suffix}`;
    containers.push(name);
    await podman([
      'run', '--detach', '--name', name, '--network', 'host', '--pull', 'never', '--read-only', '--read-only-tmpfs=false',
      '--cap-drop', 'all', '--security-opt', 'no-new-privileges', '-v', `${dir}:/kubeless:ro`,
      '--env', 'MOD_NAME=fn', '--env', 'FUNC_HANDLER=hello', '--env', `FUNC_PORT=${port}`, RUNTIME_IMAGE,
    ]);
    const base = `http://127.0.0.1:${port}`;
    await waitFor200(`${base}/readyz`, name, 'readiness');
    const res = await postJson(`${base}/`, { name: 'pod' });
    expect(res.status, res.body).toBe(200);
    expect(res.body).toBe('hello pod');
    expect((await podman(['inspect', '--format', '{{.Config.User}}', RUNTIME_IMAGE])).trim()).toBe('1000:1000');
    await podman(['stop', '--time', '30', name], 120_000);
    expect((await podman(['inspect', '--format', '{{.State.ExitCode}}', name])).trim(), await logs(name)).toBe('0');
  });
});
