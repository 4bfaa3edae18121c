/**
 * docs/sdk.md, checked against the code. Every ```ts and ```js block of the page starts with
 * `// <file name>`; each is written to a scratch directory under the repository's .cache/ and run:
 * TypeScript modules are imported (the `*.test.ts` ones register their tests here), CommonJS blocks
 * are evaluated with a `require` that gives the SDK. The tests below then check what the page says
 * about each example and each rule, that every TypeScript example type-checks, that the page names
 * every export of src/index.ts, and that its links and anchors exist.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import * as sdk from '../src/index.js';
import {
  BadRequestError,
  CloudEventValidationError,
  ConflictError,
  ForbiddenError,
  HttpError,
  NotFoundError,
  ServiceUnavailableError,
  ShutdownError,
  TimeoutError,
  TooManyRequestsError,
  UnauthorizedError,
  UnprocessableEntityError,
  httpError,
  invoke,
  json,
  pickHandler,
  response,
  type Handler,
} from '../src/index.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const doc = readFileSync(join(repo, 'docs', 'sdk.md'), 'utf8');

interface Block {
  file: string;
  lang: string;
  code: string;
}

/** The page's ts and js blocks, each named by its first line. */
function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  for (const m of markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    const [, lang, code] = m;
    if (lang !== 'ts' && lang !== 'js') continue;
    const name = /^\/\/ ([\w.-]+\.(?:ts|cjs))\n/.exec(code!);
    if (!name) throw new Error(`docs/sdk.md: a \`\`\`${lang} block must start with "// <file>.ts" or "// <file>.cjs":\n${code}`);
    blocks.push({ file: name[1]!, lang: lang!, code: code! });
  }
  return blocks;
}

const blocks = codeBlocks(doc);
mkdirSync(join(repo, '.cache'), { recursive: true });
const dir = mkdtempSync(join(repo, '.cache', 'docs-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const b of blocks) writeFileSync(join(dir, b.file), b.code);

/** A CommonJS block, run as Node would run the file, with `require('@fnkit/sdk')` giving the SDK. */
function loadCommonJs(file: string): unknown {
  const block = blocks.find((b) => b.file === file);
  if (!block) throw new Error(`docs/sdk.md has no block ${file}`);
  const module = { exports: {} as unknown };
  const require = (id: string) => {
    if (id === '@fnkit/sdk') return sdk;
    throw new Error(`${file} requires ${id}: only @fnkit/sdk is available to the examples`);
  };
  new Function('module', 'exports', 'require', block.code)(module, module.exports, require);
  return module.exports;
}

/** A TypeScript block's module. */
async function load<T = Record<string, unknown>>(file: string): Promise<T> {
  if (!blocks.some((b) => b.file === file)) throw new Error(`docs/sdk.md has no block ${file}`);
  return (await import(join(dir, file))) as T;
}

// Every example the page shows is checked here: a new block needs its checks below.
const CHECKED = [
  'greet.ts', 'greet.cjs', 'kubeless.cjs', 'typed.ts', 'stock.ts', 'results.ts', 'order-placed.ts',
  'order.ts', 'slow.ts', 'greet.test.ts', 'more.test.ts',
];

it('docs/sdk.md: every example block is checked by this file', () => {
  expect(blocks.map((b) => b.file).sort()).toEqual([...CHECKED].sort());
});

// Their describe() and it() calls register here, as this file is collected.
describe('docs/sdk.md: the examples that are tests', async () => {
  for (const b of blocks.filter((x) => x.file.endsWith('.test.ts'))) await load(b.file);
});

it('docs/sdk.md: every TypeScript example type-checks', () => {
  const config = ts.readConfigFile(join(repo, 'tsconfig.json'), (p) => ts.sys.readFile(p));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, repo);
  const files = blocks.filter((b) => b.lang === 'ts').map((b) => join(dir, b.file));
  const program = ts.createProgram(files, { ...options, noEmit: true });
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file === undefined || d.file.fileName.startsWith(dir));
  const text = ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' });
  expect(text).toBe('');
}, 60_000);

