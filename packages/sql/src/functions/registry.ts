/**
 * The scalar function registry: every built-in function's signatures (argument types, possibly
 * variadic or polymorphic), result type, volatility, strictness and implementation.
 *
 * Signatures are written with type names (`'text'`, `'int4'`, `'float8'`, `'text[]'`) or
 * PostgreSQL's polymorphic pseudo-types (`'any'`, `'anyelement'`, `'anyarray'`, `'anynonarray'`,
 * `'anycompatible'`, `'anycompatiblearray'`), as pg_proc declares them.
 */
import { ThinkLiteError } from '@thinklite/base';
import type { TypeContext } from '../types/datetime.js';
import type { Datum } from '../types/datum.js';
import { arrayOf, type ScalarKind, type SqlType, Types } from '../types/type.js';

export type Volatility = 'immutable' | 'stable' | 'volatile';

/** PostgreSQL's polymorphic pseudo-types. */
export type Polymorphic = 'any' | 'anyelement' | 'anyarray' | 'anynonarray' | 'anycompatible' | 'anycompatiblearray';

/** A declared parameter type: a concrete type or a polymorphic pseudo-type. */
export type ParamType = SqlType | Polymorphic;

/** What an implementation learns about its call besides the argument values. */
export interface CallInfo {
  /** The (coerced) argument types, one per value passed (variadic arguments expanded). */
  readonly argTypes: readonly SqlType[];
  readonly resultType: SqlType;
}

/**
 * An implementation: receives the argument values (already coerced to the declared types; for a
 * strict function never null) and the session's type context. Session facts beyond the
 * TypeContext (current_database(), current_user...) are read from optional extra fields of the
 * context object: see {@link SessionFields}.
 */
export type FunctionImpl = (args: readonly Datum[], ctx: TypeContext, info: CallInfo) => Datum;

/**
 * Optional fields the session may add to its TypeContext object for the session-information
 * functions (current_database(), current_schema(), current_user, session_user). Absent fields
 * fall back to PostgreSQL's defaults for a fresh cluster (`postgres`, `public`).
 */
export interface SessionFields {
  readonly database?: string;
  readonly user?: string;
  readonly sessionUser?: string;
  readonly schema?: string;
  /** The statement's start time (µs since 2000-01-01 UTC), for statement_timestamp(). */
  readonly statementNow?: bigint;
}

export interface FunctionSignature {
  readonly args: readonly ParamType[];
  /** The declared element type of a trailing VARIADIC parameter (`'any'` for `VARIADIC "any"`). */
  readonly variadic?: ParamType;
  /** The result type: fixed, polymorphic (resolved from the arguments), or computed from the argument types. */
  readonly result: ParamType | ((argTypes: readonly SqlType[]) => SqlType);
  readonly impl: FunctionImpl;
  /** Parameter names, for named notation (`make_interval(days => 1)`). */
  readonly argNames?: readonly string[];
  /** Default values of the trailing parameters (omittable, as pg_proc's proargdefaults). */
  readonly defaults?: readonly Datum[];
  readonly volatility: Volatility;
  /** NULL in any argument gives NULL without calling the implementation. */
  readonly strict: boolean;
}

export interface FunctionDef {
  readonly name: string;
  readonly signatures: readonly FunctionSignature[];
}

/** Signature input as written in the definition modules: type names instead of types. */
export interface SignatureSpec {
  readonly args: readonly string[];
  readonly variadic?: string;
  readonly result: string | ((argTypes: readonly SqlType[]) => SqlType);
  readonly impl: FunctionImpl;
  readonly argNames?: readonly string[];
  readonly defaults?: readonly Datum[];
  readonly volatility?: Volatility;
  readonly strict?: boolean;
}

const POLY = new Set<string>(['any', 'anyelement', 'anyarray', 'anynonarray', 'anycompatible', 'anycompatiblearray']);

export function isPolymorphic(p: ParamType): p is Polymorphic {
  return typeof p === 'string';
}

/** A type name as signatures spell it: a ScalarKind, `kind[]`, or a polymorphic name. */
export function paramType(name: string): ParamType {
  if (POLY.has(name)) return name as Polymorphic;
  if (name.endsWith('[]')) return arrayOf(Types[name.slice(0, -2) as ScalarKind]);
  const t = Types[name as ScalarKind];
  if (t === undefined) throw new ThinkLiteError('INTERNAL_ERROR', `unknown type ${name} in a function signature`);
  return t;
}

const REGISTRY = new Map<string, FunctionDef>();

/** Adds signatures to a function (creating it on first use). */
export function defineFunction(name: string, specs: readonly SignatureSpec[]): void {
  const sigs: FunctionSignature[] = specs.map((s) => ({
    args: s.args.map(paramType),
    ...(s.variadic !== undefined ? { variadic: paramType(s.variadic) } : {}),
    result: typeof s.result === 'string' ? paramType(s.result) : s.result,
    impl: s.impl,
    ...(s.argNames !== undefined ? { argNames: s.argNames } : {}),
    ...(s.defaults !== undefined ? { defaults: s.defaults } : {}),
    volatility: s.volatility ?? 'immutable',
    strict: s.strict ?? true,
  }));
  const prev = REGISTRY.get(name);
  REGISTRY.set(name, { name, signatures: [...(prev?.signatures ?? []), ...sigs] });
}

/** Defines the same signatures under several names (`ceil` / `ceiling`). */
export function defineAliases(names: readonly string[], specs: readonly SignatureSpec[]): void {
  for (const n of names) defineFunction(n, specs);
}

export function lookupFunction(name: string): FunctionDef | undefined {
  return REGISTRY.get(name);
}

/** All registered functions (for introspection and tests). */
export function registeredFunctions(): readonly FunctionDef[] {
  return [...REGISTRY.values()];
}
