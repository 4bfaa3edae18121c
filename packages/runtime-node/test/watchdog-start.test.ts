import { createServer, request, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { deferUntilFirstRequest } from '../src/server/runtime.js';

// When fn-run starts the stall watchdog's thread (isolation off, no init, no trigger): after the first request.

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

function listen(): Promise<number> {
  server = createServer((_req, res) => res.end('ok'));
  return new Promise((resolve) => server!.listen(0, '127.0.0.1', () => resolve((server!.address() as { port: number }).port)));
}

function get(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, agent: false }, (res) => res.resume().on('end', resolve)).once('error', reject).end();
  });
}

describe('deferUntilFirstRequest', () => {
  it('starts right after the first request has been handled, once', async () => {
    const port = await listen();
    const calls: string[] = [];
    server!.on('request', () => calls.push('request'));
    deferUntilFirstRequest(server!, 60_000, () => calls.push('start'));
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([]);
    await get(port);
    await get(port);
    expect(calls).toEqual(['request', 'start', 'request']);
    expect(server!.listenerCount('request')).toBe(2);
  });

  it('starts after the delay when no request comes', async () => {
    await listen();
    let started = 0;
    deferUntilFirstRequest(server!, 30, () => started++);
    await new Promise((r) => setTimeout(r, 80));
    expect(started).toBe(1);
    expect(server!.listenerCount('request')).toBe(1);
  });

  it('never starts once cancelled (shutdown before the first request)', async () => {
    const port = await listen();
    let started = 0;
    deferUntilFirstRequest(server!, 30, () => started++).cancel();
    await get(port);
    await new Promise((r) => setTimeout(r, 80));
    expect(started).toBe(0);
  });
});
