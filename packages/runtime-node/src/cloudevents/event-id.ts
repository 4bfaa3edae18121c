import { Buffer } from 'node:buffer';
import { openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * A random (version 4) UUID for the id of an event whose request named none: what crypto.randomUUID()
 * gives, as a flat string. randomUUID joins 20 pieces into a rope string, which V8 flattens again wherever
 * the id is used next (the invocation log line's escaping check, headers), ~0.5 µs per request on the HTTP
 * path. Here the ids are written as text in groups of GROUP: the group's 16-byte values formatted into one
 * buffer and read out as one string, of which each id is a slice (V8 keeps a slice as a view of its parent,
 * flat, made without copying): one native call per group instead of one per id. With the straight-line
 * digit stores (nextGroup) and node:crypto for the random bytes (refill), an id costs ~41 ns in a loop
 * against ~146 ns formatted and read out on its own from /dev/urandom bytes, and perf put the HTTP decode
 * (id included) at ~0.29 µs per GET against ~0.5 µs.
 * Randomness: 256 ids per refill of a pool of random bytes, first read from the kernel's /dev/urandom, then
 * (see refill) from node:crypto's randomFillSync. Not node:crypto from the start: loading it costs ~3 ms
 * of CPU, which the first request of a cold start paid.
 */
const POOL_IDS = 256;
/**
 * Ids per string read out. Small, so the group's string (36 characters per id) dies young: a slice keeps
 * its whole parent alive, and a parent that outlived scavenges would be promoted and grow the old space.
 */
const GROUP = 32;
const pool = Buffer.allocUnsafeSlow(16 * POOL_IDS);
let poolUsed = POOL_IDS;
const text = Buffer.allocUnsafeSlow(36 * GROUP);
/** A byte's two hex digits (ASCII), the first in the low byte, by byte. */
const HEX2 = new Uint16Array(256);
for (let b = 0; b < 256; b++) HEX2[b] = '0123456789abcdef'.charCodeAt(b >> 4) | ('0123456789abcdef'.charCodeAt(b & 0x0f) << 8);
for (let id = 0; id < GROUP; id++) text[id * 36 + 8] = text[id * 36 + 13] = text[id * 36 + 18] = text[id * 36 + 23] = 0x2d; // '-'
/** The current group's ids, 36 characters each, and how many of them were given out. */
let group = '';
let groupUsed = GROUP;

export function randomEventId(): string {
  if (groupUsed === GROUP) {
    group = nextGroup();
    groupUsed = 0;
  }
  const at = groupUsed++ * 36;
  return group.slice(at, at + 36);
}

/** GROUP fresh ids as one string. */
function nextGroup(): string {
  if (poolUsed === POOL_IDS) {
    refill(pool);
    poolUsed = 0;
  }
  const from = poolUsed * 16;
  poolUsed += GROUP;
  for (let id = 0; id < GROUP; id++) {
    const s = from + id * 16;
    const d = id * 36;
    // Written out byte by byte: a loop over the 16 bytes (with the positions of the dashes to skip) took
    // ~4x as long in V8 as these straight-line stores.
    digits(d, pool[s]!);
    digits(d + 2, pool[s + 1]!);
    digits(d + 4, pool[s + 2]!);
    digits(d + 6, pool[s + 3]!);
    digits(d + 9, pool[s + 4]!);
    digits(d + 11, pool[s + 5]!);
    digits(d + 14, (pool[s + 6]! & 0x0f) | 0x40); // version 4
    digits(d + 16, pool[s + 7]!);
    digits(d + 19, (pool[s + 8]! & 0x3f) | 0x80); // variant 10xx
    digits(d + 21, pool[s + 9]!);
    digits(d + 24, pool[s + 10]!);
    digits(d + 26, pool[s + 11]!);
    digits(d + 28, pool[s + 12]!);
    digits(d + 30, pool[s + 13]!);
    digits(d + 32, pool[s + 14]!);
    digits(d + 34, pool[s + 15]!);
  }
  return text.toString('latin1', 0, 36 * GROUP);
}

/** Byte `b` as two lower-case hex digits at `at` in the text buffer. */
function digits(at: number, b: number): void {
  const pair = HEX2[b]!;
  text[at] = pair & 0xff;
  text[at + 1] = pair >> 8;
}

/** The open /dev/urandom (kept open for the process's life), null where it cannot be opened. */
let urandom: number | null | undefined;
/** Refills from /dev/urandom before node:crypto is loaded for them. */
const KERNEL_REFILLS = 8;
let refills = 0;
let randomFill: ((buffer: Buffer) => void) | undefined;

/**
 * Fresh random bytes into `buffer`. A server that keeps making ids (KERNEL_REFILLS refills, ~2000 ids)
 * then loads node:crypto once (~3 ms) and refills from its randomFillSync: OpenSSL's generator, seeded
 * by the kernel, which here fills 4 KiB in ~4 µs where a read(2) of /dev/urandom took ~14 µs (~40 ns of
 * every id). Before that, and for a function that rarely makes ids, the start-up cost is not worth it.
 */
function refill(buffer: Buffer): void {
  if (randomFill === undefined && refills++ >= KERNEL_REFILLS) randomFill = loadRandomFill();
  if (randomFill !== undefined) {
    randomFill(buffer);
    return;
  }
  if (urandom === undefined) {
    try {
      urandom = openSync('/dev/urandom', 'r');
    } catch {
      urandom = null;
    }
  }
  if (urandom === null) {
    randomFill = loadRandomFill();
    randomFill(buffer);
    return;
  }
  for (let at = 0; at < buffer.length; ) {
    const n = readSync(urandom, buffer, at, buffer.length - at, null);
    if (n <= 0) throw new Error('/dev/urandom gave no bytes');
    at += n;
  }
}

function loadRandomFill(): (buffer: Buffer) => void {
  const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return (buffer) => crypto.randomFillSync(buffer);
}
