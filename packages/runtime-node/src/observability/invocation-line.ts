import { stdTimeFunctions, symbols, type Logger as PinoLogger } from 'pino';
import { LineBuffer } from './line-buffer.js';
import { MILLIS } from '../millis-text.js';

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

/**
 * The fast writer for `log`, or undefined when `log` was not made by createLogger in JSON format
 * (pretty output, a test's fake logger): the caller then logs through `log.info` as before.
 *
 * Into a LineBuffer with pino's epoch clock (the usual case) the line is three strings handed over
 * as they are (LineBuffer.writeHeld): what comes before the event id (level, time and bindings: made
 * again each millisecond), the event id, and what comes after it (trigger, status, outcome, duration
 * and the end: kept per duration, as durations rounded to the microsecond repeat). The made ones are
 * flattened when made. The event id goes in raw: LineBuffer checks it when the lines are encoded (and
 * quotes it as JSON.stringify does when it must). A template of a dozen parts, with the id checked,
 * flattened, joined and encoded per line, cost ~3x as much.
 */
export function invocationLineWriter(log: unknown): InvocationLineWriter | undefined {
  if (typeof log !== 'object' || log === null) return undefined;
  const destination = fastLoggers.get(log);
  if (destination === undefined) return undefined;
  const pinoLog = log as PinoLogger & Record<symbol, unknown>;
  const lsCache = symbols.lsCacheSym;
  const chindings = symbols.chindingsSym;
  const time = symbols.timeSym;
  const buffer = destination instanceof LineBuffer ? destination : undefined;
  // trigger and outcome come from small fixed sets and usually repeat: their JSON is kept from the last call.
  let lastTrigger = '';
  let triggerJson = '""';
  let lastOutcome = '';
  let outcomeJson = '""';
  let lastStatus = Number.NaN;
  let statusJson = 'null';
  // The held line's two made pieces and what they were made of.
  let front = ''; // {"level":30,"time":<now><bindings>,"eventId":"
  let frontOf: [string, number, string] = ['', -1, ''];
  // pino's time in ms as text: the seconds' digits are kept per second and the last three come from a
  // table, since formatting a 13-digit number (not a small integer to V8) cost ~0.2 µs each millisecond.
  let second = -1;
  let secondText = '';
  let middleOf: [string, string, string] = ['', '', ''];
  // `","trigger":<trigger>,"status":<status>,"outcome":<outcome>,"durationMs":<duration>,"msg":"invocation"}\n`
  // by duration (durations rounded to the microsecond repeat), for the trigger, status and outcome in middleOf:
  // in an array by whole microseconds when the duration is exactly that many thousandths (what the invoker
  // gives) and short, an element load instead of hashing a heap number in a Map; else in the Map.
  let aftersByMicros: (string | undefined)[] = [];
  const afters = new Map<number, string>();
  // pino's level, read on every line from a box that pino's 'level-change' keeps current (see levelBox).
  const levelNow = levelBox(pinoLog);
  // What the line takes from the logger (level prefix, bindings, clock), read once per millisecond on the
  // fast path: a change (setBindings, a different clock) shows from the next millisecond's lines on.
  let readAt = Number.NaN;
  let prefix = '';
  let bound = '';
  let fast = false;
  return (eventId, trigger, status, outcome, durationMs) => {
    if (levelNow.value > INFO) return;
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
    if (buffer !== undefined) {
      const now = Date.now();
      if (now !== readAt) {
        readAt = now;
        prefix = (pinoLog[lsCache] as Record<number, string>)[INFO]!;
        bound = pinoLog[chindings] as string;
        fast = pinoLog[time] === stdTimeFunctions.epochTime;
      }
      if (fast) {
        if (now !== frontOf[1] || prefix !== frontOf[0] || bound !== frontOf[2]) {
          frontOf = [prefix, now, bound];
          const s = Math.floor(now / 1000);
          if (s !== second) {
            second = s;
            secondText = s > 0 ? `${s}` : '';
          }
          const nowText = s > 0 ? `${secondText}${MILLIS[now - s * 1000]!}` : `${now}`;
          front = flattened(`${prefix},"time":${nowText}${bound},"eventId":"`);
        }
        if (triggerJson !== middleOf[0] || statusJson !== middleOf[1] || outcomeJson !== middleOf[2]) {
          middleOf = [triggerJson, statusJson, outcomeJson];
          aftersByMicros = [];
          afters.clear();
        }
        const micros = Math.round(durationMs * 1000);
        let after: string | undefined;
        if (micros >= 0 && micros < MICROS_CACHED && micros / 1000 === durationMs) {
          after = aftersByMicros[micros];
          if (after === undefined) {
            after = afterText(triggerJson, statusJson, outcomeJson, durationMs);
            aftersByMicros[micros] = after;
          }
        } else {
          after = afters.get(durationMs);
          if (after === undefined) {
            if (afters.size >= 1024) afters.clear();
            after = afterText(triggerJson, statusJson, outcomeJson, durationMs);
            afters.set(durationMs, after);
          }
        }
        buffer.writeHeld(front, eventId, after);
        return;
      }
    }
    // Any other destination or clock: everything read from the logger for this line.
    const timeOf = pinoLog[time] as () => string;
    const linePrefix = (pinoLog[lsCache] as Record<number, string>)[INFO]!;
    const lineBound = pinoLog[chindings] as string;
    destination.write(
      `${linePrefix}${timeOf()}${lineBound},"eventId":${jsonString(eventId)},"trigger":${triggerJson},"status":${statusJson},"outcome":${outcomeJson},"durationMs":${jsonNumber(durationMs)}${MSG}`,
    );
  };
}

const levels = new WeakMap<object, { value: number }>();

/**
 * The logger's level value, kept current by pino's 'level-change' event (one listener per logger, whatever
 * the number of writers): reading pino's symbol-keyed field from the logger on every line cost more than
 * the rest of the level check.
 */
function levelBox(log: PinoLogger & Record<symbol, unknown>): { value: number } {
  let box = levels.get(log);
  if (box === undefined) {
    const levelVal = symbols.levelValSym;
    const made = { value: log[levelVal] as number };
    log.on('level-change', () => {
      made.value = log[levelVal] as number;
    });
    levels.set(log, made);
    box = made;
  }
  return box;
}

/**
 * Durations under this many microseconds have their line's end kept in an array (below V8's gap limit for
 * fast elements: an array written at a higher index first turns into a dictionary). Longer invocations
 * are rare enough on a busy server for the Map to do.
 */
const MICROS_CACHED = 1024;

function afterText(triggerJson: string, statusJson: string, outcomeJson: string, durationMs: number): string {
  return flattened(`","trigger":${triggerJson},"status":${statusJson},"outcome":${outcomeJson},"durationMs":${jsonNumber(durationMs)}${MSG}`);
}

// Printable ASCII without `"` or `\`: such a string is its own JSON body. A regular expression is
// ~2x faster than a charCodeAt loop here (V8 compiles it to native code), and ~3x faster than JSON.stringify.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** JSON.stringify(s), with a quick path for the usual case: short printable ASCII without `"` or `\`. */
export function jsonString(s: string): string {
  return s.length <= 128 && PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** Where flattened() stores what it read, so that the compiler keeps the read. */
let flatRead = 0;

/**
 * `s`, flattened in place: V8 keeps a string built by concatenation as a tree of its parts until its
 * characters are needed in one piece, as reading it as a number does.
 */
function flattened(s: string): string {
  flatRead = Number(s);
  return s;
}

/** As pino writes numbers: finite ones as JSON does, anything else as null. */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? `${n}` : 'null';
}
