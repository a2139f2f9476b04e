import { isThinkLiteError, type Logger, silentLogger, ThinkLiteError, type Timestamp } from '@thinklite/base';
import type { KvDb, KvTxn, Savepoint, TxnOptions } from '@thinklite/kv';
import { Catalog, DEFAULT_SCHEMA } from '../catalog/catalog.js';
import type { DatabaseDesc, SequenceDesc, TableDesc } from '../catalog/descriptors.js';
import { CATALOG_VERSION_KEY, sequenceKey } from '../catalog/keys.js';
import type { SessionFields } from '../functions/index.js';
import type { AnalyzeTarget, Expr, IsolationLevel, Statement, StatementNode, VacuumStmt } from '../parser/ast.js';
import { parse } from '../parser/parse.js';
import '../system/functions.js';
import { CatalogModel } from '../system/model.js';
import { needsCatalogModel } from '../system/reg.js';
import type { TypeContext } from '../types/datetime.js';
import type { Interval } from '../types/interval.js';
import { formatText, parseText } from '../types/text-io.js';
import { type SqlType, Types, typeName } from '../types/type.js';
import { boundsFromWhere, chooseAccess, describeAccess } from './access.js';
import { alterTable } from './alter.js';
import {
  type QueryResult,
  type ResultColumn,
  type RowIdSource,
  type RowSink,
  type SequenceSource,
  type StatementContext,
  statementContext,
} from './context.js';
import { type CopyIo, runCopy } from './copy.js';
import {
  createDatabase,
  createIndex,
  createSchema,
  createSequence,
  createTable,
  createView,
  drop,
  truncate,
} from './ddl.js';
import { runDelete, runInsert, runUpdate } from './dml.js';
import { sqlError } from './errors.js';
import { formatPlan, type PlanNode, planNode } from './explain.js';
import { ExprBinder, ParamTypes } from './expr.js';
import { MemoryAccount, parseBytes } from './memory.js';
import { bindTable, deliver, runSelect } from './query.js';
import { nextvalSites, resolveSequenceCalls, SequenceCache } from './sequences.js';
import { analyzeTable, readStats, type TableStats } from './stats.js';

/**
 * A SQL session: one connection's state — its database, settings and transaction — running
 * statements on the transactional KV API. Outside BEGIN each statement is its own transaction,
 * retried automatically when it must restart (40001), as CockroachDB does for implicit
 * transactions; inside BEGIN a failed statement aborts the transaction (25P02 until ROLLBACK), as
 * in PostgreSQL.
 */

const err = sqlError;
const done = (command: string): QueryResult => ({ command, rowCount: 0, columns: [], rows: [] });

/** The settings a session starts with (what drivers ask for with SHOW and ParameterStatus). */
export const DEFAULT_SETTINGS: Readonly<Record<string, string>> = {
  application_name: '',
  client_encoding: 'UTF8',
  datestyle: 'ISO, MDY',
  default_transaction_isolation: 'serializable',
  enable_hashjoin: 'on',
  enable_mergejoin: 'on',
  enable_nestloop: 'on',
  from_collapse_limit: '8',
  extra_float_digits: '1',
  integer_datetimes: 'on',
  intervalstyle: 'postgres',
  query_memory_limit: '1GB',
  search_path: '"$user", public',
  server_encoding: 'UTF8',
  server_version: '15.0',
  standard_conforming_strings: 'on',
  statement_timeout: '0',
  timezone: 'UTC',
};

/** How long a statement works before it lets other connections' events run. */
const YIELD_EVERY_MS = 10;

/** A duration setting in milliseconds: a bare number, or with a unit (ms, s, min, h, d). */
function parseDurationMs(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/i.exec(text);
  if (!m) return 0;
  const unit: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(m[1]) * (unit[(m[2] ?? 'ms').toLowerCase()] as number);
}

/**
 * How a statement is run: the parameter types the client declared (the extended protocol's
 * Parse), and for COPY the client's data in or out.
 */
export interface StatementOptions {
  readonly paramTypes?: readonly (SqlType | undefined)[];
  readonly copy?: CopyIo;
  /**
   * The caller's own stop (a gRPC call's deadline or cancel), checked with the interrupts: unlike
   * cancel(), which only a running statement hears, a stop that came before the statement started
   * is not lost.
   */
  readonly stopped?: () => boolean;
}

const maxParams = new WeakMap<object, number>();

/** The highest `$n` a statement mentions (remembered per parsed statement). */
function maxParam(stmt: unknown): number {
  if (stmt === null || typeof stmt !== 'object') return 0;
  let known = maxParams.get(stmt);
  if (known === undefined) {
    known = scanMaxParam(stmt);
    maxParams.set(stmt, known);
  }
  return known;
}

function scanMaxParam(stmt: unknown): number {
  let max = 0;
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    const node = v as { kind?: string; number?: number };
    if (node.kind === 'param' && typeof node.number === 'number') max = Math.max(max, node.number);
    for (const x of Object.values(node)) visit(x);
  };
  visit(stmt);
  return max;
}

