import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Packages fn-build brings itself when a function imports them without declaring them. */
export const PROVIDED_PACKAGES = new Set(['@fnkit/sdk']);

/** The SDK copy built into this package (dist/vendor/fnkit-sdk, next to the bundled code). */
function vendoredSdk(): string | undefined {
  for (const rel of ['./vendor/fnkit-sdk', '../dist/vendor/fnkit-sdk']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
}

/**
 * Functions written against fnkit import `@fnkit/sdk` (defineFunction, typed errors, response helpers).
 * When the handler imports it and package.json does not declare it (or there is none), fn-build puts its
 * own copy into node_modules, so such a function deploys without a package.json. Returns `name@version`,
 * or undefined when nothing was provided.
 */
export function provideSdk(dir: string, imports: ReadonlyMap<string, string>, declared: ReadonlySet<string>): string | undefined {
  if (!imports.has('@fnkit/sdk') || declared.has('@fnkit/sdk')) return undefined;
  const target = join(dir, 'node_modules', '@fnkit', 'sdk');
  if (existsSync(target)) return undefined;
  const source = vendoredSdk();
  if (!source) return undefined; // the load check then says the package is missing
  cpSync(source, target, { recursive: true });
  const { name, version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { name: string; version: string };
  return `${name}@${version}`;
}
