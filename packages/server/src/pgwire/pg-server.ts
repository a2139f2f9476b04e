import { randomInt } from 'node:crypto';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { createRegistry, type Logger, type Registry, silentLogger } from '@thinklite/base';
import type { SqlEngine } from '@thinklite/sql';
import { type AuthConfig, Connection } from './connection.js';
import { PgWireMetrics } from './metrics.js';
import { parseScramVerifier, type ScramVerifier, scramVerifier } from './scram.js';

/** TLS for the PostgreSQL protocol (clients ask with SSLRequest, e.g. psql's sslmode=require). */
export interface PgTlsOptions {
  /** The certificate (chain), PEM. */
  readonly cert: string | Buffer;
  /** Its private key, PEM. */
  readonly key: string | Buffer;
  /** The key's passphrase, if it is encrypted. */
  readonly passphrase?: string;
  /**
   * Refuse clients that do not use TLS, as pg_hba.conf with only `hostssl` lines: FATAL 28000
   * `no pg_hba.conf entry for host "…", user "…", database "…", no encryption`. Default false.
   * Cancel requests are accepted either way (libpq sends them in plain text).
   */
  readonly required?: boolean;
}

export interface PgServerOptions {
  /**
   * 'trust' (the default) lets anyone in as any user; 'scram-sha-256' checks passwords. For
   * SCRAM, `users` maps each user to a clear-text password or a PostgreSQL SCRAM verifier
   * (`SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>`, as pg_authid stores it).
   */
  readonly auth?: 'trust' | 'scram-sha-256';
  readonly users?: Readonly<Record<string, string>>;
  /** PostgreSQL's max_connections: one more client gets FATAL 53300. Default 100. */
  readonly maxConnections?: number;
  /** The largest message a client may send, in bytes. Default 64 MiB. */
  readonly messageBytesMax?: number;
  /** How long a client may take from connecting to finishing authentication. Default 60 s. */
  readonly authenticationTimeoutMs?: number;
  /** Serve TLS: SSLRequest is answered 'S' (without this option, 'N'). */
  readonly tls?: PgTlsOptions;
  readonly logger?: Logger;
  readonly registry?: Registry;
  /**
   * Every backend process id this server hands out (BackendKeyData) has this number (0–127) in its
   * top bits: the SQL gateway process of a node that has several, so that a CancelRequest reaching
   * another gateway can be sent on to this one. Default 0.
   */
  readonly processIdTag?: number;
  /** A CancelRequest for a process id of another tag: hand it on (the node forwards it to that gateway). */
  readonly forwardCancel?: (processId: number, secretKey: number) => void;
}

/** Bits of a backend process id below its tag (PgServerOptions.processIdTag). */
const PROCESS_ID_TAG_SHIFT = 24;

/** The tag (gateway process number) of a backend process id. */
export function processIdTag(processId: number): number {
  return processId >>> PROCESS_ID_TAG_SHIFT;
}

/**
 * The PostgreSQL wire protocol (v3) front end of a SqlEngine: psql, pgbench and every driver
 * connect to it. One Session per connection.
 *
 *     const server = new PgServer(engine, { auth: 'scram-sha-256', users: { app: 'secret' } });
 *     const { port } = await server.start({ host: '127.0.0.1', port: 5432 });
 *     …
 *     await server.stop();
 */
export class PgServer {
  private readonly net: Server;
  private readonly connections = new Map<number, Connection>();
  private readonly sockets = new Set<Socket>();
  private readonly auth: AuthConfig;
  private readonly log: Logger;
  private readonly metrics: PgWireMetrics;
  private readonly maxConnections: number;
  private readonly messageBytesMax: number;
  private readonly authenticationTimeoutMs: number;
  private readonly tls: { readonly context: SecureContext; readonly required: boolean } | undefined;
  private nextProcessId = 1;
  private readonly tag: number;
  private readonly forwardCancel: ((processId: number, secretKey: number) => void) | undefined;
  private nextConnectionId = 1;

