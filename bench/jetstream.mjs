// JetStream trigger benchmark: messages/s through fn-run's JetStream trigger (a handler that does
// nothing) against a bare JetStream consumer with the same ack policy (a durable pull consumer, one
// explicit ack per message after its "handler" returned), side by side in one run, on the same
// pre-filled stream (a fresh durable consumer each, reading from the start).
// Usage: node bench/jetstream.mjs   (env: BENCH_JS_MESSAGES (default 20000), BENCH_JS_IN_FLIGHT (64), BENCH_JS_ROUNDS (3))
// The subjects take turns, ROUNDS times; each row reports its best round (the machine is shared and noisy).
// Needs NATS with JetStream on 127.0.0.1:4222: started with test/infra/nats.sh when none is running.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect as tcpConnect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = dirname(fileURLToPath(import.meta.url));
const root = dirname(bench);
const cli = join(root, 'packages/runtime-node/dist/cli.cjs');
const resultsDir = join(bench, 'results');
const logDir = join(bench, '.work', 'logs');
// The same NATS client fn-run uses (a dependency of @fnkit/runtime-node).
const requireFromRuntime = createRequire(join(root, 'packages/runtime-node/package.json'));
const { connect } = requireFromRuntime('@nats-io/transport-node');
const { jetstream, jetstreamManager, AckPolicy } = requireFromRuntime('@nats-io/jetstream');
const clientVersion = JSON.parse(readFileSync(requireFromRuntime.resolve('@nats-io/jetstream').replace(/lib[\\/]mod\.js$/, 'package.json'), 'utf8')).version;

const num = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${v} is not a positive integer; unset it or give e.g. ${dflt}`);
  return n;
};
const MESSAGES = num('BENCH_JS_MESSAGES', 20_000);
const IN_FLIGHT = num('BENCH_JS_IN_FLIGHT', 64);
const ROUNDS = num('BENCH_JS_ROUNDS', 3);
const URL = 'nats://127.0.0.1:4222';
const log = (...a) => console.error('[bench jetstream]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const suffix = () => `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

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

// Bare JetStream: a durable pull consumer with explicit acks, the client's own consume() loop, a no-op
// async handler awaited per message, then ack() (the same policy as fn-run: ack after the handler).
async function bareConsumer(nc, stream, subject) {
  const jsm = await jetstreamManager(nc);
  const durable = `bare_${suffix()}`;
  await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: subject, max_deliver: -1 });
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  const handler = async () => undefined;
  const messages = await consumer.consume({ max_messages: IN_FLIGHT });
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
  return { seconds: (t1 - t0) / 1000, cpuMicros: cpu.user + cpu.system };
}

