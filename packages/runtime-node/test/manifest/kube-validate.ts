import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';

/**
 * Validation of generated objects: each against its API schema (kubernetes-models, and KEDA's and
 * Knative's CRD schemas), plus the rules the API server and kubelet apply that a schema does not say
 * (name formats and lengths, port names, references between volumes, mounts, ports, keys and selectors).
 */

type Obj = Record<string, any>;

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/CronJob': CronJob,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'serving.knative.dev/v1/Service': KnativeService,
};

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function schemaValidate(o: Obj): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  new Model(o as never).validate();
}

function check(cond: unknown, what: string): void {
  if (!cond) throw new Error(what);
}

function podTemplate(o: Obj): Obj | undefined {
  if (o.kind === 'Deployment') return o.spec.template;
  if (o.kind === 'CronJob') return o.spec.jobTemplate.spec.template;
  if (o.apiVersion === 'serving.knative.dev/v1') return o.spec.template;
  return undefined;
}

function checkPod(where: string, pod: Obj, configMaps: Map<string, Obj>, knative: boolean): void {
  const volumes = new Map<string, Obj>((pod.spec.volumes ?? []).map((v: Obj) => [v.name, v]));
  const containers: Obj[] = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  for (const v of volumes.values()) {
    check(DNS_1123_LABEL.test(v.name), `${where}: volume name ${v.name}`);
    if (v.configMap) {
      const cm = configMaps.get(v.configMap.name);
      check(cm, `${where}: volume ${v.name} names ConfigMap ${v.configMap.name}, which is not generated`);
      for (const item of v.configMap.items ?? []) {
        check(item.key in (cm!.data ?? {}) || item.key in (cm!.binaryData ?? {}), `${where}: item key ${item.key} not in the ConfigMap`);
        check(!item.path.startsWith('/') && !item.path.split('/').includes('..'), `${where}: item path ${item.path}`);
      }
    }
  }
  const names = new Set<string>();
  for (const c of containers) {
    check(DNS_1123_LABEL.test(c.name) && !names.has(c.name), `${where}: container name ${c.name}`);
    names.add(c.name);
    for (const m of c.volumeMounts ?? []) check(volumes.has(m.name), `${where}: ${c.name} mounts ${m.name}, which is no volume`);
    const portNames = new Set<string>();
    for (const p of c.ports ?? []) {
      if (p.name !== undefined) {
        check(p.name.length <= 15 && IANA_SVC_NAME.test(p.name), `${where}: container port name ${p.name} (at most 15 characters)`);
        portNames.add(p.name);
      }
    }
    for (const probeKey of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const port = c[probeKey]?.httpGet?.port;
      if (knative) check(port === undefined, `${where}: Knative probes must not name a port`);
      else if (c[probeKey]) check(typeof port === 'number' || portNames.has(port), `${where}: ${c.name} ${probeKey} port ${port} is not a container port`);
    }
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (req.memory && lim.memory) check(bytes(req.memory) <= bytes(lim.memory), `${where}: ${c.name} memory request over its limit`);
    const envNames = (c.env ?? []).map((e: Obj) => e.name);
    check(new Set(envNames).size === envNames.length, `${where}: ${c.name} has an env name twice`);
  }
}

function bytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(q)!;
  const mult: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
  return Number(m[1]) * mult[m[2] ?? '']!;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Schema validation of every object, then the cross-object rules. Throws on the first problem. */
export function validateObjects(objects: Obj[]): void {
  for (const o of objects) schemaValidate(o);
  const configMaps = new Map<string, Obj>(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o]));
  const seen = new Set<string>();
  for (const o of objects) {
    const id = `${o.apiVersion} ${o.kind} ${o.metadata.name}`;
    check(!seen.has(id), `${id} generated twice`);
    seen.add(id);
    check(DNS_1123_SUBDOMAIN.test(o.metadata.name) && o.metadata.name.length <= 253, `${id}: name`);
    if (o.kind === 'Service' || o.kind === 'CronJob' || o.apiVersion === 'serving.knative.dev/v1') {
      check(DNS_1123_LABEL.test(o.metadata.name) && o.metadata.name.length <= (o.kind === 'CronJob' ? 52 : 63), `${id}: name length/format`);
    }
    for (const [k, v] of Object.entries({ ...o.metadata.labels })) check(LABEL_VALUE.test(v as string) && (v as string).length <= 63, `${id}: label ${k}=${v}`);
    if (o.kind === 'ConfigMap') {
      let size = 0;
      for (const [k, v] of Object.entries({ ...o.data, ...o.binaryData })) {
        check(CONFIGMAP_KEY.test(k) && k.length <= 253, `${id}: key ${k}`);
        size += k.length + (o.binaryData?.[k] !== undefined ? Buffer.from(v as string, 'base64').length : Buffer.byteLength(v as string));
      }
      check(size <= 1024 * 1024, `${id}: over 1 MiB`);
    }
    const pod = podTemplate(o);
    if (pod) checkPod(id, pod, configMaps, o.apiVersion === 'serving.knative.dev/v1');
    if (o.kind === 'Deployment') check(matches(o.spec.selector.matchLabels, pod!.metadata.labels), `${id}: selector does not match its pod labels`);
    if (o.kind === 'CronJob') check(pod!.spec.restartPolicy === 'Never' || pod!.spec.restartPolicy === 'OnFailure', `${id}: a Job pod's restartPolicy`);
    if (o.kind === 'Service' && o.apiVersion === 'v1') {
      const selected = objects.filter((d) => d.kind === 'Deployment' && matches(o.spec.selector, d.spec.template.metadata.labels));
      check(selected.length === 1, `${id}: selects ${selected.length} Deployments`);
      const ports = selected[0]!.spec.template.spec.containers.flatMap((c: Obj) => c.ports ?? []);
      for (const p of o.spec.ports) {
        check(DNS_1123_LABEL.test(p.name), `${id}: port name ${p.name}`);
        check(ports.some((cp: Obj) => cp.name === p.targetPort || cp.containerPort === p.targetPort), `${id}: targetPort ${p.targetPort} is no container port`);
      }
    }
    if (o.kind === 'ScaledObject') {
      const target = objects.find((d) => d.kind === 'Deployment' && d.metadata.name === o.spec.scaleTargetRef.name);
      check(target, `${id}: scales ${o.spec.scaleTargetRef.name}, which is not generated`);
      check(target!.spec.replicas === undefined, `${id}: its Deployment sets replicas, which would fight KEDA`);
    }
  }
}
