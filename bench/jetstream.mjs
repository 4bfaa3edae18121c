// JetStream trigger benchmark: messages/s and CPU µs per message through fn-run's JetStream trigger (a
// handler that does nothing) against a bare JetStream consumer with the same ack policy and the same
// consumer and pull settings, on one pre-filled stream (each run reads it from the start through a new
// durable pull consumer).
//
// Usage: node bench/jetstream.mjs [ids]
//   ids (comma-separated, default bare,fn-run,fn-run-quiet):
//     bare            the bare consumer (a fresh Node process, like fn-run)
//     fn-run          fn-run --nats-stream, default settings (one info log line per invocation)
//     fn-run-quiet    the same with --log-level warn (diagnostic: what the log line costs)
//     fn-run=<cli.js> / fn-run-quiet=<cli.js>   another build of fn-run, for A/B (e.g. /work/wt/base/packages/runtime-node/dist/cli.js)
//   The standard ids write bench/results/jetstream.md; any other list is an A/B run, written to
//   bench/.work/jetstream-ab.md (never to bench/results/).
// env: BENCH_JS_MESSAGES (default 60000), BENCH_JS_ROUNDS (5), BENCH_JS_WARMUP (1 warm-up round, not counted; 0 for none),
//      BENCH_JS_IN_FLIGHT (64), AB_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=DIR", for the fn-run processes)
// Method: a warm-up round first (every subject once, not counted: the server's and the OS's caches of the
// stream, the page cache of the builds); then ROUNDS rounds, each running every subject once, the order
// rotated every round so no subject always follows the same one. Each subject row reports the MEDIAN of its
// rounds for messages/s and for CPU µs per message (and their range); the target compares the medians.
// Needs NATS with JetStream on 127.0.0.1:4222: started with test/infra/nats.sh when none is running.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect as tcpConnect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = dirname(fileURLToPath(import.meta.url));
const root = dirname(bench);
const cli = join(root, 'packages/runtime-node/dist/cli.cjs');
const resultsDir = join(bench, 'results');
const logDir = join(bench, '.work', 'logs');
// The same NATS client fn-run uses (a dependency of @fnkit/runtime-node).
const requireFromRuntime = createRequire(join(root, 'packages/runtime-node/package.json'));
const { connect } = requireFromRuntime('@nats-io/transport-node');
const { jetstream, jetstreamManager, AckPolicy, DeliverPolicy } = requireFromRuntime('@nats-io/jetstream');
const clientVersion = JSON.parse(readFileSync(requireFromRuntime.resolve('@nats-io/jetstream').replace(/lib[\\/]mod\.js$/, 'package.json'), 'utf8')).version;

const num = (name, dflt, min = 1) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}=${v} is not an integer ≥ ${min}; unset it or give e.g. ${dflt}`);
  return n;
};
const MESSAGES = num('BENCH_JS_MESSAGES', 60_000);
const IN_FLIGHT = num('BENCH_JS_IN_FLIGHT', 64);
const ROUNDS = num('BENCH_JS_ROUNDS', 5);
const WARMUP = num('BENCH_JS_WARMUP', 1, 0);
const NODE_ARGS = process.env.AB_NODE_ARGS ? process.env.AB_NODE_ARGS.split(' ').filter(Boolean) : [];
const URL = 'nats://127.0.0.1:4222';
// fn-run's defaults, which the bare consumer copies (src/triggers/nats/jetstream-adapter.ts, nats-settings.ts).
const ACK_WAIT_MS = 30_000; // --nats-ack-wait
const FETCH_EXPIRES_MS = 10_000; // one pull request's expiry
const MAX_ACK_PENDING = Math.max(1000, IN_FLIGHT * 4);
const log = (...a) => console.error('[bench jetstream]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const suffix = () => `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const nanos = (ms) => ms * 1_000_000;

/** The durable consumer both sides use: what fn-run's trigger creates with its default settings. */
const consumerConfig = (durable, subject) => ({
  durable_name: durable,
  ack_policy: AckPolicy.Explicit,
  ack_wait: nanos(ACK_WAIT_MS),
  max_deliver: -1,
  max_ack_pending: MAX_ACK_PENDING,
  deliver_policy: DeliverPolicy.All,
  filter_subject: subject,
});

