/**
 * The integration entry point: binds a parsed function call whose arguments the engine has
 * already bound. Resolves the overload (resolve.ts), coerces the arguments, and returns a
 * BoundExpr that evaluates them and applies the implementation.
 */
import { type ErrorCode, ThinkLiteError } from '@thinklite/base';
import { AGGREGATE_NAMES, type BindContext, type BoundExpr, coerce, type Env } from '../engine/expr.js';
import type { Expr, FuncCall, SqlValueFunction } from '../parser/ast.js';
import { castContext } from '../types/cast.js';
import {
  roundTimestampPrecision,
  type TypeContext,
  timestamptzToDate,
  timestamptzToTimestamp,
} from '../types/datetime.js';
import type { Datum } from '../types/datum.js';
import { elemOf, type ScalarKind, type SqlType, Types } from '../types/type.js';
import { wallClock } from './datetime.js';
import {
  type CallInfo,
  type FunctionDef,
  type FunctionSignature,
  isPolymorphic,
  lookupFunction,
  type ParamType,
  type SessionFields,
} from './registry.js';
import { type Candidate, callSignature, candidatesFor, resolveCandidates, sameKind } from './resolve.js';
import './all.js';

function fail(code: ErrorCode, message: string, location: number, extra: Record<string, unknown> = {}): ThinkLiteError {
  return new ThinkLiteError(code, message, location >= 0 ? { ...extra, location } : extra);
}

const NOT_FOUND_HINT =
  'No function matches the given name and argument types. You might need to add explicit type casts.';
const AMBIGUOUS_HINT = 'Could not choose a best candidate function. You might need to add explicit type casts.';

/** pg_type names a one-argument call may use as a cast (`int4('12')`, `text(123)`). */
const CAST_FUNCTION_TYPES = new Set<string>([
  'bool',
  'int2',
  'int4',
  'int8',
  'float4',
  'float8',
  'numeric',
  'text',
  'varchar',
  'bpchar',
  'bytea',
  'date',
  'timestamp',
  'timestamptz',
  'interval',
  'uuid',
  'json',
  'jsonb',
]);

/** Types whose casts read the session time zone (stable, not immutable, in PostgreSQL). */
const ZONE_DEPENDENT = new Set<string>(['date', 'timestamp', 'timestamptz']);

function constantOf(type: SqlType, value: Datum, name: string): BoundExpr {
  return { type, eval: () => value, constant: { value }, name };
}

/** Checks the aggregate-only decorations a plain function call must not have (42809). */
function checkPlainCall(call: FuncCall, name: string): void {
  const wrong = (what: string, tail = 'is not an aggregate function') =>
    fail('WRONG_OBJECT_TYPE', `${what} specified, but ${name} ${tail}`, call.location);
  if (call.star) throw wrong(`${name}(*)`);
  if (call.distinct) throw wrong('DISTINCT');
  if (call.withinGroup) throw wrong('WITHIN GROUP');
  if (call.orderBy.length > 0) throw wrong('ORDER BY');
  if (call.filter !== undefined) throw wrong('FILTER');
  if (call.over !== undefined) throw wrong('OVER', 'is not a window function nor an aggregate function');
}

interface Split {
  readonly positional: number;
  /** The names of the trailing named arguments (`f(1, b => 2)`), in call order. */
  readonly names: readonly string[];
}

function splitNamed(call: FuncCall): Split {
  const names: string[] = [];
  let positional = 0;
  for (const a of call.args) {
    if (a.kind === 'namedArg') names.push(a.name);
    else if (names.length > 0) {
      throw fail('SYNTAX_ERROR', 'positional argument cannot follow named argument', a.location);
    } else positional++;
  }
  return { positional, names };
}

/**
 * For named or defaulted arguments: the order of call arguments in the signature's parameter
 * list (index into the call's args, or -1 for a default), or undefined when they do not fit.
 */
function argumentMap(sig: FunctionSignature, split: Split): number[] | undefined {
  const names = sig.argNames;
  const nparams = sig.args.length;
  const total = split.positional + split.names.length;
  if (total > nparams || sig.variadic !== undefined) return undefined;
  const map = new Array<number>(nparams).fill(-1);
  for (let i = 0; i < split.positional; i++) map[i] = i;
  for (let j = 0; j < split.names.length; j++) {
    const pos = names?.indexOf(split.names[j] as string) ?? -1;
    if (pos < 0 || map[pos] !== -1) return undefined;
    map[pos] = split.positional + j;
  }
  const ndefaults = sig.defaults?.length ?? 0;
  for (let p = 0; p < nparams; p++) if (map[p] === -1 && p < nparams - ndefaults) return undefined;
  return map;
}

interface Chosen {
  readonly candidate: Candidate;
  readonly argTypes: readonly SqlType[];
  readonly resultType: SqlType;
  /** Signature position → call argument index (-1: default value), for named/defaulted calls. */
  readonly map?: readonly number[];
}

