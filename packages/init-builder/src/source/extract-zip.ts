import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { BuildError } from '../build-error.js';
import { safeEntryPath } from './safe-path.js';
import { UnpackBudget, type UnpackLimits } from './unpack-budget.js';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/**
 * Extracts a .zip into `dir`, rejecting any entry whose path would escape it (zip-slip) or that is a link, and
 * stopping when the entries pass the unpack limits (a zip bomb). Returns the file count. On an error the caller
 * discards `dir` (the build's staging directory), so nothing half-extracted is used.
 */
export async function extractZip(archive: string, dir: string, limits: UnpackLimits): Promise<number> {
  const budget = new UnpackBudget(archive, limits);
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.open(archive, { lazyEntries: true, autoClose: true, decodeStrings: true, validateEntrySizes: true }, (err, z) => {
      if (err || !z) reject(new BuildError(`${archive} is not a readable zip archive: ${err?.message ?? 'unknown error'}`));
      else resolve(z);
    });
  });
  let files = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (err: Error) => reject(zipError(archive, err)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        handle(entry).then(
          () => zip.readEntry(),
          (err: unknown) => {
            zip.close();
            reject(err);
          },
        );
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return files;

  async function handle(entry: yauzl.Entry): Promise<void> {
    const rel = safeEntryPath(archive, entry.fileName);
    // macOS Finder adds resource forks under __MACOSX/: not part of the function.
    if (rel === '' || rel === '__MACOSX' || rel.startsWith('__MACOSX/')) return;
    budget.take(entry.fileName, entry.uncompressedSize);
    const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
    if ((mode & S_IFMT) === S_IFLNK) {
      throw new BuildError(`${archive}: entry '${entry.fileName}' is a symbolic link; fn-build does not extract links from archives: zip the file itself`);
    }
    const out = join(dir, rel);
    if (entry.fileName.endsWith('/')) {
      mkdirSync(out, { recursive: true });
      return;
    }
    mkdirSync(dirname(out), { recursive: true });
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      zip.openReadStream(entry, (err, s) => (err || !s ? reject(zipError(archive, err ?? new Error('no data'))) : resolve(s))),
    );
    await pipeline(stream, createWriteStream(out, { mode: mode & 0o111 ? 0o755 : 0o644 }));
    files++;
  }
}

/** yauzl validates names itself (with decodeStrings); its path complaints are zip-slip too. */
function zipError(archive: string, err: Error): BuildError {
  if (err instanceof BuildError) return err;
  const m = /^(?:invalid relative path|absolute path): (.*)$/.exec(err.message);
  if (m) {
    return new BuildError(
      `${archive}: entry '${m[1]}' would be written outside the target directory (zip-slip); rebuild the archive with paths relative to the function's root`,
    );
  }
  return new BuildError(`${archive} is not a readable zip archive: ${err.message}`);
}
