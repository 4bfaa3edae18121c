import { ConfigError, type SettingSpec } from '../../config/settings.js';

/**
 * The NATS trigger's settings (`--nats*` flags, `NATS_*` / `FNKIT_NATS_*` environment) and their
 * validation. Must not import the NATS client: this file is read on every start, NATS or not.
 */

export const NATS_DEFAULT_URL = 'nats://127.0.0.1:4222';

export const NATS_SETTINGS: readonly SettingSpec[] = [
  { key: 'natsSubjects', flag: 'nats', env: ['FNKIT_NATS_SUBJECTS', 'FNKIT_NATS_SUBJECT'], type: 'list', description: 'NATS subject to consume (repeatable, or comma-separated); wildcards * and > allowed' },
  { key: 'natsUrl', flag: 'nats-url', env: ['FNKIT_NATS_URL', 'NATS_URL'], type: 'list', default: [NATS_DEFAULT_URL], description: 'NATS server URL(s), comma-separated' },
  { key: 'natsQueue', flag: 'nats-queue', env: ['FNKIT_NATS_QUEUE'], type: 'string', description: 'core NATS queue group: replicas in the same group share the messages' },
  { key: 'natsStream', flag: 'nats-stream', env: ['FNKIT_NATS_STREAM'], type: 'string', description: 'JetStream stream to consume from through a durable pull consumer (at-least-once)' },
  { key: 'natsDurable', flag: 'nats-durable', env: ['FNKIT_NATS_DURABLE'], type: 'string', description: 'JetStream durable consumer name (created when missing; required with --nats-stream)' },
  { key: 'natsCreateStream', flag: 'nats-create-stream', env: ['FNKIT_NATS_CREATE_STREAM'], type: 'boolean', default: false, description: 'create the JetStream stream (file storage, the --nats subjects) when it does not exist' },
  { key: 'natsMaxDeliver', flag: 'nats-max-deliver', env: ['FNKIT_NATS_MAX_DELIVER'], type: 'int', min: 1, max: 1000, default: 5, description: 'JetStream: deliveries of a message before it is dead-lettered' },
  { key: 'natsDeadLetter', flag: 'nats-dead-letter', env: ['FNKIT_NATS_DEAD_LETTER'], type: 'string', description: 'subject that receives messages that failed for good (with the reason in headers)' },
  { key: 'natsAckWait', flag: 'nats-ack-wait', env: ['FNKIT_NATS_ACK_WAIT'], type: 'duration', bareUnit: 's', min: 1000, default: 30_000, description: 'JetStream: time the server waits for an ack before redelivering; fn-run sends in-progress acks for longer handlers' },
  { key: 'natsMaxInFlight', flag: 'nats-max-in-flight', env: ['FNKIT_NATS_MAX_IN_FLIGHT'], type: 'int', min: 1, max: 10_000, default: 64, description: 'messages handled at once per subscription (back-pressure)' },
  { key: 'natsRetryDelay', flag: 'nats-retry-delay', env: ['FNKIT_NATS_RETRY_DELAY'], type: 'duration', bareUnit: 'ms', min: 0, default: 1000, description: 'JetStream: redelivery delay after the first retryable failure; doubles each delivery' },
  { key: 'natsRetryMaxDelay', flag: 'nats-retry-max-delay', env: ['FNKIT_NATS_RETRY_MAX_DELAY'], type: 'duration', bareUnit: 'ms', min: 0, default: 60_000, description: 'JetStream: longest redelivery delay' },
  { key: 'natsMaxMessageSize', flag: 'nats-max-message-size', env: ['FNKIT_NATS_MAX_MESSAGE_SIZE'], type: 'size', min: 1, default: 1_048_576, description: 'larger message payloads are dead-lettered (or answered with 413) without invoking' },
  { key: 'natsDeliverPolicy', flag: 'nats-deliver-policy', env: ['FNKIT_NATS_DELIVER_POLICY'], type: 'enum', values: ['all', 'new', 'last'], default: 'all', description: 'JetStream: where a newly created durable consumer starts' },
  { key: 'natsToken', flag: 'nats-token', env: ['FNKIT_NATS_TOKEN', 'NATS_TOKEN'], type: 'string', description: 'NATS auth token' },
  { key: 'natsUser', flag: 'nats-user', env: ['FNKIT_NATS_USER', 'NATS_USER'], type: 'string', description: 'NATS user name (with NATS_PASSWORD)' },
  { key: 'natsPassword', env: ['FNKIT_NATS_PASSWORD', 'NATS_PASSWORD'], type: 'string', description: 'NATS password (environment only)', hidden: true },
  { key: 'natsCreds', flag: 'nats-creds', env: ['FNKIT_NATS_CREDS', 'NATS_CREDS'], type: 'string', description: 'NATS credentials file (JWT + NKey seed)' },
];

