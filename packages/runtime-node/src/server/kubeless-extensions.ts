import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Kubeless compatibility: `event.extensions.request` and `.response`, made on first use (most
 * handlers never touch them, and the HTTP hot path should not pay for them).
 * `response` is a small Express-like facade over the raw Node response; once a handler has finished
 * the response through it, the handler's return value is ignored (as Kubeless did).
 * Not available with isolation=worker: the handler runs in another thread and cannot reach the socket.
 */
export class KubelessExtensions {
  readonly #req: FastifyRequest;
  readonly #reply: FastifyReply;
  #request: KubelessRequest | undefined;
  #response: KubelessResponse | undefined;

  constructor(req: FastifyRequest, reply: FastifyReply) {
    this.#req = req;
    this.#reply = reply;
  }

  get request(): KubelessRequest {
    this.#request ??= new KubelessRequest(this.#req);
    return this.#request;
  }

  get response(): KubelessResponse {
    this.#response ??= new KubelessResponse(this.#reply);
    return this.#response;
  }

  /** Headers the handler set through the facade without finishing the response. */
  get pendingHeaders(): Record<string, string | string[]> | undefined {
    return this.#response?.pendingHeaders;
  }

  /** The status the handler set through the facade without finishing the response (Express `res.status(201)` then `return body`). */
  get pendingStatus(): number | undefined {
    return this.#response?.statusSet ? this.#response.statusCode : undefined;
  }

  /** True when the handler wrote the response itself. */
  get handled(): boolean {
    return this.#response?.started === true;
  }

  toJSON(): undefined {
    return undefined;
  }
}

export class KubelessRequest {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly query: unknown;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer | undefined;

  constructor(req: FastifyRequest) {
    this.method = req.method;
    this.url = req.url;
    const q = req.url.indexOf('?');
    this.path = q === -1 ? req.url : req.url.slice(0, q);
    this.query = req.query;
    this.headers = req.headers;
    this.body = Buffer.isBuffer(req.body) ? req.body : undefined;
  }

  /** A request header, case-insensitive (Express `req.get`). */
  get(name: string): string | string[] | undefined {
    return this.headers[name.toLowerCase()];
  }

  header(name: string): string | string[] | undefined {
    return this.get(name);
  }
}

export class KubelessResponse {
  readonly #reply: FastifyReply;
  statusCode = 200;
  statusSet = false;
  #headers: Record<string, string | string[]> = {};
  started = false;

  constructor(reply: FastifyReply) {
    this.#reply = reply;
  }

  status(code: number): this {
    this.statusCode = code;
    this.statusSet = true;
    return this;
  }

  setHeader(name: string, value: string | number | string[]): this {
    this.#headers[name.toLowerCase()] = typeof value === 'number' ? String(value) : value;
    return this;
  }

  set(name: string | Record<string, string>, value?: string): this {
    if (typeof name === 'string') return this.setHeader(name, value ?? '');
    for (const [k, v] of Object.entries(name)) this.setHeader(k, v);
    return this;
  }

  header(name: string, value: string): this {
    return this.setHeader(name, value);
  }

  getHeader(name: string): string | string[] | undefined {
    return this.#headers[name.toLowerCase()];
  }

  /** Headers and status set but the response not finished: applied to the handler's returned result. */
  get pendingHeaders(): Record<string, string | string[]> {
    return this.#headers;
  }

  get headersSent(): boolean {
    return this.started;
  }

  send(body?: unknown): this {
    if (body === undefined || body === null) return this.end();
    if (typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Uint8Array) {
      if (this.#headers['content-type'] === undefined) this.#headers['content-type'] = typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/octet-stream';
      return this.end(body);
    }
    return this.json(body);
  }

  json(value: unknown): this {
    if (this.#headers['content-type'] === undefined) this.#headers['content-type'] = 'application/json; charset=utf-8';
    return this.end(JSON.stringify(value));
  }

  end(body?: string | Uint8Array): this {
    if (this.started) return this;
    this.started = true;
    const reply = this.#reply;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(this.statusCode, this.#headers);
    raw.end(body);
    return this;
  }
}
