import type { TableDesc } from '../catalog/descriptors.js';
import type {
  Expr,
  FuncCall,
  SelectCore,
  SelectStmt,
  SelectTarget,
  SetOperation,
  SortItem,
  TableRef,
  ValuesList,
} from '../parser/ast.js';
import { cast } from '../types/cast.js';
import { compare, hashKey } from '../types/compare.js';
import type { Datum } from '../types/datum.js';
import { type SqlType, Types } from '../types/type.js';
import { boundsFromWhere, chooseAccess, readAccess } from './access.js';
import {
  accumulate,
  type BoundAggregate,
  bindAggregate,
  exprKey,
  findAggregates,
  isAggregateCall,
} from './aggregate.js';
import type { MaterializedQuery, QueryResult, ResultColumn, RowSink, StatementContext } from './context.js';
import { sqlError } from './errors.js';
import { type PlanNode, planNode } from './explain.js';
import { type BoundExpr, coerce, commonType, ExprBinder, type Scope, type ScopeColumn, unifyType } from './expr.js';
import { rowBytes } from './memory.js';
import {
  columnUsage,
  correlatedOf,
  evaluateCorrelated,
  noSubqueriesIn,
  planFrom,
  prepareSubqueries,
} from './relation.js';
import { TableCodec } from './table.js';
import { applyWindows, findWindowCalls } from './window.js';

/**
 * SELECT, and the pieces DML shares with it: scanning a table (by primary key when the WHERE
 * clause pins every key column), filtering, projecting, sorting, DISTINCT, LIMIT/OFFSET.
 * This first planner handles one table per query; joins, aggregates and subqueries come next.
 */

const err = sqlError;

/** A table in FROM: its codec and the scope its rows are seen through. */
export interface BoundTable {
  readonly table: TableDesc;
  readonly codec: TableCodec;
  readonly scope: Scope;
}

/** Codecs by (frozen, shared) descriptor: a table's encoding is worked out once per version. */
const codecs = new WeakMap<TableDesc, TableCodec>();

export function codecOf(table: TableDesc): TableCodec {
  let c = codecs.get(table);
  if (!c) {
    c = new TableCodec(table);
    codecs.set(table, c);
  }
  return c;
}

export async function bindTable(sc: StatementContext, ref: TableRef): Promise<BoundTable> {
  const table = await sc.catalog.resolveTable(sc.database, sc.searchPath, ref.name);
  const alias = ref.alias?.name ?? table.name;
  const renamed = ref.alias?.columns ?? [];
  const columns: ScopeColumn[] = table.columns.map((c, i) => ({
    name: renamed[i] ?? c.name,
    type: c.type,
    table: alias,
    hidden: c.hidden === true,
  }));
  return { table, codec: codecOf(table), scope: { columns } };
}

/**
 * The rows of a table that may satisfy `where` (the caller still filters): a point lookup when
 * `where` fixes every primary key column to a constant or parameter, else a full scan.
 */
export async function* scanTable(
  sc: StatementContext,
  bt: BoundTable,
  where: Expr | undefined,
  binder: ExprBinder,
  forUpdate = false,
): AsyncGenerator<Datum[]> {
  const path = chooseAccess(bt, boundsFromWhere(bt, where, binder));
  for await (const batch of readAccess(sc, bt, path, sc.env, [], undefined, forUpdate)) yield* batch;
}

/** Expands `*` and binds the target list over `scope`. */
export function bindTargets(
  targets: readonly SelectTarget[],
  scope: Scope,
  binder: ExprBinder,
  keepUnknown = false,
): { exprs: BoundExpr[]; names: string[] } {
  const exprs: BoundExpr[] = [];
  const names: string[] = [];
  for (const t of targets) {
    if (t.expr.kind === 'star') {
      const q = t.expr.qualifier;
      const table = q.length > 0 ? q[q.length - 1] : undefined;
      let any = false;
      // A bare `*` skips columns reachable only by qualified name, in the scope's star order.
      const order = table === undefined && scope.starOrder ? scope.starOrder : scope.columns.map((_, i) => i);
      for (const i of order) {
        const c = scope.columns[i] as ScopeColumn;
        if (c.hidden || (table !== undefined ? c.table !== table : c.qualifiedOnly)) continue;
        any = true;
        exprs.push({ type: c.type, name: c.name, columnIndex: i, eval: (row) => row[i] ?? null });
        names.push(c.name);
      }
      if (table !== undefined && !any)
        throw err('UNDEFINED_TABLE', `missing FROM-clause entry for table "${table}"`, t.location);
      if (table === undefined && !any && scope.columns.length === 0) {
        throw err('SYNTAX_ERROR', 'SELECT * with no tables specified is not valid', t.location);
      }
      continue;
    }
    const e = binder.bind(t.expr, scope);
    // An untyped literal in the output is text (PostgreSQL resolves unknown outputs to text).
    // (An arm of a set operation keeps it unknown: the other arms decide its type.)
    exprs.push(e.type.kind === 'unknown' && !keepUnknown ? coerce(e, Types.text, 'implicit', binder.b) : e);
    names.push(t.alias ?? e.name);
  }
  return { exprs, names };
}

