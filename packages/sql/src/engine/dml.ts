import { isThinkLiteError } from '@thinklite/base';
import type { ColumnDesc, IndexDesc, SequenceDesc } from '../catalog/descriptors.js';
import type {
  DeleteStmt,
  Expr,
  FromItem,
  InsertStmt,
  OnConflictUpdate,
  SelectTarget,
  SetClause,
  UpdateStmt,
} from '../parser/ast.js';
import { cast } from '../types/cast.js';
import type { Datum } from '../types/datum.js';
import { applyTypmod, formatText } from '../types/text-io.js';
import { Types } from '../types/type.js';
import type { QueryResult, ResultColumn, StatementContext } from './context.js';
import { type BoundExpr, coerce, type Env, ExprBinder, type Scope } from './expr.js';
import { checkReferences, onParentChange } from './fk.js';
import { type BoundTable, bindTable, bindTargets, runSelect, scanTable } from './query.js';
import { correlatedOf, evaluateCorrelated, planFrom, prepareSubqueries } from './relation.js';
import { nextvalSites, resolveSequenceCalls } from './sequences.js';

/** INSERT, UPDATE and DELETE on one table, with RETURNING and ON CONFLICT. */

const err = sqlError;

function failingRow(bt: BoundTable, row: readonly Datum[], sc: StatementContext): string {
  const shown = bt.table.columns
    .map((c, i) => ({ c, v: row[i] ?? null }))
    .filter(({ c }) => !c.hidden)
    .map(({ c, v }) => (v === null ? 'null' : formatText(c.type, v, sc.typeContext)));
  return `Failing row contains (${shown.join(', ')}).`;
}

/** Checks NOT NULL and CHECK constraints of a row about to be written. */
function checkRow(
  sc: StatementContext,
  bt: BoundTable,
  row: readonly Datum[],
  checks: readonly { name: string; expr: BoundExpr }[],
): void {
  bt.table.columns.forEach((c, i) => {
    if (!c.nullable && (row[i] ?? null) === null) {
      throw err(
        'NOT_NULL_VIOLATION',
        `null value in column "${c.name}" of relation "${bt.table.name}" violates not-null constraint`,
        undefined,
        {
          detail: failingRow(bt, row, sc),
          column: c.name,
          table: bt.table.name,
        },
      );
    }
  });
  for (const ch of checks) {
    if (ch.expr.eval(row, sc.env) === false) {
      throw err(
        'CHECK_VIOLATION',
        `new row for relation "${bt.table.name}" violates check constraint "${ch.name}"`,
        undefined,
        {
          detail: failingRow(bt, row, sc),
          constraint: ch.name,
        },
      );
    }
  }
}

function bindChecks(bt: BoundTable, binder: ExprBinder): { name: string; expr: BoundExpr }[] {
  return bt.table.checks.map((c) => ({ name: c.name, expr: binder.bindCondition(c.expr, bt.scope, 'CHECK') }));
}

function returning(
  targets: readonly SelectTarget[],
  scope: Scope,
  binder: ExprBinder,
): { exprs: BoundExpr[]; columns: ResultColumn[] } | undefined {
  if (targets.length === 0) return undefined;
  const t = bindTargets(targets, scope, binder);
  return { exprs: t.exprs, columns: t.exprs.map((e, i) => ({ name: t.names[i] as string, type: e.type })) };
}

function result(
  tag: string,
  n: number,
  ret: { exprs: BoundExpr[]; columns: ResultColumn[] } | undefined,
  rows: Datum[][],
  table: BoundTable,
): QueryResult {
  return {
    command: tag,
    rowCount: n,
    columns: ret?.columns ?? [],
    rows: ret ? rows : [],
    writtenTable: table.table.id,
  };
}