export interface NatsJetStreamConfig {
  stream: string;
  durable: string;
  createStream: boolean;
  maxDeliver: number;
  ackWaitMs: number;
  retryDelayMs: number;
  retryMaxDelayMs: number;
  deliverPolicy: 'all' | 'new' | 'last';
}

export interface NatsConfig {
  subjects: string[];
  servers: string[];
  queue?: string;
  /** Set for JetStream; core NATS otherwise. */
  jetstream?: NatsJetStreamConfig;
  deadLetter?: string;
  maxInFlight: number;
  /** Larger payloads are not handed to the function. */
  maxMessageBytes: number;
  token?: string;
  user?: string;
  password?: string;
  credsFile?: string;
}

/** Keys that only make sense with JetStream (an error names them when given without --nats-stream). */
const JETSTREAM_ONLY = ['natsDurable', 'natsCreateStream', 'natsMaxDeliver', 'natsAckWait', 'natsRetryDelay', 'natsRetryMaxDelay', 'natsDeliverPolicy'] as const;

function origin(sources: Record<string, string>, key: string, flag: string): string {
  const s = sources[key];
  return s === undefined || s === 'default' ? `--${flag}` : s;
}

function given(sources: Record<string, string>, key: string): boolean {
  const s = sources[key];
  return s !== undefined && s !== 'default';
}

function flagOf(key: string): string {
  return NATS_SETTINGS.find((s) => s.key === key)?.flag ?? key;
}

/** A subject: dot-separated non-empty tokens, no whitespace; `*` is a whole token, `>` only the last token. */
export function checkSubject(subject: string, where: string, wildcards: boolean): void {
  const bad = (why: string) => new ConfigError(`${where}=${JSON.stringify(subject)} is not a valid NATS subject: ${why}`);
  if (subject === '') throw bad('it is empty');
  if (/\s/.test(subject)) throw bad('it contains whitespace');
  const tokens = subject.split('.');
  tokens.forEach((t, i) => {
    if (t === '') throw bad('it has an empty token (two dots, or a dot at an end)');
    if (t === '*' || t === '>') {
      if (!wildcards) throw bad(`wildcards are not allowed here`);
      if (t === '>' && i !== tokens.length - 1) throw bad("'>' may only be the last token");
    } else if (t.includes('*') || t.includes('>')) {
      throw bad("'*' and '>' must be whole tokens");
    }
  });
}

/** Stream and consumer names: no whitespace, '.', '*', '>', path separators or control characters. */
function checkName(name: string, where: string, what: string): void {
  if (name === '' || /[\s.*>/\\\x00-\x1f\x7f]/.test(name)) {
    throw new ConfigError(`${where}=${JSON.stringify(name)} is not a valid JetStream ${what} name: use letters, digits, '-' and '_' (no '.', '*', '>', spaces or slashes)`);
  }
}

function checkServer(url: string, where: string): void {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `nats://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new ConfigError(`${where}=${JSON.stringify(url)} is not a valid NATS server URL: expected e.g. nats://host:4222`);
  }
  if (!['nats:', 'tls:', 'ws:', 'wss:'].includes(parsed.protocol) || parsed.hostname === '') {
    throw new ConfigError(`${where}=${JSON.stringify(url)} is not a valid NATS server URL: expected nats://host:port or tls://host:port`);
  }
}

