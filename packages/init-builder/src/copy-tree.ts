import { copyFileSync, constants, linkSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export type CopyMode = 'hardlink' | 'copy';

/**
 * Copies a directory tree (node_modules) file by file: hard links when source and destination share a
 * filesystem (near free), else a copy (a reflink where the filesystem has them). Symbolic links
 * (node_modules/.bin) are recreated as links. Returns how the files were placed.
 */
export function copyTree(from: string, to: string): CopyMode {
  let mode: CopyMode = 'hardlink';
  const visit = (src: string, dst: string): void => {
    mkdirSync(dst, { recursive: true });
    for (const name of readdirSync(src)) {
      const s = join(src, name);
      const d = join(dst, name);
      const st = lstatSync(s);
      if (st.isDirectory()) visit(s, d);
      else if (st.isSymbolicLink()) symlinkSync(readlinkSync(s), d);
      else if (mode === 'hardlink') {
        try {
          linkSync(s, d);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw err;
          mode = 'copy';
          copyFileSync(s, d, constants.COPYFILE_FICLONE);
        }
      } else copyFileSync(s, d, constants.COPYFILE_FICLONE);
    }
  };
  visit(from, to);
  return mode;
}
