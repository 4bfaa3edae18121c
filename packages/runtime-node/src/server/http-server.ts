import type { Socket } from 'node:net';
import FindMyWay from 'find-my-way';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { FnEvent, FunctionModule, Outcome } from '@fnkit/sdk';
import { CodecError, decodeHttpRequest, type DecodedRequest } from '../cloudevents/index.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { FunctionInvoker } from '../invoker/invoker.js';
import type { RuntimeMetrics } from '../observability/metrics.js';
import { ClientConnection } from './client-connection.js';
import { KubelessExtensions } from './kubeless-extensions.js';
import { sendOutcome, toBatchEntry } from './reply.js';
import type { Health } from './health.js';

const JSON_TYPE = 'application/json; charset=utf-8';

type RouteHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
const COMMON_CONTENT_TYPES = [
  'application/json',
  'application/cloudevents+json',
  'application/cloudevents-batch+json',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
];

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
/** Schema compilers for a server whose routes declare no schemas (fastify would otherwise load ajv and fast-json-stringify). */
const NO_SCHEMA_COMPILERS = {
  buildValidator: () => () => () => true,
  buildSerializer: () => () => (data: unknown) => JSON.stringify(data),
} as unknown as CompilersFactory;

export interface HttpServerOptions {
  config: RuntimeConfig;
  invoker: FunctionInvoker;
  metrics: RuntimeMetrics;
  module: FunctionModule;
  health: Health;
}

/**
 * The HTTP adapter (fastify 5). Reserved routes (never logged as invocations):
 * GET /healthz, /health/liveness (liveness), GET /readyz, /health/readiness (readiness), GET /metrics.
 * Every other method and path is an invocation: the raw body goes to the CloudEvents codec; one event is
 * invoked and its outcome becomes the response; a batch (application/cloudevents-batch+json) is invoked
 * event by event and answered 200 with a JSON array of `{ id, status, body? | body_base64? }`; an empty
 * batch is answered 204.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const { config, invoker, metrics, module, health } = options;
  const app = Fastify({
    // No fastify request logging: the invoker writes one line per invocation.
    logger: false,
    bodyLimit: config.bodyLimitBytes,
    // The whole request must arrive well before the function's deadline would matter.
    requestTimeout: config.timeoutMs + 10_000,
    // Above the ~60 s idle timeout of common load balancers, so they close first.
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    forceCloseConnections: false,
    // No route declares a schema: skip loading ajv and fast-json-stringify at start-up (~40 ms).
    schemaController: { compilersFactory: NO_SCHEMA_COMPILERS },
  });

  // The codec wants the raw bytes, whatever the content type. The common types are named as well: fastify
  // caches the parser it finds per Content-Type header, but not the catch-all, whose lookup parses the header
  // again on every request.
  app.removeAllContentTypeParsers();
  const rawBody = (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => done(null, body);
  app.addContentTypeParser(COMMON_CONTENT_TYPES, { parseAs: 'buffer' }, rawBody);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, rawBody);

  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    const message = status === 413
      ? `the request body is larger than the limit of ${config.bodyLimitBytes} bytes (FNKIT_BODY_LIMIT)`
      : status < 500 ? error.message : 'Internal Server Error';
    reply.code(status).header('content-type', JSON_TYPE).send(JSON.stringify({ error: message, status }));
  });

  const liveness = async (_req: FastifyRequest, reply: FastifyReply) => {
    const ok = await runCheck(module.liveness);
    reply.code(ok ? 200 : 503).header('content-type', JSON_TYPE).send(ok ? '{"status":"ok"}' : '{"status":"failing"}');
  };
  const readiness = async (_req: FastifyRequest, reply: FastifyReply) => {
    const ok = health.ready && (await runCheck(module.readiness));
    reply.code(ok ? 200 : 503).header('content-type', JSON_TYPE).send(ok ? '{"status":"ready"}' : `{"status":"${health.state}"}`);
  };
  const metricsText = async (_req: FastifyRequest, reply: FastifyReply) => {
    const text = await metrics.registry.metrics();
    reply.header('content-type', metrics.registry.contentType).send(text);
  };
  // The reserved routes are not fastify routes: each fastify route costs start-up time (its registration,
  // a HEAD twin for each GET, a step of fastify's plugin loading at ready): ~8 ms of a cold start for
  // these ten. The catch-all route answers them instead (see reservedHandler), as fastify would have.
  const reserved = new Map<string, RouteHandler>([
    ['/healthz', liveness],
    ['/health/liveness', liveness],
    ['/readyz', readiness],
    ['/health/readiness', readiness],
    ['/metrics', metricsText],
  ]);
  let reservedRouter: FindMyWay.Instance<FindMyWay.HTTPVersion.V1> | undefined;

  /**
   * The reserved route a GET or HEAD is for, exactly when fastify's router would have matched it as a
   * static route. An origin-form URL without percent-escapes (what probes send) is matched here: the
   * router's path is then the URL up to the first `?` or `#`, compared case-sensitively, trailing slash
   * significant (fastify's defaults). Anything else (escapes, absolute-form) goes to a find-my-way router
   * of the reserved paths with fastify's default options, made on first use, so that the router's own
   * decoding decides. HEAD is answered as fastify answers the HEAD twin of a GET route: the GET handler
   * runs and its headers (Content-Length included) go out without the body.
   */
  function reservedHandler(method: string, url: string): RouteHandler | undefined {
    let end = url.length;
    let plain = url.charCodeAt(0) === 47; // '/'
    for (let i = 1; plain && i < url.length; i++) {
      const c = url.charCodeAt(i);
      if (c === 63 || c === 35) { // '?' '#'
        end = i;
        break;
      }
      if (c === 37) plain = false; // '%'
    }
    if (plain) return reserved.get(end === url.length ? url : url.slice(0, end));
    if (reservedRouter === undefined) {
      reservedRouter = FindMyWay();
      for (const [path, handler] of reserved) reservedRouter.on(['GET', 'HEAD'], path, handler as unknown as FindMyWay.Handler<FindMyWay.HTTPVersion.V1>);
    }
    return reservedRouter.find(method as FindMyWay.HTTPMethod, url)?.handler as unknown as RouteHandler | undefined;
  }

  const kubelessExtensions = config.isolation !== 'worker';
  const decodeOptions = { kubeless: config.kubeless };

  // Not an async function: a handler that returns a plain value is answered in this same call (the
  // invoker gives its outcome at once), with no promise for fastify to wait on. Otherwise the promise
  // returned here resolves to the reply (fastify then waits for it to finish, e.g. a streamed body).
  const invocation = (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> | undefined => {
    let decoded: DecodedRequest;
    const url = request.url;
    const q = url.indexOf('?');
    try {
      decoded = decodeHttpRequest(
        {
          method: request.method,
          url,
          path: q === -1 ? url : url.slice(0, q),
          query: request.query as Record<string, string | string[]>,
          headers: request.headers,
          body: request.body as Buffer | undefined,
          remoteAddress: remoteAddressOf(request.socket),
        },
        decodeOptions,
      );
    } catch (error) {
      if (error instanceof CodecError) {
        reply.code(error.status).header('content-type', JSON_TYPE).send(JSON.stringify({ error: error.message, status: error.status }));
        return undefined;
      }
      throw error;
    }
    const events = decoded.events;
    if (events.length === 1 && decoded.mode !== 'batch') {
      const event = events[0]!;
      let ext: KubelessExtensions | undefined;
      if (kubelessExtensions) {
        ext = new KubelessExtensions(request, reply);
        event.extensions = ext;
      }
      // The request also carries the client's connection as a lazy cancellation (watched only if asked).
      const outcome = invoker.invokeNow(event, { admission: 'queue', cancellation: new ClientConnection(request.raw, reply.raw) });
      if (outcome instanceof Promise) return outcome.then((o) => answer(reply, o, ext));
      answer(reply, outcome, ext);
      return undefined;
    }
    if (events.length === 0) {
      reply.code(204).send();
      return undefined;
    }
    return answerBatch(request, reply, events);
  };
  // Every method and path invokes the function. `/`, where CloudEvents senders and Kubeless callers post,
  // is also a static route: the router finds it without the wildcard match (params array and object).
  app.all('/', invocation);
  app.all('*', (request: FastifyRequest, reply: FastifyReply): Promise<unknown> | undefined => {
    const method = request.method;
    if (method === 'GET' || method === 'HEAD') {
      const handler = reservedHandler(method, request.url);
      if (handler !== undefined) return handler(request, reply);
    }
    return invocation(request, reply);
  });

  /**
   * The batch's events run one after the other, each cancellable by the client leaving (one lazy
   * cancellation for the request). Once the client has gone, the events not started yet never run
   * (each counted and logged as cancelled) and nothing is written to the dead socket.
   */
  async function answerBatch(request: FastifyRequest, reply: FastifyReply, events: readonly FnEvent[]): Promise<FastifyReply> {
    const client = new ClientConnection(request.raw, reply.raw);
    const invokeRequest = { admission: 'queue', cancellation: client } as const;
    const entries = [];
    let next = 0;
    for (; next < events.length && client.reason === undefined; next++) {
      entries.push(await toBatchEntry(events[next]!.id, await invoker.invoke(events[next]!, invokeRequest)));
    }
    const gone = client.reason;
    if (gone !== undefined) {
      for (; next < events.length; next++) invoker.cancelUnstarted(events[next]!, gone);
      reply.hijack();
      return reply;
    }
    return reply.code(200).header('content-type', JSON_TYPE).send(JSON.stringify(entries));
  }

  return app;
}

