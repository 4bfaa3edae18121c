import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import type { TriggerEnvironment } from '../../src/contracts.js';
import { createNatsAdapters } from '../../src/triggers/nats/index.js';
import { NATS_SETTINGS, readNatsConfig } from '../../src/triggers/nats/nats-settings.js';
import { TriggerMetrics } from '../../src/triggers/trigger-metrics.js';

function adapters(argv: string[]) {
  const { values, sources } = parseSettings(NATS_SETTINGS, argv, {});
  const registry = new Registry();
  const noop = () => undefined;
  const log = { info: noop, warn: noop, error: noop, debug: noop, trace: noop, fatal: noop, child: () => log } as unknown as TriggerEnvironment['log'];
  const env: TriggerEnvironment = {
    invoker: { invoke: () => Promise.reject(new Error('not used')) },
    log,
    registry,
    metrics: new TriggerMetrics(registry),
    shutdownSignal: new AbortController().signal,
  };
  return createNatsAdapters(readNatsConfig(values, sources)!, env);
}

describe('createNatsAdapters', () => {
  it('one core adapter per subject, named after it; nothing connects before start()', () => {
    const list = adapters(['--nats', 'a.b', '--nats', 'c.*']);
    expect(list.map((a) => a.name)).toEqual(['nats:a.b', 'nats:c.*']);
    expect(list.every((a) => !a.isReady())).toBe(true);
  });

  it('JetStream: the durable as given for one subject, <durable>_<subject> for several', () => {
    expect(adapters(['--nats', 'orders.created', '--nats-stream', 'ORDERS', '--nats-durable', 'fn']).map((a) => a.name)).toEqual(['nats:ORDERS/fn']);
    expect(adapters(['--nats', 'orders.created', '--nats', 'orders.*.eu', '--nats', 'audit.>', '--nats-stream', 'ORDERS', '--nats-durable', 'fn']).map((a) => a.name)).toEqual([
      'nats:ORDERS/fn_orders_created',
      'nats:ORDERS/fn_orders_any_eu',
      'nats:ORDERS/fn_audit_all',
    ]);
  });
});
