import { prefixEnd } from '@thinklite/storage';
import type { IndexDesc } from '../catalog/descriptors.js';
import { indexPrefix } from '../catalog/keys.js';
import type { Expr } from '../parser/ast.js';
import { encodeIndexKey, type IndexKeyColumn } from '../rowcodec/key.js';
import type { Datum } from '../types/datum.js';
import type { StatementContext } from './context.js';
import { type BoundExpr, coerce, commonType, type Env, type ExprBinder } from './expr.js';
import type { BoundTable } from './query.js';
import type { IndexCodec } from './table.js';

/**
 * Access paths: how rows of one table are read for a query. From the WHERE clause's conjuncts
 * (`column = value`, `column < value`, …, BETWEEN, with values that are constants, parameters or
 * — for lookup joins — the other side's columns) the planner picks, in this order: a primary key
 * point lookup; a unique index point lookup; an index scan on an equality prefix (the longest);
 * a range scan on the primary key's or an index's first column; else the full primary index. The
 * chosen path only narrows what is read: every row is still checked against the whole WHERE.
 */

/** What is known about a column's values from the conditions. */
export interface ColumnBounds {
  eq?: BoundExpr;
  lo?: { expr: BoundExpr; inclusive: boolean };
  hi?: { expr: BoundExpr; inclusive: boolean };
}

export type AccessPath =
  | { readonly kind: 'full' }
  | { readonly kind: 'point'; readonly index: IndexDesc; readonly values: readonly BoundExpr[] }
  | { readonly kind: 'prefix'; readonly index: IndexDesc; readonly values: readonly BoundExpr[] }
  | { readonly kind: 'range'; readonly index: IndexDesc; readonly bounds: ColumnBounds };

export function conjunctsOf(e: Expr | undefined): Expr[] {
  if (!e) return [];
  if (e.kind === 'and') return e.args.flatMap((a) => conjunctsOf(a));
  return [e];
}

const VALUE_KINDS = new Set(['integer', 'numeric', 'string', 'param', 'typedLiteral', 'boolean']);

/** A value side usable in a key: a constant, a parameter, or a cast of one. */
function isConstantSide(e: Expr): boolean {
  if (VALUE_KINDS.has(e.kind)) return true;
  if (e.kind === 'cast') return isConstantSide(e.expr);
  if (e.kind === 'unaryOp' && e.op === '-') return isConstantSide(e.operand);
  return false;
}

const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };

/** Bounds per column position of `bt` from a WHERE clause's constant comparisons. */
export function boundsFromWhere(
  bt: BoundTable,
  where: Expr | undefined,
  binder: ExprBinder,
): Map<number, ColumnBounds> {
  const out = new Map<number, ColumnBounds>();
  const add = (colSide: Expr, op: string, valSide: Expr) => {
    if (colSide.kind !== 'columnRef' || !isConstantSide(valSide)) return;
    // Another table's column (a join's WHERE names them all): skip it without the cost of an error.
    const names = colSide.names;
    const name = names[names.length - 1];
    const table = names.length > 1 ? names[names.length - 2] : undefined;
    if (!bt.scope.columns.some((c) => c.name === name && (table === undefined || c.table === table))) return;
    let col: BoundExpr;
    try {
      col = binder.bind(colSide, bt.scope);
    } catch {
      return;
    }
    const pos = col.columnIndex;
    if (pos === undefined) return;
    const val = binder.bind(valSide, bt.scope);
    // The key orders values of the column's own type; compare in another type, and it may not.
    if (commonType(col.type, val.type).kind !== col.type.kind) return;
    const v = coerce(val, col.type, 'implicit', binder.b);
    const b = out.get(pos) ?? {};
    if (op === '=') b.eq = v;
    else if (op === '>' || op === '>=') b.lo = { expr: v, inclusive: op === '>=' };
    else if (op === '<' || op === '<=') b.hi = { expr: v, inclusive: op === '<=' };
    out.set(pos, b);
  };
  for (const c of conjunctsOf(where)) {
    if (c.kind === 'binaryOp' && FLIP[c.op] !== undefined) {
      add(c.left, c.op, c.right);
      add(c.right, FLIP[c.op] as string, c.left);
    } else if (c.kind === 'between' && !c.negated && !c.symmetric) {
      add(c.expr, '>=', c.low);
      add(c.expr, '<=', c.high);
    }
  }
  return out;
}

