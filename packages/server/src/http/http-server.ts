import type { AddressInfo } from 'node:net';
import { isThinkLiteError, type Logger, type Registry } from '@thinklite/base';
import Fastify, { type FastifyInstance } from 'fastify';

/** What /ready reports: ready once the store is open and the SQL port listens. */
export type NodeState = 'starting' | 'ready' | 'stopping' | 'stopped';

export interface HttpServerOptions {
  /** The node's metrics: /metrics serves this registry's text exposition. */
  readonly registry: Registry;
  /** The node's state, read on each /ready. */
  readonly state: () => NodeState;
  readonly logger: Logger;
}

/** The body of every HTTP error: a catalogue-style code and a message. */
export interface HttpErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/**
 * The node's HTTP front end (fastify): `GET /health` (the process runs), `GET /ready` (it serves
 * SQL), `GET /metrics` (Prometheus text). Errors are JSON `{"error": {"code", "message"}}`; a
 * ThinkLiteError gets its catalogue code and HTTP status.
 */
export class HttpServer {
  private readonly app: FastifyInstance;
  private readonly log: Logger;

  constructor(options: HttpServerOptions) {
    this.log = options.logger.child({ component: 'http' });
    // Request logging stays off: a scraper hitting /metrics every few seconds would flood the log.
    this.app = Fastify({ logger: false, forceCloseConnections: 'idle', return503OnClosing: true });
    const { registry, state } = options;

    this.app.get('/health', async () => ({ status: 'ok' }));
    this.app.get('/ready', async (_req, reply) => {
      const s = state();
      if (s === 'ready') return { status: 'ready' };
      return reply.code(503).send({ status: s === 'stopped' ? 'stopping' : s });
    });
    this.app.get('/metrics', async (_req, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    });

    this.app.setNotFoundHandler((req, reply) => {
      const body: HttpErrorBody = { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` } };
      return reply.code(404).send(body);
    });
    this.app.setErrorHandler((e, req, reply) => {
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
