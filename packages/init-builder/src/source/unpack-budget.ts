import { BuildError } from '../build-error.js';

/** How much an archive source may unpack to: a zip bomb or a runaway tarball stops with a clear line, not a full disk. */
export interface UnpackLimits {
  /** Total uncompressed bytes of all entries. */
  maxBytes: number;
  /** Number of entries (files, directories, links). */
  maxEntries: number;
}

export const DEFAULT_UNPACK_LIMITS: UnpackLimits = { maxBytes: 512 * 1024 * 1024, maxEntries: 100_000 };

/**
 * Counts an archive's entries against the limits as they are listed (before their data is written), from
 * the sizes the archive declares; yauzl and tar both fail an entry whose data does not match its declared size.
 */
export class UnpackBudget {
  #bytes = 0;
  #entries = 0;

  constructor(
    private readonly archive: string,
    private readonly limits: UnpackLimits,
  ) {}

  take(entry: string, size: number): void {
    this.#entries++;
    this.#bytes += size;
    if (this.#entries > this.limits.maxEntries) {
      throw new BuildError(
        `${this.archive} holds more than ${this.limits.maxEntries} entries (the limit; '${entry}' is past it): ship a smaller source, or raise FNKIT_MAX_SOURCE_FILES / --max-source-files`,
      );
    }
    if (this.#bytes > this.limits.maxBytes) {
      throw new BuildError(
        `${this.archive} unpacks to more than ${formatBytes(this.limits.maxBytes)} (the limit; entry '${entry}' of ${formatBytes(size)} is past it): ship a smaller source, or raise FNKIT_MAX_SOURCE_BYTES / --max-source-bytes`,
      );
    }
  }
}

export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= size) return `${Number((n / size).toFixed(1))} ${unit}`;
  }
  return `${n} bytes`;
}
