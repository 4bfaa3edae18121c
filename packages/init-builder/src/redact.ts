/**
 * Removes credentials from text that may reach the log: npm auth settings (`_authToken=...`, `_auth=...`,
 * `_password=...`), `Authorization` headers and `user:password@` in URLs.
 */
export function redact(text: string): string {
  return text
    .replace(/(_authToken|_auth|_password|password|token)(\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi, '$1$2***')
    .replace(/(authorization:\s*)(bearer|basic)?\s*\S+/gi, (_m, head: string, kind: string | undefined) => `${head}${kind ? `${kind} ` : ''}***`)
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+(?::[^/\s@]*)?@/gi, '$1***@');
}
