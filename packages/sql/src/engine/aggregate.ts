import type { Expr, FuncCall } from '../parser/ast.js';
import { noneInTemplate } from '../parser/literal-templates.js';
import { compare, hashKey } from '../types/compare.js';
import type { Datum } from '../types/datum.js';
import { Numeric, pow10 } from '../types/numeric.js';
import { checkInt } from '../types/scalar.js';
import { arrayOf, type SqlType, Types, typeName } from '../types/type.js';
import { sqlError } from './errors.js';
import { AGGREGATE_NAMES, type BoundExpr, coerce, type Env, type ExprBinder, type Scope } from './expr.js';

/**
 * Aggregate functions (count, sum, avg, min, max, bool_and, bool_or, string_agg, array_agg) with
 * PostgreSQL's result types: count → bigint; sum(int2/int4) → bigint, sum(int8/numeric) → numeric,
 * sum(float) → double precision; avg(integer or numeric) → numeric, avg(float) → double precision.
 */

const err = sqlError;

export const AGGREGATES: ReadonlySet<string> = AGGREGATE_NAMES;

export function isAggregateCall(e: Expr): e is FuncCall {
  if (e.kind !== 'funcCall' || e.over) return false;
  const name = e.name[e.name.length - 1] as string;
  return AGGREGATES.has(name) && (e.name.length === 1 || e.name[0] === 'pg_catalog');
}

/** The aggregate calls inside an expression (not inside subqueries). */
const aggregatesIn = new WeakMap<object, readonly FuncCall[]>();
/** Template nodes (literal-templates.ts) and whether they hold aggregate calls. */
const withAggregates = new WeakMap<object, boolean>();

/**
 * The aggregate calls in `e` (not inside subqueries), appended to `out` if given. Remembered per
 * expression node: parsed statements are cached and reused, and this runs for every statement.
 */
export function findAggregates(e: Expr | undefined, out?: FuncCall[]): FuncCall[] {
  if (!e) return out ?? [];
  let found = aggregatesIn.get(e);
  if (!found && noneInTemplate(e, withAggregates, (t) => findAggregates(t as Expr).length > 0)) return out ?? [];
  if (!found) {
    found = Object.freeze(scanAggregates(e, []));
    aggregatesIn.set(e, found);
  }
  if (!out) return found as FuncCall[];
  out.push(...found);
  return out;
}

function scanAggregates(e: Expr, out: FuncCall[]): FuncCall[] {
  if (isAggregateCall(e)) {
    out.push(e);
    return out;
  }
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const node = v as { kind?: string };
    if (node.kind === 'select') return; // a subquery's aggregates are its own
    if (typeof node.kind === 'string' && isAggregateCall(node as Expr)) {
      out.push(node as FuncCall);
      return;
    }
    for (const x of Object.values(node)) visit(x);
  };
  for (const x of Object.values(e)) visit(x);
  return out;
}

/** A structural key of an expression (locations ignored), to match GROUP BY expressions. */
export function exprKey(e: Expr): string {
  return JSON.stringify(e, (k, v) => (k === 'location' ? undefined : typeof v === 'bigint' ? `${v}n` : v));
}

interface Accumulator {
  add(v: Datum): void;
  result(): Datum;
}

export interface BoundAggregate {
  readonly type: SqlType;
  readonly args: readonly BoundExpr[];
  readonly distinct: boolean;
  readonly filter?: BoundExpr;
  readonly star: boolean;
  newAccumulator(env: Env): Accumulator;
}

function sumType(t: SqlType, location: number): SqlType {
  switch (t.kind) {
    case 'int2':
    case 'int4':
      return Types.int8;
    case 'int8':
    case 'numeric':
    case 'unknown':
      return Types.numeric;
    case 'float4':
    case 'float8':
      return Types.float8;
    case 'interval':
      return Types.interval;
    default:
      throw err('UNDEFINED_FUNCTION', `function sum(${typeName(t)}) does not exist`, location);
  }
}

function toNumeric(t: SqlType, v: Datum): Numeric {
  if (v instanceof Numeric) return v;
  if (typeof v === 'bigint' || (typeof v === 'number' && (t.kind === 'int2' || t.kind === 'int4')))
    return Numeric.fromInt(v);
  return Numeric.fromFloat8(v as number);
}

/**
 * An exact numeric sum, the same as folding Numeric.add over the inputs from zero, without a new
 * Numeric per input: the finite inputs' coefficients at the largest scale seen, and which special
 * values (NaN, ±Infinity) were seen.
 */