function listening() {
  return new Promise((resolve) => {
    const s = tcpConnect(4222, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function ensureServer() {
  if (await listening()) return;
  log('no NATS on 127.0.0.1:4222: running test/infra/nats.sh');
  execFileSync('bash', [join(root, 'test/infra/nats.sh')], { stdio: 'inherit' });
}

async function prepareStream(nc, stream, subject) {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [subject] });
  const js = jetstream(nc);
  const body = (i) => JSON.stringify({ id: i, item: 'buy milk', added: '2026-11-23T10:00:00Z' });
  for (let i = 0; i < MESSAGES; i += 1000) {
    const acks = [];
    for (let j = i; j < Math.min(MESSAGES, i + 1000); j++) acks.push(js.publish(subject, body(j)));
    await Promise.all(acks);
  }
}

// ------------------------------------------------------------------------------------ bare consumer

/**
 * Bare JetStream, run in a child process of its own (`--bare`): the durable consumer fn-run would create,
 * the client's own consume() loop with fn-run's pull settings (at most IN_FLIGHT messages asked for, the
 * next pull when half of them are used, the same pull expiry), a no-op async handler awaited per message,
 * then one explicit ack() (the same policy as fn-run: ack after the handler returned).
 */
async function bareConsumer(stream, subject) {
  const nc = await connect({ servers: URL });
  const jsm = await jetstreamManager(nc);
  const durable = `bare_${suffix()}`;
  await jsm.consumers.add(stream, consumerConfig(durable, subject));
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  const handler = async () => undefined;
  const messages = await consumer.consume({ max_messages: IN_FLIGHT, threshold_messages: Math.floor(IN_FLIGHT / 2), expires: FETCH_EXPIRES_MS });
  let n = 0;
  let t0 = 0;
  let t1 = 0;
  let cpu0;
  let cpu;
  for await (const m of messages) {
    await handler(m);
    m.ack();
    n++;
    if (n === 1) {
      t0 = performance.now();
      cpu0 = process.cpuUsage();
    }
    if (n === MESSAGES) {
      t1 = performance.now();
      cpu = process.cpuUsage(cpu0);
      break;
    }
  }
  await messages.close();
  await nc.flush();
  await jsm.consumers.delete(stream, durable).catch(() => undefined);
  await nc.close();
  return { seconds: (t1 - t0) / 1000, cpuMicros: cpu.user + cpu.system };
}

async function bareChild(stream, subject) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--bare', stream, subject], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const code = await new Promise((resolve) => child.once('exit', (c, sig) => resolve(c ?? sig)));
  if (code !== 0) throw new Error(`the bare consumer exited with ${code}`);
  return JSON.parse(out);
}

// ------------------------------------------------------------------------------------ fn-run

// fn-run: the handler does nothing but note when the first and the last message arrived, and the CPU its process used in between.
async function fnRun(stream, subject, cliPath, extraArgs, logName) {
  const dir = mkdtempSync(join(tmpdir(), 'fnkit-bench-js-'));
  const times = join(dir, 'times.json');
  writeFileSync(
    join(dir, 'handler.mjs'),
    `import { writeFileSync } from 'node:fs';
let n = 0, t0 = 0, cpu0;
export default function handler() {
  n++;
  if (n === 1) { t0 = performance.timeOrigin + performance.now(); cpu0 = process.cpuUsage(); }
  if (n === ${MESSAGES}) { const cpu = process.cpuUsage(cpu0); writeFileSync(${JSON.stringify(times)}, JSON.stringify({ t0, t1: performance.timeOrigin + performance.now(), cpuMicros: cpu.user + cpu.system })); }
}
`,
  );
  mkdirSync(logDir, { recursive: true });
  const durable = `fnrun_${suffix()}`;
  const fd = openSync(join(logDir, `jetstream-${logName}.log`), 'w');
  const args = [...NODE_ARGS, cliPath, join(dir, 'handler.mjs'), '--port', '0', '--host', '127.0.0.1', '--nats', subject, '--nats-url', URL, '--nats-stream', stream, '--nats-durable', durable, '--nats-max-in-flight', String(IN_FLIGHT), ...extraArgs];
  const child = spawn(process.execPath, args, { env: { ...process.env, FNKIT_LOG_FORMAT: 'json' }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  try {
    const until = Date.now() + 300_000;
    while (!existsSync(times) && Date.now() < until && child.exitCode === null) await sleep(25);
    if (!existsSync(times)) throw new Error(`fn-run did not handle ${MESSAGES} messages (exit ${child.exitCode}); see bench/.work/logs`);
    const { t0, t1, cpuMicros } = JSON.parse(readFileSync(times, 'utf8'));
    return { seconds: (t1 - t0) / 1000, cpuMicros };
  } finally {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
    rmSync(dir, { recursive: true, force: true });
    // Leave no durable consumer behind on the shared server.
    const nc = await connect({ servers: URL }).catch(() => undefined);
    if (nc) {
      const jsm = await jetstreamManager(nc);
      await jsm.consumers.delete(stream, durable).catch(() => undefined);
      await nc.close();
    }
  }
}

const STANDARD = ['bare', 'fn-run', 'fn-run-quiet'];

function pickSubjects(ids, stream, subject) {
  return ids.map((id) => {
    if (id === 'bare') return { id, name: 'bare JetStream consumer (consume + ack)', run: () => bareChild(stream, subject) };
    const m = /^(fn-run|fn-run-quiet)(?:=(.+))?$/.exec(id);
    if (!m) throw new Error(`unknown subject '${id}': use bare, fn-run, fn-run-quiet, fn-run=<cli.js> or fn-run-quiet=<cli.js>`);
    const quiet = m[1] === 'fn-run-quiet';
    const path = m[2] === undefined ? cli : resolve(m[2]);
    if (!existsSync(path)) throw new Error(`${path} is missing: build it first (npm run build)`);
    const label = m[2] === undefined ? '' : ` (${m[2]})`;
    const logName = `${m[1]}${m[2] === undefined ? '' : '-' + m[2].replace(/[^A-Za-z0-9]+/g, '-').slice(-40)}`;
    return {
      id,
      name: `fn-run --nats-stream${quiet ? ', --log-level warn' : ''}${label}`,
      run: () => fnRun(stream, subject, path, quiet ? ['--log-level', 'warn'] : [], logName),
    };
  });
}

async function main() {
  if (process.argv[2] === '--bare') {
    process.stdout.write(JSON.stringify(await bareConsumer(process.argv[3], process.argv[4])));
    return;
  }
  const ids = (process.argv[2] ?? STANDARD.join(',')).split(',').filter(Boolean);
  const standard = ids.join(',') === STANDARD.join(',');
  if (standard && !existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  await ensureServer();
  const nc = await connect({ servers: URL });
  const stream = `BENCH_JS_${suffix()}`;
  const subject = `bench.js.${suffix()}`;
  const subjects = pickSubjects(ids, stream, subject);
  const started = Date.now();
  const load0 = loadavg()[0];
  log(`publishing ${MESSAGES} messages to stream ${stream}`);
  await prepareStream(nc, stream, subject);
  const results = subjects.map(() => []);
  try {
    for (let round = 1 - WARMUP; round <= ROUNDS; round++) {
      const warm = round <= 0;
      // The order rotates every round, so no subject always runs right after the same one.
      const order = subjects.map((_, i) => (i + Math.max(0, round - 1)) % subjects.length);
      for (const i of order) {
        const s = subjects[i];
        const tag = warm ? 'warm-up (not counted)' : `round ${round}/${ROUNDS}`;
        try {
          const r = await s.run();
          if (!warm) results[i].push(r);
          log(`${tag}: ${s.name}: ${Math.round(MESSAGES / r.seconds)} messages/s, ${(r.cpuMicros / MESSAGES).toFixed(1)} CPU µs/message`);
        } catch (err) {
          if (!warm) results[i].push(err);
          log(`${tag}: ${s.name}: failed: ${err.message}`);
        }
      }
    }
  } finally {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.drain();
  }
  const load1 = loadavg()[0];
  const rows = subjects.map((s, i) => {
    const ok = results[i].filter((r) => !(r instanceof Error));
    if (ok.length === 0) return { id: s.id, name: s.name, error: results[i][0]?.message ?? 'no rounds' };
    const rps = ok.map((r) => MESSAGES / r.seconds);
    const cpu = ok.map((r) => r.cpuMicros / MESSAGES);
    return { id: s.id, name: s.name, rounds: ok.length, failed: results[i].length - ok.length, rps: median(rps), rpsAll: rps, cpu: median(cpu), cpuAll: cpu };
  });
  const bare = rows.find((r) => r.id === 'bare' && !r.error);
  const ratio = (r) => (bare && r ? `${(r / bare.rps).toFixed(2)}x` : '—');
  // CPU efficiency: bare CPU per message / subject CPU per message (1.00x = as cheap as the bare consumer).
  const cpuRatio = (c) => (bare && c ? `${(bare.cpu / c).toFixed(2)}x` : '—');
  const range = (xs, f) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
  const fnrun = rows.find((r) => r.id === 'fn-run' && !r.error);
  const pass = bare && fnrun ? fnrun.rps / bare.rps >= 0.8 : undefined;
  const target = standard
    ? [`- **${pass === undefined ? 'n/a' : pass ? 'PASS' : 'FAIL'}** fn-run --nats-stream messages/s ≥ 0.8x a bare JetStream consumer (medians of ${ROUNDS} rounds): ${ratio(fnrun?.rps)}`,
      `- By CPU time per message (steadier on a shared machine): fn-run ${fnrun ? `${fnrun.cpu.toFixed(1)} µs` : '—'} vs bare ${bare ? `${bare.cpu.toFixed(1)} µs` : '—'}, ${cpuRatio(fnrun?.cpu)} the bare consumer's CPU efficiency`]
    : rows.filter((r) => !r.error && r.id !== 'bare').map((r) => `- ${r.name}: median ${Math.round(r.rps)} messages/s (${ratio(r.rps)} bare), ${r.cpu.toFixed(1)} CPU µs/message (${cpuRatio(r.cpu)} bare's CPU efficiency; bare ${bare?.cpu.toFixed(1) ?? '—'})`);
  const md = [
    '# JetStream trigger benchmark: fn-run vs a bare JetStream consumer',
    '',
    standard ? '## Target' : '## A/B run',
    '',
    ...target,
    '',
    `Date: ${new Date(started).toISOString().replace(/\.\d+Z$/, 'Z')} (${Math.round((Date.now() - started) / 1000)} s, load average ${load0.toFixed(1)} → ${load1.toFixed(1)}) · Node ${process.version} · ${cpus().length} cores · @nats-io/jetstream ${clientVersion} · nats-server on 127.0.0.1:4222 (test/infra/nats.sh) · ${MESSAGES} messages of ~70 bytes · ${IN_FLIGHT} in flight · ${WARMUP} warm-up round + ${ROUNDS} rounds, subjects taking turns (order rotated each round) · **median** of the rounds`,
    '',
    '| subject | messages/s (median) | vs bare consumer | messages/s, each round | CPU µs per message (median) | CPU efficiency vs bare | CPU µs per message, range |',
    '|---|---:|---:|---|---:|---:|---|',
    ...rows.map((r) => (r.error
      ? `| ${r.name} | — | — | failed: ${r.error} | — | — | — |`
      : `| ${r.name} | ${Math.round(r.rps)} | ${ratio(r.rps)} | ${r.rpsAll.map((x) => Math.round(x)).join(', ')}${r.failed ? ` (${r.failed} failed)` : ''} | ${r.cpu.toFixed(1)} | ${cpuRatio(r.cpu)} | ${range(r.cpuAll, (x) => x.toFixed(1))} |`)),
    '',
    'Each run reads the same pre-filled stream from the start through a new durable pull consumer, in a fresh Node process (the bare consumer too: no subject has a JIT warmed by an earlier run); the time runs from the first message handled to the last (process start, connection and consumer set-up excluded).',
    `Same ack policy and settings: both use the durable consumer fn-run creates by default (explicit acks, ack_wait ${ACK_WAIT_MS / 1000} s, max_ack_pending ${MAX_ACK_PENDING}, deliver all, max_deliver unlimited) and ack each message once, after its handler returned. The bare consumer is the client's own \`consume({ max_messages: ${IN_FLIGHT}, threshold_messages: ${Math.floor(IN_FLIGHT / 2)}, expires: ${FETCH_EXPIRES_MS / 1000} s })\` loop awaiting a no-op async handler per message; fn-run pulls as many messages as it has free in-flight slots (--nats-max-in-flight ${IN_FLIGHT}, the next pull when half are free, the same expiry) and runs them concurrently.`,
    'fn-run decodes each message into a CloudEvent, goes through the invoker (deadline, abort signal, logger, metrics) and, by default, logs one line per invocation; `--log-level warn` drops that line.',
    'CPU µs per message: the consuming process\'s user + system CPU time (all threads) from the first message to the last, divided by the messages; efficiency = bare CPU per message / subject CPU per message. The NATS server\'s CPU is not counted (it serves both alike). CPU per message moves less than messages/s when other work shares the machine.',
    'The server, the consumer and the bench share the machine: compare rows within one run.',
    '',
  ].join('\n');
  const outDir = standard ? resultsDir : join(bench, '.work');
  const outFile = join(outDir, standard ? 'jetstream.md' : 'jetstream-ab.md');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(outFile, md);
  log(`wrote ${outFile.slice(root.length + 1)}`);
  console.log(md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
