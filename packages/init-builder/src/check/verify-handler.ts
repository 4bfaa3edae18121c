import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BuildError } from '../build-error.js';
import { packageName } from '../compile.js';
import type { CheckReport } from './pick-export.js';

const REPORT_PREFIX = 'FNKIT-CHECK ';
const CHECK_TIMEOUT_MS = 60_000;

/**
 * Loads the built handler in a fresh Node process (as fn-run will) and checks the export is a function.
 * `display` is the file name used in messages (relative to the build). Returns the export fn-run will call.
 */
export async function verifyHandler(file: string, display: string, exportName: string | undefined, hasPackageJson: boolean): Promise<string> {
  const script = fileURLToPath(new URL('./check-handler.js', import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, FNKIT_BUILD_CHECK: '1' };
  delete env.NODE_PATH; // only the build's own node_modules may satisfy the handler's imports
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve, reject) => {
    const child = spawn(process.execPath, [script, file, exportName ?? ''], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), CHECK_TIMEOUT_MS);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve({ stdout: out, stderr: err, code: c });
    });
  });
  const line = stdout.split('\n').reverse().find((l) => l.startsWith(REPORT_PREFIX));
  if (!line) {
    const why = stderr.split('\n').find((l) => /Error|error/.test(l))?.trim() ?? `exit ${code ?? 'by signal (timed out after 60 s?)'}`;
    throw new BuildError(`${display} did not finish loading in the check (${why}); its top-level code must return within ${CHECK_TIMEOUT_MS / 1000} s without exiting`);
  }
  const report = JSON.parse(line.slice(REPORT_PREFIX.length)) as CheckReport;
  if (report.ok) return report.exportName;
  switch (report.kind) {
    case 'missing':
      throw new BuildError(`${display} has no export '${report.exportName}'; it exports: ${report.exports}. Set FUNC_HANDLER (or --handler ${display.replace(/\.[^.]+$/, '')}#<export>) to one of those`);
    case 'not-function':
      throw new BuildError(`${display}: export '${report.exportName}' is not a function (found ${report.found}); export the handler function under that name`);
    case 'no-default':
      throw new BuildError(`${display} has no default export function and no export named 'handler'; it exports: ${report.exports}. Set FUNC_HANDLER to the handler's export`);
    case 'load':
    default:
      throw loadFailure(display, report, hasPackageJson);
  }
}

function loadFailure(display: string, report: Extract<CheckReport, { ok: false }>, hasPackageJson: boolean): BuildError {
  const message = report.message ?? 'unknown error';
  if (report.code === 'ERR_MODULE_NOT_FOUND' || report.code === 'MODULE_NOT_FOUND') {
    const spec = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
    const pkg = spec ? (packageName(spec) ?? undefined) : undefined;
    if (pkg && !spec!.startsWith('/')) {
      return new BuildError(
        hasPackageJson
          ? `${display} failed to load: package '${pkg}' is not installed; add it to "dependencies" in package.json and ship the updated package-lock.json`
          : `${display} imports '${pkg}' but the source has no package.json: add one listing '${pkg}' under "dependencies"`,
      );
    }
  }
  return new BuildError(`${display} failed to load: ${message}`);
}
