import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Counter, isThinkLiteError, type Logger, type Registry } from '@thinklite/base';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { errorResponse, HttpApiError, httpErrors } from './http-errors.js';
import { SqlApi, type SqlApiOptions } from './sql-api.js';

/** What /ready reports: ready once the store is open and the SQL port listens. */
export type NodeState = 'starting' | 'ready' | 'stopping' | 'stopped';

export interface HttpServerOptions {
  /** The node's metrics: /metrics serves this registry's text exposition. */
  readonly registry: Registry;
  /** The text /metrics serves, where it is more than `registry` (a node's gateway processes summed in). */
  readonly metricsText?: () => Promise<string>;
  /** The node's state, read on each /ready. */
  readonly state: () => NodeState;
  readonly logger: Logger;
  /** SQL over HTTP (/v1/sql, /v1/sessions, /v1/openapi.json); absent: those routes are 404. */
  readonly sql?: SqlApiOptions;
  /** Larger request bodies get 413 PAYLOAD_TOO_LARGE. Default 1 MiB. */
  readonly bodyLimitBytes?: number;
}

/** The request id: the client's X-Request-Id when it is a plain token, else a fresh UUID. */
function requestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** The route a request matched, for metric labels ("unmatched" for 404s: no unbounded label values). */
function routeOf(req: FastifyRequest): string {
  return req.routeOptions.url ?? 'unmatched';
}

/** The body of every HTTP error: a catalogue-style code and a message. */
export interface HttpErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/**
 * The node's HTTP front end (fastify): `GET /health` (the process runs), `GET /ready` (it serves
 * SQL), `GET /metrics` (Prometheus text), and with `sql` SQL over HTTP (sql-api.ts, decision
 * 0013). Errors are JSON `{"error": {"code", "message"}}` (plus `sqlstate` and the SQL error's
 * fields under /v1); a ThinkLiteError gets its catalogue code and HTTP status. Every response
 * carries `X-Request-Id`, also bound into the log lines of the request.
 */
export class HttpServer {
  private readonly app: FastifyInstance;
  private readonly log: Logger;
  private readonly sqlApi: SqlApi | undefined;
  private readonly bodyLimit: number;

  constructor(options: HttpServerOptions) {
    this.log = options.logger.child({ component: 'http' });
    this.bodyLimit = options.bodyLimitBytes ?? 1024 * 1024;
    // Fastify's request logging stays off: a scraper hitting /metrics every few seconds would
    // flood the log. SQL requests log their errors (and debug lines) with the request id.
    this.app = Fastify({
      logger: false,
      forceCloseConnections: 'idle',
      return503OnClosing: true,
      bodyLimit: this.bodyLimit,
      genReqId: requestId,
    });
    // JSON only: a text/plain body is refused (415) rather than handed to a route as a string.
    this.app.removeContentTypeParser('text/plain');
    const { registry, state } = options;
    const requests = new Counter({
      name: 'thinklite_http_requests_total',
      help: 'HTTP requests answered, by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    this.app.addHook('onRequest', async (req, reply) => {
      reply.header('x-request-id', req.id);
    });
    this.app.addHook('onResponse', async (req, reply) => {
      const route = routeOf(req);
      requests.inc({ method: req.method, route, status: String(reply.statusCode) });
      if (route.startsWith('/v1/')) {
        const ms = Math.round(reply.elapsedTime * 1000) / 1000;
        this.log.debug({ reqId: req.id, method: req.method, route, status: reply.statusCode, ms }, 'request');
      }
    });
    if (options.sql) {
      this.sqlApi = new SqlApi(options.sql, registry, this.log);
      this.sqlApi.register(this.app);
    }

    this.app.get('/health', async () => ({ status: 'ok' }));
    this.app.get('/ready', async (_req, reply) => {
      const s = state();
      if (s === 'ready') return { status: 'ready' };
      return reply.code(503).send({ status: s === 'stopped' ? 'stopping' : s });
    });
    this.app.get('/metrics', async (_req, reply) => {
      const text = await (options.metricsText ?? (() => registry.metrics()))();
      return reply.type(registry.contentType).send(text);
    });

    this.app.setNotFoundHandler((req, reply) => {
      const body: HttpErrorBody = { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` } };
      return reply.code(404).send(body);
    });
    this.app.setErrorHandler((e, req, reply) => {
      if (req.url.startsWith('/v1/')) {
        // The SQL API's errors always have the SQL shape (code, sqlstate, message).
        const { status, body, internal } = errorResponse(this.requestError(e));
        this.sqlApi?.countError(body.error.sqlstate);
        if (internal) this.log.error({ err: e, reqId: req.id, url: req.url }, 'request failed');
        return reply.code(status).send(body);
      }
      if (isThinkLiteError(e)) {
        const err = e;
        const body: HttpErrorBody = { error: { code: err.code, message: err.message } };
        return reply.code(err.spec.http).send(body);
      }
      const err = e as Error & { statusCode?: number; code?: string };
      const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
      if (status >= 500) this.log.error({ err, url: req.url }, 'request failed');
      const code = status >= 500 ? 'INTERNAL_ERROR' : (err.code ?? 'BAD_REQUEST');
      const body: HttpErrorBody = { error: { code, message: err.message } };
      return reply.code(status).send(body);
    });
  }

  /** Fastify's own errors (body parsing, limits) as the SQL API's. */
  private requestError(e: unknown): unknown {
    const code = (e as { code?: unknown }).code;
    const message = e instanceof Error ? e.message : String(e);
    switch (code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return httpErrors.payloadTooLarge(this.bodyLimit);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return httpErrors.unsupportedMediaType(`${message}: send application/json`);
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return httpErrors.invalidJson(message);
      default: {
        const status = (e as { statusCode?: unknown }).statusCode;
        if (typeof status === 'number' && status >= 400 && status < 500 && !(e instanceof HttpApiError)) {
          if (e instanceof SyntaxError) return httpErrors.invalidJson(message);
          return httpErrors.invalidRequest(message);
        }
        return e;
      }
    }
  }

  /**
   * The node stops: SQL requests are refused from now on, running statements are cancelled and
   * every explicit session's transaction rolled back. Listening goes on until stop().
   */
  async closeSql(): Promise<void> {
    await this.sqlApi?.close();
  }

  /** Open explicit SQL sessions. */
  get sqlSessions(): number {
    return this.sqlApi?.openSessions ?? 0;
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async start(options: { host: string; port: number }): Promise<AddressInfo> {
    await this.app.listen({ host: options.host, port: options.port });
    const address = this.app.server.address() as AddressInfo;
    this.log.info({ address: address.address, port: address.port }, 'listening');
    return address;
  }

  /** Stops listening and waits for requests in progress. */
  async stop(): Promise<void> {
    await this.app.close();
  }

  /** For tests: a request without a socket. */
  inject(url: string): Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }> {
    return this.app.inject({ method: 'GET', url });
  }
}
