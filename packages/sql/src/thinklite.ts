import * as fs from 'node:fs';
import { createLogger, createRegistry, type Logger, type Registry, ThinkLiteError } from '@thinklite/base';
import { LocalKv } from '@thinklite/kv';
import { LmdbEngine } from '@thinklite/storage';
import type { QueryResult, ResultColumn } from './engine/context.js';
import type { CopyIo } from './engine/copy.js';
import { SqlEngine } from './engine/engine.js';
import type { Session } from './engine/session.js';
import type { Statement } from './parser/ast.js';
import { parse } from './parser/parse.js';
import type { Datum } from './types/datum.js';
import { type SqlType, typeName, typeOid } from './types/type.js';

export interface OpenOptions {
  readonly logger?: Logger;
  readonly registry?: Registry;
  /** The database to use inside the store. Default `thinklite`. */
  readonly database?: string;
}

/** A column of a result, with its PostgreSQL type. */
export interface Column {
  readonly name: string;
  /** As PostgreSQL's format_type prints it: `integer`, `character varying(10)`, … */
  readonly type: string;
  readonly typeOid: number;
  readonly sqlType: SqlType;
}

/** One statement's result, rows as objects keyed by column name (and as arrays in `values`). */
export interface Result<Row = Record<string, Datum>> {
  readonly command: string;
  readonly rowCount: number;
  readonly columns: readonly Column[];
  readonly rows: Row[];
  readonly values: (readonly Datum[])[];
}

function toColumns(columns: readonly ResultColumn[]): Column[] {
  return columns.map((c) => ({ name: c.name, type: typeName(c.type), typeOid: typeOid(c.type), sqlType: c.type }));
}

function toRow(columns: readonly Column[], values: readonly Datum[]): Record<string, Datum> {
  const o: Record<string, Datum> = {};
  columns.forEach((c, i) => {
    o[c.name] = values[i] ?? null;
  });
  return o;
}

function toResult(r: QueryResult): Result {
  const columns = toColumns(r.columns);
  const rows = r.rows.map((values) => toRow(columns, values));
  return { command: r.command, rowCount: r.rowCount, columns, rows, values: r.rows.map((v) => [...v]) };
}

/** A statement prepared once and run many times with different parameters. */
export interface PreparedStatement {
  execute(params?: readonly unknown[]): Promise<Result>;
}

/**
 * The embedded database: a ThinkLite store in one directory, opened by one process, used through
 * SQL from this process — no server (ThinkLite's "local file mode").
 *
 *     const db = await ThinkLite.open('app.tlite');
 *     await db.execute('CREATE TABLE kv (k text PRIMARY KEY, v int)');
 *     await db.execute('INSERT INTO kv VALUES ($1, $2)', ['a', 1]);
 *     const { rows } = await db.execute('SELECT v FROM kv WHERE k = $1', ['a']);
 *     await db.close();
 *
 * `app.tlite` is a directory holding the store (LMDB files, its identity and a lock). A second
 * process opening it fails with STORE_LOCKED instead of corrupting it.
 */
export class ThinkLite {
  private closed = false;

  private constructor(
    private readonly storage: LmdbEngine,
    private readonly kv: LocalKv,
    readonly engine: SqlEngine,
    private readonly session: Session,
  ) {}

  static async open(path: string, options: OpenOptions = {}): Promise<ThinkLite> {
    if (fs.existsSync(path) && !fs.statSync(path).isDirectory()) {
      throw new ThinkLiteError('STORE_FOREIGN_DIRECTORY', `${path} is a file, not a ThinkLite database directory`, {
        path,
      });
    }
    const logger = options.logger ?? createLogger({ level: 'silent' });
    const registry = options.registry ?? createRegistry();
    const storage = LmdbEngine.open({ dir: path, logger, registry });
    try {
      const kv = new LocalKv({ engine: storage, logger, registry });
      const engine = await SqlEngine.create(kv, { logger });
      return new ThinkLite(storage, kv, engine, engine.session(options.database));
    } catch (e) {
      await storage.close();
      throw e;
    }
  }

  /** Set while a stream() loop is open: the session runs one statement at a time. */
  private streaming = false;

  private check(): void {
    if (this.closed) throw new ThinkLiteError('STORE_CLOSED', 'the database is closed');
    if (this.streaming) {
      throw new ThinkLiteError(
        'OBJECT_IN_USE',
        'another statement is still streaming its rows: finish or leave its stream() loop first',
      );
    }
  }