/** The best access path for `bt` given what the conditions fix. */
export function chooseAccess(bt: BoundTable, bounds: ReadonlyMap<number, ColumnBounds>): AccessPath {
  const t = bt.table;
  const posOf = (columnId: number) => bt.codec.position(columnId);
  const eqOf = (ix: IndexDesc) => {
    const values: BoundExpr[] = [];
    for (const c of ix.columns) {
      const e = bounds.get(posOf(c.columnId))?.eq;
      if (!e) break;
      values.push(e);
    }
    return values;
  };
  const pkEq = eqOf(t.primaryIndex);
  if (pkEq.length === t.primaryIndex.columns.length) return { kind: 'point', index: t.primaryIndex, values: pkEq };
  for (const ix of t.indexes) {
    const eq = eqOf(ix);
    if (ix.unique && eq.length === ix.columns.length) return { kind: 'point', index: ix, values: eq };
  }
  let best: { index: IndexDesc; values: BoundExpr[] } | undefined;
  for (const ix of [t.primaryIndex, ...t.indexes]) {
    const eq = eqOf(ix);
    if (eq.length > 0 && (!best || eq.length > best.values.length)) best = { index: ix, values: eq };
  }
  if (best) return { kind: 'prefix', ...best };
  for (const ix of [t.primaryIndex, ...t.indexes]) {
    const first = ix.columns[0];
    const b = first ? bounds.get(posOf(first.columnId)) : undefined;
    if (b && (b.lo || b.hi)) return { kind: 'range', index: ix, bounds: b };
  }
  return { kind: 'full' };
}

/** Whether the path reads only a secondary index, which holds every column at `needed`. */
export function indexOnly(bt: BoundTable, path: AccessPath, needed: ReadonlySet<number> | undefined): boolean {
  if (path.kind === 'full' || path.index === bt.table.primaryIndex || !needed) return false;
  return bt.codec.indexes.find((c) => c.index === path.index)?.covers(needed) === true;
}

/** A one-line description of the path, for EXPLAIN. */
export function describeAccess(bt: BoundTable, path: AccessPath, needed?: ReadonlySet<number>): string {
  if (indexOnly(bt, path, needed)) return `index-only ${describeAccess(bt, path)}`;
  switch (path.kind) {
    case 'full':
      return `full scan of ${bt.table.name}@${bt.table.primaryIndex.name}`;
    case 'point':
      return `point lookup on ${bt.table.name}@${path.index.name}`;
    case 'prefix':
      return `index scan of ${bt.table.name}@${path.index.name} (${path.values.length} key column${path.values.length > 1 ? 's' : ''} fixed)`;
    case 'range':
      return `range scan of ${bt.table.name}@${path.index.name}`;
  }
}

function keyColumns(bt: BoundTable, ix: IndexDesc, n: number): IndexKeyColumn[] {
  return ix.columns.slice(0, n).map((c) => {
    const col = bt.codec.column(c.columnId);
    return c.nullsFirst === undefined
      ? { type: col.type, direction: c.direction }
      : { type: col.type, direction: c.direction, nullsFirst: c.nullsFirst };
  });
}

