import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, root, sleep } from '../helpers.js';

/**
 * A short-lived single-node Kafka broker of a test's own (never the shared one on :9092), from the
 * jars test/infra/kafka.sh fetched, on free ports, with its data in a temporary folder. For tests
 * that stop and restart the broker.
 */

const VERSION = '3.9.1';

export interface OwnBroker {
  brokers: string;
  /** With `sasl`: the SASL_PLAINTEXT (PLAIN) listener's address. */
  saslBrokers?: string;
  start(): Promise<void>;
  /** SIGTERM (a clean shutdown, as in a rolling restart), then waits for the exit. */
  stop(): Promise<void>;
  /** Stops for good and removes the data. */
  destroy(): Promise<void>;
  logTail(): string;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface OwnBrokerOptions {
  /** Adds a SASL_PLAINTEXT listener with the PLAIN mechanism and these users (name → password). */
  sasl?: Record<string, string>;
}

export async function createOwnBroker(options: OwnBrokerOptions = {}): Promise<OwnBroker> {
  const home = process.env.FNKIT_KAFKA_HOME ?? join(homedir(), '.cache', 'fnkit', `kafka-${VERSION}`);
  const libs = join(home, 'libs');
  if (!existsSync(join(libs, `kafka_2.13-${VERSION}.jar`))) {
    throw new Error(`the Kafka jars are missing in ${libs}: run \`bash test/infra/kafka.sh\` (npm test runs it)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'fnkit-kafka-own-'));
  const [port, controller] = [await freePort(), await freePort()];
  const props = join(dir, 'server.properties');
  const log = join(dir, 'broker.log');
  let text = readFileSync(join(root, 'test/infra/kafka/server.properties.template'), 'utf8')
    .replaceAll('127.0.0.1:9092', `127.0.0.1:${port}`)
    .replaceAll('127.0.0.1:9093', `127.0.0.1:${controller}`)
    .replaceAll('@DATA_DIR@', join(dir, 'data'));
  let saslPort: number | undefined;
  if (options.sasl) {
    saslPort = await freePort();
    const users = Object.entries(options.sasl).map(([u, p]) => `user_${u}="${p}"`).join(' ');
    text = text
      .replace(/^listeners=(.*)$/m, `listeners=$1,SASL_PLAINTEXT://127.0.0.1:${saslPort}`)
      .replace(/^advertised\.listeners=(.*)$/m, `advertised.listeners=$1,SASL_PLAINTEXT://127.0.0.1:${saslPort}`)
      .replace(/^listener\.security\.protocol\.map=(.*)$/m, 'listener.security.protocol.map=$1,SASL_PLAINTEXT:SASL_PLAINTEXT');
    text += `\nsasl.enabled.mechanisms=PLAIN\nlistener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${users};\n`;
  }
  writeFileSync(props, text);
  const jvm = ['-Xms64m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j.configuration=file:${join(root, 'test/infra/kafka/log4j.properties')}`, `-Dkafka.logs.file=${log}`, '-cp', `${libs}/*`];
  // A Kafka cluster id: 16 random bytes, base64url; one starting with '-' would read as an option.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  await promisify(execFile)('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props]);

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const broker: OwnBroker = {
    brokers: `127.0.0.1:${port}`,
    ...(saslPort !== undefined ? { saslBrokers: `127.0.0.1:${saslPort}` } : {}),
    async start() {
      const c = spawn('java', [...jvm, 'kafka.Kafka', props], { stdio: 'ignore' });
      child = c;
      exited = new Promise((resolve) => c.once('exit', () => resolve()));
      for (let i = 0; i < 1200; i++) {
        if (c.exitCode !== null) throw new Error(`the test broker exited (${c.exitCode}):\n${broker.logTail()}`);
        if (await listening(port)) return;
        await sleep(100);
      }
      throw new Error(`the test broker did not listen on ${port} within 120 s:\n${broker.logTail()}`);
    },
    async stop() {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child?.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(t);
      }
    },
    async destroy() {
      if (child && child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
    logTail() {
      return existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-30).join('\n') : '(no log)';
    },
  };
  return broker;
}
