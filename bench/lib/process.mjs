// Spawning, readiness polling, RSS reading and killing of subject server processes.
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { mkdirSync, openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const live = new Set();

/** A port the OS just handed out on 127.0.0.1 (closed again before returning). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawns a subject. stdout/stderr go to bench/.work/logs/<id>.log, rewritten per spawn (never an undrained pipe).
 * Returns { child, exited } where `exited` resolves with a description once the process ends.
 */
export function startServer(subject, port, logDir) {
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `${subject.id}.log`);
  const fd = openSync(logPath, 'w'); // each spawn starts a fresh log: fn-run logs every request
  const [cmd, ...args] = subject.command(port);
  const child = spawn(cmd, args, {
    cwd: subject.cwd,
    env: { ...process.env, ...(subject.env ? subject.env(port) : {}) },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  live.add(child);
  const exited = new Promise((resolve) => {
    child.once('error', (err) => { live.delete(child); resolve(`could not spawn ${cmd}: ${err.message}`); });
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(`exited with ${signal ?? `code ${code}`} (log: ${relative(process.cwd(), logPath)})`);
    });
  });
  return { child, exited, logPath };
}

function probe(port, path) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode >= 200 && res.statusCode < 300);
    });
    req.setTimeout(1000, () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

function lastLine(logPath) {
  try {
    const lines = readFileSync(logPath, 'utf8').trim().split('\n');
    return lines.length && lines.at(-1) ? `; last log line: ${lines.at(-1).slice(0, 160)}` : '';
  } catch { return ''; }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls GET `path` every `everyMs` until a 2xx; rejects if the process exits or `timeoutMs` passes. */
export async function waitReady(server, port, { path = '/', everyMs = 5, timeoutMs = 20000 } = {}) {
  let dead = null;
  server.exited.then((why) => { dead = why; });
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (dead) throw new Error(`server ${dead} before answering${lastLine(server.logPath)}`);
    if (await probe(port, path)) return;
    await sleep(everyMs);
  }
  throw new Error(`no 2xx on GET ${path} within ${timeoutMs} ms (log: ${relative(process.cwd(), server.logPath)})`);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopServer(server, graceMs = 2000) {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await server.exited;
  clearTimeout(timer);
}

function childPids(pid) {
  const out = [];
  let tasks = [];
  try { tasks = readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const t of tasks) {
    try {
      const list = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (list) out.push(...list.split(/\s+/).map(Number));
    } catch { /* task ended */ }
  }
  return out;
}

function vmRssKb(pid) {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** VmRSS in MiB of the process plus any child processes it forked (worker threads are already inside). */
export function treeRssMiB(pid) {
  let kb = 0;
  const queue = [pid];
  while (queue.length) {
    const p = queue.pop();
    try { kb += vmRssKb(p); } catch { continue; }
    queue.push(...childPids(p));
  }
  return kb / 1024;
}

/** Kills every subject still running (used on exit and on Ctrl-C). */
export function killAll() {
  for (const child of live) child.kill('SIGKILL');
}
