import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { readDispatchSettings } from '../../src/commands/trigger.js';
import type { TriggerEnvironment } from '../../src/contracts.js';
import { createNatsAdapters } from '../../src/triggers/nats/index.js';
import { TriggerMetrics } from '../../src/triggers/trigger-metrics.js';
import { envOf, find, HANDLER, ManifestFixture, type Obj } from './fixtures.js';

const fx = new ManifestFixture();
afterAll(() => fx.cleanup());
const dir = fx.dir({ 'handler.ts': HANDLER, 'package.json': '{"name":"t","type":"module"}' }, 'orders');

function triggerContainer(o: Obj): Obj {
  const pod = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec;
  expect(pod.containers).toHaveLength(1);
  return pod.containers[0];
}

/** The container's command line read back by `fn-run trigger` itself, with the container's env. */
function dispatchSettings(c: Obj) {
  expect(c.command).toEqual(['fn-run']);
  expect(c.args[0]).toBe('trigger');
  return readDispatchSettings(c.args[1], c.args.slice(2), envOf(c));
}

describe('fn-run manifest: triggers', () => {
  it('makes a CronJob running `fn-run trigger cron --once` against the Service, with the policy and time zone', () => {
    const objects = fx.objects([dir, '--cron', '*/5 * * * *', '--cron-policy', 'Forbid', '--cron-tz', 'Europe/Berlin', '--cron-data', '{"job":"sweep"}', '--timeout', '20s']);
    const job = find(objects, 'CronJob', 'orders-cron');
    expect(job.spec).toMatchObject({ schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid', timeZone: 'Europe/Berlin' });
    const c = triggerContainer(job);
    expect(c.image).toBe('ghcr.io/fnkit/runtime-node:0.1.0');
    expect(c.args.slice(0, 5)).toEqual(['trigger', 'cron', '--once', '--target', 'http://orders.default.svc:8080']);
    const s = dispatchSettings(c);
    expect(s).toMatchObject({ kind: 'cron', once: true, target: 'http://orders.default.svc:8080/', timeoutMs: 25_000 });
    expect(s.onceTick).toMatchObject({ expression: '*/5 * * * *', timezone: 'Europe/Berlin', data: { value: { job: 'sweep' }, contentType: 'application/json' } });
    expect(job.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('Never');
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
  });

  it('makes one CronJob per schedule, named after it, and a cron dispatcher Deployment for a schedule with seconds', () => {
    const objects = fx.objects([dir, '--cron', 'nightly=@daily', '--cron', 'fast=*/10 * * * * *', '--cron', '0 12 * * 1-5']);
    expect(find(objects, 'CronJob', 'orders-cron-3').spec.schedule).toBe('0 12 * * 1-5');
    const daily = find(objects, 'CronJob', 'orders-cron-nightly');
    expect(daily.spec.schedule).toBe('@daily');
    expect(dispatchSettings(triggerContainer(daily)).onceTick).toMatchObject({ name: 'nightly', expression: '@daily' });
    const fast = find(objects, 'Deployment', 'orders-cron-fast');
    expect(fast.spec.strategy).toEqual({ type: 'Recreate' });
    const s = dispatchSettings(triggerContainer(fast));
    expect(s.once).toBe(false);
    expect(s.triggers.cron!.schedules).toEqual([{ name: 'fast', expression: '*/10 * * * * *', origin: '--cron' }]);
  });

  it('makes a NATS dispatcher Deployment with its probes; core NATS replicas share a queue group', () => {
    const objects = fx.objects([dir, '--nats', 'events.todo.newitem', '--nats-url', 'nats://nats.messaging.svc:4222', '--namespace', 'shop']);
    const d = find(objects, 'Deployment', 'orders-nats');
    const c = triggerContainer(d);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    const s = dispatchSettings(c);
    expect(s).toMatchObject({ kind: 'nats', target: 'http://orders.shop.svc:8080/', port: 8080, functionName: 'orders' });
    expect(s.triggers.nats).toMatchObject({ subjects: ['events.todo.newitem'], servers: ['nats://nats.messaging.svc:4222'], queue: 'orders' });
    // The function's Service must not route to the dispatcher.
    expect(d.spec.template.metadata.labels.function).toBeUndefined();
  });

  it('passes JetStream settings through to the dispatcher as given', () => {
    const objects = fx.objects([dir, '--nats', 'orders.*', '--nats-url', 'nats://nats:4222', '--nats-stream', 'ORDERS', '--nats-durable', 'orders-fn', '--nats-max-deliver', '7', '--nats-dead-letter', 'dlq.orders']);
    const s = dispatchSettings(triggerContainer(find(objects, 'Deployment', 'orders-nats')));
    expect(s.triggers.nats).toMatchObject({ subjects: ['orders.*'], deadLetter: 'dlq.orders', jetstream: { stream: 'ORDERS', durable: 'orders-fn', maxDeliver: 7 } });
    expect(s.triggers.nats!.queue).toBeUndefined();
  });

  it('makes a Kafka dispatcher Deployment joining an explicit consumer group', () => {
    const objects = fx.objects([dir, '--kafka', 'orders', '--kafka', 'refunds', '--kafka-brokers', 'kafka-0.kafka:9092,kafka-1.kafka:9092', '--kafka-retries', '5', '--trigger-secret', 'kafka-creds']);
    const c = triggerContainer(find(objects, 'Deployment', 'orders-kafka'));
    expect(c.envFrom).toEqual([{ secretRef: { name: 'kafka-creds' } }]);
    const s = dispatchSettings(c);
    expect(s.triggers.kafka).toMatchObject({ topics: ['orders', 'refunds'], brokers: ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'], groupId: 'fnkit-orders', retries: 5 });
  });

  it('with --keda, scales the dispatchers and the function on Kafka lag and JetStream pending, and leaves replicas to KEDA', () => {
    const objects = fx.objects([
      dir, '--keda', '--keda-max-replicas', '8', '--keda-lag-threshold', '50',
      '--kafka', 'orders', '--kafka-brokers', 'kafka:9092', '--kafka-group', 'order-workers',
      '--nats', 'orders.>', '--nats-url', 'nats://nats.messaging:4222', '--nats-stream', 'ORDERS', '--nats-durable', 'orders-fn',
    ]);
    const kafka = find(objects, 'ScaledObject', 'orders-kafka');
    expect(kafka.spec).toMatchObject({ scaleTargetRef: { kind: 'Deployment', name: 'orders-kafka' }, minReplicaCount: 1, maxReplicaCount: 8 });
    expect(kafka.spec.triggers).toEqual([{ type: 'kafka', metadata: { bootstrapServers: 'kafka:9092', consumerGroup: 'order-workers', topic: 'orders', lagThreshold: '50' } }]);
    expect(dispatchSettings(triggerContainer(find(objects, 'Deployment', 'orders-kafka'))).triggers.kafka!.groupId).toBe('order-workers');
    const nats = find(objects, 'ScaledObject', 'orders-nats');
    expect(nats.spec.triggers).toEqual([
      { type: 'nats-jetstream', metadata: { natsServerMonitoringEndpoint: 'nats.messaging:8222', account: '$G', stream: 'ORDERS', consumer: 'orders-fn', lagThreshold: '50' } },
    ]);
    const fn = find(objects, 'ScaledObject', 'orders');
    expect(fn.spec.scaleTargetRef.name).toBe('orders');
    expect(fn.spec.triggers.map((t: Obj) => t.type).sort()).toEqual(['kafka', 'nats-jetstream']);
    for (const name of ['orders', 'orders-kafka', 'orders-nats']) expect(find(objects, 'Deployment', name).spec.replicas).toBeUndefined();
  });

  it('gives every pod the --image-pull-secret Secrets and the --image-pull-policy', () => {
    const objects = fx.objects([dir, '--image-pull-secret', 'regcred', '--image-pull-policy', 'Always', '--cron', '@daily', '--nats', 'a', '--nats-url', 'nats://n:4222']);
    const pods = [find(objects, 'Deployment', 'orders'), find(objects, 'Deployment', 'orders-nats'), find(objects, 'CronJob', 'orders-cron')].map((o) =>
      o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec,
    );
    for (const pod of pods) {
      expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) expect(c.imagePullPolicy).toBe('Always');
    }
    const ksvc = fx.objects([dir, '--knative', '--image-pull-secret', 'regcred'])[1]!;
    expect(ksvc.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
  });

  it('with --keda and several JetStream subjects, watches each durable consumer the NATS trigger creates', () => {
    const natsArgs = ['--nats', 'orders.created', '--nats', 'orders.*.eu', '--nats', 'audit.>', '--nats-stream', 'ORDERS', '--nats-durable', 'fn'];
    const objects = fx.objects([dir, '--keda', '--nats-url', 'nats://nats:4222', ...natsArgs]);
    const consumers = find(objects, 'ScaledObject', 'orders-nats').spec.triggers.map((t: Obj) => t.metadata.consumer);
    // The trigger's own adapters, built from the dispatcher's command line, name their consumers `nats:<stream>/<durable>`.
    const s = dispatchSettings(triggerContainer(find(objects, 'Deployment', 'orders-nats')));
    const registry = new Registry();
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, child: () => log } as unknown as TriggerEnvironment['log'];
    const env: TriggerEnvironment = { invoker: { invoke: () => Promise.reject(new Error('not used')) }, log, registry, metrics: new TriggerMetrics(registry), shutdownSignal: new AbortController().signal };
    const adapters = createNatsAdapters(s.triggers.nats!, env);
    expect(consumers).toEqual(adapters.map((a) => a.name.replace('nats:ORDERS/', '')));
    expect(consumers).toHaveLength(3);
  });

  it('with --knative and --keda, scales only the dispatchers (Knative scales the function)', () => {
    const objects = fx.objects([dir, '--knative', '--keda', '--kafka', 'orders', '--kafka-brokers', 'kafka:9092']);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/orders-source', 'Service/orders', 'Deployment/orders-kafka', 'ScaledObject/orders-kafka']);
    expect(dispatchSettings(triggerContainer(find(objects, 'Deployment', 'orders-kafka'))).target).toBe('http://orders.default.svc/');
  });

  it('meets the restricted Pod Security Standard in every pod and container', () => {
    const objects = fx.objects([
      dir, '--npmrc-secret', 'npm', '--cron', '@daily', '--cron', 's=*/5 * * * * *',
      '--nats', 'a', '--nats-url', 'nats://n:4222', '--kafka', 'k', '--kafka-brokers', 'b:9092',
    ]);
    const pods = objects.flatMap((o) => (o.kind === 'CronJob' ? [o.spec.jobTemplate.spec.template.spec] : o.kind === 'Deployment' ? [o.spec.template.spec] : []));
    expect(pods).toHaveLength(5);
    for (const pod of pods) {
      expect(pod.hostNetwork ?? false).toBe(false);
      for (const v of pod.volumes) expect(Object.keys(v).filter((k) => k !== 'name')).toEqual([expect.stringMatching(/^(configMap|emptyDir|secret)$/)]);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const sc = { ...pod.securityContext, ...c.securityContext };
        expect(sc).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
        expect(sc.runAsUser).not.toBe(0);
        expect(sc.privileged ?? false).toBe(false);
        expect(c.ports?.every((p: Obj) => p.hostPort === undefined) ?? true).toBe(true);
      }
    }
  });

  it('with --knative, makes a Knative Service instead of the Deployment and Service, and triggers target it on port 80', () => {
    const objects = fx.objects([dir, '--knative', '--cron', '@hourly', '--timeout', '60']);
    expect(objects.map((o) => `${o.apiVersion} ${o.kind}`)).toEqual(['v1 ConfigMap', 'serving.knative.dev/v1 Service', 'batch/v1 CronJob']);
    const ksvc = objects[1]!;
    const spec = ksvc.spec.template.spec;
    expect(spec.timeoutSeconds).toBe(65);
    const c = spec.containers[0];
    expect(c.ports).toEqual([{ name: 'http1', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz' });
    expect(c.startupProbe).toBeUndefined();
    expect(envOf(c).PORT).toBeUndefined();
    expect(envOf(spec.initContainers[0])).toMatchObject({ FNKIT_SOURCE: '/src', KUBELESS_INSTALL_VOLUME: '/kubeless' });
    expect(dispatchSettings(triggerContainer(find(objects, 'CronJob', 'orders-cron'))).target).toBe('http://orders.default.svc/');
  });
});
