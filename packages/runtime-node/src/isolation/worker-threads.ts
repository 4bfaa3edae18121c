import { createRequire } from 'node:module';

let threads: typeof import('node:worker_threads') | undefined;

/**
 * node:worker_threads, loaded the first time a thread is started (the stall watchdog after the first
 * request, the isolation pool): importing it at the top of a module loaded it, and its four internal
 * modules, during every start-up before the first answer (~0.6 ms of a ~96 ms cold start).
 */
export function workerThreads(): typeof import('node:worker_threads') {
  threads ??= createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  return threads;
}
