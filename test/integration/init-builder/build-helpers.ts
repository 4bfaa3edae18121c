import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { freePort, root, sleep } from '../helpers.js';

/** Runs the built fn-build (`npm run build` first) and the real fn-run against its output. */

export const fnBuild = join(root, 'packages/init-builder/bin/fn-build.js');
export const fnRun = join(root, 'packages/runtime-node/bin/fn-run.cjs');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without any fn-build / fn-run / npm-script setting of the outer shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(FUNC_|MOD_NAME|KUBELESS_|FNKIT_|PORT$|NODE_PATH$|INIT_CWD$)/.test(k) || /^npm_/.test(k)) delete env[k];
  }
  return { ...env, ...extra };
}

export function runFnBuild(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fnBuild, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The one `fn-build: error:` line of a failed run (and there must be exactly one). */
export function errorLine(run: Run): string {
  const lines = run.stderr.split('\n').filter((l) => l.startsWith('fn-build: error:'));
  if (lines.length !== 1) throw new Error(`expected one error line, got ${lines.length}:\n${run.stderr}`);
  return lines[0]!;
}

/** A scratch directory for one test; `remove()` deletes it. */
export function scratch(): { dir: string; path(...parts: string[]): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'fnkit-build-'));
  return { dir, path: (...parts) => join(dir, ...parts), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeFiles(dir: string, files: Record<string, string | Buffer>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

export function readRecord(target: string): Record<string, any> {
  return JSON.parse(readFileSync(join(target, '.fnkit-build.json'), 'utf8')) as Record<string, any>;
}

export interface Served {
  base: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts fn-run the Kubeless way (MOD_NAME, FUNC_HANDLER, KUBELESS_INSTALL_VOLUME) and waits for /readyz. */
export async function serveTarget(target: string, modName: string, handler?: string): Promise<Served> {
  const port = await freePort();
  const env = cleanEnv({ MOD_NAME: modName, KUBELESS_INSTALL_VOLUME: target, FUNC_PORT: String(port), FNKIT_LOG_FORMAT: 'json', ...(handler ? { FUNC_HANDLER: handler } : {}) });
  const child = spawn(process.execPath, [fnRun, '--host', '127.0.0.1'], { cwd: tmpdir(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  const served: Served = {
    base: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`fn-run exited with ${child.exitCode} before it was ready:\n${out}`);
    try {
      if ((await fetch(`${served.base}/readyz`)).status === 200) return served;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await served.stop();
  throw new Error(`fn-run never became ready:\n${out}`);
}

/** A stored (uncompressed) zip archive with exactly the entry names given, `..` and all (for zip-slip tests). */
export function zipArchive(entries: Record<string, string | Buffer>, options: { deflate?: boolean } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(entries)) {
    const raw = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const data = options.deflate ? deflateRawSync(raw) : raw;
    const method = options.deflate ? 8 : 0;
    const nameBuf = Buffer.from(name, 'utf8');
    const crc = crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8); // 0 stored, 8 deflated
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by: unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(((name.endsWith('/') ? 0o40755 : 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, data);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A gzipped tar with exactly the entry names given (tar's own writer refuses `..`, which the zip-slip test needs). */
export function tgzArchive(entries: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [path, content] of Object.entries(entries)) {
    const data = Buffer.from(content);
    const header = new Header({ path, mode: 0o644, size: data.length, mtime: new Date(0), type: 'File', uid: 0, gid: 0 });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
