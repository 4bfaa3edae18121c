import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { BuildError } from '../build-error.js';
import { walkDirectory, type SourceFile } from './walk-directory.js';

/**
 * The source checksum `--checksum` compares against, as `sha256:<hex>`:
 * - a file (a single module, a .zip, a .tgz): the SHA-256 of its bytes, as `sha256sum <file>` prints it;
 * - a directory: the SHA-256 of the listing `sha256sum` would print for its files, sorted by path in byte
 *   order: one line `<hex of the file's content>  <relative path>\n` per file, with the same files fn-build
 *   takes (links followed; `..*` entries and a top-level node_modules left out). From a shell:
 *   `cd <dir> && find -L . -path ./node_modules -prune -o -name '..*' -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum`.
 */
export async function sourceChecksum(source: string, skip?: ReadonlySet<string>): Promise<string> {
  let st;
  try {
    st = statSync(source);
  } catch {
    throw new BuildError(`source ${source} does not exist`);
  }
  if (st.isDirectory()) return directoryChecksum(walkDirectory(source, skip));
  return `sha256:${await fileSha256(source)}`;
}

/** The directory checksum from a listing (the files' contents are read again here). */
export function directoryChecksum(files: readonly SourceFile[], contents?: ReadonlyMap<string, string>): string {
  const listing = createHash('sha256');
  for (const f of files) {
    const hex = contents?.get(f.rel) ?? createHash('sha256').update(readFileSync(f.abs)).digest('hex');
    listing.update(`${hex}  ${f.rel}\n`);
  }
  return `sha256:${listing.digest('hex')}`;
}

export function fileSha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => hash.update(c))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
