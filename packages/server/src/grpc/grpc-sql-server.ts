import { timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  Counter,
  Gauge,
  Histogram,
  LATENCY_BUCKETS_SECONDS,
  type Logger,
  type Registry,
  silentLogger,
  ThinkLiteError,
} from '@thinklite/base';
import { parse, type QueryResult, type ResultColumn, type RowSink, type Session, type SqlEngine } from '@thinklite/sql';
import { runsAsImplicitTransaction } from '../implicit-transaction.js';
import { parseScramVerifier, type ScramVerifier, scramVerifier } from '../pgwire/scram.js';
import {
  columnToPb,
  type EngineParam,
  type ExecuteRequest,
  type ExecuteResponse,
  MalformedRequest,
  paramsFromPb,
  type QueryRequest,
  type QueryResponse,
  type Row,
  SQL_SERVICE,
  valueSize,
  valueToPb,
} from './codec.js';
import { type CallError, callError, invalidArgument, ServiceError } from './errors.js';

export interface GrpcSqlServerOptions {
  /** 'trust' (the default) or 'scram-sha-256': then every call needs `authorization: Basic …`. */
  readonly auth?: 'trust' | 'scram-sha-256';
  /** user → clear-text password or SCRAM verifier (as PgServer takes them). */
  readonly users?: Readonly<Record<string, string>>;
  /** Calls running at once; the next gets RESOURCE_EXHAUSTED (SQLSTATE 53300). Default 100. */
  readonly maxConcurrentCalls?: number;
  /** A larger request message gets RESOURCE_EXHAUSTED from grpc-js. Default 4 MiB. */
  readonly maxRequestBytes?: number;
  /** Rows per streamed RowBatch when the request says 0. Default 1000. */
  readonly rowsPerBatch?: number;
  /** A RowBatch ends once its rows pass about this many bytes. Default 64 KiB. */
  readonly batchBytes?: number;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

type Statement = ReturnType<typeof parse>[number];

/** One call in flight: what stops it, and the session to roll back after. */
class CallState {
  cancelled = false;
  deadlineHit = false;
  user = 'thinklite';
  session: Session | undefined;
  private wakers: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(deadline: grpc.Deadline) {
    const at = deadline instanceof Date ? deadline.getTime() : deadline;
    if (Number.isFinite(at)) {
      this.timer = setTimeout(
        () => {
          this.deadlineHit = true;
          this.stop();
        },
        Math.max(0, at - Date.now()),
      );
    }
  }

  get stopped(): boolean {
    return this.cancelled || this.deadlineHit;
  }

  /** Stops the running statement (it fails with 57014 at its next check) and wakes any wait. */
  stop(): void {
    this.session?.cancel();
    for (const w of this.wakers.splice(0)) w();
  }

  /** Resolves on `event` of `emitter`, or once the call is stopped. */
  waitFor(emitter: NodeJS.EventEmitter, event: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        emitter.off(event, done);
        this.wakers = this.wakers.filter((w) => w !== done);
        resolve();
      };
      emitter.once(event, done);
      this.wakers.push(done);
    });
  }

  /** Throws 57014 when the call was cancelled or ran past its deadline. */
  check(): void {
    if (this.stopped)
      throw new ThinkLiteError(
        'QUERY_CANCELED',
        this.deadlineHit ? 'canceling statement due to deadline' : 'canceling statement due to client cancel',
      );
  }

  end(): void {
    clearTimeout(this.timer);
  }
}

/**
 * SQL over gRPC (proto/sql.proto, decision 0014): `Execute` runs a string of statements and
 * answers with every result; `Query` streams one statement's rows with backpressure. Each call
 * runs on its own session, closed (any transaction rolled back) when the call ends; a client
 * cancel or a passed deadline cancels the running statement.
 *
 *     const server = new GrpcSqlServer(engine, { logger, registry });
 *     const { port } = await server.start({ host: '127.0.0.1', port: 26258 });
 *     await server.stop();   // tryShutdown, then forceShutdown after the deadline
 */
