import { spawn } from 'node:child_process';
import { BuildError } from './build-error.js';
import { redact } from './redact.js';

export interface NpmRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment npm runs with: the caller's, less what an outer `npm run` injected (it would steer the inner npm). */
export function npmEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  if (env.npm_lifecycle_event !== undefined) {
    for (const key of Object.keys(out)) if (/^npm_/.test(key) || key === 'INIT_CWD') delete out[key];
  }
  out.NPM_CONFIG_UPDATE_NOTIFIER = 'false';
  return out;
}

export function runNpm(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<NpmRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, env: npmEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) =>
      reject(new BuildError(`cannot run npm (${(err as NodeJS.ErrnoException).code ?? err.message}): the init-builder image needs npm on its PATH`)),
    );
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_SOCKET_TIMEOUT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN']);

/**
 * Turns a failed npm run into one line: what failed, the npm error code, and what to do. Credentials in
 * npm's output (tokens, passwords in URLs) never reach the line.
 */
export function npmFailure(command: string, run: NpmRun, registry: string | undefined): BuildError {
  const lines = run.stderr.split('\n').map((l) => l.replace(/^npm (?:error|ERR!)\s?/, '').trim());
  const code = /^code (\S+)/m.exec(lines.join('\n'))?.[1];
  const detail = lines.find((l) => l !== '' && !/^(code|errno|syscall|A complete log|Log files|\d{4}-\d\d-\d\dT)/.test(l) && !/^npm (warn|notice)/.test(l));
  const where = registry ? ` ${registry}` : '';
  const say = (s: string) => new BuildError(redact(s));
  if (code && NETWORK.has(code)) {
    const url = /request to (\S+) failed/.exec(run.stderr)?.[1];
    const target = url ? originOf(url) : registry ?? 'the npm registry';
    return say(`${command} failed: cannot reach the npm registry ${target} (${code}); check NPM_CONFIG_REGISTRY or the registry in .npmrc, and that the pod can reach it (network policy, proxy, DNS)`);
  }
  if (code === 'EUSAGE' && /in sync/.test(run.stderr)) {
    return say(`${command} failed: package.json and package-lock.json are not in sync; run \`npm install\` where the function is developed and ship the updated package-lock.json`);
  }
  if (code === 'EJSONPARSE') {
    return say(`${command} failed: a JSON file npm read is not valid (${detail ?? 'EJSONPARSE'}); fix package.json / package-lock.json`);
  }
  if (code === 'E404') {
    return say(`${command} failed: a dependency was not found in the registry${where} (${detail ?? 'E404'}); check the name and version in package.json`);
  }
  if (code === 'E401' || code === 'E403' || code === 'ENEEDAUTH') {
    return say(`${command} failed: the registry${where} refused the credentials (${code}); check the token in the .npmrc Secret (NPM_CONFIG_USERCONFIG)`);
  }
  if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
    const path = /path (\S+)/.exec(run.stderr)?.[1];
    return say(`${command} failed: npm cannot write ${path ?? 'its cache or logs'} (${code}); give a writable cache with --cache / FNKIT_BUILD_CACHE, or set HOME to a writable directory (the root filesystem may be read-only)`);
  }
  if (code === 'ETARGET') {
    return say(`${command} failed: no version matches a dependency's range (${detail ?? 'ETARGET'}); fix the version in package.json`);
  }
  return say(`${command} failed (exit ${run.code}${code ? `, ${code}` : ''}): ${detail ?? 'no error message'}`);
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
