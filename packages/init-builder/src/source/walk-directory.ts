import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError } from '../build-error.js';

export interface SourceFile {
  /** Path relative to the source root, '/'-separated. */
  rel: string;
  /** Absolute path to read (symbolic links resolved by the reader). */
  abs: string;
  mode: number;
}

/**
 * Lists the regular files of a source directory, following symbolic links (a ConfigMap mount is a set of
 * links into `..data/`). Skipped: names starting with `..` (the mount's `..data` and `..<timestamp>`
 * directories, reached through the links instead), a top-level `node_modules` (fn-build installs its
 * own) and any directory in `skip` (given as real paths: the target when it lies inside the source).
 * Sorted by path (byte order), so the listing and the checksum over it are stable.
 */
export function walkDirectory(root: string, skip: ReadonlySet<string> = new Set()): SourceFile[] {
  const files: SourceFile[] = [];
  const visit = (dir: string, rel: string, ancestors: Set<string>): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('..')) continue;
      if (rel === '' && name === 'node_modules') continue;
      const abs = join(dir, name);
      const relPath = rel === '' ? name : `${rel}/${name}`;
      let st;
      try {
        st = statSync(abs);
      } catch {
        throw new BuildError(`source entry ${abs} is a broken symbolic link: fix or remove it`);
      }
      if (st.isDirectory()) {
        const real = realpathSync(abs);
        if (skip.has(real)) continue;
        if (ancestors.has(real)) throw new BuildError(`source directory ${abs} links back to ${real} (a loop): remove the link`);
        visit(abs, relPath, new Set([...ancestors, real]));
      } else if (st.isFile()) {
        files.push({ rel: relPath, abs, mode: st.mode & 0o777 });
      }
      // Sockets, FIFOs and devices are not source: skipped.
    }
  };
  visit(root, '', new Set([realpathSync(root)]));
  return files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}
