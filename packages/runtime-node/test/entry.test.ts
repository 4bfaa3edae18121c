import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { VERSION } from '../src/version.js';

// dist/ is built by `npm run build` before the tests run.
const pkg = fileURLToPath(new URL('..', import.meta.url));

/** Preloaded into the child: on exit, prints whether the ES module loader ran (module_job: only loading an ES module needs it) and the built-in modules loaded. */
const probe = join(mkdtempSync(join(tmpdir(), 'fnkit-entry-test-')), 'probe.cjs');
writeFileSync(
  probe,
  "process.on('exit', () => process.stderr.write('ESM:' + process.moduleLoadList.filter((m) => m.endsWith('internal/modules/esm/module_job')).join(',') + '\\n' +\n" +
    "  'BUILTINS:' + process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join(',') + '\\n'));\n",
);

function run(entry: string, args: string[]) {
  const r = spawnSync(process.execPath, ['-r', probe, join(pkg, entry), ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, esmLoader: /ESM:\S/.test(r.stderr) };
}

describe('fn-run entry points', () => {
  it('bin/fn-run.cjs, dist/cli.cjs and dist/cli.js all run the CLI', () => {
    for (const entry of ['bin/fn-run.cjs', 'dist/cli.cjs', 'dist/cli.js']) {
      const r = run(entry, ['--version']);
      expect(r.status, entry).toBe(0);
      expect(r.stdout, entry).toBe(`fn-run ${VERSION}\n`);
    }
  });

  it('the installed entry boots without the ES module loader (it costs start-up: the loader starts at the function import)', () => {
    for (const entry of ['bin/fn-run.cjs', 'dist/cli.cjs']) expect(run(entry, ['--version']).esmLoader, entry).toBe(false);
    // The ES module entry kept for `node dist/cli.js` does start it.
    expect(run('dist/cli.js', ['--version']).esmLoader).toBe(true);
  });


  it('serving a first request loads neither node:assert nor node:fs/promises (start-up CPU: ~1.5 and ~1 ms)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fnkit-entry-test-'));
    const handler = join(dir, 'handler.mjs');
    writeFileSync(handler, 'export default function handler() { return { ok: true }; }\n');
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const child = spawn(process.execPath, ['-r', probe, join(pkg, 'dist/cli.cjs'), handler, '--host', '127.0.0.1', '--port', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const get = () =>
      new Promise<number>((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.once('error', () => resolve(0));
        req.end();
      });
    const until = Date.now() + 15_000;
    let status = 0;
    while ((status = await get()) !== 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGTERM');
    await exited;
    expect(status).toBe(200);
    const builtins = /BUILTINS:(.*)/.exec(stderr)?.[1]?.split(',') ?? [];
    expect(builtins).toContain('http');
    expect(builtins.filter((m) => m === 'assert' || m === 'fs/promises')).toEqual([]);
  });
});