const BOOLEAN_SETTINGS: ReadonlySet<string> = new Set(['enable_hashjoin', 'enable_mergejoin', 'enable_nestloop']);

/** A Boolean setting's value as PostgreSQL reads it (on/off, true/false, yes/no, 1/0, prefixes). */
function parseBoolSetting(text: string): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (v === '') return undefined;
  if (v === '1' || (v.length >= 2 && 'on'.startsWith(v)) || 'true'.startsWith(v) || 'yes'.startsWith(v)) {
    return true;
  }
  if (v === '0' || (v.length >= 2 && 'off'.startsWith(v)) || 'false'.startsWith(v) || 'no'.startsWith(v)) return false;
  return undefined;
}

const IMPLICIT_ATTEMPTS = 10;
const DEFAULT_MEMORY_LIMIT = 1024 ** 3;
const MICROS_1970_TO_2000 = 946_684_800_000_000n;

/** The pieces of an engine a session runs on. */
export interface SessionHost {
  /** Called after a commit with the rows written to a table (automatic statistics). */
  tableWritten?(database: string, tableId: number, rows: number): void;
  readonly kv: KvDb;
  readonly rowIds: RowIdSource;
  readonly sequences: SequenceSource;
  readonly logger: Logger;
}

function isolationOf(level: IsolationLevel | undefined): TxnOptions['isolation'] {
  if (level === undefined || level === 'serializable') return 'serializable';
  // PostgreSQL's REPEATABLE READ is snapshot isolation; READ COMMITTED gets the stronger snapshot.
  return 'snapshot';
}

export class Session {
  private txn: KvTxn | undefined;
  private failed = false;
  private savepoints: { name: string; sp: Savepoint }[] = [];
  readonly settings = new Map<string, string>(Object.entries(DEFAULT_SETTINGS));
  private databaseDesc: DatabaseDesc | undefined;
  private readonly sequenceCache: SequenceCache;
  private readonly log: Logger;

  constructor(
    private readonly host: SessionHost,
    readonly database: string,
    readonly user = 'thinklite',
  ) {
    this.log = host.logger.child({ component: 'session', database });
    this.sequenceCache = new SequenceCache(host.sequences);
  }

  /** 'idle', 'open' (inside BEGIN) or 'failed' (inside BEGIN, after an error): ReadyForQuery's I/T/E. */
  get transactionStatus(): 'idle' | 'open' | 'failed' {
    if (!this.txn) return 'idle';
    return this.failed ? 'failed' : 'open';
  }

  /**
   * The settings expressions see: the time zone, the transaction's timestamp (now()), and the
   * session facts the information functions report (current_database(), current_user, …).
   */
  private typeContext(txn?: KvTxn): TypeContext & SessionFields {
    // now() is the transaction's start: its first snapshot (a read refresh moves the snapshot later).
    let now: bigint | undefined;
    if (txn) {
      now = this.txnNow.get(txn);
      if (now === undefined) {
        now = BigInt(txn.readTimestamp.wall) - MICROS_1970_TO_2000;
        this.txnNow.set(txn, now);
      }
    }
    // One object literal of one shape (see run()).
    return {
      timeZone: this.settings.get('timezone') ?? 'UTC',
      database: this.database,
      user: this.user,
      sessionUser: this.user,
      schema: this.searchPath()[0] ?? DEFAULT_SCHEMA,
      statementNow: BigInt(Math.round(performance.timeOrigin * 1000 + performance.now() * 1000)) - MICROS_1970_TO_2000,
      now,
    };
  }

  private readonly txnNow = new WeakMap<KvTxn, bigint>();

  /** The search path's schemas, parsed once per value of the setting (every statement asks). */
  private searchPath(): readonly string[] {
    const raw = this.settings.get('search_path') ?? DEFAULT_SCHEMA;
    if (raw !== this.searchPathOf) {
      this.searchPathParsed = raw
        .split(',')
        .map((s) => s.trim().replace(/^"(.*)"$/, '$1'))
        .filter((s) => s !== '$user' && s !== '');
      this.searchPathOf = raw;
    }
    return this.searchPathParsed;
  }
  private searchPathOf: string | undefined;
  private searchPathParsed: readonly string[] = [];

  /** The planner's switches and the memory limit, read once per value of their settings. */
  private statementSettings(): { planner: StatementContext['planner']; memoryLimit: number } {
    const get = (k: string) => this.settings.get(k) ?? '';
    const key = `${get('enable_hashjoin')}|${get('enable_mergejoin')}|${get('enable_nestloop')}|${get('from_collapse_limit')}|${get('query_memory_limit')}`;
    if (key !== this.statementSettingsOf || !this.statementSettingsParsed) {
      this.statementSettingsParsed = {
        planner: {
          hashJoin: get('enable_hashjoin') !== 'off',
          mergeJoin: get('enable_mergejoin') !== 'off',
          nestLoop: get('enable_nestloop') !== 'off',
          fromCollapseLimit: Number.parseInt(this.settings.get('from_collapse_limit') ?? '8', 10) || 8,
        },
        memoryLimit: parseBytes(get('query_memory_limit')) ?? DEFAULT_MEMORY_LIMIT,
      };
      this.statementSettingsOf = key;
    }
    return this.statementSettingsParsed;
  }
  private statementSettingsOf: string | undefined;
  private statementSettingsParsed: { planner: StatementContext['planner']; memoryLimit: number } | undefined;