/** A column's value in a new row: coerced to its type in assignment context, modifiers applied. */
function assign(e: BoundExpr, c: ColumnDesc, binder: ExprBinder): BoundExpr {
  const bound = coerce(
    e,
    c.type,
    'assignment',
    binder.b,
    `column "${c.name}" is of type ${typeNameOf(c)} but expression is of type ${typeNameOfExpr(e)}`,
  );
  const f = bound.eval;
  const t = c.type;
  return { ...bound, eval: (row, env) => applyTypmod(t, f(row, env)) };
}

import { typeName } from '../types/type.js';
import { sqlError } from './errors.js';

const typeNameOf = (c: ColumnDesc) => typeName(c.type);
const typeNameOfExpr = (e: BoundExpr) => typeName(e.type);

/** How a column gets its value when none is given: its DEFAULT, its sequence, a rowid, or NULL. */
async function defaultValue(sc: StatementContext, c: ColumnDesc, binder: ExprBinder): Promise<Datum> {
  if (c.sequenceId !== undefined && c.defaultExpr === undefined) {
    const seq = (await sc.catalog.byId(c.sequenceId)) as SequenceDesc | undefined;
    if (!seq) throw err('INTERNAL_ERROR', `sequence ${c.sequenceId} of column "${c.name}" is missing`);
    const v = await sc.sequences.next(seq);
    return cast(v, Types.int8, c.type, sc.typeContext, 'assignment');
  }
  if (c.defaultExpr !== undefined) {
    // A DEFAULT may call nextval('seq') (as pg_dump writes SERIAL columns): fetch its values first.
    const calls = await resolveSequenceCalls(sc, [c.defaultExpr]);
    if (calls.size === 0) return assign(binder.bind(c.defaultExpr, { columns: [] }), c, binder).eval([], sc.env);
    const cache = sc.env.sequences;
    if (cache) for (const [seq, n] of nextvalSites(calls)) await cache.ensure(seq, n);
    const withSeq = new ExprBinder({
      params: binder.b.params,
      ctx: binder.b.ctx,
      subqueries: binder.b.subqueries,
      sequenceCalls: calls,
    });
    return assign(withSeq.bind(c.defaultExpr, { columns: [] }), c, withSeq).eval([], sc.env);
  }
  if (c.hidden && c.name === 'rowid') return sc.rowIds.next();
  return null;
}

function isDefault(e: Expr): boolean {
  return e.kind === 'default';
}

/**
 * Inserts rows given as values per column (undefined: the column's default) through INSERT's
 * checks — NOT NULL, CHECK, foreign keys, unique indexes (COPY FROM's path).
 */
export function rowInserter(
  sc: StatementContext,
  bt: BoundTable,
  binder: ExprBinder,
): (row: (Datum | undefined)[]) => Promise<void> {
  const checks = bindChecks(bt, binder);
  const cols = bt.table.columns;
  return async (given) => {
    const row: Datum[] = new Array(cols.length);
    for (let i = 0; i < cols.length; i++) {
      const v = given[i];
      row[i] = v !== undefined ? v : await defaultValue(sc, cols[i] as ColumnDesc, binder);
    }
    checkRow(sc, bt, row, checks);
    await checkReferences(sc, bt.table, row);
    await bt.codec.insert(sc.txn, row);
  };
}

