import { ConfigError, parseDuration, type SettingSpec } from '../../config/settings.js';

/**
 * The Kafka trigger's settings (`--kafka*` flags, `FNKIT_KAFKA_*` and Kubeless-era `KAFKA_*`
 * environment) and their validation. Must not import the Kafka client: this file is read on every
 * start, Kafka or not.
 */

export const KAFKA_DEFAULT_BROKERS = '127.0.0.1:9092';
/** The dead-letter topic of `<topic>` unless --kafka-dead-letter names one. */
export const KAFKA_DEAD_LETTER_SUFFIX = '.dlq';

export const KAFKA_SETTINGS: readonly SettingSpec[] = [
  { key: 'kafkaTopics', flag: 'kafka', env: ['FNKIT_KAFKA_TOPICS', 'FNKIT_KAFKA_TOPIC'], type: 'list', description: 'Kafka topic to consume (repeatable, or comma-separated)' },
  { key: 'kafkaBrokers', flag: 'kafka-brokers', env: ['FNKIT_KAFKA_BROKERS', 'KAFKA_BROKERS'], type: 'list', default: [KAFKA_DEFAULT_BROKERS], description: 'Kafka bootstrap brokers, host:port, comma-separated' },
  { key: 'kafkaGroup', flag: 'kafka-group', env: ['FNKIT_KAFKA_GROUP'], type: 'string', description: 'consumer group (default: fnkit-<function name>); replicas in one group share the partitions' },
  { key: 'kafkaDeadLetter', flag: 'kafka-dead-letter', env: ['FNKIT_KAFKA_DEAD_LETTER'], type: 'string', description: `topic receiving records that failed for good, with the reason in headers (default: <topic>${KAFKA_DEAD_LETTER_SUFFIX})` },
  { key: 'kafkaRetries', flag: 'kafka-retries', env: ['FNKIT_KAFKA_RETRIES'], type: 'int', min: 0, max: 1000, default: 3, description: 'retries of a retryable failure before the record is dead-lettered' },
  { key: 'kafkaRetryBackoff', flag: 'kafka-retry-backoff', env: ['FNKIT_KAFKA_RETRY_BACKOFF'], type: 'duration', bareUnit: 'ms', min: 0, default: 500, description: 'delay before the first retry, e.g. 500ms or 2s (bare numbers: ms); doubles each retry, with jitter' },
  { key: 'kafkaRetryMaxBackoff', flag: 'kafka-retry-max-backoff', env: ['FNKIT_KAFKA_RETRY_MAX_BACKOFF'], type: 'duration', bareUnit: 'ms', min: 0, default: 30_000, description: 'longest delay between retries (bare numbers: ms)' },
  // Kubeless' kafka-trigger: BACKOFF_INTERVAL was the longest backoff, as a Go duration (e.g. 5s).
  { key: 'kafkaBackoffInterval', env: ['BACKOFF_INTERVAL'], type: 'string', description: 'Kubeless: longest retry backoff (Go duration)', hidden: true },
  { key: 'kafkaPartitionConcurrency', flag: 'kafka-partition-concurrency', env: ['FNKIT_KAFKA_PARTITION_CONCURRENCY'], type: 'int', min: 1, max: 1000, default: 8, description: 'partitions processed at once (records of one partition are always handled in order)' },
  { key: 'kafkaMaxRecordSize', flag: 'kafka-max-record-size', env: ['FNKIT_KAFKA_MAX_RECORD_SIZE'], type: 'size', min: 1, default: 1_048_576, description: 'largest record value handled, e.g. 1mb (bare numbers: bytes); larger records are dead-lettered' },
  { key: 'kafkaFromBeginning', flag: 'kafka-from-beginning', env: ['FNKIT_KAFKA_FROM_BEGINNING'], type: 'boolean', default: false, description: 'a new consumer group starts at the oldest record instead of the newest' },
  { key: 'kafkaSessionTimeout', flag: 'kafka-session-timeout', env: ['FNKIT_KAFKA_SESSION_TIMEOUT'], type: 'duration', bareUnit: 'ms', min: 6000, max: 300_000, default: 10_000, description: 'time without heartbeats after which the group hands a dead member\'s partitions to the others (bare numbers: ms)' },
  { key: 'kafkaClientId', flag: 'kafka-client-id', env: ['FNKIT_KAFKA_CLIENT_ID'], type: 'string', default: 'fnkit', description: 'Kafka client id' },
  { key: 'kafkaTls', flag: 'kafka-tls', env: ['FNKIT_KAFKA_TLS', 'KAFKA_ENABLE_TLS'], type: 'boolean', default: false, description: 'connect with TLS' },
  { key: 'kafkaCaCerts', env: ['FNKIT_KAFKA_CA_FILE', 'KAFKA_CACERTS'], type: 'string', description: 'TLS: CA certificate file (PEM)', hidden: true },
  { key: 'kafkaCert', env: ['FNKIT_KAFKA_CERT_FILE', 'KAFKA_CERT'], type: 'string', description: 'TLS: client certificate file (PEM)', hidden: true },
  { key: 'kafkaKey', env: ['FNKIT_KAFKA_KEY_FILE', 'KAFKA_KEY'], type: 'string', description: 'TLS: client key file (PEM)', hidden: true },
  { key: 'kafkaInsecure', env: ['FNKIT_KAFKA_TLS_INSECURE', 'KAFKA_INSECURE'], type: 'boolean', default: false, description: 'TLS: skip certificate verification', hidden: true },
  { key: 'kafkaSasl', flag: 'kafka-sasl', env: ['FNKIT_KAFKA_SASL', 'KAFKA_ENABLE_SASL'], type: 'string', default: 'none', description: 'SASL mechanism: none, plain, scram-sha-256 or scram-sha-512 (credentials from FNKIT_KAFKA_USERNAME / FNKIT_KAFKA_PASSWORD)' },
  { key: 'kafkaUsername', env: ['FNKIT_KAFKA_USERNAME', 'KAFKA_USERNAME'], type: 'string', description: 'SASL user name', hidden: true },
  { key: 'kafkaPassword', env: ['FNKIT_KAFKA_PASSWORD', 'KAFKA_PASSWORD'], type: 'string', description: 'SASL password', hidden: true },
];

