// Runs in a child process: loads the built handler module the way fn-run does (a dynamic import; for
// CommonJS, `default` is module.exports) and reports on one marked stdout line what it found.
import { pathToFileURL } from 'node:url';
import { pickExport, type CheckReport } from './pick-export.js';

const REPORT_PREFIX = 'FNKIT-CHECK ';

const [file, exportName] = process.argv.slice(2);
let report: CheckReport;
try {
  const ns = (await import(pathToFileURL(file!).href)) as Record<string, unknown>;
  report = pickExport(ns, exportName || undefined);
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  report = { ok: false, kind: 'load', message: firstLine(e?.message ?? String(err)), code: e?.code, exports: '' };
}
process.stdout.write(`\n${REPORT_PREFIX}${JSON.stringify(report)}\n`, () => process.exit(0));

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? s).trim();
}
