import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { buildCallRequest, runCall } from '../src/commands/call.js';

interface Seen {
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
let seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (req.url === '/fail') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":\n"boom"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'r1', 'ce-type': 'reply.type', 'ce-source': '/a%20b' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function run(argv: string[]) {
  seen = [];
  let stdout = '';
  let stderr = '';
  const code = await runCall(argv, {
    stdout: (s) => (stdout += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')),
    stderr: (s) => (stderr += s),
  });
  return { code, stdout, stderr };
}

describe('fn-run call', () => {
  it('sends a binary-mode CloudEvent with JSON data and prints the reply', async () => {
    const r = await run([base, '--data', '{"n":1}', '--type', 't.x', '--source', '/src one', '--id', 'id-1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"ok":true}\n');
    expect(r.stderr).toContain('ce-id: r1\n');
    expect(r.stderr).toContain('ce-source: /a b\n');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.headers).toMatchObject({
      'ce-specversion': '1.0', 'ce-id': 'id-1', 'ce-source': '/src%20one', 'ce-type': 't.x', 'content-type': 'application/json',
    });
    expect(seen[0]!.body).toBe('{"n":1}');
  });

  it('defaults type, source and a random id; text data is text/plain; no data is a GET', async () => {
    const r = await run([base, '--data', 'hello there']);
    expect(r.code).toBe(0);
    expect(seen[0]!.headers).toMatchObject({ 'ce-type': 'dev.fnkit.call', 'ce-source': '/fn-run/call', 'content-type': 'text/plain' });
    expect(seen[0]!.headers['ce-id']).toMatch(/^[0-9a-f-]{36}$/);
    await run([base]);
    expect(seen[0]!.method).toBe('GET');
    expect(seen[0]!.body).toBe('');
  });

  it('reads --data @file, adds headers, honours --method and --content-type', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fn-call-'));
    writeFileSync(join(dir, 'event.json'), '[1,2]');
    const r = await run([base, '--data', `@${join(dir, 'event.json')}`, '--method', 'put', '--header', 'x-one: 1', '--header', 'X-Two:2', '--content-type', 'application/x.custom+json']);
    expect(r.code).toBe(0);
    expect(seen[0]!.method).toBe('PUT');
    expect(seen[0]!.body).toBe('[1,2]');
    expect(seen[0]!.headers).toMatchObject({ 'x-one': '1', 'x-two': '2', 'content-type': 'application/x.custom+json' });
  });

  it('sends a structured-mode event with --structured', async () => {
    await run([base, '--structured', '--data', '{"a":"b"}', '--id', 's1']);
    expect(seen[0]!.headers['content-type']).toContain('application/cloudevents+json');
    expect(seen[0]!.headers['ce-id']).toBeUndefined();
    expect(JSON.parse(seen[0]!.body)).toEqual({
      specversion: '1.0', id: 's1', source: '/fn-run/call', type: 'dev.fnkit.call', datacontenttype: 'application/json', data: { a: 'b' },
    });
  });

  it('exits 1 with status and body on one line for a non-2xx reply', async () => {
    const r = await run([`${base}/fail`, '--data', 'x']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('fn-run call: 500 {"error": "boom"}\n');
  });

  it('names the URL when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await run([`http://127.0.0.1:${port}/`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`fn-run call: cannot connect to http://127.0.0.1:${port}/: connection refused (is the function running?)\n`);
  });

  it('rejects bad arguments with exit 2', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run([base, '--header', 'nocolon'])).stderr).toContain('expected name:value');
    expect((await run([base, '--data', '@/no/such/file'])).stderr).toContain('cannot read the file (ENOENT)');
    await expect(buildCallRequest([base, '--method', 'GET', '--data', 'x'])).rejects.toThrow('cannot carry --data');
    expect((await buildCallRequest(['127.0.0.1:9/'])).url).toBe('http://127.0.0.1:9/');
  });
});