  /**
   * What a statement takes and returns, found without running it (the extended protocol's
   * Describe): its parameters' types — declared, else inferred from use, else text — and its
   * result columns (none for a statement without rows). The statement is planned over empty
   * tables inside a transaction that is then rolled back, so nothing is read or written.
   */
  async describe(
    stmt: Statement | StatementNode,
    declared: readonly (SqlType | undefined)[] = [],
  ): Promise<{ params: SqlType[]; columns: ResultColumn[] }> {
    // Counted on first use: a Describe answered from memory (below) walks no tree.
    let counted: number | undefined;
    const paramCount = () => {
      counted ??= Math.max(declared.length, maxParam(stmt));
      return counted;
    };
    const types = new ParamTypes(declared);
    const finish = (columns: ResultColumn[]) => ({
      params: Array.from({ length: paramCount() }, (_, i) => {
        const t = types.get(i + 1);
        return t && t.kind !== 'unknown' ? t : Types.text;
      }),
      columns,
    });
    switch (stmt.kind) {
      case 'select':
      case 'insert':
      case 'update':
      case 'delete':
        break;
      case 'show':
        return finish(
          stmt.name === undefined
            ? ['name', 'setting', 'description'].map((name) => ({ name, type: Types.text }))
            : [{ name: stmt.name.toLowerCase(), type: Types.text }],
        );
      case 'explain':
        return finish([{ name: 'QUERY PLAN', type: Types.text }]);
      default:
        return finish([]);
    }
    if (this.failed) throw this.abortedError();
    const own = this.txn === undefined;
    const txn = this.txn ?? this.host.kv.begin({});
    const sp = own ? undefined : txn.savepoint();
    try {
      // A prepared statement is described again before every execution by most drivers (libpq's
      // PQexecPrepared sends Describe portal each time): while the catalog is at the same version
      // the answer cannot change, so it is remembered per statement, search path and declared types.
      const token = (await txn.get(CATALOG_VERSION_KEY))?.toString('hex') ?? '';
      const key = `${this.searchPath().join(',')}|${declared.map((t) => (t ? typeName(t) : '')).join(',')}`;
      let byKey = this.described.get(stmt);
      const hit = byKey?.get(key);
      if (hit && hit.token === token) return { params: [...hit.result.params], columns: [...hit.result.columns] };
      const base = statementContext(
        txn,
        await this.database_(txn),
        this.searchPath(),
        this.typeContext(txn),
        types,
        new Array(paramCount()).fill(null),
        this.host.rowIds,
        this.host.sequences,
        new MemoryAccount(DEFAULT_MEMORY_LIMIT),
      );
      const r = await this.dispatch({ ...base, describeOnly: true, tableStats: this.tableStats }, stmt, []);
      const result = finish([...r.columns]);
      if (!byKey) {
        byKey = new Map();
        this.described.set(stmt, byKey);
      }
      byKey.set(key, { token, result });
      return result;
    } finally {
      if (own) await txn.rollback();
      else txn.rollbackTo(sp as Savepoint);
    }
  }

  /** Describe's answers by statement, valid while the catalog version token is the one recorded. */
  private readonly described = new WeakMap<
    object,
    Map<string, { token: string; result: { params: SqlType[]; columns: ResultColumn[] } }>
  >();

  /** Runs every statement of `sql`; returns one result per statement. */
  async execute(sql: string, params: readonly unknown[] = []): Promise<QueryResult[]> {
    const out: QueryResult[] = [];
    for (const stmt of parse(sql)) out.push(await this.executeStatement(stmt, params));
    return out;
  }

  async executeStatement(
    stmt: Statement | StatementNode,
    params: readonly unknown[] = [],
    sink?: RowSink,
    options: StatementOptions = {},
  ): Promise<QueryResult> {
    this.cancelPending = false;
    const timeout = parseDurationMs(this.settings.get('statement_timeout') ?? '0');
    this.deadline = timeout > 0 ? performance.now() + timeout : undefined;
    this.stopped = options.stopped;
    this.running = true;
    try {
      return await this.executeStatement_(stmt, params, sink, options);
    } catch (e) {
      if (e instanceof ThinkLiteError) throw e;
      // A bug, not bad input: still one coded error, and the session goes on.
      this.log.error({ err: e }, 'internal error');
      if (this.txn) this.failed = true;
      throw new ThinkLiteError(
        'INTERNAL_ERROR',
        `internal error: ${(e as Error).message ?? String(e)}`,
        {},
        { cause: e },
      );
    } finally {
      this.running = false;
      this.cancelPending = false;
      this.stopped = undefined;
    }
  }

