import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { ConfigError } from '../config/settings.js';

/**
 * The function's source as it goes into the ConfigMap: every file of the function directory except
 * `node_modules/`, hidden entries (`.git`, `.env`, `.npmrc`: mount registry credentials from a Secret with
 * --npmrc-secret instead) and test files; or a single archive (.tgz, .tar.gz, .zip) as one binary entry.
 */
export interface SourceFile {
  /** Path relative to the source root, with `/`. */
  path: string;
  /** The ConfigMap key: the path with `/` written as `__` (keys cannot hold `/`). */
  key: string;
  content: Buffer;
  /** True when the content is valid UTF-8 text (goes to `data`), else `binaryData`. */
  text: boolean;
}

export interface FunctionSource {
  kind: 'directory' | 'archive';
  /** The directory given (or the archive's directory). */
  root: string;
  files: SourceFile[];
  /** `sha256:<hex>`: of the archive file, or over a directory's paths and contents; changes whenever any file does. */
  checksum: string;
}

/** Kubernetes refuses a ConfigMap whose data and binaryData together exceed 1 MiB. */
export const CONFIGMAP_LIMIT_BYTES = 1024 * 1024;

const ARCHIVE = /\.(tgz|tar\.gz|zip)$/i;
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;
const KEY = /^[-._a-zA-Z0-9]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function isArchive(path: string): boolean {
  return ARCHIVE.test(path);
}

/** Reads the source at `path` (a directory or an archive file). Throws ConfigError with what to do. */
export function readFunctionSource(path: string, root: string): FunctionSource {
  const files = isArchive(path) ? [archiveFile(path)] : directoryFiles(root);
  if (files.length === 0) throw new ConfigError(`${root} holds no source files`);
  const size = files.reduce((n, f) => n + f.key.length + f.content.length, 0);
  if (size > CONFIGMAP_LIMIT_BYTES) {
    const biggest = [...files].sort((a, b) => b.content.length - a.content.length).slice(0, 3);
    throw new ConfigError(
      `the source in ${root} is ${kib(size)}, over the 1 MiB a ConfigMap can hold (largest: ${biggest.map((f) => `${f.path} ${kib(f.content.length)}`).join(', ')}); ` +
        'leave out what the function does not need, or pack it with `npm pack` (a .tgz, without node_modules) and pass that file instead of the directory',
    );
  }
  return { kind: isArchive(path) ? 'archive' : 'directory', root, files, checksum: checksum(files, isArchive(path)) };
}

/**
 * The checksum fn-build verifies (`fn-build checksum <source>`): for an archive `sha256sum` of the file,
 * as Kubeless' spec.checksum was; for a directory, the sha256 of the `sha256sum` listing of its files in
 * byte order of their paths (`<hex>  <path>` lines), which the ConfigMap mount reproduces exactly.
 */
function checksum(files: readonly SourceFile[], archive: boolean): string {
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  if (archive) return `sha256:${sha(files[0]!.content)}`;
  // Paths are ASCII (ConfigMap keys allow nothing else), so string order is byte order.
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return `sha256:${sha(sorted.map((f) => `${sha(f.content)}  ${f.path}\n`).join(''))}`;
}

function archiveFile(path: string): SourceFile {
  const name = basename(path);
  if (!KEY.test(name)) throw new ConfigError(`archive name ${JSON.stringify(name)} cannot be a ConfigMap key: rename it to letters, digits, '-', '_' and '.' only`);
  return { path: name, key: name, content: readFileSync(path), text: false };
}

function directoryFiles(root: string): SourceFile[] {
  const out: SourceFile[] = [];
  const keys = new Map<string, string>();
  const visited = new Set<string>([realpathSync(root)]);
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(dir, entry.name);
      const isDir = entry.isDirectory() || (entry.isSymbolicLink() && statSync(full).isDirectory());
      if (isDir) {
        const real = realpathSync(full);
        if (visited.has(real)) throw new ConfigError(`${full} links back to ${real} (a loop): remove the link`);
        visited.add(real);
        walk(full);
        continue;
      }
      if (TEST_FILE.test(entry.name)) continue;
      const path = relative(root, full).split(sep).join('/');
      const key = path.split('/').join('__');
      if (!KEY.test(key)) {
        throw new ConfigError(`${path}: a ConfigMap key may hold only letters, digits, '-', '_' and '.'; rename the file or pack the source as a .tgz`);
      }
      const clash = keys.get(key);
      if (clash !== undefined) throw new ConfigError(`${path} and ${clash} map to the same ConfigMap key ${key}; rename one`);
      keys.set(key, path);
      const content = readFileSync(full);
      out.push({ path, key, content, text: isUtf8(content) });
    }
  };
  walk(root);
  return out;
}

function isUtf8(b: Buffer): boolean {
  try {
    utf8.decode(b);
    return true;
  } catch {
    return false;
  }
}

function kib(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}
