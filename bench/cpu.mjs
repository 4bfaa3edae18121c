// A/B tool: server CPU time per request (µs), robust to other work on the machine, unlike requests/s.
// For each subject: start it, send BENCH_WARM requests (discarded), then BENCH_REQUESTS requests per case
// (GET, POST CloudEvent) at 50 connections, reading the server's utime+stime before and after; BENCH_ROUNDS
// rounds, subjects interleaved, lowest reading kept.
// Usage: node bench/cpu.mjs [id,id]   (ids from bench/lib/subjects.mjs; FN_RUN_CLI=<path> swaps fn-run's cli.js)
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort, startServer, waitReady, stopServer, treeRssMiB, killAll } from './lib/process.mjs';
import { CASES } from './lib/load.mjs';
import { cpuMs } from './lib/cpu.mjs';
import { pickSubjects } from './lib/subjects.mjs';

const bench = dirname(fileURLToPath(import.meta.url));
const root = dirname(bench);
const requests = Number(process.env.BENCH_REQUESTS ?? 20000);
const warm = Number(process.env.BENCH_WARM ?? 5000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const ids = (process.argv[2] ?? 'fastify,fn-run').split(',');

process.on('exit', killAll);
const run = (opts) => new Promise((resolve, reject) => autocannon(opts, (err, r) => (err ? reject(err) : resolve(r))));

const list = pickSubjects(root, ids);
const rows = [];
for (let round = 0; round < rounds; round++) {
  for (const s of list) {
    const port = await freePort();
    const server = startServer(s, port, join(bench, '.work', 'logs'));
    await waitReady(server, port, { everyMs: 20 });
    const row = { id: s.id };
    for (const [key, kase] of Object.entries(CASES)) {
      const opts = { url: `http://127.0.0.1:${port}/`, method: kase.method, headers: kase.headers, body: kase.body, connections: 50, pipelining: 1 };
      await run({ ...opts, amount: warm });
      const before = cpuMs(server.child.pid);
      const t0 = performance.now();
      const r = await run({ ...opts, amount: requests });
      const wall = performance.now() - t0;
      const used = cpuMs(server.child.pid) - before;
      row[key] = (used * 1000) / r.requests.total;
      if (r.non2xx || r.errors) row.notes = `${key}: ${r.non2xx} non-2xx, ${r.errors} errors`;
    }
    row.rss = treeRssMiB(server.child.pid);
    await stopServer(server);
    rows.push(row);
    console.error(JSON.stringify(row));
  }
}
// Contention only ever adds CPU time (cache and scheduler effects), so each subject keeps its lowest reading.
console.log('subject'.padEnd(28), 'GET µs/req'.padStart(11), 'POST µs/req'.padStart(12), 'RSS MiB'.padStart(8), `  (min of ${rounds} rounds, ${requests} requests each)`);
for (const s of list) {
  const mine = rows.filter((r) => r.id === s.id);
  const min = (k) => Math.min(...mine.map((r) => r[k]));
  console.log(s.id.slice(0, 28).padEnd(28), min('get').toFixed(1).padStart(11), min('post').toFixed(1).padStart(12), Math.max(...mine.map((r) => r.rss)).toFixed(1).padStart(8), mine.find((r) => r.notes)?.notes ?? '');
}
