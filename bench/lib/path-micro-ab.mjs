// A/B of bench/lib/path-micro.ts: two (or more) bundled builds of it imported into one process, their rounds
// alternating (A, B, A, B, ...), so machine noise falls on both alike. Prints per build the median and the
// lowest of the rounds, CPU ns per request, GET and POST, and the median per-round ratio to the first build.
// Usage (stdout is the logs, the table goes to stderr):
//   MICRO_AB=1 node bench/lib/path-micro-ab.mjs /tmp/pm-base.mjs /tmp/pm-new.mjs >/dev/null
import { pathToFileURL } from 'node:url';

const paths = process.argv.slice(2);
if (process.env.MICRO_AB === undefined || paths.length < 1) throw new Error('usage: MICRO_AB=1 node bench/lib/path-micro-ab.mjs <bundle> <bundle> ... >/dev/null');
const builds = [];
for (const p of paths) builds.push({ name: p, m: await import(pathToFileURL(p).href), get: [], post: [] });
const N = Number(process.env.MICRO_N ?? 100_000);
const ROUNDS = Number(process.env.MICRO_ROUNDS ?? 20);
function time(f) {
  const t = process.cpuUsage();
  for (let i = 0; i < N; i++) f();
  const u = process.cpuUsage(t);
  return ((u.user + u.system) * 1000) / N;
}
for (const b of builds) { time(b.m.get); time(b.m.post); }
for (let r = 0; r < ROUNDS; r++) {
  for (const b of r % 2 ? [...builds].reverse() : builds) {
    b.get.push(time(b.m.get));
    b.post.push(time(b.m.post));
  }
}
for (const b of builds) b.m.flush();
const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const ratio = (b, k) => median(b[k].map((v, i) => v / builds[0][k][i]));
process.stderr.write(`CPU ns per request, fn-run's part (${ROUNDS} alternating rounds x ${N}): median / lowest, GET and POST; ratio to the first (median of rounds)\n`);
for (const b of builds) {
  process.stderr.write(`${b.name.padEnd(28)} GET ${median(b.get).toFixed(0).padStart(5)} / ${Math.min(...b.get).toFixed(0).padStart(5)}   POST ${median(b.post).toFixed(0).padStart(5)} / ${Math.min(...b.post).toFixed(0).padStart(5)}   ${ratio(b, 'get').toFixed(3)}x / ${ratio(b, 'post').toFixed(3)}x\n`);
}