class NumericSum {
  private coef = 0n;
  private scale = 0;
  private nan = false;
  private pinf = false;
  private ninf = false;

  add(v: Numeric): void {
    if (v.kind !== 'finite') {
      if (v.kind === 'nan') this.nan = true;
      else if (v.kind === 'pinf') this.pinf = true;
      else this.ninf = true;
      return;
    }
    const s = v.scale;
    if (s === this.scale) this.coef += v.coef;
    else if (s > this.scale) {
      this.coef = this.coef * pow10(s - this.scale) + v.coef;
      this.scale = s;
    } else this.coef += v.coef * pow10(this.scale - s);
  }

  /** Adds an integer (scale 0). */
  addInt(v: bigint): void {
    this.coef += this.scale === 0 ? v : v * pow10(this.scale);
  }

  result(): Numeric {
    if (this.nan || (this.pinf && this.ninf)) return Numeric.NaN;
    if (this.pinf) return Numeric.POSITIVE_INFINITY;
    if (this.ninf) return Numeric.NEGATIVE_INFINITY;
    return Numeric.of(this.coef, this.scale);
  }
}

function addToSum(sum: NumericSum, t: SqlType, v: Datum): void {
  if (v instanceof Numeric) sum.add(v);
  else if (typeof v === 'bigint') sum.addInt(v);
  else if (typeof v === 'number' && (t.kind === 'int2' || t.kind === 'int4')) sum.addInt(BigInt(v));
  else sum.add(toNumeric(t, v));
}

/** Below this magnitude a running int2/int4 sum in a double stays exact after one more input. */
const SMALL_SUM_LIMIT = 2 ** 52;

