import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';

/** NATS headers → name (case kept) → values, as the codec and NatsTrigger.headers take them. */
export function headersOf(h: MsgHdrs | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (h === undefined) return out;
  for (const k of h.keys()) out[k] = h.values(k);
  return out;
}

const HEADER_NAME = /^[!-9;-~]+$/; // printable ASCII without ':' or space, as the NATS client requires

/** A plain name → value(s) map → NATS headers; names the client would reject and CR/LF in values are dropped/flattened. */
export function toMsgHdrs(map: Record<string, string | string[]>): MsgHdrs {
  const h = natsHeaders();
  for (const name in map) {
    if (!HEADER_NAME.test(name)) continue;
    const v = map[name]!;
    for (const value of Array.isArray(v) ? v : [v]) h.append(name, value.replace(/[\r\n]+/g, ' '));
  }
  return h;
}

/** Why a payload is too large to hand to the function, or undefined when it is not. */
export function oversize(data: Uint8Array, maxBytes: number): string | undefined {
  return data.byteLength > maxBytes ? `the message payload is ${data.byteLength} bytes, more than --nats-max-message-size (${maxBytes} bytes)` : undefined;
}
