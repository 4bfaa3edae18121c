import { writeSync } from 'node:fs';

const WAIT = new Int32Array(new SharedArrayBuffer(4));

/**
 * pino's destination for JSON lines: lines are collected in one reused byte buffer and written with ONE
 * synchronous write(2) once `maxBytes` have gathered, `maxDelayMs` after the first unwritten line, when a
 * line of level warn or above arrives, on `flush()`, and when the process exits. So a busy function pays
 * one system call per ~100 invocations instead of one each, and nothing reaches the libuv threadpool.
 *
 * pino's lines are encoded into the buffer as they arrive (utf-8); the per-invocation line, known
 * to be ASCII (see invocation-line.ts), is gathered in one string and copied in as latin1
 * (a copy, no UTF-8 encoding) when a write is due. Collecting every line in an array instead, joined
 * and encoded with Buffer.from into a new 16 KiB Buffer per write, cost ~0.6 µs per line.
 *
 * Why not pino.destination (sonic-boom): with `minLength` it measures the byte length of its whole
 * pending buffer on every write (a string built by `+=`, flattened each time), and in async mode
 * every flush is a threadpool round trip (futex and epoll wake-ups, measured with strace).
 *
 * Writes are synchronous, as Node's own process.stdout is for files and pipes: when the reader of a
 * pipe falls behind, the writer waits instead of buffering without bound. A non-blocking descriptor
 * that answers EAGAIN is retried after 1 ms. Memory is bounded: the buffer is `maxBytes` plus
 * ASCII_LINE_MAX; a longer line is written on its own (after the pending ones, so order is kept).
 */
export class LineBuffer {
  /** The longest line writeAscii gathers as a string (a longer one goes through write). */
  static readonly ASCII_LINE_MAX = 4096;

  readonly #bytes: Buffer;
  readonly #fd: number;
  readonly #maxBytes: number;
  readonly #maxDelayMs: number;
  #length = 0;
  /** ASCII lines (writeAscii) gathered after the buffer's bytes, not copied into it yet. */
  #ascii = '';
  #timer: NodeJS.Timeout | undefined;
  readonly #onTimer = () => {
    this.#timer = undefined;
    this.#writePending();
  };

  constructor(fd: number, options: { maxBytes?: number; maxDelayMs?: number } = {}) {
    this.#fd = fd;
    this.#maxBytes = options.maxBytes ?? 16 * 1024;
    this.#maxDelayMs = options.maxDelayMs ?? 100;
    this.#bytes = Buffer.allocUnsafeSlow(this.#maxBytes + LineBuffer.ASCII_LINE_MAX);
    process.once('exit', () => this.#writePending());
  }

  /** pino calls this with one serialised line (ending in a newline). */
  write(line: string): boolean {
    this.#takeAscii();
    const most = line.length * 3; // UTF-8 bytes per UTF-16 code unit, at most
    if (this.#length + most > this.#bytes.length) {
      this.#writePending();
      if (most > this.#bytes.length) {
        const data = Buffer.from(line);
        writeFully(this.#fd, data, data.length);
        return true;
      }
    }
    this.#length += this.#bytes.write(line, this.#length, 'utf8');
    // pino lines start with {"level":NN; 40 and above (warn, error, fatal) go out at once.
    this.#written(line.charCodeAt(9) >= 0x34);
    return true;
  }

  /**
   * A line below warn that the caller knows is ASCII (every code unit below 0x80), so its bytes are its
   * characters: lines like this are gathered as one string and copied into the buffer as latin1
   * when a write is due (or a pino line comes after them), instead of being UTF-8 encoded one by one.
   */
  writeAscii(line: string): void {
    if (line.length > LineBuffer.ASCII_LINE_MAX) {
      this.write(line);
      return;
    }
    this.#ascii += line;
    this.#written(false);
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

  #written(urgent: boolean): void {
    if (urgent || this.#length + this.#ascii.length >= this.#maxBytes) this.#writePending();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, this.#maxDelayMs);
      this.#timer.unref();
    }
  }

  /** Copies the gathered ASCII lines into the buffer (there is room: see writeAscii and #written). */
  #takeAscii(): void {
    if (this.#ascii.length === 0) return;
    this.#length += this.#bytes.write(this.#ascii, this.#length, 'latin1');
    this.#ascii = '';
  }

  #writePending(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#takeAscii();
    if (this.#length === 0) return;
    const length = this.#length;
    this.#length = 0;
    writeFully(this.#fd, this.#bytes, length);
  }
}

function writeFully(fd: number, data: Buffer, length: number): void {
  let offset = 0;
  let retries = 0;
  while (offset < length) {
    try {
      offset += writeSync(fd, data, offset, length - offset);
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
