import { writeSync } from 'node:fs';

const WAIT = new Int32Array(new SharedArrayBuffer(4));
/**
 * Characters of held lines encoded together (the write(2) still waits for maxBytes). What is held (the
 * parts array, the event ids, the line fronts) is alive at every scavenge of a busy server, and V8 grows
 * the young generation by the bytes that survive scavenges: at 8 KiB the held lines were ~3 KiB of every
 * scavenge's ~13.5 KiB of survivors (bare node:http: ~10 KiB). 2 KiB (~14 lines) keeps the batching.
 */
const HELD_ENCODE_AT = 2 * 1024;

/**
 * pino's destination for JSON lines: lines are collected in one reused byte buffer and written with ONE
 * synchronous write(2) once `maxBytes` have gathered, `maxDelayMs` after the first unwritten line, when a
 * line of level warn or above arrives, on `flush()`, and when the process exits. So a busy function pays
 * one system call per ~300 invocations instead of one each, and nothing reaches the libuv threadpool.
 * 64 KiB per write(2): to a file, 16 KiB writes cost ~0.17 µs per 200-byte line, 64 KiB ones ~0.07 µs.
 *
 * pino's lines are UTF-8 encoded into the buffer as they arrive. The per-invocation line (see
 * invocation-line.ts) comes through writeHeld: such lines are gathered (as their parts), joined and encoded together
 * when a write is due (or before a pino line, to keep the order), and the one value each holds raw (the
 * event id) is checked then, in the encoded bytes, for what JSON would escape. Checking each event id
 * as its line was written (a regular expression, which first flattens the id's rope) cost ~0.3 µs per
 * line; collecting every line in an array, joined and encoded into a new Buffer per write, ~0.6 µs.
 *
 * Why not pino.destination (sonic-boom): with `minLength` it measures the byte length of its whole
 * pending buffer on every write (a string built by `+=`, flattened each time), and in async mode
 * every flush is a threadpool round trip (futex and epoll wake-ups, measured with strace).
 *
 * Writes are synchronous, as Node's own process.stdout is for files and pipes: when the reader of a
 * pipe falls behind, the writer waits instead of buffering without bound. A non-blocking descriptor
 * that answers EAGAIN is retried after 1 ms. Memory is bounded: the buffer holds what `maxBytes` plus
 * one HELD_LINE_MAX line of characters can take in UTF-8; a longer line is written on its own (after the
 * pending ones, so order is kept).
 */
export class LineBuffer {
  /** The longest line writeHeld gathers (a longer one is checked and written at once). */
  static readonly HELD_LINE_MAX = 4096;

