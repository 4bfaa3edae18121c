import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

/**
 * esbuild plugin for fn-run's CLI bundle: a few top-level require() calls in fastify's files load modules
 * that only options fn-run never sets use (HTTPS, HTTP/2, DNS for binding every address of a host name,
 * plugin version checks, trustProxy). Each becomes a stand-in that requires the module the first time
 * it is used, so start-up neither evaluates them nor loads tls, http2 and the rest of their graph.
 * The stand-in forwards property reads and calls, so any use still gets the real module.
 * A require the plugin no longer finds (after a fastify upgrade) fails the build, naming it.
 */
const LAZY: Record<string, string[]> = {
  'fastify/lib/server.js': ['node:https', 'node:http2', 'node:dns'],
  'fastify/lib/plugin-utils.js': ['semver'],
  'fastify/lib/request.js': ['@fastify/proxy-addr'],
};

const HELPER =
  'function __fnkitLazyRequire(load) { let m; const get = () => (m ??= load()); ' +
  'return new Proxy(() => {}, { get: (_, key) => get()[key], has: (_, key) => key in get(), apply: (_, self, args) => Reflect.apply(get(), self, args) }); }\n';

export const lazyRequires: Plugin = {
  name: 'fnkit-lazy-requires',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]fastify[\\/]lib[\\/](server|plugin-utils|request)\.js$/ }, async (args) => {
      const key = Object.keys(LAZY).find((k) => args.path.replaceAll('\\', '/').endsWith(`/node_modules/${k}`));
      if (!key) return undefined;
      let source = await readFile(args.path, 'utf8');
      for (const id of LAZY[key]!) {
        const call = `require('${id}')`;
        if (source.split(call).length !== 2) throw new Error(`lazy-requires: ${key} no longer has exactly one ${call}; update build/lazy-requires.ts`);
        source = source.replace(call, `__fnkitLazyRequire(() => ${call})`);
      }
      // After 'use strict' (kept as the first statement).
      source = source.replace(/^(['"])use strict\1;?\n/, (m) => m + HELPER);
      if (!source.includes(HELPER)) source = HELPER + source;
      return { contents: source, loader: 'js' };
    });
  },
};
