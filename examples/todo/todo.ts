/** What the to-do functions share: the item type, the subject and the event type. */

export interface TodoItem {
  item: string;
  /** RFC 3339 time the item was added. */
  dateAdded: string;
}

/** The subject new items are published on (TODO_SUBJECT overrides it, e.g. for a test run of its own). */
export const TODO_SUBJECT = process.env.TODO_SUBJECT ?? 'events.todo.newitem';

/** The CloudEvent type of a new item. */
export const NEW_ITEM_EVENT_TYPE = 'dev.fnkit.example.todo.newitem';
