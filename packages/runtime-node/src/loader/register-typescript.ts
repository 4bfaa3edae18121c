/**
 * TypeScript handlers are compiled on the fly by tsx's loader hooks (ESM via module.register, CJS via
 * require hooks). Registered lazily and once: JavaScript handlers never load tsx.
 */
let registered: Promise<void> | undefined;

export function registerTypeScript(): Promise<void> {
  registered ??= (async () => {
    const esm = await import('tsx/esm/api');
    esm.register();
    const cjs = await import('tsx/cjs/api');
    cjs.register();
  })();
  return registered;
}

/** Whether TypeScript support has been asked for in this process (for tests and diagnostics). */
export function isTypeScriptRegistered(): boolean {
  return registered !== undefined;
}
