import { writeSync } from 'node:fs';

const WAIT = new Int32Array(new SharedArrayBuffer(4));

/**
 * pino's destination for JSON lines: lines are collected in memory and written with ONE synchronous
 * write(2) once `maxBytes` have gathered, `maxDelayMs` after the first unwritten line, when a line of
 * level warn or above arrives, on `flush()`, and when the process exits. So a busy function pays one
 * system call per ~100 invocations instead of one each, and nothing reaches the libuv threadpool.
 *
 * Why not pino.destination (sonic-boom): with `minLength` it measures the byte length of its whole
 * pending buffer on every write (a string built by `+=`, flattened each time), and in async mode
 * every flush is a threadpool round trip (futex and epoll wake-ups, measured with strace).
 *
 * Writes are synchronous, as Node's own process.stdout is for files and pipes: when the reader of a
 * pipe falls behind, the writer waits instead of buffering without bound. A non-blocking descriptor
 * that answers EAGAIN is retried after 1 ms.
 */
export class LineBuffer {
  readonly #fd: number;
  readonly #maxChars: number;
  readonly #maxDelayMs: number;
  #lines: string[] = [];
  #chars = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #onTimer = () => {
    this.#timer = undefined;
    this.#writePending();
  };

  constructor(fd: number, options: { maxBytes?: number; maxDelayMs?: number } = {}) {
    this.#fd = fd;
    this.#maxChars = options.maxBytes ?? 16 * 1024;
    this.#maxDelayMs = options.maxDelayMs ?? 100;
    process.once('exit', () => this.#writePending());
  }

  /** pino calls this with one serialised line (ending in a newline). */
  write(line: string): boolean {
    this.#lines.push(line);
    this.#chars += line.length;
    // pino lines start with {"level":NN; 40 and above (warn, error, fatal) go out at once.
    if (this.#chars >= this.#maxChars || line.charCodeAt(9) >= 0x34) this.#writePending();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, this.#maxDelayMs);
      this.#timer.unref();
    }
    return true;
  }

  /** Writes every pending line now (pino's logger.flush(cb) calls this with a callback). */
  flush(cb?: (err?: Error) => void): void {
    this.#writePending();
    cb?.();
  }

  /** Same as flush(): every write here is synchronous. */
  flushSync(): void {
    this.#writePending();
  }

  #writePending(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#lines.length === 0) return;
    const data = Buffer.from(this.#lines.length === 1 ? this.#lines[0]! : this.#lines.join(''));
    this.#lines = [];
    this.#chars = 0;
    writeFully(this.#fd, data);
  }
}

function writeFully(fd: number, data: Buffer): void {
  let offset = 0;
  let retries = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset, data.length - offset);
      retries = 0;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code === 'EAGAIN' || code === 'EBUSY') && retries++ < 1000) {
        Atomics.wait(WAIT, 0, 0, 1);
        continue;
      }
      // stdout is gone (EPIPE, closed) or stuck for a second: the lines are dropped, the function keeps serving.
      return;
    }
  }
}
