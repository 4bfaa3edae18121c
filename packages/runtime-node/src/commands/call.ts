import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { decodeHeaderValue, encodeHeaderValue } from '../cloudevents/percent.js';
import { ConfigError, formatHelp, parseSettings, type SettingSpec } from '../config/settings.js';

/**
 * `fn-run call <url>`: sends one CloudEvent (binary mode, or structured with --structured) to a
 * running function and prints the reply body. Exit 0 for a 2xx reply, 1 otherwise, 2 for bad options.
 */
export const CALL_SETTINGS: readonly SettingSpec[] = [
  { key: 'data', flag: 'data', short: 'd', type: 'string', description: 'event data: text, or @file to read a file' },
  { key: 'type', flag: 'type', type: 'string', default: 'dev.fnkit.call', description: 'ce-type' },
  { key: 'source', flag: 'source', type: 'string', default: '/fn-run/call', description: 'ce-source' },
  { key: 'id', flag: 'id', type: 'string', description: 'ce-id (default: a random UUID)' },
  { key: 'contentType', flag: 'content-type', type: 'string', description: 'data content type (default: application/json when the data is JSON, else text/plain)' },
  { key: 'method', flag: 'method', short: 'X', type: 'string', description: 'HTTP method (default: POST with --data, else GET)' },
  { key: 'header', flag: 'header', type: 'list', default: [], description: 'extra header name:value (repeatable)' },
  { key: 'structured', flag: 'structured', type: 'boolean', default: false, description: 'send a structured-mode event (application/cloudevents+json)' },
  { key: 'timeout', flag: 'timeout', type: 'duration', bareUnit: 's', min: 1, default: 30_000, description: 'give up after this long' },
  { key: 'help', flag: 'help', short: 'h', type: 'boolean', default: false, description: 'show this help' },
];

export interface CallRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  timeoutMs: number;
}

export interface CallIO {
  stdout: (s: string | Uint8Array) => void;
  stderr: (s: string) => void;
}

export async function main(argv: string[]): Promise<number> {
  return runCall(argv, {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
  });
}

export async function runCall(argv: string[], io: CallIO): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(`usage: fn-run call <url> [options]\n\noptions:\n${formatHelp(CALL_SETTINGS)}\n`);
    return 0;
  }
  let request: CallRequest;
  try {
    request = await buildCallRequest(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`fn-run call: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (err) {
    io.stderr(`fn-run call: ${describeFetchError(err, request)}\n`);
    return 1;
  }
  const body = Buffer.from(await response.arrayBuffer());
  if (!response.ok) {
    io.stderr(`fn-run call: ${response.status} ${oneLine(body.toString('utf8'))}\n`);
    return 1;
  }
  if (response.headers.has('ce-specversion')) {
    for (const [name, value] of response.headers) {
      if (name.startsWith('ce-')) io.stderr(`${name}: ${decodeHeaderValue(value)}\n`);
    }
  }
  io.stdout(body);
  if (body.length > 0 && body[body.length - 1] !== 0x0a) io.stdout('\n');
  return 0;
}

/** Turns `call` arguments into the HTTP request to send. Throws ConfigError. */
export async function buildCallRequest(argv: readonly string[]): Promise<CallRequest> {
  const { values: v, positionals } = parseSettings(CALL_SETTINGS, argv, {});
  if (positionals.length !== 1) {
    throw new ConfigError(positionals.length === 0 ? 'no URL given: run `fn-run call http://127.0.0.1:8080 --data ...`' : `one URL expected, got: ${positionals.join(' ')}`);
  }
  const url = parseUrl(positionals[0]!);
  const data = await readData(v.data as string | undefined);
  const contentType = (v.contentType as string | undefined) ?? (data === undefined ? undefined : looksLikeJson(data) ? 'application/json' : 'text/plain');
  const method = ((v.method as string | undefined) ?? (data === undefined ? 'GET' : 'POST')).toUpperCase();
  if (data !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new ConfigError(`--method ${method} cannot carry --data; use POST, PUT or PATCH`);
  }
  const attrs = {
    specversion: '1.0',
    id: (v.id as string | undefined) ?? randomUUID(),
    source: v.source as string,
    type: v.type as string,
  };
  const headers: Record<string, string> = {};
  let body: Buffer | undefined;
  if (v.structured) {
    const envelope: Record<string, unknown> = { ...attrs };
    if (data !== undefined) {
      if (contentType) envelope.datacontenttype = contentType;
      if (contentType && /json/i.test(contentType) && looksLikeJson(data)) envelope.data = JSON.parse(data.toString('utf8'));
      else if (isText(data)) envelope.data = data.toString('utf8');
      else envelope.data_base64 = data.toString('base64');
    }
    headers['content-type'] = 'application/cloudevents+json; charset=utf-8';
    body = Buffer.from(JSON.stringify(envelope));
  } else {
    for (const [k, val] of Object.entries(attrs)) headers[`ce-${k}`] = encodeHeaderValue(val);
    if (contentType) headers['content-type'] = contentType;
    body = data;
  }
  for (const h of v.header as string[]) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new ConfigError(`--header ${JSON.stringify(h)} is not valid: expected name:value`);
    headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
  }
  return { url, method, headers, body, timeoutMs: v.timeout as number };
}

function parseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new ConfigError(`${JSON.stringify(raw)} is not a URL; use e.g. http://127.0.0.1:8080/`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${raw}: only http and https URLs can be called`);
  return u.href;
}

async function readData(raw: string | undefined): Promise<Buffer | undefined> {
  if (raw === undefined) return undefined;
  if (!raw.startsWith('@')) return Buffer.from(raw, 'utf8');
  const file = raw.slice(1);
  try {
    return await readFile(file);
  } catch (err) {
    throw new ConfigError(`--data @${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function looksLikeJson(data: Buffer): boolean {
  try {
    JSON.parse(data.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

function isText(data: Buffer): boolean {
  return Buffer.from(data.toString('utf8'), 'utf8').equals(data);
}

function describeFetchError(err: unknown, request: CallRequest): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no reply from ${request.url} within ${request.timeoutMs / 1000}s`;
  const code = e?.cause?.code;
  if (code === 'ECONNREFUSED') return `cannot connect to ${request.url}: connection refused (is the function running?)`;
  if (code === 'ENOTFOUND') return `cannot connect to ${request.url}: host not found`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `the connection to ${request.url} was closed before a reply`;
  return `request to ${request.url} failed: ${e?.cause?.message ?? e?.message ?? String(err)}`;
}

function oneLine(s: string): string {
  const flat = s.replace(/\s*\n\s*/g, ' ').trim();
  return flat.length > 500 ? `${flat.slice(0, 500)}...` : flat;
}
