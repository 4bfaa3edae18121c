import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it, expect } from 'vitest';
import { cli, freePort } from './helpers.js';

/** `fn-run --watch` restarts the function when its files change, and stops with SIGTERM. */
const dir = mkdtempSync(join(tmpdir(), 'fn-watch-'));
let child: ChildProcess | undefined;

/** Polls until the function answers `expected` (the restart takes as long as it takes). */
async function waitForAnswer(url: string, expected: string): Promise<void> {
  let last = '';
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(url, { method: 'POST', body: 'x' });
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200 && last === `200 ${expected}`) return;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer ${expected} from ${url}; last: ${last}`);
}

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('fn-run --watch', () => {
  it('restarts on a change, ignores node_modules, and exits with the child on SIGTERM', async () => {
    writeFileSync(join(dir, 'fn.mjs'), "export default () => 'v1';\n");
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (/^(FUNC_|MOD_NAME|KUBELESS_|FNKIT_|PORT$)/.test(k)) delete env[k];
    let stderr = '';
    child = spawn(process.execPath, [cli, join(dir, 'fn.mjs'), '--watch', '--port', String(port), '--host', '127.0.0.1', '--log-format', 'json'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const url = `http://127.0.0.1:${port}/`;
    await waitForAnswer(url, 'v1');

    writeFileSync(join(dir, 'fn.mjs'), "export default () => 'v2';\n");
    await waitForAnswer(url, 'v2');
    expect(stderr).toContain(`fn-run --watch: change in ${dir}; restarting`);

    const restarts = stderr.split('restarting').length - 1;
    mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
    // A restart would be reported before this second answer arrives only if it happened; give it a request round trip.
    await waitForAnswer(url, 'v2');
    await new Promise((r) => setTimeout(r, 500));
    expect(stderr.split('restarting').length - 1).toBe(restarts);

    const exited = new Promise<number | null>((r) => child!.on('exit', (c) => r(c)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
