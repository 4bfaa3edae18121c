import { CodecError } from './codec-error.js';
import { isJsonEssence, mediaTypeEssence } from './media-type.js';

/**
 * Turns a binary-mode or plain request body into `event.data`, by the essence of its media type:
 * no or empty body → undefined; `*\/json`, `*\/*+json` → parsed JSON; `text/*` → string;
 * `application/x-www-form-urlencoded` → object (repeated keys → arrays); anything else, including a
 * body without content type → the Buffer as it is.
 */
export function decodeBody(body: Buffer | undefined, contentType: string | undefined): unknown {
  if (body === undefined || body.length === 0) return undefined;
  if (contentType === undefined) return body;
  // The usual content type, without working out its essence (a new string) first.
  if (contentType === 'application/json') return parseJsonBody(body, contentType);
  const essence = mediaTypeEssence(contentType);
  if (isJsonEssence(essence)) return parseJsonBody(body, contentType);
  if (essence.startsWith('text/')) return body.toString('utf8');
  if (essence === 'application/x-www-form-urlencoded') return parseForm(body);
  return body;
}

/**
 * `event.data` as Kubeless's Node.js runtime gave it (shared/KUBELESS.md §3.5), for functions ported
 * from Kubeless: no body → `{}`; `application/json` (exactly that type; Kubeless left `+json` types as
 * text) → parsed; `multipart/*` → `{}` (the handler reads the request itself); anything else → the
 * body as a UTF-8 string. Unlike Kubeless, invalid JSON is a 400, not a 500.
 */
export function decodeKubelessBody(body: Buffer | undefined, contentType: string | undefined): unknown {
  if (body === undefined || body.length === 0) return {};
  if (contentType === undefined) return body.toString('utf8');
  const essence = mediaTypeEssence(contentType);
  if (essence === 'application/json') return parseJsonBody(body, contentType);
  if (essence.startsWith('multipart/')) return {};
  return body.toString('utf8');
}

function parseJsonBody(body: Buffer, contentType: string): unknown {
  try {
    // toString() without an encoding is UTF-8, and skips looking the encoding up.
    return JSON.parse(body.toString());
  } catch (err) {
    throw new CodecError(400, `request body is not valid JSON (content-type ${contentType}): ${(err as Error).message}`);
  }
}

function parseForm(body: Buffer): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) {
    const prev = Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined;
    const next = prev === undefined ? value : Array.isArray(prev) ? (prev.push(value), prev) : [prev, value];
    // defineProperty, so a `__proto__` field is an ordinary member and never a prototype.
    Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