function resolve(
  def: FunctionDef,
  display: string,
  call: FuncCall,
  inputs: readonly SqlType[],
  split: Split,
): Chosen | 'notFound' {
  // Plain positional calls matching the declared parameter count.
  if (split.names.length === 0) {
    const cands = candidatesFor(def.signatures, inputs.length, call.variadic);
    const out = resolveCandidates(inputs, cands);
    if (out.kind === 'found') return { ...out.resolution };
    if (out.kind === 'ambiguous') {
      throw fail('AMBIGUOUS_FUNCTION', `function ${callSignature(display, inputs)} is not unique`, call.location, {
        hint: AMBIGUOUS_HINT,
      });
    }
  }
  // Named arguments or omitted defaults: reorder to the declared positions and resolve again.
  const mapped: { sig: FunctionSignature; map: number[] }[] = [];
  for (const sig of def.signatures) {
    if (call.variadic) break;
    const map = argumentMap(sig, split);
    if (map !== undefined && (split.names.length > 0 || map.includes(-1))) mapped.push({ sig, map });
  }
  for (const { sig, map } of mapped) {
    const present = map.map((i, p) => (i < 0 ? undefined : { i, p })).filter((x) => x !== undefined);
    const cand: Candidate = { sig, params: present.map((x) => sig.args[x.p] as ParamType), variadicArray: false };
    const out = resolveCandidates(
      present.map((x) => inputs[x.i] as SqlType),
      [cand],
    );
    if (out.kind !== 'found') continue;
    const full = map.map((i, p) =>
      i < 0 ? (sig.args[p] as SqlType) : (out.resolution.argTypes[present.findIndex((x) => x.p === p)] as SqlType),
    );
    return {
      candidate: { sig, params: sig.args, variadicArray: false },
      argTypes: full,
      resultType: out.resolution.resultType,
      map,
    };
  }
  return 'notFound';
}

/**
 * Binds a call of a built-in scalar function. `args` are the call's arguments bound by the
 * engine (for a named argument `a => x`, the binding of `x`). Resolves the overload by
 * PostgreSQL's rules, coerces the arguments implicitly to the chosen parameter types, and returns
 * an expression named after the function (the output column name PostgreSQL gives it). A strict
 * function returns NULL when any argument is NULL; an immutable function of constant arguments is
 * folded to a constant. Aggregate calls are the engine's and are refused here.
 */
export function bindFunctionCall(call: FuncCall, args: BoundExpr[], b: BindContext): BoundExpr {
  const parts = call.name;
  const name = parts[parts.length - 1] as string;
  let display = name;
  if (parts.length > 1) {
    const schema = parts[parts.length - 2] as string;
    display = parts.join('.');
    if (schema !== 'pg_catalog' && schema !== 'public') {
      throw fail('INVALID_SCHEMA_NAME', `schema "${schema}" does not exist`, call.location);
    }
  }
  if (AGGREGATE_NAMES.has(name)) {
    if (call.over === undefined)
      throw fail('GROUPING_ERROR', 'aggregate functions are not allowed here', call.location);
    throw fail('FEATURE_NOT_SUPPORTED', `window function ${name}() is not supported here`, call.location);
  }
  const split = splitNamed(call);
  const inputs = args.map((a) => a.type);
  const def = parts.length > 1 && parts[parts.length - 2] === 'public' ? undefined : lookupFunction(name);

  let chosen: Chosen | 'notFound' = 'notFound';
  if (def !== undefined) chosen = resolve(def, display, call, inputs, split);
  if (chosen === 'notFound') {
    const asCast = castCall(call, name, args, b, split);
    if (asCast) return asCast;
    throw fail(
      'UNDEFINED_FUNCTION',
      `function ${callSignature(display, inputs, split.names)} does not exist`,
      call.location,
      { hint: NOT_FOUND_HINT },
    );
  }
  checkPlainCall(call, name);
  return buildCall(call, name, chosen, args, b);
}

/** `int4('12')`, `text(123)`: a one-argument call named after a type is a cast (func_get_detail). */
function castCall(
  call: FuncCall,
  name: string,
  args: BoundExpr[],
  b: BindContext,
  split: Split,
): BoundExpr | undefined {
  if (args.length !== 1 || split.names.length > 0 || call.variadic || !CAST_FUNCTION_TYPES.has(name)) return undefined;
  if (call.name.length > 1 && call.name[0] !== 'pg_catalog') return undefined;
  const target = Types[name as ScalarKind];
  const arg = args[0] as BoundExpr;
  if (castContext(arg.type, target) === undefined) return undefined;
  checkPlainCall(call, name);
  return { ...coerce(arg, target, 'explicit', b), name };
}

function inferParam(e: Expr | undefined, type: SqlType, b: BindContext): boolean {
  if (e?.kind === 'namedArg') return inferParam(e.value, type, b);
  if (e?.kind !== 'param' || type.kind === 'unknown') return false;
  b.params.infer(e.number, type);
  return b.params.get(e.number)?.kind === type.kind;
}

