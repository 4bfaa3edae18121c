import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { loadFunction, LoadError } from '../src/loader/load-function.js';

const dir = fileURLToPath(new URL('../../../test/fixtures/handlers/', import.meta.url));
const f = (name: string) => dir + name;
const call = (h: (e: never, c: never) => unknown, event: unknown, context: unknown = {}) => h(event as never, context as never);

async function loadError(file: string, name?: string): Promise<LoadError> {
  try {
    await loadFunction(file, name);
  } catch (err) {
    expect(err).toBeInstanceOf(LoadError);
    return err as LoadError;
  }
  throw new Error(`expected ${file} to fail to load`);
}

describe('loadFunction', () => {
  it('loads a TypeScript default export', async () => {
    const fn = await loadFunction(f('esm-default.ts'), undefined);
    expect(fn.exportName).toBe('default');
    expect(fn.file).toBe(f('esm-default.ts'));
    expect(call(fn.handler, { data: 7 })).toEqual({ echo: 7, from: 'esm-default' });
  });

  it('falls back to a named export `handler` and loads a named export by name (.mts)', async () => {
    const byDefault = await loadFunction(f('named.mts'), undefined);
    expect(byDefault.exportName).toBe('handler');
    expect(call(byDefault.handler, {})).toBe('named handler');
    const greet = await loadFunction(f('named.mts'), 'greet');
    expect(greet.exportName).toBe('greet');
    expect(call(greet.handler, { data: { name: 'ann' } })).toBe('hello ann');
  });

  it('loads CommonJS `module.exports = fn` (.cjs)', async () => {
    const fn = await loadFunction(f('cjs-module-exports.cjs'), undefined);
    expect(fn.exportName).toBe('default');
    expect(call(fn.handler, { data: 'x' })).toEqual({ from: 'cjs-module-exports', data: 'x' });
  });

  it('loads CommonJS `module.exports.handler` from a .js file in a commonjs package, with its init hook', async () => {
    const fn = await loadFunction(f('cjs/handler-prop.js'), undefined);
    expect(fn.exportName).toBe('handler');
    expect(call(fn.handler, { data: 1 })).toEqual({ from: 'cjs-handler-prop', data: 1 });
    expect(typeof fn.module.init).toBe('function');
  });

  it('loads a member of a CommonJS `module.exports = { foo }` by name (Kubeless style)', async () => {
    const fn = await loadFunction(f('kubeless/handler.js'), 'foo');
    expect(fn.exportName).toBe('foo');
    const out = call(fn.handler, { data: 'd', 'event-id': 'e1' }, { 'function-name': 'foo', timeout: '3' });
    expect(out).toEqual({ data: 'd', id: 'e1', fn: 'foo', timeout: '3' });
  });

  it('collects lifecycle exports that are functions', async () => {
    const fn = await loadFunction(f('lifecycle.ts'), undefined);
    expect(Object.keys(fn.module).sort()).toEqual(['init', 'readiness', 'shutdown']);
    expect(await fn.module.readiness!()).toBe(false);
    await fn.module.init!();
    expect(await fn.module.readiness!()).toBe(true);
    expect(call(fn.handler, {})).toEqual({ ready: true });
  });

  it('names the file when it does not exist', async () => {
    const err = await loadError(f('nope.ts'));
    expect(err.message).toBe(`file not found: ${f('nope.ts')}`);
  });

  it('lists what the module exports when the named export is missing', async () => {
    const err = await loadError(f('named.mts'), 'nothere');
    expect(err.message).toBe(`cannot load ${f('named.mts')}: export 'nothere' not found; the module exports: greet, handler, notAFunction`);
  });

  it('lists CommonJS object members when the named export is missing', async () => {
    const err = await loadError(f('cjs/object-exports.js'), 'baz');
    expect(err.message).toContain(`export 'baz' not found; the module exports: `);
    expect(err.message).toContain('foo');
    expect(err.message).toContain('bar');
    expect(err.message).not.toContain('default');
  });

  it('says what it found when the export is not a function', async () => {
    const err = await loadError(f('named.mts'), 'notAFunction');
    expect(err.message).toBe(`cannot load ${f('named.mts')}: export 'notAFunction' is not a function (found an object)`);
    const num = await loadError(f('cjs/object-exports.js'), 'bar');
    expect(num.message).toContain(`export 'bar' is not a function (found a number)`);
  });

  it('explains what it looked for when there is no default or handler export', async () => {
    const err = await loadError(f('no-export.mjs'));
    expect(err.message).toContain(`cannot load ${f('no-export.mjs')}: no handler found`);
    expect(err.message).toContain('the module exports: config, version');
    const obj = await loadError(f('cjs/object-exports.js'));
    expect(obj.message).toContain('no handler found');
  });

  it('reports an error thrown while the module is evaluated', async () => {
    const err = await loadError(f('throws-on-load.mjs'));
    expect(err.message).toBe(`cannot load ${f('throws-on-load.mjs')}: database URL missing`);
  });

  it('refuses a directory and an unsupported extension', async () => {
    expect((await loadError(f('kubeless'))).message).toContain('not a file');
    expect((await loadError(f('cjs/package.json'))).message).toContain(`unsupported file type '.json'`);
  });

  // Syntax errors are checked in a plain Node process: vitest compiles imported files itself, so in
  // here it, not Node, would report them.
  const loaderSource = fileURLToPath(new URL('../src/loader/load-function.ts', import.meta.url));
  // A script file, not `node -e`: eval code gets `module` and `require` as globals.
  const script = join(mkdtempSync(join(tmpdir(), 'fn-loader-')), 'load.mjs');
  writeFileSync(
    script,
    `const { loadFunction } = await import(${JSON.stringify(loaderSource)});
     await loadFunction(process.argv[2], undefined).then(() => console.log('loaded'), (e) => console.log(e.name + ': ' + e.message));\n`,
  );
  const loadInNode = (file: string): string =>
    execFileSync(process.execPath, ['--import', 'tsx', script, file], { encoding: 'utf8' }).trim();

  it('reports a JavaScript syntax error with its file and line, on one line', () => {
    expect(loadInNode(f('bad-syntax.js'))).toBe(`LoadError: syntax error in ${f('bad-syntax.js')}:3: Unexpected token ';'`);
  });

  it('reports a TypeScript syntax error with its file and line, on one line', () => {
    expect(loadInNode(f('bad-syntax-typescript.ts'))).toMatch(/^LoadError: syntax error in \S*bad-syntax-typescript\.ts:3: Unexpected ";"$/);
  });

  it('explains CommonJS syntax in a file Node loads as an ES module', () => {
    expect(loadInNode(f('cjs-in-esm-scope.js'))).toBe(
      `LoadError: cannot load ${f('cjs-in-esm-scope.js')}: module is not defined in ES module scope (the file is loaded as an ES module because it ends in .mjs or its package.json says "type": "module"; for CommonJS rename it to .cjs)`,
    );
  });

  it('registers TypeScript support only when a TypeScript module is loaded', () => {
    const dirOfScript = mkdtempSync(join(tmpdir(), 'fn-loader-'));
    const lazy = join(dirOfScript, 'lazy.mjs');
    const registerSource = fileURLToPath(new URL('../src/loader/register-typescript.ts', import.meta.url));
    writeFileSync(
      lazy,
      `const { loadFunction } = await import(${JSON.stringify(loaderSource)});
       const { isTypeScriptRegistered } = await import(${JSON.stringify(registerSource)});
       await loadFunction(${JSON.stringify(f('cjs-module-exports.cjs'))}, undefined);
       await loadFunction(${JSON.stringify(f('no-export.mjs'))}, 'config').catch(() => {});
       const afterJs = isTypeScriptRegistered();
       await loadFunction(${JSON.stringify(f('esm-default.ts'))}, undefined);
       console.log(afterJs + ' ' + isTypeScriptRegistered());\n`,
    );
    expect(execFileSync(process.execPath, ['--import', 'tsx', lazy], { encoding: 'utf8' }).trim()).toBe('false true');
  });
});
