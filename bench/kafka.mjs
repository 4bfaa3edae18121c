// Kafka trigger benchmark: records/s through fn-run's Kafka trigger (a handler that does nothing)
// against a bare kafkajs `eachMessage` consumer with the same commit policy (offsets committed only
// after the record was handled, batched on a short interval), side by side in one run, on the same
// topic (fresh consumer group each, reading from the beginning).
// Usage: node bench/kafka.mjs   (env: BENCH_KAFKA_RECORDS (default 300000), BENCH_KAFKA_PARTITIONS (4))
// Needs a broker on 127.0.0.1:9092: started with test/infra/kafka.sh when none is running.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, openSync, closeSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const bench = dirname(fileURLToPath(import.meta.url));
const root = dirname(bench);
const cli = join(root, 'packages/runtime-node/dist/cli.cjs');
const resultsDir = join(bench, 'results');
// A/B mode: AB_CLIS=<cli.js>,<cli.js> runs several fn-run builds side by side instead of the standard subjects
// (AB_ROUNDS rounds of each, AB_NODE_ARGS e.g. "--cpu-prof --cpu-prof-dir=DIR" for their Node); the table then goes
// to bench/.work/kafka-ab.md, never to bench/results/, with each build's mean over its rounds at the top (the PASS/FAIL
// lines then compare the first A/B row only). BENCH_KAFKA_RECORDS=150000 keeps a round short.
const AB_CLIS = process.env.AB_CLIS ? process.env.AB_CLIS.split(',') : undefined;
const NODE_ARGS = process.env.AB_NODE_ARGS ? process.env.AB_NODE_ARGS.split(' ') : [];
const logDir = join(bench, '.work', 'logs');
const { Kafka, logLevel } = createRequire(import.meta.url)('kafkajs');
const kafkajsVersion = createRequire(import.meta.url)('kafkajs/package.json').version;

const num = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${v} is not a positive integer; unset it or give e.g. ${dflt}`);
  return n;
};
const RECORDS = num('BENCH_KAFKA_RECORDS', 300_000);
const PARTITIONS = num('BENCH_KAFKA_PARTITIONS', 4);
const BROKER = '127.0.0.1:9092';
const COMMIT_INTERVAL_MS = 500; // fn-run's Kafka trigger commits every 500 ms
const log = (...a) => console.error('[bench kafka]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const unique = (p) => `${p}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

function listening() {
  return new Promise((resolve) => {
    const s = connect(9092, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function ensureBroker() {
  if (await listening()) return;
  log('no broker on 127.0.0.1:9092: running test/infra/kafka.sh');
  execFileSync('bash', [join(root, 'test/infra/kafka.sh')], { stdio: 'inherit' });
}

const kafka = new Kafka({ clientId: 'fnkit-bench', brokers: [BROKER], logLevel: logLevel.NOTHING });

async function prepareTopic(topic) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const chunk = 5000;
  for (let i = 0; i < RECORDS; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(RECORDS, i + chunk); j++) messages.push({ key: `k${j % 1000}`, value: JSON.stringify({ id: j, item: 'buy milk', added: '2026-11-23T10:00:00Z' }) });
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
}

async function deleteTopic(topic) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, `${topic}.dlq`].filter(Boolean) }).catch(() => undefined);
  await admin.disconnect();
}

// Bare kafkajs: eachMessage does nothing; kafkajs resolves each offset after eachMessage returns and
// auto-commits resolved offsets every COMMIT_INTERVAL_MS (so never past unhandled records).
async function bareKafkajs(topic) {
  const consumer = kafka.consumer({ groupId: unique('bench-bare'), maxWaitTimeInMs: 1000 });
  let n = 0;
  let t0 = 0;
  let t1 = 0;
  let c0 = 0;
  let c1 = 0;
  const cpu = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: COMMIT_INTERVAL_MS,
    partitionsConsumedConcurrently: PARTITIONS,
    eachMessage: async () => {
      n++;
      if (n === 1) {
        t0 = performance.now();
        c0 = cpu();
      }
      if (n === RECORDS) {
        t1 = performance.now();
        c1 = cpu();
      }
    },
  });
  const until = Date.now() + 300_000;
  while (n < RECORDS && Date.now() < until) await sleep(50);
  await consumer.disconnect();
  if (n < RECORDS) throw new Error(`bare kafkajs consumed ${n} of ${RECORDS} records in 300 s`);
  return { seconds: (t1 - t0) / 1000, cpuUsPerRecord: (c1 - c0) / (RECORDS - 1) };
}

