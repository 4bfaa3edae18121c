import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeExports, pickExport } from '../src/check/pick-export.js';
import { packageName } from '../src/compile.js';
import { dependencyHash } from '../src/dependencies.js';
import { redact } from '../src/redact.js';
import { sourceChecksum } from '../src/source/checksum.js';
import { safeEntryPath } from '../src/source/safe-path.js';
import { walkDirectory } from '../src/source/walk-directory.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('safeEntryPath (zip-slip)', () => {
  it('keeps relative paths and normalises them', () => {
    expect(safeEntryPath('a.zip', 'fn/./handler.js')).toBe('fn/handler.js');
    expect(safeEntryPath('a.zip', 'dir/')).toBe('dir');
  });
  it.each(['../x.js', 'a/../../x.js', '/etc/passwd', 'C:/x.js', '..\\x.js', 'a/..'])('refuses %s', (p) => {
    expect(() => safeEntryPath('a.zip', p)).toThrow(/would be written outside the target directory \(zip-slip\)/);
  });
});

describe('redact', () => {
  it('removes tokens, passwords and URL credentials', () => {
    const text = '//reg.example/:_authToken=npm_abc123 _password="p@ss" https://user:secret@reg.example/x Authorization: Bearer xyz';
    const out = redact(text);
    for (const secret of ['npm_abc123', 'p@ss', 'secret', 'xyz']) expect(out).not.toContain(secret);
    expect(out).toContain('https://***@reg.example/x');
  });
});

describe('pickExport (fn-run rule)', () => {
  it('finds named, default and CommonJS exports', () => {
    const fn = () => 1;
    expect(pickExport({ hello: fn }, 'hello')).toMatchObject({ ok: true, exportName: 'hello' });
    expect(pickExport({ default: fn }, undefined)).toMatchObject({ ok: true, exportName: 'default' });
    expect(pickExport({ default: { handler: fn } }, undefined)).toMatchObject({ ok: true, exportName: 'handler' });
    expect(pickExport({ default: { greet: fn }, 'module.exports': { greet: fn } }, 'greet')).toMatchObject({ ok: true });
  });
  it('says what is there when the export is missing or not a function', () => {
    expect(pickExport({ default: 1, bar: 2 }, 'foo')).toEqual({ ok: false, kind: 'missing', exportName: 'foo', exports: 'default, bar' });
    expect(pickExport({ foo: 'x' }, 'foo')).toMatchObject({ ok: false, kind: 'not-function', found: 'a string' });
    expect(pickExport({ other: () => 1 }, undefined)).toMatchObject({ ok: false, kind: 'no-default', exports: 'other' });
    expect(describeExports({ default: { a: 1, b: 2 }, 'module.exports': {} })).toBe('a, b');
  });
});

describe('packageName', () => {
  it('maps specifiers to packages and skips built-ins and relative paths', () => {
    expect(packageName('ms')).toBe('ms');
    expect(packageName('lodash/get')).toBe('lodash');
    expect(packageName('@scope/pkg/sub')).toBe('@scope/pkg');
    for (const s of ['./x', '../y', '/abs', 'node:fs', 'fs', 'fs/promises', '#internal']) expect(packageName(s)).toBeUndefined();
  });
});

describe('dependencyHash', () => {
  const opts = { allowScripts: false, dev: false };
  it('depends on the dependency fields, the lockfile and the flags, not on other fields', () => {
    const base = dependencyHash({ dependencies: { ms: '^2' } }, 'lock', opts);
    expect(dependencyHash({ name: 'other', main: 'x.js', dependencies: { ms: '^2' } }, 'lock', opts)).toBe(base);
    expect(dependencyHash({ dependencies: { ms: '^3' } }, 'lock', opts)).not.toBe(base);
    expect(dependencyHash({ dependencies: { ms: '^2' } }, 'lock2', opts)).not.toBe(base);
    expect(dependencyHash({ dependencies: { ms: '^2' } }, 'lock', { ...opts, allowScripts: true })).not.toBe(base);
  });
});

describe('sourceChecksum', () => {
  it('of a directory equals the documented sha256sum pipeline, ignoring ..data and node_modules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fnkit-sum-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'lib'));
    mkdirSync(join(dir, 'node_modules'));
    mkdirSync(join(dir, '..2026_01_01'));
    writeFileSync(join(dir, 'handler.js'), 'module.exports = () => 1;\n');
    writeFileSync(join(dir, 'lib', 'b.js'), 'b');
    writeFileSync(join(dir, 'Z.js'), 'upper case sorts first');
    writeFileSync(join(dir, 'node_modules', 'x.js'), 'ignored');
    writeFileSync(join(dir, '..2026_01_01', 'real.js'), 'reached through the link only');
    symlinkSync('..2026_01_01', join(dir, '..data'));
    symlinkSync('..data/real.js', join(dir, 'linked.js'));
    const shell = execFileSync(
      'bash',
      ['-c', "find -L . -path ./node_modules -prune -o -name '..*' -prune -o -type f -printf '%P\\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum"],
      { cwd: dir, encoding: 'utf8' },
    ).split(' ')[0];
    expect(await sourceChecksum(dir)).toBe(`sha256:${shell}`);
  });
  it('of a file is sha256sum of its bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fnkit-sum-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'f.zip'), 'bytes');
    const shell = execFileSync('sha256sum', [join(dir, 'f.zip')], { encoding: 'utf8' }).split(' ')[0];
    expect(await sourceChecksum(join(dir, 'f.zip'))).toBe(`sha256:${shell}`);
  });
});

describe('walkDirectory', () => {
  it('follows links, refuses a loop and a broken link with a line naming them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fnkit-walk-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'a'));
    writeFileSync(join(dir, 'a', 'x.js'), 'x');
    symlinkSync('a', join(dir, 'b'));
    expect(walkDirectory(dir).map((f) => f.rel)).toEqual(['a/x.js', 'b/x.js']);
    symlinkSync('..', join(dir, 'a', 'up'));
    expect(() => walkDirectory(dir)).toThrow(/links back to .* \(a loop\): remove the link/);
    rmSync(join(dir, 'a', 'up'));
    symlinkSync('missing.js', join(dir, 'dangling.js'));
    expect(() => walkDirectory(dir)).toThrow(/dangling\.js is a broken symbolic link/);
  });
});
