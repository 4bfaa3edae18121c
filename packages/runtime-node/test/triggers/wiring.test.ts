import { describe, expect, it } from 'vitest';
import { readDispatchSettings } from '../../src/commands/trigger.js';
import { readServeConfig, serveUsage } from '../../src/config/serve-settings.js';
import { ConfigError } from '../../src/config/settings.js';
import type { TriggerAdapter } from '../../src/contracts.js';
import { Health } from '../../src/server/health.js';
import { TriggerStartError, createTriggerAdapters, hasTriggers, startTriggers } from '../../src/triggers/load-triggers.js';
import { FakeInvoker, triggerEnv } from './fakes.js';

const serve = (argv: string[], env: Record<string, string> = {}) => readServeConfig(['handler.mjs', ...argv], env, '/tmp');

describe('fn-run serve reads the trigger settings', () => {
  it('has no triggers without trigger flags', () => {
    const c = serve([]);
    expect(c.triggers).toEqual({});
    expect(hasTriggers(c.triggers)).toBe(false);
  });

  it('reads cron, NATS and Kafka flags together', () => {
    const c = serve(['--cron', '*/10 * * * * *', '--cron-policy', 'Forbid', '--nats', 'events.todo.newitem', '--kafka', 'orders']);
    expect(c.triggers.cron).toMatchObject({ schedules: [{ expression: '*/10 * * * * *' }], policy: 'Forbid' });
    expect(c.triggers.nats).toMatchObject({ subjects: ['events.todo.newitem'] });
    expect(c.triggers.kafka).toMatchObject({ topics: ['orders'] });
    expect(hasTriggers(c.triggers)).toBe(true);
  });

  it('reads FNKIT_CRON from the environment; a flag wins', () => {
    expect(serve([], { FNKIT_CRON: '@hourly\n0 3 * * *' }).triggers.cron?.schedules.map((s) => s.expression)).toEqual(['@hourly', '0 3 * * *']);
    expect(serve(['--cron', '@daily'], { FNKIT_CRON: '@hourly' }).triggers.cron?.schedules.map((s) => s.expression)).toEqual(['@daily']);
  });

  it('names a bad trigger setting', () => {
    expect(() => serve(['--cron-policy', 'Never', '--cron', '@daily'])).toThrow(/--cron-policy="Never"/);
    expect(() => serve(['--crn', '@daily'])).toThrow(/unknown option --crn \(did you mean --cron\?\)/);
  });

  it('lists the trigger flags in --help', () => {
    const help = serveUsage();
    for (const flag of ['--cron ', '--cron-tz', '--cron-data', '--cron-policy', '--nats ', '--kafka ', 'fn-run trigger']) expect(help).toContain(flag);
  });
});

describe('createTriggerAdapters / startTriggers', () => {
  it('creates one cron adapter per schedule and none for unconfigured kinds', async () => {
    const { env } = triggerEnv(new FakeInvoker());
    const adapters = await createTriggerAdapters(serve(['--cron', 'a=@hourly', '--cron', 'b=@daily']).triggers, env);
    expect(adapters.map((a) => a.name)).toEqual(['cron:a', 'cron:b']);
    await Promise.all(adapters.map((a) => a.stop()));
  });

  it('throws the ConfigError of a schedule croner cannot read', async () => {
    const { env } = triggerEnv(new FakeInvoker());
    await expect(createTriggerAdapters(serve(['--cron', '0 0 32 * *']).triggers, env)).rejects.toThrow(ConfigError);
  });

  it('when one adapter fails to start, stops the others and names it', async () => {
    const stopped: string[] = [];
    const adapter = (name: string, fail?: string): TriggerAdapter => ({
      name,
      start: () => (fail ? Promise.reject(new Error(fail)) : Promise.resolve()),
      stop: async () => void stopped.push(name),
      isReady: () => true,
    });
    const error = await startTriggers([adapter('cron:a'), adapter('nats:x', 'bad credentials'), adapter('kafka:t')]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TriggerStartError);
    expect((error as Error).message).toBe('the nats:x trigger could not start: bad credentials');
    expect(stopped.sort()).toEqual(['cron:a', 'kafka:t', 'nats:x']);
  });
});

describe('Health with trigger checks', () => {
  it('is ready only when started and every check is ready', () => {
    const h = new Health();
    let natsReady = false;
    h.checks = [{ name: 'nats:x', isReady: () => natsReady }, { name: 'cron:a', isReady: () => true }];
    expect(h.ready).toBe(false);
    expect(h.state).toBe('starting');
    h.state = 'ready';
    expect(h.ready).toBe(false);
    expect(h.state).toBe('waiting-for-triggers');
    expect(h.waitingFor).toEqual(['nats:x']);
    natsReady = true;
    expect(h.ready).toBe(true);
    expect(h.state).toBe('ready');
    h.state = 'draining';
    expect(h.ready).toBe(false);
    expect(h.state).toBe('draining');
  });
});

describe('fn-run trigger settings', () => {
  it('reads a dispatcher: target, port, the kind and its settings; the Kafka group defaults from the target', () => {
    const s = readDispatchSettings('kafka', ['--target', 'http://orders-fn.default.svc:8080', '--kafka', 'orders', '--port', '9090'], {});
    expect(s).toMatchObject({ kind: 'kafka', target: 'http://orders-fn.default.svc:8080/', port: 9090, once: false, timeoutMs: 180_000, functionName: 'orders-fn' });
    expect(s.triggers.kafka).toMatchObject({ topics: ['orders'], groupId: 'fnkit-orders-fn' });
    expect(s.triggers.nats).toBeUndefined();
  });

  it('--once needs no schedule and takes the data', () => {
    const s = readDispatchSettings('cron', ['--target', 'http://fn:8080', '--once', '--cron-data', '{"a":1}'], {});
    expect(s.once).toBe(true);
    expect(s.onceTick).toMatchObject({ name: 'once', data: { value: { a: 1 }, contentType: 'application/json' } });
  });

  it('names what is missing or wrong', () => {
    expect(() => readDispatchSettings('cron', ['--target', 'http://fn:8080'], {})).toThrow(/needs --cron '<expression>' \(or --once\)/);
    expect(() => readDispatchSettings('nats', ['--target', 'http://fn:8080', '--once'], {})).toThrow(/--once is for fn-run trigger cron only/);
    expect(() => readDispatchSettings('nats', ['--nats', 'a'], {})).toThrow(/needs --target/);
    expect(() => readDispatchSettings('nats', ['--target', 'ftp://fn', '--nats', 'a'], {})).toThrow(/only http:\/\/ and https:\/\//);
    expect(() => readDispatchSettings('cron', ['--target', 'http://fn:8080', '--kafka', 'x'], {})).toThrow(/unknown option --kafka/);
    expect(() => readDispatchSettings('cron', ['handler.ts', '--target', 'http://fn:8080', '--once'], {})).toThrow(/takes no function file/);
  });
});
