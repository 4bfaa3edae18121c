import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, startFnRun, type FnRun } from '../helpers.js';
import { logLines, startCli, waitUntil } from './cli-process.js';

/**
 * The to-do example end to end against the real NATS server on 127.0.0.1:4222 (test/infra/nats.sh
 * starts it; npm test runs that): the HTTP function publishes new items to NATS, the audit function
 * (fn-run's in-process NATS trigger) logs them, and the reminder runs from a cron tick. Each run uses
 * a subject of its own (TODO_SUBJECT), so parallel or earlier runs never mix.
 */

const NATS_URL = 'nats://127.0.0.1:4222';
const example = (file: string) => join(root, 'examples/todo', file);
const subject = `events.todo.test${randomBytes(4).toString('hex')}.newitem`;

beforeAll(async () => {
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 3000 });
    await nc.close();
  } catch (err) {
    throw new Error(`no NATS server at ${NATS_URL} (${(err as Error).message}): run bash test/infra/nats.sh (npm test does)`);
  }
});

describe('examples/todo', () => {
  let newItem: FnRun;
  let audit: FnRun;
  beforeAll(async () => {
    [audit, newItem] = await Promise.all([
      startFnRun(example('audit.ts'), ['--nats', subject], { NATS_URL }),
      startFnRun(example('new-item.ts'), [], { NATS_URL, TODO_SUBJECT: subject }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([newItem?.stop(), audit?.stop()]);
  });

  it('a POSTed item is published to NATS and the audit function logs AUDIT @ <date added>: <item>', async () => {
    const item = `buy milk ${randomBytes(3).toString('hex')}`;
    const res = await fetch(newItem.base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item }) });
    expect(res.status).toBe(201);
    const todo = (await res.json()) as { item: string; dateAdded: string };
    expect(todo.item).toBe(item);
    const line = `AUDIT @ ${todo.dateAdded}: ${item}`;
    await waitUntil(() => audit.stdout().includes(line), `the audit line ${JSON.stringify(line)} in the audit function's output`);
    const invocation = logLines(audit.stdout()).find((l) => l.msg === 'invocation' && l.trigger === 'nats');
    expect(invocation?.outcome).toBe('success');
  });

  it('a bad item is refused with 400 and nothing is published', async () => {
    const before = logLines(audit.stdout()).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('AUDIT')).length;
    const res = await fetch(newItem.base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item: '  ' }) });
    expect(res.status).toBe(400);
    // A marker item after the bad one: once it is audited, the bad one would have been too.
    const marker = `marker ${randomBytes(3).toString('hex')}`;
    expect((await fetch(newItem.base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item: marker }) })).status).toBe(201);
    await waitUntil(() => audit.stdout().includes(`: ${marker}`), 'the marker item audited');
    const after = logLines(audit.stdout()).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('AUDIT')).length;
    expect(after).toBe(before + 1);
  });
});

describe('examples/todo reminder (cron)', () => {
  it('runs on a cron tick delivered by fn-run trigger cron --once (as a Kubernetes CronJob would)', async () => {
    const reminder = await startFnRun(example('reminder.ts'));
    try {
      const p = startCli(['trigger', 'cron', '--once', '--target', reminder.base, '--cron', 'reminder=* * * * *', '--cron-data', '{"list":"home"}']);
      expect(await p.exited).toBe(0);
      await waitUntil(() => /REMINDER @ \S+: review the home to-do list/.test(reminder.stdout()), 'the reminder line');
    } finally {
      await reminder.stop();
    }
  });

  it('runs in-process from its own schedule', async () => {
    // Every second here so the test does not wait a minute; the README runs it with '* * * * *'.
    const reminder = await startFnRun(example('reminder.ts'), ['--cron', '* * * * * *']);
    try {
      await waitUntil(() => /REMINDER @ \S+: review the default to-do list/.test(reminder.stdout()), 'a reminder from a tick');
    } finally {
      await reminder.stop();
    }
  });
});
