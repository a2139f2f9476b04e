import type { Expr, FrameBound, FuncCall, SortItem, WindowDefinition, WindowFrame, WindowSpec } from '../parser/ast.js';
import { noneInTemplate } from '../parser/literal-templates.js';
import { castContext } from '../types/cast.js';
import { compare, hashKey } from '../types/compare.js';
import { dateToTimestamp, negate, timestampAddInterval, timestamptzAddInterval } from '../types/datetime.js';
import type { Datum } from '../types/datum.js';
import { addInterval, compareInterval, type Interval, intervalSpan, subInterval } from '../types/interval.js';
import { Numeric } from '../types/numeric.js';
import { checkInt } from '../types/scalar.js';
import { type SqlType, Types, typeName } from '../types/type.js';
import { AGGREGATES, accumulate, type BoundAggregate, bindAggregate, exprKey } from './aggregate.js';
import { sqlError as err } from './errors.js';
import { type BoundExpr, coerce, type Env, ExprBinder, type Scope } from './expr.js';

/**
 * Window functions: each call's rows are partitioned, ordered, and given a frame; the results
 * become extra columns of the rows (after the WHERE, GROUP BY and HAVING steps), which the select
 * list and ORDER BY then read. Ranking (row_number, rank, dense_rank, percent_rank, cume_dist,
 * ntile), navigation (lag, lead, first_value, last_value, nth_value) and every aggregate over a
 * frame, with PostgreSQL's semantics: ROWS, RANGE and GROUPS, with UNBOUNDED, CURRENT ROW or
 * offset bounds (RANGE offsets through PostgreSQL's in_range rules for numbers, dates,
 * timestamps and intervals), and EXCLUDE CURRENT ROW / GROUP / TIES / NO OTHERS.
 */

const RANKING = new Set(['row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile']);
const NAVIGATION = new Set(['lag', 'lead', 'first_value', 'last_value', 'nth_value']);

/** Template nodes (literal-templates.ts) and whether they hold window calls. */
const withWindowCalls = new WeakMap<object, boolean>();

export function isWindowCall(e: Expr): e is FuncCall {
  return e.kind === 'funcCall' && e.over !== undefined;
}

