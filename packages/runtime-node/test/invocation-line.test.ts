import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { createEvent } from '@fnkit/sdk';
import { invocationLineWriter, jsonString, registerFastDestination } from '../src/observability/invocation-line.js';
import { FunctionInvoker } from '../src/invoker/invoker.js';
import { InProcessRunner } from '../src/invoker/runner.js';
import { RuntimeMetrics } from '../src/observability/metrics.js';
import { LineBuffer } from '../src/observability/line-buffer.js';

const dirs: string[] = [];
/** A LineBuffer on a temporary file, and the file's text. */
function fileBuffer(options: { maxBytes?: number } = {}): { buffer: LineBuffer; read: () => string; close: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fnkit-line-'));
  dirs.push(dir);
  const path = join(dir, 'out.log');
  const fd = openSync(path, 'w');
  return { buffer: new LineBuffer(fd, { maxDelayMs: 60_000, ...options }), read: () => readFileSync(path, 'utf8'), close: () => closeSync(fd) };
}
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function capture(): { lines: string[]; write: (line: string) => boolean } {
  const lines: string[] = [];
  return { lines, write: (line: string) => (lines.push(line), true) };
}

// A fixed clock, so pino's line and the hand-written one can be compared byte for byte.
const fixedTime = () => ',"time":1795466081965';

const EVENT_IDS = [
  'bench-kafka-2-0',
  'a"quoted"\\id',
  'tab\there\nnewline\u0000nul\u001f',
  'ünïcödé ✓ 日本',
  'a pair \ud83d\ude00',
  '\u007f\u0080\u2028\u2029',
  'x'.repeat(300),
  '',
];