// fn-run: the handler does nothing but note when the first and the last record arrived.
async function fnRun(topic, extraArgs, cliPath = cli) {
  const dir = mkdtempSync(join(tmpdir(), 'fnkit-bench-kafka-'));
  const times = join(dir, 'times.json');
  writeFileSync(
    join(dir, 'handler.mjs'),
    `import { writeFileSync } from 'node:fs';
let n = 0, t0 = 0, c0 = 0;
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
export default function handler() {
  n++;
  if (n === 1) { t0 = performance.timeOrigin + performance.now(); c0 = cpu(); }
  if (n === ${RECORDS}) writeFileSync(${JSON.stringify(times)}, JSON.stringify({ t0, t1: performance.timeOrigin + performance.now(), cpuUs: cpu() - c0 }));
}
`,
  );
  mkdirSync(logDir, { recursive: true });
  const fd = openSync(join(logDir, `kafka-fn-run${extraArgs.length ? '-' + extraArgs.join('').replace(/[^a-z]/g, '') : ''}.log`), 'w');
  const child = spawn(process.execPath, [...NODE_ARGS, cliPath, join(dir, 'handler.mjs'), '--port', '0', '--host', '127.0.0.1', '--kafka', topic, '--kafka-from-beginning', '--kafka-group', unique('bench-fnrun'), '--kafka-partition-concurrency', String(PARTITIONS), ...extraArgs], {
    env: { ...process.env, FNKIT_LOG_FORMAT: 'json' },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  try {
    const until = Date.now() + 300_000;
    while (!existsSync(times) && Date.now() < until && child.exitCode === null) await sleep(50);
    if (!existsSync(times)) throw new Error(`fn-run did not handle ${RECORDS} records (exit ${child.exitCode}); see bench/.work/logs`);
    const { t0, t1, cpuUs } = JSON.parse(readFileSync(times, 'utf8'));
    return { seconds: (t1 - t0) / 1000, cpuUsPerRecord: cpuUs / (RECORDS - 1) };
  } finally {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
    rmSync(dir, { recursive: true, force: true });
  }
}

// The bare consumer runs in a fresh process too, so neither side has a JIT warmed by earlier runs.
async function bareKafkajsChild(topic) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--bare', topic], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const code = await new Promise((resolve) => child.once('exit', (c, sig) => resolve(c ?? sig)));
  if (code !== 0) throw new Error(`the bare consumer exited with ${code}`);
  return JSON.parse(out);
}

async function main() {
  if (process.argv[2] === '--bare') {
    process.stdout.write(JSON.stringify(await bareKafkajs(process.argv[3])));
    return;
  }
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  await ensureBroker();
  const topic = unique('bench-kafka');
  log(`producing ${RECORDS} records to ${topic} (${PARTITIONS} partitions)`);
  await prepareTopic(topic);
  const rows = [];
  try {
    // The bare consumer runs first and last: the machine is shared, so its mean brackets the fn-run runs.
    const subjects = [{ name: 'bare kafkajs eachMessage (first)', run: () => bareKafkajsChild(topic) }];
    if (AB_CLIS) {
      for (let r = 0; r < Number(process.env.AB_ROUNDS ?? 1); r++) for (const c of AB_CLIS) subjects.push({ name: `fn-run ${c}`, run: () => fnRun(topic, [], c) });
    } else {
      subjects.push({ name: 'fn-run --kafka', run: () => fnRun(topic, []) });
      subjects.push({ name: 'fn-run --kafka, --log-level warn', run: () => fnRun(topic, ['--log-level', 'warn']) });
    }
    subjects.push({ name: 'bare kafkajs eachMessage (last)', run: () => bareKafkajsChild(topic) });
    for (const s of subjects) {
      log(`${s.name}: consuming ${RECORDS} records`);
      try {
        const { seconds, cpuUsPerRecord } = await s.run();
        rows.push({ name: s.name, seconds, rps: RECORDS / seconds, cpu: cpuUsPerRecord });
        log(`${s.name}: ${Math.round(RECORDS / seconds)} records/s, ${cpuUsPerRecord.toFixed(2)} CPU µs/record`);
      } catch (err) {
        rows.push({ name: s.name, error: err.message });
        log(`${s.name}: failed: ${err.message}`);
      }
    }
  } finally {
    await deleteTopic(topic);
  }
  const bareRows = [rows[0], rows.at(-1)];
  const bares = bareRows.map((r) => r?.rps).filter((x) => typeof x === 'number');
  const bare = bares.length ? bares.reduce((a, b) => a + b, 0) / bares.length : undefined;
  const fnrun = rows[1]?.rps;
  const ratio = (r) => (bare && r ? `${(r / bare).toFixed(2)}x` : '—');
  const bareCpus = bareRows.map((r) => r?.cpu).filter((x) => typeof x === 'number');
  const bareCpu = bareCpus.length ? bareCpus.reduce((a, b) => a + b, 0) / bareCpus.length : undefined;
  // CPU time per record is steadier than records/s on a shared machine: the ratio of bare to fn-run CPU per record.
  const cpuRatio = (c) => (bareCpu && c ? `${(bareCpu / c).toFixed(2)}x` : '—');
  const pass = bare && fnrun ? fnrun / bare >= 0.8 : false;
  // A/B mode: each build's mean over its rounds, against the bare consumer's mean.
  const abSummary = [];
  if (AB_CLIS) {
    for (const c of AB_CLIS) {
      const mine = rows.filter((r) => r.name === `fn-run ${c}` && r.rps);
      if (mine.length === 0) continue;
      const rps = mine.reduce((a, r) => a + r.rps, 0) / mine.length;
      const cpu = mine.reduce((a, r) => a + r.cpu, 0) / mine.length;
      abSummary.push(`- ${c}: mean of ${mine.length} rounds ${Math.round(rps)} records/s (${ratio(rps)} bare), ${cpu.toFixed(2)} CPU µs/record (${cpuRatio(cpu)} bare's CPU efficiency; bare ${bareCpu?.toFixed(2)})`);
    }
  }
  const md = [
    '# Kafka trigger benchmark: fn-run vs a bare kafkajs consumer',
    '',
    '## Target',
    '',
    ...(abSummary.length ? [...abSummary, ''] : []),
    `- **${pass ? 'PASS' : 'FAIL'}** fn-run --kafka records/s ≥ 0.8x bare kafkajs eachMessage: ${ratio(fnrun)} (--log-level warn: ${ratio(rows[2]?.rps)})`,
    `- By CPU time per record (steadier on a shared machine): fn-run --kafka ${cpuRatio(rows[1]?.cpu)} the bare consumer's efficiency (--log-level warn: ${cpuRatio(rows[2]?.cpu)})`,
    '',
    `Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} · Node ${process.version} · ${cpus().length} cores · kafkajs ${kafkajsVersion} · Apache Kafka 3.9.1 (single node, KRaft, test/infra/kafka.sh) · ${RECORDS} records of ~70 bytes on ${PARTITIONS} partitions · one run each, the bare consumer before and after`,
    '',
    '| subject | seconds | records/s | vs bare kafkajs (mean of its two runs) | CPU µs / record | CPU efficiency vs bare | notes |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => (r.error ? `| ${r.name} | — | — | — | — | — | failed: ${r.error} |` : `| ${r.name} | ${r.seconds.toFixed(2)} | ${Math.round(r.rps)} | ${ratio(r.rps)} | ${r.cpu.toFixed(2)} | ${cpuRatio(r.cpu)} |  |`)),
    '',
    'Each subject reads the same pre-filled topic from the beginning with a fresh consumer group; the time runs from the first record handled to the last (group join and connection set-up excluded).',
    'Every subject runs in a fresh Node process (the bare consumer too), so none has a JIT warmed by an earlier run.',
    'CPU µs / record: user + system CPU time of the consuming process over the same window, divided by the records; efficiency = bare CPU per record / subject CPU per record.',
    `Both commit only after a record was handled, batched: kafkajs auto-commits resolved offsets every ${COMMIT_INTERVAL_MS} ms; fn-run commits handled offsets every ${COMMIT_INTERVAL_MS} ms.`,
    'fn-run decodes each record into a CloudEvent, goes through the invoker (deadline, abort signal, logger, metrics) and, by default, logs one line per invocation; `--log-level warn` drops that line.',
    ...(rows[1]?.cpu && rows[2]?.cpu ? [`In this run the invoker's per-invocation info log line cost ${(rows[1].cpu - rows[2].cpu).toFixed(1)} CPU µs per record (the difference between the two fn-run rows).`] : []),
    'The broker, the consumer and the bench share the machine: compare rows within one run.',
    '',
  ].join('\n');
  const outDir = AB_CLIS ? join(bench, '.work') : resultsDir;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, AB_CLIS ? 'kafka-ab.md' : 'kafka.md'), md);
  log(`wrote ${AB_CLIS ? 'bench/.work/kafka-ab.md' : 'bench/results/kafka.md'}`);
  console.log(md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
