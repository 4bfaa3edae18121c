import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importModule } from './import-module.js';

/**
 * Node's SyntaxError for an ES module carries no line number (Node prints it only for uncaught
 * errors). To name the line, the source is parsed once more with esbuild, only on this error path.
 * esbuild is resolved as tsx's own dependency (fn-run depends on tsx), at run time so bundlers leave it out. Returns undefined when that is not possible.
 */
export async function findSyntaxErrorLine(file: string): Promise<number | undefined> {
  try {
    const esbuild = await importModule<typeof import('esbuild')>(esbuildUrl());
    // Sync (an error path): node:fs/promises stays unloaded at start-up.
    const source = readFileSync(file, 'utf8');
    const ext = extname(file);
    const loader = ext === '.ts' || ext === '.mts' || ext === '.cts' ? 'ts' : 'js';
    await esbuild.transform(source, { loader, sourcefile: file, logLevel: 'silent' });
    return undefined;
  } catch (err) {
    const line = (err as { errors?: { location?: { line?: number } | null }[] }).errors?.[0]?.location?.line;
    return typeof line === 'number' ? line : undefined;
  }
}

function esbuildUrl(): string {
  const require = createRequire(import.meta.url);
  const tsxDir = dirname(require.resolve('tsx/package.json'));
  return pathToFileURL(require.resolve('esbuild', { paths: [tsxDir] })).href;
}
