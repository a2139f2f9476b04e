import { createHash, createHmac, pbkdf2, timingSafeEqual } from 'node:crypto';
import {
  Counter,
  Gauge,
  Histogram,
  LATENCY_BUCKETS_SECONDS,
  type Logger,
  type Registry,
  ThinkLiteError,
} from '@thinklite/base';
import { parse, type ResultColumn, type Session, type SqlEngine } from '@thinklite/sql';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { runsAsImplicitTransaction } from '../implicit-transaction.js';
import { parseScramVerifier, type ScramVerifier, scramVerifier } from '../pgwire/scram.js';
import { errorResponse, httpErrors, StatementFailed } from './http-errors.js';
import { type JsonValue, jsonColumn, toJson } from './json-values.js';
import { openApiDocument } from './openapi.js';
import { HttpSessions, rollbackOpen } from './sql-sessions.js';

type Statement = ReturnType<typeof parse>[number];

/** The SQL API's settings (see packages/server/README.md, "SQL over HTTP"). */
export interface SqlApiOptions {
  /** The engine (the node's, gated): undefined while the node starts, answered with 503. */
  readonly engine: () => SqlEngine | undefined;
  /** 'trust' (the default: the user is HTTP Basic's, if given, else `thinklite`) or passwords. */
  readonly auth?: 'trust' | 'scram-sha-256';
  /** user → clear-text password or SCRAM verifier, checked against HTTP Basic credentials. */
  readonly users?: Readonly<Record<string, string>>;
  /** Open explicit sessions allowed; the next POST /v1/sessions gets 503 TOO_MANY_SESSIONS. Default 100. */
  readonly maxSessions?: number;
  /** An explicit session unused this long is closed, its transaction rolled back. Default 60 s; 0: never. */
  readonly sessionIdleTimeoutMs?: number;
  /** The statement timeout of requests that give none. Default 0: none. */
  readonly statementTimeoutMs?: number;
}

/** Response header and body-field names. */
export const SESSION_HEADER = 'thinklite-session-id';
export const TIMEOUT_HEADER = 'thinklite-statement-timeout-ms';

/** One statement's result as the API returns it. */
export interface StatementResultJson {
  readonly command: string;
  readonly rowCount: number;
  readonly columns: { name: string; type: string }[];
  readonly rows: JsonValue[][];
  readonly timing: { ms: number };
}

/** Attempts of an implicit multi-statement transaction that fails with a retryable error (40001). */
const IMPLICIT_ATTEMPTS = 10;

let fixedStatements: { begin: Statement; commit: Statement; rollback: Statement } | undefined;
function fixed() {
  fixedStatements ??= {
    begin: parse('BEGIN')[0] as Statement,
    commit: parse('COMMIT')[0] as Statement,
    rollback: parse('ROLLBACK')[0] as Statement,
  };
  return fixedStatements;
}

const NOTHING = { start: () => undefined, rows: () => true };
const ms = (start: number) => Math.round((performance.now() - start) * 1000) / 1000;

/** `INSERT 0 3` → `INSERT`, `SELECT 2` → `SELECT`, `CREATE TABLE` unchanged. */
function commandOf(tag: string): string {
  return tag.replace(/(\s+\d+)+$/, '');
}

/** What a request asks for, validated. */
interface SqlRequest {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly sessionId: string | undefined;
  readonly timeoutMs: number | undefined;
  readonly database: string | undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function timeoutFrom(v: unknown, where: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw httpErrors.invalidRequest(`${where} must be a non-negative integer (milliseconds)`);
  }
  return n;
}

function parseSqlRequest(req: FastifyRequest): SqlRequest {
  const body = req.body;
  if (!isObject(body))
    throw httpErrors.invalidRequest('the body must be a JSON object {"sql": "...", "params": [...]}');
  const { sql, params, sessionId, statementTimeoutMs, database } = body;
  if (typeof sql !== 'string') throw httpErrors.invalidRequest('"sql" is required and must be a string');
  if (params !== undefined && !Array.isArray(params)) throw httpErrors.invalidRequest('"params" must be an array');
  if (sessionId !== undefined && typeof sessionId !== 'string') {
    throw httpErrors.invalidRequest('"sessionId" must be a string');
  }
  if (database !== undefined && typeof database !== 'string') {
    throw httpErrors.invalidRequest('"database" must be a string');
  }
  const headerSession = header(req, SESSION_HEADER);
  if (headerSession !== undefined && sessionId !== undefined && headerSession !== sessionId) {
    throw httpErrors.invalidRequest(`the ${SESSION_HEADER} header and "sessionId" name different sessions`);
  }
  const timeout =
    timeoutFrom(statementTimeoutMs, '"statementTimeoutMs"') ??
    timeoutFrom(header(req, TIMEOUT_HEADER), `the ${TIMEOUT_HEADER} header`);
  return {
    sql,
    params: params ?? [],
    sessionId: sessionId ?? headerSession,
    timeoutMs: timeout,
    database,
  };
}

