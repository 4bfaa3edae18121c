import { describe, expect, it } from 'vitest';
import { BuildError } from '../src/build-error.js';
import { parseCommand } from '../src/options.js';

function build(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const command = parseCommand(argv, env);
  if (command.kind !== 'build') throw new Error(`expected a build, got ${command.kind}`);
  return command.options;
}

describe('fn-build options', () => {
  it('defaults to the pod layout: /src into /kubeless, production, no scripts, no cache', () => {
    expect(build([])).toEqual({
      source: '/src',
      target: '/kubeless',
      module: undefined,
      exportName: undefined,
      cache: undefined,
      checksum: undefined,
      allowScripts: false,
      dev: false,
      unpackLimits: { maxBytes: 512 * 1024 * 1024, maxEntries: 100_000 },
    });
  });

  it('takes the unpack limits from flags or the environment, sizes with Ki/Mi/Gi', () => {
    expect(build([], { FNKIT_MAX_SOURCE_BYTES: '64Mi', FNKIT_MAX_SOURCE_FILES: '500' }).unpackLimits).toEqual({ maxBytes: 64 * 1024 * 1024, maxEntries: 500 });
    expect(build(['--max-source-bytes', '2048', '--max-source-files', '7'], { FNKIT_MAX_SOURCE_BYTES: '1Gi' }).unpackLimits).toEqual({ maxBytes: 2048, maxEntries: 7 });
    expect(() => build([], { FNKIT_MAX_SOURCE_BYTES: '10MB' })).toThrow(/FNKIT_MAX_SOURCE_BYTES=10MB: expected a positive whole number of bytes, optionally with Ki, Mi or Gi/);
    expect(() => build(['--max-source-files', '0'])).toThrow(/--max-source-files=0: expected a positive whole number$/);
  });

  it('takes the Kubeless names and the FNKIT_ ones from the environment', () => {
    const o = build([], {
      FNKIT_SOURCE: '/mnt/src',
      KUBELESS_INSTALL_VOLUME: '/kl',
      MOD_NAME: 'hello',
      FUNC_HANDLER: 'greet',
      FNKIT_BUILD_CACHE: '/cache',
      FNKIT_SOURCE_CHECKSUM: `sha256:${'A'.repeat(64)}`,
      FNKIT_ALLOW_SCRIPTS: 'true',
    });
    expect(o).toMatchObject({ source: '/mnt/src', target: '/kl', module: 'hello', exportName: 'greet', cache: '/cache', allowScripts: true });
    expect(o.checksum).toBe(`sha256:${'a'.repeat(64)}`);
    expect(build([], { FNKIT_TARGET: '/t', KUBELESS_INSTALL_VOLUME: '/kl' }).target).toBe('/t');
  });

  it('lets flags win over the environment', () => {
    const o = build(['--source', '/a', '--target', '/b', '--handler', 'mod.ts#fn', '--cache', '/c', '--allow-scripts', '--dev'], {
      FNKIT_SOURCE: '/x',
      FNKIT_TARGET: '/y',
      MOD_NAME: 'other',
      FUNC_HANDLER: 'other',
      FNKIT_BUILD_CACHE: '/z',
    });
    expect(o).toMatchObject({ source: '/a', target: '/b', module: 'mod', exportName: 'fn', cache: '/c', allowScripts: true, dev: true });
  });

  it('takes a handler without an export, and strips ./ and the extension', () => {
    expect(build(['--handler', './lib/handler.mjs'])).toMatchObject({ module: 'lib/handler', exportName: undefined });
  });

  it('rejects bad settings with a line naming them', () => {
    expect(() => build(['--checksum', 'md5:00'])).toThrow(/--checksum=md5:00: expected sha256:<64 hex digits>/);
    expect(() => build([], { FNKIT_SOURCE_CHECKSUM: 'sha256:xyz' })).toThrow(/FNKIT_SOURCE_CHECKSUM=sha256:xyz/);
    expect(() => build(['--handler', '#fn'])).toThrow(/give the module before '#'/);
    expect(() => build(['--handler', '../up'])).toThrow(/must be a path inside the source/);
    expect(() => build(['--production', '--dev'])).toThrow(/contradict/);
    expect(() => build(['--bogus'])).toThrow(BuildError);
    expect(() => build(['stray'])).toThrow(/unexpected argument 'stray'/);
    expect(() => build([], { FNKIT_ALLOW_SCRIPTS: 'maybe' })).toThrow(/FNKIT_ALLOW_SCRIPTS=maybe: expected true or false/);
  });

  it('has a checksum sub-command', () => {
    expect(parseCommand(['checksum', '/some/dir'], {})).toEqual({ kind: 'checksum', source: '/some/dir' });
    expect(parseCommand(['--help'], {})).toEqual({ kind: 'help' });
  });
});
