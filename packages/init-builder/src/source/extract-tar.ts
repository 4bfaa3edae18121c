import { posix } from 'node:path';
import * as tar from 'tar';
import { BuildError } from '../build-error.js';
import { safeEntryPath } from './safe-path.js';
import { UnpackBudget, type UnpackLimits } from './unpack-budget.js';

const ALLOWED = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

/**
 * Extracts a .tgz/.tar.gz (or plain .tar) into `dir`. Every entry is checked first, so nothing is written
 * when one would escape the directory (zip-slip, through its path or a link's target), is a device, or
 * takes the entries past the unpack limits.
 */
export async function extractTar(archive: string, dir: string, limits: UnpackLimits): Promise<number> {
  const budget = new UnpackBudget(archive, limits);
  let files = 0;
  const problems: BuildError[] = [];
  try {
    await tar.t({
      file: archive,
      strict: true,
      onReadEntry: (entry) => {
        try {
          const rel = safeEntryPath(archive, entry.path);
          budget.take(entry.path, entry.size ?? 0);
          if (!ALLOWED.has(entry.type)) {
            throw new BuildError(`${archive}: entry '${entry.path}' is a ${entry.type}; only files, directories and links are extracted`);
          }
          if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
            const link = entry.linkpath ?? '';
            const resolved = entry.type === 'Link' ? link : posix.join(posix.dirname(rel), link);
            if (link.startsWith('/') || posix.normalize(resolved).split('/')[0] === '..') {
              throw new BuildError(`${archive}: link '${entry.path}' -> '${link}' points outside the target directory (zip-slip); archive the file itself`);
            }
          }
          if (entry.type !== 'Directory') files++;
        } catch (err) {
          problems.push(err as BuildError);
        }
        entry.resume();
      },
    });
  } catch (err) {
    throw new BuildError(`${archive} is not a readable tar archive: ${(err as Error).message}`);
  }
  if (problems.length > 0) throw problems[0]!;
  try {
    await tar.x({ file: archive, cwd: dir, strict: true, preserveOwner: false, noMtime: true });
  } catch (err) {
    throw new BuildError(`${archive}: extraction failed: ${(err as Error).message}`);
  }
  return files;
}
