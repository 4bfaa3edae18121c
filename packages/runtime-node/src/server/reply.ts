import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { readResponseBody, type Outcome } from '@fnkit/sdk';
import { encodeBinaryHeaders } from '../cloudevents/index.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Outcome → HTTP response.
 * - result: its status, headers and body (a string or Buffer as it is; a stream piped through Readable.from);
 *   a returned CloudEvent goes back in binary mode: ce-* headers, its content type, its data as the body.
 * - error: its status and `{ error, status, eventId }` (+ the typed error's headers); never a stack.
 * - timeout: 408 and `{ error, status, eventId, timeoutMs }`.
 * - rejected: 503, `Retry-After`, and `{ error, status, eventId }`.
 */
export function sendOutcome(reply: FastifyReply, outcome: Outcome): FastifyReply {
  switch (outcome.type) {
    case 'result': {
      const r = outcome.response;
      reply.code(r.status);
      reply.headers(r.headers);
      const body = r.body;
      if (r.cloudEvent) {
        reply.headers(encodeBinaryHeaders(r.cloudEvent));
        // As bytes, so the content type goes out exactly as the event's datacontenttype (fastify adds a charset to strings).
        if (typeof body === 'string') return reply.send(Buffer.from(body));
      }
      if (body === null) return reply.send();
      if (typeof body === 'string' || Buffer.isBuffer(body)) return reply.send(body);
      return reply.send(Readable.from(body));
    }
    case 'error':
      reply.code(outcome.status);
      if (outcome.headers) reply.headers(outcome.headers);
      return reply.header('content-type', JSON_TYPE).send(JSON.stringify(outcome.body));
    case 'timeout':
      return reply.code(408).header('content-type', JSON_TYPE).send(JSON.stringify(outcome.body));
    case 'rejected':
      return reply
        .code(503)
        .header('retry-after', String(outcome.retryAfterSeconds))
        .header('content-type', JSON_TYPE)
        .send(JSON.stringify(outcome.body));
  }
}

/** One entry of a batch reply (a batched CloudEvents request is answered with a JSON array of these). */
export interface BatchEntry {
  id: string;
  status: number;
  /** A JSON result parsed, text as a string, bytes as base64 in `body_base64`, an error's JSON body. */
  body?: unknown;
  body_base64?: string;
}

export async function toBatchEntry(id: string, outcome: Outcome): Promise<BatchEntry> {
  if (outcome.type !== 'result') return { id, status: outcome.status, body: outcome.body };
  const r = outcome.response;
  let body = r.body;
  if (body === null) return { id, status: r.status };
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) body = await readResponseBody(body);
  if (r.kind === 'json' && typeof body === 'string') return { id, status: r.status, body: JSON.parse(body) as unknown };
  if (typeof body === 'string') return { id, status: r.status, body };
  return { id, status: r.status, body_base64: body.toString('base64') };
}