/** True when the concrete subject `subject` would be delivered to a subscription on `pattern`. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

/** Reads the NATS trigger's settings; undefined when no `--nats` subject is given. Throws ConfigError naming the flag or variable. */
export function readNatsConfig(values: Record<string, unknown>, sources: Record<string, string>): NatsConfig | undefined {
  const subjects = (values.natsSubjects as string[] | undefined) ?? [];
  if (subjects.length === 0) {
    const stray = NATS_SETTINGS.map((s) => s.key).filter((k) => k !== 'natsSubjects' && k !== 'natsUrl' && given(sources, k));
    if (stray.length > 0) {
      const k = stray[0]!;
      throw new ConfigError(`${origin(sources, k, flagOf(k))} needs a subject to consume: add --nats <subject> (or FNKIT_NATS_SUBJECTS)`);
    }
    return undefined;
  }
  const subjectsFrom = origin(sources, 'natsSubjects', 'nats');
  for (const s of subjects) checkSubject(s, subjectsFrom, true);
  const unique = [...new Set(subjects)];

  const servers = (values.natsUrl as string[] | undefined) ?? [NATS_DEFAULT_URL];
  if (servers.length === 0) throw new ConfigError(`${origin(sources, 'natsUrl', 'nats-url')} is empty: give a NATS server URL such as ${NATS_DEFAULT_URL}`);
  for (const u of servers) checkServer(u, origin(sources, 'natsUrl', 'nats-url'));

  const config: NatsConfig = { subjects: unique, servers, maxInFlight: values.natsMaxInFlight as number, maxMessageBytes: values.natsMaxMessageSize as number };

  const queue = values.natsQueue as string | undefined;
  if (queue !== undefined) {
    if (queue === '' || /\s/.test(queue)) throw new ConfigError(`${origin(sources, 'natsQueue', 'nats-queue')}=${JSON.stringify(queue)} is not a valid queue group name: it must be non-empty without whitespace`);
    config.queue = queue;
  }

  const deadLetter = values.natsDeadLetter as string | undefined;
  if (deadLetter !== undefined) {
    const where = origin(sources, 'natsDeadLetter', 'nats-dead-letter');
    checkSubject(deadLetter, where, false);
    const loop = unique.find((p) => subjectMatches(p, deadLetter));
    if (loop !== undefined) {
      throw new ConfigError(`${where}=${JSON.stringify(deadLetter)} is consumed by this trigger (--nats ${loop}): dead letters would come straight back; pick a subject outside it`);
    }
    config.deadLetter = deadLetter;
  }

  const stream = values.natsStream as string | undefined;
  if (stream !== undefined) {
    checkName(stream, origin(sources, 'natsStream', 'nats-stream'), 'stream');
    if (config.queue !== undefined) {
      throw new ConfigError(`${origin(sources, 'natsQueue', 'nats-queue')} is for core NATS; with --nats-stream, replicas share work through the one durable consumer (--nats-durable): drop the queue group`);
    }
    const durable = values.natsDurable as string | undefined;
    if (durable === undefined) {
      throw new ConfigError(`${origin(sources, 'natsStream', 'nats-stream')} needs --nats-durable <name> (or FNKIT_NATS_DURABLE): the durable consumer that remembers what this function has processed`);
    }
    checkName(durable, origin(sources, 'natsDurable', 'nats-durable'), 'consumer');
    const retryDelayMs = values.natsRetryDelay as number;
    const retryMaxDelayMs = values.natsRetryMaxDelay as number;
    if (retryMaxDelayMs < retryDelayMs) {
      throw new ConfigError(`${origin(sources, 'natsRetryMaxDelay', 'nats-retry-max-delay')}=${retryMaxDelayMs}ms is shorter than ${origin(sources, 'natsRetryDelay', 'nats-retry-delay')}=${retryDelayMs}ms`);
    }
    config.jetstream = {
      stream,
      durable,
      createStream: values.natsCreateStream === true,
      maxDeliver: values.natsMaxDeliver as number,
      ackWaitMs: values.natsAckWait as number,
      retryDelayMs,
      retryMaxDelayMs,
      deliverPolicy: values.natsDeliverPolicy as 'all' | 'new' | 'last',
    };
  } else {
    const stray = JETSTREAM_ONLY.find((k) => given(sources, k));
    if (stray !== undefined) {
      throw new ConfigError(`${origin(sources, stray, flagOf(stray))} is a JetStream setting: add --nats-stream <stream> (core NATS subscriptions have no acks or redelivery)`);
    }
  }

  const token = values.natsToken as string | undefined;
  const user = values.natsUser as string | undefined;
  const password = values.natsPassword as string | undefined;
  const creds = values.natsCreds as string | undefined;
  if (token !== undefined && token !== '') config.token = token;
  if (user !== undefined && user !== '') config.user = user;
  if (password !== undefined) {
    if (config.user === undefined) throw new ConfigError(`${origin(sources, 'natsPassword', 'nats-password')} is set without a user: set NATS_USER (or --nats-user) too`);
    config.password = password;
  }
  if (creds !== undefined && creds !== '') config.credsFile = creds;
  return config;
}
