/**
 * One way to read configuration: a list of settings, each with a flag and environment names,
 * read once from `fn-run` flags and the environment (flags win), converted and validated, with an
 * error that names the bad flag or variable and says what was expected.
 *
 * Each command (serve, call, trigger, manifest) declares its settings; modules contribute theirs
 * (e.g. the NATS trigger's `natsUrl`) as SettingSpec arrays.
 */

export type SettingType = 'string' | 'int' | 'number' | 'boolean' | 'duration' | 'size' | 'list' | 'enum';

export interface SettingSpec {
  /** The key in the parsed result (camelCase). */
  key: string;
  /** Long flag without dashes, e.g. `port` for `--port`. */
  flag?: string;
  /** A one-letter alias, e.g. `p`. */
  short?: string;
  /** Environment variable names, first match wins (Kubeless names first). */
  env?: string[];
  type: SettingType;
  /** For `enum`. */
  values?: readonly string[];
  /** For `list` flags: the flag may repeat; env values are comma-separated. */
  default?: unknown;
  /** For `list`: what separates items in one value (default `,`; e.g. `\n` for cron expressions, which contain commas). */
  separator?: string;
  min?: number;
  max?: number;
  /** For `duration` values given as a bare number: the unit (Kubeless FUNC_TIMEOUT is seconds). */
  bareUnit?: 'ms' | 's';
  description: string;
  /** Hide from --help. */
  hidden?: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ParsedSettings {
  values: Record<string, unknown>;
  positionals: string[];
  /** Where each value came from: `--flag`, `ENV_NAME` or `default`. */
  sources: Record<string, string>;
}

/** Parses argv (without node and script) and env against the specs. Throws ConfigError. */
export function parseSettings(specs: readonly SettingSpec[], argv: readonly string[], env: NodeJS.ProcessEnv): ParsedSettings {
  const byFlag = new Map<string, SettingSpec>();
  for (const s of specs) {
    if (s.flag) byFlag.set(s.flag, s);
    if (s.short) byFlag.set(s.short, s);
  }
  const raw = new Map<string, { value: string | true; origin: string }[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    let name = eq === -1 ? body : body.slice(0, eq);
    let inline: string | undefined = eq === -1 ? undefined : body.slice(eq + 1);
    let negated = false;
    let spec = byFlag.get(name);
    if (!spec && long && name.startsWith('no-')) {
      const s = byFlag.get(name.slice(3));
      if (s?.type === 'boolean') {
        spec = s;
        negated = true;
        name = name.slice(3);
      }
    }
    if (!spec) {
      const known = specs.filter((s) => s.flag && !s.hidden).map((s) => `--${s.flag}`);
      const hint = suggest(name, known.map((k) => k.slice(2)));
      throw new ConfigError(`unknown option ${long ? '--' : '-'}${name}${hint ? ` (did you mean --${hint}?)` : ''}; see --help`);
    }
    let value: string | true;
    if (spec.type === 'boolean') {
      if (inline !== undefined) value = inline;
      else value = negated ? 'false' : true;
    } else if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new ConfigError(`option --${spec.flag ?? name} needs a value (${describeType(spec)})`);
      }
      value = next;
      i++;
    }
    const list = raw.get(spec.key) ?? [];
    list.push({ value, origin: `--${spec.flag ?? name}` });
    raw.set(spec.key, list);
  }

  const values: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const spec of specs) {
    const given = raw.get(spec.key);
    if (given && given.length > 0) {
      if (spec.type === 'list') {
        values[spec.key] = given.flatMap((g) => convert(spec, g.value, g.origin) as string[]);
      } else {
        if (given.length > 1) throw new ConfigError(`option ${given[0]!.origin} was given ${given.length} times; give it once`);
        values[spec.key] = convert(spec, given[0]!.value, given[0]!.origin);
      }
      sources[spec.key] = given[0]!.origin;
      continue;
    }
    const envName = spec.env?.find((e) => env[e] !== undefined && env[e] !== '');
    if (envName) {
      values[spec.key] = convert(spec, env[envName]!, envName);
      sources[spec.key] = envName;
      continue;
    }
    if (spec.default !== undefined) {
      values[spec.key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
      sources[spec.key] = 'default';
    }
  }
  return { values, positionals, sources };
}

