// Finer cold-start A/B than bench/cold.mjs (which polls every 5 ms and reads CPU in 10 ms clock ticks):
// spawn -> first 2xx on GET / polling every 1 ms, and the CPU the server's threads ran until then, in ns
// (/proc/<pid>/task/*/schedstat, Linux; threads that already exited are not counted). Subjects round-robin, N spawns each (default 21); prints median and mean.
// Usage: N=31 node bench/cold-fine.mjs "name [ENV=value ...] command args... (PORT is replaced)" ...
// e.g. node bench/cold-fine.mjs "http node bench/fixtures/bare-http.mjs PORT" \
//        "fn-run node packages/runtime-node/dist/cli.js bench/fixtures/hello.js --port PORT --host 127.0.0.1"
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { request, createServer } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const N = Number(process.env.N ?? 21);
const subjects = process.argv.slice(2).map((s) => { let [name, ...cmd] = s.split(' '); const env = { ...process.env }; while (/^[A-Z_]+=/.test(cmd[0])) { const [k, v] = cmd.shift().split('='); env[k] = v; } return { name, cmd, env }; });
const freePort = () => new Promise((r) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
const probe = (port) => new Promise((r) => { const q = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => { res.resume(); r(res.statusCode >= 200 && res.statusCode < 300); }); q.once('error', () => r(false)); q.end(); });
const cpuNs = (pid) => { let t = 0; for (const task of readdirSync(`/proc/${pid}/task`)) { try { t += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]); } catch {} } return t; };
const res = new Map(subjects.map((s) => [s.name, { wall: [], cpu: [] }]));
for (let i = 0; i < N; i++) for (const s of subjects) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(s.cmd[0], [...s.cmd.slice(1).map((a) => a.replace('PORT', port))], { stdio: 'ignore', cwd: root, env: s.env });
  while (!(await probe(port))) await new Promise((r) => setTimeout(r, 1));
  const wall = performance.now() - t0; const cpu = cpuNs(child.pid) / 1e6;
  child.kill('SIGKILL'); await new Promise((r) => child.once('exit', r));
  res.get(s.name).wall.push(wall); res.get(s.name).cpu.push(cpu);
}
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const [n, r] of res) console.log(n.padEnd(12), 'wall med', med(r.wall).toFixed(1), 'mean', mean(r.wall).toFixed(1), ' cpu med', med(r.cpu).toFixed(1), 'mean', mean(r.cpu).toFixed(1));
