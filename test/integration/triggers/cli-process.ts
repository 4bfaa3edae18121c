import { sleep } from '../helpers.js';

// `fn-run <args>` processes that are not served functions (e.g. `fn-run trigger ...`) start through the shared helper.
export { startCli, type CliProcess } from '../helpers.js';

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