export async function runInsert(sc: StatementContext, stmt: InsertStmt): Promise<QueryResult> {
  const bt = await bindTable(sc, stmt.table);
  const valueExprs =
    stmt.source.kind === 'select' && stmt.source.body.kind === 'values' ? stmt.source.body.rows.flat() : [];
  const binder = new ExprBinder({
    params: sc.params,
    ctx: sc.typeContext,
    subqueries: await prepareSubqueries(sc, [...valueExprs, ...stmt.returning.map((t) => t.expr)], { columns: [] }),
    sequenceCalls: sc.sequenceCalls,
  });
  const cols = bt.table.columns;
  let targets: number[];
  if (stmt.columns.length > 0) {
    targets = stmt.columns.map((name) => {
      const i = cols.findIndex((c) => c.name === name && !c.hidden);
      if (i < 0)
        throw err('UNDEFINED_COLUMN', `column "${name}" of relation "${bt.table.name}" does not exist`, stmt.location);
      return i;
    });
    const dup = targets.find((t, i) => targets.indexOf(t) !== i);
    if (dup !== undefined)
      throw err(
        'DUPLICATE_COLUMN',
        `column "${(cols[dup] as ColumnDesc).name}" specified more than once`,
        stmt.location,
      );
  } else {
    targets = cols.map((c, i) => (c.hidden ? -1 : i)).filter((i) => i >= 0);
  }

  // The source rows, as values per target column (undefined: DEFAULT).
  const sourceRows: (Datum | undefined)[][] = [];
  if (stmt.source.kind === 'defaultValues') sourceRows.push([]);
  else if (
    stmt.source.body.kind === 'values' &&
    stmt.source.orderBy.length === 0 &&
    !stmt.source.limit &&
    !stmt.source.offset
  ) {
    for (const r of stmt.source.body.rows) {
      if (r.length > targets.length)
        throw err('SYNTAX_ERROR', 'INSERT has more expressions than target columns', stmt.source.location);
      if (r.length < targets.length && stmt.columns.length > 0) {
        throw err('SYNTAX_ERROR', 'INSERT has more target columns than expressions', stmt.source.location);
      }
      if (sc.beforeRow) await sc.beforeRow();
      sourceRows.push(
        r.map((e, j) => {
          if (isDefault(e)) return undefined;
          const c = cols[targets[j] as number] as ColumnDesc;
          if (e.kind === 'param') binder.b.params.infer(e.number, c.type);
          const value = assign(binder.bind(e, { columns: [] }), c, binder);
          return sc.describeOnly ? null : value.eval([], sc.env);
        }),
      );
    }
  } else {
    const q = await runSelect(sc, stmt.source);
    if (q.columns.length > targets.length)
      throw err('SYNTAX_ERROR', 'INSERT has more expressions than target columns', stmt.source.location);
    for (const r of q.rows) {
      sourceRows.push(
        r.map((v, j) => {
          const c = cols[targets[j] as number] as ColumnDesc;
          const from = (q.columns[j] as ResultColumn).type;
          return v === null ? null : applyTypmod(c.type, cast(v, from, c.type, sc.typeContext, 'assignment'));
        }),
      );
    }
  }

  const checks = bindChecks(bt, binder);
  const ret = returning(stmt.returning, bt.scope, binder);
  const conflict = stmt.onConflict ? conflictHandling(bt, stmt, binder) : undefined;
  const out: Datum[][] = [];
  let count = 0;
  if (sc.describeOnly) return result('INSERT 0 0', 0, ret, out, bt);
  for (const src of sourceRows) {
    const row: Datum[] = new Array(cols.length).fill(null);
    const given = new Set<number>();
    targets.forEach((t, j) => {
      const v = src[j];
      if (v !== undefined) {
        row[t] = v;
        given.add(t);
      }
    });
    for (let i = 0; i < cols.length; i++)
      if (!given.has(i)) row[i] = await defaultValue(sc, cols[i] as ColumnDesc, binder);
    checkRow(sc, bt, row, checks);
    await checkReferences(sc, bt.table, row);
    if (!conflict) {
      await bt.codec.insert(sc.txn, row);
    } else {
      const sp = sc.txn.savepoint();
      try {
        await bt.codec.insert(sc.txn, row);
      } catch (e) {
        if (!isThinkLiteError(e, 'UNIQUE_VIOLATION') || !conflict.matches(e.details.constraint as string)) throw e;
        sc.txn.rollbackTo(sp);
        if (!conflict.update) continue;
        const updated = await conflict.update(sc, row, checks);
        if (!updated) continue;
        count++;
        if (ret) out.push(ret.exprs.map((x) => x.eval(updated, sc.env)));
        continue;
      }
    }
    count++;
    if (ret) out.push(ret.exprs.map((x) => x.eval(row, sc.env)));
  }
  return result(`INSERT 0 ${count}`, count, ret, out, bt);
}