  /** Statistics for the planner, from a read-only snapshot of their own (see StatementContext.tableStats). */
  private readonly tableStats = async (tableId: number): Promise<TableStats | undefined> => {
    const snapshot = this.host.kv.begin({ readOnly: true });
    try {
      return await readStats(snapshot, tableId);
    } finally {
      await snapshot.rollback();
    }
  };

  private running = false;
  private cancelPending = false;
  private deadline: number | undefined;
  private stopped: (() => boolean) | undefined;

  /**
   * Asks the running statement to stop (PostgreSQL's CancelRequest): it fails with 57014 at its
   * next check — every batch a scan or a function in FROM produces. Without a running statement
   * this does nothing.
   */
  cancel(): void {
    if (this.running) this.cancelPending = true;
  }

  private lastYield = 0;

  /**
   * CHECK_FOR_INTERRUPTS: throws if the statement was cancelled or ran past statement_timeout.
   * Every few milliseconds of work it also lets the event loop run (one process serves every
   * connection: a long statement must not starve the others, nor the cancel request that would
   * stop it).
   */
  private readonly checkInterrupts = async (): Promise<void> => {
    const now = performance.now();
    if (now - this.lastYield > YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.lastYield = performance.now();
    }
    if (this.cancelPending || this.stopped?.()) {
      this.cancelPending = false;
      throw err('QUERY_CANCELED', 'canceling statement due to user request');
    }
    if (this.deadline !== undefined && performance.now() > this.deadline) {
      throw err('QUERY_CANCELED', 'canceling statement due to statement timeout');
    }
  };

  /**
   * Runs one statement, its rows going to `sink` in batches as they are produced (a query with
   * nothing to sort or deduplicate never holds its result); the result returned then carries only
   * the count. An implicit transaction is retried on 40001 only while no row has gone out.
   */
  async stream(
    stmt: Statement | StatementNode,
    params: readonly unknown[],
    sink: RowSink,
    options: StatementOptions = {},
  ): Promise<QueryResult> {
    let started = false;
    const once: RowSink = {
      start: (columns) => {
        if (!started) sink.start(columns);
        started = true;
      },
      rows: (batch) => sink.rows(batch),
    };
    const r = await this.executeStatement(stmt, params, once, options);
    // Statements other than SELECT (INSERT … RETURNING, SHOW, EXPLAIN) return their rows whole.
    return r.rows.length > 0 || (r.columns.length > 0 && !started) ? deliver(once, r) : r;
  }

  private async executeStatement_(
    stmt: Statement | StatementNode,
    params: readonly unknown[],
    sink: RowSink | undefined,
    options: StatementOptions,
  ): Promise<QueryResult> {
    switch (stmt.kind) {
      case 'begin':
        if (this.txn) return done('BEGIN'); // PostgreSQL warns and carries on
        this.txn = this.host.kv.begin({
          isolation: isolationOf(stmt.isolationLevel),
          readOnly: stmt.readOnly === true,
          ...(stmt.asOfSystemTime ? { asOf: this.asOfTimestamp(stmt.asOfSystemTime, params) } : {}),
        });
        this.failed = false;
        this.savepoints = [];
        return done('BEGIN');
      case 'commit': {
        const txn = this.txn;
        if (!txn) return done('COMMIT');
        const wasFailed = this.failed;
        this.endTxn();
        if (wasFailed) {
          await txn.rollback();
          return done('ROLLBACK');
        }
        await txn.commit();
        this.reportWrites();
        return done('COMMIT');
      }
      case 'rollback': {
        const txn = this.txn;
        this.endTxn();
        if (txn) await txn.rollback();
        return done('ROLLBACK');
      }
      case 'savepoint':
        this.requireBlock('SAVEPOINT');
        if (this.failed) throw this.abortedError();
        this.savepoints.push({ name: stmt.name, sp: (this.txn as KvTxn).savepoint() });
        return done('SAVEPOINT');
      case 'releaseSavepoint': {
        this.requireBlock('RELEASE SAVEPOINT');
        if (this.failed) throw this.abortedError();
        const i = this.findSavepoint(stmt.name);
        this.savepoints.length = i;
        return done('RELEASE');
      }
      case 'rollbackToSavepoint': {
        this.requireBlock('ROLLBACK TO SAVEPOINT');
        const i = this.findSavepoint(stmt.name);
        const { sp } = this.savepoints[i] as { sp: Savepoint };
        (this.txn as KvTxn).rollbackTo(sp);
        this.savepoints.length = i + 1;
        this.failed = false;
        return done('ROLLBACK');
      }
      case 'set':
        return this.set(stmt);
      case 'reset':
        if (stmt.name === undefined) for (const [k, v] of Object.entries(DEFAULT_SETTINGS)) this.settings.set(k, v);
        else this.settings.set(stmt.name.toLowerCase(), DEFAULT_SETTINGS[stmt.name.toLowerCase()] ?? '');
        return done('RESET');
      case 'show':
        return this.show(stmt.name);
      default:
        break;
    }
    if (this.txn) {
      if (this.failed) throw this.abortedError();
      try {
        const r = await this.run(this.txn, stmt, params, sink, options);
        this.noteWrites(r);
        return r;
      } catch (e) {
        this.failed = true;
        throw e;
      }
    }
    // A historical read runs alone in a read-only transaction at its timestamp.
    const asOf =
      stmt.kind === 'select' && stmt.asOfSystemTime ? this.asOfTimestamp(stmt.asOfSystemTime, params) : undefined;
    let sent = false;
    const tracked: RowSink | undefined = sink && {
      start: (columns) => sink.start(columns),
      rows: (batch) => {
        sent = true;
        return sink.rows(batch);
      },
    };
    for (let attempt = 1; ; attempt++) {
      const txn = this.host.kv.begin(asOf ? { asOf } : {});
      try {
        const r = await this.run(txn, stmt, params, tracked, options);
        await txn.commit();
        this.noteWrites(r);
        this.reportWrites();
        return r;
      } catch (e) {
        await txn.rollback();
        // A COPY's data cannot be read twice, nor rows already sent be taken back: no retry then.
        if (!(isThinkLiteError(e) && e.retryable) || attempt >= IMPLICIT_ATTEMPTS || sent || options.copy) throw e;
        this.log.debug({ attempt, err: e.message }, 'implicit transaction retried');
      }
    }
  }