// fn-run: the handler does nothing but note when the first and the last message arrived.
async function fnRun(stream, subject, extraArgs) {
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
  const fd = openSync(join(logDir, `jetstream-fn-run${extraArgs.length ? '-' + extraArgs.join('').replace(/[^a-z]/g, '') : ''}.log`), 'w');
  const args = [cli, join(dir, 'handler.mjs'), '--port', '0', '--host', '127.0.0.1', '--nats', subject, '--nats-url', URL, '--nats-stream', stream, '--nats-durable', durable, '--nats-max-in-flight', String(IN_FLIGHT), ...extraArgs];
  const child = spawn(process.execPath, args, { env: { ...process.env, FNKIT_LOG_FORMAT: 'json' }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  try {
    const until = Date.now() + 300_000;
    while (!existsSync(times) && Date.now() < until && child.exitCode === null) await sleep(50);
    if (!existsSync(times)) throw new Error(`fn-run did not handle ${MESSAGES} messages (exit ${child.exitCode}); see bench/.work/logs`);
    const { t0, t1, cpuMicros } = JSON.parse(readFileSync(times, 'utf8'));
    return { seconds: (t1 - t0) / 1000, cpuMicros };
  } finally {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  await ensureServer();
  const nc = await connect({ servers: URL });
  const stream = `BENCH_JS_${suffix()}`;
  const subject = `bench.js.${suffix()}`;
  log(`publishing ${MESSAGES} messages to stream ${stream}`);
  await prepareStream(nc, stream, subject);
  const rows = [];
  try {
    const subjects = [
      { name: 'bare JetStream consumer (consume + ack)', run: () => bareConsumer(nc, stream, subject) },
      { name: 'fn-run --nats-stream', run: () => fnRun(stream, subject, []) },
      { name: 'fn-run --nats-stream, --log-level warn', run: () => fnRun(stream, subject, ['--log-level', 'warn']) },
    ];
    const results = subjects.map(() => []);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [i, s] of subjects.entries()) {
        log(`round ${round}/${ROUNDS}: ${s.name}: consuming ${MESSAGES} messages`);
        try {
          const r = await s.run();
          results[i].push(r);
          const { seconds } = r;
          log(`${s.name}: ${Math.round(MESSAGES / seconds)} messages/s`);
        } catch (err) {
          results[i].push(err);
          log(`${s.name}: failed: ${err.message}`);
        }
      }
    }
    for (const [i, s] of subjects.entries()) {
      const ok = results[i].filter((r) => !(r instanceof Error));
      if (ok.length === 0) {
        rows.push({ name: s.name, error: results[i][0].message });
        continue;
      }
      const seconds = Math.min(...ok.map((r) => r.seconds));
      const cpu = Math.min(...ok.map((r) => r.cpuMicros)) / MESSAGES;
      rows.push({ name: s.name, seconds, rps: MESSAGES / seconds, cpu, all: ok.map((r) => Math.round(MESSAGES / r.seconds)) });
    }
  } finally {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.drain();
  }
  const bare = rows[0]?.rps;
  const fnrun = rows[1]?.rps;
  const ratio = (r) => (bare && r ? `${(r / bare).toFixed(2)}x` : '—');
  const pass = bare && fnrun ? fnrun / bare >= 0.8 : false;
  const md = [
    '# JetStream trigger benchmark: fn-run vs a bare JetStream consumer',
    '',
    '## Target',
    '',
    `- **${pass ? 'PASS' : 'FAIL'}** fn-run --nats-stream messages/s ≥ 0.8x a bare JetStream consumer: ${ratio(fnrun)}`,
    '',
    `Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} · Node ${process.version} · ${cpus().length} cores · @nats-io/jetstream ${clientVersion} · nats-server on 127.0.0.1:4222 (test/infra/nats.sh) · ${MESSAGES} messages of ~70 bytes · ${IN_FLIGHT} in flight · best of ${ROUNDS} rounds, subjects taking turns`,
    '',
    '| subject | seconds (best) | messages/s (best) | vs bare consumer | CPU µs per message (best) | messages/s, every round |',
    '|---|---:|---:|---:|---:|---|',
    ...rows.map((r) => (r.error ? `| ${r.name} | — | — | — | — | failed: ${r.error} |` : `| ${r.name} | ${r.seconds.toFixed(2)} | ${Math.round(r.rps)} | ${ratio(r.rps)} | ${r.cpu.toFixed(1)} | ${r.all.join(', ')} |`)),
    '',
    'Each subject reads the same pre-filled stream from the start through its own new durable pull consumer with explicit acks; the time runs from the first message handled to the last (connection and consumer set-up excluded).',
    `Same ack policy: one ack per message, sent after its handler returned. The bare consumer is the client's own \`consume({ max_messages: ${IN_FLIGHT} })\` loop awaiting a no-op handler per message; fn-run fetches as many messages as it has free in-flight slots (--nats-max-in-flight ${IN_FLIGHT}; the next pull goes out when half are free) and runs them concurrently.`,
    'fn-run decodes each message into a CloudEvent, goes through the invoker (deadline, abort signal, logger, metrics) and, by default, logs one line per invocation; `--log-level warn` drops that line.',
    'CPU is the consuming process\'s user + system time from the first message to the last (fn-run: its whole process), divided by the messages.',
    'The server, the consumer and the bench share the machine: compare rows within one run.',
    '',
  ].join('\n');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'jetstream.md'), md);
  log('wrote bench/results/jetstream.md');
  console.log(md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
