// A/B tool for a busy machine: server CPU µs per request with the subjects' load interleaved in short bursts.
// All subjects run at once; each cycle sends BENCH_BURST GET and then POST requests (50 connections) to each
// subject in turn, reading the server's utime+stime around every burst. Outside load that comes and goes then
// falls on every subject alike, instead of on whichever one happened to be measured at the time (bench/cpu.mjs).
// Prints the total over BENCH_CYCLES cycles (after one discarded warm-up cycle) and each subject's ratio to
// the first one, per cycle as a median.
// Usage: node bench/cpu-interleaved.mjs fastify,fn-run=<path to cli.js>,fn-run   (ids as in bench/cpu.mjs)
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort, startServer, waitReady, stopServer, killAll } from './lib/process.mjs';
import { CASES } from './lib/load.mjs';
import { cpuMs } from './lib/cpu.mjs';
import { pickSubjects } from './lib/subjects.mjs';

const bench = dirname(fileURLToPath(import.meta.url));
const root = dirname(bench);
const burst = Number(process.env.BENCH_BURST ?? 3000);
const cycles = Number(process.env.BENCH_CYCLES ?? 12);
const ids = (process.argv[2] ?? 'fastify,fn-run').split(',');

process.on('exit', killAll);
const run = (opts) => new Promise((resolve, reject) => autocannon(opts, (err, r) => (err ? reject(err) : resolve(r))));

const list = pickSubjects(root, ids);
const servers = [];
for (const s of list) {
  const port = await freePort();
  const server = startServer(s, port, join(bench, '.work', 'logs'));
  await waitReady(server, port, { everyMs: 20 });
  servers.push({ s, port, server, cpu: { get: [], post: [] }, notes: '' });
}
for (let cycle = 0; cycle <= cycles; cycle++) {
  for (const [key, kase] of Object.entries(CASES)) {
    for (const x of servers) {
      const before = cpuMs(x.server.child.pid);
      const r = await run({ url: `http://127.0.0.1:${x.port}/`, method: kase.method, headers: kase.headers, body: kase.body, connections: 50, pipelining: 1, amount: burst });
      const used = cpuMs(x.server.child.pid) - before;
      if (r.non2xx || r.errors) x.notes = `${key}: ${r.non2xx} non-2xx, ${r.errors} errors`;
      if (cycle > 0) x.cpu[key].push({ ms: used, n: r.requests.total });
    }
  }
}
for (const x of servers) await stopServer(x.server);

const median = (a) => { const b = [...a].sort((p, q) => p - q); const m = b.length >> 1; return b.length % 2 ? b[m] : (b[m - 1] + b[m]) / 2; };
const total = (x, key) => (x.cpu[key].reduce((a, c) => a + c.ms, 0) * 1000) / x.cpu[key].reduce((a, c) => a + c.n, 0);
const ratio = (x, key) => median(x.cpu[key].map((c, i) => (c.ms / c.n) / (servers[0].cpu[key][i].ms / servers[0].cpu[key][i].n)));
console.log('subject'.padEnd(28), 'GET µs/req'.padStart(11), 'POST µs/req'.padStart(12), `  ratio to ${servers[0].s.id} (median of cycles), GET / POST   (${cycles} cycles x ${burst} requests)`);
for (const x of servers) {
  console.log(x.s.id.slice(0, 28).padEnd(28), total(x, 'get').toFixed(1).padStart(11), total(x, 'post').toFixed(1).padStart(12), `  ${ratio(x, 'get').toFixed(2)}x / ${ratio(x, 'post').toFixed(2)}x`, x.notes);
}
