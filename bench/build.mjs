// Build benchmark: fn-build (the pod's init container) cold and warm, side by side with a plain `npm ci`
// of the same function. Usage: node bench/build.mjs   (env: BENCH_BUILD_ROUNDS, default 3)
// Writes bench/results/build.md. Needs the npm registry (the cold cases download every package).
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = dirname(fileURLToPath(import.meta.url));
const root = dirname(bench);
const work = join(bench, '.work', 'build');
const fnBuild = join(root, 'packages/init-builder/bin/fn-build.js');
const rounds = Number(process.env.BENCH_BUILD_ROUNDS ?? 3);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`BENCH_BUILD_ROUNDS=${process.env.BENCH_BUILD_ROUNDS} is not a positive integer`);
const log = (...a) => console.error('[bench build]', ...a);

// A function with a handful of real dependencies, in TypeScript (so fn-build compiles it too).
const DEPENDENCIES = { dayjs: '^1.11.13', 'is-number': '^7.0.0', ms: '^2.1.3', nanoid: '^5.1.5', uuid: '^11.1.0' };
const HANDLER = `import dayjs from 'dayjs';
import isNumber from 'is-number';
import ms from 'ms';
import { nanoid } from 'nanoid';
import { v4 as uuid } from 'uuid';

export async function handler(event: { data?: { n?: unknown } }) {
  return { id: nanoid(), trace: uuid(), at: dayjs(0).toISOString(), wait: ms(60_000), number: isNumber(event.data?.n) };
}
`;

/** The environment without what an outer \`npm run\` injects (it would steer the inner npm). */
function cleanEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^npm_/.test(k) || k === 'INIT_CWD') delete env[k];
  return env;
}