interface SortKey {
  readonly expr: BoundExpr;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

function bindOrderBy(
  items: readonly SortItem[],
  scope: Scope,
  binder: ExprBinder,
  targets: { exprs: BoundExpr[]; names: string[] },
): SortKey[] {
  return items.map((item) => {
    let expr: BoundExpr | undefined;
    const e = item.expr;
    if (e.kind === 'integer' && e.type === 'int4') {
      expr = targets.exprs[e.value - 1];
      if (!expr)
        throw err('INVALID_COLUMN_REFERENCE', `ORDER BY position ${e.value} is not in select list`, e.location);
    } else if (e.kind === 'columnRef' && e.names.length === 1) {
      const i = targets.names.indexOf(e.names[0] as string);
      if (i >= 0 && targets.names.lastIndexOf(e.names[0] as string) !== i) {
        throw err('AMBIGUOUS_COLUMN', `ORDER BY "${e.names[0]}" is ambiguous`, e.location);
      }
      if (i >= 0) expr = targets.exprs[i];
    }
    expr ??= binder.bind(e, scope);
    const desc = item.direction === 'desc';
    // PostgreSQL: NULLs sort as larger than every value — last ascending, first descending.
    const nullsFirst = item.nulls === 'default' ? desc : item.nulls === 'first';
    return { expr, desc, nullsFirst };
  });
}

/** The rows of `source` that pass the WHERE clause, counted into its plan node (EXPLAIN ANALYZE). */
async function* countRows(
  node: PlanNode,
  source: AsyncIterable<Datum[][]> | Iterable<Datum[][]>,
  where: BoundExpr | undefined,
  sc: StatementContext,
  correlated: { scope: Scope; queries: readonly [object, SelectStmt][] },
) {
  node.rows = 0;
  for await (const batch of source) {
    let kept = batch;
    if (where && correlated.queries.length > 0) {
      kept = [];
      for (const row of batch) {
        const env = await evaluateCorrelated(sc, correlated.scope, correlated.queries, row);
        if (where.eval(row, env) === true) kept.push(row);
      }
    } else if (where) kept = batch.filter((row) => where.eval(row, sc.env) === true);
    node.rows += kept.length;
    if (kept.length > 0) yield kept;
  }
}

/**
 * The first `n` rows in ORDER BY order (with their keys), releasing the memory of the others. The
 * sort is stable and the rows kept stay ahead of later arrivals, so pruning this way repeatedly
 * keeps exactly the rows a full sort would put first.
 */
function firstRows(
  sc: StatementContext,
  rows: Datum[][],
  keyRows: Datum[][],
  keys: readonly SortKey[],
  n: number,
): [Datum[][], Datum[][]] {
  const order = sortRows(
    rows.map((_, i) => i),
    (i) => keyRows[i] as Datum[],
    keys,
  );
  for (const i of order.slice(n)) sc.memory.release(rowBytes(rows[i] as Datum[]));
  const kept = order.slice(0, n);
  return [kept.map((i) => rows[i] as Datum[]), kept.map((i) => keyRows[i] as Datum[])];
}

function sortRows<T>(rows: T[], keysOf: (r: T) => Datum[], keys: readonly SortKey[]): T[] {
  const decorated = rows.map((r, i) => ({ r, k: keysOf(r), i }));
  decorated.sort((a, b) => {
    for (let j = 0; j < keys.length; j++) {
      const key = keys[j] as SortKey;
      const x = a.k[j] ?? null;
      const y = b.k[j] ?? null;
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null) === key.nullsFirst ? -1 : 1;
      }
      const c = compare(key.expr.type, x, y);
      if (c !== 0) return key.desc ? -c : c;
    }
    return a.i - b.i;
  });
  return decorated.map((d) => d.r);
}

function limitValue(
  e: Expr | undefined,
  sc: StatementContext,
  binder: ExprBinder,
  what: 'LIMIT' | 'OFFSET',
): number | undefined {
  if (!e || e.kind === 'null') return undefined;
  const bound = coerce(binder.bind(e, { columns: [] }), Types.int8, 'assignment', binder.b);
  const v = bound.eval([], sc.env);
  if (v === null) return undefined;
  const n = Number(v as bigint);
  if (n < 0) {
    throw err(
      what === 'LIMIT' ? 'INVALID_ROW_COUNT_IN_LIMIT_CLAUSE' : 'INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE',
      `${what} must not be negative`,
    );
  }
  return n;
}

/**
 * GROUP BY and aggregates: feeds every input row (that passes WHERE) to its group's
 * accumulators; returns the groups as rows `[group keys…, aggregate results…]` and a binder for
 * the expressions above the aggregation, in which group keys and aggregate calls are columns of
 * those rows and any other column reference is a grouping error (42803).
 */
/** The subquery expressions in `e` (not inside nested subqueries' own queries). */
function subqueryNodes(e: Expr | undefined): object[] {
  const out: object[] = [];
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || noSubqueriesIn(v)) return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    const kind = (v as { kind?: string }).kind;
    if (
      kind === 'subquery' ||
      kind === 'exists' ||
      kind === 'inSubquery' ||
      kind === 'quantifiedSubquery' ||
      kind === 'arraySubquery'
    ) {
      out.push(v);
    }
    if (kind === 'select') return;
    for (const x of Object.values(v)) visit(x);
  };
  visit(e);
  return out;
}

/** Types whose equal values are always the same JavaScript value (see aggregateRows). */
const IDENTITY_KEY_KINDS: ReadonlySet<string> = new Set(['int2', 'int4', 'int8', 'text', 'varchar', 'bool', 'date']);