describe('the hand-written invocation line', () => {
  it('is byte for byte the line pino writes for the same fields', () => {
    const viaPino = capture();
    const viaFast = capture();
    const reference = pino({ level: 'info', base: { function: 'my "fn"' }, timestamp: fixedTime }, viaPino);
    const fast = pino({ level: 'info', base: { function: 'my "fn"' }, timestamp: fixedTime }, viaFast);
    registerFastDestination(fast, viaFast);
    const write = invocationLineWriter(fast)!;
    expect(write).toBeTypeOf('function');
    const durations = [0, 0.077, 3.217, 12345.678, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 5e-7];
    for (const eventId of EVENT_IDS) {
      for (const durationMs of durations) {
        reference.info({ eventId, trigger: 'kafka', status: 204, outcome: 'success', durationMs }, 'invocation');
        write(eventId, 'kafka', 204, 'success', durationMs);
      }
    }
    expect(viaFast.lines).toEqual(viaPino.lines);
    for (const line of viaFast.lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('honours the logger level, also when it changes at run time', () => {
    const out = capture();
    const log = pino({ level: 'warn', base: { function: 'f' } }, out);
    registerFastDestination(log, out);
    const write = invocationLineWriter(log)!;
    write('e1', 'http', 200, 'success', 1);
    expect(out.lines).toEqual([]);
    log.level = 'debug';
    write('e2', 'http', 200, 'success', 1);
    expect(out.lines).toHaveLength(1);
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ level: 30, function: 'f', eventId: 'e2', msg: 'invocation' });
  });

  it('is not used for a logger createLogger did not register (pretty output, fakes)', () => {
    expect(invocationLineWriter(pino({}, capture()))).toBeUndefined();
    expect(invocationLineWriter(undefined)).toBeUndefined();
  });

  it('quotes strings as JSON.stringify does', () => {
    for (const s of EVENT_IDS) expect(jsonString(s)).toBe(JSON.stringify(s));
  });

  it('escapes a lone surrogate (pino writes it raw, which becomes U+FFFD in UTF-8): the one deliberate difference', () => {
    const out = capture();
    const log = pino({ base: { function: 'f' } }, out);
    registerFastDestination(log, out);
    invocationLineWriter(log)!('lone \ud800 surrogate', 'http', 200, 'success', 1);
    expect(out.lines[0]).toContain('"eventId":"lone \\ud800 surrogate"');
    expect((JSON.parse(out.lines[0]!) as { eventId: string }).eventId).toBe('lone \ud800 surrogate');
  });

  it('is what the invoker writes for a successful invocation', async () => {
    const out = capture();
    const log = pino({ base: { function: 'f' }, timestamp: fixedTime }, out);
    registerFastDestination(log, out);
    const runner = new InProcessRunner(() => ({ ok: true }), { functionName: 'f', handlerName: 'handler', runtime: 'nodejs20', memoryLimit: undefined, timeoutMs: 1000, log });
    const invoker = new FunctionInvoker({ concurrency: 0, queueSize: 0, runner, metrics: new RuntimeMetrics('f'), log });
    const event = createEvent({ specversion: '1.0', id: 'id-"1"', source: '/s', type: 't' }, { kind: 'cron', schedule: '* * * * *', scheduledTime: '2026-01-01T00:00:00Z' } as never);
    const outcome = await invoker.invoke(event, { admission: 'wait' });
    expect(outcome.type).toBe('result');
    expect(out.lines).toHaveLength(1);
    const line = JSON.parse(out.lines[0]!) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(['level', 'time', 'function', 'eventId', 'trigger', 'status', 'outcome', 'durationMs', 'msg']);
    expect(line).toMatchObject({ level: 30, time: 1795466081965, function: 'f', eventId: 'id-"1"', trigger: 'cron', status: 200, outcome: 'success', msg: 'invocation' });
  });

  it('serialised straight into a LineBuffer (pino\'s own clock), is byte for byte what pino writes there', () => {
    let clock = 1795466081965; // pino and the fast line read the same clock; it moves every few lines
    vi.spyOn(Date, 'now').mockImplementation(() => clock);
    const viaPino = fileBuffer();
    const viaFast = fileBuffer({ maxBytes: 2000 }); // a small buffer: some lines go out on a full buffer
    for (const base of [{ function: 'my "fn"' }, { function: 'ünïcödé ✓' }]) {
      const reference = pino({ level: 'info', base }, viaPino.buffer);
      const fast = pino({ level: 'info', base }, viaFast.buffer);
      registerFastDestination(fast, viaFast.buffer);
      const write = invocationLineWriter(fast)!;
      const durations = [0, 0.013, 3.217, 12345.678, 2 ** 53, -0, -1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 5e-7, -1.2345678901234567e-308];
      for (const eventId of [...EVENT_IDS, 'bench-kafka-mwtq4qbf-07bd20-3-123456', 'x'.repeat(5000)]) {
        for (const [i, durationMs] of durations.entries()) {
          const status = [204, 200, 0, 599.5, -1][i % 5]!;
          const outcome = i % 3 === 0 ? 'success' : 'client_error';
          const trigger = i % 2 === 0 ? 'kafka' : 'http';
          if (i % 4 === 0) clock += 3;
          reference.info({ eventId, trigger, status, outcome, durationMs }, 'invocation');
          write(eventId, trigger, status, outcome, durationMs);
        }
      }
    }
    viaPino.buffer.flushSync();
    viaFast.buffer.flushSync();
    const expected = viaPino.read();
    expect(expected.split('\n')).toHaveLength(2 * (EVENT_IDS.length + 2) * 12 + 1);
    expect(viaFast.read()).toBe(expected);
    viaPino.close();
    viaFast.close();
  });

  it('into a LineBuffer, picks up the logger\'s new bindings and level from the next millisecond on', () => {
    let clock = 1795466081965;
    vi.spyOn(Date, 'now').mockImplementation(() => clock);
    const out = fileBuffer();
    const log = pino({ level: 'info', base: { function: 'f' } }, out.buffer);
    registerFastDestination(log, out.buffer);
    const write = invocationLineWriter(log)!;
    write('e1', 'http', 200, 'success', 1);
    log.setBindings({ region: 'eu' });
    clock += 1;
    write('e2', 'http', 200, 'success', 1);
    log.level = 'warn';
    write('e3', 'http', 200, 'success', 1); // below the level now: not written, in the same millisecond too
    out.buffer.flushSync();
    const lines = out.read().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.eventId)).toEqual(['e1', 'e2']);
    expect(lines[0]).not.toHaveProperty('region');
    expect(lines[1]).toMatchObject({ function: 'f', region: 'eu', time: clock });
    out.close();
  });

  it('keeps its place among pino\'s other lines in the same LineBuffer, and goes out with a warning', () => {
    const out = fileBuffer();
    const log = pino({ level: 'info', base: { function: 'f' } }, out.buffer);
    registerFastDestination(log, out.buffer);
    const write = invocationLineWriter(log)!;
    log.info('first');
    write('e1', 'kafka', 204, 'success', 0.5);
    log.info({ n: 2 }, 'second');
    write('e2', 'kafka', 204, 'success', 1);
    expect(out.read()).toBe('');
    log.warn('third');
    const lines = out.read().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.msg)).toEqual(['first', 'invocation', 'second', 'invocation', 'third']);
    expect(lines[1]).toMatchObject({ level: 30, function: 'f', eventId: 'e1', trigger: 'kafka', status: 204, outcome: 'success', durationMs: 0.5 });
    expect(lines[1]!.time).toBeTypeOf('number');
    out.close();
  });
});
