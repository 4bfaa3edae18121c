import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import { safeHeaderValue } from '../../cloudevents/nats-codec.js';
import { toMsgHdrs } from './message.js';

/**
 * Dead letters: the original message, unchanged (payload and headers, so a CloudEvent keeps its id),
 * published to the dead-letter subject with headers saying why:
 *   Fnkit-Dead-Letter-Reason   what went wrong (the handler's error, a timeout, the decode error)
 *   Fnkit-Dead-Letter-Code     the status (e.g. 500, 408, 400 for a message that cannot be decoded)
 *   Fnkit-Original-Subject     where it was published
 *   Fnkit-Original-Stream / -Sequence / -Consumer, Fnkit-Delivery-Count   (JetStream)
 * When a JetStream stream captures the dead-letter subject the publish waits for the stream's ack, so
 * the dead letter is stored before the original is acknowledged; otherwise it is a core publish,
 * flushed to the server.
 */

export const DEAD_LETTER_HEADERS = {
  reason: 'Fnkit-Dead-Letter-Reason',
  code: 'Fnkit-Dead-Letter-Code',
  subject: 'Fnkit-Original-Subject',
  stream: 'Fnkit-Original-Stream',
  sequence: 'Fnkit-Original-Sequence',
  consumer: 'Fnkit-Original-Consumer',
  deliveries: 'Fnkit-Delivery-Count',
} as const;

export interface DeadLetter {
  subject: string;
  headers: Record<string, string[]>;
  data: Uint8Array;
  reason: string;
  code: number;
  stream?: string;
  sequence?: number;
  consumer?: string;
  deliveries?: number;
}

const PUBLISH_TIMEOUT_MS = 5000;

export class DeadLetterPublisher {
  constructor(
    readonly subject: string,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
  ) {}

  /** Resolves once the dead letter is stored (JetStream) or flushed to the server (core); rejects otherwise. */
  async publish(dl: DeadLetter): Promise<void> {
    const map: Record<string, string | string[]> = {};
    for (const name in dl.headers) {
      if (name.toLowerCase().startsWith('fnkit-')) continue; // a dead letter dead-lettered again says only its latest reason
      map[name] = dl.headers[name]!;
    }
    map[DEAD_LETTER_HEADERS.reason] = safeHeaderValue(dl.reason);
    map[DEAD_LETTER_HEADERS.code] = String(dl.code);
    map[DEAD_LETTER_HEADERS.subject] = dl.subject;
    if (dl.stream !== undefined) map[DEAD_LETTER_HEADERS.stream] = dl.stream;
    if (dl.sequence !== undefined) map[DEAD_LETTER_HEADERS.sequence] = String(dl.sequence);
    if (dl.consumer !== undefined) map[DEAD_LETTER_HEADERS.consumer] = dl.consumer;
    if (dl.deliveries !== undefined) map[DEAD_LETTER_HEADERS.deliveries] = String(dl.deliveries);
    const headers = toMsgHdrs(map);
    try {
      await this.js.publish(this.subject, dl.data, { headers, timeout: PUBLISH_TIMEOUT_MS });
    } catch (err) {
      if (!noStreamListens(err)) throw err;
      this.nc.publish(this.subject, dl.data, { headers });
      await this.nc.flush();
    }
  }
}

/** JetStream answered "no responders": no stream captures the subject, so a core publish is all there is. */
function noStreamListens(err: unknown): boolean {
  const e = err as { name?: string; cause?: { isNoResponders?: () => boolean } };
  return e?.name === 'JetStreamNotEnabled' || e?.cause?.isNoResponders?.() === true;
}