  constructor(
    private readonly engine: SqlEngine,
    options: PgServerOptions = {},
  ) {
    this.log = (options.logger ?? silentLogger()).child({ component: 'pgwire' });
    this.metrics = new PgWireMetrics(options.registry ?? createRegistry());
    this.maxConnections = options.maxConnections ?? 100;
    this.messageBytesMax = options.messageBytesMax ?? 64 * 1024 * 1024;
    this.authenticationTimeoutMs = options.authenticationTimeoutMs ?? 60_000;
    this.tag = options.processIdTag ?? 0;
    if (!Number.isInteger(this.tag) || this.tag < 0 || this.tag > 127)
      throw new RangeError(`processIdTag must be an integer from 0 to 127, not ${this.tag}`);
    this.forwardCancel = options.forwardCancel;
    this.tls = options.tls
      ? { context: secureContext(options.tls), required: options.tls.required ?? false }
      : undefined;
    if ((options.auth ?? 'trust') === 'trust') this.auth = { method: 'trust' };
    else {
      const users = new Map<string, ScramVerifier>();
      for (const [user, secret] of Object.entries(options.users ?? {})) {
        users.set(user, parseScramVerifier(secret) ?? scramVerifier(secret));
      }
      this.auth = { method: 'scram-sha-256', users };
    }
    // TCP_NODELAY, as PostgreSQL sets on its sockets: a reply goes out at once, not held by Nagle.
    this.net = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.net.on('error', (e) => this.log.error({ err: e }, 'listener error'));
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  start(options: { host?: string; port?: number } = {}): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.net.once('error', onError);
      this.net.listen(options.port ?? 5432, options.host ?? '127.0.0.1', () => {
        this.net.off('error', onError);
        const address = this.net.address() as AddressInfo;
        this.log.info({ address: address.address, port: address.port }, 'listening');
        resolve(address);
      });
    });
  }

  /** Stops listening, ends every connection (rolling back open transactions) and waits for them. */
  async stop(): Promise<void> {
    const closing = new Promise<void>((resolve) => this.net.close(() => resolve()));
    const waits: Promise<void>[] = [];
    for (const c of this.connections.values()) {
      c.terminate();
      waits.push(c.closed);
    }
    // Each connection ends its own socket once its last reply is written (over TLS, the
    // encrypted bytes reach the TCP socket a moment later: ending that one here as well could
    // close it under them). Sockets that do not close promptly are destroyed.
    const timer = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, 2000);
    try {
      await Promise.all(waits);
      await closing;
    } finally {
      clearTimeout(timer);
    }
  }

  private accept(socket: Socket): void {
    const id = this.nextConnectionId++;
    const overLimit = this.connections.size >= this.maxConnections;
    const mask = (1 << PROCESS_ID_TAG_SHIFT) - 1;
    const low = this.nextProcessId++ & mask || this.nextProcessId++ & mask; // never 0
    const processId = ((this.tag << PROCESS_ID_TAG_SHIFT) | low) >>> 0;
    const key = { processId, secretKey: randomInt(0x7fffffff) };
    const log = this.log.child({ conn: id, remote: `${socket.remoteAddress}:${socket.remotePort}` });
    const conn = new Connection(
      socket,
      {
        engine: this.engine,
        auth: this.auth,
        messageBytesMax: this.messageBytesMax,
        metrics: this.metrics,
        ...(this.tls ? { tls: this.tls } : {}),
        cancel: (pid, secret) => this.cancel(pid, secret),
      },
      log,
      key,
      overLimit,
    );
    this.sockets.add(socket);
    // A connection over the limit is not counted: it only lives to send its refusal.
    if (!overLimit) {
      this.connections.set(processId, conn);
      this.metrics.connectionsCurrent.inc();
      this.metrics.connectionsTotal.inc();
    }
    // Clients that never finish authenticating (or their TLS handshake) lose their connection
    // (PostgreSQL's authentication_timeout); the close is silent, as PostgreSQL's.
    const timer = setTimeout(() => {
      if (!conn.isReady) {
        log.info('authentication timeout');
        socket.destroy();
      }
    }, this.authenticationTimeoutMs);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      this.sockets.delete(socket);
      void conn.closed.then(() => {
        if (this.connections.get(processId) === conn) {
          this.connections.delete(processId);
          this.metrics.connectionsCurrent.dec();
        }
      });
    });
  }

  /** A CancelRequest: a wrong key is ignored, as in PostgreSQL. Another gateway's goes there. */
  cancel(processId: number, secretKey: number): void {
    if (this.forwardCancel && processIdTag(processId) !== this.tag) {
      this.log.info({ processId }, 'cancel request forwarded to another gateway process');
      this.metrics.cancelRequests.inc({ result: 'forwarded' });
      this.forwardCancel(processId, secretKey);
      return;
    }
    const c = this.connections.get(processId);
    if (c && c.secretKey === secretKey) {
      this.log.info({ processId }, 'cancel request');
      this.metrics.cancelRequests.inc({ result: 'delivered' });
      c.cancel();
    } else {
      this.log.info({ processId }, 'cancel request with an unknown key ignored');
      this.metrics.cancelRequests.inc({ result: 'unknown' });
    }
  }
}

/** The TLS context of the options; a certificate or key that cannot be used fails here, at construction. */
function secureContext(options: PgTlsOptions): SecureContext {
  try {
    return createSecureContext({
      cert: options.cert,
      key: options.key,
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    });
  } catch (e) {
    throw new Error(`the TLS certificate or key cannot be used: ${(e as Error).message}`);
  }
}