function buildCall(call: FuncCall, name: string, chosen: Chosen, args: BoundExpr[], b: BindContext): BoundExpr {
  const { candidate, argTypes, resultType, map } = chosen;
  const sig = candidate.sig;
  // Arguments in signature order (named/defaulted calls reordered).
  const ordered: (BoundExpr | undefined)[] = map ? map.map((i) => (i < 0 ? undefined : args[i])) : args;
  const exprs = map ? map.map((i) => (i < 0 ? undefined : call.args[i])) : call.args;
  const defaults = sig.defaults ?? [];
  const coerced: BoundExpr[] = ordered.map((a, i) => {
    const t = argTypes[i] as SqlType;
    if (a === undefined) {
      const d = defaults[i - (sig.args.length - defaults.length)] ?? null;
      return constantOf(t, d, '?column?');
    }
    const p = candidate.params[i];
    if (p !== undefined && isPolymorphic(p) && p === 'any') return a;
    if (a.type.kind === 'unknown' && !a.constant && inferParam(exprs[i], t, b)) return { ...a, type: t };
    if (sameKind(a.type, t) && t.length === undefined && t.precision === undefined) return a;
    const c = coerce(a, t, 'implicit', b);
    // A constant cast to a type whose conversion does not depend on the session is folded too.
    if (
      a.constant !== undefined &&
      c.constant === undefined &&
      !ZONE_DEPENDENT.has(a.type.kind) &&
      !ZONE_DEPENDENT.has(t.kind)
    ) {
      return { ...c, constant: { value: c.eval([], { params: [], ctx: b.ctx }) } };
    }
    return c;
  });
  const types = coerced.map((a) => a.type);
  const evals = coerced.map((a) => a.eval);
  const impl = sig.impl;
  const strict = sig.strict;
  const n = evals.length;
  const variadicArray = candidate.variadicArray;
  const lastType = types[n - 1];
  const spreadTypes = variadicArray && lastType !== undefined ? [...types.slice(0, -1), elemOf(lastType)] : types;
  const info: CallInfo = { argTypes: types, resultType };
  const evalFn = (row: readonly Datum[], env: Env): Datum => {
    const vals: Datum[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = (evals[i] as (r: readonly Datum[], e: Env) => Datum)(row, env);
      if (v === null && strict) return null;
      vals[i] = v;
    }
    if (variadicArray) {
      const arr = vals.pop() as readonly Datum[] | null;
      if (arr === null) return null;
      const elemType = spreadTypes[n - 1] as SqlType;
      const expanded = [...vals, ...arr];
      const argTypesExpanded = [...spreadTypes.slice(0, -1), ...arr.map(() => elemType)];
      return impl(expanded, env.ctx, { argTypes: argTypesExpanded, resultType });
    }
    return impl(vals, env.ctx, info);
  };
  if (sig.volatility === 'immutable' && coerced.every((a) => a.constant !== undefined)) {
    const value = evalFn([], { params: [], ctx: b.ctx as TypeContext });
    return constantOf(resultType, value, name);
  }
  return { type: resultType, name, eval: evalFn };
}

/**
 * Binds the SQL-standard niladic functions the parser keeps as SqlValueFunction nodes
 * (CURRENT_DATE, CURRENT_TIMESTAMP[(p)], LOCALTIMESTAMP[(p)], CURRENT_USER, USER, CURRENT_ROLE,
 * SESSION_USER, CURRENT_CATALOG, CURRENT_SCHEMA), named as PostgreSQL names their output columns.
 * Session facts are read from the optional {@link SessionFields} of the TypeContext.
 */
export function bindSqlValueFunction(e: SqlValueFunction, _b: BindContext): BoundExpr {
  const session = (ctx: TypeContext) => ctx as TypeContext & SessionFields;
  const now = (ctx: TypeContext) => ctx.now ?? wallClock();
  const p = e.precision;
  const round = (t: bigint) => (p === undefined ? t : roundTimestampPrecision(t, p));
  const text = (name: string, f: (ctx: TypeContext) => string): BoundExpr => ({
    type: Types.text,
    name,
    eval: (_row, env) => f(env.ctx),
  });
  switch (e.fn) {
    case 'current_date':
      return { type: Types.date, name: 'current_date', eval: (_r, env) => timestamptzToDate(now(env.ctx), env.ctx) };
    case 'current_timestamp':
      return { type: Types.timestamptz, name: 'current_timestamp', eval: (_r, env) => round(now(env.ctx)) };
    case 'localtimestamp':
      return {
        type: Types.timestamp,
        name: 'localtimestamp',
        eval: (_r, env) => round(timestamptzToTimestamp(now(env.ctx), env.ctx)),
      };
    case 'current_user':
    case 'current_role':
    case 'user':
      return text(e.fn, (ctx) => session(ctx).user ?? 'postgres');
    case 'session_user':
      return text('session_user', (ctx) => session(ctx).sessionUser ?? session(ctx).user ?? 'postgres');
    case 'current_catalog':
      return text('current_catalog', (ctx) => session(ctx).database ?? 'postgres');
    case 'current_schema':
      return text('current_schema', (ctx) => session(ctx).schema ?? 'public');
    default:
      throw fail('FEATURE_NOT_SUPPORTED', `${e.fn.toUpperCase()} is not supported (no time type)`, e.location);
  }
}
