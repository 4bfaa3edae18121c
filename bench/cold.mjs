// A/B tool for start-up: spawn → first 2xx (wall ms) and the CPU the server spent until then (ms),
// median of BENCH_SPAWNS spawns per subject, taken round-robin. CPU time is robust to other work on the machine.
// Usage: node bench/cold.mjs [id,id]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startServer, waitReady, stopServer, treeRssMiB, killAll } from './lib/process.mjs';
import { cpuMs } from './lib/cpu.mjs';
import { pickSubjects } from './lib/subjects.mjs';

const bench = dirname(fileURLToPath(import.meta.url));
const root = dirname(bench);
const spawns = Number(process.env.BENCH_SPAWNS ?? 11);
const ids = (process.argv[2] ?? 'node-http,fastify,fn-run').split(',');
process.on('exit', killAll);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

const list = pickSubjects(root, ids);
const res = new Map(list.map((s) => [s.id, { wall: [], cpu: [], rss: [] }]));
for (let n = 0; n < spawns; n++) {
  for (const s of list) {
    const port = await freePort();
    const t0 = performance.now();
    const server = startServer(s, port, join(bench, '.work', 'logs'));
    await waitReady(server, port, { everyMs: 5 });
    const r = res.get(s.id);
    r.wall.push(performance.now() - t0);
    r.cpu.push(cpuMs(server.child.pid));
    r.rss.push(treeRssMiB(server.child.pid));
    await stopServer(server);
  }
}
for (const [id, r] of res) console.log(id.padEnd(14), 'wall', median(r.wall).toFixed(1), 'ms  cpu', median(r.cpu).toFixed(0), 'ms  rss', median(r.rss).toFixed(1), 'MiB');
