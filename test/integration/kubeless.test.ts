import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { cli, freePort, root } from './helpers.js';

/** A Kubeless Node.js function runs unchanged with Kubeless' environment (MOD_NAME, FUNC_HANDLER, FUNC_TIMEOUT, FUNC_PORT). */

let child: ChildProcess;
let base: string;
let stderr = '';

async function waitReady(url: string, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`fn-run exited with ${proc.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fn-run did not become ready at ${url}: ${stderr}`);
}

beforeAll(async () => {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (/^(FUNC_|MOD_NAME|KUBELESS_|FNKIT_|REQ_MB_LIMIT|PORT$|K_SERVICE)/.test(k)) delete env[k];
  child = spawn(process.execPath, [cli, '--dir', 'test/fixtures/handlers/kubeless'], {
    cwd: root,
    env: { ...env, MOD_NAME: 'handler', FUNC_HANDLER: 'foo', FUNC_TIMEOUT: '3', FUNC_PORT: String(port), FNKIT_HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  base = `http://127.0.0.1:${port}`;
  await waitReady(base, child);
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  }
});

describe('a Kubeless function run unchanged', () => {
  it('answers with event.data, event-id, function-name and timeout', async () => {
    const res = await fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'event-id': 'kl-1', 'event-type': 'application/json', 'event-namespace': 'cli.kubeless.io' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: unknown; id: unknown; fn: unknown; timeout: unknown };
    expect(body.data).toEqual({ hello: 'world' });
    expect(body.id).toBe('kl-1');
    expect(body.fn).toBe('foo');
    expect(Number(body.timeout)).toBe(3);
  });

  it('exits 0 after SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
