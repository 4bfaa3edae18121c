// Runs autocannon against one URL: a warm-up run (discarded), then the measured run.
import autocannon from 'autocannon';
import { cpuMs } from './cpu.mjs';

export const CASES = {
  get: { label: 'GET /', method: 'GET', headers: {}, body: undefined },
  post: {
    label: 'POST CloudEvent',
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': 'bench-1',
      'ce-source': '/bench',
      'ce-type': 'dev.fnkit.bench',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ n: 1 }),
  },
};

function run(opts) {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/**
 * Returns { rps, p50, p99, non2xx, errors, total, cpuUs } for one case. cpuUs: CPU time (user + system, all
 * threads) the server process `pid` spent per request during the measured run, from /proc: unlike req/s it
 * barely moves when other work shares the machine.
 */
export async function measure(port, kase, { connections, warmupSec, durationSec }, pid) {
  const opts = {
    url: `http://127.0.0.1:${port}/`,
    method: kase.method,
    headers: kase.headers,
    body: kase.body,
    connections,
    pipelining: 1,
  };
  await run({ ...opts, duration: warmupSec });
  const cpu0 = cpuMs(pid);
  const r = await run({ ...opts, duration: durationSec });
  const cpu = cpuMs(pid) - cpu0;
  return {
    cpuUs: r.requests.total > 0 ? (cpu * 1000) / r.requests.total : NaN,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    total: r.requests.total,
  };
}