interface ConflictHandling {
  matches(constraint: string): boolean;
  update?: (
    sc: StatementContext,
    proposed: Datum[],
    checks: { name: string; expr: BoundExpr }[],
  ) => Promise<Datum[] | undefined>;
}

function conflictHandling(bt: BoundTable, stmt: InsertStmt, binder: ExprBinder): ConflictHandling {
  const oc = stmt.onConflict as NonNullable<InsertStmt['onConflict']>;
  const indexes: IndexDesc[] = [bt.table.primaryIndex, ...bt.table.indexes.filter((i) => i.unique)];
  let arbiter: IndexDesc | undefined;
  if (oc.target?.kind === 'columns') {
    const names = oc.target.columns.map((c) => c.column);
    const ids = names.map((n) => bt.table.columns.find((c) => c.name === n)?.id);
    arbiter = indexes.find(
      (ix) => ix.columns.length === ids.length && ix.columns.every((c) => ids.includes(c.columnId)),
    );
    if (!arbiter) {
      throw err(
        'INVALID_COLUMN_REFERENCE',
        'there is no unique or exclusion constraint matching the ON CONFLICT specification',
        oc.location,
      );
    }
  } else if (oc.target?.kind === 'constraint') {
    const name = oc.target.name;
    arbiter = indexes.find((ix) => (ix.constraint ?? ix.name) === name);
    if (!arbiter)
      throw err('UNDEFINED_OBJECT', `constraint "${name}" for table "${bt.table.name}" does not exist`, oc.location);
  }
  const matches = (constraint: string) => !arbiter || (arbiter.constraint ?? arbiter.name) === constraint;
  if (oc.action.kind === 'nothing') return { matches };
  if (!arbiter)
    throw err('SYNTAX_ERROR', 'ON CONFLICT DO UPDATE requires inference specification or constraint name', oc.location);
  const action = oc.action as OnConflictUpdate;
  // SET and WHERE see the existing row as the table and the proposed one as `excluded`.
  const scope: Scope = {
    columns: [
      ...bt.scope.columns,
      ...bt.table.columns.map((c) => ({ name: c.name, type: c.type, table: 'excluded', hidden: true })),
    ],
  };
  const sets = bindSets(action.set, bt, scope, binder);
  const where = action.where ? binder.bindCondition(action.where, scope, 'WHERE') : undefined;
  const ix = arbiter;
  return {
    matches,
    update: async (sc, proposed, checks) => {
      const existing = await findByIndex(sc, bt, ix, proposed);
      if (!existing) throw err('INTERNAL_ERROR', 'conflicting row not found');
      const both = [...existing, ...proposed];
      if (where && where.eval(both, sc.env) !== true) return undefined;
      const next = [...existing];
      for (const s of sets) next[s.position] = s.expr.eval(both, sc.env);
      checkRow(sc, bt, next, checks);
      await checkReferences(sc, bt.table, next);
      await onParentChange(sc, bt.table, existing, next);
      await bt.codec.update(sc.txn, existing, next);
      return next;
    },
  };
}

async function findByIndex(
  sc: StatementContext,
  bt: BoundTable,
  ix: IndexDesc,
  row: readonly Datum[],
): Promise<Datum[] | undefined> {
  let pkValues: Datum[];
  if (ix === bt.table.primaryIndex) pkValues = bt.codec.primaryKeyPositions.map((p) => row[p] ?? null);
  else {
    const codec = bt.codec.indexes.find((c) => c.index === ix);
    if (!codec) return undefined;
    const key = codec.key(row);
    const value = await sc.txn.get(key);
    if (!value) return undefined;
    pkValues = codec.primaryKeyValues(key, value);
  }
  const key = bt.codec.primaryKeyOf(pkValues);
  const raw = await sc.txn.get(key);
  return raw ? bt.codec.decodeRow(key, raw) : undefined;
}

