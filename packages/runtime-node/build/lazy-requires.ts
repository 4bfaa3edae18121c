import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

/**
 * esbuild plugin for fn-run's CLI bundle: some top-level require() calls in fastify and pino load modules
 * that only options fn-run never sets use: HTTPS, HTTP/2 and DNS (fastify's https/http2 options, binding
 * every address of a host name), semver (plugin version checks), proxy-addr (trustProxy), and pino's own
 * destinations and transports (sonic-boom, thread-stream, on-exit-leak-free: fn-run gives pino its own
 * stream). Each becomes a stand-in that requires the module the first time it is used, so start-up
 * neither evaluates them nor loads tls, http2 and the rest of their graph. The stand-in forwards property
 * reads, calls and `new`, so any use still gets the real module; `x instanceof StandIn` is false while the module
 * has not been loaded (no instance of its classes can exist yet) and asks the real class after that.
 * A require the plugin no longer finds (after an upgrade) fails the build, naming it.
 */
const LAZY: Record<string, string[]> = {
  'fastify/lib/server.js': ['node:https', 'node:http2', 'node:dns'],
  'fastify/lib/plugin-utils.js': ['semver'],
  'fastify/lib/request.js': ['@fastify/proxy-addr'],
  'pino/lib/tools.js': ['sonic-boom', 'on-exit-leak-free', './transport'],
  'pino/pino.js': ['./lib/transport'],
};

const HELPER =
  'function __fnkitLazyRequire(load) { let m; const get = () => (m ??= load()); ' +
  'return new Proxy(function () {}, { ' +
  'get: (_, key) => (key === Symbol.hasInstance && m === undefined ? () => false : get()[key]), ' +
  'has: (_, key) => key in get(), ' +
  'apply: (_, self, args) => Reflect.apply(get(), self, args), ' +
  'construct: (_, args) => Reflect.construct(get(), args) }); }\n';

export const lazyRequires: Plugin = {
  name: 'fnkit-lazy-requires',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/](fastify|pino)[\\/].*\.js$/ }, async (args) => {
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