let dummyVerifier: ScramVerifier | undefined;

/**
 * Checks HTTP Basic credentials against the node's users (SCRAM verifiers or clear-text
 * passwords). The PBKDF2 of a verified password is remembered (by a hash of user, password and
 * verifier) so a client sending the same credentials on every request pays it once.
 */
class BasicAuth {
  private readonly users = new Map<string, ScramVerifier>();
  private readonly verified = new Set<string>();

  constructor(
    private readonly mode: 'trust' | 'scram-sha-256',
    users: Readonly<Record<string, string>>,
  ) {
    for (const [user, secret] of Object.entries(users)) {
      this.users.set(user, parseScramVerifier(secret) ?? scramVerifier(secret));
    }
  }

  /** The request's user, or a 401 error. */
  async user(req: FastifyRequest): Promise<string> {
    const auth = header(req, 'authorization');
    const m = auth ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth) : null;
    let user: string | undefined;
    let password = '';
    if (m) {
      const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      user = colon < 0 ? decoded : decoded.slice(0, colon);
      password = colon < 0 ? '' : decoded.slice(colon + 1);
    }
    if (this.mode === 'trust') return user || 'thinklite';
    if (user === undefined || user === '') throw httpErrors.authRequired();
    const v = this.users.get(user);
    const key = createHash('sha256').update(`${user}\0${password}`).digest('base64');
    if (v && this.verified.has(key)) return user;
    // Unknown users cost the same PBKDF2 as known ones, so they cannot be told apart by timing.
    dummyVerifier ??= scramVerifier('', Buffer.alloc(16));
    const check = v ?? dummyVerifier;
    const salted = await new Promise<Buffer>((resolve, reject) =>
      pbkdf2(password.normalize('NFKC'), check.salt, check.iterations, 32, 'sha256', (e, k) =>
        e ? reject(e) : resolve(k),
      ),
    );
    // SCRAM's StoredKey: SHA-256(HMAC(SaltedPassword, "Client Key")).
    const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest();
    if (!v || !timingSafeEqual(storedKey, check.storedKey)) throw httpErrors.badPassword(user);
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.add(key);
    return user;
  }
}

/** The SQL API's metrics, on the node's registry. */
class SqlApiMetrics {
  readonly statementSeconds: Histogram<'command'>;
  readonly errors: Counter<'sqlstate'>;
  readonly sessions: Gauge;

  constructor(registry: Registry) {
    this.statementSeconds = new Histogram({
      name: 'thinklite_http_sql_statement_duration_seconds',
      help: 'Statements run over the HTTP SQL API, by command (SELECT, INSERT, …): their duration.',
      labelNames: ['command'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'thinklite_http_sql_errors_total',
      help: 'HTTP SQL API requests that failed, by SQLSTATE.',
      labelNames: ['sqlstate'],
      registers: [registry],
    });
    this.sessions = new Gauge({
      name: 'thinklite_http_sql_sessions',
      help: 'Open explicit sessions of the HTTP SQL API.',
      registers: [registry],
    });
  }
}

/**
 * SQL over HTTP (decision 0013): POST /v1/sql, explicit sessions under /v1/sessions, and the
 * OpenAPI document at GET /v1/openapi.json. Registered on the node's fastify instance by
 * HttpServer; `close()` (the node stopping) cancels running statements and rolls back sessions.
 */
export class SqlApi {
  private readonly sessions: HttpSessions;
  private readonly auth: BasicAuth;
  private readonly metrics: SqlApiMetrics;
  /** Requests running on one-shot sessions, for close(). */
  private readonly running = new Map<Session, Promise<void>>();
  private closing = false;

  constructor(
    private readonly options: SqlApiOptions,
    registry: Registry,
    private readonly log: Logger,
  ) {
    this.metrics = new SqlApiMetrics(registry);
    this.auth = new BasicAuth(options.auth ?? 'trust', options.users ?? {});
    this.sessions = new HttpSessions({
      maxSessions: options.maxSessions ?? 100,
      idleTimeoutMs: options.sessionIdleTimeoutMs ?? 60_000,
      logger: log,
      gauge: this.metrics.sessions,
    });
  }

  /** Open explicit sessions (tests, the shutdown log). */
  get openSessions(): number {
    return this.sessions.size;
  }

