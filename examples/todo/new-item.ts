import { randomUUID } from 'node:crypto';
import { BadRequestError, defineFunction, defineLifecycle, json } from '@fnkit/sdk';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { NEW_ITEM_EVENT_TYPE, TODO_SUBJECT, type TodoItem } from './todo.js';

/**
 * The to-do HTTP function: POST {"item": "buy milk"} adds an item and publishes it, as a structured
 * CloudEvent, to the NATS subject events.todo.newitem (where the audit function picks it up).
 *
 *   fn-run examples/todo/new-item.ts
 *   curl -H 'content-type: application/json' -d '{"item":"buy milk"}' localhost:8080
 */

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
let nc: NatsConnection | undefined;

export const { init, shutdown } = defineLifecycle({
  /** Connects once, before the function is ready (readiness waits for it). */
  async init() {
    nc = await connect({ servers: NATS_URL, name: 'todo-new-item' });
  },
  /** Sends what is buffered, then closes. */
  async shutdown() {
    await nc?.drain();
  },
});

export default defineFunction<{ item?: unknown }>(async (event, context) => {
  if (event.trigger.kind === 'http' && event.trigger.method !== 'POST') {
    return json({ usage: 'POST {"item": "..."} as application/json' });
  }
  const text = event.data?.item;
  if (typeof text !== 'string' || text.trim() === '') {
    throw new BadRequestError('send {"item": "<what to do>"} as application/json');
  }
  const todo: TodoItem = { item: text.trim(), dateAdded: new Date().toISOString() };
  const cloudEvent = {
    specversion: '1.0',
    id: randomUUID(),
    source: `/fnkit/examples/todo/${context.functionName}`,
    type: NEW_ITEM_EVENT_TYPE,
    time: todo.dateAdded,
    datacontenttype: 'application/json',
    data: todo,
  };
  const h = headers();
  h.set('content-type', 'application/cloudevents+json');
  if (!nc) throw new Error('not connected to NATS (init did not run)');
  nc.publish(TODO_SUBJECT, JSON.stringify(cloudEvent), { headers: h });
  // Published for sure (the server has it) before the client hears 201.
  await nc.flush();
  context.log.info({ subject: TODO_SUBJECT, item: todo.item }, 'new to-do item published');
  return json(todo, { status: 201 });
});