  /**
   * The timestamp of `AS OF SYSTEM TIME expr` (CockroachDB's forms): a negative interval before
   * now ('-10s'), a timestamp, or nanoseconds since 1970 as a number.
   */
  private asOfTimestamp(e: Expr, params: readonly unknown[]): Timestamp {
    const ctx = this.typeContext();
    const binder = new ExprBinder({ params: new ParamTypes(), ctx });
    const bound = binder.bind(e, { columns: [] });
    const v = bound.eval([], { params, ctx });
    const nowWall = this.host.kv.now().wall;
    const fromInterval = (iv: Interval) =>
      nowWall + Number(BigInt(iv.months) * 30n * 86_400_000_000n + BigInt(iv.days) * 86_400_000_000n + iv.micros);
    let wall: number;
    if (v === null) throw err('INVALID_PARAMETER_VALUE', 'AS OF SYSTEM TIME: the timestamp must not be NULL');
    if (bound.type.kind === 'unknown' || bound.type.kind === 'text') {
      const text = String(v).trim();
      if (text.startsWith('-')) wall = fromInterval(parseText(Types.interval, text, ctx) as Interval);
      else if (/^\d+(\.\d+)?$/.test(text)) wall = Math.floor(Number(text.split('.')[0]) / 1000);
      else wall = Number((parseText(Types.timestamptz, text, ctx) as bigint) + MICROS_1970_TO_2000);
    } else if (bound.type.kind === 'interval') wall = fromInterval(v as Interval);
    else if (bound.type.kind === 'timestamptz' || bound.type.kind === 'timestamp')
      wall = Number((v as bigint) + MICROS_1970_TO_2000);
    else if (bound.type.kind === 'int8' || bound.type.kind === 'int4' || bound.type.kind === 'numeric')
      wall = Math.floor(Number(String(v).split('.')[0]) / 1000);
    else throw err('INVALID_PARAMETER_VALUE', `AS OF SYSTEM TIME: a ${bound.type.kind} is not a timestamp`);
    if (wall > nowWall) throw err('INVALID_PARAMETER_VALUE', 'AS OF SYSTEM TIME: the timestamp is in the future');
    return { wall, logical: 0 };
  }

  /** Rows this transaction wrote, per table, reported at commit (for automatic statistics). */
  private writes = new Map<number, number>();

  private noteWrites(r: QueryResult): void {
    if (r.writtenTable !== undefined && r.rowCount > 0)
      this.writes.set(r.writtenTable, (this.writes.get(r.writtenTable) ?? 0) + r.rowCount);
  }

  private reportWrites(): void {
    for (const [table, rows] of this.writes) this.host.tableWritten?.(this.database, table, rows);
    this.writes.clear();
  }

  private endTxn(): void {
    this.writes.clear();
    this.txn = undefined;
    this.failed = false;
    this.savepoints = [];
  }

  private requireBlock(what: string): void {
    if (!this.txn) throw err('NO_ACTIVE_SQL_TRANSACTION', `${what} can only be used in transaction blocks`);
  }

  private findSavepoint(name: string): number {
    for (let i = this.savepoints.length - 1; i >= 0; i--) if (this.savepoints[i]?.name === name) return i;
    throw err('INVALID_SAVEPOINT', `savepoint "${name}" does not exist`);
  }

  private abortedError(): ThinkLiteError {
    return err(
      'IN_FAILED_SQL_TRANSACTION',
      'current transaction is aborted, commands ignored until end of transaction block',
    );
  }

