import { isThinkLiteError } from '@thinklite/base';
import type { Expr, FromItem, FunctionRef, JoinRef, SelectStmt } from '../parser/ast.js';
import { noneInTemplate, templateOf } from '../parser/literal-templates.js';
import { isSystemSchema, systemRelation } from '../system/index.js';
import { hashKey } from '../types/compare.js';
import type { Datum } from '../types/datum.js';
import { type SqlType, Types } from '../types/type.js';
import {
  type AccessPath,
  boundsFromWhere,
  type ColumnBounds,
  chooseAccess,
  conjunctsOf,
  describeAccess,
  readAccess,
} from './access.js';
import { DEFAULT_PLANNER_SETTINGS, type StatementContext } from './context.js';
import { sqlError } from './errors.js';
import { type PlanNode, planNode } from './explain.js';
import {
  type BoundExpr,
  coerce,
  commonType,
  type ExprBinder,
  type Scope,
  type ScopeColumn,
  type SubqueryResult,
} from './expr.js';
import { type MergeJoinSpec, mergeJoin } from './merge-join.js';
import { type BoundTable, bindTable, runSelect } from './query.js';
import { bindTableFunction } from './srf.js';
import { estimateRows, readStats } from './stats.js';

/**
 * FROM clauses: tables, subqueries, CTE references and joins, as relations — a scope (the columns
 * expressions see) and the rows. Joins on equalities between the two sides are hash joins; any
 * other join condition is evaluated per pair (a nested loop). Outer joins pad with NULLs.
 */

const err = sqlError;

export interface Relation {
  readonly scope: Scope;
  /** How the rows are produced, for EXPLAIN. */
  readonly plan: PlanNode;
  /** The rows, in batches. */
  rows(): AsyncIterable<Datum[][]> | Iterable<Datum[][]>;
  /** Set when the relation is one base table (so a WHERE on its key can be a point lookup). */
  readonly table?: BoundTable;
  /** For a base table: the row positions the query uses (others are not decoded). */
  readonly neededColumns?: ReadonlySet<number>;
  /** Estimated rows, from the statistics ANALYZE keeps (undefined when unknown). */
  estimate?(): Promise<number | undefined>;
  /** Positions of columns the rows arrive in ascending order of (never NULL), outermost first. */
  readonly order?: readonly number[];
}

/** A relation of rows already held: its estimate is their count. */
function heldRows(scope: Scope, plan: PlanNode, rows: readonly (readonly Datum[])[]): Relation {
  return { scope, plan, rows: () => [rows as Datum[][]], estimate: async () => rows.length };
}

function aliasColumns(
  names: readonly string[],
  types: readonly ScopeColumn['type'][],
  alias: { name: string; columns: readonly string[] } | undefined,
  location: number,
): ScopeColumn[] {
  const renamed = alias?.columns ?? [];
  if (renamed.length > names.length) {
    throw err(
      'INVALID_COLUMN_REFERENCE',
      `table "${alias?.name}" has ${names.length} columns available but ${renamed.length} columns specified`,
      location,
    );
  }
  return names.map((n, i) => ({
    name: renamed[i] ?? n,
    type: types[i] as ScopeColumn['type'],
    ...(alias ? { table: alias.name } : {}),
  }));
}

/**
 * A FROM item as a relation. `where` is the query's WHERE clause: its comparisons of a base
 * table's columns with constants choose that table's access path (they are null-rejecting, so
 * narrowing a table's rows before the join cannot change the query's result; the whole WHERE is
 * still applied after the joins).
 */
export async function planFromItem(
  sc: StatementContext,
  item: FromItem,
  binder: ExprBinder,
  where?: Expr,
  usage?: ColumnUsage,
): Promise<Relation> {
  return counted(sc, await fromItem(sc, item, binder, where, usage));
}

/**
 * The columns a scan's rows come in ascending order of: the primary key's, when the scan reads
 * the primary index (whole, a range, or a key prefix) and every key column ascends. (Secondary
 * indexes hold NULLs, whose place in key order the merge join does not assume.)
 */
function scanOrder(bt: BoundTable, path: AccessPath): number[] | undefined {
  const pk = bt.table.primaryIndex;
  if (path.kind !== 'full' && path.index !== pk) return undefined;
  if (pk.columns.some((c) => c.direction === 'desc')) return undefined;
  const positions = pk.columns.map((c) => bt.table.columns.findIndex((col) => col.id === c.columnId));
  return positions.every((p) => p >= 0) ? positions : undefined;
}

/** Under EXPLAIN ANALYZE, a relation that counts the rows it produces into its plan node. */
function counted(sc: StatementContext, rel: Relation): Relation {
  if (!sc.explaining || sc.explainOnly) return rel;
  return { ...rel, rows: () => countRows(rel.plan, rel.rows()) };
}

async function* countRows(node: PlanNode, source: AsyncIterable<Datum[][]> | Iterable<Datum[][]>) {
  node.rows = 0;
  for await (const batch of source) {
    node.rows += batch.length;
    yield batch;
  }
}

