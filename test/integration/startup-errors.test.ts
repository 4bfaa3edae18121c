import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { describe, it, expect } from 'vitest';
import { cli, freePort, root } from './helpers.js';

/**
 * A function that cannot start must say why in one line on stderr, exit non-zero, and never listen:
 * a Deployment then shows the reason in its logs instead of a pod that fails its probes.
 */
const fixtures = `${root}test/fixtures/handlers/`;

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(FUNC_|MOD_NAME|KUBELESS_|FNKIT_|REQ_MB_LIMIT|PORT$|K_SERVICE|LOG_LEVEL)/.test(k)) delete env[k];
  }
  return { ...env, ...extra };
}

async function runToExit(args: string[], env: Record<string, string> = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: cleanEnv({ FUNC_PORT: String(port), FNKIT_HOST: '127.0.0.1', ...env }) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearTimeout(killer);
  const listening = await new Promise<boolean>((r) => {
    const sock = connect(port, '127.0.0.1');
    sock.on('connect', () => (sock.destroy(), r(true)));
    sock.on('error', () => r(false));
  });
  return { code, stdout, stderr, listening };
}

function expectOneLine(r: { stderr: string; stdout: string; listening: boolean }, line: string | RegExp) {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines).toHaveLength(1);
  if (typeof line === 'string') expect(lines[0]).toBe(line);
  else expect(lines[0]).toMatch(line);
  expect(r.stdout).not.toMatch(/serving/);
  expect(r.listening).toBe(false);
}

describe('startup errors', () => {
  it('a missing file exits 1 naming the file', async () => {
    const r = await runToExit(['test/fixtures/handlers/nope.ts']);
    expect(r.code).toBe(1);
    expectOneLine(r, `fn-run: file not found: ${fixtures}nope.ts`);
  });

  it('a missing export exits 1 listing what the module exports', async () => {
    const r = await runToExit(['test/fixtures/handlers/named.mts#nothere']);
    expect(r.code).toBe(1);
    expectOneLine(r, `fn-run: cannot load ${fixtures}named.mts: export 'nothere' not found; the module exports: greet, handler, notAFunction`);
  });

  it('a missing Kubeless FUNC_HANDLER export exits 1', async () => {
    const r = await runToExit(['--dir', 'test/fixtures/handlers/kubeless'], { MOD_NAME: 'handler', FUNC_HANDLER: 'bar' });
    expect(r.code).toBe(1);
    expectOneLine(r, `fn-run: cannot load ${fixtures}kubeless/handler.js: export 'bar' not found; the module exports: foo`);
  });

  it('a syntax error exits 1 naming file and line', async () => {
    const r = await runToExit(['test/fixtures/handlers/bad-syntax.js']);
    expect(r.code).toBe(1);
    expectOneLine(r, `fn-run: syntax error in ${fixtures}bad-syntax.js:3: Unexpected token ';'`);
  });

  it('a TypeScript syntax error exits 1 naming file and line', async () => {
    const r = await runToExit(['test/fixtures/handlers/bad-syntax-typescript.ts']);
    expect(r.code).toBe(1);
    expectOneLine(r, /^fn-run: syntax error in \S*bad-syntax-typescript\.ts:3: /);
  });

  it('CommonJS syntax in an ES-module .js file exits 1 saying how to fix it', async () => {
    const r = await runToExit(['test/fixtures/handlers/cjs-in-esm-scope.js']);
    expect(r.code).toBe(1);
    expectOneLine(r, /^fn-run: cannot load \S*cjs-in-esm-scope\.js: module is not defined in ES module scope \(.*rename it to \.cjs\)$/);
  });

  it('--port abc exits 2 naming the flag', async () => {
    const r = await runToExit(['test/fixtures/handlers/esm-default.ts', '--port', 'abc']);
    expect(r.code).toBe(2);
    expectOneLine(r, 'fn-run: --port="abc" is not valid: expected an integer');
  });

  it('FUNC_TIMEOUT=x exits 2 naming the variable', async () => {
    const r = await runToExit(['test/fixtures/handlers/esm-default.ts'], { FUNC_TIMEOUT: 'x' });
    expect(r.code).toBe(2);
    expectOneLine(r, /^fn-run: FUNC_TIMEOUT="x" is not valid: expected a duration/);
  });

  it('no function at all exits 2 saying how to give one', async () => {
    const r = await runToExit([]);
    expect(r.code).toBe(2);
    expectOneLine(r, 'fn-run: no function given: run `fn-run path/to/handler.ts` or set MOD_NAME and FUNC_HANDLER');
  });
});
