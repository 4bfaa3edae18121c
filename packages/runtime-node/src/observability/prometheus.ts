import { createRequire } from 'node:module';
import type { Counter as CounterT, Gauge as GaugeT, Metric, Registry as RegistryT } from 'prom-client';
import type { DurationHistogram } from './duration-histogram.js';
import type { RuntimeMetrics } from './metrics.js';

type PromClient = typeof import('prom-client');

/**
 * The prom-client side of RuntimeMetrics: a registry whose collectors read the runtime's counters at
 * scrape time. prom-client is required here, on first use, not imported by the runtime's start-up path.
 */
export function createPrometheusRegistry(metrics: RuntimeMetrics, options: { defaultMetrics: boolean }): RegistryT {
  const prom = createRequire(import.meta.url)('prom-client') as PromClient;
  const registry = new prom.Registry();
  const registers = [registry];
  if (options.defaultMetrics) prom.collectDefaultMetrics({ register: registry });

  new prom.Counter({
    name: 'fnkit_invocations_total',
    help: 'Invocations by trigger and outcome (success|error|timeout|rejected|cancelled)',
    labelNames: ['trigger', 'outcome'] as const,
    registers,
    collect(this: CounterT<'trigger' | 'outcome'>) {
      this.reset();
      for (const [trigger, stats] of metrics.byTrigger) {
        for (const [outcome, n] of Object.entries(stats.outcomes)) this.inc({ trigger, outcome }, n);
      }
    },
  });
  registry.registerMetric(
    histogramMetric('fnkit_invocation_duration_seconds', 'Invocation duration in seconds, by trigger', () =>
      [...metrics.byTrigger].map(([trigger, stats]) => [{ trigger }, stats.duration]),
    ),
  );
  new prom.Gauge({
    name: 'fnkit_invocations_in_flight',
    help: 'Invocations running now',
    registers,
    collect(this: GaugeT) {
      this.set(metrics.inFlight);
    },
  });
  new prom.Counter({
    name: 'fnkit_timeouts_total',
    help: 'Invocations that ran past their timeout',
    registers,
    collect(this: CounterT) {
      this.reset();
      this.inc(metrics.timeouts);
    },
  });
  new prom.Counter({
    name: 'function_calls_total',
    help: 'Number of calls to user function (Kubeless)',
    labelNames: ['method'] as const,
    registers,
    collect(this: CounterT<'method'>) {
      this.reset();
      for (const [key, stats] of metrics.byKubelessMethod) this.inc({ method: metrics.kubelessLabel(key) }, stats.calls);
    },
  });
  new prom.Counter({
    name: 'function_failures_total',
    help: 'Number of failed calls (Kubeless)',
    labelNames: ['method'] as const,
    registers,
    collect(this: CounterT<'method'>) {
      this.reset();
      for (const [key, stats] of metrics.byKubelessMethod) this.inc({ method: metrics.kubelessLabel(key) }, stats.failures);
    },
  });
  registry.registerMetric(
    histogramMetric('function_duration_seconds', 'Duration of user function in seconds (Kubeless)', () =>
      [...metrics.byKubelessMethod].map(([key, stats]) => [{ method: metrics.kubelessLabel(key) }, stats.duration]),
    ),
  );
  return registry;
}

type Series = [labels: Record<string, string>, histogram: DurationHistogram][];

/**
 * A histogram for prom-client's registry, read from DurationHistograms: the same series prom-client's own
 * Histogram exposes (`<name>_bucket{le,...}` cumulative, `<name>_sum`, `<name>_count`), in the same order.
 */
function histogramMetric(name: string, help: string, series: () => Series): Metric {
  const values = () => {
    const out: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const [labels, h] of series()) {
      for (const { le, count } of h.cumulative()) out.push({ labels: { le, ...labels }, value: count, metricName: `${name}_bucket` });
      out.push({ labels, value: h.sum, metricName: `${name}_sum` });
      out.push({ labels, value: h.count, metricName: `${name}_count` });
    }
    return out;
  };
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: values() }),
    reset: () => undefined,
  };
  return metric as unknown as Metric;
}