  readonly #bytes: Buffer;
  readonly #fd: number;
  readonly #maxBytes: number;
  readonly #maxDelayMs: number;
  #length = 0;
  /**
   * Lines from writeHeld, after the buffer's bytes, not encoded yet: three parts each (before, the raw
   * value, after), so where each value sits in the joined text follows from the parts' lengths; their length.
   */
  readonly #parts: string[] = [];
  #heldLength = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #onTimer = () => {
    this.#timer = undefined;
    this.#writePending();
  };

  constructor(fd: number, options: { maxBytes?: number; maxDelayMs?: number } = {}) {
    this.#fd = fd;
    this.#maxBytes = options.maxBytes ?? 64 * 1024;
    this.#maxDelayMs = options.maxDelayMs ?? 100;
    // Everything gathered is below maxBytes + one held line of characters, at most 3 UTF-8 bytes each.
    this.#bytes = Buffer.allocUnsafeSlow(3 * (this.#maxBytes + LineBuffer.HELD_LINE_MAX));
    process.once('exit', () => this.#writePending());
  }

  /** pino calls this with one serialised line (ending in a newline). */
  write(line: string): boolean {
    this.#takeHeld();
    this.#put(line);
    // pino lines start with {"level":NN; 40 and above (warn, error, fatal) go out at once.
    this.#written(line.charCodeAt(9) >= 0x34);
    return true;
  }

  /**
   * The line `before + value + after`, below warn, with `value` put raw between the quotes that end
   * `before` and start `after`, unchecked: it is checked when the held lines are encoded, and quoted as
   * JSON.stringify does if it holds a `"`, a `\`, a control character or a UTF-16 surrogate. The rest of
   * the line must be valid JSON. The three parts are kept as they are (no string is built per line).
   */
  writeHeld(before: string, value: string, after: string): void {
    const length = before.length + value.length + after.length;
    if (length > LineBuffer.HELD_LINE_MAX) {
      this.write(`${before.slice(0, -1)}${valueSafe(value) ? `"${value}"` : JSON.stringify(value)}${after.slice(1)}`);
      return;
    }
    this.#parts.push(before, value, after);
    this.#heldLength += length;
    // Held lines are encoded in small groups, so their strings die young: held until a 64 KiB write,
    // a busy server's lines outlived a scavenge or two, were promoted, and grew the old space (RSS +13 MiB).
    if (this.#heldLength >= HELD_ENCODE_AT) this.#takeHeld();
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
    if (urgent || this.#length + this.#heldLength >= this.#maxBytes) this.#writePending();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, this.#maxDelayMs);
      this.#timer.unref();
    }
  }

  /** Encodes `text` after the buffer's bytes (writing those first when there is no room; a text too long for the buffer is written on its own). */
  #put(text: string): void {
    const most = text.length * 3; // UTF-8 bytes per UTF-16 code unit, at most
    if (this.#length + most > this.#bytes.length) {
      this.#writeBytes();
      if (most > this.#bytes.length) {
        const data = Buffer.from(text);
        writeFully(this.#fd, data, data.length);
        return;
      }
    }
    this.#length += this.#bytes.write(text, this.#length, 'utf8');
  }

  /** Encodes the held lines into the buffer, their raw values checked (and quoted where needed). */
  #takeHeld(): void {
    if (this.#heldLength === 0) return;
    const parts = this.#parts;
    const text = parts.join('');
    this.#heldLength = 0;
    const bytes = this.#bytes;
    if (this.#length + text.length * 3 > bytes.length) this.#writeBytes();
    const at = this.#length;
    const written = bytes.write(text, at, 'utf8');
    // As many bytes as characters: all ASCII, so each value's characters are its bytes, at known offsets.
    const safe = written === text.length ? bytesSafe(bytes, at, parts) : valuesSafe(parts);
    if (safe) this.#length = at + written;
    else this.#put(quoteValues(text, parts)); // rare: over what was just encoded
    parts.length = 0;
  }

  #writeBytes(): void {
    if (this.#length === 0) return;
    const length = this.#length;
    this.#length = 0;
    writeFully(this.#fd, this.#bytes, length);
  }

  #writePending(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#takeHeld();
    this.#writeBytes();
  }
}

/** No held value (every third part, from the second) in these ASCII bytes holds a byte JSON would escape: `"`, a backslash, a control character. */
function bytesSafe(bytes: Buffer, at: number, parts: string[]): boolean {
  let start = at;
  for (let k = 0; k < parts.length; k += 3) {
    start += parts[k]!.length;
    const end = start + parts[k + 1]!.length;
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      if (c < 0x20 || c === 0x22 || c === 0x5c) return false;
    }
    start = end + parts[k + 2]!.length;
  }
  return true;
}

// What JSON.stringify leaves as it is: no `"`, `\`, control character or surrogate (a lone one is escaped).
const SAFE = /^[^\x00-\x1f"\\\ud800-\udfff]*$/;

function valueSafe(value: string): boolean {
  return SAFE.test(value);
}

function valuesSafe(parts: string[]): boolean {
  for (let k = 1; k < parts.length; k += 3) if (!valueSafe(parts[k]!)) return false;
  return true;
}

/** The held text with each value that needs it quoted as JSON.stringify does (the quotes around it in the text replaced). */
function quoteValues(text: string, parts: string[]): string {
  let out = '';
  let from = 0;
  let start = 0;
  for (let k = 0; k < parts.length; k += 3) {
    start += parts[k]!.length;
    const value = parts[k + 1]!;
    if (!valueSafe(value)) {
      out += `${text.slice(from, start - 1)}${JSON.stringify(value)}`;
      from = start + value.length + 1;
    }
    start += value.length + parts[k + 2]!.length;
  }
  return out + text.slice(from);
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