  private async database_(txn: KvTxn): Promise<DatabaseDesc> {
    if (this.databaseDesc) return this.databaseDesc;
    const d = await new Catalog(txn).database(this.database);
    if (!d) throw err('INVALID_CATALOG_NAME', `database "${this.database}" does not exist`);
    this.databaseDesc = d;
    return d;
  }

  private async run(
    txn: KvTxn,
    stmt: StatementNode,
    params: readonly unknown[],
    sink?: RowSink,
    options: StatementOptions = {},
  ): Promise<QueryResult> {
    const db = await this.database_(txn);
    const settings = this.statementSettings();
    const base = statementContext(
      txn,
      db,
      this.searchPath(),
      this.typeContext(txn),
      new ParamTypes(options.paramTypes),
      params,
      this.host.rowIds,
      this.host.sequences,
      new MemoryAccount(settings.memoryLimit),
    );
    // The catalog's information functions and `::regclass` casts evaluate synchronously over one read of the catalog.
    if (needsCatalogModel(stmt)) {
      (base.typeContext as { catalogModel?: CatalogModel }).catalogModel = await CatalogModel.load(base);
    }
    // Sequence calls are resolved before the statement runs; each row first fetches the values it may take.
    const cache = this.sequenceCache;
    const found = resolveSequenceCalls(base, [stmt]);
    const calls = found instanceof Map ? found : await found;
    const sites = nextvalSites(calls);
    // Every field written out, none spread: one object of one shape per statement (a spread of
    // the context with conditional parts cost a tenth of a point SELECT's time).
    const sc: StatementContext = {
      txn: base.txn,
      catalog: base.catalog,
      database: base.database,
      searchPath: base.searchPath,
      typeContext: base.typeContext,
      params: base.params,
      env: { params: base.env.params, ctx: base.env.ctx, sequences: cache },
      rowIds: base.rowIds,
      sequences: base.sequences,
      memory: base.memory,
      sequenceCalls: calls.size > 0 ? calls : undefined,
      beforeRow:
        sites.size > 0
          ? async () => {
              for (const [seq, n] of sites) await cache.ensure(seq, n);
            }
          : undefined,
      checkInterrupts: this.checkInterrupts,
      tableStats: this.tableStats,
      planner: settings.planner,
    };
    const result = await this.dispatch(sc, stmt, params, sink, options.copy);
    if (cache.pending) await cache.flush(sc);
    return result;
  }

  private async dispatch(
    sc: StatementContext,
    stmt: StatementNode,
    params: readonly unknown[],
    sink?: RowSink,
    copy?: CopyIo,
  ): Promise<QueryResult> {
    switch (stmt.kind) {
      case 'select':
        if (stmt.asOfSystemTime && this.txn && !this.txn.readOnly) {
          throw err('FEATURE_NOT_SUPPORTED', 'AS OF SYSTEM TIME inside a transaction must be given to BEGIN');
        }
        return runSelect(sc, stmt, false, sink);
      case 'insert':
        return runInsert(sc, stmt);
      case 'update':
        return runUpdate(sc, stmt);
      case 'delete':
        return runDelete(sc, stmt);
      case 'createTable':
        return createTable(sc, stmt);
      case 'createIndex':
        return createIndex(sc, stmt);
      case 'drop':
        return drop(sc, stmt, this.txn !== undefined);
      case 'createSchema':
        return createSchema(sc, stmt);
      case 'createDatabase':
        if (this.txn) throw err('ACTIVE_SQL_TRANSACTION', 'CREATE DATABASE cannot run inside a transaction block');
        return createDatabase(sc, stmt);
      case 'createView':
        return createView(sc, stmt, (q) => runSelect(sc, q));
      case 'truncate':
        return truncate(sc, stmt);
      case 'createSequence':
        return createSequence(sc, stmt);
      case 'analyze':
        await analyzeTargets(sc, stmt.tables);
        return done('ANALYZE');
      case 'vacuum':
        return vacuum(sc, stmt, this.txn !== undefined);
      case 'alterTable':
        return alterTable(sc, stmt);
      case 'explain':
        return this.explain(sc, stmt, params);
      case 'copy':
        return runCopy(sc, stmt, copy);
      default:
        throw err('FEATURE_NOT_SUPPORTED', `${stmt.kind} statements are not supported yet`);
    }
  }

