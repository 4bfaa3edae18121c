import { encodeHeaderValue } from './percent.js';

/**
 * CloudEvent attributes → binary-mode HTTP headers (CloudEvents HTTP binding §3.1.3): one `ce-<name>`
 * header per attribute and extension, values in their canonical string form and percent-encoded.
 * `datacontenttype` is not a `ce-` header: the caller sends it as Content-Type. `data`,
 * `data_base64` and fnkit's own members (`trigger`, `extensions`) are skipped, as are unset
 * (undefined or null) attributes.
 */

const ATTRIBUTE_NAME = /^[a-z0-9]+$/;

export function encodeBinaryHeaders(attrs: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in attrs) {
    switch (name) {
      case 'data': case 'data_base64': case 'datacontenttype': case 'trigger': case 'extensions':
        continue;
    }
    const value = attrs[name];
    if (value === undefined || value === null) continue;
    if (!ATTRIBUTE_NAME.test(name)) {
      throw new TypeError(`cannot send CloudEvent attribute ${JSON.stringify(name)} as a header: attribute names use only lower-case letters a-z and digits 0-9`);
    }
    out[`ce-${name}`] = encodeHeaderValue(canonicalString(name, value));
  }
  return out;
}

/** The canonical string encoding of a CloudEvents attribute value (spec §3.1.1 type system). */
function canonicalString(name: string, value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isInteger(value)) {
        throw new TypeError(`CloudEvent attribute '${name}' must be an integer to be sent, got ${value}`);
      }
      return String(value);
    case 'object':
      if (value instanceof Date) return value.toISOString();
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      if (value instanceof URL) return value.href;
      break;
  }
  throw new TypeError(`CloudEvent attribute '${name}' must be a string, boolean, integer, Date or bytes to be sent, got ${typeof value}`);
}
