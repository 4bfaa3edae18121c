import { spawn, type ChildProcess } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { dirname, sep } from 'node:path';
import type { RuntimeConfig } from './config/runtime-config.js';

const DEBOUNCE_MS = 100;

/** Paths under node_modules or a dot directory (.git, .cache) do not restart the function. */
export function isIgnoredChange(relativePath: string): boolean {
  return relativePath.split(/[\\/]/).some((part) => part === 'node_modules' || (part.startsWith('.') && part.length > 1));
}

/** argv without `--watch` (and `--watch=...`), for the child. */
export function withoutWatchFlag(argv: readonly string[]): string[] {
  return argv.filter((a) => a !== '--watch' && !a.startsWith('--watch=') && a !== '--no-watch');
}

/**
 * `--watch`: runs the function in a child `fn-run` and restarts it when a file in the function's
 * directory changes. SIGINT/SIGTERM go to the child; the supervisor exits with the child's code.
 */
export function superviseWithRestarts(config: Pick<RuntimeConfig, 'file'>, argv: readonly string[]): Promise<number> {
  const cli = process.argv[1];
  if (!cli) throw new Error('--watch: cannot tell where the fn-run script is (process.argv[1] is empty)');
  const childArgs = [...process.execArgv, cli, ...withoutWatchFlag(argv)];
  const dir = dirname(config.file);

  return new Promise<number>((resolveExit) => {
    let child: ChildProcess | undefined;
    let stopping = false;
    let restartPending = false;
    let timer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher | undefined;

    const start = () => {
      const c = spawn(process.execPath, childArgs, { stdio: 'inherit', env: process.env });
      child = c;
      c.on('exit', (code, signal) => {
        if (child === c) child = undefined;
        if (stopping) {
          finish(code ?? (signal ? 128 + signalNumber(signal) : 0));
        } else if (restartPending) {
          restartPending = false;
          start();
        } else {
          process.stderr.write(`fn-run --watch: the function exited (${signal ?? `code ${code}`}); waiting for a change in ${dir}\n`);
        }
      });
    };

    const restart = () => {
      process.stderr.write(`fn-run --watch: change in ${dir}; restarting\n`);
      if (child) {
        restartPending = true;
        child.kill('SIGTERM');
      } else {
        start();
      }
    };

    const onSignal = (signal: NodeJS.Signals) => {
      stopping = true;
      watcher?.close();
      if (timer) clearTimeout(timer);
      if (child) child.kill(signal);
      else finish(0);
    };

    const finish = (code: number) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      watcher?.close();
      resolveExit(code);
    };

    watcher = watch(dir, { recursive: true }, (_event, filename) => {
      if (stopping) return;
      if (filename && isIgnoredChange(filename.toString().split(sep).join('/'))) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(restart, DEBOUNCE_MS);
    });
    watcher.on('error', (err) => process.stderr.write(`fn-run --watch: cannot watch ${dir}: ${err.message}\n`));
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    start();
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : signal === 'SIGKILL' ? 9 : 1;
}
