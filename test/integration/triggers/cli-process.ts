import { spawn, type ChildProcess } from 'node:child_process';
import { cli, root, sleep } from '../helpers.js';

/** A running `fn-run <args>` that is not a served function (e.g. `fn-run trigger ...`). */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Exit code (or signal name) once the process is gone and its output read. */
  exited: Promise<number | string>;
  /** SIGTERM (then SIGKILL after 15 s); resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(clean)) if (/^(FUNC_|MOD_NAME|KUBELESS_|FNKIT_|NATS_|KAFKA_|REQ_MB_LIMIT|PORT$|K_SERVICE|LOG_LEVEL)/.test(k)) delete clean[k];
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...clean, FNKIT_LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const code = await exited;
        clearTimeout(t);
        return code;
      }
      return exited;
    },
  };
}

/** Polls a URL until it answers the status; returns the body. */
export async function waitForStatus(url: string, status: number, what: string, timeoutMs = 30_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    try {
      const res = await fetch(url);
      last = `${res.status} ${await res.text()}`;
      if (res.status === status) return last.slice(4);
    } catch (error) {
      last = String(error);
    }
    await sleep(100);
  }
  throw new Error(`${what}: ${url} never answered ${status} (last: ${last})`);
}

/** Waits until the condition holds (generous timeout; no timing assertions). */
export async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The value of fnkit_trigger_messages_total{trigger, event} in a /metrics text. */
export function triggerCount(metrics: string, trigger: string, event: string): number {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('fnkit_trigger_messages_total{')) continue;
    if (line.includes(`trigger="${trigger}"`) && line.includes(`event="${event}"`)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/** JSON log lines of a process's stdout. */
export function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}
