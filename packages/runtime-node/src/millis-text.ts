/**
 * '000' … '999': the last three digits of a time in milliseconds, looked up instead of formatted. Used
 * where a time is written per request (a plain request's event time, the invocation line's pino time),
 * with the rest of the time kept as text per second.
 */
export const MILLIS: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
