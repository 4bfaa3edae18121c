import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { sleep } from '../helpers.js';

export const NATS_URL = process.env.FNKIT_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Connects to the test server, or fails with a message naming the script that starts it. */
export async function connectNats(): Promise<NatsConnection> {
  try {
    return await connect({ servers: NATS_URL, timeout: 3000 });
  } catch (err) {
    throw new Error(`no NATS server at ${NATS_URL} (${(err as Error).message}): run bash test/infra/nats.sh (npm test does)`);
  }
}

export async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  try {
    return await jetstreamManager(nc);
  } catch (err) {
    throw new Error(`NATS at ${NATS_URL} has no JetStream (${(err as Error).message}): start it with -js, as test/infra/nats.sh does`);
  }
}

/** A random suffix for subjects, streams and consumers, so runs never share state. */
export function unique(): string {
  return randomBytes(5).toString('hex');
}

/** Waits until `check` returns a truthy value (polling); fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 60_000, everyMs = 50): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < until) {
    last = await check();
    if (last) return last as NonNullable<T>;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** The complete non-empty lines of a file (none when it does not exist yet; a line still being appended is left for a later read). */
export function lines(file: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((l) => l.length > 0);
}
