"use strict";
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// src/index.ts
var src_exports = {};
__export(src_exports, {
  ConfigError: () => ConfigError,
  describeFailure: () => describeFailure,
  formatHelp: () => formatHelp,
  isRetryable: () => isRetryable,
  isSuccess: () => isSuccess,
  parseDuration: () => parseDuration,
  parseSettings: () => parseSettings,
  parseSize: () => parseSize
});
module.exports = __toCommonJS(src_exports);

// src/contracts.ts
function isSuccess(outcome) {
  return outcome.type === "result" && outcome.response.status < 400;
}
function isRetryable(outcome) {
  if (outcome.type === "timeout" || outcome.type === "rejected") return true;
  const status = outcome.type === "result" ? outcome.response.status : outcome.status;
  return status >= 500 || status === 404 || status === 408 || status === 409 || status === 429;
}
function describeFailure(outcome) {
  switch (outcome.type) {
    case "result":
      return `the function answered status ${outcome.response.status}`;
    case "error":
      return `${outcome.status}: ${outcome.body.error}${outcome.status >= 500 && outcome.error instanceof Error && outcome.error.message ? ` (${outcome.error.message})` : ""}`;
    case "timeout":
      return outcome.body.error;
    case "rejected":
      return `rejected: ${outcome.reason}`;
  }
}

