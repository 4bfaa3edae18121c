import type { FunctionModule, Handler } from '@fnkit/sdk';
import { LoadError } from './load-error.js';

type Namespace = Record<string, unknown>;

export interface ResolvedExport {
  handler: Handler;
  exportName: string;
  module: FunctionModule;
}

const LIFECYCLE = ['init', 'shutdown', 'liveness', 'readiness'] as const;

/**
 * Picks the handler out of an imported module namespace. Without a name: the default export when it is
 * a function (for CommonJS, `default` is `module.exports`), else `module.exports.handler`, else a named
 * export `handler`. With a name: the named export, else a member of `module.exports`.
 */
export function resolveExport(ns: Namespace, file: string, exportName: string | undefined): ResolvedExport {
  const def = ns.default;
  const container = isObject(def) ? (def as Namespace) : undefined;
  let value: unknown;
  let name: string;
  if (exportName !== undefined) {
    name = exportName;
    value = Object.hasOwn(ns, name) ? ns[name] : container && name in container ? container[name] : undefined;
    if (value === undefined) {
      throw new LoadError(`cannot load ${file}: export '${name}' not found; the module exports: ${listExports(ns)}`);
    }
  } else if (typeof def === 'function') {
    name = 'default';
    value = def;
  } else if (container && typeof container.handler === 'function') {
    name = 'handler';
    value = container.handler;
  } else if (ns.handler !== undefined) {
    name = 'handler';
    value = ns.handler;
  } else {
    throw new LoadError(
      `cannot load ${file}: no handler found: expected a default export function or an export named 'handler' (or give one with file#name or --handler); the module exports: ${listExports(ns)}`,
    );
  }
  if (typeof value !== 'function') {
    throw new LoadError(`cannot load ${file}: export '${name}' is not a function (found ${describe(value)})`);
  }
  const module: FunctionModule = {};
  for (const key of LIFECYCLE) {
    const fn = typeof ns[key] === 'function' ? ns[key] : container?.[key];
    if (typeof fn === 'function') module[key] = fn as never;
  }
  return { handler: value as Handler, exportName: name, module };
}

function isObject(v: unknown): boolean {
  return v !== null && typeof v === 'object';
}

function listExports(ns: Namespace): string {
  const names = new Set<string>();
  for (const key of Object.keys(ns)) {
    if (key === 'module.exports') continue;
    names.add(key);
  }
  const def = ns.default;
  if (isObject(def) && Object.getPrototypeOf(def) === Object.prototype) {
    // CommonJS `module.exports = { ... }`: its members are what the author thinks of as exports.
    names.delete('default');
    for (const key of Object.keys(def as object)) names.add(key);
  }
  return names.size === 0 ? '(nothing)' : [...names].join(', ');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