/** Rows of the primary index or, through a secondary index, looked up by primary key; in batches. */
async function* rowsFromSpan(
  sc: StatementContext,
  bt: BoundTable,
  ix: IndexDesc,
  start: Buffer,
  end: Buffer,
  needed?: ReadonlySet<number>,
): AsyncGenerator<Datum[][]> {
  if (ix === bt.table.primaryIndex) {
    for await (const batch of sc.txn.scanBatches(start, end)) {
      await sc.checkInterrupts?.();
      const rows: Datum[][] = new Array(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const kv = batch[i] as { key: Buffer; value: Buffer };
        rows[i] = bt.codec.decodeRow(kv.key, kv.value, needed);
      }
      yield rows;
    }
    return;
  }
  const ic = bt.codec.indexes.find((c) => c.index === ix) as IndexCodec;
  if (needed && ic.covers(needed)) {
    // An index-only scan: the entries hold every column the query uses.
    const width = bt.table.columns.length;
    for await (const batch of sc.txn.scanBatches(start, end)) {
      await sc.checkInterrupts?.();
      yield batch.map((kv) => ic.decodeRow(kv.key, kv.value, width));
    }
    return;
  }
  for await (const batch of sc.txn.scanBatches(start, end)) {
    await sc.checkInterrupts?.();
    const rows: Datum[][] = [];
    for (const kv of batch) {
      const key = bt.codec.primaryKeyOf(ic.primaryKeyValues(kv.key, kv.value));
      const raw = await sc.txn.get(key);
      if (raw) rows.push(bt.codec.decodeRow(key, raw, needed));
    }
    if (rows.length > 0) yield rows;
  }
}

/**
 * Reads the rows an access path selects, in batches; `row` feeds the values of a lookup join.
 * `forUpdate` (the rows an UPDATE or DELETE changes): a point lookup on the primary key is a
 * locking read, so a concurrent writer of the same row waits for this transaction instead of
 * failing at commit (other paths read without locks; the commit still checks them).
 */
export async function* readAccess(
  sc: StatementContext,
  bt: BoundTable,
  path: AccessPath,
  env: Env,
  row: readonly Datum[] = [],
  needed?: ReadonlySet<number>,
  forUpdate = false,
): AsyncGenerator<Datum[][]> {
  if (path.kind === 'full') {
    const span = bt.codec.span();
    yield* rowsFromSpan(sc, bt, bt.table.primaryIndex, span.start, span.end, needed);
    return;
  }
  const ix = path.index;
  const prefix = indexPrefix(bt.table.id, ix.id);
  if (path.kind === 'point' || path.kind === 'prefix') {
    const values = path.values.map((v) => v.eval(row, env));
    if (values.some((v) => v === null)) return; // = NULL matches nothing
    if (path.kind === 'point' && ix === bt.table.primaryIndex) {
      const key = bt.codec.primaryKeyOf(values);
      const raw = forUpdate
        ? await sc.txn.getForUpdate(key, sc.checkInterrupts ? { whileWaiting: sc.checkInterrupts } : {})
        : await sc.txn.get(key);
      if (raw) yield [bt.codec.decodeRow(key, raw, needed)];
      return;
    }
    const start = encodeIndexKey(prefix, keyColumns(bt, ix, values.length), values);
    yield* rowsFromSpan(sc, bt, ix, start, prefixEnd(start) as Buffer, needed);
    return;
  }
  const cols = keyColumns(bt, ix, 1);
  const desc = (cols[0] as IndexKeyColumn).direction === 'desc';
  const lo = path.bounds.lo
    ? { v: path.bounds.lo.expr.eval(row, env), inclusive: path.bounds.lo.inclusive }
    : undefined;
  const hi = path.bounds.hi
    ? { v: path.bounds.hi.expr.eval(row, env), inclusive: path.bounds.hi.inclusive }
    : undefined;
  if ((lo && lo.v === null) || (hi && hi.v === null)) return;
  // In key order, a descending column's upper value bound comes first.
  const first = desc ? hi : lo;
  const last = desc ? lo : hi;
  const keyOf = (v: Datum) => encodeIndexKey(prefix, cols, [v]);
  const start = first ? (first.inclusive ? keyOf(first.v) : (prefixEnd(keyOf(first.v)) as Buffer)) : prefix;
  const end = last
    ? last.inclusive
      ? (prefixEnd(keyOf(last.v)) as Buffer)
      : keyOf(last.v)
    : (prefixEnd(prefix) as Buffer);
  if (Buffer.compare(start, end) >= 0) return;
  yield* rowsFromSpan(sc, bt, ix, start, end, needed);
}