  /**
   * EXPLAIN [ANALYZE]: the plan as rows of text. Without ANALYZE nothing is read or written
   * (uncorrelated subqueries and FROM subqueries are planned, not run); with it the statement runs
   * — inside the statement's transaction, so EXPLAIN ANALYZE of a write writes, as in PostgreSQL.
   */
  private async explain(
    sc: StatementContext,
    stmt: Extract<StatementNode, { kind: 'explain' }>,
    params: readonly unknown[],
  ): Promise<QueryResult> {
    const inner = stmt.statement;
    let root: PlanNode;
    const started = performance.now();
    if (inner.kind === 'select') {
      const r = await runSelect(
        stmt.analyze ? { ...sc, explaining: true } : { ...sc, explainOnly: true, explaining: true },
        inner,
      );
      root = r.plan ?? planNode('query');
    } else if (inner.kind === 'insert' || inner.kind === 'update' || inner.kind === 'delete') {
      const target = inner.table.name.join('.');
      const label = `${inner.kind} on ${target}`;
      if (stmt.analyze) {
        const r = await this.run(sc.txn, inner, params);
        root = planNode(label);
        root.rows = r.rowCount;
      } else if (inner.kind === 'insert') {
        root = planNode(label, planNode(inner.source.kind === 'defaultValues' ? 'default values' : 'rows to insert'));
      } else {
        const bt = await bindTable(sc, inner.table);
        const binder = new ExprBinder({ params: sc.params, ctx: sc.typeContext });
        const path = chooseAccess(bt, boundsFromWhere(bt, inner.where, binder));
        root = planNode(
          label,
          inner.where
            ? planNode('filter (WHERE)', planNode(describeAccess(bt, path)))
            : planNode(describeAccess(bt, path)),
        );
      }
    } else {
      throw err('FEATURE_NOT_SUPPORTED', `EXPLAIN of ${inner.kind} statements is not supported`);
    }
    const lines = formatPlan(root, stmt.analyze);
    if (stmt.analyze) lines.push(`Execution Time: ${(performance.now() - started).toFixed(3)} ms`);
    return {
      command: 'EXPLAIN',
      rowCount: lines.length,
      columns: [{ name: 'QUERY PLAN', type: Types.text }],
      rows: lines.map((l) => [l]),
    };
  }

  private set(stmt: Extract<StatementNode, { kind: 'set' }>): QueryResult {
    const name = stmt.name.toLowerCase();
    if (stmt.value.kind === 'default') {
      this.settings.set(name, DEFAULT_SETTINGS[name] ?? '');
      return done('SET');
    }
    const binder = new ExprBinder({ params: new ParamTypes(), ctx: this.typeContext() });
    const parts = stmt.value.values.map((e) => {
      if (e.kind === 'columnRef') return e.names.join('.');
      const b = binder.bind(e, { columns: [] });
      const v = b.eval([], { params: [], ctx: this.typeContext() });
      return v === null ? '' : typeof v === 'string' ? v : formatText(b.type, v, this.typeContext());
    });
    const value = parts.join(', ');
    if (name === 'from_collapse_limit' && !/^\s*[1-9]\d*\s*$/.test(value)) {
      throw err('INVALID_PARAMETER_VALUE', `invalid value for parameter "from_collapse_limit": "${value}"`);
    }
    if (name === 'statement_timeout' && !/^\s*\d+(\.\d+)?\s*(ms|s|min|h|d)?\s*$/i.test(value)) {
      throw err('INVALID_PARAMETER_VALUE', `invalid value for parameter "statement_timeout": "${value}"`);
    }
    if (name === 'query_memory_limit' && parseBytes(value) === undefined) {
      throw err('INVALID_PARAMETER_VALUE', `invalid value for parameter "query_memory_limit": "${value}"`);
    }
    if (BOOLEAN_SETTINGS.has(name)) {
      const on = parseBoolSetting(value);
      if (on === undefined) {
        throw err('INVALID_PARAMETER_VALUE', `parameter "${name}" requires a Boolean value`);
      }
      this.settings.set(name, on ? 'on' : 'off');
      return done('SET');
    }
    if (name === 'client_encoding' && !/^(utf-?8|unicode|sql_ascii)$/i.test(value.trim())) {
      // Every string goes out as UTF-8: other encodings are refused, not silently ignored.
      throw err('FEATURE_NOT_SUPPORTED', `conversion between ${value} and UTF8 is not supported`);
    }
    if (name === 'timezone') {
      // Validate now: a bad zone is an error at SET time, as in PostgreSQL.
      formatText(Types.timestamptz, 0n, { timeZone: value });
    }
    this.settings.set(name, value);
    return done('SET');
  }

  private show(name: string | undefined): QueryResult {
    if (name === undefined) {
      const rows = [...this.settings.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v, '']);
      return {
        command: 'SHOW',
        rowCount: rows.length,
        columns: [
          { name: 'name', type: Types.text },
          { name: 'setting', type: Types.text },
          { name: 'description', type: Types.text },
        ],
        rows,
      };
    }
    const key = name.toLowerCase();
    const value =
      key === 'transaction_isolation' || key === 'transaction isolation level'
        ? this.txn
          ? this.txn.isolation === 'serializable'
            ? 'serializable'
            : 'repeatable read'
          : 'serializable'
        : this.settings.get(key);
    if (value === undefined) throw err('UNDEFINED_OBJECT', `unrecognized configuration parameter "${name}"`);
    return { command: 'SHOW', rowCount: 1, columns: [{ name: key, type: Types.text }], rows: [[value]] };
  }
}