function bindSets(
  set: readonly SetClause[],
  bt: BoundTable,
  scope: Scope,
  binder: ExprBinder,
): { position: number; expr: BoundExpr }[] {
  const seen = new Set<number>();
  return set.map((s) => {
    if (s.kind !== 'assign') throw err('FEATURE_NOT_SUPPORTED', 'multiple-column SET is not supported yet', s.location);
    const position = bt.table.columns.findIndex((c) => c.name === s.column && !c.hidden);
    if (position < 0)
      throw err('UNDEFINED_COLUMN', `column "${s.column}" of relation "${bt.table.name}" does not exist`, s.location);
    if (seen.has(position)) throw err('SYNTAX_ERROR', `multiple assignments to same column "${s.column}"`, s.location);
    seen.add(position);
    const c = bt.table.columns[position] as ColumnDesc;
    if (s.value.kind === 'param') binder.b.params.infer(s.value.number, c.type);
    if (s.value.kind === 'default') {
      throw err('FEATURE_NOT_SUPPORTED', 'SET column = DEFAULT is not supported yet', s.location);
    }
    return { position, expr: assign(binder.bind(s.value, scope), c, binder) };
  });
}

/**
 * The rows an UPDATE or DELETE acts on, all read before any is written: a row moved by its own
 * update is never visited twice.
 */
async function targetRows(
  sc: StatementContext,
  bt: BoundTable,
  whereAst: Expr | undefined,
  binder: ExprBinder,
): Promise<{ row: Datum[]; env: Env }[]> {
  const where = whereAst ? binder.bindCondition(whereAst, bt.scope, 'WHERE') : undefined;
  const correlated = correlatedOf(binder.b.subqueries ?? new Map());
  const rows: { row: Datum[]; env: Env }[] = [];
  // Rows to change: a primary-key lookup locks its row (a concurrent writer waits for us).
  for await (const row of scanTable(sc, bt, whereAst, binder, true)) {
    const env = await evaluateCorrelated(sc, bt.scope, correlated, row);
    if (!where || where.eval(row, env) === true) rows.push({ row, env });
  }
  return rows;
}

/** A binder for a statement on `bt`, with the uncorrelated subqueries of `exprs` already run. */
async function dmlBinder(
  sc: StatementContext,
  bt: BoundTable,
  exprs: readonly (Expr | undefined)[],
): Promise<ExprBinder> {
  return new ExprBinder({
    params: sc.params,
    ctx: sc.typeContext,
    subqueries: await prepareSubqueries(sc, exprs, bt.scope),
    sequenceCalls: sc.sequenceCalls,
  });
}

/**
 * The rows of an UPDATE … FROM / DELETE … USING: the target table joined with the other FROM
 * items under the WHERE clause, as a SELECT would join them. Each target row is taken once, with
 * the first joined row that matched it (PostgreSQL leaves which one unspecified). `joined` is the
 * whole row — target columns first — that SET and RETURNING read.
 */
