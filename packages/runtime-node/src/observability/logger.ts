import { createRequire } from 'node:module';
import { pino, destination, type Logger as PinoLogger } from 'pino';
import type { RuntimeConfig } from '../config/runtime-config.js';

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
  // Lines are buffered (up to 4 KiB, or 100 ms at most) so a busy function does not pay one write(2) per
  // invocation; the buffer is flushed synchronously when the process exits. sonic-boom's own periodic flush
  // is used because `flush(cb)` also fsyncs stdout (strace under load: an fsync every 100 ms, on a file that
  // may be a real disk; a log line needs no durability the kernel does not already give it).
  const dest = destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 });
  process.once('exit', () => {
    try {
      dest.flushSync();
    } catch {
      // stdout already gone: nothing left to do.
    }
  });
  return pino(options, dest);
}
