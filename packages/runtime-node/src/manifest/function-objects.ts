import type { IService as IKnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { IService } from 'kubernetes-models/v1/Service';
import type { ManifestOptions } from './manifest-options.js';
import {
  builderContainer,
  CONTAINER_PORT_NAME,
  FUNCTION_PORT,
  functionPodSpec,
  functionVolumes,
  pullSecrets,
  runtimeContainer,
  SERVICE_PORT_NAME,
  sourceConfigMapName,
} from './function-pod.js';
import { functionLabels, functionSelector, SOURCE_CHECKSUM_ANNOTATION } from './labels.js';

/** The function's own objects: its source ConfigMap, and a Deployment and Service (or a Knative Service). */

export function sourceConfigMap(options: ManifestOptions): IConfigMap {
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const f of options.source.files) {
    if (f.text) data[f.key] = f.content.toString('utf8');
    else binaryData[f.key] = f.content.toString('base64');
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: sourceConfigMapName(options.name),
      namespace: options.namespace,
      labels: functionLabels(options.name),
      annotations: { [SOURCE_CHECKSUM_ANNOTATION]: options.source.checksum, 'fnkit.dev/handler': handlerText(options) },
    },
    ...(Object.keys(data).length > 0 ? { data } : {}),
    ...(Object.keys(binaryData).length > 0 ? { binaryData } : {}),
  };
}

export function handlerText(options: ManifestOptions): string {
  return options.handler.exportName === undefined ? options.handler.file : `${options.handler.file}#${options.handler.exportName}`;
}

function podAnnotations(options: ManifestOptions): Record<string, string> {
  return {
    [SOURCE_CHECKSUM_ANNOTATION]: options.source.checksum,
    'prometheus.io/scrape': 'true',
    'prometheus.io/path': '/metrics',
    'prometheus.io/port': String(FUNCTION_PORT),
  };
}

/** `scaledByKeda`: leave `replicas` out, or every `kubectl apply` would reset what KEDA chose. */
export function functionDeployment(options: ManifestOptions, scaledByKeda: boolean): IDeployment {
  const labels = functionLabels(options.name);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: options.name, namespace: options.namespace, labels },
    spec: {
      ...(scaledByKeda ? {} : { replicas: options.replicas }),
      selector: { matchLabels: functionSelector(options.name) },
      // Never below the wanted capacity while a new source rolls out.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels, annotations: podAnnotations(options) },
        spec: functionPodSpec(options),
      },
    },
  };
}

export function functionService(options: ManifestOptions): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: options.name, namespace: options.namespace, labels: functionLabels(options.name) },
    spec: {
      type: 'ClusterIP',
      selector: functionSelector(options.name),
      ports: [{ name: SERVICE_PORT_NAME, port: FUNCTION_PORT, targetPort: CONTAINER_PORT_NAME, protocol: 'TCP' }],
    },
  };
}

/**
 * The Knative variant: one Knative Service in place of the Deployment and Service. Knative routes and
 * scales (to zero, too), sets PORT, probes through its queue-proxy (so probes name no port), and needs
 * the `kubernetes.podspec-init-containers` and `kubernetes.podspec-volumes-emptydir` features enabled
 * in Knative's config-features.
 */
export function knativeService(options: ManifestOptions): IKnativeService {
  const labels = functionLabels(options.name);
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: options.name, namespace: options.namespace, labels },
    spec: {
      template: {
        metadata: { labels, annotations: podAnnotations(options) },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          // Knative's request deadline: a little over fn-run's, so the function's 408 is what callers see.
          timeoutSeconds: Math.ceil(options.timeoutMs / 1000) + 5,
          ...pullSecrets(options),
          initContainers: [builderContainer(options)],
          containers: [withoutProbePorts(runtimeContainer(options, true))],
          volumes: functionVolumes(options),
        },
      },
    },
  };
}

type KnativeContainer = NonNullable<IKnativeService['spec']>['template'] extends infer T
  ? T extends { spec?: { containers: Array<infer C> } } ? C : never
  : never;

/**
 * Knative probes the serving port through its queue-proxy, so a probe names no port; and its Service
 * schema has no startupProbe (Knative holds traffic until readiness passes anyway).
 */
function withoutProbePorts(container: IContainer): KnativeContainer {
  const strip = (p: IProbe | undefined) => (p?.httpGet ? { ...p, httpGet: { path: p.httpGet.path } } : p);
  const { startupProbe: _unused, ...rest } = container;
  return { ...rest, livenessProbe: strip(container.livenessProbe), readinessProbe: strip(container.readinessProbe) };
}
