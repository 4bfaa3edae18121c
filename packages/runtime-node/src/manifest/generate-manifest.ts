import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import type { IService as IKnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import { functionDeployment, functionService, knativeService, sourceConfigMap } from './function-objects.js';
import { dispatcherScaledObject, functionScaledObject, kafkaTriggers, natsTriggers } from './keda-objects.js';
import type { ManifestOptions } from './manifest-options.js';
import { cronInstanceName, cronJob, cronJobCanRun, dispatcherDeployment, scheduleArg } from './trigger-objects.js';

/** Every kind of object the generator makes. */
export type KubeObject = IConfigMap | IDeployment | IService | IKnativeService | ICronJob | IScaledObject;

/**
 * Every object of a function, in the order `kubectl apply` wants them: the source, the function,
 * its triggers, then the autoscalers that point at them.
 */
export function generateManifest(options: ManifestOptions): KubeObject[] {
  const objects: KubeObject[] = [sourceConfigMap(options)];
  const { cron, nats, kafka } = options.triggers;
  const keda = options.keda !== undefined;

  if (options.knative) {
    objects.push(knativeService(options));
  } else {
    objects.push(functionDeployment(options, keda), functionService(options));
  }

  if (cron) {
    const schedules = cron.config.schedules;
    schedules.forEach((schedule, i) => {
      const instance = cronInstanceName(options.name, schedule, i, schedules.length);
      if (cronJobCanRun(schedule)) {
        objects.push(cronJob(options, schedule, instance, cron.args));
      } else {
        // Seconds: a CronJob has minute resolution, so a dispatcher keeps the schedule itself.
        objects.push(dispatcherDeployment(options, 'cron', instance, ['--cron', scheduleArg(schedule), ...cron.args], false));
      }
    });
  }

  const scaled: KubeObject[] = [];
  const functionTriggers: ReturnType<typeof kafkaTriggers> = [];
  if (nats) {
    const instance = `${options.name}-nats`;
    const flags = [...nats.args];
    // Core NATS delivers every message to every subscriber: replicas must share one queue group.
    if (!nats.config.jetstream && nats.config.queue === undefined) flags.push('--nats-queue', options.name);
    objects.push(dispatcherDeployment(options, 'nats', instance, flags, keda));
    if (keda) {
      const triggers = natsTriggers(options, nats.config);
      scaled.push(dispatcherScaledObject(options, 'nats', instance, triggers));
      functionTriggers.push(...triggers);
    }
  }
  if (kafka) {
    const instance = `${options.name}-kafka`;
    const flags = [...kafka.args];
    // The group is spelled out so that KEDA's lag trigger watches the very group the dispatcher joins.
    if (!flags.some((f) => f === '--kafka-group' || f.startsWith('--kafka-group='))) flags.push('--kafka-group', kafka.config.groupId);
    objects.push(dispatcherDeployment(options, 'kafka', instance, flags, keda));
    if (keda) {
      const triggers = kafkaTriggers(options, kafka.config);
      scaled.push(dispatcherScaledObject(options, 'kafka', instance, triggers));
      functionTriggers.push(...triggers);
    }
  }
  // Knative scales the function itself; KEDA then scales only the dispatchers.
  if (keda && !options.knative && functionTriggers.length > 0) scaled.unshift(functionScaledObject(options, functionTriggers));
  return [...objects, ...scaled];
}