async function fromItem(
  sc: StatementContext,
  item: FromItem,
  binder: ExprBinder,
  where?: Expr,
  usage?: ColumnUsage,
): Promise<Relation> {
  switch (item.kind) {
    case 'table': {
      const cte = item.name.length === 1 ? sc.ctes?.get(item.name[0] as string) : undefined;
      if (cte) {
        const alias = item.alias ?? { name: item.name[0] as string, columns: [] };
        const scope = { columns: aliasColumns(cte.names, cte.types, alias, item.location) };
        return heldRows(scope, planNode(`CTE scan on ${item.name[0]}`), cte.rows);
      }
      const system = await systemTable(sc, item.name);
      if (system) {
        const alias = item.alias ?? { name: item.name[item.name.length - 1] as string, columns: [] };
        const scope = {
          columns: aliasColumns(
            system.columns.map((c) => c.name),
            system.columns.map((c) => c.type),
            alias,
            item.location,
          ),
        };
        const label = `system table ${item.name.join('.')}`;
        return heldRows(scope, planNode(label), system.rows);
      }
      const r = await sc.catalog.resolveRelation(sc.database, sc.searchPath, item.name);
      if (r?.kind === 'view') {
        // A view is its query, run here with no CTEs or enclosing rows of the caller in scope.
        const res = await runSelect({ ...sc, ctes: undefined, outerScope: undefined }, r.query);
        const alias = item.alias ?? { name: r.name, columns: [] };
        const scope = {
          columns: aliasColumns(
            r.columns.map((c) => c.name),
            res.columns.map((c) => c.type),
            alias,
            item.location,
          ),
        };
        return heldRows(scope, planNode(`view ${r.name} (materialized)`), res.rows);
      }
      const bt = await bindTable(sc, item);
      const path = chooseAccess(bt, boundsFromWhere(bt, where, binder));
      const needed = neededPositions(bt, usage);
      let label = describeAccess(bt, path, needed);
      let estimated: Promise<number | undefined> | undefined;
      const estimate = () => {
        estimated ??= (sc.tableStats ? sc.tableStats(bt.table.id) : readStats(sc.txn, bt.table.id)).then((stats) =>
          estimateRows(path, stats),
        );
        return estimated;
      };
      if (sc.explaining) {
        const est = await estimate();
        if (est !== undefined) label += ` (estimated rows=${est})`;
      }
      const order = scanOrder(bt, path);
      return {
        scope: bt.scope,
        table: bt,
        plan: planNode(label),
        ...(needed ? { neededColumns: needed } : {}),
        ...(order ? { order } : {}),
        estimate,
        rows: () => (sc.describeOnly ? [] : readAccess(sc, bt, path, sc.env, [], needed)),
      };
    }
    case 'subquery': {
      const sub = await runSelect(sc, item.query);
      const scope = {
        columns: aliasColumns(
          sub.columns.map((c) => c.name),
          sub.columns.map((c) => c.type),
          item.alias,
          item.location,
        ),
      };
      const label = `subquery${item.alias ? ` ${item.alias.name}` : ''} (materialized)`;
      return heldRows(scope, planNode(label), sub.rows);
    }
    case 'join':
      return planJoin(sc, item, binder, where, usage);
    case 'function':
      return functionRelation(sc, item, binder);
  }
}