function convert(spec: SettingSpec, value: string | true, origin: string): unknown {
  const bad = (what: string) => new ConfigError(`${origin}=${JSON.stringify(value)} is not valid: expected ${what}`);
  if (value === true) return true;
  const v = value.trim();
  switch (spec.type) {
    case 'string':
      return value;
    case 'boolean': {
      const l = v.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(l)) return true;
      if (['0', 'false', 'no', 'off'].includes(l)) return false;
      throw bad('true or false');
    }
    case 'int': {
      if (!/^-?\d+$/.test(v)) throw bad(describeType(spec));
      return range(spec, Number(v), bad);
    }
    case 'number': {
      const n = Number(v);
      if (v === '' || !Number.isFinite(n)) throw bad(describeType(spec));
      return range(spec, n, bad);
    }
    case 'duration':
      return range(spec, parseDuration(v, spec.bareUnit ?? 'ms', bad), bad);
    case 'size':
      return range(spec, parseSize(v, bad), bad);
    case 'list':
      return v.split(spec.separator ?? ',').map((s) => s.trim()).filter((s) => s.length > 0);
    case 'enum': {
      if (!spec.values?.includes(v)) throw bad(`one of ${spec.values?.join(', ')}`);
      return v;
    }
  }
}

function range(spec: SettingSpec, n: number, bad: (w: string) => ConfigError): number {
  if (spec.min !== undefined && n < spec.min) throw bad(`${describeType(spec)} of at least ${spec.min}`);
  if (spec.max !== undefined && n > spec.max) throw bad(`${describeType(spec)} of at most ${spec.max}`);
  return n;
}

/** `500ms`, `3s`, `2m`, `1h`, or a bare number in the spec's unit. Returns milliseconds. */
export function parseDuration(v: string, bareUnit: 'ms' | 's', bad: (w: string) => Error = (w) => new ConfigError(`expected ${w}`)): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw bad('a duration such as 500ms, 30s, 5m or a number');
  const n = Number(m[1]);
  const unit = m[2] ?? bareUnit;
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  return Math.round(ms);
}

/** `6mb`, `512kb`, `1MiB`, `128Mi` (Kubernetes quantities), or bytes. Returns bytes. */
export function parseSize(v: string, bad: (w: string) => Error = (w) => new ConfigError(`expected ${w}`)): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b?|[kmgt]b|b)?$/i.exec(v.trim());
  if (!m) throw bad('a size such as 6mb, 512kb, 128Mi or a number of bytes');
  const n = Number(m[1]);
  const u = (m[2] ?? 'b').toLowerCase();
  const pow = { b: 0, k: 1, m: 2, g: 3, t: 4 }[u[0] as 'b' | 'k' | 'm' | 'g' | 't'];
  const base = u === 'b' ? 1 : u.includes('i') || u.length === 2 ? 1024 : 1000;
  // `6mb` and `6MiB` both mean mebibytes (as body-parser and Kubeless' REQ_MB_LIMIT did); `6M` is 10^6 as Kubernetes says.
  return Math.round(n * (u === 'b' ? 1 : Math.pow(base, pow)));
}

export function describeType(spec: SettingSpec): string {
  switch (spec.type) {
    case 'int': return 'an integer';
    case 'number': return 'a number';
    case 'duration': return `a duration (e.g. 30s, 500ms; a bare number is ${spec.bareUnit === 's' ? 'seconds' : 'milliseconds'})`;
    case 'size': return 'a size (e.g. 6mb, 512kb)';
    case 'boolean': return 'true or false';
    case 'list': return 'a comma-separated list';
    case 'enum': return `one of ${spec.values?.join(', ')}`;
    default: return 'a string';
  }
}

/** Help text for a command's settings. */
export function formatHelp(specs: readonly SettingSpec[]): string {
  const rows = specs.filter((s) => !s.hidden && s.flag).map((s) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.flag}${s.type === 'boolean' ? '' : ` <${s.type === 'enum' ? s.values?.join('|') : s.type}>`}`;
    const env = s.env?.length ? ` [env: ${s.env.join(', ')}]` : '';
    const def = s.default !== undefined && !(Array.isArray(s.default) && s.default.length === 0) ? ` (default: ${String(s.default)})` : '';
    return [flag, `${s.description}${def}${env}`] as const;
  });
  const width = Math.min(44, Math.max(...rows.map((r) => r[0].length), 0) + 2);
  return rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`).join('\n');
}

function suggest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