function run(cmd, args, cwd) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${err}`));
      else resolve(ms);
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toString() : '–');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '–');

async function main() {
  const loadBefore = loadavg()[0];
  rmSync(work, { recursive: true, force: true });
  const src = join(work, 'src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'handler.ts'), HANDLER);
  writeFileSync(join(src, 'package.json'), JSON.stringify({ name: 'bench-function', version: '1.0.0', private: true, dependencies: DEPENDENCIES }, null, 2));
  log('resolving the lockfile (npm install --package-lock-only)');
  await run('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund', '--loglevel=error'], src);
  const lock = JSON.parse(readFileSync(join(src, 'package-lock.json'), 'utf8'));
  const packages = Object.keys(lock.packages).filter((k) => k !== '').length;

  const target = join(work, 'target');
  const fnArgs = (cache) => ['--source', src, '--target', target, '--handler', 'handler#handler', ...(cache ? ['--cache', cache] : [])];
  const record = () => JSON.parse(readFileSync(join(target, '.fnkit-build.json'), 'utf8'));
  const results = { coldBuild: [], coldNpm: [], warmBuild: [], warmNpm: [], npmCacheBuild: [] };
  const warmSteps = [];
  const coldSteps = [];

  for (let i = 0; i < rounds; i++) {
    // Cold: empty caches everywhere; every package comes from the registry. The two run in turns
    // (fn-build first in even rounds, npm ci first in odd ones): the registry's CDN warms up too.
    const cache = join(work, `cache-${i}`);
    const npmDir = join(work, `npm-${i}`);
    cpSync(src, npmDir, { recursive: true });
    const coldBuild = async () => {
      log(`round ${i + 1}/${rounds}: cold fn-build`);
      results.coldBuild.push(await run(process.execPath, [fnBuild, ...fnArgs(cache)], work));
      const cold = record();
      if (cold.dependencies.reused) throw new Error('a cold build reused node_modules: the cache was not empty');
      coldSteps.push(cold.durationsMs);
    };
    const coldNpm = async () => {
      log(`round ${i + 1}/${rounds}: cold npm ci`);
      results.coldNpm.push(await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', '--cache', join(work, `npm-cache-${i}`)], npmDir));
    };
    if (i % 2 === 0) {
      await coldBuild();
      await coldNpm();
    } else {
      await coldNpm();
      await coldBuild();
    }

    // Warm: the handler changed, the dependencies did not. fn-build takes node_modules from its cache;
    // plain npm ci has its (now warm) npm cache and --prefer-offline, the best it can do.
    writeFileSync(join(src, 'handler.ts'), HANDLER.replace('60_000', `${60_000 + i + 1}`));
    log(`round ${i + 1}/${rounds}: warm fn-build`);
    results.warmBuild.push(await run(process.execPath, [fnBuild, ...fnArgs(cache)], work));
    const warm = record();
    if (!warm.dependencies.reused) throw new Error('the warm build did not reuse node_modules');
    warmSteps.push(warm.durationsMs);
    rmSync(join(npmDir, 'node_modules'), { recursive: true, force: true });
    log(`round ${i + 1}/${rounds}: warm npm ci`);
    results.warmNpm.push(
      await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', '--cache', join(work, `npm-cache-${i}`)], npmDir),
    );

    // In between: a new dependency hash (node_modules not cached) but npm's cache warm.
    rmSync(join(cache, 'node_modules'), { recursive: true, force: true });
    log(`round ${i + 1}/${rounds}: fn-build with only the npm cache warm`);
    results.npmCacheBuild.push(await run(process.execPath, [fnBuild, ...fnArgs(cache)], work));
  }

  const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
  const medians = (list) => Object.entries(Object.fromEntries(Object.keys(list[0]).map((k) => [k, median(list.map((s) => s[k]))])));
  const steps = medians(warmSteps);
  const warmOk = m.warmBuild < 2000;
  const out = [];
  out.push('# Build benchmark: fn-build vs a plain `npm ci`', '');
  out.push('## Targets', '');
  out.push(`- **${warmOk ? 'PASS' : 'FAIL'}** warm rebuild (dependencies unchanged, --cache) under 2 s: ${fmt(m.warmBuild)} ms (median of ${rounds})`, '');
  out.push(
    `Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} · Node ${process.version} · ${cpus().length} cores (${cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? '?'}) · ` +
      `npm registry over the network · median of ${rounds} rounds · wall time of the whole process (spawn to exit) · ` +
      `load average ${loadBefore.toFixed(1)} before / ${loadavg()[0].toFixed(1)} after the run`,
    '',
  );
  out.push(`Function: one TypeScript handler importing ${Object.keys(DEPENDENCIES).join(', ')} (${packages} packages in the lockfile).`, '');
  out.push('| case | fn-build ms | plain `npm ci` ms | fn-build vs npm ci | what fn-build does on top |');
  out.push('|---|---:|---:|---:|---|');
  out.push(`| cold: empty caches | ${fmt(m.coldBuild)} | ${fmt(m.coldNpm)} | ${ratio(m.coldBuild, m.coldNpm)} | copy source, esbuild compile, \`npm ci\`, store node_modules in the cache, load check in a child process, move into place |`);
  out.push(`| warm: handler changed, dependencies not | ${fmt(m.warmBuild)} | ${fmt(m.warmNpm)} (npm cache warm, --prefer-offline) | ${ratio(m.warmBuild, m.warmNpm)} | node_modules from its cache (hard links) instead of npm |`);
  out.push(`| npm cache warm, node_modules not cached | ${fmt(m.npmCacheBuild)} | ${fmt(m.warmNpm)} | ${ratio(m.npmCacheBuild, m.warmNpm)} | \`npm ci --prefer-offline\` from the warm npm cache |`);
  out.push('');
  out.push(`Warm fn-build, its own step timings (median ms, from .fnkit-build.json): ${steps.map(([k, v]) => `${k} ${fmt(v)}`).join(' · ')}. ` +
    'The rest of the wall time is starting Node and loading fn-build.', '');
  out.push(`Cold fn-build, its own step timings: ${medians(coldSteps).map(([k, v]) => `${k} ${fmt(v)}`).join(' · ')} ` +
    '(the dependencies step is its `npm ci`; downloads vary from run to run).', '');
  out.push('The plain `npm ci` column installs dependencies only: no compile, no check, no staging. ' +
    'The machine is shared (2 cores, other work running): compare within one run.', '');
  mkdirSync(join(bench, 'results'), { recursive: true });
  writeFileSync(join(bench, 'results', 'build.md'), out.join('\n'));
  log(`cold ${fmt(m.coldBuild)} ms vs npm ci ${fmt(m.coldNpm)} ms; warm ${fmt(m.warmBuild)} ms vs npm ci ${fmt(m.warmNpm)} ms -> bench/results/build.md`);
  rmSync(work, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(`[bench build] ${err.message}`);
  process.exit(1);
});
