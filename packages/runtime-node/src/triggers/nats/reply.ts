import { readResponseBody, type Outcome } from '@fnkit/sdk';
import type { MsgHdrs } from '@nats-io/transport-node';
import { encodeNatsBinaryHeaders, safeHeaderValue } from '../../cloudevents/nats-codec.js';
import { describeFailure, isSuccess } from '../../contracts.js';
import { toMsgHdrs } from './message.js';

/**
 * The reply to a NATS request (a core message with a reply subject), from the handler's outcome:
 * - success: the result's body as the payload, its `Content-Type` (and other headers) as NATS
 *   headers; a returned CloudEvent goes back in binary mode (`ce-*` headers, `ce-datacontenttype`).
 * - failure: the error headers NATS services use, `Nats-Service-Error` (the public error message, as
 *   HTTP would answer it: a 5xx says only e.g. "Internal Server Error") and
 *   `Nats-Service-Error-Code` (the status, e.g. 500, 408, 400), with a JSON body
 *   `{ error, status, eventId }`; a result with status >= 400 keeps its own body and content type.
 */

export const SERVICE_ERROR = 'Nats-Service-Error';
export const SERVICE_ERROR_CODE = 'Nats-Service-Error-Code';
const JSON_TYPE = 'application/json';

export interface NatsReply {
  headers: MsgHdrs;
  body: Uint8Array;
}

export async function replyFor(outcome: Outcome): Promise<NatsReply> {
  if (outcome.type === 'result') {
    const r = outcome.response;
    const body = await readResponseBody(r.body);
    const map: Record<string, string | string[]> = {};
    for (const name in r.headers) {
      const v = r.headers[name];
      if (v !== undefined) map[name === 'content-type' ? 'Content-Type' : name] = v;
    }
    if (r.cloudEvent) {
      const ct = typeof r.headers['content-type'] === 'string' ? r.headers['content-type'] : undefined;
      Object.assign(map, encodeNatsBinaryHeaders(r.cloudEvent, ct));
    }
    if (!isSuccess(outcome)) {
      map[SERVICE_ERROR] = safeHeaderValue(describeFailure(outcome));
      map[SERVICE_ERROR_CODE] = String(r.status);
    }
    return { headers: toMsgHdrs(map), body };
  }
  // The public message only (as HTTP answers): a 5xx's own error message and stack stay in the logs.
  return errorReply(outcome.status, outcome.body.error, JSON.stringify(outcome.body));
}

/** A failure reply: service error headers and a JSON body. */
export function errorReply(status: number, reason: string, jsonBody?: string): NatsReply {
  const body = jsonBody ?? JSON.stringify({ error: reason, status });
  return {
    headers: toMsgHdrs({ [SERVICE_ERROR]: safeHeaderValue(reason), [SERVICE_ERROR_CODE]: String(status), 'Content-Type': JSON_TYPE }),
    body: Buffer.from(body),
  };
}

/** The status an outcome stands for (a result's own status, or the error's). */
export function statusOf(outcome: Outcome): number {
  return outcome.type === 'result' ? outcome.response.status : outcome.status;
}
