import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, freePort, root, sleep, startFnRun, writeFunctions, type FnRun } from '../helpers.js';
import { RECORDING_HANDLER, readLines, unique, waitFor } from './kafka-helpers.js';
import { createOwnBroker, type OwnBroker } from './own-broker.js';

/**
 * SASL (PLAIN) from the Kubeless-era environment variables, against a broker of the test's own with a
 * SASL_PLAINTEXT listener: the right password consumes; with a wrong one fn-run is not ready and says why.
 */

type Seen = { data: { rid: number } };

describe('fn-run --kafka: SASL', () => {
  const fns = writeFunctions({ 'handler.mjs': RECORDING_HANDLER });
  const topic = unique('ka');
  let broker: OwnBroker;
  const runs: FnRun[] = [];

  beforeAll(async () => {
    broker = await createOwnBroker({ sasl: { alice: 'alice-secret' } });
    await broker.start();
  });

  afterAll(async () => {
    for (const r of runs) await r.stop('SIGKILL');
    await broker?.destroy();
    fns.remove();
  });

  it('KAFKA_ENABLE_SASL with KAFKA_USERNAME / KAFKA_PASSWORD consumes through the SASL listener', async () => {
    const kafka = new Kafka({ brokers: [broker.saslBrokers!], sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' }, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const out = join(fns.dir, 'sasl.jsonl');
    const fn = await startFnRun(fns.path('handler.mjs'), ['--kafka', topic, '--kafka-from-beginning', '--kafka-group', unique('g')], {
      KT_OUT: out,
      KAFKA_BROKERS: broker.saslBrokers!,
      KAFKA_ENABLE_SASL: 'true',
      KAFKA_USERNAME: 'alice',
      KAFKA_PASSWORD: 'alice-secret',
    });
    runs.push(fn);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [1, 2, 3].map((rid) => ({ value: JSON.stringify({ rid }) })) });
    await producer.disconnect();
    await waitFor(() => readLines(out).length === 3, () => `${readLines(out).length} of 3 records`);
    expect(readLines<Seen>(out).map((s) => s.data.rid)).toEqual([1, 2, 3]);
  });

  it('a wrong password: fn-run serves but is not ready, and logs why', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [cli, fns.path('handler.mjs'), '--port', String(port), '--host', '127.0.0.1', '--kafka', topic, '--kafka-group', unique('g')], {
      cwd: root,
      env: { ...process.env, FNKIT_LOG_FORMAT: 'json', KT_OUT: join(fns.dir, 'sasl-wrong.jsonl'), KAFKA_BROKERS: broker.saslBrokers!, KAFKA_ENABLE_SASL: 'true', KAFKA_USERNAME: 'alice', KAFKA_PASSWORD: 'wrong' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    try {
      await waitFor(() => /kafka trigger cannot connect to 127\.0\.0\.1:\d+ \(--kafka-brokers\)/.test(log), () => `no connection error logged:\n${log}`, 90_000);
      expect(log).toMatch(/SASL PLAIN authentication failed/);
      const status = await waitForStatus(`http://127.0.0.1:${port}/readyz`);
      expect(status).toBe(503);
      expect(child.exitCode).toBeNull(); // still running: it keeps trying
    } finally {
      child.kill('SIGKILL');
    }
  });
});

/** The status of the first answer (the server may still be starting). */
async function waitForStatus(url: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const res = await fetch(url).catch(() => undefined);
    if (res) return res.status;
    await sleep(100);
  }
  throw new Error(`${url} never answered`);
}
