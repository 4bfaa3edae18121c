import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { readServeConfig, serveUsage, wantsHelp } from '../src/config/serve-settings.js';
import { ConfigError } from '../src/config/settings.js';
import { isIgnoredChange, withoutWatchFlag } from '../src/watch.js';

const kubelessDir = fileURLToPath(new URL('../../../test/fixtures/handlers/kubeless', import.meta.url));
const major = process.versions.node.split('.')[0];

function configError(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    readServeConfig(argv, env, '/work');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('readServeConfig', () => {
  it('applies the defaults to a positional file', () => {
    const c = readServeConfig(['src/handler.ts'], {}, '/work');
    expect(c).toMatchObject({
      file: '/work/src/handler.ts',
      exportName: undefined,
      functionName: 'handler',
      runtime: `nodejs${major}`,
      memoryLimit: undefined,
      port: 8080,
      host: '0.0.0.0',
      timeoutMs: 180_000,
      bodyLimitBytes: 6 * 1024 * 1024,
      concurrency: 0,
      queueSize: 100,
      isolation: 'none',
      stallWatchdog: false,
      shutdownGraceMs: 10_000,
      logLevel: 'info',
      kubeless: false,
      kubelessFunctionName: undefined,
      watch: false,
    });
    // Pretty when stdout is a terminal, as Node's process.stdout.isTTY would say.
    expect(c.logFormat).toBe(process.stdout.isTTY ? 'pretty' : 'json');
  });

  it('takes the export from file#name and from --handler', () => {
    expect(readServeConfig(['/abs/fn.mjs#greet'], {}, '/work')).toMatchObject({ file: '/abs/fn.mjs', exportName: 'greet', functionName: 'fn' });
    expect(readServeConfig(['fn.js', '-H', 'foo'], {}, '/work').exportName).toBe('foo');
    expect(readServeConfig(['fn.js'], { FUNC_HANDLER: 'bar' }, '/work').exportName).toBe('bar');
    expect(configError(['fn.js#a', '--handler', 'b'])).toContain("the export is given twice");
    expect(configError(['fn.js#'])).toContain("no export name after '#'");
  });

  it('reads every flag, and flags win over the environment', () => {
    const c = readServeConfig(
      ['h.ts', '--port', '9000', '--host', '127.0.0.1', '--timeout', '5s', '--body-limit', '1mb', '--concurrency', '4', '--queue', '7',
        '--isolation', 'worker', '--shutdown-grace', '2', '--log-level', 'debug', '--log-format', 'json', '--name', 'greeter', '--runtime', 'nodejs99', '--watch', '--stall-watchdog'],
      { FUNC_PORT: '1234', FUNC_TIMEOUT: '9', FNKIT_LOG_LEVEL: 'warn' },
      '/work',
    );
    expect(c).toMatchObject({
      port: 9000, host: '127.0.0.1', timeoutMs: 5000, bodyLimitBytes: 1024 * 1024, concurrency: 4, queueSize: 7,
      isolation: 'worker', shutdownGraceMs: 2000, logLevel: 'debug', logFormat: 'json', functionName: 'greeter', runtime: 'nodejs99', watch: true, stallWatchdog: true,
    });
  });

  it('reads the environment, Kubeless names first', () => {
    const c = readServeConfig(['h.ts'], {
      FUNC_PORT: '3000', PORT: '4000', FUNC_TIMEOUT: '3', REQ_MB_LIMIT: '2', FNKIT_CONCURRENCY: '2', FNKIT_QUEUE_SIZE: '5',
      FNKIT_ISOLATION: 'worker', FNKIT_STALL_WATCHDOG: 'true', FNKIT_SHUTDOWN_GRACE: '500ms', LOG_LEVEL: 'WARNING', K_SERVICE: 'ksvc', FUNC_RUNTIME: 'nodejs20', FUNC_MEMORY_LIMIT: '128Mi',
    }, '/work');
    expect(c).toMatchObject({
      port: 3000, timeoutMs: 3000, bodyLimitBytes: 2 * 1024 * 1024, concurrency: 2, queueSize: 5, isolation: 'worker',
      stallWatchdog: true, shutdownGraceMs: 500, logLevel: 'warn', functionName: 'ksvc', runtime: 'nodejs20', memoryLimit: '128Mi',
    });
    expect(readServeConfig(['h.ts'], { PORT: '4000', FNKIT_FUNCTION_NAME: 'a', K_SERVICE: 'b' }, '/work')).toMatchObject({ port: 4000, functionName: 'a' });
    expect(readServeConfig(['h.ts'], { FNKIT_BODY_LIMIT: '10kb', REQ_MB_LIMIT: '2' }, '/work').bodyLimitBytes).toBe(10 * 1024);
    expect(readServeConfig(['h.ts'], { FUNC_MEMORY_LIMIT: '0' }, '/work').memoryLimit).toBeUndefined();
  });

  it('finds a Kubeless module from MOD_NAME and FUNC_HANDLER', () => {
    const c = readServeConfig(['--dir', kubelessDir], { MOD_NAME: 'handler', FUNC_HANDLER: 'foo' }, '/work');
    expect(c).toMatchObject({ file: `${kubelessDir}/handler.js`, exportName: 'foo', kubeless: true, kubelessFunctionName: 'foo', functionName: 'handler' });
    const viaEnv = readServeConfig([], { MOD_NAME: 'handler', FUNC_HANDLER: 'foo', KUBELESS_INSTALL_VOLUME: kubelessDir }, '/work');
    expect(viaEnv.file).toBe(`${kubelessDir}/handler.js`);
  });

  it('names the directory when the MOD_NAME module is missing (default /kubeless)', () => {
    const msg = configError([], { MOD_NAME: 'nothere', FUNC_HANDLER: 'foo' });
    expect(msg).toContain('MOD_NAME=nothere: no nothere.js');
    expect(msg).toContain(' in /kubeless;');
  });

  it('says how to give a function when there is none', () => {
    expect(configError([])).toBe('no function given: run `fn-run path/to/handler.ts` or set MOD_NAME and FUNC_HANDLER');
  });

  it('rejects bad values naming the flag or variable', () => {
    expect(configError(['h.ts', '--port', 'abc'])).toBe('--port="abc" is not valid: expected an integer');
    expect(configError(['h.ts'], { FUNC_TIMEOUT: 'x' })).toContain('FUNC_TIMEOUT="x" is not valid: expected a duration');
    expect(configError(['h.ts'], { REQ_MB_LIMIT: 'lots' })).toContain('REQ_MB_LIMIT="lots" is not valid');
    expect(configError(['h.ts', '--isolation', 'process'])).toContain('expected one of none, worker');
    expect(configError(['h.ts', '--log-level', 'loud'])).toContain('--log-level="loud" is not valid');
    expect(configError(['h.ts', '--prot', '1'])).toContain('did you mean --port?');
    expect(configError(['a.ts', 'b.ts'])).toContain('one function file expected');
  });

  it('has help', () => {
    expect(wantsHelp(['x.ts', '--help'])).toBe(true);
    expect(wantsHelp(['x.ts'])).toBe(false);
    expect(serveUsage()).toContain('--body-limit');
    expect(serveUsage()).toContain('FUNC_TIMEOUT');
  });
});

describe('--watch helpers', () => {
  it('ignores node_modules and dot directories', () => {
    expect(isIgnoredChange('node_modules/x/index.js')).toBe(true);
    expect(isIgnoredChange('.git/HEAD')).toBe(true);
    expect(isIgnoredChange('src/.cache/a')).toBe(true);
    expect(isIgnoredChange('handler.ts')).toBe(false);
    expect(isIgnoredChange('lib/util.ts')).toBe(false);
  });

  it('passes the child the same arguments without --watch', () => {
    expect(withoutWatchFlag(['h.ts', '--watch', '--port', '9000'])).toEqual(['h.ts', '--port', '9000']);
    expect(withoutWatchFlag(['--watch=true', 'h.ts'])).toEqual(['h.ts']);
  });
});