async function aggregateRows(
  sc: StatementContext,
  body: SelectCore,
  scope: Scope,
  source: AsyncIterable<Datum[][]> | Iterable<Datum[][]>,
  where: BoundExpr | undefined,
  aggCalls: FuncCall[],
  binder: ExprBinder,
): Promise<{
  rows: Datum[][];
  binder: ExprBinder;
  /** Each group row's first input row. */
  firsts: Map<Datum[], Datum[]>;
  /** Input positions grouped by (plain column keys). */
  grouped: ReadonlySet<number>;
}> {
  // GROUP BY items may name an output column by position or alias, as PostgreSQL allows.
  const groupAsts: Expr[] = body.groupBy.map((g) => {
    if (g.kind === 'integer' && g.type === 'int4') {
      const t = body.targets[g.value - 1];
      if (!t) throw err('INVALID_COLUMN_REFERENCE', `GROUP BY position ${g.value} is not in select list`, g.location);
      return t.expr;
    }
    if (g.kind === 'columnRef' && g.names.length === 1 && !scope.columns.some((c) => c.name === g.names[0])) {
      const t = body.targets.find((x) => x.alias === g.names[0]);
      if (t) return t.expr;
    }
    return g;
  });
  for (const g of groupAsts) {
    if (findAggregates(g).length > 0)
      throw err('GROUPING_ERROR', 'aggregate functions are not allowed in GROUP BY', g.location);
  }
  const groupExprs = groupAsts.map((g) => binder.bind(g, scope));
  const aggIndex = new Map<string, number>();
  const aggs: BoundAggregate[] = [];
  for (const call of aggCalls) {
    const k = exprKey(call);
    if (aggIndex.has(k)) continue;
    for (const a of call.args) {
      if (findAggregates(a).length > 0)
        throw err('GROUPING_ERROR', 'aggregate function calls cannot be nested', a.location);
    }
    aggIndex.set(k, aggs.length);
    aggs.push(bindAggregate(call, scope, binder));
  }
  const env = sc.env;
  const groups = new Map<
    string,
    {
      keys: Datum[];
      /** The group's first input row (what a correlated subquery sees of the group's columns). */
      first: Datum[];
      accs: ReturnType<BoundAggregate['newAccumulator']>[];
      seen: (Set<string> | undefined)[];
    }
  >();
  const newGroup = (keys: Datum[], first: Datum[] = []) => ({
    keys,
    first,
    accs: aggs.map((a) => a.newAccumulator(env)),
    seen: aggs.map((a) => (a.distinct ? new Set<string>() : undefined)),
  });
  // One key whose values are equal exactly when they are the same JavaScript value (integers,
  // text, bool, date; NULL included) groups by the value itself, not by a built hash string.
  const single = groupExprs.length === 1 && IDENTITY_KEY_KINDS.has((groupExprs[0] as BoundExpr).type.kind);
  const byValue = groups as unknown as Map<Datum, ReturnType<typeof newGroup>>;
  for await (const batch of source)
    for (const row of batch) {
      if (where && where.eval(row, env) !== true) continue;
      let grp: ReturnType<typeof newGroup> | undefined;
      if (single) {
        const v = (groupExprs[0] as BoundExpr).eval(row, env);
        grp = byValue.get(v);
        if (!grp) {
          grp = newGroup([v], row);
          sc.memory.charge(rowBytes(grp.keys) + 64 * aggs.length, 'grouping');
          byValue.set(v, grp);
        }
      } else {
        const keys = groupExprs.map((g) => g.eval(row, env));
        const h = keys
          .map((v, i) => (v === null ? '\u0000null' : hashKey((groupExprs[i] as BoundExpr).type, v)))
          .join('\u0001');
        grp = groups.get(h);
        if (!grp) {
          grp = newGroup(keys, row);
          sc.memory.charge(rowBytes(keys) + 64 * aggs.length, 'grouping');
          groups.set(h, grp);
        }
      }
      for (let j = 0; j < aggs.length; j++)
        accumulate(aggs[j] as BoundAggregate, grp.accs[j] as never, row, env, grp.seen[j]);
    }
  // Aggregates without GROUP BY make one row even over no input.
  if (groups.size === 0 && groupExprs.length === 0) groups.set('', newGroup([]));
  const firsts = new Map<Datum[], Datum[]>();
  const rows = [...groups.values()].map((g) => {
    const out = [...g.keys, ...g.accs.map((a) => a.result())];
    firsts.set(out, g.first);
    return out;
  });

  const groupKeyIndex = new Map(groupAsts.map((g, i) => [exprKey(g), i]));
  const groupColumn = new Map<number, number>();
  groupExprs.forEach((g, i) => {
    if (g.columnIndex !== undefined && !groupColumn.has(g.columnIndex)) groupColumn.set(g.columnIndex, i);
  });
  const column = (i: number, type: SqlType, name: string): BoundExpr => ({
    type,
    name,
    columnIndex: i,
    eval: (row) => row[i] ?? null,
  });
  const post = new ExprBinder(binder.b);
  post.override = (e) => {
    const gi = groupKeyIndex.get(exprKey(e));
    if (gi !== undefined) {
      const g = groupExprs[gi] as BoundExpr;
      return column(gi, g.type, g.name);
    }
    if (isAggregateCall(e)) {
      const j = aggIndex.get(exprKey(e)) as number;
      return column(groupExprs.length + j, (aggs[j] as BoundAggregate).type, e.name[e.name.length - 1] as string);
    }
    if (e.kind === 'columnRef') {
      const bound = binder.bind(e, scope);
      const gi2 = bound.columnIndex === undefined ? undefined : groupColumn.get(bound.columnIndex);
      if (gi2 !== undefined) return column(gi2, bound.type, bound.name);
      const c = scope.columns[bound.columnIndex ?? -1];
      const shown = c?.table ? `${c.table}.${c.name}` : e.names.join('.');
      throw err(
        'GROUPING_ERROR',
        `column "${shown}" must appear in the GROUP BY clause or be used in an aggregate function`,
        e.location,
      );
    }
    if (e.kind === 'star')
      throw err('GROUPING_ERROR', 'SELECT * is not allowed with GROUP BY or aggregates here', e.location);
    return undefined;
  };
  const grouped = new Set(groupExprs.flatMap((g) => (g.columnIndex === undefined ? [] : [g.columnIndex])));
  return { rows, binder: post, firsts, grouped };
}