export function bindAggregate(call: FuncCall, scope: Scope, binder: ExprBinder): BoundAggregate {
  const name = call.name[call.name.length - 1] as string;
  const loc = call.location;
  if (call.orderBy.length > 0)
    throw err('FEATURE_NOT_SUPPORTED', `ORDER BY inside ${name}() is not supported yet`, loc);
  const args = call.args.map((a) => binder.bind(a, scope));
  const filter = call.filter ? binder.bindCondition(call.filter, scope, 'FILTER') : undefined;
  const base = { distinct: call.distinct, star: call.star, ...(filter ? { filter } : {}) };
  const arity = (n: number) => {
    if (args.length !== n) {
      throw err(
        'UNDEFINED_FUNCTION',
        `function ${name}(${args.map((a) => typeName(a.type)).join(', ')}) does not exist`,
        loc,
      );
    }
  };
  switch (name) {
    case 'count':
      if (!call.star) arity(1);
      return {
        ...base,
        type: Types.int8,
        args,
        newAccumulator: () => {
          let n = 0;
          return {
            add: () => {
              n++;
            },
            result: () => BigInt(n),
          };
        },
      };
    case 'sum': {
      arity(1);
      const t = (args[0] as BoundExpr).type;
      const rt = sumType(t, loc);
      return {
        ...base,
        type: rt,
        args,
        newAccumulator: () => {
          if (rt.kind === 'int8') {
            // int2/int4 inputs: summed in a double while that is exact, carried into a bigint.
            let seen = false;
            let small = 0;
            let big = 0n;
            return {
              add: (v) => {
                seen = true;
                small += v as number;
                if (small >= SMALL_SUM_LIMIT || small <= -SMALL_SUM_LIMIT) {
                  big = checkInt('int8', big + BigInt(small)) as bigint;
                  small = 0;
                }
              },
              result: () => (seen ? checkInt('int8', big + BigInt(small)) : null),
            };
          }
          if (rt.kind === 'numeric') {
            let sum: NumericSum | undefined;
            return {
              add: (v) => {
                sum ??= new NumericSum();
                addToSum(sum, t, v);
              },
              result: () => (sum ? sum.result() : null),
            };
          }
          let acc: Datum = null;
          return {
            add: (v) => {
              if (rt.kind === 'float8') acc = ((acc as number | null) ?? 0) + (v as number);
              else {
                const iv = v as { months: number; days: number; micros: bigint };
                const a = (acc as typeof iv | null) ?? { months: 0, days: 0, micros: 0n };
                acc = { months: a.months + iv.months, days: a.days + iv.days, micros: a.micros + iv.micros };
              }
            },
            result: () => acc,
          };
        },
      };
    }
    case 'avg': {
      arity(1);
      const t = (args[0] as BoundExpr).type;
      const isFloat = t.kind === 'float4' || t.kind === 'float8';
      if (!isFloat && !['int2', 'int4', 'int8', 'numeric', 'unknown'].includes(t.kind)) {
        throw err('UNDEFINED_FUNCTION', `function avg(${typeName(t)}) does not exist`, loc);
      }
      return {
        ...base,
        type: isFloat ? Types.float8 : Types.numeric,
        args,
        newAccumulator: () => {
          let n = 0;
          let fsum = 0;
          const nsum = new NumericSum();
          return {
            add: (v) => {
              n++;
              if (isFloat) fsum += v as number;
              else addToSum(nsum, t, v);
            },
            result: () => (n === 0 ? null : isFloat ? fsum / n : nsum.result().div(Numeric.fromInt(n))),
          };
        },
      };
    }
    case 'min':
    case 'max': {
      arity(1);
      let t = (args[0] as BoundExpr).type;
      if (t.kind === 'unknown') t = Types.text;
      const a0 = coerce(args[0] as BoundExpr, t, 'implicit', binder.b);
      const sign = name === 'max' ? 1 : -1;
      if (t.kind === 'json') throw err('UNDEFINED_FUNCTION', `function ${name}(json) does not exist`, loc);
      return {
        ...base,
        type: t,
        args: [a0],
        newAccumulator: () => {
          let best: Datum = null;
          return {
            add: (v) => {
              if (best === null || sign * compare(t, v, best) > 0) best = v;
            },
            result: () => best,
          };
        },
      };
    }
    case 'bool_and':
    case 'every':
    case 'bool_or': {
      arity(1);
      const a0 = coerce(args[0] as BoundExpr, Types.bool, 'implicit', binder.b);
      const isAnd = name !== 'bool_or';
      return {
        ...base,
        type: Types.bool,
        args: [a0],
        newAccumulator: () => {
          let acc: Datum = null;
          return {
            add: (v) => {
              acc =
                acc === null
                  ? (v as boolean)
                  : isAnd
                    ? (acc as boolean) && (v as boolean)
                    : (acc as boolean) || (v as boolean);
            },
            result: () => acc,
          };
        },
      };
    }
    case 'string_agg': {
      arity(2);
      const a0 = coerce(args[0] as BoundExpr, Types.text, 'implicit', binder.b);
      const a1 = coerce(args[1] as BoundExpr, Types.text, 'implicit', binder.b);
      return {
        ...base,
        type: Types.text,
        args: [a0, a1],
        newAccumulator: () => {
          let acc: string | null = null;
          return {
            add: (v) => {
              const [s, d] = v as unknown as [string, string | null];
              acc = acc === null ? s : acc + (d ?? '') + s;
            },
            result: () => acc,
          };
        },
      };
    }
    case 'array_agg': {
      arity(1);
      let t = (args[0] as BoundExpr).type;
      if (t.kind === 'unknown') t = Types.text;
      if (t.kind === 'array') throw err('FEATURE_NOT_SUPPORTED', 'array_agg of arrays is not supported', loc);
      const a0 = coerce(args[0] as BoundExpr, t, 'implicit', binder.b);
      return {
        ...base,
        type: arrayOf(t),
        args: [a0],
        newAccumulator: () => {
          const out: Datum[] = [];
          return { add: (v) => void out.push(v), result: () => (out.length === 0 ? null : out) };
        },
      };
    }
    default:
      throw err('UNDEFINED_FUNCTION', `function ${name} does not exist`, loc);
  }
}

/**
 * Feeds one input row to an aggregate's accumulator, applying FILTER, DISTINCT and the rule
 * that NULL inputs are skipped (all of them, for several arguments: string_agg's NULL delimiter
 * is allowed).
 */
export function accumulate(
  agg: BoundAggregate,
  acc: Accumulator,
  row: readonly Datum[],
  env: Env,
  seen: Set<string> | undefined,
): void {
  if (agg.filter && agg.filter.eval(row, env) !== true) return;
  if (agg.star) {
    acc.add(true);
    return;
  }
  if (agg.args.length === 1 && !seen) {
    const v = (agg.args[0] as BoundExpr).eval(row, env);
    if (v !== null && v !== undefined) acc.add(v);
    return;
  }
  const vals = agg.args.map((a) => a.eval(row, env));
  if (vals[0] === null || vals[0] === undefined) return;
  if (seen) {
    const k = vals.map((v, i) => (v === null ? '\u0000' : hashKey((agg.args[i] as BoundExpr).type, v))).join('\u0001');
    if (seen.has(k)) return;
    seen.add(k);
  }
  acc.add(vals.length === 1 ? (vals[0] as Datum) : (vals as unknown as Datum));
}