  register(app: FastifyInstance): void {
    app.get('/v1/openapi.json', async () => openApiDocument());
    app.post('/v1/sql', (req, reply) => this.handle(req, reply, () => this.sql(req, reply)));
    app.post('/v1/sessions', (req, reply) => this.handle(req, reply, () => this.createSession(req, reply)));
    app.get('/v1/sessions/:id', (req, reply) => this.handle(req, reply, () => this.showSession(req, reply)));
    app.delete('/v1/sessions/:id', (req, reply) => this.handle(req, reply, () => this.deleteSession(req, reply)));
  }

  /** Counts an error answered outside the routes (bad JSON, body too large). */
  countError(sqlstate: string): void {
    this.metrics.errors.inc({ sqlstate });
  }

  /** The node stops: no new requests; running statements are cancelled; sessions roll back. */
  async close(): Promise<void> {
    this.closing = true;
    for (const session of this.running.keys()) session.cancel();
    await Promise.all([this.sessions.closeAll(), ...this.running.values()]);
  }

  /** Runs a route's body; any error becomes its JSON answer. */
  private async handle(req: FastifyRequest, reply: FastifyReply, f: () => Promise<unknown>): Promise<unknown> {
    try {
      return await f();
    } catch (e) {
      const { status, body, internal } = errorResponse(e);
      this.metrics.errors.inc({ sqlstate: body.error.sqlstate });
      if (internal) this.log.error({ err: e, reqId: req.id }, 'SQL request failed');
      else this.log.debug({ reqId: req.id, code: body.error.code, sqlstate: body.error.sqlstate }, 'SQL request error');
      if (status === 401) reply.header('www-authenticate', 'Basic realm="thinklite", charset="UTF-8"');
      return reply.code(status).send(body);
    }
  }

  private engine(): SqlEngine {
    if (this.closing) throw httpErrors.unavailable('the database system is shutting down');
    const engine = this.options.engine();
    if (!engine) throw httpErrors.unavailable('the database system is starting up');
    return engine;
  }

  private async createSession(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const body = req.body ?? {};
    if (!isObject(body)) throw httpErrors.invalidRequest('the body must be a JSON object (or empty)');
    if (body.database !== undefined && typeof body.database !== 'string') {
      throw httpErrors.invalidRequest('"database" must be a string');
    }
    const user = await this.auth.user(req);
    const engine = this.engine();
    const database = (body.database as string | undefined) ?? 'thinklite';
    const s = this.sessions.create(user, database, () => engine.session(database, user));
    this.log.debug({ reqId: req.id, sessionId: s.id }, 'session created');
    return reply.code(201).send(this.sessionJson(s));
  }

  private async showSession(req: FastifyRequest, _reply: FastifyReply): Promise<unknown> {
    const user = await this.auth.user(req);
    const { id } = req.params as { id: string };
    return this.sessionJson(this.sessions.get(id, user));
  }

  private async deleteSession(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const user = await this.auth.user(req);
    const { id } = req.params as { id: string };
    this.sessions.get(id, user);
    await this.sessions.close(id, 'deleted');
    return reply.code(204).send();
  }

  private sessionJson(s: { id: string; user: string; database: string; session: Session }) {
    return {
      id: s.id,
      user: s.user,
      database: s.database,
      transactionStatus: s.session.transactionStatus,
      idleTimeoutMs: this.sessions.idleTimeoutMs,
    };
  }

  private async sql(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const started = performance.now();
    const user = await this.auth.user(req);
    const request = parseSqlRequest(req);
    const engine = this.engine();
    let statements: readonly Statement[];
    try {
      statements = parse(request.sql);
    } catch (e) {
      throw new StatementFailed(e, undefined, undefined);
    }
    if (statements.length === 0) throw httpErrors.invalidRequest('"sql" holds no statement');

    const explicit = request.sessionId !== undefined ? this.sessions.acquire(request.sessionId, user) : undefined;
    let session: Session;
    try {
      if (explicit && request.database !== undefined && request.database !== explicit.database) {
        throw httpErrors.invalidRequest(`session "${explicit.id}" is on database "${explicit.database}"`);
      }
      session = explicit ? explicit.session : engine.session(request.database ?? 'thinklite', user);
    } catch (e) {
      if (explicit) this.sessions.release(explicit);
      throw e;
    }

    // A client that goes away cancels what it asked for.
    let aborted = false;
    const onClose = () => {
      if (!reply.raw.writableEnded) {
        aborted = true;
        session.cancel();
      }
    };
    reply.raw.on('close', onClose);
    let finished!: () => void;
    if (!explicit) this.running.set(session, new Promise<void>((r) => (finished = r)));
    try {
      const timeoutMs = request.timeoutMs ?? (this.options.statementTimeoutMs || undefined);
      // Checked before each statement: a cancel between two statements would otherwise be lost.
      const interrupted = (): ThinkLiteError | undefined => {
        if (aborted) return new ThinkLiteError('QUERY_CANCELED', 'canceling statement due to user request');
        if (this.closing) {
          return new ThinkLiteError('ADMIN_SHUTDOWN', 'terminating connection due to administrator command');
        }
        if (explicit?.closed)
          return new ThinkLiteError('QUERY_CANCELED', 'canceling statement: the session was closed');
        return undefined;
      };
      const results = await this.runBatch(session, statements, request.params, timeoutMs || undefined, interrupted);
      const last = results[results.length - 1] as StatementResultJson;
      return {
        ...last,
        ...(results.length > 1 ? { results } : {}),
        ...(explicit ? { sessionId: explicit.id, transactionStatus: session.transactionStatus } : {}),
        timing: { ms: ms(started) },
      };
    } finally {
      reply.raw.off('close', onClose);
      if (explicit) this.sessions.release(explicit);
      else {
        // A one-shot request that left a transaction open (BEGIN without COMMIT) rolls it back.
        await rollbackOpen(session).catch((e) => this.log.warn({ err: e }, 'rollback failed'));
        this.running.delete(session);
        finished();
      }
    }
  }

