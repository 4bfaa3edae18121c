// A/B tool that other work on the machine cannot move: user-space instructions per request, counted by
// valgrind's callgrind (every thread of the server), not timed. Each subject is started under callgrind
// twice; both runs get the same warm-up, then one is sent BENCH_FEW requests and the other BENCH_MANY.
// The difference of the two totals divided by the difference of the counts is what one more request
// costs: start-up, warm-up and JIT compilation cancel out. Kernel work (the socket system calls) is not in
// it; req/s on this machine follows these counts plus that kernel work, which is alike across subjects.
// Under valgrind the server runs ~50x slower, so caches kept per millisecond (the invocation line's time
// prefix, the event time) are rebuilt far more often per request than at full speed: compare builds of
// fn-run with each other, and read the gap to bare fastify as an upper bound.
// Slow: ~10 minutes per subject with the defaults. Needs valgrind (Debian package `valgrind`).
// Usage: node bench/instructions.mjs [fastify,fn-run,fn-run=<path to cli.cjs>]   (env: BENCH_METHOD=GET|POST,
//        BENCH_FEW=10000, BENCH_MANY=30000, BENCH_WARMUP_REQUESTS=20000)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort, startServer, waitReady, stopServer, killAll } from './lib/process.mjs';
import { CASES } from './lib/load.mjs';
import { pickSubjects } from './lib/subjects.mjs';

const bench = dirname(fileURLToPath(import.meta.url));
const root = dirname(bench);
const work = join(bench, '.work', 'instructions');
const ids = (process.argv[2] ?? 'fastify,fn-run').split(',');
const kase = CASES[(process.env.BENCH_METHOD ?? 'GET').toLowerCase()];
if (kase === undefined) throw new Error(`BENCH_METHOD=${process.env.BENCH_METHOD}: use GET or POST`);
const few = Number(process.env.BENCH_FEW ?? 10_000);
const many = Number(process.env.BENCH_MANY ?? 30_000);
const warmup = Number(process.env.BENCH_WARMUP_REQUESTS ?? 20_000);
if (!(many > few && few > 0)) throw new Error('BENCH_MANY must be larger than BENCH_FEW, both above 0');
if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is not installed (apt-get install valgrind)');

const load = (port, amount) =>
  new Promise((resolve, reject) =>
    autocannon(
      { url: `http://127.0.0.1:${port}/`, method: kase.method, headers: kase.headers, body: kase.body, connections: 8, amount, timeout: 60 },
      (err, r) => (err ? reject(err) : r.non2xx || r.errors ? reject(new Error(`${r.non2xx} non-2xx, ${r.errors} errors`)) : resolve(r)),
    ),
  );

/** Total instructions callgrind counted for one run of `subject` that served warm-up + `amount` requests. */
async function countRun(subject, amount, tag) {
  const out = join(work, `${subject.id}-${tag}.callgrind`);
  // The subject's own command under callgrind; its log goes to bench/.work/instructions/<id>-<tag>.log.
  const traced = { ...subject, id: `${subject.id}-${tag}`, command: (port) => ['valgrind', '--tool=callgrind', `--callgrind-out-file=${out}`, ...subject.command(port)] };
  const port = await freePort();
  const server = startServer(traced, port, work);
  try {
    await waitReady(server, port, { everyMs: 200, timeoutMs: 120_000 });
    await load(port, warmup);
    await load(port, amount);
  } finally {
    // callgrind writes its counts as the process exits: give it time before any SIGKILL.
    await stopServer(server, 60_000);
  }
  const summary = /^summary:\s+(\d+)/m.exec(readFileSync(out, 'utf8'));
  if (!summary) throw new Error(`no callgrind summary in ${out}`);
  return Number(summary[1]);
}

process.on('exit', killAll);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const rows = [];
for (const subject of pickSubjects(root, ids)) {
  console.error(`[instructions] ${subject.name}: ${kase.label}, ${warmup} warm-up + ${few} and ${many} requests under callgrind`);
  const a = await countRun(subject, few, 'few');
  const b = await countRun(subject, many, 'many');
  rows.push({ subject, perRequest: (b - a) / (many - few) });
}
console.log(`instructions per request (callgrind, user space, all threads), ${kase.label}; ratio to ${rows[0].subject.id}`);
for (const r of rows) console.log(`${r.subject.id.slice(0, 40).padEnd(40)} ${Math.round(r.perRequest).toString().padStart(8)}  ${(r.perRequest / rows[0].perRequest).toFixed(3)}x`);
