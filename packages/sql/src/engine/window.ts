import type { Expr, FrameBound, FuncCall, SortItem, WindowDefinition, WindowSpec } from '../parser/ast.js';
import { compare, hashKey } from '../types/compare.js';
import type { Datum } from '../types/datum.js';
import { type SqlType, Types, typeName } from '../types/type.js';
import { AGGREGATES, accumulate, bindAggregate, exprKey } from './aggregate.js';
import { sqlError as err } from './errors.js';
import { type BoundExpr, coerce, type Env, ExprBinder, type Scope } from './expr.js';

/**
 * Window functions: each call's rows are partitioned, ordered, and given a frame; the results
 * become extra columns of the rows (after the WHERE, GROUP BY and HAVING steps), which the select
 * list and ORDER BY then read. Ranking (row_number, rank, dense_rank, percent_rank, cume_dist,
 * ntile), navigation (lag, lead, first_value, last_value, nth_value) and every aggregate over a
 * frame: ROWS with offsets, or RANGE from/to UNBOUNDED or CURRENT ROW (peers included).
 */

const RANKING = new Set(['row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile']);
const NAVIGATION = new Set(['lag', 'lead', 'first_value', 'last_value', 'nth_value']);

export function isWindowCall(e: Expr): e is FuncCall {
  return e.kind === 'funcCall' && e.over !== undefined;
}

/** The window calls in an expression (not inside subqueries). */
export function findWindowCalls(e: Expr | undefined, out: FuncCall[] = []): FuncCall[] {
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    const node = v as { kind?: string };
    if (node.kind === 'select') return;
    if (typeof node.kind === 'string' && isWindowCall(node as Expr)) {
      out.push(node as FuncCall);
      return;
    }
    for (const x of Object.values(node)) visit(x);
  };
  visit(e);
  return out;
}

/** A window's full specification, named windows (WINDOW w AS …, OVER w) resolved. */
function resolveSpec(spec: WindowSpec, defs: readonly WindowDefinition[]): WindowSpec {
  if (!spec.baseWindow) return spec;
  const base = defs.find((d) => d.name === spec.baseWindow);
  if (!base) throw err('UNDEFINED_OBJECT', `window "${spec.baseWindow}" does not exist`, spec.location);
  const b = resolveSpec(base.spec, defs);
  if (spec.partitionBy.length > 0)
    throw err('WINDOWING_ERROR', `cannot override PARTITION BY clause of window "${spec.baseWindow}"`, spec.location);
  if (spec.orderBy.length > 0 && b.orderBy.length > 0) {
    throw err('WINDOWING_ERROR', `cannot override ORDER BY clause of window "${spec.baseWindow}"`, spec.location);
  }
  const merged: WindowSpec = {
    kind: 'windowSpec',
    location: spec.location,
    partitionBy: b.partitionBy,
    orderBy: spec.orderBy.length > 0 ? spec.orderBy : b.orderBy,
    ...(spec.frame ? { frame: spec.frame } : b.frame ? { frame: b.frame } : {}),
  };
  return merged;
}

