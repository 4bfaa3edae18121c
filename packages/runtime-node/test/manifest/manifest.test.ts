import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { sourceChecksum } from '../../../init-builder/src/source/checksum.js';
import { envOf as env, find, HANDLER, ManifestFixture, type Obj } from './fixtures.js';
import { validateObjects } from './kube-validate.js';

const fx = new ManifestFixture();
afterAll(() => fx.cleanup());
const root = fx.root;
let n = 0;
const fnDir = (files: Record<string, string | Buffer>, name?: string) => fx.dir(files, name);
const run = (argv: string[]) => fx.run(argv);
const manifest = (argv: string[]) => fx.objects(argv);
const PKG = JSON.stringify({ name: 'fn', type: 'module', dependencies: { ms: '2.1.3' } });

describe('fn-run manifest: the function', () => {
  const dir = fnDir({ 'handler.ts': HANDLER, 'package.json': PKG, 'package-lock.json': '{}', 'lib/util.ts': 'export const x = 1;\n' }, 'greeter');

  it('makes a ConfigMap with the source, a Deployment and a Service that pass the API schemas', () => {
    const objects = manifest([dir]);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/greeter-source', 'Deployment/greeter', 'Service/greeter']);
    for (const o of objects) expect(o.metadata.namespace).toBe('default');
  });

  it('puts every file in the ConfigMap, nested ones under keys without slashes, placed back by volume items', () => {
    const objects = manifest([dir]);
    const cm = find(objects, 'ConfigMap', 'greeter-source');
    expect(Object.keys(cm.data).sort()).toEqual(['handler.ts', 'lib__util.ts', 'package-lock.json', 'package.json']);
    expect(cm.data['handler.ts']).toBe(HANDLER);
    const volume = find(objects, 'Deployment', 'greeter').spec.template.spec.volumes.find((v: Obj) => v.name === 'source');
    expect(volume.configMap.items).toContainEqual({ key: 'lib__util.ts', path: 'lib/util.ts' });
    expect(volume.configMap.name).toBe('greeter-source');
  });

  it('runs fn-build in an init container from /src into the EmptyDir /kubeless', () => {
    const pod = find(manifest([dir, '--handler', 'handler.ts#greet']), 'Deployment', 'greeter').spec.template.spec;
    const init = pod.initContainers[0];
    expect(init.image).toBe('ghcr.io/fnkit/init-builder:0.1.0');
    expect(init.command).toEqual(['fn-build']);
    expect(env(init)).toMatchObject({ FNKIT_SOURCE: '/src', KUBELESS_INSTALL_VOLUME: '/kubeless', MOD_NAME: 'handler', FUNC_HANDLER: 'greet' });
    expect(init.volumeMounts).toContainEqual({ name: 'source', mountPath: '/src', readOnly: true });
    expect(init.volumeMounts).toContainEqual({ name: 'kubeless', mountPath: '/kubeless' });
    expect(pod.volumes.find((v: Obj) => v.name === 'kubeless')).toEqual({ name: 'kubeless', emptyDir: {} });
  });

  it('runs fn-run from /kubeless with the Kubeless environment, probes and a hardened security context', () => {
    const pod = find(manifest([dir, '--handler', 'handler.ts#greet', '--timeout', '30', '--name', 'greeter']), 'Deployment', 'greeter').spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe('ghcr.io/fnkit/runtime-node:0.1.0');
    expect(c.command).toEqual(['fn-run']);
    expect(env(c)).toMatchObject({
      MOD_NAME: 'handler',
      FUNC_HANDLER: 'greet',
      FUNC_TIMEOUT: '30',
      FUNC_PORT: '8080',
      KUBELESS_INSTALL_VOLUME: '/kubeless',
      FNKIT_FUNCTION_NAME: 'greeter',
    });
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.volumeMounts).toContainEqual({ name: 'kubeless', mountPath: '/kubeless', readOnly: true });
    expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    for (const container of [c, pod.initContainers[0]]) {
      expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    }
    // Longer than fn-run's shutdown grace (10s by default), so in-flight work finishes before SIGKILL.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(10);
    expect(env(c).FNKIT_SHUTDOWN_GRACE).toBe('10000ms');
  });

  it('sets default requests and limits, and sizes FUNC_MEMORY_LIMIT and the V8 heap from the memory limit', () => {
    const c = find(manifest([dir]), 'Deployment', 'greeter').spec.template.spec.containers[0];
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } });
    expect(env(c).FUNC_MEMORY_LIMIT).toBe(String(256 * 1024 * 1024));
    expect(env(c).NODE_OPTIONS).toBe('--max-old-space-size=192');

    const big = find(manifest([dir, '--memory', '1Gi', '--cpu', '2', '--requests-cpu', '250m', '--requests-memory', '512Mi']), 'Deployment', 'greeter').spec.template.spec.containers[0];
    expect(big.resources).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi', cpu: '2' } });
    expect(env(big).NODE_OPTIONS).toBe('--max-old-space-size=768');
    expect(env(big).FUNC_MEMORY_LIMIT).toBe(String(1024 ** 3));

    const small = find(manifest([dir, '--memory', '96Mi']), 'Deployment', 'greeter').spec.template.spec.containers[0];
    expect(small.resources.requests.memory).toBe('96Mi');
    expect(env(small).NODE_OPTIONS).toBe('--max-old-space-size=72');
  });

  it('adds --env values, and appends a NODE_OPTIONS given with --env to the heap size', () => {
    const c = find(manifest([dir, '--env', 'NATS_URL=nats://nats:4222', '--env', 'NODE_OPTIONS=--enable-source-maps', '-e', 'GREETING=a=b, c']), 'Deployment', 'greeter').spec.template.spec.containers[0];
    expect(env(c)).toMatchObject({ NATS_URL: 'nats://nats:4222', GREETING: 'a=b, c', NODE_OPTIONS: '--max-old-space-size=192 --enable-source-maps' });
  });

  it('loads --env-secret Secrets into the function container only', () => {
    const pod = find(manifest([dir, '--env-secret', 'nats-creds', '--env-secret', 'db']), 'Deployment', 'greeter').spec.template.spec;
    expect(pod.containers[0].envFrom).toEqual([{ secretRef: { name: 'nats-creds' } }, { secretRef: { name: 'db' } }]);
    expect(pod.initContainers[0].envFrom).toBeUndefined();
  });

  it('names the Service port http-function-port as Kubeless did and selects the function pods only', () => {
    const svc = find(manifest([dir]), 'Service', 'greeter');
    expect(svc.spec.ports).toEqual([{ name: 'http-function-port', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    expect(svc.spec.selector).toEqual({ function: 'greeter' });
    expect(svc.metadata.labels).toMatchObject({ function: 'greeter', 'app.kubernetes.io/name': 'greeter', 'app.kubernetes.io/managed-by': 'fnkit' });
  });

  it('changes the pod checksum annotation when the source changes, and only then', () => {
    const d = fnDir({ 'handler.ts': HANDLER });
    const checksum = () => find(manifest([d, '--name', 'c']), 'Deployment', 'c').spec.template.metadata.annotations['fnkit.dev/source-checksum'];
    const first = checksum();
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(checksum()).toBe(first);
    writeFileSync(join(d, 'handler.ts'), HANDLER + '// changed\n');
    expect(checksum()).not.toBe(first);
  });

  it('gives fn-build the checksum it computes itself for the ConfigMap as kubelet mounts it (links into ..data/)', async () => {
    const objects = manifest([dir]);
    const cm = find(objects, 'ConfigMap', 'greeter-source');
    const pod = find(objects, 'Deployment', 'greeter').spec.template.spec;
    const items: { key: string; path: string }[] = pod.volumes.find((v: Obj) => v.name === 'source').configMap.items;
    const mount = join(root, `mount-${++n}`);
    for (const item of items) {
      mkdirSync(join(mount, '..data', item.path, '..'), { recursive: true });
      writeFileSync(join(mount, '..data', item.path), cm.data[item.key]);
      const top = item.path.split('/')[0]!;
      if (!existsSync(join(mount, top))) symlinkSync(join('..data', top), join(mount, top));
    }
    const expected = env(pod.initContainers[0]).FNKIT_SOURCE_CHECKSUM;
    expect(await sourceChecksum(mount)).toBe(expected);
    expect(find(objects, 'Deployment', 'greeter').spec.template.metadata.annotations['fnkit.dev/source-checksum']).toBe(expected);
  });

  it('puts non-UTF-8 files in binaryData and leaves out node_modules, hidden files and tests', () => {
    const d = fnDir({
      'handler.js': 'module.exports = () => 1;\n',
      'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x00]),
      'node_modules/x/index.js': 'x',
      '.npmrc': '//registry/:_authToken=secret',
      'handler.test.js': 'test',
    });
    const cm = manifest([d, '--name', 'bin'])[0]!;
    expect(Object.keys(cm.data)).toEqual(['handler.js']);
    expect(cm.binaryData).toEqual({ 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x00]).toString('base64') });
  });

  it('takes a module file with #export as the function, its directory as the source', () => {
    const d = fnDir({ 'audit.ts': HANDLER, 'other.ts': HANDLER, 'package.json': PKG });
    const objects = manifest([join(d, 'audit.ts#audit')]);
    const c = find(objects, 'Deployment', 'audit').spec.template.spec.containers[0];
    expect(env(c)).toMatchObject({ MOD_NAME: 'audit', FUNC_HANDLER: 'audit' });
    expect(Object.keys(objects[0]!.data).sort()).toEqual(['audit.ts', 'other.ts', 'package.json']);
  });

  it('takes a .tgz as the source, with its sha256 checked by fn-build', () => {
    const d = fnDir({ 'fn.tgz': Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]) });
    const objects = manifest([join(d, 'fn.tgz'), '--handler', 'index.js#main']);
    expect(objects[0]!.binaryData['fn.tgz']).toBe(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]).toString('base64'));
    const init = find(objects, 'Deployment', 'fn').spec.template.spec.initContainers[0];
    expect(env(init)).toMatchObject({ FNKIT_SOURCE: '/src/fn.tgz', MOD_NAME: 'index', FUNC_HANDLER: 'main' });
    const sha = createHash('sha256').update(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02])).digest('hex');
    expect(env(init).FNKIT_SOURCE_CHECKSUM).toBe(`sha256:${sha}`);
  });

  it('mounts an .npmrc Secret into the init container only, and passes --allow-scripts', () => {
    const pod = find(manifest([dir, '--npmrc-secret', 'npm-creds', '--npm-registry', 'https://npm.example.com/', '--allow-scripts']), 'Deployment', 'greeter').spec.template.spec;
    const init = pod.initContainers[0];
    expect(env(init)).toMatchObject({ FNKIT_ALLOW_SCRIPTS: 'true', NPM_CONFIG_REGISTRY: 'https://npm.example.com/', NPM_CONFIG_USERCONFIG: '/etc/fnkit/npmrc/.npmrc' });
    expect(pod.volumes).toContainEqual({ name: 'npmrc', secret: { secretName: 'npm-creds', items: [{ key: '.npmrc', path: '.npmrc' }] } });
    expect(pod.containers[0].volumeMounts.map((m: Obj) => m.name)).not.toContain('npmrc');
  });

  it('quotes strings a YAML 1.1 reader such as kubectl would take for booleans or numbers', () => {
    const r = run([dir, '--env', 'FLAG=on', '--env', 'ANSWER=yes', '--env', 'AT=12:30', '--env', 'MODE=0755']);
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.out, { version: '1.1' }).map((d) => d.toJS() as Obj);
    expect(env(find(docs, 'Deployment', 'greeter').spec.template.spec.containers[0])).toMatchObject({ FLAG: 'on', ANSWER: 'yes', AT: '12:30', MODE: '0755' });
    validateObjects(docs);
  });

  it('prints YAML documents by default, the same objects as the JSON List, with no anchors', () => {
    const tricky = fnDir({
      'handler.js': 'module.exports = () => 1;\n',
      'notes.txt': '---\n...\n\tindented with a tab  \r\nkey: value # not yaml\n  trailing spaces   \n\n\n',
      'no-newline.txt': '"quoted" \'single\' {brace} [list] *star &amp',
    });
    for (const d of [dir, tricky]) {
      const yaml = run([d, '--namespace', 'fns', '--name', 'rt']);
      expect(yaml.code).toBe(0);
      expect(yaml.out).not.toMatch(/[&*]a\d/);
      const docs = parseAllDocuments(yaml.out, { version: '1.1' }).map((doc) => doc.toJS() as Obj);
      validateObjects(docs);
      expect(docs).toEqual(manifest([d, '--namespace', 'fns', '--name', 'rt']));
    }
  });
});