export class GrpcSqlServer {
  private server: grpc.Server | undefined;
  private readonly log: Logger;
  private readonly maxCalls: number;
  private readonly maxRequestBytes: number;
  private readonly rowsPerBatch: number;
  private readonly batchBytes: number;
  private readonly users: Map<string, ScramVerifier> | undefined;
  /** Authorization headers already verified (PBKDF2 costs milliseconds): header → user. */
  private readonly verified = new Map<string, string>();
  private readonly calls = new Set<CallState>();
  private readonly handlers = new Set<Promise<void>>();
  private readonly metrics: {
    calls: Counter<'method' | 'code'>;
    seconds: Histogram<'method'>;
    inFlight: Gauge;
    rowsSent: Counter;
    waits: Counter;
  };

  constructor(
    private readonly engine: SqlEngine,
    options: GrpcSqlServerOptions = {},
  ) {
    this.log = (options.logger ?? silentLogger()).child({ component: 'grpc' });
    this.maxCalls = options.maxConcurrentCalls ?? 100;
    this.maxRequestBytes = options.maxRequestBytes ?? 4 * 1024 * 1024;
    this.rowsPerBatch = options.rowsPerBatch ?? 1000;
    this.batchBytes = options.batchBytes ?? 64 * 1024;
    if (options.auth === 'scram-sha-256') {
      this.users = new Map();
      for (const [user, secret] of Object.entries(options.users ?? {}))
        this.users.set(user, parseScramVerifier(secret) ?? scramVerifier(secret));
    }
    const registers = options.registry ? [options.registry] : [];
    this.metrics = {
      calls: new Counter({
        name: 'thinklite_grpc_sql_calls_total',
        help: 'SQL gRPC calls finished, by method and status code name.',
        labelNames: ['method', 'code'],
        registers,
      }),
      seconds: new Histogram({
        name: 'thinklite_grpc_sql_call_seconds',
        help: 'SQL gRPC call duration, by method.',
        labelNames: ['method'],
        buckets: LATENCY_BUCKETS_SECONDS,
        registers,
      }),
      inFlight: new Gauge({ name: 'thinklite_grpc_sql_calls', help: 'SQL gRPC calls running now.', registers }),
      rowsSent: new Counter({
        name: 'thinklite_grpc_sql_rows_sent_total',
        help: 'Rows handed to gRPC by Query streams.',
        registers,
      }),
      waits: new Counter({
        name: 'thinklite_grpc_sql_backpressure_waits_total',
        help: 'Times a Query stream paused its statement until a slow client caught up.',
        registers,
      }),
    };
  }

