import { createHash } from 'node:crypto';
import { type Stats, closeSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { BuildError } from '../build-error.js';
import { directoryChecksum, fileSha256 } from './checksum.js';
import { DEFAULT_UNPACK_LIMITS, type UnpackLimits } from './unpack-budget.js';
import { walkDirectory } from './walk-directory.js';

export type SourceKind = 'directory' | 'zip' | 'tgz' | 'file';

export interface MaterializedSource {
  kind: SourceKind;
  /** Number of files written into the staging directory. */
  files: number;
  /** `sha256:<hex>` as documented in checksum.ts. */
  checksum: string;
  /** For a single-file source: its name in the staging directory. */
  file?: string;
  /** For an archive whose entries all sat in one top-level directory: that directory (unwrapped). */
  unwrapped?: string;
}

const MODULE_EXTENSIONS = new Set(['.js', '.cjs', '.mjs', '.ts', '.mts', '.cts']);

/**
 * Writes the function's source into `staging`: a directory is copied (links resolved), an archive is
 * extracted, a single module file is copied under its own name. The checksum is computed from the input
 * as it was read, and compared with `expected` before anything else happens.
 */
export async function materializeSource(
  source: string,
  staging: string,
  expected: string | undefined,
  skip: ReadonlySet<string>,
  module?: string,
  limits: UnpackLimits = DEFAULT_UNPACK_LIMITS,
): Promise<MaterializedSource> {
  const st = statSource(source);
  if (st.isDirectory()) {
    const files = walkDirectory(source, skip);
    if (files.length === 0) throw new BuildError(`source directory ${source} holds no files: mount the function's ConfigMap there or give --source`);
    const hashes = new Map<string, string>();
    const contents = new Map<string, Buffer>();
    for (const f of files) {
      const data = readFileSync(f.abs);
      contents.set(f.rel, data);
      hashes.set(f.rel, createHash('sha256').update(data).digest('hex'));
    }
    const checksum = directoryChecksum(files, hashes);
    verify(source, checksum, expected);
    for (const f of files) {
      const out = join(staging, f.rel);
      mkdirSync(dirname(out), { recursive: true });
      // ConfigMap files are often read-only (0444); the copy stays writable for the build and the runtime.
      writeFileSync(out, contents.get(f.rel)!, { mode: (f.mode | 0o600) & 0o755 });
    }
    return { kind: 'directory', files: files.length, checksum };
  }
  if (!st.isFile()) throw new BuildError(`source ${source} is neither a directory nor a file`);

  const checksum = `sha256:${await fileSha256(source)}`;
  verify(source, checksum, expected);
  const kind = archiveKind(source);
  if (kind === 'zip' || kind === 'tgz') {
    // Loaded only for archives: tar and yauzl take a noticeable part of start-up.
    const files = kind === 'zip' ? await (await import('./extract-zip.js')).extractZip(source, staging, limits) : await (await import('./extract-tar.js')).extractTar(source, staging, limits);
    if (files === 0) throw new BuildError(`${source} holds no files`);
    const unwrapped = unwrapSingleDirectory(staging, module);
    return { kind, files, checksum, ...(unwrapped ? { unwrapped } : {}) };
  }
  const name = basename(source);
  if (!MODULE_EXTENSIONS.has(extname(name))) {
    throw new BuildError(`source ${source} is not a directory, a .zip, a .tgz nor a module file (${[...MODULE_EXTENSIONS].join(' ')})`);
  }
  writeFileSync(join(staging, name), readFileSync(source));
  return { kind: 'file', files: 1, checksum, file: name };
}

/** The source's stat (links followed); a missing source is a clear line, checked before the target is touched. */
export function statSource(source: string): Stats {
  try {
    return statSync(source);
  } catch {
    throw new BuildError(`source ${source} does not exist: mount the function's ConfigMap there or give --source <dir|file|.zip|.tgz>`);
  }
}

function verify(source: string, actual: string, expected: string | undefined): void {
  if (expected !== undefined && actual !== expected) {
    throw new BuildError(`source ${source} does not match the expected checksum: expected ${expected}, found ${actual}; ship the source that checksum was made from, or update the checksum`);
  }
}

/** By name first (.zip, .tgz, .tar.gz, .tar), then by the first bytes (a ConfigMap key may have any name). */
function archiveKind(file: string): 'zip' | 'tgz' | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tgz') || lower.endsWith('.tar.gz') || lower.endsWith('.tar')) return 'tgz';
  if (MODULE_EXTENSIONS.has(extname(lower))) return undefined;
  const head = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'tgz';
  return undefined;
}

/**
 * `npm pack` and most zip tools put everything under one folder (`package/`): the function's root is
 * inside it. Not when the handler module is named through that folder (`MOD_NAME=src/handler`).
 */
function unwrapSingleDirectory(staging: string, module: string | undefined): string | undefined {
  const entries = readdirSync(staging, { withFileTypes: true });
  if (entries.length !== 1 || !entries[0]!.isDirectory()) return undefined;
  const only = entries[0]!.name;
  if (module?.startsWith(`${only}/`)) return undefined;
  const moved = join(staging, '.fnkit-unwrap');
  renameSync(join(staging, only), moved);
  for (const name of readdirSync(moved)) renameSync(join(moved, name), join(staging, name));
  rmdirSync(moved);
  return only;
}