describe('the validation these tests rely on', () => {
  const dir = fnDir({ 'handler.ts': HANDLER }, 'valid');
  const objects = () => manifest([dir]);

  it('fails a value of the wrong type (the API schema)', () => {
    const o = objects();
    find(o, 'Deployment', 'valid').spec.template.spec.containers[0].ports[0].containerPort = '8080';
    expect(() => validateObjects(o)).toThrow(/containerPort must be integer/);
  });

  it('fails a container port name over 15 characters, a probe on a port that does not exist, a mount of no volume', () => {
    const o1 = objects();
    find(o1, 'Deployment', 'valid').spec.template.spec.containers[0].ports[0].name = 'http-function-port';
    expect(() => validateObjects(o1)).toThrow(/port/);
    const o2 = objects();
    find(o2, 'Deployment', 'valid').spec.template.spec.containers[0].readinessProbe.httpGet.port = 'web';
    expect(() => validateObjects(o2)).toThrow(/readinessProbe port web/);
    const o3 = objects();
    find(o3, 'Deployment', 'valid').spec.template.spec.volumes.pop();
    expect(() => validateObjects(o3)).toThrow(/which is no volume/);
  });

  it('fails a Service that selects no pods', () => {
    const o = objects();
    find(o, 'Service', 'valid').spec.selector = { function: 'other' };
    expect(() => validateObjects(o)).toThrow(/selects 0 Deployments/);
  });
});