/** Rows with their sort keys, before ORDER BY / LIMIT are applied. */
interface QueryRows {
  columns: ResultColumn[];
  rows: Datum[][];
  keys: SortKey[];
  keyRows?: Datum[][];
  plan: PlanNode;
  /** Set when only the first this many rows in ORDER BY order were kept (a top-N sort). */
  topN?: number;
  /** Set when the rows went to a sink as they were produced (OFFSET and LIMIT applied): their count. */
  streamed?: number;
}

/** Rows handed out in batches of about this many. */
const STREAM_BATCH = 256;

/** Materializes the WITH queries of a statement into the context (recursive ones iterated). */
async function withCtes(sc: StatementContext, w: NonNullable<SelectStmt['with']>): Promise<StatementContext> {
  const ctes = new Map<string, MaterializedQuery>(sc.ctes ?? []);
  for (const cte of w.ctes) {
    if (cte.query.kind !== 'select') {
      throw err('FEATURE_NOT_SUPPORTED', 'data-modifying statements in WITH are not supported yet', cte.location);
    }
    if (ctes.has(cte.name) && w.ctes.filter((c) => c.name === cte.name).length > 1) {
      throw err('DUPLICATE_ALIAS', `WITH query name "${cte.name}" specified more than once`, cte.location);
    }
    const q = cte.query;
    const selfRef =
      w.recursive && q.body.kind === 'setOperation' && q.body.op === 'union' && refersTo(q.body.right, cte.name);
    let m: MaterializedQuery;
    if (selfRef && q.body.kind === 'setOperation') {
      m = await recursiveCte(sc, ctes, cte.name, cte.columns, q.body.left, q.body.right, q.body.all, cte.location);
    } else {
      const r = await runSelect({ ...sc, ctes }, q);
      m = {
        names: renameColumns(
          r.columns.map((c) => c.name),
          cte.columns,
          cte.name,
          cte.location,
        ),
        types: r.columns.map((c) => c.type),
        rows: r.rows,
      };
    }
    ctes.set(cte.name, m);
  }
  return { ...sc, ctes };
}

function renameColumns(names: readonly string[], renamed: readonly string[], cte: string, location: number): string[] {
  if (renamed.length > names.length) {
    throw err(
      'INVALID_COLUMN_REFERENCE',
      `WITH query "${cte}" has ${names.length} columns available but ${renamed.length} columns specified`,
      location,
    );
  }
  return names.map((n, i) => renamed[i] ?? n);
}

function refersTo(stmt: SelectStmt, name: string): boolean {
  let found = false;
  const visit = (v: unknown): void => {
    if (found || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    const node = v as { kind?: string; name?: readonly string[] };
    if (node.kind === 'table' && node.name?.length === 1 && node.name[0] === name) {
      found = true;
      return;
    }
    for (const x of Object.values(node)) visit(x);
  };
  visit(stmt);
  return found;
}

const RECURSION_LIMIT = 1_000_000;

/** WITH RECURSIVE: the non-recursive term, then the recursive term over each new batch of rows until none is new. */
async function recursiveCte(
  sc: StatementContext,
  ctes: Map<string, MaterializedQuery>,
  name: string,
  renamed: readonly string[],
  base: SelectStmt,
  step: SelectStmt,
  all: boolean,
  location: number,
): Promise<MaterializedQuery> {
  const first = await runSelect({ ...sc, ctes }, base);
  const names = renameColumns(
    first.columns.map((c) => c.name),
    renamed,
    name,
    location,
  );
  const types = first.columns.map((c) => c.type);
  const seen = new Set<string>();
  const key = (r: readonly Datum[]) =>
    r.map((v, i) => (v === null ? '\u0000null' : hashKey(types[i] as SqlType, v))).join('\u0001');
  const keep = (rows: readonly (readonly Datum[])[]) => {
    if (all) return [...rows];
    const out: (readonly Datum[])[] = [];
    for (const r of rows) {
      const k = key(r);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(r);
      }
    }
    return out;
  };
  const result: (readonly Datum[])[] = keep(first.rows);
  let working = [...result];
  while (working.length > 0) {
    await sc.checkInterrupts?.();
    if (result.length > RECURSION_LIMIT) {
      throw err(
        'PROGRAM_LIMIT_EXCEEDED',
        `recursive query "${name}" produced more than ${RECURSION_LIMIT} rows`,
        location,
      );
    }
    const inner = new Map(ctes);
    inner.set(name, { names, types, rows: working });
    const next = await runSelect({ ...sc, ctes: inner }, step);
    if (next.columns.length !== types.length) {
      throw err('DATATYPE_MISMATCH', `each UNION query must have the same number of columns`, location);
    }
    const rows = next.rows.map((r) =>
      r.map((v, i) => (v === null ? null : castTo(v, (next.columns[i] as ResultColumn).type, types[i] as SqlType, sc))),
    );
    working = keep(rows);
    result.push(...working);
  }
  return { names, types, rows: result };
}

