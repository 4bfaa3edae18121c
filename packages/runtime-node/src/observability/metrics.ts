import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Outcome, TriggerKind } from '@fnkit/sdk';

/** The outcome label of fnkit_invocations_total: a result with status >= 400 counts as an error. */
export type OutcomeLabel = 'success' | 'error' | 'timeout' | 'rejected';

export function outcomeLabel(outcome: Outcome): OutcomeLabel {
  switch (outcome.type) {
    case 'result':
      return outcome.response.status < 400 ? 'success' : 'error';
    case 'error':
      return 'error';
    case 'timeout':
      return 'timeout';
    case 'rejected':
      return 'rejected';
  }
}

/**
 * The runtime's Prometheus metrics, in a registry of their own (served at GET /metrics).
 * fnkit_* metrics, plus the Kubeless names (function_calls_total, function_failures_total,
 * function_duration_seconds) with Kubeless's label `method="<module>-<HTTP method>"`.
 */
export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly invocations: Counter<'trigger' | 'outcome'>;
  readonly duration: Histogram<'trigger'>;
  readonly inFlight: Gauge;
  readonly timeouts: Counter;
  readonly kubelessCalls: Counter<'method'>;
  readonly kubelessFailures: Counter<'method'>;
  readonly kubelessDuration: Histogram<'method'>;
  readonly #moduleName: string;
  readonly #methodLabels = new Map<string, string>();

  constructor(moduleName: string, options: { defaultMetrics?: boolean } = {}) {
    this.#moduleName = moduleName;
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.invocations = new Counter({ name: 'fnkit_invocations_total', help: 'Invocations by trigger and outcome (success|error|timeout|rejected)', labelNames: ['trigger', 'outcome'], registers });
    this.duration = new Histogram({
      name: 'fnkit_invocation_duration_seconds',
      help: 'Invocation duration in seconds, by trigger',
      labelNames: ['trigger'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.inFlight = new Gauge({ name: 'fnkit_invocations_in_flight', help: 'Invocations running now', registers });
    this.timeouts = new Counter({ name: 'fnkit_timeouts_total', help: 'Invocations that ran past their timeout', registers });
    this.kubelessCalls = new Counter({ name: 'function_calls_total', help: 'Number of calls to user function (Kubeless)', labelNames: ['method'], registers });
    this.kubelessFailures = new Counter({ name: 'function_failures_total', help: 'Number of failed calls (Kubeless)', labelNames: ['method'], registers });
    this.kubelessDuration = new Histogram({ name: 'function_duration_seconds', help: 'Duration of user function in seconds (Kubeless)', labelNames: ['method'], registers });
  }

  /** Records one finished invocation. `httpMethod` is the request method for HTTP, else the trigger kind. */
  record(trigger: TriggerKind, httpMethod: string, outcome: Outcome): OutcomeLabel {
    const label = outcomeLabel(outcome);
    this.invocations.inc({ trigger, outcome: label });
    if (outcome.type === 'rejected') return label;
    const seconds = outcome.durationMs / 1000;
    this.duration.observe({ trigger }, seconds);
    if (outcome.type === 'timeout') this.timeouts.inc();
    const method = this.#methodLabel(httpMethod);
    this.kubelessCalls.inc({ method });
    this.kubelessDuration.observe({ method }, seconds);
    if (label !== 'success') this.kubelessFailures.inc({ method });
    return label;
  }

  #methodLabel(httpMethod: string): string {
    let v = this.#methodLabels.get(httpMethod);
    if (v === undefined) {
      v = `${this.#moduleName}-${httpMethod}`;
      if (this.#methodLabels.size < 64) this.#methodLabels.set(httpMethod, v);
    }
    return v;
  }
}
