// A/B microbenchmark of the SDK's runInvocation, the call every invocation makes: ns per invocation of
// a handler returning a plain value, for each SDK build given (the dist/index.js of two checkouts),
// interleaved rounds, lowest kept. Also, for the newer build, the same with a per-invocation cancel
// signal given and read by the handler (what a cron Replace tick pays; the HTTP path gives none).
// Usage: node bench/lib/invocation-micro.mjs <sdk dist/index.js> [<sdk dist/index.js> ...]
import { pathToFileURL } from 'node:url';

const paths = process.argv.slice(2);
if (paths.length === 0) throw new Error('usage: node bench/lib/invocation-micro.mjs <sdk dist/index.js> ...');
const sdks = await Promise.all(paths.map(async (p) => ({ name: p, sdk: await import(pathToFileURL(p).href) })));
const N = Number(process.env.MICRO_N ?? 500_000);
const ROUNDS = Number(process.env.MICRO_ROUNDS ?? 7);
const noop = () => undefined;
const log = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, child: () => log };
const settings = { functionName: 'fn', handlerName: 'handler', runtime: 'nodejs20', memoryLimit: undefined, timeoutMs: 1000, log };

async function measure({ sdk }, handler, overrides) {
  const event = sdk.createEvent({ specversion: '1.0', id: 'ev', source: '/s', type: 't' }, { kind: 'invoke' });
  const t0 = process.hrtime.bigint();
  let last;
  for (let i = 0; i < N; i++) last = sdk.runInvocation(handler, event, settings, overrides);
  await last;
  return Number(process.hrtime.bigint() - t0) / N;
}

const plain = () => ({ ok: true });
const readsSignal = (_e, ctx) => ({ aborted: ctx.signal.aborted });
const cancel = new AbortController();
const rows = new Map();
const keep = (k, v) => rows.set(k, Math.min(rows.get(k) ?? Infinity, v));
for (const s of sdks) await measure(s, plain); // warm up
for (let r = 0; r < ROUNDS; r++) {
  for (const s of sdks) keep(`${s.name}: no signal`, await measure(s, plain));
  const newest = sdks[sdks.length - 1];
  keep(`${newest.name}: signal given, not read`, await measure(newest, plain, { signal: cancel.signal }));
  keep(`${newest.name}: signal given and read`, await measure(newest, readsSignal, { signal: cancel.signal }));
}
console.log(`ns per runInvocation (plain-value handler), min of ${ROUNDS} rounds of ${N}`);
for (const [k, v] of rows) console.log(`${v.toFixed(0).padStart(6)}  ${k}`);
