import { describe, expect, it } from 'vitest';
import { Histogram, Registry } from 'prom-client';
import type { Outcome } from '@fnkit/sdk';
import { INVOCATION_BUCKETS, KUBELESS_BUCKETS, RuntimeMetrics } from '../src/observability/metrics.js';

const result = (status: number, durationMs: number): Outcome => ({ type: 'result', response: { status, headers: {}, body: null, kind: 'empty' }, durationMs }) as unknown as Outcome;

/** The lines of one metric family in a Prometheus text exposition. */
function family(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}_`) || l.startsWith(`${name}{`) || l.startsWith(`${name} `) || l.includes(` ${name} `));
}

describe('RuntimeMetrics', () => {
  it('exposes the duration histograms exactly as prom-client Histograms fed the same observations', async () => {
    const metrics = new RuntimeMetrics('handler', { defaultMetrics: false });
    const reference = new Registry();
    const fnkit = new Histogram({ name: 'fnkit_invocation_duration_seconds', help: 'Invocation duration in seconds, by trigger', labelNames: ['trigger'], buckets: [...INVOCATION_BUCKETS], registers: [reference] });
    const kubeless = new Histogram({ name: 'function_duration_seconds', help: 'Duration of user function in seconds (Kubeless)', labelNames: ['method'], registers: [reference] });
    expect(kubeless).toBeDefined();
    // Values on, between and beyond the bounds, for two triggers and two methods.
    const samples: [trigger: 'http' | 'cron', method: string, ms: number][] = [
      ['http', 'GET', 0.2], ['http', 'GET', 1], ['http', 'POST', 5], ['http', 'POST', 7.5], ['http', 'GET', 250],
      ['cron', 'cron', 2500], ['cron', 'cron', 99_000], ['http', 'GET', 0], ['http', 'PUT', 10_000],
    ];
    for (const [trigger, method, ms] of samples) {
      metrics.record(trigger, method, result(200, ms));
      fnkit.observe({ trigger }, ms / 1000);
      kubeless.observe({ method: `handler-${method}` }, ms / 1000);
    }
    const ours = await metrics.registry.metrics();
    const theirs = await reference.metrics();
    for (const name of ['fnkit_invocation_duration_seconds', 'function_duration_seconds']) {
      const a = family(ours, name);
      expect(a.length).toBeGreaterThan(10);
      expect(a).toEqual(family(theirs, name));
    }
    expect(KUBELESS_BUCKETS.length).toBe(11);
  });

  it('counts invocations by trigger and outcome, timeouts, failures and in-flight at scrape time', async () => {
    const metrics = new RuntimeMetrics('mod', { defaultMetrics: false });
    metrics.record('http', 'POST', result(200, 1));
    metrics.record('http', 'POST', result(503, 1));
    metrics.record('http', 'GET', { type: 'timeout', status: 408, body: {}, durationMs: 1000 } as unknown as Outcome);
    metrics.record('kafka', 'kafka', { type: 'rejected', status: 503, body: {}, reason: 'overloaded', retryAfterSeconds: 1, durationMs: 0 } as unknown as Outcome);
    metrics.inFlight = 2;
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^fnkit_invocations_total\{trigger="http",outcome="success"\} 1$/m);
    expect(text).toMatch(/^fnkit_invocations_total\{trigger="http",outcome="error"\} 1$/m);
    expect(text).toMatch(/^fnkit_invocations_total\{trigger="http",outcome="timeout"\} 1$/m);
    expect(text).toMatch(/^fnkit_invocations_total\{trigger="kafka",outcome="rejected"\} 1$/m);
    expect(text).toMatch(/^fnkit_timeouts_total 1$/m);
    expect(text).toMatch(/^fnkit_invocations_in_flight 2$/m);
    expect(text).toMatch(/^function_calls_total\{method="mod-POST"\} 2$/m);
    expect(text).toMatch(/^function_failures_total\{method="mod-POST"\} 1$/m);
    expect(text).toMatch(/^function_failures_total\{method="mod-GET"\} 1$/m);
    // A rejected invocation never ran: no duration, no Kubeless call.
    expect(text).not.toMatch(/mod-kafka/);
    // Scraping again does not double anything.
    metrics.record('http', 'POST', result(200, 1));
    const again = await metrics.registry.metrics();
    expect(again).toMatch(/^fnkit_invocations_total\{trigger="http",outcome="success"\} 2$/m);
    expect(again).toMatch(/^function_calls_total\{method="mod-POST"\} 3$/m);
  });

  it('includes the process and Node.js metrics (event-loop lag) by default', async () => {
    const text = await new RuntimeMetrics('mod').registry.metrics();
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('keeps 64 Kubeless method series; further methods share one more, <module>-OTHER', async () => {
    const metrics = new RuntimeMetrics('m', { defaultMetrics: false });
    for (let i = 0; i < 70; i++) metrics.record('http', `M${i}`, result(200, 1));
    const text = await metrics.registry.metrics();
    expect(text.match(/^function_calls_total\{/gm)).toHaveLength(65);
    expect(text).toMatch(/^function_calls_total\{method="m-OTHER"\} 6$/m);
  });
});