  async start(addr: { host: string; port: number }): Promise<{ host: string; port: number }> {
    const server = new grpc.Server({
      'grpc.max_receive_message_length': this.maxRequestBytes,
      'grpc.max_send_message_length': -1,
    });
    server.addService(SQL_SERVICE, {
      Execute: (
        call: grpc.ServerUnaryCall<ExecuteRequest | MalformedRequest, ExecuteResponse>,
        callback: grpc.sendUnaryData<ExecuteResponse>,
      ) =>
        this.handle(
          'Execute',
          call,
          (s) => this.execute(call, s, callback),
          (status) => callback(status),
        ),
      Query: (call: grpc.ServerWritableStream<QueryRequest | MalformedRequest, QueryResponse>) =>
        this.handle(
          'Query',
          call,
          (s) => this.query(call, s),
          (status) => call.emit('error', status),
        ),
    });
    const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${addr.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(listenError(err, addr)) : resolve(p),
      ),
    ).catch((e: unknown) => {
      server.forceShutdown();
      throw e;
    });
    this.server = server;
    this.log.info({ host: addr.host, port }, 'gRPC SQL service listening');
    return { host: addr.host, port };
  }

  /** Calls running now. */
  get callsInFlight(): number {
    return this.calls.size;
  }

  /**
   * Graceful stop: no new calls; running calls get `deadlineMs` to finish, then the rest are
   * cancelled (their statements stopped, their transactions rolled back) and awaited.
   */
  async stop(deadlineMs = 5000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const c of this.calls) {
          c.cancelled = true;
          c.stop();
        }
        server.forceShutdown();
        resolve();
      }, deadlineMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await Promise.allSettled([...this.handlers]);
    this.log.info('gRPC SQL service stopped');
  }

  /** Common to both methods: limits, authentication, cancel and deadline, metrics, cleanup. */
  private handle(
    method: 'Execute' | 'Query',
    call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
    run: (state: CallState) => Promise<void>,
    fail: (status: CallError) => void,
  ): void {
    const t0 = performance.now();
    const state = new CallState(call.getDeadline());
    call.on('cancelled', () => {
      state.cancelled = true;
      state.stop();
    });
    this.calls.add(state);
    this.metrics.inFlight.inc();
    const finish = (code: grpc.status) => {
      this.metrics.calls.inc({ method, code: grpc.status[code] ?? String(code) });
      this.metrics.seconds.observe({ method }, (performance.now() - t0) / 1000);
    };
    const p = (async () => {
      try {
        if (this.calls.size > this.maxCalls) {
          throw new ServiceError(
            grpc.status.RESOURCE_EXHAUSTED,
            '53300',
            `too many concurrent calls (the limit is ${this.maxCalls})`,
          );
        }
        state.user = this.authenticate(call.metadata);
        await run(state);
        finish(grpc.status.OK);
      } catch (e) {
        const status = this.statusOf(e, state);
        finish(status.code);
        if (status.code === grpc.status.INTERNAL) this.log.error({ err: e, method }, 'call failed');
        else this.log.debug({ method, code: grpc.status[status.code], message: status.details }, 'call failed');
        fail(status);
      } finally {
        state.end();
        await this.closeSession(state);
        this.calls.delete(state);
        this.metrics.inFlight.dec();
      }
    })();
    this.handlers.add(p);
    void p.finally(() => this.handlers.delete(p));
  }

  private statusOf(e: unknown, state: CallState): CallError {
    const where = e instanceof PositionedError ? e.where : undefined;
    const error = e instanceof PositionedError ? e.error : e;
    const override = state.deadlineHit
      ? grpc.status.DEADLINE_EXCEEDED
      : state.cancelled
        ? grpc.status.CANCELLED
        : undefined;
    return callError(error, where, override);
  }

  /** Ends the call's session: a transaction the statements left open is rolled back. */
  private async closeSession(state: CallState): Promise<void> {
    const session = state.session;
    if (!session || session.transactionStatus === 'idle') return;
    try {
      await session.execute('ROLLBACK');
    } catch (e) {
      this.log.warn({ err: e }, 'rollback after call failed');
    }
  }

  private authenticate(metadata: grpc.Metadata): string {
    if (!this.users) return 'thinklite';
    const header = String(metadata.get('authorization')[0] ?? '');
    const known = this.verified.get(header);
    if (known !== undefined) return known;
    const fail = () => new ServiceError(grpc.status.UNAUTHENTICATED, '28P01', 'password authentication failed');
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    if (!m) throw fail();
    const text = Buffer.from(m[1] as string, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) throw fail();
    const user = text.slice(0, colon);
    const v = this.users.get(user);
    if (!v) throw fail();
    const { storedKey } = scramVerifier(text.slice(colon + 1), Buffer.from(v.salt), v.iterations);
    if (!timingSafeEqual(storedKey, v.storedKey)) throw fail();
    if (this.verified.size > 1000) this.verified.clear();
    this.verified.set(header, user);
    return user;
  }

  private request<T>(r: T | MalformedRequest): T {
    if (r instanceof MalformedRequest) throw invalidArgument(`malformed request: ${r.reason}`);
    return r;
  }

  private openSession(state: CallState, database: string | null | undefined): Session {
    state.session = this.engine.session(database || 'thinklite', state.user);
    return state.session;
  }

  private async execute(
    call: grpc.ServerUnaryCall<ExecuteRequest | MalformedRequest, ExecuteResponse>,
    state: CallState,
    callback: grpc.sendUnaryData<ExecuteResponse>,
  ): Promise<void> {
    const req = this.request(call.request);
    const sql = req.sql ?? '';
    const statements = parse(sql);
    const params = paramsFromPb(req.params);
    const session = this.openSession(state, req.database);
    const implicit = runsAsImplicitTransaction(statements, session);
    if (implicit) await session.execute('BEGIN');
    const results: NonNullable<ExecuteResponse['results']> = [];
    for (const stmt of statements) {
      state.check();
      // Through stream() (which the node's statement gate counts), rows encoded as they come.
      let columns: readonly ResultColumn[] = [];
      const rows: Row[] = [];
      const r = await this.run(
        session,
        stmt,
        params,
        {
          start: (cols) => {
            columns = cols;
          },
          rows: (batch) => {
            state.check();
            for (const row of batch) rows.push(rowToPb(columns, row));
            return true;
          },
        },
        state,
      );
      results.push({
        columns: (columns.length > 0 ? columns : r.columns).map(columnToPb),
        rows,
        rowCount: r.rowCount,
        commandTag: r.command,
      });
    }
    // An error above leaves the transaction to closeSession's rollback.
    if (implicit) await session.execute('COMMIT');
    callback(null, { results });
  }

  private async run(
    session: Session,
    stmt: Statement,
    params: readonly EngineParam[],
    sink: RowSink,
    state: CallState,
  ): Promise<QueryResult> {
    const values = params.map((p) => p.value);
    const paramTypes = params.map((p) => p.type);
    try {
      return await session.stream(stmt, values, sink, { paramTypes, stopped: () => state.stopped });
    } catch (e) {
      throw new PositionedError(e, stmt.span);
    }
  }

  private async query(
    call: grpc.ServerWritableStream<QueryRequest | MalformedRequest, QueryResponse>,
    state: CallState,
  ): Promise<void> {
    const req = this.request(call.request);
    const statements = parse(req.sql ?? '');
    if (statements.length !== 1) {
      throw invalidArgument(`Query takes exactly one statement (got ${statements.length}); use Execute for several`);
    }
    const stmt = statements[0] as Statement;
    const params = paramsFromPb(req.params);
    const session = this.openSession(state, req.database);
    const maxRows = req.maxRowsPerBatch || this.rowsPerBatch;

    let columns: readonly ResultColumn[] | undefined;
    let batch: Row[] = [];
    let bytes = 0;
    let rowsSent = 0;
    /** Writes one message; when grpc-js's buffer is full, waits for 'drain' (or the call's end). */
    const send = async (m: QueryResponse) => {
      state.check();
      if (!call.write(m)) {
        this.metrics.waits.inc();
        await state.waitFor(call, 'drain');
        state.check();
      }
    };
    const flush = async () => {
      if (batch.length === 0) return;
      const rows = batch;
      batch = [];
      bytes = 0;
      rowsSent += rows.length;
      this.metrics.rowsSent.inc(rows.length);
      await send({ rows: { rows } });
    };
    const header = (cols: readonly ResultColumn[]) => {
      columns = cols;
      call.write({ header: { columns: cols.map(columnToPb) } });
    };
    const result = await this.run(
      session,
      stmt,
      params,
      {
        start: header,
        rows: async (rows) => {
          const cols = columns as readonly ResultColumn[];
          for (const r of rows) {
            const row = rowToPb(cols, r);
            batch.push(row);
            bytes += (row.values ?? []).reduce((n, v) => n + valueSize(v), 2);
            if (batch.length >= maxRows || bytes >= this.batchBytes) await flush();
          }
          return true;
        },
      },
      state,
    );
    if (columns === undefined) header(result.columns);
    await flush();
    await send({ trailer: { commandTag: result.command, rowCount: result.rowCount } });
    this.log.debug({ command: result.command, rows: rowsSent }, 'query streamed');
    call.end();
  }
}

/**
 * grpc-js reports a failed bind as "No address added … [listen EADDRINUSE: …]": turned into the
 * system error net.Server gives (code, syscall 'listen', address, port), which callers explain.
 */
function listenError(e: Error, addr: { host: string; port: number }): Error {
  const code = /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL)\b/.exec(e.message)?.[1];
  if (!code) return e;
  return Object.assign(new Error(`listen ${code}: ${addr.host}:${addr.port}`, { cause: e }), {
    code,
    syscall: 'listen',
    address: addr.host,
    port: addr.port,
  });
}

/** An engine error with the statement it came from, so its position points into the request's SQL. */
class PositionedError extends Error {
  constructor(
    readonly error: unknown,
    readonly where: { text: string; codePointOffset: number },
  ) {
    super('positioned');
  }
}

function rowToPb(columns: readonly ResultColumn[], row: readonly unknown[]): Row {
  const values = new Array(row.length);
  for (let i = 0; i < row.length; i++) {
    values[i] = valueToPb((columns[i] as ResultColumn).type, row[i] as Parameters<typeof valueToPb>[1]);
  }
  return { values };
}
