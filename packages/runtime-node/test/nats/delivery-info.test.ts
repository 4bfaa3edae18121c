import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { JsMsg } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { DeliveryInfoReader } from '../../src/triggers/nats/delivery-info.js';

// The client's own reply-subject parser (what m.info uses), by path: the package does not export it.
const require = createRequire(import.meta.url);
const { parseInfo } = require(join(dirname(require.resolve('@nats-io/jetstream')), 'jsmsg.js')) as {
  parseInfo(reply: string): { stream: string; consumer: string; streamSequence: number; deliveryCount: number; timestampNanos: number; pending: number };
};

/** A message as the adapter sees it: the reply subject, and m.info as the client reads it. */
function msg(reply: string): JsMsg {
  return {
    reply,
    get info() {
      return parseInfo(reply);
    },
  } as unknown as JsMsg;
}

/** What the adapter made of m.info before the reader: the codec's NatsJetStreamInfo and pending. */
function expected(reply: string) {
  const i = parseInfo(reply);
  return {
    info: { stream: i.stream, consumer: i.consumer, streamSequence: i.streamSequence, deliveryCount: i.deliveryCount, time: new Date(Math.floor(i.timestampNanos / 1e6)).toISOString() },
    pending: i.pending,
  };
}

function read(reader: DeliveryInfoReader, reply: string) {
  const info = reader.read(msg(reply));
  return { info, pending: reader.pending };
}

const SHORT = (d: number, seq: number, ts: string, pending: number) => `$JS.ACK.ORDERS.fn.${d}.${seq}.${seq + 7}.${ts}.${pending}`;
const LONG = (d: number, seq: number, ts: string, pending: number, token = '.Kq3Xz') => `$JS.ACK._.ACCOUNTHASH.ORDERS.fn.${d}.${seq}.${seq + 7}.${ts}.${pending}${token}`;

describe('DeliveryInfoReader', () => {
  it('reads what m.info gives, for the short and the long reply subject, message after message', () => {
    const reader = new DeliveryInfoReader();
    const replies = [
      SHORT(1, 1, '1732410000123456789', 99),
      SHORT(1, 2, '1732410000123999999', 98), // same millisecond: the time string is reused
      SHORT(3, 3, '1732410000124000000', 0), // the next millisecond
      SHORT(1, 2 ** 40, '1732410000999999999', 2 ** 33),
      LONG(1, 4, '1732410001000000001', 5),
      LONG(2, 5, '1732410001000000002', 4, ''), // 11 tokens
      LONG(1, 6, '1732410001000000003', 3, '.a.b'),
      SHORT(1, 7, '1732410002000000000', 2), // back to the short form
      '$JS.ACK.OTHER.durable_2.1.8.15.1732410003000000000.1', // another consumer
    ];
    for (const r of replies) expect(read(reader, r)).toEqual(expected(r));
  });

  it('reads timestamps at millisecond edges as m.info does (the same parseInt, the same rounding)', () => {
    const reader = new DeliveryInfoReader();
    for (const ts of ['1732410000123999999', '1732410000124000000', '999999', '0', '1732410000123999872', '9007199254740993000']) {
      const r = SHORT(1, 1, ts, 0);
      expect(read(reader, r)).toEqual(expected(r));
    }
  });

  it('leaves any other subject to m.info: same values, or the same error', () => {
    const reader = new DeliveryInfoReader();
    read(reader, SHORT(1, 1, '1732410000123456789', 1)); // learn the prefix first
    for (const r of [
      '$JS.ACK.ORDERS.fn.x.2.9.1732410000123456789.1', // not a number: m.info gives NaN
      '$JS.ACK.ORDERS.fn.1.2.9.1732410000123456789.', // empty pending
      `$JS.ACK.ORDERS.fn.1.${'9'.repeat(17)}.9.1732410000123456789.1`, // beyond 2^53
    ]) {
      expect(read(reader, r)).toEqual(expected(r));
    }
    // Not a reply subject of either form (ten tokens: the short form has nine, the long one eleven or more).
    for (const r of ['', 'reply.inbox.1', '$JS.ACK.ORDERS.fn.1.2.3', '$JS.ACK.ORDERS.fn.1.2.9.1732410000123456789.1.extra']) {
      expect(() => reader.read(msg(r))).toThrow(/not a jetstream message/);
    }
  });
});
