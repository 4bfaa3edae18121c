import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HANDLER, ManifestFixture } from './fixtures.js';

const fx = new ManifestFixture();
afterAll(() => fx.cleanup());
const dir = fx.dir({ 'handler.ts': HANDLER }, 'checkout');

describe('fn-run manifest: bad input is one line naming what was wrong, exit 2, nothing printed', () => {
  it.each([
    [['--memory', '12x'], /--memory="12x" is not valid: expected a memory quantity/],
    [['--cpu', 'lots'], /--cpu="lots" is not valid: expected a CPU quantity/],
    [['--memory', '128Mi', '--requests-memory', '256Mi'], /--requests-memory=256Mi is more than --memory=128Mi/],
    [['--cpu', '100m', '--requests-cpu', '200m'], /--requests-cpu=200m is more than --cpu=100m/],
    [['--name', 'Checkout_API'], /--name="Checkout_API" is not valid: lower-case letters/],
    [['--name', 'a'.repeat(41)], /at most 40 characters/],
    [['--namespace', 'Prod'], /--namespace="Prod" is not a valid namespace/],
    [['--timeout', 'soon'], /--timeout="soon" is not valid/],
    [['--env', 'NOEQUALS'], /--env "NOEQUALS" is not valid: expected NAME=value/],
    [['--env', 'FUNC_TIMEOUT=3'], /--env FUNC_TIMEOUT: the manifest sets FUNC_TIMEOUT itself; use --timeout/],
    [['--env', 'A=1', '--env', 'A=2'], /--env A is given twice/],
    [['--handler', 'missing.ts#fn'], /--handler: missing.ts is not in/],
    [['--handler', 'handler.ts#not-an-id'], /export "not-an-id" is not a JavaScript identifier/],
    [['--output', 'xml'], /--output="xml" is not valid: expected one of yaml, json/],
    [['--nats', 'a.b'], /--nats needs --nats-url/],
    [['--kafka', 'orders'], /--kafka needs --kafka-brokers/],
    [['--nats', 'a..b', '--nats-url', 'nats://n:4222'], /--nats="a..b" is not a valid NATS subject/],
    [['--nats-stream', 'S'], /--nats-stream needs a subject/],
    [['--cron-tz', 'Mars/Base'], /--cron-tz is given without a schedule/],
    [['--cron', '* * *'], /--cron "\* \* \*" is not a valid cron expression .*: expected 5 fields/],
    [['--cron', '61 * * * *'], /--cron "61 \* \* \* \*" is not a valid cron expression \(.*minute: 61\)/],
    [['--cron', '0 0 L * *'], /Kubernetes CronJobs have no L, W or #/],
    [['--cron', '@daily', '--cron-tz', 'Mars/Base'], /--cron-tz="Mars\/Base" is not a time zone/],
    [['--keda'], /--keda scales on Kafka consumer-group lag or JetStream pending messages/],
    [['--keda', '--nats', 'a', '--nats-url', 'nats://n:4222'], /--keda with --nats needs JetStream/],
    [['--keda-max-replicas', '3'], /--keda-max-replicas needs --keda/],
    [['--npmrc-secret', 'Bad Name'], /--npmrc-secret="Bad Name" is not a valid Secret name/],
    [['--nats-password', 'x'], /unknown option --nats-password/],
    [['--nats', 'a', '--nats-url', 'nats://n:4222', '--nats-token', 's3cret'], /--nats-token would write a credential into the manifest: .*--trigger-secret/],
    [['--env-secret', 'Not_A_Name'], /--env-secret="Not_A_Name" is not a valid Secret name/],
    [['--memroy', '1Gi'], /unknown option --memroy \(did you mean --memory\?\)/],
  ])('%j', (args, message) => {
    const err = fx.error([dir, ...args]);
    expect(err).toMatch(/^fn-run manifest: /);
    expect(err).toMatch(message);
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  it('needs exactly one function', () => {
    expect(fx.error([])).toMatch(/no function given: fn-run manifest <dir>/);
    expect(fx.error([dir, dir])).toMatch(/one function expected, got 2/);
    expect(fx.error(['nowhere'])).toMatch(/nowhere: no such file or directory/);
  });

  it('asks which module is the handler when it cannot tell', () => {
    const two = fx.dir({ 'a.ts': HANDLER, 'b.ts': HANDLER });
    expect(fx.error([two])).toMatch(/which module is the handler in .*\? found a.ts, b.ts; name it with --handler file#export/);
    expect(fx.error([fx.dir({ 'README.md': 'hi' })])).toMatch(/no .ts or .js file at its top/);
  });

  it('refuses source over the 1 MiB a ConfigMap holds, naming the largest files and what to do', () => {
    const big = fx.dir({ 'handler.ts': HANDLER, 'data.json': JSON.stringify({ blob: 'x'.repeat(1_100_000) }) });
    const err = fx.error([big]);
    expect(err).toMatch(/over the 1 MiB a ConfigMap can hold \(largest: data\.json 1\.05 MiB/);
    expect(err).toMatch(/npm pack/);
  });

  it('refuses a directory link loop', () => {
    const d = fx.dir({ 'handler.ts': HANDLER, 'sub/x.ts': 'export {};' });
    symlinkSync('..', join(d, 'sub', 'up'));
    expect(fx.error([d])).toMatch(/links back to .* \(a loop\): remove the link/);
  });

  it('refuses a file whose name cannot be a ConfigMap key', () => {
    const d = fx.dir({ 'handler.ts': HANDLER });
    writeFileSync(join(d, 'my notes.txt'), 'x');
    expect(fx.error([d])).toMatch(/my notes\.txt: a ConfigMap key may hold only letters/);
  });

  it('prints its help with the trigger flags and exits 0', () => {
    const r = fx.run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/usage: fn-run manifest/);
    for (const flag of ['--runtime-image', '--builder-image', '--memory', '--keda', '--knative', '--cron-policy', '--nats-url', '--kafka-brokers']) expect(r.out).toContain(flag);
  });
});
