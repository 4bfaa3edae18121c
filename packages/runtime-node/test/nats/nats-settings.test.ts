import { describe, expect, it } from 'vitest';
import { ConfigError, parseSettings } from '../../src/config/settings.js';
import { NATS_SETTINGS, readNatsConfig, subjectMatches } from '../../src/triggers/nats/nats-settings.js';

function read(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const { values, sources } = parseSettings(NATS_SETTINGS, argv, env);
  return readNatsConfig(values, sources);
}

describe('NATS settings', () => {
  it('is undefined without --nats', () => {
    expect(read([])).toBeUndefined();
  });

  it('reads core subscriptions with defaults', () => {
    const c = read(['--nats', 'events.todo.newitem', '--nats', 'a.*', '--nats-queue', 'workers']);
    expect(c).toEqual({ subjects: ['events.todo.newitem', 'a.*'], servers: ['nats://127.0.0.1:4222'], queue: 'workers', maxInFlight: 64, maxMessageBytes: 1_048_576 });
  });

  it('takes the URL from NATS_URL and FNKIT_NATS_URL (FNKIT_ first), the flag winning', () => {
    expect(read(['--nats', 'x'], { NATS_URL: 'nats://a:4222' })?.servers).toEqual(['nats://a:4222']);
    expect(read(['--nats', 'x'], { NATS_URL: 'nats://a:4222', FNKIT_NATS_URL: 'nats://b:4222,nats://c:4222' })?.servers).toEqual(['nats://b:4222', 'nats://c:4222']);
    expect(read(['--nats', 'x', '--nats-url', 'tls://d:4443'], { NATS_URL: 'nats://a:4222' })?.servers).toEqual(['tls://d:4443']);
  });

  it('reads JetStream settings', () => {
    const c = read(['--nats', 'orders.>', '--nats-stream', 'ORDERS', '--nats-durable', 'fn', '--nats-max-deliver', '3', '--nats-ack-wait', '10', '--nats-dead-letter', 'dlq.orders', '--nats-max-in-flight', '8']);
    expect(c?.jetstream).toEqual({ stream: 'ORDERS', durable: 'fn', createStream: false, maxDeliver: 3, ackWaitMs: 10_000, retryDelayMs: 1000, retryMaxDelayMs: 60_000, deliverPolicy: 'all' });
    expect(c?.deadLetter).toBe('dlq.orders');
    expect(c?.maxInFlight).toBe(8);
    expect(read(['--nats', 'x', '--nats-max-message-size', '64kb'])?.maxMessageBytes).toBe(65_536);
  });

  it.each([
    [['--nats', 'a..b'], /--nats="a..b" is not a valid NATS subject: it has an empty token/],
    [['--nats', 'a.>.b'], /'>' may only be the last token/],
    [['--nats', 'a.b*'], /must be whole tokens/],
    [['--nats', 'x', '--nats-stream', 'S'], /--nats-stream needs --nats-durable/],
    [['--nats', 'x', '--nats-stream', 'a.b', '--nats-durable', 'd'], /--nats-stream="a.b" is not a valid JetStream stream name/],
    [['--nats', 'x', '--nats-stream', 'S', '--nats-durable', 'd d'], /--nats-durable="d d" is not a valid JetStream consumer name/],
    [['--nats', 'x', '--nats-max-deliver', '3'], /--nats-max-deliver is a JetStream setting: add --nats-stream/],
    [['--nats-stream', 'S'], /--nats-stream needs a subject to consume: add --nats <subject>/],
    [['--nats', 'orders.>', '--nats-dead-letter', 'orders.dead'], /--nats-dead-letter="orders.dead" is consumed by this trigger \(--nats orders.>\)/],
    [['--nats', 'x', '--nats-dead-letter', 'dlq.*'], /wildcards are not allowed here/],
    [['--nats', 'x', '--nats-url', 'http://h:1'], /--nats-url="http:\/\/h:1" is not a valid NATS server URL/],
    [['--nats', 'x', '--nats-stream', 'S', '--nats-durable', 'd', '--nats-queue', 'q'], /--nats-queue is for core NATS/],
    [['--nats', 'x', '--nats-max-in-flight', '0'], /--nats-max-in-flight="0" is not valid: expected an integer of at least 1/],
  ])('rejects %j', (argv, message) => {
    expect(() => read(argv)).toThrow(ConfigError);
    expect(() => read(argv)).toThrow(message);
  });

  it('names the environment variable that was wrong', () => {
    expect(() => read([], { FNKIT_NATS_SUBJECTS: 'a b' })).toThrow(/FNKIT_NATS_SUBJECTS="a b" is not a valid NATS subject: it contains whitespace/);
    expect(() => read(['--nats', 'x'], { NATS_PASSWORD: 'p' })).toThrow(/NATS_PASSWORD is set without a user/);
  });

  it('matches subjects as the server does', () => {
    expect(subjectMatches('a.*', 'a.b')).toBe(true);
    expect(subjectMatches('a.*', 'a.b.c')).toBe(false);
    expect(subjectMatches('a.>', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.>', 'a')).toBe(false);
    expect(subjectMatches('a.b', 'a.b')).toBe(true);
  });
});