  /** Runs SQL (several statements allowed) and returns the last statement's result. */
  async execute(sql: string, params: readonly unknown[] = []): Promise<Result> {
    this.check();
    const results = await this.session.execute(sql, params);
    const last = results[results.length - 1];
    return last ? toResult(last) : { command: '', rowCount: 0, columns: [], rows: [], values: [] };
  }

  /** The rows of one query. */
  async query<Row = Record<string, Datum>>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.execute(sql, params)).rows as Row[];
  }

  /**
   * The rows of one query as it produces them: a query with nothing to sort or deduplicate never
   * holds its result, so a result larger than memory streams through. Leaving the loop early
   * stops the query (inside a transaction, the transaction goes on).
   *
   *     for await (const row of db.stream('SELECT * FROM events WHERE kind = $1', ['click'])) …
   */
  async *stream<Row = Record<string, Datum>>(sql: string, params: readonly unknown[] = []): AsyncGenerator<Row> {
    this.check();
    const statements = parse(sql);
    if (statements.length !== 1) {
      throw new ThinkLiteError('SYNTAX_ERROR', 'stream() runs exactly one statement');
    }
    this.streaming = true;
    let columns: Column[] = [];
    const queue: (readonly (readonly Datum[])[])[] = [];
    let stopped = false;
    let finished = false;
    let failure: unknown;
    let wakeConsumer: (() => void) | undefined;
    let wakeProducer: (() => void) | undefined;
    const wake = (which: 'consumer' | 'producer') => {
      const w = which === 'consumer' ? wakeConsumer : wakeProducer;
      if (which === 'consumer') wakeConsumer = undefined;
      else wakeProducer = undefined;
      w?.();
    };
    const producer = this.session
      .stream(statements[0] as Statement, params, {
        start: (cols) => {
          columns = toColumns(cols);
        },
        rows: async (batch) => {
          if (stopped) return false;
          queue.push(batch);
          wake('consumer');
          // Backpressure: at most two batches wait for the reader.
          if (queue.length >= 2) await new Promise<void>((resolve) => (wakeProducer = resolve));
          return !stopped;
        },
      })
      .then(
        () => undefined,
        (e: unknown) => {
          failure = e;
        },
      )
      .finally(() => {
        finished = true;
        wake('consumer');
      });
    try {
      for (;;) {
        const batch = queue.shift();
        if (batch) {
          wake('producer');
          for (const values of batch) yield toRow(columns, values) as Row;
          continue;
        }
        if (finished) {
          if (failure !== undefined) throw failure;
          return;
        }
        await new Promise<void>((resolve) => (wakeConsumer = resolve));
      }
    } finally {
      stopped = true;
      wake('producer');
      await producer;
      this.streaming = false;
    }
  }

  /**
   * Runs one COPY statement with the data: `COPY t FROM STDIN` reads `io.input` (chunks of bytes
   * or text, any size), `COPY t TO STDOUT` calls `io.output` with each chunk of text.
   */
  async copy(sql: string, io: CopyIo): Promise<Result> {
    this.check();
    const statements = parse(sql);
    if (statements.length !== 1 || statements[0]?.kind !== 'copy') {
      throw new ThinkLiteError('SYNTAX_ERROR', 'copy() runs exactly one COPY statement');
    }
    return toResult(await this.session.executeStatement(statements[0] as Statement, [], undefined, { copy: io }));
  }

  prepare(sql: string): PreparedStatement {
    this.check();
    // Parsing is cached by text; the plan is made per execution for now.
    return { execute: (params = []) => this.execute(sql, params) };
  }

  /** Runs `fn` inside BEGIN … COMMIT; rolls back if it throws. */
  async transaction<T>(fn: (db: ThinkLite) => Promise<T>): Promise<T> {
    await this.execute('BEGIN');
    try {
      const out = await fn(this);
      await this.execute('COMMIT');
      return out;
    } catch (e) {
      await this.execute('ROLLBACK');
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.session.transactionStatus !== 'idle') await this.session.execute('ROLLBACK');
    await this.engine.backgroundIdle(); // an automatic ANALYZE may still be running
    await this.kv.close();
    await this.storage.close();
  }
}