interface OrderKey {
  readonly expr: BoundExpr;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

function bindOrder(items: readonly SortItem[], scope: Scope, binder: ExprBinder): OrderKey[] {
  return items.map((i) => {
    const desc = i.direction === 'desc';
    return { expr: binder.bind(i.expr, scope), desc, nullsFirst: i.nulls === 'default' ? desc : i.nulls === 'first' };
  });
}

function compareKeys(keys: readonly OrderKey[], a: readonly Datum[], b: readonly Datum[]): number {
  for (let j = 0; j < keys.length; j++) {
    const k = keys[j] as OrderKey;
    const x = a[j] ?? null;
    const y = b[j] ?? null;
    if (x === null || y === null) {
      if (x === y) continue;
      return (x === null) === k.nullsFirst ? -1 : 1;
    }
    const c = compare(k.expr.type, x, y);
    if (c !== 0) return k.desc ? -c : c;
  }
  return 0;
}

/** One bound window call: how to compute its value for every row of a partition. */
interface BoundWindow {
  readonly call: FuncCall;
  readonly type: SqlType;
  readonly partition: BoundExpr[];
  readonly order: OrderKey[];
  /** Values for the rows of one partition, in partition order. */
  compute(rows: readonly Datum[][], orderKeys: readonly Datum[][], env: Env): Datum[];
}

function constInt(e: BoundExpr | undefined, env: Env, what: string, location: number): number {
  if (!e) return 1;
  const v = e.eval([], env);
  if (v === null) throw err('INVALID_PARAMETER_VALUE', `${what} must not be null`, location);
  return Number(v as number | bigint);
}

/** Frame bounds [start, end] (inclusive positions in the partition) for row i. */
function frameOf(
  spec: WindowSpec,
  i: number,
  n: number,
  peersStart: number,
  peersEnd: number,
  offsets: { start?: number; end?: number },
): [number, number] {
  const f = spec.frame;
  if (!f) return spec.orderBy.length > 0 ? [0, peersEnd] : [0, n - 1];
  const at = (b: FrameBound, isStart: boolean): number => {
    switch (b.kind) {
      case 'unboundedPreceding':
        return 0;
      case 'unboundedFollowing':
        return n - 1;
      case 'currentRow':
        if (f.mode === 'rows') return i;
        return isStart ? peersStart : peersEnd;
      case 'preceding':
        return i - ((isStart ? offsets.start : offsets.end) ?? 0);
      case 'following':
        return i + ((isStart ? offsets.start : offsets.end) ?? 0);
    }
  };
  return [Math.max(0, at(f.start, true)), Math.min(n - 1, at(f.end, false))];
}

function bindWindow(call: FuncCall, defs: readonly WindowDefinition[], scope: Scope, binder: ExprBinder): BoundWindow {
  const name = call.name[call.name.length - 1] as string;
  const spec = resolveSpec(call.over as WindowSpec, defs);
  const f = spec.frame;
  if (f && (f.mode === 'groups' || f.exclude !== 'noOthers')) {
    throw err(
      'FEATURE_NOT_SUPPORTED',
      `${f.mode === 'groups' ? 'GROUPS frames' : 'frame EXCLUDE'} are not supported yet`,
      call.location,
    );
  }
  if (
    f &&
    f.mode === 'range' &&
    (f.start.kind === 'preceding' ||
      f.start.kind === 'following' ||
      f.end.kind === 'preceding' ||
      f.end.kind === 'following')
  ) {
    throw err('FEATURE_NOT_SUPPORTED', 'RANGE frames with offsets are not supported yet', call.location);
  }
  const partition = spec.partitionBy.map((p) => binder.bind(p, scope));
  const order = bindOrder(spec.orderBy, scope, binder);
  const offsetExpr = (b: FrameBound | undefined) =>
    b && (b.kind === 'preceding' || b.kind === 'following')
      ? coerce(binder.bind(b.offset, { columns: [] }), Types.int8, 'assignment', binder.b)
      : undefined;
  const startOff = offsetExpr(f?.start);
  const endOff = offsetExpr(f?.end);
  const offsetsFor = (env: Env) => ({
    ...(startOff ? { start: constInt(startOff, env, 'frame starting offset', call.location) } : {}),
    ...(endOff ? { end: constInt(endOff, env, 'frame ending offset', call.location) } : {}),
  });
  const args = call.args.map((a) => binder.bind(a, scope));
  const peersOf = (keys: readonly Datum[][], i: number): [number, number] => {
    if (order.length === 0) return [0, keys.length - 1];
    let s = i;
    while (s > 0 && compareKeys(order, keys[s - 1] as Datum[], keys[i] as Datum[]) === 0) s--;
    let e = i;
    while (e < keys.length - 1 && compareKeys(order, keys[e + 1] as Datum[], keys[i] as Datum[]) === 0) e++;
    return [s, e];
  };
  const base = { call, partition, order };

  if (RANKING.has(name)) {
    if (name === 'ntile' ? args.length !== 1 : args.length !== 0) {
      throw err(
        'UNDEFINED_FUNCTION',
        `function ${name}(${args.map((a) => typeName(a.type)).join(', ')}) does not exist`,
        call.location,
      );
    }
    const isFloat = name === 'percent_rank' || name === 'cume_dist';
    return {
      ...base,
      type: isFloat ? Types.float8 : name === 'ntile' ? Types.int4 : Types.int8,
      compute: (rows, keys, env) => {
        const n = rows.length;
        const out: Datum[] = [];
        let rank = 1;
        let dense = 0;
        for (let i = 0; i < n; i++) {
          const newPeer = i === 0 || compareKeys(order, keys[i - 1] as Datum[], keys[i] as Datum[]) !== 0;
          if (newPeer) {
            rank = i + 1;
            dense++;
          }
          switch (name) {
            case 'row_number':
              out.push(BigInt(i + 1));
              break;
            case 'rank':
              out.push(BigInt(rank));
              break;
            case 'dense_rank':
              out.push(BigInt(dense));
              break;
            case 'percent_rank':
              out.push(n === 1 ? 0 : (rank - 1) / (n - 1));
              break;
            case 'cume_dist': {
              const [, e] = peersOf(keys, i);
              out.push((e + 1) / n);
              break;
            }
            default: {
              const buckets = constInt(args[0], env, 'argument of ntile', call.location);
              if (buckets <= 0)
                throw err('INVALID_PARAMETER_VALUE', 'argument of ntile must be greater than zero', call.location);
              const per = Math.floor(n / buckets);
              const extra = n % buckets;
              // The first `extra` buckets hold one more row.
              const big = extra * (per + 1);
              out.push(i < big ? Math.floor(i / (per + 1)) + 1 : extra + Math.floor((i - big) / Math.max(per, 1)) + 1);
            }
          }
        }
        return out;
      },
    };
  }

  if (NAVIGATION.has(name)) {
    const value = args[0];
    if (!value) throw err('UNDEFINED_FUNCTION', `function ${name}() does not exist`, call.location);
    const t = value.type.kind === 'unknown' ? Types.text : value.type;
    const ve = coerce(value, t, 'implicit', binder.b).eval;
    if (name === 'lag' || name === 'lead') {
      const offset = args[1] ? coerce(args[1], Types.int4, 'implicit', binder.b) : undefined;
      const dflt = args[2] ? coerce(args[2], t, 'implicit', binder.b) : undefined;
      const sign = name === 'lag' ? -1 : 1;
      return {
        ...base,
        type: t,
        compute: (rows, _keys, env) =>
          rows.map((row, i) => {
            const off = offset ? offset.eval(row, env) : 1;
            if (off === null) return null;
            const j = i + sign * (off as number);
            if (j < 0 || j >= rows.length) return dflt ? dflt.eval(row, env) : null;
            return ve(rows[j] as Datum[], env);
          }),
      };
    }
    const nth = name === 'nth_value' ? coerce(args[1] ?? value, Types.int4, 'implicit', binder.b) : undefined;
    return {
      ...base,
      type: t,
      compute: (rows, keys, env) => {
        const offsets = offsetsFor(env);
        return rows.map((row, i) => {
          const [ps, pe] = peersOf(keys, i);
          const [s, e] = frameOf(spec, i, rows.length, ps, pe, offsets);
          if (s > e) return null;
          if (name === 'first_value') return ve(rows[s] as Datum[], env);
          if (name === 'last_value') return ve(rows[e] as Datum[], env);
          const k = nth?.eval(row, env);
          if (k === null || k === undefined) return null;
          if ((k as number) <= 0)
            throw err('INVALID_PARAMETER_VALUE', 'argument of nth_value must be greater than zero', call.location);
          const j = s + (k as number) - 1;
          return j <= e ? ve(rows[j] as Datum[], env) : null;
        });
      },
    };
  }

  if (AGGREGATES.has(name)) {
    const agg = bindAggregate({ ...call, over: undefined } as unknown as FuncCall, scope, binder);
    return {
      ...base,
      type: agg.type,
      compute: (rows, keys, env) => {
        const offsets = offsetsFor(env);
        const out: Datum[] = [];
        let cache: { s: number; e: number; v: Datum } | undefined;
        for (let i = 0; i < rows.length; i++) {
          const [ps, pe] = peersOf(keys, i);
          const [s, e] = frameOf(spec, i, rows.length, ps, pe, offsets);
          if (cache && cache.s === s && cache.e === e) {
            out.push(cache.v);
            continue;
          }
          const acc = agg.newAccumulator(env);
          const seen = agg.distinct ? new Set<string>() : undefined;
          for (let j = s; j <= e; j++) accumulate(agg, acc, rows[j] as Datum[], env, seen);
          const v = acc.result();
          cache = { s, e, v };
          out.push(v);
        }
        return out;
      },
    };
  }
  throw err('UNDEFINED_FUNCTION', `function ${name} is not a window function`, call.location);
}

/**
 * Computes every window call over `rows` (already filtered, grouped and HAVING-checked) and
 * returns the rows extended with one column per distinct call, and a binder that reads those
 * columns where the calls appear.
 */
export function applyWindows(
  rows: readonly Datum[][],
  calls: readonly FuncCall[],
  defs: readonly WindowDefinition[],
  scope: Scope,
  binder: ExprBinder,
  env: Env,
): { rows: Datum[][]; binder: ExprBinder } {
  const index = new Map<string, number>();
  const bound: BoundWindow[] = [];
  for (const c of calls) {
    const k = exprKey(c);
    if (index.has(k)) continue;
    for (const a of c.args) {
      if (findWindowCalls(a).length > 0)
        throw err('WINDOWING_ERROR', 'window function calls cannot be nested', a.location);
    }
    index.set(k, bound.length);
    bound.push(bindWindow(c, defs, scope, binder));
  }
  const width = rows[0]?.length ?? scope.columns.length;
  const extended = rows.map((r) => [...r, ...new Array<Datum>(bound.length).fill(null)]);
  bound.forEach((w, wi) => {
    // Partition, then order each partition (stable: ties keep input order).
    const parts = new Map<string, number[]>();
    rows.forEach((r, i) => {
      const k = w.partition.map((p) => {
        const v = p.eval(r, env);
        return v === null ? '\u0000null' : hashKey(p.type, v);
      });
      const key = k.join('\u0001');
      const list = parts.get(key);
      if (list) list.push(i);
      else parts.set(key, [i]);
    });
    for (const members of parts.values()) {
      const keys = new Map<number, Datum[]>(
        members.map((i) => [i, w.order.map((o) => o.expr.eval(rows[i] as Datum[], env))]),
      );
      members.sort((a, b) => compareKeys(w.order, keys.get(a) as Datum[], keys.get(b) as Datum[]) || a - b);
      const values = w.compute(
        members.map((i) => rows[i] as Datum[]),
        members.map((i) => keys.get(i) as Datum[]),
        env,
      );
      members.forEach((i, j) => {
        (extended[i] as Datum[])[width + wi] = values[j] ?? null;
      });
    }
  });
  const prev = binder.override;
  const next = new ExprBinder(binder.b);
  next.override = (e) => {
    if (isWindowCall(e)) {
      const wi = index.get(exprKey(e));
      if (wi !== undefined) {
        const col = width + wi;
        const w = bound[wi] as BoundWindow;
        return { type: w.type, name: e.name[e.name.length - 1] as string, eval: (row) => row[col] ?? null };
      }
    }
    return prev?.(e);
  };
  return { rows: extended, binder: next };
}