async function joinedTargets(
  sc: StatementContext,
  stmt: UpdateStmt | DeleteStmt,
  bt: BoundTable,
  from: readonly FromItem[],
  exprs: readonly (Expr | undefined)[],
): Promise<{ scope: Scope; binder: ExprBinder; rows: { row: Datum[]; joined: Datum[]; env: Env }[] }> {
  const plain = new ExprBinder({ params: sc.params, ctx: sc.typeContext });
  const rel = await planFrom(sc, [stmt.table, ...from], plain, stmt.where);
  const scope = rel.scope;
  const binder = new ExprBinder({
    params: sc.params,
    ctx: sc.typeContext,
    subqueries: await prepareSubqueries(sc, [stmt.where, ...exprs], scope),
    sequenceCalls: sc.sequenceCalls,
  });
  const where = stmt.where ? binder.bindCondition(stmt.where, scope, 'WHERE') : undefined;
  const correlated = correlatedOf(binder.b.subqueries ?? new Map());
  const width = bt.table.columns.length;
  const pk = bt.codec.primaryKeyPositions;
  const seen = new Set<string>();
  const rows: { row: Datum[]; joined: Datum[]; env: Env }[] = [];
  for await (const batch of rel.rows()) {
    for (const joined of batch) {
      const env = await evaluateCorrelated(sc, scope, correlated, joined);
      if (where && where.eval(joined, env) !== true) continue;
      const row = joined.slice(0, width);
      const key = bt.codec.primaryKeyOf(pk.map((p) => row[p] ?? null)).toString('latin1');
      if (seen.has(key)) continue;
      seen.add(key);
      sc.memory.chargeRow(joined, 'collecting the rows to change');
      rows.push({ row, joined, env });
    }
  }
  return { scope, binder, rows };
}

export async function runUpdate(sc: StatementContext, stmt: UpdateStmt): Promise<QueryResult> {
  const bt = await bindTable(sc, stmt.table);
  const exprs = [...stmt.set.map((x) => x.value), ...stmt.returning.map((t) => t.expr)];
  let scope = bt.scope;
  let binder: ExprBinder;
  let targets: { row: Datum[]; joined?: Datum[]; env: Env }[];
  if (stmt.from.length > 0) {
    ({ scope, binder, rows: targets } = await joinedTargets(sc, stmt, bt, stmt.from, exprs));
  } else {
    binder = await dmlBinder(sc, bt, [stmt.where, ...exprs]);
    targets = [];
  }
  const sets = bindSets(stmt.set, bt, scope, binder);
  const checks = bindChecks(bt, binder);
  const ret = returning(stmt.returning, scope, binder);
  if (stmt.from.length === 0) targets = await targetRows(sc, bt, stmt.where, binder);
  const width = bt.table.columns.length;
  const out: Datum[][] = [];
  for (const { row: old, joined, env } of targets) {
    if (sc.beforeRow) await sc.beforeRow();
    const next = [...old];
    for (const s of sets) next[s.position] = s.expr.eval(joined ?? old, env);
    checkRow(sc, bt, next, checks);
    await checkReferences(sc, bt.table, next);
    await onParentChange(sc, bt.table, old, next);
    await bt.codec.update(sc.txn, old, next);
    // RETURNING sees the new row, and the FROM items' columns after it.
    if (ret) out.push(ret.exprs.map((x) => x.eval(joined ? [...next, ...joined.slice(width)] : next, env)));
  }
  return result(`UPDATE ${targets.length}`, targets.length, ret, out, bt);
}

export async function runDelete(sc: StatementContext, stmt: DeleteStmt): Promise<QueryResult> {
  const bt = await bindTable(sc, stmt.table);
  const exprs = stmt.returning.map((t) => t.expr);
  let scope = bt.scope;
  let binder: ExprBinder;
  let targets: { row: Datum[]; joined?: Datum[]; env: Env }[];
  if (stmt.using.length > 0) {
    ({ scope, binder, rows: targets } = await joinedTargets(sc, stmt, bt, stmt.using, exprs));
  } else {
    binder = await dmlBinder(sc, bt, [stmt.where, ...exprs]);
    targets = await targetRows(sc, bt, stmt.where, binder);
  }
  const ret = returning(stmt.returning, scope, binder);
  const out: Datum[][] = [];
  for (const { row, joined, env } of targets) {
    await onParentChange(sc, bt.table, row);
    await bt.codec.delete(sc.txn, row);
    if (ret) out.push(ret.exprs.map((x) => x.eval(joined ?? row, env)));
  }
  return result(`DELETE ${targets.length}`, targets.length, ret, out, bt);
}
