/** Function sources the init-builder tests build, as file maps (written to temporary directories). */

const MS_LOCK_ENTRY = {
  version: '2.1.3',
  resolved: 'https://registry.npmjs.org/ms/-/ms-2.1.3.tgz',
  integrity: 'sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==',
  license: 'MIT',
};

function packageFiles(name: string, deps: Record<string, string>, lockEntries: Record<string, unknown> | undefined): Record<string, string> {
  const pkg = { name, version: '1.0.0', private: true, dependencies: deps };
  const files: Record<string, string> = { 'package.json': `${JSON.stringify(pkg, null, 2)}\n` };
  if (lockEntries) {
    const lock = {
      name,
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name, version: '1.0.0', dependencies: deps }, ...lockEntries },
    };
    files['package-lock.json'] = `${JSON.stringify(lock, null, 2)}\n`;
  }
  return files;
}

/** TypeScript, ESM, a local module and one real dependency (ms) with its lockfile. */
export const TS_MS: Record<string, string> = {
  'handler.ts': [
    "import ms from 'ms';",
    "import { twice } from './util.js';",
    '',
    'export async function hello(event: { data?: unknown }): Promise<{ took: string; data: unknown }> {',
    '  return { took: ms(twice(1000)), data: event.data ?? null };',
    '}',
    '',
  ].join('\n'),
  'util.ts': 'export const twice = (n: number): number => n * 2;\n',
  ...packageFiles('ts-ms-function', { ms: '^2.1.3' }, { 'node_modules/ms': MS_LOCK_ENTRY }),
};

/** CommonJS JavaScript (Kubeless style: module.exports = { name() {} }) with ms. */
export const CJS_MS: Record<string, string> = {
  'handler.js': [
    "const ms = require('ms');",
    '',
    'module.exports = {',
    '  greet(event) {',
    "    return { took: ms(1500), kind: 'cjs', data: event.data ?? null };",
    '  },',
    '};',
    '',
  ].join('\n'),
  ...packageFiles('cjs-ms-function', { ms: '^2.1.3' }, { 'node_modules/ms': MS_LOCK_ENTRY }),
};

/** The TypeScript function without a lockfile: `npm install` resolves ms itself. */
export const TS_MS_NO_LOCK: Record<string, string> = Object.fromEntries(Object.entries(TS_MS).filter(([name]) => name !== 'package-lock.json'));

/** A single TypeScript file, no dependencies. */
export const SINGLE_TS = [
  "type Event = { data?: { name?: string } };",
  "export default function hello(event: Event): string {",
  "  return `hello ${event.data?.name ?? 'world'} from one file`;",
  '}',
  '',
].join('\n');

/** The TypeScript function with its helper in a sub-directory (as a ConfigMap mounts it through `items`). */
export const TS_MS_NESTED: Record<string, string> = {
  ...Object.fromEntries(Object.entries(TS_MS).filter(([name]) => name !== 'util.ts')),
  'handler.ts': TS_MS['handler.ts']!.replace("'./util.js'", "'./lib/util.js'"),
  'lib/util.ts': TS_MS['util.ts']!,
};

/** A function written against @fnkit/sdk with no package.json, as the examples are: fn-build provides the SDK. */
export const SDK_NO_PACKAGE: Record<string, string> = {
  'greet.ts': [
    "import { defineFunction, NotFoundError } from '@fnkit/sdk';",
    '',
    'export default defineFunction<{ name?: string }>(async (event) => {',
    "  if (event.data?.name === 'nobody') throw new NotFoundError('no such person');",
    "  return { hello: event.data?.name ?? 'world' };",
    '});',
    '',
  ].join('\n'),
};

/** TypeScript written the CommonJS way (as tsx runs it in a package without "type": "module"). */
export const TS_COMMONJS_NAMES: Record<string, string> = {
  'handler.ts': [
    "import { readFileSync } from 'node:fs';",
    "import { join } from 'node:path';",
    '',
    "const greeting = readFileSync(join(__dirname, 'greeting.txt'), 'utf8').trim();",
    "const legacy = require('./legacy.cjs') as { shout(s: string): string; host: string };",
    '',
    'export function handler(): { text: string; file: string; host: boolean } {',
    "  return { text: legacy.shout(greeting), file: __filename.split('/').pop()!, host: legacy.host.length > 0 };",
    '}',
    '',
  ].join('\n'),
  'legacy.cjs': "const os = require('node:os');\nexports.shout = (s) => s.toUpperCase();\nexports.host = os.hostname();\n",
  'greeting.txt': 'hello from a file\n',
};
