import type { FnEvent, Logger, Outcome } from '@fnkit/sdk';
import { Registry } from 'prom-client';
import type { InvokeRequest, Invoker, TriggerEnvironment } from '../../src/contracts.js';
import { TriggerMetrics } from '../../src/triggers/trigger-metrics.js';

/** A logger that keeps its records, for assertions on what was logged. */
export function recordingLogger(records: { level: string; obj: unknown; msg?: string }[] = []): Logger & { records: typeof records } {
  const at = (level: string) => (obj: unknown, msg?: string) => void records.push({ level, obj, msg });
  const log = { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'), child: () => log, records };
  return log;
}

export function okOutcome(status = 200): Outcome {
  return { type: 'result', response: { kind: 'empty', status, headers: {}, body: null }, durationMs: 1 };
}

/** An invoker that records each event and answers when the test releases it (or at once with `auto`). */
export class FakeInvoker implements Invoker {
  readonly calls: { event: FnEvent; request?: InvokeRequest; release: (o?: Outcome) => void; settled: boolean }[] = [];
  constructor(private readonly auto?: () => Outcome) {}

  invoke(event: FnEvent, request?: InvokeRequest): Promise<Outcome> {
    return new Promise((resolve) => {
      const call = {
        event,
        request,
        settled: false,
        release: (o: Outcome = okOutcome()) => {
          call.settled = true;
          resolve(o);
        },
      };
      this.calls.push(call);
      if (this.auto) call.release(this.auto());
    });
  }
}

export function triggerEnv(invoker: Invoker, shutdown = new AbortController()) {
  const registry = new Registry();
  const log = recordingLogger();
  const env: TriggerEnvironment = { invoker, log, registry, metrics: new TriggerMetrics(registry), shutdownSignal: shutdown.signal };
  return { env, log, registry, shutdown };
}

/** The value of fnkit_trigger_messages_total{trigger, event}. */
export async function countOf(registry: Registry, trigger: string, event: string): Promise<number> {
  const m = await registry.getSingleMetric('fnkit_trigger_messages_total')!.get();
  return m.values.find((v) => v.labels.trigger === trigger && v.labels.event === event)?.value ?? 0;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
