import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '@fnkit/sdk';
import { LoopStallReporter, STALL_CHECK_MS } from '../src/isolation/loop-stall-reporter.js';

const lines: { obj: Record<string, unknown>; msg: string }[] = [];
const log = {
  error: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }),
} as unknown as Logger;
let reporter: LoopStallReporter | undefined;

afterEach(() => {
  reporter?.stop();
  lines.length = 0;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* blocks the event loop */ }
}

describe('LoopStallReporter', () => {
  it('says nothing while the loop turns', async () => {
    reporter = new LoopStallReporter(150, log);
    await sleep(STALL_CHECK_MS * 4);
    expect(lines).toEqual([]);
  });

  it('reports a block longer than the timeout once it is over, with how long it lasted (at least)', async () => {
    reporter = new LoopStallReporter(150, log);
    await sleep(STALL_CHECK_MS + 20);
    spin(450);
    expect(lines).toEqual([]);
    await sleep(STALL_CHECK_MS * 2);
    expect(lines).toHaveLength(1);
    const { obj, msg } = lines[0]!;
    expect(obj.timeoutMs).toBe(150);
    expect(obj.blockedMs).toBeGreaterThan(150);
    expect(obj.blockedMs).toBeLessThanOrEqual(450);
    expect(msg).toContain(`blocked for at least ${String(obj.blockedMs)} ms (longer than the function timeout of 150 ms)`);
    expect(msg).toContain('FNKIT_ISOLATION=worker');
  });

  it('does not report a block shorter than the timeout', async () => {
    reporter = new LoopStallReporter(1000, log);
    await sleep(STALL_CHECK_MS + 20);
    spin(300);
    await sleep(STALL_CHECK_MS * 2);
    expect(lines).toEqual([]);
  });

  it('stops', async () => {
    reporter = new LoopStallReporter(150, log);
    reporter.stop();
    spin(400);
    await sleep(STALL_CHECK_MS * 2);
    expect(lines).toEqual([]);
  });
});
