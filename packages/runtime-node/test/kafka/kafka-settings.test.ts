import { describe, expect, it } from 'vitest';
import { ConfigError, parseSettings } from '../../src/config/settings.js';
import { KAFKA_SETTINGS, readKafkaConfig } from '../../src/triggers/kafka/kafka-settings.js';
import { retryDelayMs } from '../../src/triggers/kafka/backoff.js';

function read(argv: string[], env: NodeJS.ProcessEnv = {}, name?: string) {
  const { values, sources } = parseSettings(KAFKA_SETTINGS, argv, env);
  return readKafkaConfig(values, sources, name);
}

describe('Kafka trigger settings', () => {
  it('is off without --kafka', () => {
    expect(read([])).toBeUndefined();
    expect(read([], { KAFKA_BROKERS: 'k:9092' })).toBeUndefined();
  });

  it('has defaults: local broker, group per function, <topic>.dlq', () => {
    const c = read(['--kafka', 'orders', '--kafka', 'payments'], {}, 'billing')!;
    expect(c.topics).toEqual(['orders', 'payments']);
    expect(c.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.groupId).toBe('fnkit-billing');
    expect(c.deadLetter).toEqual({ orders: 'orders.dlq', payments: 'payments.dlq' });
    expect(c).toMatchObject({ retries: 3, retryBackoffMs: 500, retryMaxBackoffMs: 30_000, partitionConcurrency: 8, maxRecordBytes: 1_048_576, fromBeginning: false });
  });

  it('reads flags and environment (Kubeless names too)', () => {
    const c = read(['--kafka-group', 'g1', '--kafka-dead-letter', 'dead', '--kafka-retries', '5', '--kafka-retry-backoff', '2s', '--kafka-partition-concurrency', '2', '--kafka-max-record-size', '64kb', '--kafka-from-beginning'], {
      FNKIT_KAFKA_TOPICS: 'a,b',
      KAFKA_BROKERS: 'k1:9092,k2:9093',
      BACKOFF_INTERVAL: '1m',
    })!;
    expect(c).toMatchObject({ topics: ['a', 'b'], brokers: ['k1:9092', 'k2:9093'], groupId: 'g1', deadLetter: { a: 'dead', b: 'dead' }, retries: 5, retryBackoffMs: 2000, retryMaxBackoffMs: 60_000, partitionConcurrency: 2, maxRecordBytes: 65_536, fromBeginning: true });
  });

  it('reads SASL and TLS from the environment', () => {
    const c = read(['--kafka', 't'], { KAFKA_ENABLE_SASL: 'true', KAFKA_USERNAME: 'u', KAFKA_PASSWORD: 'p', KAFKA_ENABLE_TLS: 'true', KAFKA_INSECURE: 'true' })!;
    expect(c.sasl).toEqual({ mechanism: 'plain', username: 'u', password: 'p' });
    expect(c.tls).toEqual({ rejectUnauthorized: false });
    expect(read(['--kafka', 't', '--kafka-sasl', 'SCRAM-SHA-512'], { FNKIT_KAFKA_USERNAME: 'u', FNKIT_KAFKA_PASSWORD: 'p' })!.sasl?.mechanism).toBe('scram-sha-512');
    expect(read(['--kafka', 't'], { KAFKA_ENABLE_SASL: 'false' })!.sasl).toBeUndefined();
  });

  it('names the bad setting', () => {
    expect(() => read(['--kafka', 'bad topic'])).toThrow(/--kafka="bad topic" is not a valid Kafka topic name/);
    expect(() => read(['--kafka', 't', '--kafka-brokers', 'nohost'])).toThrow(/--kafka-brokers="nohost" is not a valid Kafka broker address/);
    expect(() => read(['--kafka', 't', '--kafka-dead-letter', 't'])).toThrow(/--kafka-dead-letter="t" is consumed by this trigger/);
    expect(() => read(['--kafka', 't', '--kafka', 't.dlq'])).toThrow(/dead-letter topic of t/);
    expect(() => read(['--kafka-group', 'g'])).toThrow(/--kafka-group needs a topic to consume/);
    expect(() => read(['--kafka', 't', '--kafka-retries', '-1'])).toThrow(ConfigError);
    expect(() => read(['--kafka', 't', '--kafka-retry-backoff', '10s', '--kafka-retry-max-backoff', '1s'])).toThrow(/--kafka-retry-max-backoff=1000ms is shorter than --kafka-retry-backoff=10000ms/);
    expect(() => read(['--kafka', 't'], { KAFKA_ENABLE_SASL: 'true' })).toThrow(/KAFKA_ENABLE_SASL=plain needs FNKIT_KAFKA_USERNAME/);
    expect(() => read(['--kafka', 't', '--kafka-sasl', 'gssapi'])).toThrow(/--kafka-sasl="gssapi" is not valid: expected none, plain, scram-sha-256 or scram-sha-512/);
  });
});

describe('retry backoff', () => {
  it('doubles from the base, is capped, and jitters within the upper half', () => {
    expect(retryDelayMs(1, 100, 10_000, () => 0)).toBe(50);
    expect(retryDelayMs(1, 100, 10_000, () => 1)).toBe(100);
    expect(retryDelayMs(3, 100, 10_000, () => 1)).toBe(400);
    expect(retryDelayMs(30, 100, 10_000, () => 1)).toBe(10_000);
    expect(retryDelayMs(30, 100, 10_000, () => 0)).toBe(5000);
  });
});
