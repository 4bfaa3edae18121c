// Runs in a child process: loads the built handler module the way fn-run does (a dynamic import; for
// CommonJS, `default` is module.exports) and reports on one marked stdout line what it found. The module
// and export come as arguments, or (so Node can start before the build is done) as one JSON line on stdin.
import { pathToFileURL } from 'node:url';
import { pickExport, type CheckReport } from './pick-export.js';

const REPORT_PREFIX = 'FNKIT-CHECK ';

async function request(): Promise<{ file: string; exportName?: string }> {
  const [file, exportName] = process.argv.slice(2);
  if (file) return { file, exportName: exportName || undefined };
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  const req = JSON.parse(text.split('\n')[0] || '{}') as { file?: string; exportName?: string };
  if (!req.file) process.exit(0); // the build stopped before the check
  return { file: req.file, exportName: req.exportName || undefined };
}

const { file, exportName } = await request();
let report: CheckReport;
try {
  const ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  report = pickExport(ns, exportName);
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  report = { ok: false, kind: 'load', message: firstLine(e?.message ?? String(err)), code: e?.code, exports: '' };
}
process.stdout.write(`\n${REPORT_PREFIX}${JSON.stringify(report)}\n`, () => process.exit(0));

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? s).trim();
}
