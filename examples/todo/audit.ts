import { defineFunction } from '@fnkit/sdk';
import type { TodoItem } from './todo.js';

/**
 * The audit function: triggered by the NATS subject events.todo.newitem, logs one line per new item.
 *
 *   fn-run examples/todo/audit.ts --nats events.todo.newitem
 */
export default defineFunction<TodoItem>(async (event, context) => {
  const todo = event.data;
  if (!todo || typeof todo.item !== 'string') {
    context.log.warn({ eventType: event.type }, 'not a to-do item; ignored');
    return;
  }
  context.log.info({ item: todo.item, dateAdded: todo.dateAdded }, `AUDIT @ ${todo.dateAdded}: ${todo.item}`);
});
