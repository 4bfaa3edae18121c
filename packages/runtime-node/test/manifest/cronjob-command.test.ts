import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as trigger } from '../../src/commands/trigger.js';
import { find, HANDLER, ManifestFixture } from './fixtures.js';

/**
 * The generated CronJob's command, run for real: its container args go to `fn-run trigger` unchanged
 * except for the target, which points at a local HTTP server standing in for the function's Service.
 */

const fx = new ManifestFixture();
const dir = fx.dir({ 'handler.ts': HANDLER }, 'sweeper');
let status = 200;
const received: { req: IncomingMessage; body: string }[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    received.push({ req, body });
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  });
});
let url = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fx.cleanup();
});

function cronJobArgs(extra: string[]): string[] {
  const job = find(fx.objects([dir, '--cron', 'sweep=*/5 * * * *', '--cron-data', '{"job":"sweep"}', ...extra]), 'CronJob', 'sweeper-cron');
  const args: string[] = [...job.spec.jobTemplate.spec.template.spec.containers[0].args];
  expect(args[args.indexOf('--target') + 1]).toBe('http://sweeper.default.svc:8080');
  args[args.indexOf('--target') + 1] = url;
  expect(args[0]).toBe('trigger');
  return args.slice(1);
}

describe("the generated CronJob's command", () => {
  it('delivers one binary-mode cron CloudEvent with the --cron-data and exits 0', async () => {
    received.length = 0;
    status = 200;
    expect(await trigger(cronJobArgs([]))).toBe(0);
    expect(received).toHaveLength(1);
    const { req, body } = received[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers['ce-specversion']).toBe('1.0');
    expect(req.headers['ce-id']).toBeTruthy();
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(body)).toEqual({ job: 'sweep' });
  });

  it('exits 1 when the function answers 500, so the Job retries', async () => {
    received.length = 0;
    status = 500;
    expect(await trigger(cronJobArgs([]))).toBe(1);
    expect(received.length).toBeGreaterThanOrEqual(1);
  });
});
