import type { Registry } from 'prom-client';
import type { Outcome, TriggerKind } from '@fnkit/sdk';
import { DurationHistogram } from './duration-histogram.js';
import { createPrometheusRegistry } from './prometheus.js';

/**
 * The outcome label of fnkit_invocations_total: a result with status >= 400 counts as an error; an
 * error outcome of status 499 is a cancelled invocation (the invoker makes those: a cron tick replaced,
 * an HTTP client gone before the answer), expected rather than a failure.
 */
export type OutcomeLabel = 'success' | 'error' | 'timeout' | 'rejected' | 'cancelled';

export function outcomeLabel(outcome: Outcome): OutcomeLabel {
  switch (outcome.type) {
    case 'result':
      return outcome.response.status < 400 ? 'success' : 'error';
    case 'error':
      return outcome.status === 499 ? 'cancelled' : 'error';
    case 'timeout':
      return 'timeout';
    case 'rejected':
      return 'rejected';
  }
}

/** fnkit_invocation_duration_seconds buckets. */
export const INVOCATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;
/** function_duration_seconds buckets: prom-client's defaults, as Kubeless's runtime had them. */
export const KUBELESS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Counts and durations of one trigger kind (the `trigger` label). */
export class TriggerStats {
  readonly outcomes: Record<OutcomeLabel, number> = { success: 0, error: 0, timeout: 0, rejected: 0, cancelled: 0 };
  readonly duration = new DurationHistogram(INVOCATION_BUCKETS);
}

/** Counts and durations of one Kubeless `method` label (`<module>-<HTTP method or trigger kind>`). */
export class KubelessStats {
  calls = 0;
  failures = 0;
  readonly duration = new DurationHistogram(KUBELESS_BUCKETS);
}

/**
 * The runtime's Prometheus metrics (served at GET /metrics): fnkit_invocations_total{trigger,outcome},
 * fnkit_invocation_duration_seconds{trigger}, fnkit_invocations_in_flight, fnkit_timeouts_total, and the
 * Kubeless names (function_calls_total, function_failures_total, function_duration_seconds) with Kubeless's
 * label `method="<module>-<HTTP method>"`; plus prom-client's process and Node.js metrics (event-loop lag, GC,
 * heap, CPU, ...).
 *
 * Invocations are counted into plain numbers and arrays here: recording one costs a few hash-free field
 * updates (prom-client's labelled inc/observe hash their labels on every call: ~2.5 µs per invocation for
 * the five updates, measured). prom-client itself is loaded the first time `registry` is read (the first
 * scrape, or a trigger adapter registering its metrics), which keeps its ~30–50 ms of module loading off
 * the start-up path; its collectors read these numbers at scrape time. The process and Node.js metrics
 * (`collectDefaultMetrics`) start then too.
 */
export class RuntimeMetrics {
  /** Invocations running now (the invoker increments and decrements it). */
  inFlight = 0;
  timeouts = 0;
  readonly byTrigger = new Map<string, TriggerStats>();
  readonly byKubelessMethod = new Map<string, KubelessStats>();
  readonly #moduleName: string;
  readonly #defaultMetrics: boolean;
  #registry: Registry | undefined;
  // The last series recorded into: a server sees the same trigger kind and method over and over, and an
  // identity check on the (usually constant) strings is cheaper than a Map lookup per invocation.
  #lastTrigger: string | undefined;
  #lastTriggerStats: TriggerStats | undefined;
  #lastMethod: string | undefined;
  #lastKubelessStats: KubelessStats | undefined;

  constructor(moduleName: string, options: { defaultMetrics?: boolean } = {}) {
    this.#moduleName = moduleName;
    this.#defaultMetrics = options.defaultMetrics !== false;
  }

  /** The prom-client registry with every metric above (created, and prom-client loaded, on first use). */
  get registry(): Registry {
    this.#registry ??= createPrometheusRegistry(this, { defaultMetrics: this.#defaultMetrics });
    return this.#registry;
  }

  /** Records one finished invocation. `httpMethod` is the request method for HTTP, else the trigger kind. */
  record(trigger: TriggerKind, httpMethod: string, outcome: Outcome): OutcomeLabel {
    const label = outcomeLabel(outcome);
    let stats = trigger === this.#lastTrigger ? this.#lastTriggerStats : undefined;
    if (stats === undefined) {
      stats = this.byTrigger.get(trigger);
      if (stats === undefined) {
        stats = new TriggerStats();
        this.byTrigger.set(trigger, stats);
      }
      this.#lastTrigger = trigger;
      this.#lastTriggerStats = stats;
    }
    stats.outcomes[label]++;
    if (outcome.type === 'rejected') return label;
    const seconds = outcome.durationMs / 1000;
    stats.duration.observe(seconds);
    if (outcome.type === 'timeout') this.timeouts++;
    const kubeless = this.#kubeless(httpMethod);
    kubeless.calls++;
    kubeless.duration.observe(seconds);
    // A cancelled invocation is not the function failing.
    if (label !== 'success' && label !== 'cancelled') kubeless.failures++;
    return label;
  }

  #kubeless(httpMethod: string): KubelessStats {
    if (httpMethod === this.#lastMethod) return this.#lastKubelessStats!;
    const stats = this.#kubelessLookup(httpMethod);
    this.#lastMethod = httpMethod;
    this.#lastKubelessStats = stats;
    return stats;
  }

  #kubelessLookup(httpMethod: string): KubelessStats {
    let stats = this.byKubelessMethod.get(httpMethod);
    if (stats === undefined) {
      // Methods are whatever clients send: beyond 64 distinct ones, the rest share the series `<module>-OTHER`.
      const key = this.byKubelessMethod.size < 64 ? httpMethod : 'OTHER';
      stats = this.byKubelessMethod.get(key) ?? new KubelessStats();
      this.byKubelessMethod.set(key, stats);
    }
    return stats;
  }

  /** Kubeless's `method` label for a key of byKubelessMethod. */
  kubelessLabel(httpMethod: string): string {
    return `${this.#moduleName}-${httpMethod}`;
  }
}
