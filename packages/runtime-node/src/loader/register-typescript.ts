import { importModule } from './import-module.js';

/**
 * TypeScript handlers are compiled on the fly by tsx's loader hooks (ESM via module.register, CJS via
 * require hooks). Registered lazily and once: JavaScript handlers never load tsx.
 */
let registered: Promise<void> | undefined;

export function registerTypeScript(): Promise<void> {
  registered ??= (async () => {
    const esm = await importModule<typeof import('tsx/esm/api')>('tsx/esm/api');
    esm.register();
    const cjs = await importModule<typeof import('tsx/cjs/api')>('tsx/cjs/api');
    cjs.register();
  })();
  return registered;
}

/** Whether TypeScript support has been asked for in this process (for tests and diagnostics). */
export function isTypeScriptRegistered(): boolean {
  return registered !== undefined;
}
