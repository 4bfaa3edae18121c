/** What the handler check found; `ok` when fn-run would find a function to call. */
export type CheckReport =
  | { ok: true; exportName: string; exports: string }
  | { ok: false; kind: 'missing' | 'not-function' | 'no-default' | 'load'; exportName?: string; found?: string; message?: string; code?: string; exports: string };

/**
 * fn-run's rule for picking the handler from a module namespace. With a name: the named export, else a
 * member of `module.exports` (CommonJS `default`). Without: a default export function, else
 * `module.exports.handler`, else an export named `handler`.
 */
export function pickExport(ns: Record<string, unknown>, exportName: string | undefined): CheckReport {
  const def = ns.default;
  const container = def !== null && typeof def === 'object' ? (def as Record<string, unknown>) : undefined;
  const exports = describeExports(ns);
  let name: string;
  let value: unknown;
  if (exportName !== undefined) {
    name = exportName;
    value = Object.hasOwn(ns, name) ? ns[name] : container && name in container ? container[name] : undefined;
    if (value === undefined) return { ok: false, kind: 'missing', exportName: name, exports };
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
    return { ok: false, kind: 'no-default', exports };
  }
  if (typeof value !== 'function') return { ok: false, kind: 'not-function', exportName: name, found: kindOf(value), exports };
  return { ok: true, exportName: name, exports };
}

/** The export names an author would recognise (for CommonJS `module.exports = {...}`, its members). */
export function describeExports(ns: Record<string, unknown>): string {
  const names = new Set(Object.keys(ns).filter((k) => k !== 'module.exports'));
  const def = ns.default;
  if (def !== null && typeof def === 'object' && Object.getPrototypeOf(def) === Object.prototype) {
    names.delete('default');
    for (const k of Object.keys(def)) names.add(k);
  }
  return names.size === 0 ? '(nothing)' : [...names].join(', ');
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return t === 'object' ? 'an object' : `a ${t}`;
}