/** A function in FROM (see srf.ts), named as PostgreSQL names its columns. */
function functionRelation(sc: StatementContext, item: FunctionRef, binder: ExprBinder): Relation {
  const fn = bindTableFunction(item, binder, sc.outerScope ? { columns: [], outer: sc.outerScope } : { columns: [] });
  const tableName = item.alias?.name ?? fn.name;
  // A one-column function takes the alias as its column name too (`generate_series(1, 3) AS n`).
  const names = fn.columns.map((c) => (fn.columns.length === 1 && item.alias ? item.alias.name : c.name));
  const types = fn.columns.map((c) => c.type);
  if (item.ordinality) {
    names.push('ordinality');
    types.push(Types.int8);
  }
  const alias = { name: tableName, columns: item.alias?.columns ?? [] };
  const scope = { columns: aliasColumns(names, types, alias, item.location) };
  return {
    scope,
    plan: planNode(`function scan on ${fn.name}`),
    rows: async function* () {
      if (sc.describeOnly) return;
      const args = fn.args.map((a) => a.eval([], sc.env));
      let n = 0n;
      let batch: Datum[][] = [];
      for (const row of fn.rows(args, sc)) {
        if (item.ordinality) row.push(++n);
        batch.push(row);
        if (batch.length >= 1024) {
          await sc.checkInterrupts?.();
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    },
  };
}

/**
 * The column names a statement mentions anywhere (subqueries included), or `all` when it uses
 * `*`: base tables decode only these columns.
 */
export interface ColumnUsage {
  readonly all: boolean;
  readonly names: ReadonlySet<string>;
}

const usageOf = new WeakMap<SelectStmt, ColumnUsage>();

export function columnUsage(stmt: SelectStmt): ColumnUsage {
  // Literals name no columns: a statement built from a template uses what the template uses.
  const template = templateOf(stmt);
  if (template?.kind === 'select') return columnUsage(template);
  let usage = usageOf.get(stmt);
  if (!usage) {
    usage = scanColumnUsage(stmt);
    usageOf.set(stmt, usage);
  }
  return usage;
}

function scanColumnUsage(stmt: SelectStmt): ColumnUsage {
  const names = new Set<string>();
  let all = false;
  const visit = (v: unknown): void => {
    if (all || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    const node = v as { kind?: string; names?: readonly string[]; using?: readonly string[]; natural?: boolean };
    if (node.kind === 'star' || (node.kind === 'join' && node.natural)) {
      all = true;
      return;
    }
    if (node.kind === 'join') for (const n of node.using ?? []) names.add(n);
    if (node.kind === 'columnRef' && node.names) names.add(node.names[node.names.length - 1] as string);
    for (const x of Object.values(node)) visit(x);
  };
  visit(stmt);
  return { all, names };
}

function neededPositions(bt: BoundTable, usage: ColumnUsage | undefined): ReadonlySet<number> | undefined {
  if (!usage || usage.all) return undefined;
  const out = new Set<number>();
  bt.scope.columns.forEach((c, i) => {
    if (usage.names.has(c.name)) out.add(i);
  });
  return out;
}

/**
 * A pg_catalog or information_schema table named by `name`: qualified with a system schema, or
 * (as in PostgreSQL, which searches pg_catalog first) an unqualified pg_catalog table name.
 */
async function systemTable(
  sc: StatementContext,
  name: readonly string[],
): Promise<{ columns: { name: string; type: SqlType }[]; rows: Datum[][] } | undefined> {
  const last = name[name.length - 1] as string;
  if (name.length >= 2) {
    const schema = name[name.length - 2] as string;
    if (name.length === 3 && name[0] !== sc.database.name) return undefined;
    return isSystemSchema(schema) ? systemRelation(sc, schema, last) : undefined;
  }
  return systemRelation(sc, 'pg_catalog', last);
}

/** The relation of a whole FROM list (a comma is a cross join); no FROM is one empty row. */
export async function planFrom(
  sc: StatementContext,
  from: readonly FromItem[],
  binder: ExprBinder,
  where?: Expr,
  usage?: ColumnUsage,
): Promise<Relation> {
  if (from.length === 0) return { scope: { columns: [] }, plan: planNode('result (one row)'), rows: () => [[[]]] };
  checkDuplicateAliases(from);
  const items: Relation[] = [];
  for (const item of from) items.push(await planFromItem(sc, item, binder, where, usage));
  // A comma is a cross join, but the WHERE clause's equalities between the two sides key it.
  const hints = conjunctsOf(where);
  const join = async (left: Relation, right: Relation, location: number) =>
    joinRelations(sc, { joinType: 'inner', natural: false, using: [], location }, left, right, binder, hints);
  const order = await joinOrder(sc, items, join);
  let rel = items[order[0] as number] as Relation;
  for (const i of order.slice(1)) {
    rel = counted(sc, await join(rel, items[i] as Relation, (from[i] as FromItem).location));
  }
  if (order.every((i, k) => i === k)) return rel;
  // Joined in another order: `*` still lists the items' columns in the order written.
  const offsets = new Map<number, number>();
  let at = 0;
  for (const i of order) {
    offsets.set(i, at);
    at += (items[i] as Relation).scope.columns.length;
  }
  const starOrder = items.flatMap((item, i) => {
    const base = offsets.get(i) as number;
    const own = item.scope.starOrder ?? item.scope.columns.map((_, c) => c);
    return own.map((c) => base + c);
  });
  return { ...rel, scope: { ...rel.scope, starOrder } };
}

/**
 * The order to join a FROM list's items in (all inner joins, so any order gives the same rows):
 * greedily, starting from the item the statistics expect fewest rows of, each time the item
 * joined by a WHERE equality that leaves the fewest rows (ties: the smaller item). Without
 * statistics for every item, or with more items than from_collapse_limit (PostgreSQL's setting,
 * default 8), the order written.
 */
async function joinOrder(
  sc: StatementContext,
  items: readonly Relation[],
  join: (left: Relation, right: Relation, location: number) => Promise<Relation>,
): Promise<number[]> {
  const written = items.map((_, i) => i);
  const limit = sc.planner?.fromCollapseLimit ?? DEFAULT_PLANNER_SETTINGS.fromCollapseLimit;
  if (items.length < 2 || items.length > limit) return written;
  const sizes: number[] = [];
  for (const item of items) {
    const n = await item.estimate?.();
    if (n === undefined) return written;
    sizes.push(n);
  }
  const remaining = new Set(written);
  const first = written.reduce((a, b) => ((sizes[b] as number) < (sizes[a] as number) ? b : a));
  const order = [first];
  remaining.delete(first);
  let current = items[first] as Relation;
  while (remaining.size > 0) {
    let best: { i: number; keyed: boolean; rows: number; rel: Relation } | undefined;
    for (const i of remaining) {
      const rel = await join(current, items[i] as Relation, -1);
      const keyed = !rel.plan.label.startsWith('nested loop');
      const rows = (await rel.estimate?.()) ?? Number.POSITIVE_INFINITY;
      const better =
        !best ||
        (keyed && !best.keyed) ||
        (keyed === best.keyed &&
          (rows < best.rows || (rows === best.rows && (sizes[i] as number) < (sizes[best.i] as number))));
      if (better) best = { i, keyed, rows, rel };
    }
    const chosen = best as { i: number; rel: Relation };
    order.push(chosen.i);
    remaining.delete(chosen.i);
    current = chosen.rel;
  }
  return order;
}

/** PostgreSQL refuses one name for two FROM items (42712). */
function checkDuplicateAliases(from: readonly FromItem[]): void {
  const seen = new Set<string>();
  const visit = (item: FromItem): void => {
    if (item.kind === 'join') {
      visit(item.left);
      visit(item.right);
      if (item.alias) add(item.alias.name, item.location);
      return;
    }
    const name = item.alias?.name ?? (item.kind === 'table' ? item.name[item.name.length - 1] : undefined);
    if (name !== undefined) add(name, item.location);
  };
  const add = (name: string, location: number) => {
    if (seen.has(name)) throw err('DUPLICATE_ALIAS', `table name "${name}" specified more than once`, location);
    seen.add(name);
  };
  for (const f of from) visit(f);
}

function crossJoin(sc: StatementContext, left: Relation, right: Relation): Relation {
  return {
    scope: { columns: [...left.scope.columns, ...right.scope.columns] },
    plan: planNode('nested loop (cross join)', left.plan, right.plan),
    rows: async function* () {
      const rightRows = await collect(sc, right, 'building a nested loop join');
      for await (const batch of left.rows()) {
        const out: Datum[][] = [];
        for (const l of batch) for (const r of rightRows) out.push([...l, ...r]);
        yield out;
      }
    },
  };
}

/** All of a relation's rows, held in memory (charged to the statement). */
async function collect(sc: StatementContext, rel: Relation, what: string): Promise<Datum[][]> {
  const out: Datum[][] = [];
  for await (const batch of rel.rows()) {
    for (const r of batch) {
      sc.memory.chargeRow(r, what);
      out.push(r);
    }
  }
  return out;
}

async function planJoin(
  sc: StatementContext,
  j: JoinRef,
  binder: ExprBinder,
  where?: Expr,
  usage?: ColumnUsage,
): Promise<Relation> {
  const left = await planFromItem(sc, j.left, binder, where, usage);
  const right = await planFromItem(sc, j.right, binder, where, usage);
  return await joinRelations(sc, j, left, right, binder, []);
}

/** What joinRelations needs of a join: its type and conditions. */
type JoinSpec = Pick<JoinRef, 'joinType' | 'natural' | 'using' | 'location'> & Partial<Pick<JoinRef, 'on' | 'alias'>>;

/**
 * Joins two relations. `hints` are extra conditions (the WHERE clause of a comma join) whose
 * equalities between the two sides can key the join; the caller still applies them afterwards.
 */
async function joinRelations(
  sc: StatementContext,
  j: JoinSpec,
  left: Relation,
  right: Relation,
  binder: ExprBinder,
  hints: readonly Expr[],
): Promise<Relation> {
  const nl = left.scope.columns.length;
  const nr = right.scope.columns.length;
  const type = j.joinType;
  if (type === 'cross') return crossJoin(sc, left, right);

  // USING / NATURAL: the named columns appear once, first (coalesced for a FULL join); the
  // originals stay reachable through their table names only.
  let usingCols = [...j.using];
  if (j.natural) {
    const rightNames = new Set(right.scope.columns.filter((c) => !c.hidden).map((c) => c.name));
    usingCols = left.scope.columns.filter((c) => !c.hidden && rightNames.has(c.name)).map((c) => c.name);
  }
  const pairs = usingCols.map((name) => {
    const li = left.scope.columns.findIndex((c) => c.name === name && !c.hidden);
    const ri = right.scope.columns.findIndex((c) => c.name === name && !c.hidden);
    if (li < 0)
      throw err(
        'UNDEFINED_COLUMN',
        `column "${name}" specified in USING clause does not exist in left table`,
        j.location,
      );
    if (ri < 0)
      throw err(
        'UNDEFINED_COLUMN',
        `column "${name}" specified in USING clause does not exist in right table`,
        j.location,
      );
    return {
      name,
      li,
      ri,
      type: commonType(
        (left.scope.columns[li] as ScopeColumn).type,
        (right.scope.columns[ri] as ScopeColumn).type,
        j.location,
      ),
    };
  });
  const merged = new Set(pairs.flatMap((p) => [p.li, nl + p.ri]));
  const combined: ScopeColumn[] = [
    ...left.scope.columns.map((c, i) => (merged.has(i) ? { ...c, qualifiedOnly: true } : c)),
    ...right.scope.columns.map((c, i) => (merged.has(nl + i) ? { ...c, qualifiedOnly: true } : c)),
  ];
  // Merged USING columns are appended to the row: [left…, right…, using…], listed first for `*`.
  const usingScope: ScopeColumn[] = pairs.map((p) => ({
    name: p.name,
    type: p.type,
    ...(j.alias ? { table: j.alias.name } : {}),
  }));
  const scope: Scope = {
    columns: [...combined, ...usingScope],
    starOrder: [...pairs.map((_, k) => nl + nr + k), ...combined.map((_, i) => i)],
  };

  // Equality conditions between a left column and a right column drive a hash join.
  const onScope: Scope = { columns: [...left.scope.columns, ...right.scope.columns] };
  const keys: { l: BoundExpr; r: BoundExpr; type: ScopeColumn['type'] }[] = [];
  const residual: Expr[] = [];
  for (const p of pairs) {
    const lc = left.scope.columns[p.li] as ScopeColumn;
    const rc = right.scope.columns[p.ri] as ScopeColumn;
    keys.push({
      l: coerce({ type: lc.type, name: lc.name, eval: (row) => row[p.li] ?? null }, p.type, 'implicit', binder.b),
      r: coerce({ type: rc.type, name: rc.name, eval: (row) => row[nl + p.ri] ?? null }, p.type, 'implicit', binder.b),
      type: p.type,
    });
  }
  /** `left column = right column` as a join key, if `c` is one. */
  const asKey = (c: Expr): boolean => {
    if (c.kind !== 'binaryOp' || c.op !== '=' || c.left.kind !== 'columnRef' || c.right.kind !== 'columnRef')
      return false;
    let a: BoundExpr;
    let b: BoundExpr;
    try {
      a = binder.bind(c.left, onScope);
      b = binder.bind(c.right, onScope);
    } catch {
      return false; // a hint naming other tables of a longer FROM list
    }
    const ai = a.columnIndex;
    const bi = b.columnIndex;
    if (ai === undefined || bi === undefined || ai < nl === bi < nl) return false;
    const [lx, rx] = ai < nl ? [a, b] : [b, a];
    const t = commonType(lx.type, rx.type, c.location);
    keys.push({ l: coerce(lx, t, 'implicit', binder.b), r: coerce(rx, t, 'implicit', binder.b), type: t });
    return true;
  };
  if (j.on) {
    binder.bindCondition(j.on, onScope, 'JOIN/ON'); // checks names and the boolean type up front
    for (const c of conjunctsOf(j.on)) if (!asKey(c)) residual.push(c);
  }
  for (const h of hints) asKey(h);
  const residualExprs = residual.map((c) => binder.bindCondition(c, onScope, 'JOIN/ON'));
  const env = sc.env;
  const matches = (row: Datum[]) => residualExprs.every((e) => e.eval(row, env) === true);
  const keyOf = (row: readonly Datum[], side: 'l' | 'r'): string | undefined => {
    const parts: string[] = [];
    for (const k of keys) {
      const v = k[side].eval(row, env);
      if (v === null) return undefined; // NULL never joins
      parts.push(hashKey(k.type, v));
    }
    return parts.join('\u0001');
  };
  const nullsL: Datum[] = new Array(nl).fill(null);
  const nullsR: Datum[] = new Array(nr).fill(null);
  const withUsing = (l: readonly Datum[], r: readonly Datum[]): Datum[] => {
    const row = [...l, ...r];
    for (let k = 0; k < pairs.length; k++) {
      const lv = (keys[k] as { l: BoundExpr }).l.eval(row, env);
      row.push(lv !== null ? lv : (keys[k] as { r: BoundExpr }).r.eval(row, env));
    }
    return row;
  };
  // A base table on the right whose key or index the join's equalities fix can be looked up for
  // each left row (an index nested-loop "lookup join") instead of read whole.
  const lookup = (type === 'inner' || type === 'left') && right.table ? lookupPath(right.table, keys, nl) : undefined;
  const merge = keys.length > 0 ? mergeOrder(left, right, keys, nl) : undefined;
  const method =
    keys.length === 0
      ? 'nested loop'
      : await chooseJoin(sc, left, right, lookup !== undefined, merge, type === 'inner');
  const estimate = joinEstimate(left, right, method === 'lookup' && lookup?.kind === 'point');
  // Under EXPLAIN, each join shows the rows the statistics expect of it.
  const estimated = sc.explaining ? await estimate() : undefined;
  const est = estimated === undefined ? '' : ` (estimated rows=${Math.round(estimated)})`;
  if (method === 'lookup' && lookup && right.table) {
    const rt = right.table;
    const keysEqual = (row: Datum[]) =>
      keys.every((k) => {
        const a = k.l.eval(row, env);
        const b = k.r.eval(row, env);
        return a !== null && b !== null && hashKey(k.type, a) === hashKey(k.type, b);
      });
    return {
      scope,
      plan: planNode(`lookup join (${type}) on ${describeAccess(rt, lookup, right.neededColumns)}${est}`, left.plan),
      estimate,
      ...(left.order ? { order: left.order } : {}),
      rows: async function* () {
        for await (const batch of left.rows()) {
          const out: Datum[][] = [];
          for (const l of batch) {
            let any = false;
            for await (const rb of readAccess(sc, rt, lookup, env, [...l, ...nullsR], right.neededColumns)) {
              for (const r of rb) {
                const row = [...l, ...r];
                if (!keysEqual(row) || !matches(row)) continue;
                any = true;
                out.push(withUsing(l, r));
              }
            }
            if (!any && type === 'left') out.push(withUsing(l, nullsR));
          }
          if (out.length > 0) yield out;
        }
      },
    };
  }
  if (method === 'merge' && merge) {
    const spec: MergeJoinSpec = {
      type: type as 'inner' | 'left' | 'right' | 'full',
      keys: merge.keys,
      nl,
      nr,
      leftSorted: merge.leftSorted,
      rightSorted: merge.rightSorted,
      matches,
      output: withUsing,
    };
    const sortedness = (sorted: boolean) => (sorted ? 'ordered' : 'sorted');
    return {
      scope,
      plan: planNode(
        `merge join (${type}; left ${sortedness(merge.leftSorted)}, right ${sortedness(merge.rightSorted)})${est}`,
        left.plan,
        right.plan,
      ),
      estimate,
      rows: () => mergeJoin(sc, spec, left.rows(), right.rows()),
    };
  }
  // An inner hash join builds its table on the smaller input (by the statistics' estimates).
  if (type === 'inner' && keys.length > 0 && (await smallerLeft(left, right))) {
    return {
      scope,
      plan: planNode(`hash join (inner; built on the left)${est}`, left.plan, right.plan),
      estimate,
      rows: async function* () {
        const leftRows = await collect(sc, left, 'building a hash join');
        const table = new Map<string, number[]>();
        leftRows.forEach((l, i) => {
          const k = keyOf([...l, ...nullsR], 'l');
          if (k === undefined) return;
          const list = table.get(k);
          if (list) list.push(i);
          else table.set(k, [i]);
        });
        for await (const batch of right.rows()) {
          const out: Datum[][] = [];
          for (const r of batch) {
            const k = keyOf([...nullsL, ...r], 'r');
            for (const i of k === undefined ? [] : (table.get(k) ?? [])) {
              const l = leftRows[i] as Datum[];
              if (matches([...l, ...r])) out.push(withUsing(l, r));
            }
          }
          if (out.length > 0) yield out;
        }
      },
    };
  }
  return {
    scope,
    plan: planNode(
      `${keys.length > 0 ? `hash join (${type})` : `nested loop (${type} join)`}${est}`,
      left.plan,
      right.plan,
    ),
    estimate,
    rows: async function* () {
      const rightRows = await collect(sc, right, 'building a hash join');
      // Build a hash table on the right side (all rows in one bucket when there are no keys).
      const table = new Map<string, number[]>();
      rightRows.forEach((r, i) => {
        const k = keys.length === 0 ? '' : keyOf([...nullsL, ...r], 'r');
        if (k === undefined) return;
        const list = table.get(k);
        if (list) list.push(i);
        else table.set(k, [i]);
      });
      const rightMatched = type === 'right' || type === 'full' ? new Uint8Array(rightRows.length) : undefined;
      for await (const batch of left.rows()) {
        const out: Datum[][] = [];
        for (const l of batch) {
          const k = keys.length === 0 ? '' : keyOf([...l, ...nullsR], 'l');
          let any = false;
          for (const i of k === undefined ? [] : (table.get(k) ?? [])) {
            const r = rightRows[i] as Datum[];
            const row = [...l, ...r];
            if (!matches(row)) continue;
            any = true;
            if (rightMatched) rightMatched[i] = 1;
            out.push(withUsing(l, r));
          }
          if (!any && (type === 'left' || type === 'full')) out.push(withUsing(l, nullsR));
        }
        if (out.length > 0) yield out;
      }
      if (rightMatched) {
        const out: Datum[][] = [];
        for (let i = 0; i < rightRows.length; i++)
          if (!rightMatched[i]) out.push(withUsing(nullsL, rightRows[i] as Datum[]));
        if (out.length > 0) yield out;
      }
    },
  };
}

type JoinKey = { l: BoundExpr; r: BoundExpr; type: SqlType };

/**
 * The join keys in the order a merge join walks them, and which inputs already arrive in that
 * order: an input is ordered when its order's leading columns are exactly the key columns (plain
 * columns of the key's own type, so the scan's key order is the comparison's order).
 */
function mergeOrder(
  left: Relation,
  right: Relation,
  keys: readonly JoinKey[],
  nl: number,
): { keys: JoinKey[]; leftSorted: boolean; rightSorted: boolean } {
  const leftCol = (k: JoinKey) => (k.l.type.kind === k.type.kind ? k.l.columnIndex : undefined);
  const rightCol = (k: JoinKey) =>
    k.r.type.kind === k.type.kind && k.r.columnIndex !== undefined ? k.r.columnIndex - nl : undefined;
  /** The keys permuted to follow `order`, if its first keys.length columns are the key columns. */
  const follow = (order: readonly number[] | undefined, col: (k: JoinKey) => number | undefined) => {
    if (!order || order.length < keys.length) return undefined;
    const out: JoinKey[] = [];
    for (const pos of order.slice(0, keys.length)) {
      const k = keys.find((x) => col(x) === pos && !out.includes(x));
      if (!k) return undefined;
      out.push(k);
    }
    return out;
  };
  const byLeft = follow(left.order, leftCol);
  const byRight = follow(right.order, rightCol);
  const chosen = byLeft ?? byRight ?? [...keys];
  const sortedBy = (order: readonly number[] | undefined, col: (k: JoinKey) => number | undefined) =>
    order !== undefined && chosen.every((k, i) => col(k) === order[i]);
  return { keys: chosen, leftSorted: sortedBy(left.order, leftCol), rightSorted: sortedBy(right.order, rightCol) };
}

/** What PostgreSQL adds to the cost of a join method its enable_* setting turns off. */
const DISABLED = 1e10;

/**
 * The join method of least estimated cost, in units of one row read or hashed. With statistics:
 * a hash join reads and hashes the right side and probes once per left row (2.5·R + L); a lookup
 * join seeks once per left row (4·L) and never reads the rest of the right table; a merge join
 * reads both (R + L/2), plus n·log n to sort an input not already in key order. Without them the
 * rule is: a lookup join if an index allows one, else a merge join of inputs both in key order,
 * else a hash join. enable_hashjoin / enable_mergejoin / enable_nestloop = off discourage a
 * method as in PostgreSQL (it is still used when nothing else can run the join).
 */
async function chooseJoin(
  sc: StatementContext,
  left: Relation,
  right: Relation,
  canLookup: boolean,
  merge: { leftSorted: boolean; rightSorted: boolean } | undefined,
  inner: boolean,
): Promise<'lookup' | 'merge' | 'hash'> {
  const enabled = sc.planner ?? DEFAULT_PLANNER_SETTINGS;
  const L = await left.estimate?.();
  const R = await right.estimate?.();
  const sortCost = (n: number) => 0.3 * n * Math.log2(n + 2);
  const known = L !== undefined && R !== undefined;
  const costs: ['lookup' | 'merge' | 'hash', number][] = [];
  if (canLookup) costs.push(['lookup', (known ? 4 * L : 0) + (enabled.nestLoop ? 0 : DISABLED)]);
  if (merge) {
    const base = known
      ? R + L / 2 + (merge.leftSorted ? 0 : sortCost(L)) + (merge.rightSorted ? 0 : sortCost(R))
      : merge.leftSorted && merge.rightSorted
        ? 0.5
        : 2;
    costs.push(['merge', base + (enabled.mergeJoin ? 0 : DISABLED)]);
  }
  // An inner join hashes the smaller side; outer joins hash the right one.
  const [build, probe] = known && inner ? [Math.min(L, R), Math.max(L, R)] : [R ?? 0, L ?? 0];
  costs.push(['hash', (known ? 2.5 * build + probe : 1) + (enabled.hashJoin ? 0 : DISABLED)]);
  costs.sort((a, b) => a[1] - b[1]);
  return (costs[0] as ['lookup' | 'merge' | 'hash', number])[0];
}

/** Whether the statistics estimate the left input smaller than the right (false when unknown). */
async function smallerLeft(left: Relation, right: Relation): Promise<boolean> {
  const L = await left.estimate?.();
  const R = await right.estimate?.();
  return L !== undefined && R !== undefined && L < R;
}

/** Estimated rows of a join: the left side's for a lookup of a unique key, else the larger side's. */
function joinEstimate(left: Relation, right: Relation, uniqueLookup: boolean): () => Promise<number | undefined> {
  return async () => {
    const L = await left.estimate?.();
    if (uniqueLookup) return L;
    const R = await right.estimate?.();
    return L === undefined || R === undefined ? undefined : Math.max(L, R);
  };
}

/**
 * The access path on the right table of a join when the join's equalities (left value = right
 * column, in the right column's own type) fix its primary key or a unique index, or a prefix of
 * an index.
 */
function lookupPath(
  rt: BoundTable,
  keys: readonly { l: BoundExpr; r: BoundExpr; type: SqlType }[],
  nl: number,
): AccessPath | undefined {
  const bounds = new Map<number, ColumnBounds>();
  for (const k of keys) {
    const pos = k.r.columnIndex;
    if (pos === undefined || pos < nl) continue;
    const col = rt.table.columns[pos - nl];
    if (!col || col.type.kind !== k.type.kind) continue;
    bounds.set(pos - nl, { eq: k.l });
  }
  if (bounds.size === 0) return undefined;
  const path = chooseAccess(rt, bounds);
  return path.kind === 'point' || path.kind === 'prefix' ? path : undefined;
}

/** Whether a name a subquery could not resolve belongs to an enclosing query (a correlated reference). */
function enclosingHas(outer: Scope | undefined, code: string, ref: readonly string[] | undefined): boolean {
  const name = ref?.[ref.length - 1];
  const table = ref && ref.length >= 2 ? ref[ref.length - 2] : undefined;
  for (let s = outer; s; s = s.outer) {
    const hit =
      code === 'UNDEFINED_TABLE'
        ? s.columns.some((c) => c.table === table)
        : s.columns.some((c) => c.name === name && (table === undefined || c.table === table));
    if (hit) return true;
  }
  return false;
}

/**
 * Prepares the subqueries inside `exprs` (not those nested in other subqueries, which their own
 * query prepares) for the binder. An uncorrelated one runs now, once. One that refers to a
 * column of an enclosing query (`outer`) is correlated: it is run here once with NULLs for those
 * columns to learn its column types, and then for every row (`evaluateCorrelated`).
 */
const SUBQUERY_KINDS: ReadonlySet<string> = new Set([
  'subquery',
  'exists',
  'inSubquery',
  'quantifiedSubquery',
  'arraySubquery',
]);
const withSubqueries = new WeakMap<object, boolean>();

function holdsSubquery(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  // A node shared with a template (below the few a templated statement copies) answers from memory.
  if (noSubqueriesIn(v)) return false;
  if (Array.isArray(v)) return v.some(holdsSubquery);
  const kind = (v as { kind?: string }).kind;
  if (kind !== undefined && SUBQUERY_KINDS.has(kind)) return true;
  if (kind === 'select') return false;
  return Object.values(v).some(holdsSubquery);
}

/**
 * True when `v` was built from a literal template whose counterpart holds no subquery expression
 * (outside nested SELECTs): a walk for subqueries can skip it.
 */
export function noSubqueriesIn(v: unknown): boolean {
  return noneInTemplate(v, withSubqueries, holdsSubquery);
}

/** Whether an expression of a parsed statement holds no subquery (remembered per node). */
function subqueryFree(e: Expr | undefined): boolean {
  if (!e) return true;
  if (noSubqueriesIn(e)) return true;
  let has = withSubqueries.get(e);
  if (has === undefined) {
    has = holdsSubquery(e);
    withSubqueries.set(e, has);
  }
  return !has;
}

export async function prepareSubqueries(
  sc: StatementContext,
  exprs: readonly (Expr | undefined)[],
  outer: Scope,
  into: Map<object, SubqueryResult> = new Map(),
): Promise<Map<object, SubqueryResult>> {
  const found: { node: object; query: SelectStmt }[] = [];
  const visit = (v: unknown): void => {
    if (noSubqueriesIn(v)) return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const node = v as { kind?: string; query?: SelectStmt };
    if (
      (node.kind === 'subquery' ||
        node.kind === 'exists' ||
        node.kind === 'inSubquery' ||
        node.kind === 'quantifiedSubquery' ||
        node.kind === 'arraySubquery') &&
      node.query?.kind === 'select'
    ) {
      found.push({ node, query: node.query });
      // The left operand of IN / ANY may hold subqueries of its own.
      for (const [k, x] of Object.entries(node)) if (k !== 'query') visit(x);
      return;
    }
    if (node.kind === 'select') return;
    for (const x of Object.values(node)) visit(x);
  };
  for (const e of exprs) if (!subqueryFree(e)) visit(e);
  for (const { node, query } of found) {
    if (into.has(node)) continue;
    try {
      const r = await runSelect({ ...sc, outerScope: undefined }, query);
      into.set(node, { types: r.columns.map((c) => c.type), rows: r.rows });
    } catch (e) {
      if (
        !(isThinkLiteError(e) && (e.code === 'UNDEFINED_COLUMN' || e.code === 'UNDEFINED_TABLE')) ||
        !enclosingHas(outer, e.code, e.details.reference as readonly string[] | undefined)
      ) {
        throw e;
      }
      const nulls = new Array(outer.columns.length).fill(null);
      const probe = await runSelect(correlatedContext(sc, outer, nulls), query);
      into.set(node, { types: probe.columns.map((c) => c.type), rows: [], correlated: query });
    }
  }
  return into;
}

function correlatedContext(sc: StatementContext, outer: Scope, row: readonly Datum[]): StatementContext {
  return { ...sc, outerScope: outer, env: { ...sc.env, outer: [row, ...(sc.env.outer ?? [])] } };
}

/** The correlated subqueries among prepared ones. */
export function correlatedOf(prepared: ReadonlyMap<object, SubqueryResult>): [object, SelectStmt][] {
  return [...prepared].filter(([, r]) => r.correlated).map(([node, r]) => [node, r.correlated as SelectStmt]);
}

/** The environment to evaluate `row` in: its correlated subqueries run with it as their outer row. */
export async function evaluateCorrelated(
  sc: StatementContext,
  outer: Scope,
  correlated: readonly [object, SelectStmt][],
  row: readonly Datum[],
): Promise<StatementContext['env']> {
  if (correlated.length === 0) return sc.env;
  const applied = new Map<object, SubqueryResult>();
  const inner = correlatedContext(sc, outer, row);
  for (const [node, query] of correlated) {
    const r = await runSelect(inner, query);
    applied.set(node, { types: r.columns.map((c) => c.type), rows: r.rows });
  }
  return { ...sc.env, applied };
}
