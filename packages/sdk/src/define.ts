import type { FunctionModule, Handler } from './types.js';

/**
 * Identity helpers for type inference:
 * `export default defineFunction<{ name: string }>(async (event) => ...)` types `event.data`.
 */
export function defineFunction<TData = unknown, TResult = unknown>(handler: Handler<TData, TResult>): Handler<TData, TResult> {
  return handler;
}

/** Types a module's lifecycle exports: `export const { init, shutdown } = defineLifecycle({ ... })`. */
export function defineLifecycle<T extends FunctionModule>(hooks: T): T {
  return hooks;
}
