import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { LineBuffer } from '../src/observability/line-buffer.js';

const dirs: string[] = [];
function tempFile(): { fd: number; read: () => string } {
  const dir = mkdtempSync(join(tmpdir(), 'fnkit-lines-'));
  dirs.push(dir);
  const path = join(dir, 'out.log');
  const fd = openSync(path, 'w');
  return { fd, read: () => readFileSync(path, 'utf8') };
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('LineBuffer (the JSON log destination)', () => {
  it('holds info lines, writes them on flush, in order, each a complete pino JSON line', () => {
    const { fd, read } = tempFile();
    const log = pino({ base: { function: 'f' } }, new LineBuffer(fd, { maxDelayMs: 60_000 }));
    for (let i = 0; i < 3; i++) log.info({ eventId: `e${i}`, status: 200 }, 'invocation');
    expect(read()).toBe('');
    log.flush();
    const lines = read().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.eventId)).toEqual(['e0', 'e1', 'e2']);
    expect(lines[0]).toMatchObject({ level: 30, function: 'f', status: 200, msg: 'invocation' });
    closeSync(fd);
  });

  it('writes at once when maxBytes have gathered, and for a warn or error line', () => {
    const { fd, read } = tempFile();
    const log = pino({}, new LineBuffer(fd, { maxBytes: 1000, maxDelayMs: 60_000 }));
    log.info('a');
    expect(read()).toBe('');
    log.warn('b');
    expect(read()).toMatch(/"msg":"a".*\n.*"msg":"b"/s);
    for (let i = 0; i < 20; i++) log.info({ pad: 'x'.repeat(40) }, `line ${i}`);
    expect(read().split('\n').length).toBeGreaterThan(10);
    log.error('c');
    expect(read().trim().split('\n').at(-1)).toContain('"msg":"c"');
    closeSync(fd);
  });

  it('writes held lines maxDelayMs after the first one', async () => {
    const { fd, read } = tempFile();
    const log = pino({}, new LineBuffer(fd, { maxDelayMs: 20 }));
    log.info('later');
    expect(read()).toBe('');
    const until = Date.now() + 10_000;
    while (read() === '' && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(read()).toContain('"msg":"later"');
    closeSync(fd);
  });

  it('drops lines without throwing when the descriptor is closed', () => {
    const { fd } = tempFile();
    closeSync(fd);
    const dest = new LineBuffer(fd, { maxDelayMs: 60_000 });
    dest.write('{"level":30,"msg":"x"}\n');
    expect(() => dest.flushSync()).not.toThrow();
  });

  it('writes a line longer than its buffer on its own, after the pending ones, and counts bytes, not characters', () => {
    const { fd, read } = tempFile();
    const dest = new LineBuffer(fd, { maxBytes: 100, maxDelayMs: 60_000 });
    dest.write('{"level":30,"msg":"ü✓"}\n');
    const long = `{"level":30,"msg":"${'日'.repeat(3000)}"}\n`; // 9000 bytes: more than the buffer holds
    dest.write(long);
    dest.write('{"level":30,"msg":"after"}\n');
    expect(read()).toBe(`{"level":30,"msg":"ü✓"}\n${long}`);
    dest.flushSync();
    expect(read()).toBe(`{"level":30,"msg":"ü✓"}\n${long}{"level":30,"msg":"after"}\n`);
    closeSync(fd);
  });

  it('keeps held lines (writeHeld) in their place among the others, and writes them with the rest', () => {
    const { fd, read } = tempFile();
    const dest = new LineBuffer(fd, { maxBytes: 140, maxDelayMs: 60_000 });
    const held = (id: string) => dest.writeHeld('{"level":30,"id":"', id, '"}\n');
    dest.write('{"level":30,"msg":"ü"}\n');
    held('held-1');
    dest.write('{"level":30,"msg":"✓"}\n');
    held('held-2');
    expect(read()).toBe('');
    held('held-3'); // 76 bytes and 54 held characters: not yet maxBytes
    expect(read()).toBe('');
    held('held-4'); // 157: written
    expect(read()).toBe('{"level":30,"msg":"ü"}\n{"level":30,"id":"held-1"}\n{"level":30,"msg":"✓"}\n{"level":30,"id":"held-2"}\n{"level":30,"id":"held-3"}\n{"level":30,"id":"held-4"}\n');
    closeSync(fd);
  });

  it('quotes a held value as JSON.stringify does when it needs it, whatever else the lines hold', () => {
    const values = ['plain-1', 'a"quote', 'back\\slash', 'tab\there', 'nul\u0000', 'ünïcödé ✓', 'pair \ud83d\ude00', 'lone \ud800', '\u007f\u2028', 'x'.repeat(LineBuffer.HELD_LINE_MAX), 'y"'.repeat(3000)];
    for (const [fn, each] of [['f', true], ['f', false], ['fünction', true], ['fünction', false]] as const) {
      const { fd, read } = tempFile();
      const dest = new LineBuffer(fd, { maxBytes: 300, maxDelayMs: 60_000 });
      const expected: string[] = [];
      for (const value of values) {
        const head = `{"level":30,"fn":"${fn}","eventId":"`;
        dest.writeHeld(head, value, '","n":1}\n');
        expected.push(`{"level":30,"fn":"${fn}","eventId":${JSON.stringify(value)},"n":1}\n`);
        if (each) dest.flushSync(); // each value checked alone, or all of them together
        if (value === 'tab\there') dest.write('{"level":40,"msg":"warn"}\n'); // a pino line between held ones: written at once, after them
        if (value === 'tab\there') expected.push('{"level":40,"msg":"warn"}\n');
      }
      dest.flushSync();
      expect(read()).toBe(expected.join(''));
      for (const line of read().trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
      closeSync(fd);
    }
  });
});
