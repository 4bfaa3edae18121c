import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BuildError } from '../build-error.js';
import { packageName } from '../compile.js';
import type { CheckReport } from './pick-export.js';

const REPORT_PREFIX = 'FNKIT-CHECK ';
const CHECK_TIMEOUT_MS = 60_000;

export interface HandlerCheck {
  /**
   * Loads the built handler in the child (as fn-run will) and checks the export is a function. `display`
   * is the file name used in messages (relative to the build). Returns the export fn-run will call.
   */
  verify(file: string, display: string, exportName: string | undefined, hasPackageJson: boolean, scriptsAllowed?: boolean): Promise<string>;
  /** Stops the child when the build fails before the check. */
  dispose(): void;
}

/**
 * Starts the checking Node process now (its start-up overlaps the build); it imports the module only when
 * `verify` sends the path. `NODE_PATH` is cleared: only the build's own node_modules may satisfy imports.
 */
export function startHandlerCheck(): HandlerCheck {
  const script = fileURLToPath(new URL('./check-handler.js', import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, FNKIT_BUILD_CHECK: '1' };
  delete env.NODE_PATH;
  const child = spawn(process.execPath, [script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.on('error', () => undefined); // a child that died early is reported by verify
  const closed = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, error }));
    child.on('close', (code) => resolve({ code }));
  });
  return {
    async verify(file, display, exportName, hasPackageJson, scriptsAllowed = false) {
      child.stdin.end(`${JSON.stringify({ file, exportName: exportName ?? '' })}\n`);
      const timer = setTimeout(() => child.kill('SIGKILL'), CHECK_TIMEOUT_MS);
      const { code, error } = await closed;
      clearTimeout(timer);
      if (error) throw new BuildError(`cannot start node for the handler check (${error.message})`);
      return interpret(stdout, stderr, code, display, hasPackageJson, scriptsAllowed);
    },
    dispose() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

function interpret(stdout: string, stderr: string, code: number | null, display: string, hasPackageJson: boolean, scriptsAllowed: boolean): string {
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
      throw loadFailure(display, report, hasPackageJson, scriptsAllowed);
  }
}

function loadFailure(display: string, report: Extract<CheckReport, { ok: false }>, hasPackageJson: boolean, scriptsAllowed: boolean): BuildError {
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
  // A native add-on whose install script did not run (fn-build runs npm with --ignore-scripts by default).
  if (!scriptsAllowed && /bindings file|\.node\b|node-gyp|prebuild|No native build/i.test(message)) {
    return new BuildError(`${display} failed to load: ${message}; a dependency may need its install script (a native add-on): build with --allow-scripts (FNKIT_ALLOW_SCRIPTS=true)`);
  }
  return new BuildError(`${display} failed to load: ${message}`);
}
