import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';

/**
 * Node's SyntaxError for an ES module carries no line number (Node prints it only for uncaught
 * errors). To name the line, the source is parsed once more with esbuild (already installed for tsx),
 * only on this error path. Returns undefined when that is not possible.
 */
export async function findSyntaxErrorLine(file: string): Promise<number | undefined> {
  try {
    const esbuild = (await import('esbuild')) as typeof import('esbuild');
    const source = await readFile(file, 'utf8');
    const ext = extname(file);
    const loader = ext === '.ts' || ext === '.mts' || ext === '.cts' ? 'ts' : 'js';
    await esbuild.transform(source, { loader, sourcefile: file, logLevel: 'silent' });
    return undefined;
  } catch (err) {
    const line = (err as { errors?: { location?: { line?: number } | null }[] }).errors?.[0]?.location?.line;
    return typeof line === 'number' ? line : undefined;
  }
}
