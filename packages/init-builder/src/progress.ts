/** One log line per step, with its duration: `[fn-build] <step>: <detail> (<ms> ms)`. */
export interface Progress {
  /** Times `fn`, logs its line (the detail may depend on the result) and records the duration. */
  step<T>(name: string, fn: () => Promise<T> | T, detail: (result: T) => string): Promise<T>;
  info(message: string): void;
  readonly durations: Record<string, number>;
}

export function createProgress(write: (line: string) => void): Progress {
  const durations: Record<string, number> = {};
  return {
    durations,
    async step(name, fn, detail) {
      const started = performance.now();
      const result = await fn();
      const ms = Math.round(performance.now() - started);
      durations[name] = (durations[name] ?? 0) + ms;
      write(`[fn-build] ${name}: ${detail(result)} (${ms} ms)`);
      return result;
    },
    info(message) {
      write(`[fn-build] ${message}`);
    },
  };
}
