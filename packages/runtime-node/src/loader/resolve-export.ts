import { describeExports, pickHandler, type FunctionModule, type Handler } from '@fnkit/sdk';
import { LoadError } from './load-error.js';

export interface ResolvedExport {
  handler: Handler;
  exportName: string;
  module: FunctionModule;
}

/**
 * Picks the handler (and the lifecycle hooks) out of an imported module namespace by the SDK's rule
 * (pickHandler, which fn-build's check uses too); throws a LoadError naming what was looked for.
 */
export function resolveExport(ns: Record<string, unknown>, file: string, exportName: string | undefined): ResolvedExport {
  const pick = pickHandler(ns, exportName);
  if (pick.ok) return { handler: pick.handler, exportName: pick.exportName, module: pick.module };
  switch (pick.reason) {
    case 'missing':
      throw new LoadError(`cannot load ${file}: export '${pick.exportName}' not found; the module exports: ${describeExports(ns)}`);
    case 'no-default':
      throw new LoadError(
        `cannot load ${file}: no handler found: expected a default export function or an export named 'handler' (or give one with file#name or --handler); the module exports: ${describeExports(ns)}`,
      );
    case 'not-function':
      throw new LoadError(`cannot load ${file}: export '${pick.exportName}' is not a function (found ${pick.found})`);
  }
}
