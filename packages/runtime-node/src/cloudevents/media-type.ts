/** Media type helpers: case-insensitive, parameters ignored (CloudEvents 1.0.3 §1.5 of shared/BINDINGS.md). */

/** The essence of a media type: `Application/JSON; charset=UTF-8` → `application/json`. */
export function mediaTypeEssence(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** `*\/json` or `*\/*+json` (an essence, as from mediaTypeEssence). */
export function isJsonEssence(essence: string): boolean {
  return essence.endsWith('/json') || essence.endsWith('+json');
}

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
