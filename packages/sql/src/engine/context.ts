import type { KvTxn } from '@thinklite/kv';
import { Catalog } from '../catalog/catalog.js';
import type { DatabaseDesc, DescriptorId, SequenceDesc } from '../catalog/descriptors.js';
import type { TypeContext } from '../types/datetime.js';
import type { Datum } from '../types/datum.js';
import type { SqlType } from '../types/type.js';
import type { PlanNode } from './explain.js';
import type { Env, ParamTypes, Scope } from './expr.js';
import type { MemoryAccount } from './memory.js';
import type { TableStats } from './stats.js';

/** A column of a result. */
export interface ResultColumn {
  readonly name: string;
  readonly type: SqlType;
}

/** What one statement returns. */
export interface QueryResult {
  /** PostgreSQL's command tag: `SELECT 3`, `INSERT 0 1`, `CREATE TABLE`, … */
  readonly command: string;
  /** Rows returned or affected. */
  readonly rowCount: number;
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly Datum[])[];
  /** For a query: the plan it ran (EXPLAIN). */
  readonly plan?: PlanNode;
  /** For INSERT, UPDATE and DELETE: the table written (for automatic statistics). */
  readonly writtenTable?: DescriptorId;
}

/**
 * Where a streamed statement's rows go: `start` once with the columns, then `rows` per batch; a
 * batch is the sink's to keep. `rows` may wait (backpressure); returning false asks for no more
 * rows (the query stops reading and ends normally, like a portal closed early).
 */
export interface RowSink {
  start(columns: readonly ResultColumn[]): void;
  rows(batch: readonly (readonly Datum[])[]): Promise<boolean | undefined> | boolean | undefined;
}

/** Generates rowids for tables without a primary key: unique and increasing in one store. */
export interface RowIdSource {
  next(): bigint;
}

/** nextval(): sequences advance outside the statement's transaction, as in PostgreSQL. */
export interface SequenceSource {
  next(sequence: SequenceDesc): Promise<bigint>;
  /** setval(): the value the sequence last handed out. */
  store(sequence: SequenceDesc, last: bigint): Promise<void>;
}

/** Everything a statement runs with. */
export interface StatementContext {
  readonly txn: KvTxn;
  readonly catalog: Catalog;
  readonly database: DatabaseDesc;
  readonly searchPath: readonly string[];
  readonly typeContext: TypeContext;
  readonly params: ParamTypes;
  readonly env: Env;
  readonly rowIds: RowIdSource;
  readonly sequences: SequenceSource;
  /** What the statement holds in memory, against the session's limit. */
  readonly memory: MemoryAccount;
  /** The statement's nextval/currval/setval calls, resolved to their sequences. */
  readonly sequenceCalls?: ReadonlyMap<object, SequenceDesc>;
  /** Run before each row is evaluated (fetches the sequence values the row may take). */
  readonly beforeRow?: () => Promise<void>;
  /** EXPLAIN without ANALYZE: plan the query, read no rows. */
  readonly explainOnly?: boolean;
  /** Describe (extended protocol): run the statement over empty tables, writing nothing. */
  readonly describeOnly?: boolean;
  /** Under EXPLAIN [ANALYZE]: annotate plans with estimates from the statistics. */
  readonly explaining?: boolean;
  /** The enclosing query's scope while a correlated subquery runs. */
  readonly outerScope?: Scope;
  /** The WITH queries in scope, materialized, by name. */
  readonly ctes?: ReadonlyMap<string, MaterializedQuery>;
  /**
   * Called at every batch of rows: throws when the statement is cancelled or past its timeout,
   * and now and then lets the event loop run.
   */
  readonly checkInterrupts?: () => Promise<void>;
  /**
   * A table's statistics for planning, read outside the statement's transaction (they are
   * advisory: reading them in it would make the transaction conflict with every ANALYZE that
   * commits meanwhile). Without it, the planner reads them in `txn`.
   */
  readonly tableStats?: (tableId: number) => Promise<TableStats | undefined>;
  /** The join methods the session allows (enable_hashjoin, …); all when absent. */
  readonly planner?: PlannerSettings;
}

/** PostgreSQL's enable_* planner settings ThinkLite honours. */
export interface PlannerSettings {
  readonly hashJoin: boolean;
  readonly mergeJoin: boolean;
  /** Nested loops, including the index nested-loop (lookup) join. */
  readonly nestLoop: boolean;
  /** FROM lists longer than this are joined in the order written (PostgreSQL's from_collapse_limit). */
  readonly fromCollapseLimit: number;
}

export const DEFAULT_PLANNER_SETTINGS: PlannerSettings = {
  hashJoin: true,
  mergeJoin: true,
  nestLoop: true,
  fromCollapseLimit: 8,
};

/** A query's result kept for reuse (a CTE). */
export interface MaterializedQuery {
  readonly names: readonly string[];
  readonly types: readonly SqlType[];
  readonly rows: readonly (readonly Datum[])[];
}

export function statementContext(
  txn: KvTxn,
  database: DatabaseDesc,
  searchPath: readonly string[],
  typeContext: TypeContext,
  params: ParamTypes,
  values: readonly unknown[],
  rowIds: RowIdSource,
  sequences: SequenceSource,
  memory: MemoryAccount,
): StatementContext {
  return {
    txn,
    catalog: new Catalog(txn),
    database,
    searchPath,
    typeContext,
    params,
    env: { params: values, ctx: typeContext },
    rowIds,
    sequences,
    memory,
  };
}
