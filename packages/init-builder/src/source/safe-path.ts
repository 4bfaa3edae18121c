import { BuildError } from '../build-error.js';

/**
 * Checks an archive entry's path stays inside the extraction directory (zip-slip): relative, no `..`
 * segment, no drive letter or backslash tricks. Returns the normalised '/'-separated path.
 */
export function safeEntryPath(archive: string, entry: string): string {
  const path = entry.replace(/\\/g, '/');
  const escapes =
    path.startsWith('/') || /^[a-zA-Z]:/.test(path) || path.split('/').some((segment) => segment === '..') || path.includes('\0');
  if (escapes) {
    throw new BuildError(
      `${archive}: entry '${entry}' would be written outside the target directory (zip-slip); rebuild the archive with paths relative to the function's root`,
    );
  }
  return path
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}