/** Sequences advance in their own small transactions, outside the caller's (PostgreSQL's nextval). */
export function kvSequences(kv: KvDb): SequenceSource {
  return {
    async next(seq: SequenceDesc): Promise<bigint> {
      return kv.txn(async (txn) => {
        const key = sequenceKey(seq.id);
        const raw = await txn.get(key);
        const last = raw ? raw.readBigInt64BE(0) : undefined;
        let next = last === undefined ? seq.start : last + seq.increment;
        if (next > seq.maxValue || next < seq.minValue) {
          if (!seq.cycle) {
            throw new ThinkLiteError(
              'SEQUENCE_GENERATOR_LIMIT_EXCEEDED',
              `nextval: reached ${next > seq.maxValue ? 'maximum' : 'minimum'} value of sequence "${seq.name}" (${next > seq.maxValue ? seq.maxValue : seq.minValue})`,
            );
          }
          next = seq.increment > 0n ? seq.minValue : seq.maxValue;
        }
        const buf = Buffer.alloc(8);
        buf.writeBigInt64BE(next);
        txn.put(key, buf);
        return next;
      });
    },
    async store(seq: SequenceDesc, last: bigint): Promise<void> {
      await kv.txn(async (txn) => {
        const buf = Buffer.alloc(8);
        buf.writeBigInt64BE(last);
        txn.put(sequenceKey(seq.id), buf);
      });
    },
  };
}

/** One of `count` processes making rowids for one store: the `index`-th. */
export interface RowIdSlot {
  readonly index: number;
  readonly count: number;
}

/**
 * Unique, increasing rowids from the clock: microseconds × 1024, bumped past the last one issued.
 * With several processes, each one's rowids are ≡ its slot's index modulo their count (CockroachDB's
 * unique_rowid puts the node id in the low bits the same way), so no two processes make the same one.
 */
export function clockRowIds(kv: KvDb, slot: RowIdSlot = { index: 0, count: 1 }): RowIdSource {
  const step = BigInt(slot.count);
  const index = BigInt(slot.index);
  let last = -1n;
  return {
    next(): bigint {
      const ts = kv.now();
      const wall = BigInt(ts.wall) * 1024n;
      const candidate = wall - (wall % step) + index;
      last = candidate > last ? candidate : last + step;
      return last;
    },
  };
}

export { silentLogger };

/** ANALYZE of the tables named (with their columns), or of every table of the database. */
async function analyzeTargets(sc: StatementContext, tables: readonly AnalyzeTarget[]): Promise<void> {
  const targets =
    tables.length > 0
      ? tables
      : (await sc.catalog.all())
          .filter((d): d is TableDesc => d.kind === 'table' && d.databaseId === sc.database.id)
          .map((t) => ({ table: [t.name], columns: [], desc: t }));
  for (const target of targets) {
    const t =
      'desc' in target
        ? (target.desc as TableDesc)
        : await sc.catalog.resolveTable(sc.database, sc.searchPath, target.table);
    const ids = target.columns.map((n) => {
      const c = t.columns.find((x) => x.name === n && !x.hidden);
      if (!c) throw err('UNDEFINED_COLUMN', `column "${n}" of relation "${t.name}" does not exist`);
      return c.id;
    });
    await analyzeTable(sc.txn, t, ids.length > 0 ? ids : undefined);
  }
}

/** PostgreSQL 15's VACUUM options. */
const VACUUM_OPTIONS: ReadonlySet<string> = new Set([
  'verbose',
  'skip_locked',
  'analyze',
  'freeze',
  'full',
  'disable_page_skipping',
  'index_cleanup',
  'process_toast',
  'truncate',
  'parallel',
]);

/**
 * VACUUM [ANALYZE]: there is nothing to vacuum — old MVCC versions are collected by the storage
 * layer — so VACUUM checks what PostgreSQL checks (its options, the tables, no transaction
 * block: 25001) and, with ANALYZE, analyzes.
 */
async function vacuum(sc: StatementContext, stmt: VacuumStmt, inBlock: boolean): Promise<QueryResult> {
  let analyze = false;
  for (const o of stmt.options) {
    if (!VACUUM_OPTIONS.has(o.name)) throw err('SYNTAX_ERROR', `unrecognized VACUUM option "${o.name}"`, o.location);
    if (o.name === 'analyze') analyze = o.value === undefined || optionTruth(o.value);
  }
  if (!analyze && stmt.tables.some((t) => t.columns.length > 0)) {
    throw err('FEATURE_NOT_SUPPORTED', 'ANALYZE option must be specified when a column list is provided');
  }
  if (inBlock) throw err('ACTIVE_SQL_TRANSACTION', 'VACUUM cannot run inside a transaction block');
  for (const t of stmt.tables) await sc.catalog.resolveTable(sc.database, sc.searchPath, t.table);
  if (analyze) await analyzeTargets(sc, stmt.tables);
  return done('VACUUM');
}

/** A Boolean option's value (`ANALYZE off`, `ANALYZE 0`). */
function optionTruth(v: string | number | boolean | readonly string[]): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  return parseBoolSetting(typeof v === 'string' ? v : v.join('.')) !== false;
}
