// Microbench (in-process, no server): CPU ns per HTTP binary POST decode, HTTP GET (plain) decode, Kafka plain record decode, and
// runInvocation of a no-op handler. Run: node_modules/.bin/esbuild bench/lib/decode-micro.ts --bundle --platform=node --format=esm \
//   --alias:@fnkit/sdk=./packages/sdk/src/index.ts --outfile=/tmp/decode-micro.mjs && node /tmp/decode-micro.mjs
// (bundle another checkout the same way for an A/B).
import { decodeHttpRequest } from '../../packages/runtime-node/src/cloudevents/http-decode.js';
import { decodeKafkaRecord } from '../../packages/runtime-node/src/cloudevents/kafka-codec.js';
import { runInvocation } from '../../packages/sdk/src/invocation.js';

const post = {
  method: 'POST', url: '/', path: '/', query: {}, remoteAddress: '127.0.0.1',
  headers: { host: '127.0.0.1:3000', connection: 'keep-alive', 'content-length': '7', 'ce-specversion': '1.0', 'ce-id': 'bench-1', 'ce-source': '/bench', 'ce-type': 'dev.fnkit.bench', 'content-type': 'application/json' } as Record<string, string>,
  body: Buffer.from('{"n":1}'),
};
const get = { method: 'GET', url: '/', path: '/', query: {}, remoteAddress: '127.0.0.1', headers: { host: '127.0.0.1:3000', connection: 'keep-alive' } as Record<string, string>, body: undefined };
const rec = (i: number) => ({ topic: 'bench-kafka-mwtq4qbf-07bd20', partition: 2, offset: String(i), key: null, value: Buffer.from('{"n":1,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}'), headers: {}, timestamp: String(1795466081965 + (i >> 6)) });
const recs = Array.from({ length: 1024 }, (_, i) => rec(i));
const settings = { functionName: 'f', handlerName: 'handler', runtime: 'nodejs20', memoryLimit: undefined, timeoutMs: 30000, log: {} as never };
const handler = () => undefined;
const N = 300_000;
function time(name: string, f: (i: number) => unknown) {
  for (let i = 0; i < 50_000; i++) f(i);
  const t = process.cpuUsage();
  for (let i = 0; i < N; i++) f(i);
  const u = process.cpuUsage(t);
  console.log(name.padEnd(14), ((u.user + u.system) * 1000 / N).toFixed(0), 'ns');
}
let sink: unknown;
for (let r = 0; r < 3; r++) {
  time('http POST', () => (sink = decodeHttpRequest(post, { kubeless: false })));
  time('http GET', () => (sink = decodeHttpRequest(get, { kubeless: false })));
  time('kafka plain', (i) => (sink = decodeKafkaRecord(recs[i & 1023]!, { maxRecordBytes: 1 << 20 })));
  const ev = decodeHttpRequest(post, { kubeless: false }).events[0]!;
  time('runInvocation', () => (sink = runInvocation(handler, ev, settings)));
}
void sink;