// src/config/settings.ts
var ConfigError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "ConfigError";
  }
};
function parseSettings(specs, argv, env) {
  const byFlag = /* @__PURE__ */ new Map();
  for (const s of specs) {
    if (s.flag) byFlag.set(s.flag, s);
    if (s.short) byFlag.set(s.short, s);
  }
  const raw = /* @__PURE__ */ new Map();
  const positionals = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf("=");
    let name = eq === -1 ? body : body.slice(0, eq);
    let inline = eq === -1 ? void 0 : body.slice(eq + 1);
    let negated = false;
    let spec = byFlag.get(name);
    if (!spec && long && name.startsWith("no-")) {
      const s = byFlag.get(name.slice(3));
      if (s?.type === "boolean") {
        spec = s;
        negated = true;
        name = name.slice(3);
      }
    }
    if (!spec) {
      const known = specs.filter((s) => s.flag && !s.hidden).map((s) => `--${s.flag}`);
      const hint = suggest(name, known.map((k) => k.slice(2)));
      throw new ConfigError(`unknown option ${long ? "--" : "-"}${name}${hint ? ` (did you mean --${hint}?)` : ""}; see --help`);
    }
    let value;
    if (spec.type === "boolean") {
      if (inline !== void 0) value = inline;
      else value = negated ? "false" : true;
    } else if (inline !== void 0) {
      value = inline;
    } else {
      const next = argv[i + 1];
      if (next === void 0 || next.startsWith("--") && next.length > 2) {
        throw new ConfigError(`option --${spec.flag ?? name} needs a value (${describeType(spec)})`);
      }
      value = next;
      i++;
    }
    const list = raw.get(spec.key) ?? [];
    list.push({ value, origin: `--${spec.flag ?? name}` });
    raw.set(spec.key, list);
  }
  const values = {};
  const sources = {};
  for (const spec of specs) {
    const given = raw.get(spec.key);
    if (given && given.length > 0) {
      if (spec.type === "list") {
        values[spec.key] = given.flatMap((g) => convert(spec, g.value, g.origin));
      } else {
        if (given.length > 1) throw new ConfigError(`option ${given[0].origin} was given ${given.length} times; give it once`);
        values[spec.key] = convert(spec, given[0].value, given[0].origin);
      }
      sources[spec.key] = given[0].origin;
      continue;
    }
    const envName = spec.env?.find((e) => env[e] !== void 0 && env[e] !== "");
    if (envName) {
      values[spec.key] = convert(spec, env[envName], envName);
      sources[spec.key] = envName;
      continue;
    }
    if (spec.default !== void 0) {
      values[spec.key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
      sources[spec.key] = "default";
    }
  }
  return { values, positionals, sources };
}
function convert(spec, value, origin) {
  const bad = (what) => new ConfigError(`${origin}=${JSON.stringify(value)} is not valid: expected ${what}`);
  if (value === true) return true;
  const v = value.trim();
  switch (spec.type) {
    case "string":
      return value;
    case "boolean": {
      const l = v.toLowerCase();
      if (["1", "true", "yes", "on"].includes(l)) return true;
      if (["0", "false", "no", "off"].includes(l)) return false;
      throw bad("true or false");
    }
    case "int": {
      if (!/^-?\d+$/.test(v)) throw bad(describeType(spec));
      return range(spec, Number(v), bad);
    }
    case "number": {
      const n = Number(v);
      if (v === "" || !Number.isFinite(n)) throw bad(describeType(spec));
      return range(spec, n, bad);
    }
    case "duration":
      return range(spec, parseDuration(v, spec.bareUnit ?? "ms", bad), bad);
    case "size":
      return range(spec, parseSize(v, bad), bad);
    case "list":
      return v.split(spec.separator ?? ",").map((s) => s.trim()).filter((s) => s.length > 0);
    case "enum": {
      if (!spec.values?.includes(v)) throw bad(`one of ${spec.values?.join(", ")}`);
      return v;
    }
  }
}
function range(spec, n, bad) {
  if (spec.min !== void 0 && n < spec.min) throw bad(`${describeType(spec)} of at least ${spec.min}`);
  if (spec.max !== void 0 && n > spec.max) throw bad(`${describeType(spec)} of at most ${spec.max}`);
  return n;
}
function parseDuration(v, bareUnit, bad = (w) => new ConfigError(`expected ${w}`)) {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw bad("a duration such as 500ms, 30s, 5m or a number");
  const n = Number(m[1]);
  const unit = m[2] ?? bareUnit;
  const ms = unit === "ms" ? n : unit === "s" ? n * 1e3 : unit === "m" ? n * 6e4 : n * 36e5;
  return Math.round(ms);
}
function parseSize(v, bad = (w) => new ConfigError(`expected ${w}`)) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b?|[kmgt]b|b)?$/i.exec(v.trim());
  if (!m) throw bad("a size such as 6mb, 512kb, 128Mi or a number of bytes");
  const n = Number(m[1]);
  const u = (m[2] ?? "b").toLowerCase();
  const pow = { b: 0, k: 1, m: 2, g: 3, t: 4 }[u[0]];
  const base = u === "b" ? 1 : u.includes("i") || u.length === 2 ? 1024 : 1e3;
  return Math.round(n * (u === "b" ? 1 : Math.pow(base, pow)));
}
function describeType(spec) {
  switch (spec.type) {
    case "int":
      return "an integer";
    case "number":
      return "a number";
    case "duration":
      return `a duration (e.g. 30s, 500ms; a bare number is ${spec.bareUnit === "s" ? "seconds" : "milliseconds"})`;
    case "size":
      return "a size (e.g. 6mb, 512kb)";
    case "boolean":
      return "true or false";
    case "list":
      return "a comma-separated list";
    case "enum":
      return `one of ${spec.values?.join(", ")}`;
    default:
      return "a string";
  }
}
function formatHelp(specs) {
  const rows = specs.filter((s) => !s.hidden && s.flag).map((s) => {
    const flag = `${s.short ? `-${s.short}, ` : "    "}--${s.flag}${s.type === "boolean" ? "" : ` <${s.type === "enum" ? s.values?.join("|") : s.type}>`}`;
    const env = s.env?.length ? ` [env: ${s.env.join(", ")}]` : "";
    const def = s.default !== void 0 && !(Array.isArray(s.default) && s.default.length === 0) ? ` (default: ${String(s.default)})` : "";
    return [flag, `${s.description}${def}${env}`];
  });
  const width = Math.min(44, Math.max(...rows.map((r) => r[0].length), 0) + 2);
  return rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`).join("\n");
}
function suggest(name, candidates) {
  let best;
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
function distance(a, b) {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  ConfigError,
  describeFailure,
  formatHelp,
  isRetryable,
  isSuccess,
  parseDuration,
  parseSettings,
  parseSize
});
//# sourceMappingURL=index.cjs.map