import type { FunctionModule, Handler } from './types.js';

/**
 * The rule for picking a function's handler out of its imported module namespace. fn-run loads the
 * handler with it and fn-build's handler check verifies a build with it, so both always agree.
 *
 * Without a name: the default export when it is a function (for CommonJS, `default` is
 * `module.exports`), else `module.exports.default` (an ES module compiled to CommonJS), else
 * `module.exports.handler`, else a named export `handler`. With a name: the
 * named export, else a member of `module.exports`.
 */
export type HandlerPick =
  | { ok: true; exportName: string; handler: Handler; module: FunctionModule }
  | { ok: false; reason: 'missing'; exportName: string }
  | { ok: false; reason: 'no-default' }
  | { ok: false; reason: 'not-function'; exportName: string; found: string };

type Namespace = Record<string, unknown>;

const LIFECYCLE = ['init', 'shutdown', 'liveness', 'readiness'] as const;

export function pickHandler(ns: Namespace, exportName: string | undefined): HandlerPick {
  const def = ns.default;
  const container = isObject(def) ? (def as Namespace) : undefined;
  let value: unknown;
  let name: string;
  if (exportName !== undefined) {
    name = exportName;
    value = Object.hasOwn(ns, name) ? ns[name] : container && name in container ? container[name] : undefined;
    if (value === undefined) return { ok: false, reason: 'missing', exportName: name };
    if (name === 'default' && value === container && typeof container?.default === 'function') value = container.default;
  } else if (typeof def === 'function') {
    name = 'default';
    value = def;
  } else if (container && typeof container.default === 'function') {
    // An ES module compiled to CommonJS (a .ts file outside a "type": "module" package, Babel, tsc):
    // its `export default` is module.exports.default.
    name = 'default';
    value = container.default;
  } else if (container && typeof container.handler === 'function') {
    name = 'handler';
    value = container.handler;
  } else if (ns.handler !== undefined) {
    name = 'handler';
    value = ns.handler;
  } else {
    return { ok: false, reason: 'no-default' };
  }
  if (typeof value !== 'function') return { ok: false, reason: 'not-function', exportName: name, found: describeValue(value) };
  // The lifecycle hooks: named exports, or members of a CommonJS module.exports.
  const module: FunctionModule = {};
  for (const key of LIFECYCLE) {
    const fn = typeof ns[key] === 'function' ? ns[key] : container?.[key];
    if (typeof fn === 'function') module[key] = fn as never;
  }
  return { ok: true, exportName: name, handler: value as Handler, module };
}

/** The export names an author would recognise (for CommonJS `module.exports = {...}`, its members), for error messages. */
export function describeExports(ns: Namespace): string {
  const names = new Set(Object.keys(ns).filter((k) => k !== 'module.exports'));
  const def = ns.default;
  if (isObject(def) && Object.getPrototypeOf(def) === Object.prototype) {
    names.delete('default');
    for (const k of Object.keys(def as object)) names.add(k);
  }
  return names.size === 0 ? '(nothing)' : [...names].join(', ');
}

/** What a value is, for "is not a function (found …)": `null`, `an array`, `an object`, `a number`. */
function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return t === 'object' || t === 'undefined' ? `an ${t}` : `a ${t}`;
}

function isObject(v: unknown): boolean {
  return v !== null && typeof v === 'object';
}