it('docs/sdk.md names every export of src/index.ts', () => {
  const index = readFileSync(fileURLToPath(new URL('../src/index.ts', import.meta.url)), 'utf8');
  const names = [...index.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter(Boolean));
  expect(names.length).toBeGreaterThan(50);
  const missing = names.filter((n) => !new RegExp('`' + n + '[`(<]').test(doc));
  expect(missing, 'exports of src/index.ts that docs/sdk.md does not name').toEqual([]);
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) => heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-');

it('docs/sdk.md: every link to a doc and its section exists', () => {
  const links = [...doc.matchAll(/\]\(([\w-]*\.md)?(?:#([\w-]+))?\)/g)];
  expect(links.length).toBeGreaterThan(10);
  const broken = links.filter(([, file, anchor]) => {
    let text: string;
    try {
      text = file ? readFileSync(join(repo, 'docs', file), 'utf8') : doc;
    } catch {
      return true;
    }
    return anchor !== undefined && ![...text.matchAll(/^#+ (.*)$/gm)].some((h) => slug(h[1]!) === anchor);
  });
  expect(broken.map((l) => l[0])).toEqual([]);
});

describe('docs/sdk.md: install and import', () => {
  it('greet.cjs answers as greet.ts does', async () => {
    const { default: esm } = await load<{ default: Handler }>('greet.ts');
    const pick = pickHandler({ default: loadCommonJs('greet.cjs') }, undefined);
    expect(pick).toMatchObject({ ok: true, exportName: 'default' });
    if (!pick.ok) return;
    for (const data of [{ name: 'Ada' }, { name: 'nobody' }, undefined]) {
      const [a, b] = await Promise.all([invoke(esm, { id: 'same', data }), invoke(pick.handler, { id: 'same', data })]);
      expect([b.status, b.text(), b.logs]).toEqual([a.status, a.text(), a.logs]);
    }
  });
});

describe('docs/sdk.md: the handler', () => {
  it('kubeless.cjs: the Kubeless aliases', async () => {
    const pick = pickHandler({ default: loadCommonJs('kubeless.cjs') }, 'foo');
    expect(pick.ok).toBe(true);
    if (!pick.ok) return;
    const res = await invoke(pick.handler, { id: 'e-1', type: 'com.example.x', data: { a: 1 } }, { handlerName: 'foo' });
    expect(res.text()).toBe('foo got e-1 (com.example.x): {"a":1}');
  });

  it('the event members and aliases', async () => {
    const res = await invoke((e) => e, { id: 'e-2', data: Buffer.from('hi'), myext: 'v', n: 3 });
    const ev = res.event;
    expect(ev['event-id']).toBe('e-2');
    expect(ev['event-type']).toBe('dev.fnkit.invoke');
    expect(ev['event-time']).toBe(ev.time);
    expect(ev['event-namespace']).toBe('invoke.fnkit.dev');
    expect(ev.trigger).toEqual({ kind: 'invoke' });
    expect([ev.myext, ev.n, ev.subject]).toEqual(['v', 3, undefined]);
    // JSON.stringify: CloudEvents JSON, no trigger or aliases, bytes as data_base64.
    expect(JSON.parse(JSON.stringify(ev))).toEqual({
      specversion: '1.0', id: 'e-2', source: '/fnkit/invoke', type: 'dev.fnkit.invoke', time: ev.time, myext: 'v', n: 3, data_base64: 'aGk=',
    });
    const noTime = sdk.createEvent({ specversion: '1.0', id: 'x', source: '/s', type: 't' }, { kind: 'cron', name: 'n', schedule: '* * * * *', scheduledTime: '2026-11-23T00:00:00Z' });
    expect([noTime['event-time'], noTime['event-namespace']]).toEqual(['', 'cron.fnkit.dev']);
    await expect(invoke(() => 1, { trigger: { kind: 'invoke' }, extensions: {} })).rejects.toThrow(/reserved/);
  });

  it('the context members and aliases', async () => {
    const res = await invoke(function named(_e, c) {
      return {
        functionName: c.functionName, handlerName: c.handlerName, runtime: c.runtime, timeoutMs: c.timeoutMs,
        memoryLimit: c.memoryLimit ?? null, remaining: c.remainingTimeMs() <= c.timeoutMs && c.remainingTimeMs() >= 0,
        deadline: c.deadline > Date.now(), sameTrigger: c.trigger === _e.trigger, aborted: c.signal.aborted,
        kubelessName: c['function-name'], timeout: c.timeout, memory: c['memory-limit'],
      };
    });
    expect(res.json()).toEqual({
      functionName: 'function', handlerName: 'named', runtime: `nodejs${process.versions.node.split('.')[0]}`, timeoutMs: 3000,
      memoryLimit: null, remaining: true, deadline: true, sameTrigger: true, aborted: false,
      kubelessName: 'named', timeout: 3, memory: '0',
    });
    const set = await invoke((_e, c) => [c.functionName, c.runtime, c.memoryLimit, c['memory-limit'], c.timeout], {}, { functionName: 'f', runtime: 'nodejs20', memoryLimit: '128Mi', timeoutMs: 1500 });
    expect(set.json()).toEqual(['f', 'nodejs20', '128Mi', '128Mi', 1.5]);
    expect((await invoke((_e, c) => c.handlerName, {}, {})).text()).toBe('handler');
  });

  it('typed.ts: a Handler-typed named export', async () => {
    const { handler } = await load<{ handler: Handler }>('typed.ts');
    expect(pickHandler({ handler }, undefined)).toMatchObject({ ok: true, exportName: 'handler' });
    expect((await invoke(handler, { data: { a: 2, b: 3 } })).json()).toBe(5);
  });

  it('stock.ts: defineLifecycle hooks are named exports the export rule finds', async () => {
    const mod = await load<{ default: Handler; init(): Promise<void>; shutdown(): Promise<void>; liveness(): boolean; readiness(): boolean }>('stock.ts');
    const pick = pickHandler(mod as unknown as Record<string, unknown>, undefined);
    expect(pick.ok && Object.keys(pick.module).sort()).toEqual(['init', 'liveness', 'readiness', 'shutdown']);
    await mod.init();
    expect([mod.readiness(), mod.liveness()]).toEqual([true, true]);
    const missing = await invoke(mod.default, { data: { item: 'pear' } });
    expect([missing.status, missing.json<{ error: string }>().error]).toEqual([404, "no item 'pear'"]);
    await mod.shutdown();
    expect(mod.readiness()).toBe(false);
  });

  it('which export runs', () => {
    const fn = () => 1;
    const other = () => 2;
    expect(pickHandler({ default: fn, handler: other }, undefined)).toMatchObject({ exportName: 'default', handler: fn });
    expect(pickHandler({ default: { handler: fn } }, undefined)).toMatchObject({ exportName: 'handler', handler: fn });
    expect(pickHandler({ handler: other }, undefined)).toMatchObject({ exportName: 'handler', handler: other });
    expect(pickHandler({ greet: fn }, 'greet')).toMatchObject({ exportName: 'greet', handler: fn });
    expect(pickHandler({ default: { greet: other } }, 'greet')).toMatchObject({ exportName: 'greet', handler: other });
  });
});

describe('docs/sdk.md: results', () => {
  it('results.ts: the helpers', async () => {
    const r = await load<Record<string, Handler>>('results.ts');
    const created = await invoke(r.created!);
    expect([created.status, created.headers.location, created.headers['content-type'], created.json()]).toEqual([201, '/orders/42', 'application/json; charset=utf-8', { id: 42 }]);
    const page = await invoke(r.page!);
    expect([page.status, page.headers['content-type'], page.text()]).toEqual([200, 'text/html; charset=utf-8', '<h1>hi</h1>']);
    const moved = await invoke(r.moved!);
    expect([moved.status, moved.headers.location, moved.body.length]).toEqual([301, '/new-place', 0]);
    expect((await invoke(() => sdk.redirect('/x'))).status).toBe(302);
    const csv = await invoke(r.csv!);
    expect([csv.status, csv.headers['content-type'], csv.text()]).toEqual([200, 'text/csv', 'a,b\n1,2\n']);
    const accepted = await invoke(r.accepted!);
    expect([accepted.status, accepted.body.length]).toEqual([202, 0]);
    const denied = await invoke(r.denied!);
    expect([denied.status, denied.json()]).toEqual([403, { denied: true }]);
    const lines = await invoke(r.lines!);
    expect([lines.status, lines.headers['content-type'], lines.text()]).toEqual([200, 'application/octet-stream', 'one\ntwo\n']);
    expect(lines.outcome.type === 'result' && lines.outcome.response.kind).toBe('stream');
  });

  it('the results table, row by row', async () => {
    const answer = async (value: unknown) => {
      const res = await invoke(() => value);
      return [res.status, res.headers['content-type'], res.text()];
    };
    expect(await answer(undefined)).toEqual([204, undefined, '']);
    expect(await answer(null)).toEqual([204, undefined, '']);
    expect(await answer('hi')).toEqual([200, 'text/plain; charset=utf-8', 'hi']);
    for (const bytes of [Buffer.from('ab'), new Uint8Array([97, 98]), new Uint8Array([97, 98]).buffer]) {
      expect(await answer(bytes)).toEqual([200, 'application/octet-stream', 'ab']);
    }
    expect(await answer(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('web')); c.close(); } }))).toEqual([200, 'application/octet-stream', 'web']);
    expect(await answer((async function* () { yield 'a'; yield Buffer.from('b'); })())).toEqual([200, 'application/octet-stream', 'ab']);
    expect(await answer(Readable.from(['n', 'ode']))).toEqual([200, 'application/octet-stream', 'node']);
    expect(await answer(42)).toEqual([200, 'application/json; charset=utf-8', '42']);
    expect(await answer([1, 'a'])).toEqual([200, 'application/json; charset=utf-8', '[1,"a"]']);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const unsendable of [() => 1, Symbol('s'), cyclic, 10n]) expect((await answer(unsendable))[0]).toBe(500);
  });

  it('response(): defaults, body kinds, headers and a bad status', async () => {
    const h = await invoke(() => response({ a: 1 }, { headers: { 'X-Count': 3, 'X-None': undefined as unknown as string, 'X-List': ['a', 'b'] } }));
    expect([h.status, h.headers]).toEqual([200, { 'x-count': '3', 'x-list': ['a', 'b'], 'content-type': 'application/json; charset=utf-8' }]);
    expect((await invoke(() => response(null))).status).toBe(204);
    expect((await invoke(() => response(Buffer.from('x')))).headers['content-type']).toBe('application/octet-stream');
    expect((await invoke(() => response(Readable.from(['s'])))).headers['content-type']).toBe('application/octet-stream');
    expect((await invoke(() => response('t'))).headers['content-type']).toBe('text/plain; charset=utf-8');
    for (const status of [99, 600, 200.5]) {
      expect((await invoke(() => response('x', { status }))).status).toBe(500);
      expect((await invoke(() => ({ statusCode: status }))).status).toBe(500);
    }
    expect((await invoke(() => json({ a: 1 }, { headers: { 'content-type': 'application/vnd.x+json' } }))).headers['content-type']).toBe('application/vnd.x+json');
  });

  it('Lambda style: only those members; base64; multiValueHeaders merged into headers; cookies as set-cookie', async () => {
    const b64 = await invoke(() => ({ statusCode: 200, body: Buffer.from('bytes').toString('base64'), isBase64Encoded: true }));
    expect([b64.headers['content-type'], b64.text()]).toEqual(['application/octet-stream', 'bytes']);
    const text = await invoke(() => ({ statusCode: 201, headers: { 'Content-Type': 'text/csv' }, body: 'a,b', multiValueHeaders: { 'x-a': ['1', '2'] }, cookies: ['c=1'] }));
    expect([text.status, text.headers, text.text()]).toEqual([201, { 'content-type': 'text/csv', 'x-a': ['1', '2'], 'set-cookie': ['c=1'] }, 'a,b']);
    const merged = await invoke(() => ({
      statusCode: 200,
      headers: { 'X-Both': 'single', 'Set-Cookie': 'h=0', 'x-only': 'o' },
      multiValueHeaders: { 'x-both': ['m1', 'm2'], 'X-One': ['1'], 'x-num': [7] },
      cookies: ['c=1; Path=/', 'd=2'],
    }));
    expect(merged.headers).toEqual({ 'x-both': ['m1', 'm2'], 'set-cookie': ['h=0', 'c=1; Path=/', 'd=2'], 'x-only': 'o', 'x-one': '1', 'x-num': '7' });
    const plain = await invoke(() => ({ statusCode: 201, other: true }));
    expect([plain.status, plain.json()]).toEqual([200, { statusCode: 201, other: true }]);
  });

  it('a JSON document shaped like a CloudEvent is sent as one, unless wrapped in json()', async () => {
    const doc = { specversion: '1.0', id: 'i', source: '/s', type: 't' };
    const asEvent = await invoke(() => doc);
    expect([asEvent.status, asEvent.cloudEvent]).toEqual([204, doc]);
    const asJson = await invoke(() => json(doc));
    expect([asJson.status, asJson.cloudEvent, asJson.json()]).toEqual([200, undefined, doc]);
  });

  it('order-placed.ts and the rules for a returned CloudEvent', async () => {
    const { default: placed } = await load<{ default: Handler }>('order-placed.ts');
    const res = await invoke(placed, { id: 'e-1', data: { orderId: 'o-9' } });
    expect([res.status, res.headers, res.json()]).toEqual([200, { 'content-type': 'application/json; charset=utf-8' }, { orderId: 'o-9' }]);
    expect(res.cloudEvent).toEqual({ specversion: '1.0', id: 'placed-e-1', source: '/orders', type: 'com.example.order.placed', subject: 'o-9' });
    const base = { specversion: '1.0', id: 'i', source: '/s', type: 't' };
    const dated = await invoke(() => ({ ...base, time: new Date('2026-11-23T10:00:00Z'), subject: undefined, trigger: { kind: 'invoke' }, extensions: {}, data: 'hi', datacontenttype: 'text/plain' }));
    expect([dated.cloudEvent, dated.headers['content-type'], dated.text()]).toEqual([{ ...base, time: '2026-11-23T10:00:00.000Z', datacontenttype: 'text/plain' }, 'text/plain', 'hi']);
    const b64 = await invoke(() => ({ ...base, data_base64: Buffer.from('raw').toString('base64') }));
    expect([b64.headers['content-type'], b64.text(), b64.cloudEvent]).toEqual(['application/octet-stream', 'raw', base]);
    const jsonString = await invoke(() => ({ ...base, datacontenttype: 'application/json', data: 'quoted' }));
    expect(jsonString.text()).toBe('"quoted"');
    const invalid = await invoke(() => ({ specversion: '0.1', id: '', source: 'has space', type: 't' }));
    expect(invalid.status).toBe(204);
  });
});

describe('docs/sdk.md: errors', () => {
  it('the typed errors: status, default message, HttpError range', () => {
    const table: Array<[new () => HttpError, number, string]> = [
      [BadRequestError, 400, 'Bad Request'], [UnauthorizedError, 401, 'Unauthorized'], [ForbiddenError, 403, 'Forbidden'],
      [NotFoundError, 404, 'Not Found'], [ConflictError, 409, 'Conflict'], [UnprocessableEntityError, 422, 'Unprocessable Entity'],
      [TooManyRequestsError, 429, 'Too Many Requests'], [ServiceUnavailableError, 503, 'Service Unavailable'],
    ];
    for (const [Class, status, message] of table) {
      const err = new Class();
      expect([err instanceof HttpError, err.status, err.message]).toEqual([true, status, message]);
    }
    expect(new HttpError(418).message).toBe('Client Error');
    expect(new HttpError(404).message).toBe('Not Found');
    for (const bad of [399, 600, 404.5]) expect(() => new HttpError(bad)).toThrow(RangeError);
    const made = httpError(404, 'no such order', { cause: 'c' });
    expect([made instanceof HttpError, made.status, made.message, made.cause]).toEqual([true, 404, 'no such order', 'c']);
  });

  it('order.ts', async () => {
    const { default: order } = await load<{ default: Handler }>('order.ts');
    const login = await invoke(order, { id: 'e', data: {} });
    expect([login.status, login.headers['www-authenticate'], login.json()]).toEqual([401, 'Bearer', { error: 'log in first', status: 401, eventId: 'e' }]);
    const bad = await invoke(order, { id: 'e', data: { token: 't', qty: 'x' } });
    expect(bad.json()).toEqual({ field: 'qty', error: 'qty must be a number', status: 400, eventId: 'e' });
    const broken = await invoke(order, { id: 'e', data: { token: 't', qty: -3 } });
    expect(broken.json()).toEqual({ error: 'Internal Server Error', status: 500, eventId: 'e' });
    expect((await invoke(order, { data: { token: 't', qty: 2 } })).json()).toEqual({ ordered: 2 });
  });

  it('what a thrown error becomes', async () => {
    const thrown = async (error: unknown, sync = true) => {
      const res = await invoke(sync ? () => { throw error; } : async () => { throw error; }, { id: 'e' });
      return [res.status, res.json()];
    };
    expect(await thrown(new ServiceUnavailableError('db down'))).toEqual([503, { error: 'db down', status: 503, eventId: 'e' }]);
    expect(await thrown(new BadRequestError('x', { details: { error: 'mine', status: 1, eventId: 'mine', extra: 1 } }))).toEqual([400, { error: 'x', status: 400, eventId: 'e', extra: 1 }]);
    expect(await thrown(Object.assign(new Error('teapot'), { statusCode: 418 }))).toEqual([418, { error: 'teapot', status: 418, eventId: 'e' }]);
    expect(await thrown(Object.assign(new Error('upstream secret'), { status: 502 }))).toEqual([502, { error: 'Bad Gateway', status: 502, eventId: 'e' }]);
    expect(await thrown(Object.assign(new Error('x'), { status: 302 }))).toEqual([500, { error: 'Internal Server Error', status: 500, eventId: 'e' }]);
    expect(await thrown('a string')).toEqual([500, { error: 'Internal Server Error', status: 500, eventId: 'e' }]);
    expect(await thrown(new NotFoundError(''))).toEqual([404, { error: 'Not Found', status: 404, eventId: 'e' }]);
    expect(await thrown(new NotFoundError('gone'), false)).toEqual(await thrown(new NotFoundError('gone'), true));
    const headers = await invoke(() => { throw new TooManyRequestsError('slow down', { headers: { 'Retry-After': '5' } }); });
    expect(headers.headers).toEqual({ 'content-type': 'application/json; charset=utf-8', 'retry-after': '5' });
  });

  it('a timeout: 408 body, TimeoutError and ShutdownError are not HttpErrors', async () => {
    const res = await invoke(() => new Promise(() => undefined), { id: 'e' }, { timeoutMs: 30 });
    expect(res.json()).toEqual({ error: 'the function did not finish within its timeout of 30 ms', status: 408, eventId: 'e', timeoutMs: 30 });
    expect([new TimeoutError(5).timeoutMs, new TimeoutError(5) instanceof HttpError, new ShutdownError() instanceof HttpError]).toEqual([5, false, false]);
    let reason: unknown;
    await invoke((_e, c) => new Promise((resolve) => c.signal.addEventListener('abort', () => resolve((reason = c.signal.reason)))), {}, { timeoutMs: 30 });
    expect(reason).toBeInstanceOf(TimeoutError);
  });
});

describe('docs/sdk.md: invoke', () => {
  it('input defaults and checks', async () => {
    const ev = (await invoke(() => 1, { data: { a: 1 } })).event;
    expect([ev.specversion, ev.source, ev.type, ev.datacontenttype, ev.trigger]).toEqual(['1.0', '/fnkit/invoke', 'dev.fnkit.invoke', 'application/json', { kind: 'invoke' }]);
    expect(ev.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sdk.isRfc3339(ev.time!)).toBe(true);
    expect((await invoke(() => 1, { data: 'text' })).event.datacontenttype).toBeUndefined();
    expect((await invoke(() => 1, { data: Buffer.from('b') })).event.datacontenttype).toBeUndefined();
    expect((await invoke(() => 1, { data: {}, datacontenttype: 'application/x-www-form-urlencoded' })).event.datacontenttype).toBe('application/x-www-form-urlencoded');
    expect((await invoke(() => 1)).event.data).toBeUndefined();
    const given = (await invoke(() => 1, { data: '{"a":1}', subject: 's', dataschema: 'https://example.com/s' })).event;
    expect([given.data, given.subject, given.dataschema]).toEqual(['{"a":1}', 's', 'https://example.com/s']);
    const err = await invoke(() => 1, { time: 'yesterday' }).catch((e: unknown) => e);
    expect([err instanceof CloudEventValidationError, (err as CloudEventValidationError).attribute]).toEqual([true, 'time']);
    await expect(invoke(() => 1, { 'Bad-Name': 1 })).rejects.toBeInstanceOf(CloudEventValidationError);
    await expect(invoke('nope' as unknown as Handler)).rejects.toBeInstanceOf(TypeError);
    await expect(invoke(() => Readable.from((function* () { yield 'a'; throw new Error('stream broke'); })()))).rejects.toThrow('stream broke');
    expect((await invoke(() => { throw new Error('x'); })).status).toBe(500);
  });

  it('the result: headers and body of each outcome, logs', async () => {
    const empty = await invoke(() => undefined);
    expect([empty.outcome.type, empty.headers, empty.body]).toEqual(['result', {}, Buffer.alloc(0)]);
    const failed = await invoke(() => { throw new Error('x'); });
    expect([failed.outcome.type, failed.headers]).toEqual(['error', { 'content-type': 'application/json; charset=utf-8' }]);
    const timedOut = await invoke(() => new Promise(() => undefined), {}, { timeoutMs: 20 });
    expect([timedOut.outcome.type, timedOut.outcome.type === 'timeout' && timedOut.outcome.status, timedOut.headers]).toEqual(['timeout', 408, { 'content-type': 'application/json; charset=utf-8' }]);
    expect(typeof timedOut.outcome.durationMs).toBe('number');
    const boom = new Error('boom');
    const logged = await invoke((_e, c) => {
      c.log.info('plain');
      c.log.child({ step: 2 }).error(boom, 'failed');
      return null;
    }, { id: 'l-1' });
    expect(logged.logs).toEqual([
      { eventId: 'l-1', level: 'info', msg: 'plain' },
      { eventId: 'l-1', step: 2, err: boom, level: 'error', msg: 'failed' },
    ]);
  });

  it('shutdownSignal: context.signal aborts with its reason', async () => {
    const stop = new AbortController();
    const reason = new ShutdownError();
    const running = invoke((_e, c) => new Promise((resolve) => c.signal.addEventListener('abort', () => resolve(c.signal.reason === reason))), {}, { shutdownSignal: stop.signal });
    stop.abort(reason);
    expect((await running).json()).toBe(true);
    const bare = new AbortController();
    const plain = invoke((_e, c) => new Promise((resolve) => c.signal.addEventListener('abort', () => resolve((c.signal.reason as Error).name))), {}, { shutdownSignal: bare.signal });
    bare.abort();
    expect((await plain).text()).toBe('AbortError');
  });
});
