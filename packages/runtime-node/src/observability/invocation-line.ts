import { stdTimeFunctions, symbols, type Logger as PinoLogger } from 'pino';
import { LineBuffer } from './line-buffer.js';

/**
 * The per-invocation `info` line ("invocation"), written without going through pino's generic
 * serialiser. Written by hand on purpose: it is the one log line fnkit writes on every invocation
 * of every trigger, and through pino it cost ~2 µs of CPU per invocation (property walk, serializer
 * and stringifier lookups per key, a hasOwnProperty per key), close to a third of fn-run's own cost
 * per Kafka record. Its fields are fixed (five, of known types), so the line is one string template.
 *
 * The line is byte for byte what `log.info({ eventId, trigger, status, outcome, durationMs }, 'invocation')`
 * produces with the logger made by createLogger (JSON format): pino's own level/time prefix and
 * bindings (read from the logger, so a different base or level is honoured), then the fields in
 * that order, then `"msg"`. One deliberate difference: a lone UTF-16 surrogate in eventId is escaped
 * (`\ud800`, as JSON.stringify does) where pino writes it raw (it then reaches stdout as U+FFFD). It goes to the same destination (the LineBuffer), so ordering with
 * pino's other lines is kept. pino's level is checked on every call (it may change at run time).
 */
export type InvocationLineWriter = (eventId: string, trigger: string, status: number, outcome: string, durationMs: number) => void;

interface Destination {
  write(line: string): unknown;
}

const fastLoggers = new WeakMap<object, Destination>();

/** createLogger registers its JSON loggers here; only those get the fast line. */
export function registerFastDestination(log: PinoLogger, destination: Destination): void {
  fastLoggers.set(log, destination);
}

const INFO = 30;
const MSG = ',"msg":"invocation"}\n';
const ASCII = /^[\x00-\x7f]*$/;

/**
 * The fast writer for `log`, or undefined when `log` was not made by createLogger in JSON format
 * (pretty output, a test's fake logger): the caller then logs through `log.info` as before.
 *
 * Into a LineBuffer, with pino's epoch clock and ASCII bindings (the usual case), the line is six
 * pieces: three made again only when what they hold changes (the level and time, once per millisecond;
 * the bindings; trigger, status and outcome), the event id, the duration and the end. It is handed over
 * as ASCII (LineBuffer.writeAscii: no UTF-8 encoding, no flattening per line). A template of a dozen
 * parts, flattened, joined and encoded as UTF-8 per line, cost about three times as much.
 */
export function invocationLineWriter(log: unknown): InvocationLineWriter | undefined {
  if (typeof log !== 'object' || log === null) return undefined;
  const destination = fastLoggers.get(log);
  if (destination === undefined) return undefined;
  const pinoLog = log as PinoLogger & Record<symbol, unknown>;
  const levelVal = symbols.levelValSym;
  const lsCache = symbols.lsCacheSym;
  const chindings = symbols.chindingsSym;
  const time = symbols.timeSym;
  const ascii = destination instanceof LineBuffer ? destination : undefined;
  // trigger and outcome come from small fixed sets and usually repeat: their JSON is kept from the last call.
  let lastTrigger = '';
  let triggerJson = '""';
  let lastOutcome = '';
  let outcomeJson = '""';
  let lastStatus = Number.NaN;
  let statusJson = 'null';
  // The ASCII line's pieces, made again when what they are made of changes (`undefined`: not all ASCII):
  // `{"level":30,"time":<now>` (again each millisecond), `<bindings>,"eventId":"`, and
  // `","trigger":<trigger>,"status":<status>,"outcome":<outcome>,"durationMs":`.
  let headOf: string | undefined;
  let head: string | undefined;
  let lastNow = -1;
  let headNow = '';
  let bindingsOf: string | undefined;
  let bindings: string | undefined;
  let middleOf: [string, string, string] = ['', '', ''];
  let middle: string | undefined;
  return (eventId, trigger, status, outcome, durationMs) => {
    if ((pinoLog[levelVal] as number) > INFO) return;
    if (trigger !== lastTrigger) {
      lastTrigger = trigger;
      triggerJson = jsonString(trigger);
    }
    if (outcome !== lastOutcome) {
      lastOutcome = outcome;
      outcomeJson = jsonString(outcome);
    }
    if (status !== lastStatus) {
      lastStatus = status;
      statusJson = jsonNumber(status);
    }
    const prefix = (pinoLog[lsCache] as Record<number, string>)[INFO]!;
    const bound = pinoLog[chindings] as string;
    const timeOf = pinoLog[time] as () => string;
    if (ascii !== undefined && timeOf === stdTimeFunctions.epochTime && eventId.length <= 128 && PLAIN.test(eventId)) {
      const now = Date.now();
      if (prefix !== headOf) {
        headOf = prefix;
        head = asciiOrUndefined(`${prefix},"time":`);
        lastNow = -1;
      }
      if (now !== lastNow) {
        lastNow = now;
        headNow = `${head}${now}`;
      }
      if (bound !== bindingsOf) {
        bindingsOf = bound;
        bindings = asciiOrUndefined(`${bound},"eventId":"`);
      }
      if (triggerJson !== middleOf[0] || statusJson !== middleOf[1] || outcomeJson !== middleOf[2]) {
        middleOf = [triggerJson, statusJson, outcomeJson];
        middle = asciiOrUndefined(`","trigger":${triggerJson},"status":${statusJson},"outcome":${outcomeJson},"durationMs":`);
      }
      if (head !== undefined && bindings !== undefined && middle !== undefined) {
        ascii.writeAscii(`${headNow}${bindings}${eventId}${middle}${jsonNumber(durationMs)}${MSG}`);
        return;
      }
    }
    destination.write(
      `${prefix}${timeOf()}${bound},"eventId":${jsonString(eventId)},"trigger":${triggerJson},"status":${statusJson},"outcome":${outcomeJson},"durationMs":${jsonNumber(durationMs)}${MSG}`,
    );
  };
}

function asciiOrUndefined(s: string): string | undefined {
  return ASCII.test(s) ? s : undefined;
}

// Printable ASCII without `"` or `\`: such a string is its own JSON body. A regular expression is
// ~2x faster than a charCodeAt loop here (V8 compiles it to native code), and ~3x faster than JSON.stringify.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** JSON.stringify(s), with a quick path for the usual case: short printable ASCII without `"` or `\`. */
export function jsonString(s: string): string {
  return s.length <= 128 && PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** As pino writes numbers: finite ones as JSON does, anything else as null. */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? `${n}` : 'null';
}