  /**
   * Runs the statements in order, each with the time left of the request's timeout as its
   * statement_timeout. Several statements on an idle session, none of them transaction control,
   * run in one implicit transaction (all or nothing); when that fails with a retryable error
   * (40001) it is run again from the start — nothing has gone to the client yet.
   */
  private async runBatch(
    session: Session,
    statements: readonly Statement[],
    params: readonly unknown[],
    timeoutMs: number | undefined,
    interrupted: () => ThinkLiteError | undefined,
  ): Promise<StatementResultJson[]> {
    const implicit = runsAsImplicitTransaction(statements, session);
    const deadline = timeoutMs !== undefined ? performance.now() + timeoutMs : undefined;
    const savedTimeout = session.settings.get('statement_timeout');
    let setTimeoutTo: string | undefined;
    const index = (i: number) => (statements.length > 1 ? i : undefined);
    try {
      for (let attempt = 1; ; attempt++) {
        const results: StatementResultJson[] = [];
        if (implicit) await session.stream(fixed().begin, [], NOTHING);
        let i = 0;
        try {
          for (; i < statements.length; i++) {
            const stmt = statements[i] as Statement;
            const stop = interrupted();
            if (stop) throw stop;
            if (deadline !== undefined) {
              const left = Math.ceil(deadline - performance.now());
              if (left <= 0) {
                throw new ThinkLiteError('QUERY_CANCELED', 'canceling statement due to statement timeout');
              }
              setTimeoutTo = String(left);
              session.settings.set('statement_timeout', setTimeoutTo);
            }
            results.push(await this.runOne(session, stmt, params));
          }
          if (implicit) await session.stream(fixed().commit, [], NOTHING);
          return results;
        } catch (e) {
          if (implicit) await session.stream(fixed().rollback, [], NOTHING).catch(() => undefined);
          const retry =
            implicit &&
            attempt < IMPLICIT_ATTEMPTS &&
            interrupted() === undefined &&
            e instanceof ThinkLiteError &&
            e.retryable &&
            (deadline === undefined || performance.now() < deadline);
          if (retry) {
            this.log.debug({ attempt, err: e.message }, 'implicit transaction retried');
            continue;
          }
          const stmt = statements[Math.min(i, statements.length - 1)] as Statement;
          throw new StatementFailed(e, i < statements.length ? stmt.span : undefined, index(i));
        }
      }
    } finally {
      if (setTimeoutTo !== undefined && session.settings.get('statement_timeout') === setTimeoutTo) {
        session.settings.set('statement_timeout', savedTimeout ?? '0');
      }
    }
  }

  private async runOne(session: Session, stmt: Statement, params: readonly unknown[]): Promise<StatementResultJson> {
    const started = performance.now();
    let columns: readonly ResultColumn[] | undefined;
    const rows: JsonValue[][] = [];
    const ctx = { timeZone: session.settings.get('timezone') ?? 'UTC' };
    const r = await session.stream(stmt, params, {
      start: (cols) => {
        columns = cols;
      },
      rows: (batch) => {
        const cols = columns ?? [];
        for (const row of batch) rows.push(row.map((d, j) => toJson((cols[j] as (typeof cols)[number]).type, d, ctx)));
        return true;
      },
    });
    const command = commandOf(r.command);
    this.metrics.statementSeconds.observe(
      { command: command.split(' ')[0] || 'UNKNOWN' },
      (performance.now() - started) / 1000,
    );
    return {
      command,
      rowCount: r.rowCount,
      columns: (columns ?? r.columns).map(jsonColumn),
      rows,
      timing: { ms: ms(started) },
    };
  }
}
