import { describe, expect, it } from 'vitest';
import { npmEnv, npmFailure } from '../src/npm.js';

const run = (stderr: string, code = 1) => ({ code, stdout: '', stderr });

describe('npmFailure', () => {
  it('names an unreachable registry by its origin, without credentials', () => {
    const err = npmFailure(
      'npm ci',
      run(
        [
          'npm error code ECONNREFUSED',
          'npm error syscall connect',
          'npm error errno ECONNREFUSED',
          'npm error FetchError: request to https://bob:hunter2@registry.example:4873/ms failed, reason: connect ECONNREFUSED 10.0.0.1:4873',
        ].join('\n'),
      ),
      undefined,
    );
    expect(err.message).toBe(
      'npm ci failed: cannot reach the npm registry https://registry.example:4873 (ECONNREFUSED); check NPM_CONFIG_REGISTRY or the registry in .npmrc, and that the pod can reach it (network policy, proxy, DNS)',
    );
  });

  it('maps the common npm codes to what to do', () => {
    expect(npmFailure('npm ci', run('npm error code EUSAGE\nnpm error `npm ci` can only install packages when your package.json and package-lock.json are in sync.'), undefined).message).toMatch(
      /not in sync; run `npm install`/,
    );
    expect(npmFailure('npm install', run("npm error code E404\nnpm error 404 Not Found - GET https://r.example/nope - Not found"), 'https://r.example').message).toMatch(
      /a dependency was not found in the registry https:\/\/r\.example \(404 Not Found/,
    );
    expect(npmFailure('npm ci', run('npm error code E401\nnpm error Unable to authenticate, need: Basic realm, token=abc'), undefined).message).toMatch(/refused the credentials \(E401\)/);
    expect(npmFailure('npm ci', run('npm error code ETARGET\nnpm error notarget No matching version found for ms@^99.'), undefined).message).toMatch(/no version matches/);
    expect(npmFailure('npm ci', run('npm error code EACCES\nnpm error syscall mkdir\nnpm error path /home/x/.npm\n'), undefined).message).toMatch(
      /npm cannot write \/home\/x\/\.npm \(EACCES\)/,
    );
  });

  it('never repeats a token from the output', () => {
    const err = npmFailure('npm ci', run('npm error code EWEIRD\nnpm error config //r.example/:_authToken=npm_s3cret is odd'), undefined);
    expect(err.message).not.toContain('npm_s3cret');
    expect(err.message).toMatch(/^npm ci failed \(exit 1, EWEIRD\): /);
  });
});

describe('npmEnv', () => {
  it("drops an outer `npm run`'s variables but keeps the user's NPM_CONFIG_*", () => {
    const env = npmEnv({ npm_lifecycle_event: 'test', npm_config_prefix: '/repo', INIT_CWD: '/repo', NPM_CONFIG_REGISTRY: 'http://r', PATH: '/bin' });
    expect(env).toMatchObject({ NPM_CONFIG_REGISTRY: 'http://r', PATH: '/bin', NPM_CONFIG_UPDATE_NOTIFIER: 'false' });
    expect(env.npm_config_prefix).toBeUndefined();
    expect(env.INIT_CWD).toBeUndefined();
    expect(npmEnv({ npm_config_registry: 'http://mine' }).npm_config_registry).toBe('http://mine');
  });
});
