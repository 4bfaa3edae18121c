/**
 * A failure fn-build reports as one line: what went wrong, where, and what to do. Messages are written
 * for the init container's log, so they never carry a stack or a token.
 */
export class BuildError extends Error {
  override readonly name = 'BuildError';
}

/** Collapses a message to one line (the init container's log shows the reason as a single line). */
export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
