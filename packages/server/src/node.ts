import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRegistry, type Logger, type Registry, silentLogger } from '@thinklite/base';
import { KvOwner, LocalKv } from '@thinklite/kv';
import { SqlEngine } from '@thinklite/sql';
import { LmdbEngine } from '@thinklite/storage';
import { AggregatorRegistry, collectDefaultMetrics } from 'prom-client';
import { SqlGateways } from './gateway/sql-gateways.js';
import { GrpcSqlServer, type GrpcSqlServerOptions } from './grpc/grpc-sql-server.js';
import { HttpServer, type NodeState } from './http/http-server.js';
import { PgServer, type PgTlsOptions } from './pgwire/pg-server.js';
import { StatementGate } from './statement-gate.js';

export interface ListenAddress {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface ThinkLiteNodeOptions {
  /** The store directory, created if missing. One process at a time: another gets STORE_LOCKED. */
  readonly storeDir: string;
  /** The PostgreSQL protocol's address. */
  readonly sqlAddr: ListenAddress;
  /** /health, /ready, /metrics and SQL over HTTP (/v1/sql, /v1/sessions, /v1/openapi.json). */
  readonly httpAddr: ListenAddress;
  /** SQL over gRPC (proto/sql.proto); not served when omitted. */
  readonly grpcAddr?: ListenAddress;
  /** The gRPC service's limits (concurrent calls, request size, row batches). */
  readonly grpc?: Pick<GrpcSqlServerOptions, 'maxConcurrentCalls' | 'maxRequestBytes' | 'rowsPerBatch' | 'batchBytes'>;
  readonly auth?: 'trust' | 'scram-sha-256';
  /** user → clear-text password or SCRAM verifier (for scram-sha-256). */
  readonly users?: Readonly<Record<string, string>>;
  /** Bound into every log line as `nodeId`. */
  readonly nodeId?: string;
  readonly logger?: Logger;
  /** The node's metrics (a fresh registry when omitted). */
  readonly registry?: Registry;
  /** Register prom-client's process metrics (CPU, memory, event loop…). Default true. */
  readonly processMetrics?: boolean;
  /** How long stop() lets running statements finish before cancelling them. Default 10 s. */
  readonly shutdownGraceMs?: number;
  readonly maxConnections?: number;
  /**
   * SQL gateway processes (docs/decisions/0020): with n ≥ 1 the PostgreSQL protocol is served by n
   * child processes sharing the SQL port, each running the SQL engine on the store read directly,
   * while this process owns the store (commits, locks, the clock) and serves HTTP and gRPC. A node
   * then uses n + 1 cores. maxConnections applies to each gateway. Default 0: everything in this
   * process.
   */
  readonly gateways?: number;
  /** TLS on the PostgreSQL protocol (certificate and key, PEM; `required` refuses plain clients). */
  readonly tls?: PgTlsOptions;
  /** SQL over HTTP on httpAddr (POST /v1/sql, /v1/sessions): its limits; see the server README. */
  readonly httpSql?: {
    /** Open explicit sessions allowed (default 100). */
    readonly maxSessions?: number;
    /** An explicit session idle this long is closed and rolled back (default 60 s; 0: never). */
    readonly sessionIdleTimeoutMs?: number;
    /** Statement timeout of requests that give none (default 0: none). */
    readonly statementTimeoutMs?: number;
    /** Larger request bodies get 413 (default 1 MiB). */
    readonly bodyLimitBytes?: number;
  };
}

/**
 * One ThinkLite node: a store, the transactional KV and the SQL engine over it, served over the
 * PostgreSQL protocol, HTTP (/health, /ready, /metrics, SQL over HTTP under /v1) and gRPC (when grpcAddr is given).
 *
 *     const node = await ThinkLiteNode.start({ storeDir: 'data', sqlAddr, httpAddr, logger });
 *     node.sqlAddress.port; node.httpAddress.port;
 *     await node.stop();   // graceful: running statements get shutdownGraceMs to finish
 *
 * Stopping: /ready turns 503 "stopping"; new SQL connections are refused with FATAL 57P03 ("the
 * database system is shutting down", as PostgreSQL does); statements already running get the grace
 * period; then every connection is ended (open transactions roll back, statements still running
 * are cancelled), background work is awaited, the store is flushed and closed, and HTTP stops.
 */
export class ThinkLiteNode {
  private stateValue: NodeState = 'starting';
  private stopping: Promise<void> | undefined;
  private readonly gate = new StatementGate();
  private storage: LmdbEngine | undefined;
  private kv: LocalKv | undefined;
  private engine: SqlEngine | undefined;
  /** The engine behind the gate: what the front ends run statements on. */
  private gated: SqlEngine | undefined;
  private pg: PgServer | undefined;
  private gateways: SqlGateways | undefined;
  private http: HttpServer | undefined;
  private grpc: GrpcSqlServer | undefined;
  private grpcBound: AddressInfo | undefined;
  private sqlBound: AddressInfo | undefined;
  private httpBound: AddressInfo | undefined;
  readonly registry: Registry;
  private readonly log: Logger;
  private readonly graceMs: number;