/** Sends one invocation's outcome, unless the handler already answered through Kubeless's `extensions.response`. */
function answer(reply: FastifyReply, outcome: Outcome, ext: KubelessExtensions | undefined): FastifyReply {
  if (outcome.type === 'error' && outcome.status === 499 && (reply.raw.destroyed || reply.raw.socket?.destroyed !== false)) {
    // The client is gone (the invocation was cancelled for it): nothing is written to the dead socket.
    reply.hijack();
    return reply;
  }
  if (ext !== undefined) {
    if (ext.handled) return reply;
    if (outcome.type === 'result') {
      // Kubeless: status and headers set on the response facade apply to the returned value.
      const pending = ext.pendingHeaders;
      if (pending) for (const k in pending) if (outcome.response.headers[k] === undefined) reply.header(k, pending[k]);
      const status = ext.pendingStatus;
      if (status !== undefined) outcome.response.status = status;
    }
  }
  return sendOutcome(reply, outcome);
}

/**
 * The connection's peer address, kept per socket: a kept-alive connection asks the socket once, not on every
 * request (its getter goes through generic property lookups on Node's socket and handle, ~0.1 µs a request).
 */
const remoteAddresses = new WeakMap<Socket, string>();

function remoteAddressOf(socket: Socket): string | undefined {
  let address = remoteAddresses.get(socket);
  if (address === undefined) {
    address = socket.remoteAddress;
    // Undefined once the socket is gone: asked again next time, never kept.
    if (address !== undefined) remoteAddresses.set(socket, address);
  }
  return address;
}

async function runCheck(check: (() => boolean | void | Promise<boolean | void>) | undefined): Promise<boolean> {
  if (!check) return true;
  try {
    return (await check()) !== false;
  } catch {
    return false;
  }
}