export interface KafkaTlsConfig {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  rejectUnauthorized: boolean;
}

export interface KafkaSaslConfig {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

export interface KafkaConfig {
  topics: string[];
  brokers: string[];
  groupId: string;
  clientId: string;
  /** Dead-letter topic per consumed topic. */
  deadLetter: Record<string, string>;
  retries: number;
  retryBackoffMs: number;
  retryMaxBackoffMs: number;
  partitionConcurrency: number;
  maxRecordBytes: number;
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  tls?: KafkaTlsConfig;
  sasl?: KafkaSaslConfig;
}

const TOPIC_RE = /^[a-zA-Z0-9._-]{1,249}$/;

function origin(sources: Record<string, string>, key: string): string {
  const s = sources[key];
  if (s !== undefined && s !== 'default') return s;
  const flag = KAFKA_SETTINGS.find((x) => x.key === key)?.flag;
  return flag ? `--${flag}` : (KAFKA_SETTINGS.find((x) => x.key === key)?.env?.[0] ?? key);
}

function given(sources: Record<string, string>, key: string): boolean {
  const s = sources[key];
  return s !== undefined && s !== 'default';
}

function checkTopic(topic: string, where: string): void {
  if (!TOPIC_RE.test(topic) || topic === '.' || topic === '..') {
    throw new ConfigError(`${where}=${JSON.stringify(topic)} is not a valid Kafka topic name: use 1-249 letters, digits, '.', '_' or '-'`);
  }
}

function checkBroker(broker: string, where: string): void {
  const m = /^(\[[0-9a-fA-F:]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(broker);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new ConfigError(`${where}=${JSON.stringify(broker)} is not a valid Kafka broker address: expected host:port, e.g. ${KAFKA_DEFAULT_BROKERS}`);
  }
}

/** `fnkit-<name>` with characters Kafka tooling dislikes replaced. */
export function defaultKafkaGroup(functionName: string | undefined): string {
  const name = (functionName ?? '').replace(/[^a-zA-Z0-9._-]/g, '-').replace(/^-+|-+$/g, '');
  return `fnkit-${name || 'function'}`;
}

/**
 * Reads the Kafka trigger's settings; undefined when no `--kafka` topic is given. Throws ConfigError
 * naming the flag or variable. The default group is `fnkit-<function name>`: the name comes from
 * `functionName` when the caller knows it, else from the `name` setting (--name, FNKIT_FUNCTION_NAME).
 */
export function readKafkaConfig(values: Record<string, unknown>, sources: Record<string, string>, functionName?: string): KafkaConfig | undefined {
  const topics = (values.kafkaTopics as string[] | undefined) ?? [];
  if (topics.length === 0) {
    const stray = KAFKA_SETTINGS.map((s) => s.key).find((k) => k !== 'kafkaTopics' && given(sources, k) && !/^kafka(Brokers|Tls|CaCerts|Cert|Key|Insecure|Sasl|Username|Password|BackoffInterval|ClientId)$/.test(k));
    if (stray !== undefined) {
      throw new ConfigError(`${origin(sources, stray)} needs a topic to consume: add --kafka <topic> (or FNKIT_KAFKA_TOPICS)`);
    }
    return undefined;
  }
  const topicsFrom = origin(sources, 'kafkaTopics');
  for (const t of topics) checkTopic(t, topicsFrom);
  const unique = [...new Set(topics)];

  const brokers = (values.kafkaBrokers as string[] | undefined) ?? [KAFKA_DEFAULT_BROKERS];
  if (brokers.length === 0) throw new ConfigError(`${origin(sources, 'kafkaBrokers')} is empty: give at least one broker such as ${KAFKA_DEFAULT_BROKERS}`);
  for (const b of brokers) checkBroker(b, origin(sources, 'kafkaBrokers'));

  const group = values.kafkaGroup as string | undefined;
  if (group !== undefined && (group.trim() === '' || /[\s\x00-\x1f]/.test(group))) {
    throw new ConfigError(`${origin(sources, 'kafkaGroup')}=${JSON.stringify(group)} is not a valid consumer group: it must be non-empty without whitespace`);
  }
  const name = functionName ?? (values.name as string | undefined);

  const deadLetter: Record<string, string> = {};
  const dl = values.kafkaDeadLetter as string | undefined;
  if (dl !== undefined) {
    checkTopic(dl, origin(sources, 'kafkaDeadLetter'));
    if (unique.includes(dl)) {
      throw new ConfigError(`${origin(sources, 'kafkaDeadLetter')}=${JSON.stringify(dl)} is consumed by this trigger (--kafka ${dl}): dead letters would come straight back; pick another topic`);
    }
  }
  for (const t of unique) {
    const target = dl ?? `${t}${KAFKA_DEAD_LETTER_SUFFIX}`;
    if (dl === undefined && target.length > 249) throw new ConfigError(`${topicsFrom}=${JSON.stringify(t)} is too long for a dead-letter topic ${target}: set --kafka-dead-letter`);
    if (unique.includes(target)) {
      throw new ConfigError(`${topicsFrom} consumes ${target}, which is the dead-letter topic of ${t}: set --kafka-dead-letter to a topic this trigger does not consume`);
    }
    deadLetter[t] = target;
  }

  const retryBackoffMs = values.kafkaRetryBackoff as number;
  let retryMaxBackoffMs = values.kafkaRetryMaxBackoff as number;
  const kubelessBackoff = values.kafkaBackoffInterval as string | undefined;
  if (kubelessBackoff !== undefined && !given(sources, 'kafkaRetryMaxBackoff')) {
    retryMaxBackoffMs = parseDuration(kubelessBackoff, 's', (w) => new ConfigError(`BACKOFF_INTERVAL=${JSON.stringify(kubelessBackoff)} is not valid: expected ${w}`));
  }
  if (retryMaxBackoffMs < retryBackoffMs) {
    throw new ConfigError(`${given(sources, 'kafkaRetryMaxBackoff') || kubelessBackoff === undefined ? origin(sources, 'kafkaRetryMaxBackoff') : 'BACKOFF_INTERVAL'}=${retryMaxBackoffMs}ms is shorter than ${origin(sources, 'kafkaRetryBackoff')}=${retryBackoffMs}ms`);
  }

  const config: KafkaConfig = {
    topics: unique,
    brokers,
    groupId: group ?? defaultKafkaGroup(name),
    clientId: (values.kafkaClientId as string | undefined) ?? 'fnkit',
    deadLetter,
    retries: values.kafkaRetries as number,
    retryBackoffMs,
    retryMaxBackoffMs,
    partitionConcurrency: values.kafkaPartitionConcurrency as number,
    maxRecordBytes: values.kafkaMaxRecordSize as number,
    fromBeginning: values.kafkaFromBeginning === true,
    sessionTimeoutMs: (values.kafkaSessionTimeout as number | undefined) ?? 10_000,
  };

  const tlsFiles = { caFile: values.kafkaCaCerts, certFile: values.kafkaCert, keyFile: values.kafkaKey } as Record<string, string | undefined>;
  const anyTlsFile = Object.values(tlsFiles).some((v) => v !== undefined && v !== '');
  if (values.kafkaTls === true || anyTlsFile) {
    const tls: KafkaTlsConfig = { rejectUnauthorized: values.kafkaInsecure !== true };
    for (const [k, v] of Object.entries(tlsFiles)) if (v !== undefined && v !== '') (tls as unknown as Record<string, string>)[k] = v;
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      throw new ConfigError(`${tls.certFile === undefined ? origin(sources, 'kafkaKey') : origin(sources, 'kafkaCert')} is set without its pair: a TLS client certificate needs both the certificate and the key file`);
    }
    config.tls = tls;
  }

  let mechanism = ((values.kafkaSasl as string | undefined) ?? 'none').trim().toLowerCase();
  if (mechanism === 'true') mechanism = 'plain'; // KAFKA_ENABLE_SASL=true (Kubeless): PLAIN
  if (mechanism === 'false' || mechanism === '') mechanism = 'none';
  if (!['none', 'plain', 'scram-sha-256', 'scram-sha-512'].includes(mechanism)) {
    throw new ConfigError(`${origin(sources, 'kafkaSasl')}=${JSON.stringify(values.kafkaSasl)} is not valid: expected none, plain, scram-sha-256 or scram-sha-512`);
  }
  if (mechanism !== 'none') {
    const username = values.kafkaUsername as string | undefined;
    const password = values.kafkaPassword as string | undefined;
    if (!username || password === undefined) {
      throw new ConfigError(`${origin(sources, 'kafkaSasl')}=${mechanism} needs FNKIT_KAFKA_USERNAME and FNKIT_KAFKA_PASSWORD (or KAFKA_USERNAME / KAFKA_PASSWORD)`);
    }
    config.sasl = { mechanism: mechanism as KafkaSaslConfig['mechanism'], username, password };
  }
  return config;
}