  private constructor(private readonly options: ThinkLiteNodeOptions) {
    this.registry = options.registry ?? createRegistry();
    const root = options.logger ?? silentLogger();
    this.log = options.nodeId === undefined ? root : root.child({ nodeId: options.nodeId });
    this.graceMs = options.shutdownGraceMs ?? 10_000;
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Opens the store, starts HTTP (so /health answers and /ready says "starting" while the catalog
   * is bootstrapped), then the SQL listener. On any failure what was started is stopped again and
   * the error is thrown: STORE_LOCKED (a ThinkLiteError) or EADDRINUSE/EACCES (a system error).
   */
  static async start(options: ThinkLiteNodeOptions): Promise<ThinkLiteNode> {
    const node = new ThinkLiteNode(options);
    try {
      await node.open();
    } catch (e) {
      await node.teardown();
      node.stateValue = 'stopped';
      throw e;
    }
    return node;
  }

  get state(): NodeState {
    return this.stateValue;
  }

  /** The PostgreSQL protocol's bound address (the real port when 0 was asked). */
  get sqlAddress(): AddressInfo {
    return this.sqlBound as AddressInfo;
  }

  /** The gRPC service's bound address; undefined when no grpcAddr was given. */
  get grpcAddress(): AddressInfo | undefined {
    return this.grpcBound;
  }

  get httpAddress(): AddressInfo {
    return this.httpBound as AddressInfo;
  }

  /** The pids of the SQL gateway processes serving now, by gateway number (empty without gateways). */
  get gatewayPids(): ReadonlyMap<number, number> {
    return this.gateways?.pids() ?? new Map();
  }

  /** Statements running now (for tests and the shutdown log). */
  get statementsInFlight(): number {
    return this.gate.running;
  }

  private async open(): Promise<void> {
    const { logger: _l, registry: _r, users: _u, tls, ...rest } = this.options;
    // Never the key in a log line: only whether TLS is on and required.
    const shown = tls ? { ...rest, tls: { required: tls.required ?? false } } : rest;
    this.log.info({ storeDir: this.options.storeDir }, 'opening store');
    fs.mkdirSync(this.options.storeDir, { recursive: true });
    this.storage = LmdbEngine.open({ dir: this.options.storeDir, logger: this.log, registry: this.registry });
    const gateways = this.options.gateways ?? 0;
    this.kv = new LocalKv({
      engine: this.storage,
      logger: this.log,
      registry: this.registry,
      // A gateway's transaction is known here from its first lock or commit, or once open for a
      // second (RemoteKv registers it): commits are kept long enough for it to be validated.
      ...(gateways > 0 ? { retentionMs: 10_000 } : {}),
    });

    const { bodyLimitBytes, ...sqlLimits } = this.options.httpSql ?? {};
    this.http = new HttpServer({
      registry: this.registry,
      // With gateway processes, /metrics sums theirs into this process's (pgwire, process CPU…).
      ...(gateways > 0 ? { metricsText: () => this.metricsText() } : {}),
      state: () => this.stateValue,
      logger: this.log,
      // SQL over HTTP runs on the same gated engine as the wire protocol (503 until it exists).
      sql: {
        engine: () => this.gated,
        auth: this.options.auth ?? 'trust',
        ...(this.options.users ? { users: this.options.users } : {}),
        ...sqlLimits,
      },
      ...(bodyLimitBytes !== undefined ? { bodyLimitBytes } : {}),
    });
    this.httpBound = await this.http.start(this.options.httpAddr);

    this.engine = await SqlEngine.create(this.kv, {
      logger: this.log,
      ...(gateways > 0 ? { rowIdSlot: { index: 0, count: gateways + 1 } } : {}),
    });
    this.gated = this.gate.wrap(this.engine);
    if (gateways > 0) {
      this.gateways = new SqlGateways({
        count: gateways,
        owner: new KvOwner(this.kv),
        logger: this.log,
        registry: this.registry,
        config: {
          storeDir: this.options.storeDir,
          sqlAddr: this.options.sqlAddr,
          auth: this.options.auth ?? 'trust',
          ...(this.options.users ? { users: this.options.users } : {}),
          ...(this.options.maxConnections !== undefined ? { maxConnections: this.options.maxConnections } : {}),
          ...(this.options.tls ? { tls: this.options.tls } : {}),
          ...(this.options.nodeId !== undefined ? { nodeId: this.options.nodeId } : {}),
          logLevel: this.log.level,
        },
      });
      const port = await this.gateways.start();
      const host = this.options.sqlAddr.host;
      this.sqlBound = { address: host, family: host.includes(':') ? 'IPv6' : 'IPv4', port };
    } else {
      this.pg = new PgServer(this.gated, {
        auth: this.options.auth ?? 'trust',
        ...(this.options.users ? { users: this.options.users } : {}),
        ...(this.options.maxConnections !== undefined ? { maxConnections: this.options.maxConnections } : {}),
        ...(this.options.tls ? { tls: this.options.tls } : {}),
        logger: this.log,
        registry: this.registry,
      });
      this.sqlBound = await this.pg.start(this.options.sqlAddr);
    }
    if (this.options.grpcAddr) {
      // Same gated engine: the grace period counts gRPC statements too, and new calls get 57P03.
      this.grpc = new GrpcSqlServer(this.gated, {
        auth: this.options.auth ?? 'trust',
        ...(this.options.users ? { users: this.options.users } : {}),
        ...this.options.grpc,
        logger: this.log,
        registry: this.registry,
      });
      const { port } = await this.grpc.start(this.options.grpcAddr);
      const host = this.options.grpcAddr.host;
      this.grpcBound = { address: host, family: host.includes(':') ? 'IPv6' : 'IPv4', port };
    }
    this.stateValue = 'ready';
    this.log.debug({ options: shown }, 'node options');
  }

  /** This process's metrics with every gateway process's summed in (counters and histograms add up). */
  private async metricsText(): Promise<string> {
    const all = [await this.registry.getMetricsAsJSON(), ...((await this.gateways?.metricsJSON()) ?? [])];
    return AggregatorRegistry.aggregate(all.filter((m) => m.length > 0)).metrics();
  }

  /** Graceful stop (see the class comment). Idempotent: later calls wait for the first. */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    this.stateValue = 'stopping';
    this.gate.close();
    // The gateways stop in parallel, each giving its statements the grace period; this process
    // keeps committing for them until they are gone (teardown waits).
    void this.gateways?.stop(this.graceMs);
    const running = this.gate.running;
    this.log.info({ statementsRunning: running, graceMs: this.graceMs }, 'stopping');
    {
      const finished = await this.gate.idle(this.graceMs);
      if (!finished)
        this.log.warn({ statementsRunning: this.gate.running }, 'grace period over: cancelling statements');
    }
    await this.teardown();
    this.stateValue = 'stopped';
    this.log.info('stopped');
  }

  /** Stops whatever was started, in reverse order; the store is flushed and closed last but HTTP. */
  private async teardown(): Promise<void> {
    const errors: unknown[] = [];
    const step = async (what: string, f: () => Promise<void> | undefined) => {
      try {
        await f();
      } catch (e) {
        errors.push(e);
        this.log.error({ err: e }, `stop: ${what} failed`);
      }
    };
    await step('sql listener', () => this.pg?.stop());
    await step('sql gateways', () => this.gateways?.stop(0));
    // After the grace period: calls still running are cancelled at once (their sessions roll back).
    await step('grpc', () => this.grpc?.stop(0));
    await step('http sql', () => this.http?.closeSql());
    await step('background work', () => this.engine?.backgroundIdle());
    await step('kv', () => this.kv?.close());
    await step('store', () => this.storage?.close());
    await step('http', () => this.http?.stop());
    if (errors.length > 0) throw errors[0];
  }
}
