import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { BuildError } from './build-error.js';

/** The build record: written last, so its presence means the target is complete. */
export const RECORD_FILE = '.fnkit-build.json';
/** Present while a build owns the target and has not finished (a failed build leaves it, and nothing else). */
export const BUILDING_FILE = '.fnkit-building';
const STAGING_PREFIX = '.fnkit-staging-';
const TRASH_PREFIX = '.fnkit-trash-';
const KEEP = new Set(['lost+found', BUILDING_FILE]);

/**
 * Claims the target directory (the pod's EmptyDir, maybe a mount point) and empties it: only an empty
 * directory or one an earlier fn-build wrote to (its record or its in-progress marker) is accepted, so a
 * mistaken --target never wipes someone's files. Returns a fresh staging directory inside the target:
 * the same filesystem, so the final moves are renames, and invisible to fn-run (which looks for
 * <MOD_NAME>.js at the top level). `removed` settles once the previous build's files are deleted.
 */
export function claimTarget(target: string, keep: ReadonlySet<string>): { staging: string; removed: Promise<void> } {
  try {
    mkdirSync(target, { recursive: true });
  } catch (err) {
    throw new BuildError(`cannot create the target directory ${target} (${(err as NodeJS.ErrnoException).code}): mount a writable volume (the EmptyDir) there or give --target`);
  }
  const entries = readdirSync(target);
  const ours = entries.includes(RECORD_FILE) || entries.includes(BUILDING_FILE) || entries.every((e) => KEEP.has(e) || e.startsWith(STAGING_PREFIX) || keep.has(e));
  if (!ours) {
    throw new BuildError(
      `target ${target} is not empty and was not written by fn-build (no ${RECORD_FILE}); give an empty directory (the pod's EmptyDir) as --target / KUBELESS_INSTALL_VOLUME`,
    );
  }
  try {
    writeFileSync(join(target, BUILDING_FILE), `${JSON.stringify({ pid: process.pid, started: new Date().toISOString() })}\n`);
    // First the record, so from here on the target never looks complete; then the old entries, moved
    // (renames: instant) into a trash directory that is deleted while the build goes on.
    rmSync(join(target, RECORD_FILE), { force: true });
    const old = entries.filter((e) => !KEEP.has(e) && !keep.has(e) && e !== RECORD_FILE);
    let removed: Promise<void> = Promise.resolve();
    if (old.length > 0) {
      const trash = mkdtempSync(join(target, TRASH_PREFIX));
      for (const e of old) renameSync(join(target, e), join(trash, e));
      removed = rm(trash, { recursive: true, force: true }).catch(() => undefined);
    }
    return { staging: mkdtempSync(join(target, STAGING_PREFIX)), removed };
  } catch (err) {
    if (err instanceof BuildError) throw err;
    throw new BuildError(`cannot write to the target directory ${target} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): it must be writable by this user`);
  }
}

/** Top-level names in the target to leave alone: the cache directory when it lies inside the target. */
export function entriesToKeep(target: string, cache: string | undefined): Set<string> {
  const keep = new Set<string>();
  if (!cache) return keep;
  const rel = relative(target, cache);
  if (rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep)) keep.add(rel.split(sep)[0]!);
  return keep;
}

/**
 * Moves the staged build into the target, entry by entry (the target may be a mount point, so it cannot be
 * replaced as a whole), the handler module's entries last, so fn-run cannot find <MOD_NAME>.js before the
 * rest is in place. Returns the number of entries moved.
 */
export function moveIntoTarget(staging: string, target: string, lastEntries: ReadonlySet<string>): number {
  const entries = readdirSync(staging);
  const ordered = [...entries.filter((e) => !lastEntries.has(e)), ...entries.filter((e) => lastEntries.has(e))];
  for (const e of ordered) {
    rmSync(join(target, e), { recursive: true, force: true });
    renameSync(join(staging, e), join(target, e));
  }
  return ordered.length;
}

/** Writes the record under a temporary name and renames it (atomic): from then on the target is complete. */
export function finishTarget(staging: string, target: string, record: unknown): void {
  const tmp = join(target, `${RECORD_FILE}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, join(target, RECORD_FILE));
  rmSync(join(target, BUILDING_FILE), { force: true });
  rmSync(staging, { recursive: true, force: true });
}

/** After a failure: the staging directory goes; the target keeps only the in-progress marker. */
export function abandonStaging(staging: string | undefined): void {
  if (staging && existsSync(staging)) rmSync(staging, { recursive: true, force: true });
}

/** Real path, or the path itself when it does not exist yet. */
export function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
