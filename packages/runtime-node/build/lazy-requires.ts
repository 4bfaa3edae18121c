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
 * node:assert (fastify's plugin checks, find-my-way's route and option checks: ~1.5 ms of start-up CPU
 * with the tty and colour modules it loads) gets a stand-in that also answers a call whose first
 * argument is truthy itself: `assert(value, message)` then does nothing, as the real one does; any other
 * call (a falsy value, no argument) and every property goes to the real module. All these modules' asserts
 * pass a message, so the real assert never has to read the caller's source for one.
 * A require the plugin no longer finds (after an upgrade) fails the build, naming it.
 */
const LAZY: Record<string, string[]> = {
  'fastify/lib/server.js': ['node:https', 'node:http2', 'node:dns'],
  'fastify/lib/plugin-utils.js': ['semver', 'node:assert'],
  'find-my-way/index.js': ['node:assert'],
  'find-my-way/lib/constrainer.js': ['node:assert'],
  'find-my-way/lib/strategies/accept-version.js': ['node:assert'],
  'find-my-way/lib/strategies/accept-host.js': ['node:assert'],
  'fastify/lib/request.js': ['@fastify/proxy-addr'],
  'pino/lib/tools.js': ['sonic-boom', 'on-exit-leak-free', './transport'],
  'pino/pino.js': ['./lib/transport'],
};

/**
 * Exact rewrites (each `from` must occur exactly once) for a top-level require whose result is destructured,
 * which a stand-in cannot defer: pino's tools.js takes `isMainThread` from node:worker_threads only for its
 * own SonicBoom destinations (never made here); loading worker_threads for it cost ~0.6 ms of every start.
 */
const REWRITES: Record<string, [string, string][]> = {
  'pino/lib/tools.js': [
    ["const { isMainThread } = require('worker_threads')", "const __fnkitWorkerThreads = __fnkitLazyRequire(() => require('worker_threads'))"],
    ['!opts.sync && isMainThread', '!opts.sync && __fnkitWorkerThreads.isMainThread'],
  ],
};

const HELPER =
  'function __fnkitLazyRequire(load) { let m; const get = () => (m ??= load()); ' +
  'return new Proxy(function () {}, { ' +
  'get: (_, key) => (key === Symbol.hasInstance && m === undefined ? () => false : get()[key]), ' +
  'has: (_, key) => key in get(), ' +
  'apply: (_, self, args) => Reflect.apply(get(), self, args), ' +
  'construct: (_, args) => Reflect.construct(get(), args) }); }\n' +
  'function __fnkitLazyAssert(load) { const stand = __fnkitLazyRequire(load); ' +
  'return new Proxy(stand, { apply: (_, self, args) => (args.length > 0 && args[0] ? undefined : Reflect.apply(stand, self, args)) }); }\n';

export const lazyRequires: Plugin = {
  name: 'fnkit-lazy-requires',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/](fastify|pino|find-my-way)[\\/].*\.js$/ }, async (args) => {
      const path = args.path.replaceAll('\\', '/');
      const key = [...Object.keys(LAZY), ...Object.keys(REWRITES)].find((k) => path.endsWith(`/node_modules/${k}`));
      if (!key) return undefined;
      let source = await readFile(args.path, 'utf8');
      for (const [from, to] of REWRITES[key] ?? []) {
        if (source.split(from).length !== 2) throw new Error(`lazy-requires: ${key} no longer has exactly one \`${from}\`; update build/lazy-requires.ts`);
        source = source.replace(from, to);
      }
      for (const id of LAZY[key] ?? []) {
        const call = `require('${id}')`;
        if (source.split(call).length !== 2) throw new Error(`lazy-requires: ${key} no longer has exactly one ${call}; update build/lazy-requires.ts`);
        source = source.replace(call, `${id === 'node:assert' ? '__fnkitLazyAssert' : '__fnkitLazyRequire'}(() => ${call})`);
      }
      // After 'use strict' (kept as the first statement).
      source = source.replace(/^(['"])use strict\1;?\n/, (m) => m + HELPER);
      if (!source.includes(HELPER)) source = HELPER + source;
      return { contents: source, loader: 'js' };
    });
  },
};
