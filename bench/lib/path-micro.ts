// Microbench (in-process, no sockets): CPU ns per request of fn-run's own part of an HTTP request, what the
// catch-all route does between fastify handing it the request and fastify sending the reply: the CloudEvents
// decode, the invoker (context, handler `{ hello: 'world' }`, result, metrics, the invocation log line into the
// real LineBuffer) and sendOutcome into a stand-in reply. For the bench's GET and binary-mode POST. fastify's
// own work and the socket are not in it (they are the same with and without a change to fnkit's code).
// Run (stdout is the log: send it to /dev/null; the numbers go to stderr):
//   node_modules/.bin/esbuild bench/lib/path-micro.ts --bundle --platform=node --format=esm \
//     --alias:@fnkit/sdk=./packages/sdk/src/index.ts --outfile=/tmp/path-micro.mjs && node /tmp/path-micro.mjs >/dev/null
// For an A/B, bundle another checkout's copy the same way and run the two in turn (alternating, several times).
import type { FastifyReply } from 'fastify';
import { decodeHttpRequest } from '../../packages/runtime-node/src/cloudevents/http-decode.js';
import { FunctionInvoker } from '../../packages/runtime-node/src/invoker/invoker.js';
import { InProcessRunner } from '../../packages/runtime-node/src/invoker/runner.js';
import { createLogger } from '../../packages/runtime-node/src/observability/logger.js';
import { RuntimeMetrics } from '../../packages/runtime-node/src/observability/metrics.js';
import { sendOutcome } from '../../packages/runtime-node/src/server/reply.js';

const log = createLogger({ logLevel: 'info', logFormat: 'json', functionName: 'hello' });
const settings = { functionName: 'hello', handlerName: 'default', runtime: 'nodejs20', memoryLimit: undefined, timeoutMs: 180_000, log };
const runner = new InProcessRunner(() => ({ hello: 'world' }), settings);
const invoker = new FunctionInvoker({ concurrency: 0, queueSize: 0, runner, metrics: new RuntimeMetrics('hello'), log });

const headersGet = { host: '127.0.0.1:3000', connection: 'keep-alive' };
const headersPost = { host: '127.0.0.1:3000', connection: 'keep-alive', 'content-length': '7', 'ce-specversion': '1.0', 'ce-id': 'bench-1', 'ce-source': '/bench', 'ce-type': 'dev.fnkit.bench', 'content-type': 'application/json' };
const body = Buffer.from('{"n":1}');
// A lazy cancellation that is never read (the client stays), as ClientConnection is on this path.
const cancellation = { get signal(): AbortSignal { throw new Error('not read on this path'); }, reason: undefined };
let sent: unknown;
const reply = {
  code() { return this; },
  headers() { return this; },
  header() { return this; },
  send(payload?: unknown) { sent = payload; return this; },
} as unknown as FastifyReply;

function request(method: string, headers: Record<string, string>, payload: Buffer | undefined): void {
  // A fresh header object per request, as Node gives one.
  const decoded = decodeHttpRequest({ method, url: '/', path: '/', query: {}, headers: { ...headers }, body: payload, remoteAddress: '127.0.0.1' }, { kubeless: false });
  const outcome = invoker.invokeNow(decoded.events[0]!, { admission: 'queue', cancellation });
  if (outcome instanceof Promise) throw new Error('the handler is synchronous');
  sendOutcome(reply, outcome);
}

export const get = (): void => request('GET', headersGet, undefined);
export const post = (): void => request('POST', headersPost, body);
export const flush = (): void => log.flush();

const N = Number(process.env.MICRO_N ?? 200_000);
const ROUNDS = Number(process.env.MICRO_ROUNDS ?? 7);
function time(f: () => void): number {
  const t = process.cpuUsage();
  for (let i = 0; i < N; i++) f();
  const u = process.cpuUsage(t);
  return ((u.user + u.system) * 1000) / N;
}
// Imported by bench/lib/path-micro-ab.mjs (two builds in one process, rounds alternating): no run of its own.
if (process.env.MICRO_AB === undefined) {
  time(get);
  time(post);
  const best = { get: Infinity, post: Infinity };
  for (let r = 0; r < ROUNDS; r++) {
    best.get = Math.min(best.get, time(get));
    best.post = Math.min(best.post, time(post));
  }
  log.flush();
  process.stderr.write(`ns per request (fn-run's part, lowest of ${ROUNDS} x ${N}): GET ${best.get.toFixed(0)}, POST ${best.post.toFixed(0)}${sent === undefined ? ' (nothing sent?)' : ''}\n`);
}
