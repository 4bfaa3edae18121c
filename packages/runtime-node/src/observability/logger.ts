import { createRequire } from 'node:module';
import { pino, type Logger as PinoLogger } from 'pino';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { registerFastDestination } from './invocation-line.js';
import { LineBuffer } from './line-buffer.js';

/**
 * The runtime's logger: JSON lines to stdout (pino), bound to the function's name.
 * Pretty output (pino-pretty) only when asked for; the module is loaded only then.
 */
export function createLogger(config: Pick<RuntimeConfig, 'logLevel' | 'logFormat' | 'functionName'>): PinoLogger {
  const options = { level: config.logLevel, base: { function: config.functionName } };
  if (config.logFormat === 'pretty') {
    const require = createRequire(import.meta.url);
    // pino-pretty as a synchronous stream in this thread: no transport worker to start or flush.
    const pretty = require('pino-pretty') as (opts: Record<string, unknown>) => NodeJS.WritableStream;
    return pino(options, pretty({ colorize: process.stdout.isTTY === true, sync: true }) as never);
  }
  // Lines are gathered in memory and written together (at 64 KiB, 100 ms after the first, at once for
  // warn and above, and at exit): see LineBuffer.
  const destination = new LineBuffer(1);
  const log = pino(options, destination);
  // The per-invocation line may bypass pino's serialiser (same bytes, same destination): see invocation-line.ts.
  registerFastDestination(log, destination);
  return log;
}