/** The window calls in an expression (not inside subqueries). */
export function findWindowCalls(e: Expr | undefined, out: FuncCall[] = []): FuncCall[] {
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (noneInTemplate(v, withWindowCalls, (t) => findWindowCalls(t as Expr).length > 0)) return;
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

/** The ORDER BY items, a repeated expression dropped as PostgreSQL drops it (`ORDER BY x, x` is one column). */
function bindOrder(items: readonly SortItem[], scope: Scope, binder: ExprBinder): OrderKey[] {
  const seen = new Set<string>();
  const out: OrderKey[] = [];
  for (const i of items) {
    const k = exprKey(i.expr);
    if (seen.has(k)) continue;
    seen.add(k);
    const desc = i.direction === 'desc';
    out.push({
      expr: binder.bind(i.expr, scope),
      desc,
      nullsFirst: i.nulls === 'default' ? desc : i.nulls === 'first',
    });
  }
  return out;
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

// --- peer groups -------------------------------------------------------------------------------

/** The peer groups of a sorted partition: rows with equal ORDER BY keys (all rows, without ORDER BY). */
interface Peers {
  /** The group of each row. */
  readonly group: readonly number[];
  /** The first and the last row of each group. */
  readonly first: readonly number[];
  readonly last: readonly number[];
}

function peerGroups(order: readonly OrderKey[], keys: readonly Datum[][]): Peers {
  const group: number[] = [];
  const first: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    if (i === 0 || (order.length > 0 && compareKeys(order, keys[i - 1] as Datum[], keys[i] as Datum[]) !== 0)) {
      if (i > 0) last.push(i - 1);
      first.push(i);
    }
    group.push(first.length - 1);
  }
  if (keys.length > 0) last.push(keys.length - 1);
  return { group, first, last };
}

// --- RANGE offsets: PostgreSQL's in_range support functions -----------------------------------

/**
 * in_range(val, base, offset, sub, less): whether `val` is on the right side of `base ± offset`
 * (`sub`: minus; `less`: val ≤ bound, else val ≥ bound). Neither value is NULL.
 */
type InRange = (val: Datum, base: Datum, sub: boolean, less: boolean) => boolean;

interface RangeSupport {
  /** The offset types PostgreSQL has an in_range function for, with this ORDER BY column type. */
  readonly offsetTypes: readonly SqlType[];
  /** The in_range function for one offset value (not NULL). */
  make(offset: Datum, env: Env): InRange;
}

/** A negative (or NaN) frame offset: SQLSTATE 22013, with PostgreSQL's message. */
function invalidSize(message = 'invalid preceding or following size in window function'): Error {
  return err('INVALID_PRECEDING_OR_FOLLOWING_SIZE', message);
}

const cmpResult = (c: number, less: boolean) => (less ? c <= 0 : c >= 0);

/** in_range_int{2,4,8}_int{2,4,8}: exact arithmetic, so an overflowing bound behaves as PostgreSQL's. */
function intInRange(offset: Datum): InRange {
  const off = BigInt(offset as number | bigint);
  return (val, base, sub, less) => {
    if (off < 0n) throw invalidSize();
    const b = BigInt(base as number | bigint);
    const v = BigInt(val as number | bigint);
    const bound = sub ? b - off : b + off;
    return less ? v <= bound : v >= bound;
  };
}

/** in_range_float8_float8 (and float4 with a float8 offset): NaN sorts last, ±Infinity as PostgreSQL. */
function floatInRange(offset: Datum): InRange {
  const off = offset as number;
  return (val, base, sub, less) => {
    if (Number.isNaN(off) || off < 0) throw invalidSize();
    const v = val as number;
    const b = base as number;
    if (Number.isNaN(v)) return Number.isNaN(b) ? true : !less;
    if (Number.isNaN(b)) return less;
    // base ± offset would be NaN: +inf infinitely precedes +inf (and -inf follows -inf).
    if (off === Number.POSITIVE_INFINITY && !Number.isFinite(b) && (sub ? b > 0 : b < 0)) return true;
    const bound = sub ? b - off : b + off;
    return less ? v <= bound : v >= bound;
  };
}

/** in_range_numeric_numeric. */
function numericInRange(offset: Datum): InRange {
  const off = offset as Numeric;
  return (val, base, sub, less) => {
    if (off.isNaN() || off.sign() < 0) throw invalidSize();
    const v = val as Numeric;
    const b = base as Numeric;
    if (v.isNaN()) return b.isNaN() ? true : !less;
    if (b.isNaN()) return less;
    if (off.isInfinite()) {
      if (sub ? b.kind === 'pinf' : b.kind === 'ninf') return true;
      if (sub) return less ? v.kind === 'ninf' : true;
      return less ? true : v.kind === 'pinf';
    }
    // A finite offset cannot move an infinite base, nor make a finite one pass an infinite value.
    if (!v.isFinite() || !b.isFinite()) return cmpResult(v.compare(b), less);
    return cmpResult(v.compare(sub ? b.sub(off) : b.add(off)), less);
  };
}

/** in_range for timestamp-like values (µs bigints) with an interval offset; `add` is `+ interval`. */
function timeInRange(offset: Datum, add: (t: bigint, v: Interval) => bigint, toStamp?: (v: Datum) => bigint): InRange {
  const off = offset as Interval;
  const negative = intervalSpan(off) < 0n;
  const minus = negate(off);
  return (val, base, sub, less) => {
    if (negative) throw invalidSize();
    const v = toStamp ? toStamp(val) : (val as bigint);
    const b = toStamp ? toStamp(base) : (base as bigint);
    const bound = add(b, sub ? minus : off);
    return less ? v <= bound : v >= bound;
  };
}

function intervalInRange(offset: Datum): InRange {
  const off = offset as Interval;
  const negative = intervalSpan(off) < 0n;
  return (val, base, sub, less) => {
    if (negative) throw invalidSize();
    const b = base as Interval;
    return cmpResult(compareInterval(val as Interval, sub ? subInterval(b, off) : addInterval(b, off)), less);
  };
}

function rangeSupport(t: SqlType): RangeSupport | undefined {
  const ints = [Types.int8, Types.int4, Types.int2];
  switch (t.kind) {
    case 'int2':
    case 'int4':
      return { offsetTypes: ints, make: intInRange };
    case 'int8':
      return { offsetTypes: [Types.int8], make: intInRange };
    case 'float4':
    case 'float8':
      return { offsetTypes: [Types.float8], make: floatInRange };
    case 'numeric':
      return { offsetTypes: [Types.numeric], make: numericInRange };
    case 'date':
      return {
        offsetTypes: [Types.interval],
        make: (o) => timeInRange(o, timestampAddInterval, (d) => dateToTimestamp(d as number)),
      };
    case 'timestamp':
      return { offsetTypes: [Types.interval], make: (o) => timeInRange(o, timestampAddInterval) };
    case 'timestamptz':
      return {
        offsetTypes: [Types.interval],
        make: (o, env) => timeInRange(o, (ts, v) => timestamptzAddInterval(ts, v, env.ctx)),
      };
    case 'interval':
      return { offsetTypes: [Types.interval], make: intervalInRange };
    default:
      return undefined;
  }
}

// --- frames ------------------------------------------------------------------------------------

/** A frame with its offsets bound: ROWS and GROUPS offsets as int8, RANGE offsets as in_range's type. */
interface BoundFrame {
  readonly frame: WindowFrame;
  readonly startOffset?: BoundExpr;
  readonly endOffset?: BoundExpr;
  /** RANGE with an offset: the in_range support of the single ORDER BY column, and its direction. */
  readonly range?: { readonly support: RangeSupport; readonly desc: boolean; readonly nullsFirst: boolean };
}

/** A frame's offsets, evaluated once per query (PostgreSQL evaluates them when the scan starts). */
interface FrameValues {
  /** ROWS / GROUPS offsets. */
  readonly start: number;
  readonly end: number;
  /** RANGE offsets, as in_range functions. */
  readonly startInRange?: InRange;
  readonly endInRange?: InRange;
}

/** Without a frame clause: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW. */
const DEFAULT_FRAME: WindowFrame = {
  mode: 'range',
  start: { kind: 'unboundedPreceding' },
  end: { kind: 'currentRow' },
  exclude: 'noOthers',
};

const hasOffset = (b: FrameBound) => b.kind === 'preceding' || b.kind === 'following';

function bindFrame(spec: WindowSpec, order: readonly OrderKey[], binder: ExprBinder): BoundFrame {
  const frame = spec.frame ?? DEFAULT_FRAME;
  let range: BoundFrame['range'];
  let columnType: SqlType = Types.unknown;
  if (frame.mode === 'range' && (hasOffset(frame.start) || hasOffset(frame.end))) {
    const key = order[0];
    if (order.length !== 1 || !key) {
      throw err(
        'WINDOWING_ERROR',
        'RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column',
        spec.location,
      );
    }
    columnType = key.expr.type.kind === 'unknown' || key.expr.type.kind === 'varchar' ? Types.text : key.expr.type;
    const support = rangeSupport(columnType);
    if (support) range = { support, desc: key.desc, nullsFirst: key.nullsFirst };
  }
  if (frame.mode === 'groups' && order.length === 0) {
    throw err('WINDOWING_ERROR', 'GROUPS mode requires an ORDER BY clause', spec.location);
  }
  const offset = (b: FrameBound): BoundExpr | undefined => {
    if (b.kind !== 'preceding' && b.kind !== 'following') return undefined;
    const e = binder.bind(b.offset, { columns: [] });
    if (frame.mode !== 'range') {
      const what = `argument of ${frame.mode.toUpperCase()} must be type bigint, not type ${typeName(e.type)}`;
      return coerce(e, Types.int8, 'assignment', binder.b, what);
    }
    // transformFrameOffset: the in_range function whose offset type the value converts to
    // implicitly, preferring its own type (or, for an untyped literal, the column's).
    if (!range) {
      throw err(
        'FEATURE_NOT_SUPPORTED',
        `RANGE with offset PRECEDING/FOLLOWING is not supported for column type ${typeName(columnType)}`,
        b.offset.location,
      );
    }
    const preferred = e.type.kind === 'unknown' ? columnType : e.type;
    let selected: SqlType | undefined;
    let matches = 0;
    for (const t of range.support.offsetTypes) {
      if (castContext(e.type, t) !== 'implicit') continue;
      matches++;
      if (selected?.kind !== preferred.kind) selected = t;
    }
    if (!selected) {
      throw err(
        'FEATURE_NOT_SUPPORTED',
        `RANGE with offset PRECEDING/FOLLOWING is not supported for column type ${typeName(columnType)} and offset type ${typeName(e.type)}`,
        b.offset.location,
        { hint: 'Cast the offset value to an appropriate type.' },
      );
    }
    if (matches !== 1 && selected.kind !== preferred.kind) {
      throw err(
        'FEATURE_NOT_SUPPORTED',
        `RANGE with offset PRECEDING/FOLLOWING has multiple interpretations for column type ${typeName(columnType)} and offset type ${typeName(e.type)}`,
        b.offset.location,
        { hint: 'Cast the offset value to the exact intended type.' },
      );
    }
    return coerce(e, selected, 'assignment', binder.b);
  };
  const startOffset = offset(frame.start);
  const endOffset = offset(frame.end);
  return {
    frame,
    ...(startOffset ? { startOffset } : {}),
    ...(endOffset ? { endOffset } : {}),
    ...(range ? { range } : {}),
  };
}

function frameValues(f: BoundFrame, env: Env): FrameValues {
  const value = (e: BoundExpr | undefined, which: string): Datum => {
    if (!e) return null;
    const v = e.eval([], env);
    if (v === null) throw err('NULL_VALUE_NOT_ALLOWED', `frame ${which} offset must not be null`);
    if (!f.range && (v as bigint) < 0n) throw invalidSize(`frame ${which} offset must not be negative`);
    return v;
  };
  const start = value(f.startOffset, 'starting');
  const end = value(f.endOffset, 'ending');
  if (f.range) {
    const { support } = f.range;
    return {
      start: 0,
      end: 0,
      ...(start !== null ? { startInRange: support.make(start, env) } : {}),
      ...(end !== null ? { endInRange: support.make(end, env) } : {}),
    };
  }
  return { start: start === null ? 0 : Number(start), end: end === null ? 0 : Number(end) };
}

/**
 * The frame of each row of one partition, as PostgreSQL's WindowAgg finds it: `at(i)` gives the
 * inclusive bounds [start, end] (empty when start > end), before exclusion. Calls must come in
 * row order: RANGE offsets move a head and a tail pointer forward, as update_frameheadpos and
 * update_frametailpos do, so each partition costs O(n) in_range calls.
 */
function partitionFramer(
  f: BoundFrame,
  values: FrameValues,
  keys: readonly Datum[][],
  peers: Peers,
): (i: number) => [number, number] {
  const { mode, start, end } = f.frame;
  const n = keys.length;
  const groups = peers.first.length;
  const key = (i: number): Datum => (keys[i] as Datum[])[0] ?? null;
  const range = f.range;
  let head = 0;
  let tail = 0;

  // First row with in_range(head, current, start offset): the head only moves forward.
  const rangeHead = (i: number): number => {
    if (!range || !values.startInRange) return 0;
    const sub = (start.kind === 'preceding') !== range.desc;
    const less = range.desc;
    const cur = key(i);
    while (head < n) {
      const h = key(head);
      if (h === null || cur === null) {
        // NULLs are peers of each other, before or after all other values.
        if (range.nullsFirst ? h !== null || cur === null : h === null || cur !== null) break;
      } else if (values.startInRange(h, cur, sub, less)) break;
      head++;
    }
    return head;
  };
  // Last row with in_range(tail, current, end offset).
  const rangeTail = (i: number): number => {
    if (!range || !values.endInRange) return n - 1;
    const sub = (end.kind === 'preceding') !== range.desc;
    const less = !range.desc;
    const cur = key(i);
    while (tail < n) {
      const t = key(tail);
      if (t === null || cur === null) {
        if (range.nullsFirst ? t !== null : cur !== null) break;
      } else if (!values.endInRange(t, cur, sub, less)) break;
      tail++;
    }
    return tail - 1;
  };

  const bound = (b: FrameBound, isStart: boolean, i: number): number => {
    const g = peers.group[i] as number;
    switch (b.kind) {
      case 'unboundedPreceding':
        return 0;
      case 'unboundedFollowing':
        return n - 1;
      case 'currentRow':
        if (mode === 'rows') return i;
        return isStart ? (peers.first[g] as number) : (peers.last[g] as number);
      case 'preceding':
      case 'following': {
        if (mode === 'range') return isStart ? rangeHead(i) : rangeTail(i);
        const off = (isStart ? values.start : values.end) * (b.kind === 'preceding' ? -1 : 1);
        if (mode === 'rows') return i + off;
        const target = g + off;
        if (target < 0) return isStart ? 0 : -1;
        if (target >= groups) return isStart ? n : n - 1;
        return isStart ? (peers.first[target] as number) : (peers.last[target] as number);
      }
    }
  };
  return (i) => [Math.max(0, bound(start, true, i)), Math.min(n - 1, bound(end, false, i))];
}

/**
 * Walks the RANGE offset frame of every row, for the functions that do not read their frame:
 * PostgreSQL keeps such frame bounds current whatever the function, so in_range's errors (a
 * negative offset) surface for rank() or lag() too.
 */
function walkRangeFrames(f: BoundFrame, values: FrameValues): (keys: readonly Datum[][], peers: Peers) => void {
  return (keys, peers) => {
    if (!f.range) return;
    const at = partitionFramer(f, values, keys, peers);
    for (let i = 0; i < keys.length; i++) at(i);
  };
}

/**
 * The rows of frame [s, e] that remain after the EXCLUDE clause, as inclusive ranges in row
 * order, flattened: [from0, to0, from1, to1, ...].
 */
function frameRanges(s: number, e: number, i: number, peers: Peers, exclude: WindowFrame['exclude']): number[] {
  if (s > e) return [];
  if (exclude === 'noOthers') return [s, e];
  const g = peers.group[i] as number;
  const [xs, xe] = exclude === 'currentRow' ? [i, i] : [peers.first[g] as number, peers.last[g] as number];
  const out: number[] = [];
  const push = (a: number, b: number) => {
    if (a <= b) out.push(a, b);
  };
  push(s, Math.min(e, xs - 1));
  if (exclude === 'ties' && i >= s && i <= e) out.push(i, i);
  push(Math.max(s, xe + 1), e);
  return out;
}

const sameRanges = (a: readonly number[] | undefined, b: readonly number[]) =>
  a !== undefined && a.length === b.length && a.every((x, k) => x === b[k]);

/** The values for one partition, given its rows in window order, their ORDER BY keys and peer groups. */
type PartitionCompute = (rows: readonly Datum[][], keys: readonly Datum[][], peers: Peers) => Datum[];

/** One bound window call: how to compute its value for every row of a partition. */
interface BoundWindow {
  readonly call: FuncCall;
  readonly type: SqlType;
  readonly partition: BoundExpr[];
  readonly order: OrderKey[];
  /** Starts a query's run (evaluating the frame offsets) and returns the per-partition computation. */
  begin(env: Env): PartitionCompute;
}

function constInt(e: BoundExpr | undefined, env: Env, what: string, location: number): number {
  if (!e) return 1;
  const v = e.eval([], env);
  if (v === null) throw err('INVALID_PARAMETER_VALUE', `${what} must not be null`, location);
  return Number(v as number | bigint);
}

/**
 * count, and sum / avg of integers: computed from prefix sums, so that each
 * row's frame costs O(1) however it slides (PostgreSQL uses inverse transition functions there).
 * Other aggregates are recomputed when the frame start moves, as PostgreSQL does without them.
 */
function prefixAggregate(
  name: string,
  agg: BoundAggregate,
): ((rows: readonly Datum[][], env: Env) => (ranges: readonly number[]) => Datum) | undefined {
  const argKind = agg.args[0]?.type.kind;
  const isInt = argKind === 'int2' || argKind === 'int4' || argKind === 'int8';
  if (name !== 'count' && !((name === 'sum' || name === 'avg') && isInt)) return undefined;
  return (rows, env) => {
    // Each row's input after FILTER and the NULL rule, as the aggregate itself would see it.
    const input: { seen: boolean; value: Datum } = { seen: false, value: null };
    const probe = {
      add: (v: Datum) => {
        input.seen = true;
        input.value = v;
      },
      result: () => null,
    };
    const counts = [0];
    const sums = [0n];
    rows.forEach((row, j) => {
      input.seen = false;
      accumulate(agg, probe, row, env, undefined);
      const add = input.seen && name !== 'count' ? BigInt(input.value as number | bigint) : 0n;
      counts.push((counts[j] as number) + (input.seen ? 1 : 0));
      sums.push((sums[j] as bigint) + add);
    });
    return (ranges) => {
      let c = 0;
      let sum = 0n;
      for (let k = 0; k < ranges.length; k += 2) {
        const a = ranges[k] as number;
        const b = (ranges[k + 1] as number) + 1;
        c += (counts[b] as number) - (counts[a] as number);
        sum += (sums[b] as bigint) - (sums[a] as bigint);
      }
      if (name === 'count') return BigInt(c);
      if (c === 0) return null;
      if (name === 'avg') return Numeric.fromInt(sum).div(Numeric.fromInt(c));
      return agg.type.kind === 'int8' ? checkInt('int8', sum) : Numeric.fromInt(sum);
    };
  };
}

function bindWindow(call: FuncCall, defs: readonly WindowDefinition[], scope: Scope, binder: ExprBinder): BoundWindow {
  const name = call.name[call.name.length - 1] as string;
  const spec = resolveSpec(call.over as WindowSpec, defs);
  const partition = spec.partitionBy.map((p) => binder.bind(p, scope));
  const order = bindOrder(spec.orderBy, scope, binder);
  const frame = bindFrame(spec, order, binder);
  const args = call.args.map((a) => binder.bind(a, scope));
  const base = { call, partition, order };
  /** A computation that reads the frame of each row, in row order. */
  const framed =
    (body: (rows: readonly Datum[][], env: Env, frameOf: (i: number) => number[], peers: Peers) => Datum[]) =>
    (env: Env): PartitionCompute => {
      const values = frameValues(frame, env);
      return (rows, keys, peers) => {
        const at = partitionFramer(frame, values, keys, peers);
        return body(
          rows,
          env,
          (i) => {
            const [s, e] = at(i);
            return frameRanges(s, e, i, peers, frame.frame.exclude);
          },
          peers,
        );
      };
    };

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
      begin: (env) => {
        const walk = walkRangeFrames(frame, frameValues(frame, env));
        return (rows, keys, peers) => {
          walk(keys, peers);
          const n = rows.length;
          const out: Datum[] = [];
          for (let i = 0; i < n; i++) {
            const g = peers.group[i] as number;
            const rank = (peers.first[g] as number) + 1;
            switch (name) {
              case 'row_number':
                out.push(BigInt(i + 1));
                break;
              case 'rank':
                out.push(BigInt(rank));
                break;
              case 'dense_rank':
                out.push(BigInt(g + 1));
                break;
              case 'percent_rank':
                out.push(n === 1 ? 0 : (rank - 1) / (n - 1));
                break;
              case 'cume_dist':
                out.push(((peers.last[g] as number) + 1) / n);
                break;
              default: {
                const buckets = constInt(args[0], env, 'argument of ntile', call.location);
                if (buckets <= 0)
                  throw err('INVALID_PARAMETER_VALUE', 'argument of ntile must be greater than zero', call.location);
                const per = Math.floor(n / buckets);
                const extra = n % buckets;
                // The first `extra` buckets hold one more row.
                const big = extra * (per + 1);
                out.push(
                  i < big ? Math.floor(i / (per + 1)) + 1 : extra + Math.floor((i - big) / Math.max(per, 1)) + 1,
                );
              }
            }
          }
          return out;
        };
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
        begin: (env) => {
          const walk = walkRangeFrames(frame, frameValues(frame, env));
          return (rows, keys, peers) => {
            walk(keys, peers);
            return rows.map((row, i) => {
              const off = offset ? offset.eval(row, env) : 1;
              if (off === null) return null;
              const j = i + sign * (off as number);
              if (j < 0 || j >= rows.length) return dflt ? dflt.eval(row, env) : null;
              return ve(rows[j] as Datum[], env);
            });
          };
        },
      };
    }
    const nth = name === 'nth_value' ? coerce(args[1] ?? value, Types.int4, 'implicit', binder.b) : undefined;
    return {
      ...base,
      type: t,
      begin: framed((rows, env, frameOf) =>
        rows.map((row, i) => {
          const ranges = frameOf(i);
          if (ranges.length === 0) return null;
          if (name === 'first_value') return ve(rows[ranges[0] as number] as Datum[], env);
          if (name === 'last_value') return ve(rows[ranges[ranges.length - 1] as number] as Datum[], env);
          const k = nth?.eval(row, env);
          if (k === null || k === undefined) return null;
          if ((k as number) <= 0)
            throw err('INVALID_PARAMETER_VALUE', 'argument of nth_value must be greater than zero', call.location);
          let left = k as number;
          for (let r = 0; r < ranges.length; r += 2) {
            const a = ranges[r] as number;
            const size = (ranges[r + 1] as number) - a + 1;
            if (left <= size) return ve(rows[a + left - 1] as Datum[], env);
            left -= size;
          }
          return null;
        }),
      ),
    };
  }

  if (AGGREGATES.has(name)) {
    if (call.distinct)
      throw err('FEATURE_NOT_SUPPORTED', 'DISTINCT is not implemented for window functions', call.location);
    const agg = bindAggregate({ ...call, over: undefined } as unknown as FuncCall, scope, binder);
    const prefix = prefixAggregate(name, agg);
    return {
      ...base,
      type: agg.type,
      begin: framed((rows, env, frameOf) => {
        const out: Datum[] = [];
        if (prefix) {
          const frameValue = prefix(rows, env);
          for (let i = 0; i < rows.length; i++) out.push(frameValue(frameOf(i)));
          return out;
        }
        // Running state over the single range [accFrom, accTo]; it grows while the frame start
        // stays, and restarts when the start moves or rows are excluded.
        let acc: ReturnType<BoundAggregate['newAccumulator']> | undefined;
        let accFrom = -1;
        let accTo = -1;
        let last: { ranges: number[]; value: Datum } | undefined;
        const add = (a: number, b: number) => {
          for (let j = a; j <= b; j++)
            accumulate(agg, acc as NonNullable<typeof acc>, rows[j] as Datum[], env, undefined);
        };
        for (let i = 0; i < rows.length; i++) {
          const ranges = frameOf(i);
          if (sameRanges(last?.ranges, ranges)) {
            out.push(last?.value ?? null);
            continue;
          }
          const from = ranges[0] as number;
          const to = ranges[1] as number;
          if (acc && ranges.length === 2 && from === accFrom && to >= accTo) {
            add(accTo + 1, to);
            accTo = to;
          } else {
            acc = agg.newAccumulator(env);
            for (let r = 0; r < ranges.length; r += 2) add(ranges[r] as number, ranges[r + 1] as number);
            [accFrom, accTo] = ranges.length === 2 ? [from, to] : [-1, -1];
          }
          const v = acc.result();
          // The state keeps growing: an array result must not change under earlier rows.
          const value = Array.isArray(v) ? [...v] : v;
          last = { ranges, value };
          out.push(value);
        }
        return out;
      }),
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
    // Once per call and query, even without rows: frame offsets are checked here.
    const compute = w.begin(env);
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
      const sortedKeys = members.map((i) => keys.get(i) as Datum[]);
      const values = compute(
        members.map((i) => rows[i] as Datum[]),
        sortedKeys,
        peerGroups(w.order, sortedKeys),
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
