import { isUtf8 } from 'node:buffer';

/**
 * Header value encoding of the CloudEvents HTTP binding (v1.0.2 §3.1.3.2, shared/BINDINGS.md §3.2).
 *
 * Encode: every character that is a space (U+0020), `"` (U+0022), `%` (U+0025) or outside printable
 * ASCII (U+0021-U+007E) is written as its UTF-8 bytes, each as `%XY` with upper-case hex.
 *
 * Decode: first unescape an RFC 7230 quoted-string (for old senders), then one round of
 * percent-decoding that accepts lower-case hex.
 *
 * Tolerant receiver: the spec says a value that percent-decodes to invalid UTF-8 (e.g. the overlong
 * `%C0%A0`) MUST be rejected. sdk-go, sdk-java and sdk-javascript do not percent-encode at all
 * (cloudevents/spec#1397), so a raw value such as `100%ready` or a value that merely looks encoded
 * is common in the wild. Rejecting those would refuse events the sender considers valid, so when
 * the decoded bytes are not valid UTF-8, or an escape is malformed, the raw (unquoted) value is kept.
 */

const HEX = '0123456789ABCDEF';

function needsEncoding(code: number): boolean {
  return code <= 0x20 || code >= 0x7f || code === 0x22 || code === 0x25;
}

/** Percent-encodes a header value; returns the input itself when nothing needs encoding. */
export function encodeHeaderValue(value: string): string {
  let i = 0;
  const n = value.length;
  while (i < n && !needsEncoding(value.charCodeAt(i))) i++;
  if (i === n) return value;
  // Slow path: UTF-8 bytes of a multi-byte character are all >= 0x80, so encoding byte by byte is
  // the same as encoding character by character (a surrogate pair is one 4-byte character).
  const bytes = Buffer.from(value, 'utf8');
  let out = value.slice(0, i);
  // The first i characters are printable ASCII: one byte each.
  for (let j = i; j < bytes.length; j++) {
    const b = bytes[j]!;
    out += needsEncoding(b) ? '%' + HEX[b >> 4] + HEX[b & 15] : String.fromCharCode(b);
  }
  return out;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Removes the quotes of an RFC 7230 quoted-string and its backslash escapes; other values unchanged. */
export function unquoteHeaderValue(raw: string): string {
  const n = raw.length;
  if (n < 2 || raw.charCodeAt(0) !== 0x22 || raw.charCodeAt(n - 1) !== 0x22) return raw;
  let out = '';
  for (let i = 1; i < n - 1; i++) {
    let c = raw[i]!;
    if (c === '\\' && i + 1 < n - 1) c = raw[++i]!;
    out += c;
  }
  return out;
}

/**
 * Decodes a `ce-*` header value: unquote, then percent-decode once. Keeps the (unquoted) raw value
 * when an escape is malformed or the bytes are not valid UTF-8 (see the module comment).
 */
export function decodeHeaderValue(raw: string): string {
  const value = unquoteHeaderValue(raw);
  const first = value.indexOf('%');
  if (first === -1) return value;
  const n = value.length;
  const bytes: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25) {
      if (i + 2 >= n) return value;
      const hi = hexValue(value.charCodeAt(i + 1));
      const lo = hexValue(value.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return value;
      bytes.push((hi << 4) | lo);
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      // Not ASCII: a character that arrived unencoded. Take it as text.
      const cp = value.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
    }
  }
  const buf = Buffer.from(bytes);
  return isUtf8(buf) ? buf.toString('utf8') : value;
}