function castTo(v: Datum, from: SqlType, to: SqlType, sc: StatementContext): Datum {
  return from.kind === to.kind ? v : cast(v, from, to, sc.typeContext, 'implicit');
}

/** UNION / INTERSECT / EXCEPT [ALL]: column types unified as PostgreSQL does, duplicates by value. */
async function setOperation(
  sc: StatementContext,
  op: SetOperation,
): Promise<{ columns: ResultColumn[]; rows: Datum[][]; plan: PlanNode }> {
  const l = await runSelect(sc, op.left, true);
  const r = await runSelect(sc, op.right, true);
  const word = op.op.toUpperCase();
  if (l.columns.length !== r.columns.length) {
    throw err('SYNTAX_ERROR', `each ${word} query must have the same number of columns`, op.location);
  }
  const types = l.columns.map((c, i) => {
    const t = commonType(c.type, (r.columns[i] as ResultColumn).type, op.location, word);
    return t.kind === 'unknown' ? Types.text : t;
  });
  const conv = (q: QueryResult) =>
    q.rows.map((row) =>
      row.map((v, i) => (v === null ? null : castTo(v, (q.columns[i] as ResultColumn).type, types[i] as SqlType, sc))),
    );
  const left = conv(l);
  const right = conv(r);
  const key = (row: readonly Datum[]) =>
    row.map((v, i) => (v === null ? '\u0000null' : hashKey(types[i] as SqlType, v))).join('\u0001');
  const columns = l.columns.map((c, i) => ({ name: c.name, type: types[i] as SqlType }));
  let rows: Datum[][];
  if (op.op === 'union') {
    if (op.all) rows = [...left, ...right];
    else {
      const seen = new Set<string>();
      rows = [];
      for (const row of [...left, ...right]) {
        const k = key(row);
        if (!seen.has(k)) {
          seen.add(k);
          rows.push(row);
        }
      }
    }
  } else {
    const counts = new Map<string, number>();
    for (const row of right) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
    rows = [];
    const emitted = new Set<string>();
    for (const row of left) {
      const k = key(row);
      const n = counts.get(k) ?? 0;
      if (op.op === 'intersect') {
        if (n > 0 && (op.all || !emitted.has(k))) {
          rows.push(row);
          emitted.add(k);
          if (op.all) counts.set(k, n - 1);
        }
      } else if (op.all) {
        if (n > 0) counts.set(k, n - 1);
        else rows.push(row);
      } else if (n === 0 && !emitted.has(k)) {
        rows.push(row);
        emitted.add(k);
      }
    }
  }
  const setPlan = planNode(`${op.op}${op.all ? ' all' : ''}`, l.plan, r.plan);
  return { columns, rows, plan: setPlan };
}

