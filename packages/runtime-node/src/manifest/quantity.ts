import { ConfigError } from '../config/settings.js';

/**
 * Kubernetes resource quantities as `fn-run manifest` takes them: memory as `256Mi`, `1Gi`, `512M` or
 * bytes; CPU as `100m`, `0.5` or `2`. Values are kept as the user wrote them (Kubernetes normalises) and
 * converted to numbers only to compare requests with limits and to size the V8 heap.
 */

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Bytes in a memory quantity. Throws ConfigError naming `flag`. */
export function memoryBytes(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKMGT]i?)?$/.exec(value.trim());
  const unit = m?.[2] ?? '';
  if (!m || MEMORY_UNITS[unit] === undefined) {
    throw new ConfigError(`${flag}=${JSON.stringify(value)} is not valid: expected a memory quantity such as 256Mi, 1Gi or 512M`);
  }
  const bytes = Math.round(Number(m[1]) * MEMORY_UNITS[unit]!);
  if (bytes <= 0) throw new ConfigError(`${flag}=${JSON.stringify(value)} is not valid: expected more than zero`);
  return bytes;
}

/** Millicores in a CPU quantity. Throws ConfigError naming `flag`. */
export function cpuMillis(value: string, flag: string): number {
  const v = value.trim();
  const m = /^(\d+)m$/.exec(v) ?? /^(\d+(?:\.\d+)?)$/.exec(v);
  if (!m) throw new ConfigError(`${flag}=${JSON.stringify(value)} is not valid: expected a CPU quantity such as 100m, 0.5 or 2`);
  const millis = v.endsWith('m') ? Number(m[1]) : Number(m[1]) * 1000;
  if (millis <= 0) throw new ConfigError(`${flag}=${JSON.stringify(value)} is not valid: expected more than zero`);
  return millis;
}

/**
 * The V8 old-space size for a container memory limit: about three quarters of it, in MiB, so the heap
 * hits its own limit (a catchable, logged out-of-memory) before the kernel's OOM killer ends the pod
 * without a word. The rest is for code, buffers and native memory.
 */
export function heapMiB(limitBytes: number): number {
  return Math.max(16, Math.floor((limitBytes * 0.75) / (1024 * 1024)));
}
