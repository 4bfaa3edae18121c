/** Media type helpers: case-insensitive, parameters ignored (CloudEvents 1.0.3 §1.5 of shared/BINDINGS.md). */
export { isJsonEssence, mediaTypeEssence } from '@fnkit/sdk';

/** ASCII case-insensitive `startsWith` for a lower-case prefix, without allocating. */
export function startsWithIgnoreCase(value: string, lowerPrefix: string): boolean {
  const n = lowerPrefix.length;
  if (value.length < n) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    const p = lowerPrefix.charCodeAt(i);
    if (c === p) continue;
    if (p >= 0x61 && p <= 0x7a && c === p - 0x20) continue;
    return false;
  }
  return true;
}
