import { describeExports, pickHandler } from '@fnkit/sdk';

/** What the handler check found; `ok` when fn-run would find a function to call. */
export type CheckReport =
  | { ok: true; exportName: string; exports: string }
  | { ok: false; kind: 'missing' | 'not-function' | 'no-default' | 'load'; exportName?: string; found?: string; message?: string; code?: string; exports: string };

/** The check's report for a module namespace, by fn-run's own rule (the SDK's pickHandler). */
export function pickExport(ns: Record<string, unknown>, exportName: string | undefined): CheckReport {
  const pick = pickHandler(ns, exportName);
  const exports = describeExports(ns);
  if (pick.ok) return { ok: true, exportName: pick.exportName, exports };
  switch (pick.reason) {
    case 'missing':
      return { ok: false, kind: 'missing', exportName: pick.exportName, exports };
    case 'no-default':
      return { ok: false, kind: 'no-default', exports };
    case 'not-function':
      return { ok: false, kind: 'not-function', exportName: pick.exportName, found: pick.found, exports };
  }
}

export { describeExports };
