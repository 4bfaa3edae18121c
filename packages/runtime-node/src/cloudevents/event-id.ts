import { Buffer } from 'node:buffer';
import { openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * A random (version 4) UUID for the id of an event whose request named none: what crypto.randomUUID()
 * gives, written into a 36-byte buffer and read out as one flat string. randomUUID joins 20 pieces into
 * a rope string, which V8 flattens again wherever the id is used next (the invocation log line's
 * escaping check, headers), ~0.5 µs per request on the HTTP path; this costs one native call.
 * Randomness comes from the kernel's CSPRNG, 256 ids per refill: read from /dev/urandom (what
 * randomFillSync asks the same kernel for), or from randomFillSync where there is no /dev/urandom.
 * Not node:crypto first: loading it costs ~4 ms of CPU, which the first request of a cold start paid.
 */
const BATCH = 256;
const pool = Buffer.allocUnsafeSlow(16 * BATCH);
let used = BATCH;
const text = Buffer.allocUnsafeSlow(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Where each of the 16 bytes goes in `xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx`. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
text[8] = text[13] = text[18] = text[23] = 0x2d; // '-'

export function randomEventId(): string {
  if (used === BATCH) {
    refill(pool);
    used = 0;
  }
  const start = used++ * 16;
  for (let i = 0; i < 16; i++) {
    let b = pool[start + i]!;
    if (i === 6) b = (b & 0x0f) | 0x40; // version 4
    else if (i === 8) b = (b & 0x3f) | 0x80; // variant 10xx
    const at = AT[i]!;
    text[at] = HEX[b >> 4]!;
    text[at + 1] = HEX[b & 0x0f]!;
  }
  return text.toString('latin1', 0, 36);
}

/** The open /dev/urandom (kept open for the process's life), null where it cannot be opened. */
let urandom: number | null | undefined;

function refill(buffer: Buffer): void {
  if (urandom === undefined) {
    try {
      urandom = openSync('/dev/urandom', 'r');
    } catch {
      urandom = null;
    }
  }
  if (urandom === null) {
    (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).randomFillSync(buffer);
    return;
  }
  for (let at = 0; at < buffer.length; ) {
    const n = readSync(urandom, buffer, at, buffer.length - at, null);
    if (n <= 0) throw new Error('/dev/urandom gave no bytes');
    at += n;
  }
}