function valuesRows(
  sc: StatementContext,
  body: ValuesList,
  binder: ExprBinder,
  keepUnknown: boolean,
): { columns: ResultColumn[]; rows: Datum[][]; plan: PlanNode } {
  const bound = body.rows.map((r) => r.map((e) => binder.bind(e, { columns: [] })));
  const width = bound[0]?.length ?? 0;
  if (bound.some((r) => r.length !== width))
    throw err('SYNTAX_ERROR', 'VALUES lists must all be the same length', body.location);
  const types: SqlType[] = [];
  for (let c = 0; c < width; c++) {
    let t: SqlType = Types.unknown;
    for (const r of bound) t = unifyType(t, (r[c] as BoundExpr).type, body.location, 'VALUES');
    types.push(t.kind === 'unknown' && !keepUnknown ? Types.text : t);
  }
  const rows = bound.map((r) => r.map((e, c) => coerce(e, types[c] as SqlType, 'implicit', binder.b).eval([], sc.env)));
  const plan = planNode(`values (${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return { columns: types.map((type, c) => ({ name: `column${c + 1}`, type })), rows, plan };
}

/** SELECT … FROM … WHERE … GROUP BY … HAVING, with the ORDER BY keys computed per row. */
/**
 * One SELECT … FROM … WHERE … GROUP BY … HAVING, with its targets and ORDER BY keys evaluated.
 * `limits` (OFFSET and LIMIT) let it stop reading once it has OFFSET + LIMIT rows (no ORDER BY),
 * or keep only the first that many while sorting (a top-N sort). With a `sink` and nothing to
 * sort or deduplicate, rows go to the sink as they are produced, OFFSET and LIMIT applied here.
 */
async function selectCore(
  sc: StatementContext,
  stmt: SelectStmt,
  body: SelectCore,
  binder: ExprBinder,
  keepUnknown: boolean,
  limits?: () => { offset: number; limit: number | undefined },
  sink?: RowSink,
): Promise<QueryRows> {
  const rel = await planFrom(sc, body.from, binder, body.where, columnUsage(stmt));
  // Inside a correlated subquery, names not found here are looked up in the enclosing query.
  const scope: Scope = sc.outerScope ? { ...rel.scope, outer: sc.outerScope } : rel.scope;
  const subqueries = await prepareSubqueries(
    sc,
    [...body.targets.map((t) => t.expr), body.where, body.having, ...body.groupBy, ...stmt.orderBy.map((o) => o.expr)],
    scope,
    new Map(binder.b.subqueries ?? []),
  );
  binder = new ExprBinder({
    params: binder.b.params,
    ctx: binder.b.ctx,
    subqueries,
    sequenceCalls: binder.b.sequenceCalls,
  });
  for (const [clause, e] of [
    ['WHERE', body.where],
    ['HAVING', body.having],
    ['GROUP BY', body.groupBy],
  ] as const) {
    const found = findWindowCalls(e as Expr | undefined);
    if (found.length > 0)
      throw err('WINDOWING_ERROR', `window functions are not allowed in ${clause}`, found[0]?.location);
  }
  const where = body.where ? binder.bindCondition(body.where, scope, 'WHERE') : undefined;
  if (where && findAggregates(body.where).length > 0) {
    throw err('GROUPING_ERROR', 'aggregate functions are not allowed in WHERE', body.where?.location);
  }
  // The relation's scans were chosen with the WHERE clause (a fixed key reads one row).
  const source = rel.rows();
  const aggCalls = [
    ...body.targets.flatMap((t) => findAggregates(t.expr)),
    ...findAggregates(body.having),
    ...stmt.orderBy.flatMap((o) => findAggregates(o.expr)),
  ];
  const grouped = body.groupBy.length > 0 || aggCalls.length > 0 || body.having !== undefined;
  const windowCalls = [...body.targets.map((t) => t.expr), ...stmt.orderBy.map((o) => o.expr)].flatMap((e) =>
    findWindowCalls(e),
  );
  // The plan's steps; under EXPLAIN ANALYZE each records the rows it produced.
  let plan = rel.plan;
  const whereNode = body.where ? planNode('filter (WHERE)', plan) : undefined;
  plan = whereNode ?? plan;
  let aggNode: PlanNode | undefined;
  let havingNode: PlanNode | undefined;
  if (grouped) {
    const n = body.groupBy.length;
    const by = n > 0 ? `group by ${n} key${n > 1 ? 's' : ''}` : 'one group';
    aggNode = planNode(`hash aggregate (${by}, ${aggCalls.length} aggregate${aggCalls.length === 1 ? '' : 's'})`, plan);
    plan = aggNode;
    if (body.having) plan = havingNode = planNode('filter (HAVING)', plan);
  }
  const windowNode =
    windowCalls.length > 0
      ? planNode(`window (${windowCalls.length} function${windowCalls.length === 1 ? '' : 's'})`, plan)
      : undefined;
  plan = windowNode ?? plan;
  const distinctNode = body.distinct || body.distinctOn.length > 0 ? planNode('distinct', plan) : undefined;
  plan = distinctNode ?? plan;
  // LIMIT push-down: rows past the LIMIT are never read, or (with ORDER BY) never kept.
  const plain = windowCalls.length === 0 && !body.distinct && body.distinctOn.length === 0;
  const bounds = plain ? limits?.() : undefined;
  const want = bounds?.limit === undefined ? undefined : bounds.offset + bounds.limit;
  const stream = plain && stmt.orderBy.length === 0 ? sink : undefined;
  const stopAt = want !== undefined && stmt.orderBy.length === 0 ? want : undefined;
  const topN = want !== undefined && stmt.orderBy.length > 0 ? want : undefined;
  if (sc.explainOnly) return { columns: [], rows: [], keys: [], plan, ...(topN !== undefined ? { topN } : {}) };
  const allCorrelated = correlatedOf(subqueries);
  const inWhere = new Set(subqueryNodes(body.where));
  const correlatedWhere = grouped ? allCorrelated.filter(([node]) => inWhere.has(node)) : [];
  const correlated = grouped ? allCorrelated.filter(([node]) => !inWhere.has(node)) : allCorrelated;
  let groupFirsts: Map<Datum[], Datum[]> | undefined;
  let groupScope: Scope = scope;
  const filterNode = grouped ? havingNode : whereNode;
  if (filterNode) filterNode.rows = 0;
  let targets: { exprs: BoundExpr[]; names: string[] } = { exprs: [], names: [] };
  let input: AsyncIterable<Datum[][]> | Iterable<Datum[][]>;
  let having: BoundExpr | undefined;
  let keys: SortKey[] = [];
  let postBinder: ExprBinder | undefined;
  if (!grouped) {
    if (windowCalls.length === 0) {
      targets = bindTargets(body.targets, scope, binder, keepUnknown);
      keys = bindOrderBy(stmt.orderBy, scope, binder, targets);
    }
    input = source;
  } else {
    const g = await aggregateRows(
      sc,
      body,
      scope,
      whereNode ? countRows(whereNode, source, where, sc, { scope, queries: correlatedWhere }) : source,
      undefined,
      aggCalls,
      binder,
    );
    if (aggNode) aggNode.rows = g.rows.length;
    input = [g.rows];
    groupFirsts = g.firsts;
    // Subqueries evaluated per group see only the grouped columns of the enclosing query.
    groupScope = {
      ...scope,
      columns: scope.columns.map((c, i) => (g.grouped.has(i) ? c : { ...c, ungrouped: true })),
    };
    postBinder = g.binder;
    having = body.having ? postBinder.bindCondition(body.having, { columns: [] }, 'HAVING') : undefined;
    if (windowCalls.length === 0) {
      targets = bindTargets(body.targets, { columns: [] }, postBinder);
      keys = bindOrderBy(stmt.orderBy, { columns: [] }, postBinder, targets);
    }
  }
  // In a grouped query, a correlated subquery in WHERE runs per input row, others per group.
  let rows: Datum[][] = [];
  let keyRows: Datum[][] | undefined = keys.length > 0 ? [] : undefined;
  const rowFilter = grouped ? having : where;
  if (body.distinctOn.length > 0 && windowCalls.length > 0) {
    throw err('FEATURE_NOT_SUPPORTED', 'DISTINCT ON with window functions is not supported yet', body.location);
  }
  const onKeys = bindOrderBy(
    body.distinctOn.map(
      (expr): SortItem => ({ kind: 'sortItem', expr, direction: 'default', nulls: 'default', location: expr.location }),
    ),
    grouped ? { columns: [] } : scope,
    grouped ? (postBinder as ExprBinder) : binder,
    targets,
  );
  const onValues: Datum[][] = [];
  if (stream) {
    // Streaming: each row goes out as it is made; nothing is held but the batch being filled.
    const columns = targets.exprs.map((e, i) => ({ name: targets.names[i] as string, type: e.type }));
    stream.start(columns);
    const skip = bounds?.offset ?? 0;
    let seen = 0;
    let batch: Datum[][] = [];
    scan: for await (const input_ of input) {
      for (const row of input_) {
        if (stopAt !== undefined && seen >= stopAt) break scan;
        if (sc.beforeRow) await sc.beforeRow();
        const rowEnv =
          correlated.length > 0
            ? await evaluateCorrelated(sc, groupScope, correlated, groupFirsts?.get(row) ?? row)
            : sc.env;
        if (rowFilter && rowFilter.eval(row, rowEnv) !== true) continue;
        if (filterNode) filterNode.rows = (filterNode.rows ?? 0) + 1;
        if (seen++ < skip) continue;
        batch.push(targets.exprs.map((e) => e.eval(row, rowEnv)));
        if (batch.length >= STREAM_BATCH) {
          const more = await stream.rows(batch);
          batch = [];
          if (more === false) break scan;
        }
      }
    }
    if (batch.length > 0) await stream.rows(batch);
    return { columns, rows: [], keys: [], plan, streamed: Math.max(0, seen - skip) };
  }
  if (windowCalls.length === 0) {
    scan: for await (const batch of input) {
      for (const row of batch) {
        if (stopAt !== undefined && rows.length >= stopAt) break scan;
        if (sc.beforeRow) await sc.beforeRow();
        const rowEnv =
          correlated.length > 0
            ? await evaluateCorrelated(sc, groupScope, correlated, groupFirsts?.get(row) ?? row)
            : sc.env;
        if (rowFilter && rowFilter.eval(row, rowEnv) !== true) continue;
        if (filterNode) filterNode.rows = (filterNode.rows ?? 0) + 1;
        const out = targets.exprs.map((e) => e.eval(row, rowEnv));
        sc.memory.chargeRow(out, 'collecting the result');
        rows.push(out);
        keyRows?.push(keys.map((k) => k.expr.eval(row, rowEnv)));
        if (onKeys.length > 0) onValues.push(onKeys.map((k) => k.expr.eval(row, rowEnv)));
        if (topN !== undefined && rows.length >= Math.max(2 * topN, 1024)) {
          [rows, keyRows] = firstRows(sc, rows, keyRows as Datum[][], keys, topN);
        }
      }
    }
    if (topN !== undefined && rows.length > topN)
      [rows, keyRows] = firstRows(sc, rows, keyRows as Datum[][], keys, topN);
  } else {
    // Window functions see every row that passed WHERE, GROUP BY and HAVING, so gather them first.
    if (correlated.length > 0) {
      throw err(
        'FEATURE_NOT_SUPPORTED',
        'correlated subqueries with window functions are not supported yet',
        body.location,
      );
    }
    const env = sc.env;
    const base: Datum[][] = [];
    for await (const batch of input) {
      for (const row of batch) {
        if (rowFilter && rowFilter.eval(row, env) !== true) continue;
        if (filterNode) filterNode.rows = (filterNode.rows ?? 0) + 1;
        sc.memory.chargeRow(row, 'computing window functions');
        base.push(row);
      }
    }
    const bindScope: Scope = grouped ? { columns: [] } : scope;
    const w = applyWindows(
      base,
      windowCalls,
      body.windows,
      bindScope,
      grouped ? (postBinder as ExprBinder) : binder,
      env,
    );
    targets = bindTargets(body.targets, bindScope, w.binder, keepUnknown);
    keys = bindOrderBy(stmt.orderBy, bindScope, w.binder, targets);
    if (windowNode) windowNode.rows = w.rows.length;
    rows = w.rows.map((r) => targets.exprs.map((e) => e.eval(r, env)));
    keyRows = keys.length > 0 ? w.rows.map((r) => keys.map((k) => k.expr.eval(r, env))) : undefined;
  }
  const columns = targets.exprs.map((e, i) => ({ name: targets.names[i] as string, type: e.type }));
  if (body.distinctOn.length > 0) {
    // DISTINCT ON: the first row (in ORDER BY order) of each group of equal DISTINCT ON values.
    for (let i = 0; i < Math.min(onKeys.length, keys.length); i++) {
      if (
        exprKey(stmt.orderBy[i]?.expr as Expr) !== exprKey(body.distinctOn[i] as Expr) &&
        onKeys[i]?.expr !== keys[i]?.expr
      ) {
        throw err(
          'INVALID_COLUMN_REFERENCE',
          'SELECT DISTINCT ON expressions must match initial ORDER BY expressions',
          body.location,
        );
      }
    }
    const onRows = onValues;
    let order = rows.map((_, i) => i);
    if (keyRows) {
      const kr = keyRows;
      order = sortRows(order, (i) => kr[i] as Datum[], keys);
    }
    const seen = new Set<string>();
    const keep: number[] = [];
    for (const i of order) {
      const vals = onRows[i] as Datum[];
      const h = vals
        .map((v, c) => (v === null ? '\u0000null' : hashKey((onKeys[c] as SortKey).expr.type, v)))
        .join('\u0001');
      if (seen.has(h)) continue;
      seen.add(h);
      keep.push(i);
    }
    rows = keep.map((i) => rows[i] as Datum[]);
    if (keyRows) keyRows = keep.map((i) => (keyRows as Datum[][])[i] as Datum[]);
  }
  if (body.distinct) {
    if (keyRows && keys.some((k) => !targets.exprs.includes(k.expr))) {
      throw err(
        'INVALID_COLUMN_REFERENCE',
        'for SELECT DISTINCT, ORDER BY expressions must appear in select list',
        body.location,
      );
    }
    const seen = new Set<string>();
    const keep: number[] = [];
    rows.forEach((r, i) => {
      const h = r
        .map((v, c) => (v === null ? '\u0000null' : hashKey((columns[c] as ResultColumn).type, v)))
        .join('\u0001');
      if (!seen.has(h)) {
        seen.add(h);
        keep.push(i);
      }
    });
    rows = keep.map((i) => rows[i] as Datum[]);
    if (keyRows) keyRows = keep.map((i) => (keyRows as Datum[][])[i] as Datum[]);
  }
  if (distinctNode) distinctNode.rows = rows.length;
  const q: QueryRows = { columns, rows, keys, plan, ...(topN !== undefined ? { topN } : {}) };
  return keyRows ? { ...q, keyRows } : q;
}

/**
 * Runs a SELECT (or VALUES, or a set operation) to completion. `keepUnknown` leaves untyped
 * literal columns untyped, for an arm of a set operation.
 */
/**
 * Runs a SELECT. With a `sink`, the rows go to it in batches (as they are produced when nothing
 * has to be sorted or deduplicated first) and the result carries only their count.
 */
export async function runSelect(
  sc: StatementContext,
  stmt: SelectStmt,
  keepUnknown = false,
  sink?: RowSink,
): Promise<QueryResult> {
  if (stmt.with) sc = await withCtes(sc, stmt.with);
  const binder = new ExprBinder({
    params: sc.params,
    ctx: sc.typeContext,
    sequenceCalls: sc.sequenceCalls,
  });
  const body = stmt.body;
  let q: QueryRows;
  // LIMIT and OFFSET are evaluated once, after the query is bound (as PostgreSQL reports errors).
  let bounds: { offset: number; limit: number | undefined } | undefined;
  const limits = () => {
    bounds ??= {
      offset: limitValue(stmt.offset, sc, binder, 'OFFSET') ?? 0,
      limit: limitValue(stmt.limit, sc, binder, 'LIMIT'),
    };
    return bounds;
  };
  if (body.kind === 'selectCore') q = await selectCore(sc, stmt, body, binder, keepUnknown, limits, sink);
  else {
    const base = body.kind === 'values' ? valuesRows(sc, body, binder, keepUnknown) : await setOperation(sc, body);
    q = { ...base, keys: [] };
    if (stmt.orderBy.length > 0) {
      // ORDER BY of VALUES or a set operation sees only the output columns.
      const scope: Scope = { columns: base.columns.map((c) => ({ name: c.name, type: c.type })) };
      const targets = {
        exprs: base.columns.map(
          (c, i): BoundExpr => ({ type: c.type, name: c.name, columnIndex: i, eval: (row) => row[i] ?? null }),
        ),
        names: base.columns.map((c) => c.name),
      };
      q.keys = bindOrderBy(stmt.orderBy, scope, binder, targets);
      q.keyRows = base.rows.map((r) => q.keys.map((k) => k.expr.eval(r, sc.env)));
    }
  }
  if (q.streamed !== undefined) {
    let plan = q.plan;
    if (stmt.limit || stmt.offset) plan = planNode('limit', plan);
    plan.rows = q.streamed;
    return { command: `SELECT ${q.streamed}`, rowCount: q.streamed, columns: q.columns, rows: [], plan };
  }
  let rows = q.rows;
  if (q.keys.length > 0 && q.keyRows) {
    const indexed = rows.map((r, i) => ({ r, k: (q.keyRows as Datum[][])[i] as Datum[] }));
    rows = sortRows(indexed, (x) => x.k, q.keys).map((x) => x.r);
  }
  const { offset, limit } = limits();
  if (offset > 0 || limit !== undefined) rows = rows.slice(offset, limit === undefined ? undefined : offset + limit);
  let plan = q.plan;
  if (stmt.orderBy.length > 0) {
    const n = stmt.orderBy.length;
    const topN = q.topN !== undefined ? `, top-N ${q.topN}` : '';
    plan = planNode(`sort (${n} key${n > 1 ? 's' : ''}${topN})`, plan);
    plan.rows = q.rows.length;
  }
  if (stmt.limit || stmt.offset) plan = planNode('limit', plan);
  plan.rows = rows.length;
  const result = { command: `SELECT ${rows.length}`, rowCount: rows.length, columns: q.columns, rows, plan };
  return sink ? deliver(sink, result) : result;
}

/** Hands a result's rows to a sink in batches; the result keeps only their count. */
export async function deliver(sink: RowSink, r: QueryResult): Promise<QueryResult> {
  sink.start(r.columns);
  for (let i = 0; i < r.rows.length; i += STREAM_BATCH) {
    if ((await sink.rows(r.rows.slice(i, i + STREAM_BATCH))) === false) break;
  }
  return { ...r, rows: [] };
}
