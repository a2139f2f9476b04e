import { ThinkLiteError } from '@thinklite/base';
import type { SequenceDesc } from '../catalog/descriptors.js';
import { bindFunctionCall, bindSqlValueFunction } from '../functions/index.js';
import { compileRegex, parseRegexFlags } from '../functions/regex.js';
import type { Expr, SelectStmt, TypeName } from '../parser/ast.js';
import { type OidTypeName, oidFromText, oidTypeName } from '../system/reg.js';
import { type CastMode, castAllowed, castContext, cast as castValue } from '../types/cast.js';
import { compare, equals } from '../types/compare.js';
import type { TypeContext } from '../types/datetime.js';
import type { Datum } from '../types/datum.js';
import { type JsonbValue, jsonbArray, jsonbObject } from '../types/jsonb.js';
import { Numeric } from '../types/numeric.js';
import { type ArithOp, findOperator, negateValue } from '../types/operators.js';
import { formatText, parseText } from '../types/text-io.js';
import {
  arrayOf,
  elemOf,
  resolveTypeName,
  type SqlType,
  type TypeCategory,
  Types,
  typeCategory,
  typeName,
} from '../types/type.js';
import { sqlError } from './errors.js';
import { paramDatum } from './params.js';
import { bindSequenceCall, SEQUENCE_FUNCTIONS, type SequenceCache } from './sequences.js';

/**
 * Bound expressions: the parser's expressions with names resolved to row positions and every
 * operator and cast chosen, compiled to closures over a row. Type resolution follows
 * PostgreSQL's rules in the cases the engine supports (docs/architecture.md §8): an untyped
 * literal takes the type its context needs; numeric operands are promoted along int2 → int4 →
 * int8 → numeric → float8; other mixes need an implicit cast, or fail as PostgreSQL does with
 * `operator does not exist` (42883).
 */

export interface Env {
  /** Parameter values as given (text, JavaScript values or Datums); converted when read. */
  readonly params: readonly unknown[];
  /** The current rows of the enclosing queries, innermost first (for correlated subqueries). */
  readonly outer?: readonly (readonly Datum[])[];
  /** This row's results of the correlated subqueries, computed before the row is evaluated. */
  readonly applied?: ReadonlyMap<object, SubqueryResult>;
  /** The session's sequence values (nextval, currval). */
  readonly sequences?: SequenceCache;
  readonly ctx: TypeContext;
}

export type Evaluator = (row: readonly Datum[], env: Env) => Datum;

export interface BoundExpr {
  readonly type: SqlType;
  readonly eval: Evaluator;
  /** Set when the value is known at plan time. */
  readonly constant?: { readonly value: Datum };
  /** The output column name PostgreSQL gives an unaliased target of this expression. */
  readonly name: string;
  /** For a plain column reference: its position in the row. */
  readonly columnIndex?: number;
  /** For a parameter ($n): its number; an untyped one takes the type its context needs. */
  readonly paramNumber?: number;
}

/** A column visible to expressions: position i of the row is columns[i]. */
export interface ScopeColumn {
  readonly name: string;
  readonly type: SqlType;
  /** The table (alias) it comes from, for qualified references. */
  readonly table?: string;
  /** Not part of `*` (a table's hidden rowid). */
  readonly hidden?: boolean;
  /** Reachable only as `table.column` and in `table.*` (a column merged by JOIN … USING). */
  readonly qualifiedOnly?: boolean;
  /** Not grouped by the enclosing grouped query: a subquery may not use it (42803). */
  readonly ungrouped?: boolean;
}

export interface Scope {
  readonly columns: readonly ScopeColumn[];
  /** The enclosing query's scope, for correlated references from a subquery. */
  readonly outer?: Scope;
  /** The order of columns in `*`, when it is not the row order (JOIN … USING lists merged columns first). */
  readonly starOrder?: readonly number[];
}

/** Parameter types, inferred from use where the client did not declare them. */
export class ParamTypes {
  readonly types: (SqlType | undefined)[];
  constructor(declared: readonly (SqlType | undefined)[] = []) {
    this.types = [...declared];
  }
  get(n: number): SqlType | undefined {
    return this.types[n - 1];
  }
  infer(n: number, type: SqlType): void {
    if (this.types[n - 1] === undefined || this.types[n - 1]?.kind === 'unknown') this.types[n - 1] = type;
  }
}

export interface BindContext {
  readonly params: ParamTypes;
  readonly ctx: TypeContext;
  /** Results of the statement's uncorrelated subqueries, run before binding (by AST node). */
  readonly subqueries?: ReadonlyMap<object, SubqueryResult>;
  /** The statement's sequence function calls, resolved before binding (by AST node). */
  readonly sequenceCalls?: ReadonlyMap<object, SequenceDesc>;
}

/**
 * What a subquery produced: its column types and rows. A correlated subquery's rows differ per
 * row of the enclosing query: they are then in `Env.applied`, and `correlated` holds the query.
 */
export interface SubqueryResult {
  readonly types: readonly SqlType[];
  readonly rows: readonly (readonly Datum[])[];
  readonly correlated?: SelectStmt;
}

const err = sqlError;

function constant(type: SqlType, value: Datum, name = '?column?'): BoundExpr {
  return { type, eval: () => value, constant: { value }, name };
}

/** A type named in SQL (a cast target, a column definition). */
export function typeFromName(t: TypeName): SqlType {
  const parts = t.names;
  const last = parts[parts.length - 1] as string;
  if (parts.length > 1 && parts[0] !== 'pg_catalog') {
    throw err('UNDEFINED_OBJECT', `type "${parts.join('.')}" does not exist`, t.location);
  }
  const base = resolveTypeName(last, t.typmods);
  return t.arrayBounds.length > 0 ? arrayOf(base) : base;
}

// --- coercion --------------------------------------------------------------------------------

/**
 * `e` as a value of `target`: an untyped literal is read as that type now; otherwise a cast
 * allowed in `mode` is applied. Fails with DATATYPE_MISMATCH (42804) when none is allowed.
 */
export function coerce(e: BoundExpr, target: SqlType, mode: CastMode, b: BindContext, what?: string): BoundExpr {
  if (e.type.kind === 'unknown' && e.paramNumber !== undefined && target.kind !== 'unknown') {
    // An untyped parameter is typed by its first context; its values are converted to that type.
    const n = e.paramNumber;
    b.params.infer(n, target);
    const t = b.params.get(n) ?? target;
    const param: BoundExpr = {
      type: t,
      name: e.name,
      paramNumber: n,
      eval: (_row, env) => {
        if (n > env.params.length) throw err('UNDEFINED_PARAMETER', `there is no parameter $${n}`);
        return paramDatum(env.params[n - 1], t, env.ctx);
      },
    };
    return t.kind === target.kind ? param : coerce(param, target, mode, b, what);
  }
  if (e.type.kind === 'unknown' && e.constant) {
    const v = e.constant.value;
    const value = v === null ? null : parseText(target, v as string, b.ctx);
    return { ...constant(target, value, e.name) };
  }
  if (e.type.kind === target.kind && e.type.kind !== 'array' && mode !== 'explicit' && sameModifiers(e.type, target)) {
    return e;
  }
  const ctxKind = castContext(e.type, target);
  if (!castAllowed(ctxKind, mode)) {
    if (mode === 'explicit' || ctxKind === undefined) {
      throw err('CANNOT_COERCE', `cannot cast type ${typeName(e.type)} to ${typeName(target)}`);
    }
    throw err(
      'DATATYPE_MISMATCH',
      what ??
        `${mode === 'assignment' ? 'value' : 'expression'} is of type ${typeName(e.type)} but ${typeName(target)} is expected`,
    );
  }
  const from = e.type;
  const inner = e.eval;
  return {
    type: target,
    name: e.name,
    eval: (row, env) => {
      const v = inner(row, env);
      return v === null ? null : castValue(v, from, target, env.ctx, mode);
    },
  };
}

function sameModifiers(a: SqlType, b: SqlType): boolean {
  return a.length === b.length && a.precision === b.precision && a.scale === b.scale;
}

const NUMERIC_RANK: Partial<Record<string, number>> = { int2: 0, int4: 1, int8: 2, numeric: 3, float4: 4, float8: 5 };

/** The common type two operands are compared or combined in, as PostgreSQL's resolution picks it. */
/**
 * One step of PostgreSQL's common-type resolution over a list (CASE, COALESCE, VALUES, …): untyped
 * inputs (NULL, string literals) take no part until the end, when a list of only those is text.
 */
export function unifyType(acc: SqlType, next: SqlType, location?: number, what = '='): SqlType {
  if (next.kind === 'unknown') return acc;
  if (acc.kind === 'unknown') return next;
  return commonType(acc, next, location, what);
}

export function commonType(a: SqlType, b: SqlType, location?: number, op = '='): SqlType {
  if (a.kind === 'unknown' && b.kind === 'unknown') return Types.text;
  if (a.kind === 'unknown') return b;
  if (b.kind === 'unknown') return a;
  if (a.kind === b.kind) return a.kind === 'array' ? a : { kind: a.kind };
  const ra = NUMERIC_RANK[a.kind];
  const rb = NUMERIC_RANK[b.kind];
  if (ra !== undefined && rb !== undefined) {
    // float4 with numeric or int8 goes to float8, as PostgreSQL's operators do.
    if ((a.kind === 'float4' || b.kind === 'float4') && Math.max(ra, rb) === 4 && Math.min(ra, rb) >= 2)
      return Types.float8;
    return ra > rb ? { kind: a.kind } : { kind: b.kind };
  }
  const cat = (t: SqlType): TypeCategory => typeCategory(t);
  if (cat(a) === 'S' && cat(b) === 'S') return Types.text;
  if (castContext(a, b) === 'implicit') return { kind: b.kind };
  if (castContext(b, a) === 'implicit') return { kind: a.kind };
  throw err('UNDEFINED_FUNCTION', `operator does not exist: ${typeName(a)} ${op} ${typeName(b)}`, location);
}

// --- binding ---------------------------------------------------------------------------------

/**
 * A column by name: in `scope`, else in the enclosing queries' scopes (a correlated reference;
 * `depth` 1 is the query right outside).
 */
function resolveColumn(
  names: readonly string[],
  scope: Scope,
  location: number,
): { index: number; col: ScopeColumn; depth: number } {
  const col = names[names.length - 1] as string;
  const table = names.length >= 2 ? names[names.length - 2] : undefined;
  let found: { index: number; col: ScopeColumn; depth: number } | undefined;
  for (let s: Scope | undefined = scope, depth = 0; s && !found; s = s.outer, depth++) {
    const d = depth;
    s.columns.forEach((c, index) => {
      if (c.name !== col || (table !== undefined && c.table !== table) || (table === undefined && c.qualifiedOnly))
        return;
      if (found) throw err('AMBIGUOUS_COLUMN', `column reference "${col}" is ambiguous`, location);
      found = { index, col: c, depth: d };
    });
  }
  if (!found) {
    if (table !== undefined && !scope.columns.some((c) => c.table === table)) {
      throw new ThinkLiteError('UNDEFINED_TABLE', `missing FROM-clause entry for table "${table}"`, {
        location,
        reference: names,
      });
    }
    const shown = names.length === 1 ? `"${col}"` : names.join('.');
    throw new ThinkLiteError('UNDEFINED_COLUMN', `column ${shown} does not exist`, { location, reference: names });
  }
  return found;
}

const truthy = (v: Datum) => v === true;

/** Names of the aggregate functions (bound by the aggregation step, not here). */
export const AGGREGATE_NAMES: ReadonlySet<string> = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'bool_and',
  'bool_or',
  'every',
  'string_agg',
  'array_agg',
]);

function boolArg(e: BoundExpr, b: BindContext, what: string): BoundExpr {
  if (e.type.kind === 'bool') return e;
  if (e.type.kind === 'unknown') return coerce(e, Types.bool, 'implicit', b);
  throw err('DATATYPE_MISMATCH', `argument of ${what} must be type boolean, not type ${typeName(e.type)}`);
}

const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

/** The test of comparison operator `op` on two non-null values of type `t`. */
/** An array being subscripted (42804 for any other type). */
function subscriptable(arr: BoundExpr, location: number): BoundExpr {
  if (arr.type.kind !== 'array') {
    throw err(
      'DATATYPE_MISMATCH',
      `cannot subscript type ${typeName(arr.type)} because it does not support subscripting`,
      location,
    );
  }
  return arr;
}

function comparisonTest(op: string, t: SqlType, location: number): (x: Datum, y: Datum) => boolean {
  switch (op) {
    case '=':
      return (x, y) => equals(t, x, y);
    case '<>':
    case '!=':
      return (x, y) => !equals(t, x, y);
    case '<':
      return (x, y) => compare(t, x, y) < 0;
    case '<=':
      return (x, y) => compare(t, x, y) <= 0;
    case '>':
      return (x, y) => compare(t, x, y) > 0;
    case '>=':
      return (x, y) => compare(t, x, y) >= 0;
    default:
      throw err('UNDEFINED_FUNCTION', `operator does not exist: ${typeName(t)} ${op} ${typeName(t)}`, location);
  }
}

function comparison(op: string, l: BoundExpr, r: BoundExpr, b: BindContext, location: number): BoundExpr {
  const t = commonType(l.type, r.type, location, op);
  const a = coerce(l, t, 'implicit', b);
  const c = coerce(r, t, 'implicit', b);
  const ae = a.eval;
  const ce = c.eval;
  const test = comparisonTest(op, t, location);
  return {
    type: Types.bool,
    name: '?column?',
    eval: (row, env) => {
      const x = ae(row, env);
      if (x === null) return null;
      const y = ce(row, env);
      return y === null ? null : test(x, y);
    },
  };
}

function arithmetic(op: ArithOp, l: BoundExpr, r: BoundExpr, b: BindContext, location: number): BoundExpr {
  let lt = l.type.kind === 'unknown' ? (r.type.kind === 'unknown' ? Types.numeric : r.type) : l.type;
  let rt = r.type.kind === 'unknown' ? lt : r.type;
  let impl = findOperator(op, lt, rt);
  if (!impl) {
    // Promote along the numeric ladder (or an implicit cast) and try again.
    const t = commonType(lt, rt, location, op);
    if (NUMERIC_RANK[t.kind] !== undefined) {
      impl = findOperator(op, t, t);
      lt = t;
      rt = t;
    }
  }
  if (!impl)
    throw err('UNDEFINED_FUNCTION', `operator does not exist: ${typeName(lt)} ${op} ${typeName(rt)}`, location);
  const a = coerce(l, lt, 'implicit', b).eval;
  const c = coerce(r, rt, 'implicit', b).eval;
  const apply = impl.apply;
  return {
    type: impl.result,
    name: '?column?',
    eval: (row, env) => {
      const x = a(row, env);
      if (x === null) return null;
      const y = c(row, env);
      return y === null ? null : apply(x, y, env.ctx);
    },
  };
}

/**
 * `||` on arrays (array || array, array || element, element || array; a NULL array is empty) and
 * on jsonb (objects merge, the right side winning; anything else concatenates as arrays).
 */
function concatCollections(l: BoundExpr, r: BoundExpr, b: BindContext): BoundExpr | undefined {
  const lk = l.type.kind;
  const rk = r.type.kind;
  if (lk === 'jsonb' || rk === 'jsonb') {
    if ((lk !== 'jsonb' && lk !== 'unknown') || (rk !== 'jsonb' && rk !== 'unknown')) return undefined;
    const x = coerce(l, Types.jsonb, 'implicit', b).eval;
    const y = coerce(r, Types.jsonb, 'implicit', b).eval;
    const items = (j: JsonbValue) => (j.type === 'array' ? j.items : [j]);
    return {
      type: Types.jsonb,
      name: '?column?',
      eval: (row, env) => {
        const a = x(row, env) as JsonbValue | null;
        const c = y(row, env) as JsonbValue | null;
        if (a === null || c === null) return null;
        if (a.type === 'object' && c.type === 'object') return jsonbObject([...a.entries, ...c.entries]);
        return jsonbArray([...items(a), ...items(c)]);
      },
    };
  }
  if (lk !== 'array' && rk !== 'array') return undefined;
  const arrayType = lk === 'array' ? l.type : r.type;
  const elem = elemOf(arrayType);
  const side = (e: BoundExpr) => {
    if (e.type.kind === 'array' || e.type.kind === 'unknown')
      return { array: true, f: coerce(e, arrayType, 'implicit', b).eval };
    return { array: false, f: coerce(e, elem, 'implicit', b).eval };
  };
  const x = side(l);
  const y = side(r);
  const part = (s: { array: boolean; f: BoundExpr['eval'] }, row: readonly Datum[], env: Env): readonly Datum[] => {
    const v = s.f(row, env);
    return s.array ? ((v as readonly Datum[] | null) ?? []) : [v];
  };
  return {
    type: arrayType,
    name: '?column?',
    eval: (row, env) => {
      if (x.array && y.array && x.f(row, env) === null && y.f(row, env) === null) return null;
      return [...part(x, row, env), ...part(y, row, env)];
    },
  };
}

function concat(l: BoundExpr, r: BoundExpr, b: BindContext): BoundExpr {
  const collection = concatCollections(l, r, b);
  if (collection) return collection;
  const asText = (e: BoundExpr) => (e.type.kind === 'unknown' ? coerce(e, Types.text, 'implicit', b) : e);
  const a = asText(l);
  const c = asText(r);
  const ae = a.eval;
  const ce = c.eval;
  const at = a.type;
  const ct = c.type;
  const str = (t: SqlType, v: Datum, env: Env) => (typeof v === 'string' ? v : formatText(t, v, env.ctx));
  return {
    type: Types.text,
    name: '?column?',
    eval: (row, env) => {
      const x = ae(row, env);
      if (x === null) return null;
      const y = ce(row, env);
      return y === null ? null : str(at, x, env) + str(ct, y, env);
    },
  };
}

/** POSIX regular expression matches: `~`, `~*` (case-insensitive) and their negations. */
function regexMatch(op: string, l: BoundExpr, r: BoundExpr, b: BindContext): BoundExpr {
  const x = coerce(l, Types.text, 'implicit', b).eval;
  const p = coerce(r, Types.text, 'implicit', b).eval;
  const flags = parseRegexFlags(op.includes('*') ? 'i' : '');
  const negated = op.startsWith('!');
  return {
    type: Types.bool,
    name: '?column?',
    eval: (row, env) => {
      const v = x(row, env);
      if (v === null) return null;
      const pattern = p(row, env);
      if (pattern === null) return null;
      return compileRegex(pattern as string, flags, false).test(v as string) !== negated;
    },
  };
}

/** LIKE / ILIKE patterns to a regular expression: `%` any run, `_` one character, `\` escapes. */
function likeRegex(pattern: string, insensitive: boolean, escapeChar = '\\'): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (escapeChar !== '' && ch === escapeChar) {
      i++;
      if (i >= pattern.length) throw err('INVALID_ESCAPE_SEQUENCE', 'LIKE pattern must not end with escape character');
      re += (pattern[i] as string).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (ch === '%') re += '[\\s\\S]*';
    else if (ch === '_') re += '[\\s\\S]';
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${re}$`, insensitive ? 'iu' : 'u');
}

export class ExprBinder {
  /**
   * Consulted before binding each node: above an aggregation, group keys and aggregate calls
   * are columns of the aggregated row, and other column references are errors.
   */
  override: ((e: Expr) => BoundExpr | undefined) | undefined;

  constructor(readonly b: BindContext) {}

  bind(e: Expr, scope: Scope): BoundExpr {
    const b = this.b;
    const replaced = this.override?.(e);
    if (replaced) return replaced;
    switch (e.kind) {
      case 'integer':
        return constant(e.type === 'int4' ? Types.int4 : Types.int8, e.value);
      case 'numeric':
        return constant(Types.numeric, Numeric.parse(e.text));
      case 'string':
        return constant(Types.unknown, e.value);
      case 'boolean':
        return constant(Types.bool, e.value, 'bool');
      case 'null':
        return constant(Types.unknown, null);
      case 'typedLiteral': {
        const t = typeFromName(e.type);
        return constant(t, parseText(t, e.value, b.ctx), e.type.names[e.type.names.length - 1]);
      }
      case 'param': {
        const n = e.number;
        const params = b.params;
        const t = params.get(n) ?? Types.unknown;
        return {
          type: t,
          name: '?column?',
          paramNumber: n,
          // The parameter's type may be settled by a later use: read it at run time.
          eval: (_row, env) => {
            if (n > env.params.length) throw err('UNDEFINED_PARAMETER', `there is no parameter $${n}`, e.location);
            return paramDatum(env.params[n - 1], params.get(n) ?? Types.text, env.ctx);
          },
        };
      }
      case 'columnRef': {
        const { index, col, depth } = resolveColumn(e.names, scope, e.location);
        if (depth > 0) {
          if (col.ungrouped) {
            const shown = col.table ? `${col.table}.${col.name}` : col.name;
            throw err('GROUPING_ERROR', `subquery uses ungrouped column "${shown}" from outer query`, e.location);
          }
          // A column of an enclosing query: its current row, passed down in the environment.
          return { type: col.type, name: col.name, eval: (_row, env) => env.outer?.[depth - 1]?.[index] ?? null };
        }
        return { type: col.type, name: col.name, columnIndex: index, eval: (row) => row[index] ?? null };
      }
      case 'and':
      case 'or': {
        const args = e.args.map((a) => boolArg(this.bind(a, scope), b, e.kind.toUpperCase()).eval);
        const isAnd = e.kind === 'and';
        return {
          type: Types.bool,
          name: '?column?',
          eval: (row, env) => {
            // Three-valued logic: AND is false if any is false, else null if any is null.
            let sawNull = false;
            for (const f of args) {
              const v = f(row, env);
              if (v === null) sawNull = true;
              else if (v === !isAnd) return !isAnd;
            }
            return sawNull ? null : isAnd;
          },
        };
      }
      case 'not': {
        const a = boolArg(this.bind(e.arg, scope), b, 'NOT').eval;
        return {
          type: Types.bool,
          name: '?column?',
          eval: (row, env) => {
            const v = a(row, env);
            return v === null ? null : !v;
          },
        };
      }
      case 'isNull': {
        const a = this.bind(e.expr, scope).eval;
        const neg = e.negated;
        return { type: Types.bool, name: '?column?', eval: (row, env) => (a(row, env) === null) !== neg };
      }
      case 'isBool': {
        const a = boolArg(this.bind(e.expr, scope), b, `IS ${e.test.toUpperCase()}`).eval;
        const want = e.test === 'true' ? true : e.test === 'false' ? false : null;
        const neg = e.negated;
        return { type: Types.bool, name: '?column?', eval: (row, env) => (a(row, env) === want) !== neg };
      }
      case 'isDistinctFrom': {
        const l = this.bind(e.left, scope);
        const r = this.bind(e.right, scope);
        const t = commonType(l.type, r.type, e.location, 'IS DISTINCT FROM');
        const a = coerce(l, t, 'implicit', b).eval;
        const c = coerce(r, t, 'implicit', b).eval;
        const neg = e.negated;
        return {
          type: Types.bool,
          name: '?column?',
          eval: (row, env) => {
            const x = a(row, env);
            const y = c(row, env);
            const distinct = x === null || y === null ? x !== y : !equals(t, x, y);
            return distinct !== neg;
          },
        };
      }
      case 'binaryOp': {
        if (e.opSchema !== undefined && e.opSchema !== 'pg_catalog') {
          throw err('UNDEFINED_FUNCTION', `operator does not exist: ${e.opSchema}.${e.op}`, e.location);
        }
        const l = this.bind(e.left, scope);
        const r = this.bind(e.right, scope);
        this.inferParam(e.left, r.type);
        this.inferParam(e.right, l.type);
        const l2 = this.refresh(e.left, l, scope);
        const r2 = this.refresh(e.right, r, scope);
        if (COMPARISONS.has(e.op)) return comparison(e.op, l2, r2, b, e.location);
        if (e.op === '||') return concat(l2, r2, b);
        if (e.op === '~' || e.op === '!~' || e.op === '~*' || e.op === '!~*') return regexMatch(e.op, l2, r2, b);
        if (e.op === '+' || e.op === '-' || e.op === '*' || e.op === '/' || e.op === '%') {
          return arithmetic(e.op, l2, r2, b, e.location);
        }
        throw err(
          'UNDEFINED_FUNCTION',
          `operator does not exist: ${typeName(l2.type)} ${e.op} ${typeName(r2.type)}`,
          e.location,
        );
      }
      case 'unaryOp': {
        const a = this.bind(e.operand, scope);
        if (e.op === '+') return a;
        if (e.op !== '-')
          throw err('UNDEFINED_FUNCTION', `operator does not exist: ${e.op} ${typeName(a.type)}`, e.location);
        const t = a.type.kind === 'unknown' ? Types.numeric : a.type;
        const f = coerce(a, t, 'implicit', b).eval;
        return { type: t, name: '?column?', eval: (row, env) => negateValue(t, f(row, env)) };
      }
      case 'between': {
        const x = this.bind(e.expr, scope);
        const lo = this.bind(e.low, scope);
        const hi = this.bind(e.high, scope);
        const ge = comparison('>=', x, lo, b, e.location).eval;
        const le = comparison('<=', x, hi, b, e.location).eval;
        const symmetricGe = e.symmetric ? comparison('>=', x, hi, b, e.location).eval : undefined;
        const symmetricLe = e.symmetric ? comparison('<=', x, lo, b, e.location).eval : undefined;
        const neg = e.negated;
        const and3 = (p: Datum, q: Datum): Datum =>
          p === false || q === false ? false : p === null || q === null ? null : true;
        return {
          type: Types.bool,
          name: '?column?',
          eval: (row, env) => {
            let v = and3(ge(row, env), le(row, env));
            if (symmetricGe && symmetricLe && v !== true) {
              const w = and3(symmetricGe(row, env), symmetricLe(row, env));
              v = v === null || w === null ? (w === true ? true : null) : v || w;
            }
            return v === null ? null : v !== neg;
          },
        };
      }
      case 'inList': {
        const x = this.bind(e.expr, scope);
        const items = e.list.map((i) => this.bind(i, scope));
        let t = x.type;
        for (const it of items) t = unifyType(t, it.type, e.location, 'IN');
        if (t.kind === 'unknown') t = Types.text;
        const xe = coerce(x, t, 'implicit', b).eval;
        const ie = items.map((i) => coerce(i, t, 'implicit', b).eval);
        const neg = e.negated;
        return {
          type: Types.bool,
          name: '?column?',
          eval: (row, env) => {
            const v = xe(row, env);
            if (v === null) return null;
            let sawNull = false;
            for (const f of ie) {
              const w = f(row, env);
              if (w === null) sawNull = true;
              else if (equals(t, v, w)) return !neg;
            }
            return sawNull ? null : neg;
          },
        };
      }
      case 'like': {
        if (e.mode === 'similar') throw err('FEATURE_NOT_SUPPORTED', 'SIMILAR TO is not supported yet', e.location);
        const x = coerce(this.bind(e.expr, scope), Types.text, 'implicit', b).eval;
        const p = coerce(this.bind(e.pattern, scope), Types.text, 'implicit', b);
        const escE = e.escape ? coerce(this.bind(e.escape, scope), Types.text, 'implicit', b).eval : undefined;
        const insensitive = e.mode === 'ilike';
        const neg = e.negated;
        const cached =
          p.constant && !escE && p.constant.value !== null
            ? likeRegex(p.constant.value as string, insensitive)
            : undefined;
        const pe = p.eval;
        return {
          type: Types.bool,
          name: '?column?',
          eval: (row, env) => {
            const v = x(row, env);
            if (v === null) return null;
            let re = cached;
            if (!re) {
              const pat = pe(row, env);
              if (pat === null) return null;
              const esc = escE ? escE(row, env) : '\\';
              if (esc === null) return null;
              re = likeRegex(pat as string, insensitive, esc as string);
            }
            return re.test(v as string) !== neg;
          },
        };
      }
      case 'case': {
        const subject = e.operand ? this.bind(e.operand, scope) : undefined;
        const whens = e.whens.map((w) => ({
          cond: subject
            ? comparison('=', subject, this.bind(w.condition, scope), b, w.location)
            : boolArg(this.bind(w.condition, scope), b, 'CASE/WHEN'),
          result: this.bind(w.result, scope),
        }));
        const elseE = e.else ? this.bind(e.else, scope) : constant(Types.unknown, null);
        let t: SqlType = Types.unknown;
        for (const r of [...whens.map((w) => w.result), elseE]) t = unifyType(t, r.type, e.location, 'CASE');
        if (t.kind === 'unknown') t = Types.text;
        const ws = whens.map((w) => ({ cond: w.cond.eval, result: coerce(w.result, t, 'implicit', b).eval }));
        const el = coerce(elseE, t, 'implicit', b).eval;
        return {
          type: t,
          name: 'case',
          eval: (row, env) => {
            for (const w of ws) if (truthy(w.cond(row, env))) return w.result(row, env);
            return el(row, env);
          },
        };
      }
      case 'coalesce': {
        const args = e.args.map((a) => this.bind(a, scope));
        let t: SqlType = Types.unknown;
        for (const a of args) t = unifyType(t, a.type, e.location, 'COALESCE');
        if (t.kind === 'unknown') t = Types.text;
        const fs = args.map((a) => coerce(a, t, 'implicit', b).eval);
        return {
          type: t,
          name: 'coalesce',
          eval: (row, env) => {
            for (const f of fs) {
              const v = f(row, env);
              if (v !== null) return v;
            }
            return null;
          },
        };
      }
      case 'nullif': {
        const l = this.bind(e.left, scope);
        const eq = comparison('=', l, this.bind(e.right, scope), b, e.location).eval;
        const le = l.eval;
        return {
          type: l.type.kind === 'unknown' ? Types.text : l.type,
          name: 'nullif',
          eval: (row, env) => (eq(row, env) === true ? null : le(row, env)),
        };
      }
      case 'minMax': {
        const args = e.args.map((a) => this.bind(a, scope));
        let t: SqlType = Types.unknown;
        for (const a of args) t = unifyType(t, a.type, e.location, e.op);
        if (t.kind === 'unknown') t = Types.text;
        const fs = args.map((a) => coerce(a, t, 'implicit', b).eval);
        const sign = e.op === 'greatest' ? 1 : -1;
        return {
          type: t,
          name: e.op,
          eval: (row, env) => {
            let best: Datum = null;
            for (const f of fs) {
              const v = f(row, env);
              if (v !== null && (best === null || sign * compare(t, v, best) > 0)) best = v;
            }
            return best;
          },
        };
      }
      case 'cast': {
        const oidType = oidTypeName(e.type.names[e.type.names.length - 1] as string);
        if (oidType && e.type.arrayBounds.length === 0) return this.bindOidCast(e, oidType, scope);
        const target = typeFromName(e.type);
        if (e.expr.kind === 'array' && e.expr.elements.length === 0 && target.kind === 'array') {
          return constant(target, [], 'array');
        }
        const inner = this.bind(e.expr, scope);
        if (e.expr.kind === 'param') this.b.params.infer(e.expr.number, target);
        const bound = coerce(this.refresh(e.expr, inner, scope), target, 'explicit', b);
        const name = inner.columnIndex !== undefined ? inner.name : (e.type.names[e.type.names.length - 1] as string);
        return { ...bound, name };
      }
      case 'subquery':
      case 'exists':
      case 'inSubquery':
      case 'quantifiedSubquery':
      case 'arraySubquery':
        return this.bindSubquery(e, scope);
      case 'funcCall': {
        if (e.over) throw err('WINDOWING_ERROR', 'window functions are not allowed here', e.location);
        if (AGGREGATE_NAMES.has(e.name[e.name.length - 1] as string)) {
          throw err('GROUPING_ERROR', `aggregate functions are not allowed here`, e.location);
        }
        // Named arguments are passed as their values; the function library reads the names.
        const args = e.args.map((a) => this.bind(a.kind === 'namedArg' ? a.value : a, scope));
        if (SEQUENCE_FUNCTIONS.has(e.name[e.name.length - 1] as string)) {
          const seq = b.sequenceCalls?.get(e);
          if (!seq && e.name[e.name.length - 1] !== 'lastval') {
            throw err('FEATURE_NOT_SUPPORTED', `${e.name.join('.')}() is not supported here`, e.location);
          }
          return bindSequenceCall(e, seq, args);
        }
        return bindFunctionCall(e, args, b);
      }
      case 'sqlValueFunction':
        return bindSqlValueFunction(e, b);
      case 'quantified':
        return this.bindQuantified(e, scope);
      case 'array': {
        if (e.elements.some((x) => x.kind === 'array')) {
          throw err('FEATURE_NOT_SUPPORTED', 'multidimensional arrays are not supported yet', e.location);
        }
        if (e.elements.length === 0) {
          throw err('INDETERMINATE_DATATYPE', 'cannot determine type of empty array', e.location, {
            hint: 'Explicitly cast to the desired type, for example ARRAY[]::integer[].',
          });
        }
        const els = e.elements.map((x) => this.bind(x, scope));
        let t: SqlType = Types.unknown;
        for (const x of els) t = unifyType(t, x.type, e.location, 'ARRAY');
        if (t.kind === 'unknown') t = Types.text;
        if (t.kind === 'array') {
          throw err('FEATURE_NOT_SUPPORTED', 'multidimensional arrays are not supported yet', e.location);
        }
        const fs = els.map((x) => coerce(x, t, 'implicit', b).eval);
        return { type: arrayOf(t), name: 'array', eval: (row, env) => fs.map((f) => f(row, env)) };
      }
      case 'subscript': {
        const arr = subscriptable(this.bind(e.expr, scope), e.location);
        const idx = coerce(this.bind(e.index, scope), Types.int4, 'implicit', b, 'array subscript').eval;
        const af = arr.eval;
        return {
          type: elemOf(arr.type),
          name: arr.columnIndex !== undefined ? arr.name : '?column?',
          eval: (row, env) => {
            const a = af(row, env) as readonly Datum[] | null;
            const i = idx(row, env) as number | null;
            if (a === null || i === null) return null;
            return a[i - 1] ?? null;
          },
        };
      }
      case 'slice': {
        const arr = subscriptable(this.bind(e.expr, scope), e.location);
        const bound = (x: Expr | undefined) =>
          x ? coerce(this.bind(x, scope), Types.int4, 'implicit', b, 'array subscript').eval : undefined;
        const lo = bound(e.lower);
        const hi = bound(e.upper);
        const af = arr.eval;
        return {
          type: arr.type,
          name: arr.columnIndex !== undefined ? arr.name : '?column?',
          eval: (row, env) => {
            const a = af(row, env) as readonly Datum[] | null;
            const l = lo ? (lo(row, env) as number | null) : 1;
            const h = hi ? (hi(row, env) as number | null) : (a?.length ?? 0);
            if (a === null || l === null || h === null) return null;
            return a.slice(Math.max(l, 1) - 1, Math.max(h, 0));
          },
        };
      }
      case 'collate': {
        // Only the default collations exist: they do not change how text compares here.
        const name = e.collation[e.collation.length - 1] as string;
        if (!['default', 'C', 'POSIX', 'c', 'posix'].includes(name)) {
          throw err(
            'UNDEFINED_OBJECT',
            `collation "${e.collation.join('.')}" for encoding "UTF8" does not exist`,
            e.location,
          );
        }
        return this.bind(e.expr, scope);
      }
      default:
        throw err('FEATURE_NOT_SUPPORTED', `${e.kind} expressions are not supported yet`, e.location);
    }
  }

  /**
   * `x op ANY|ALL (array)`: ANY is true if some comparison is, else NULL if one was NULL, else false
   * (an empty array: false); ALL is false if some comparison is, else NULL if one was NULL, else true.
   */
  private bindQuantified(e: Extract<Expr, { kind: 'quantified' }>, scope: Scope): BoundExpr {
    const b = this.b;
    let l = this.bind(e.left, scope);
    let r = this.bind(e.right, scope);
    if (r.type.kind !== 'array') {
      if (r.type.kind !== 'unknown') {
        throw err('WRONG_OBJECT_TYPE', `op ANY/ALL (array) requires array on right side`, e.location);
      }
      const elem = l.type.kind === 'unknown' ? Types.text : l.type;
      this.inferParam(e.right, arrayOf(elem));
      r = coerce(this.refresh(e.right, r, scope), arrayOf(elem), 'implicit', b);
    }
    const elemType = elemOf(r.type);
    this.inferParam(e.left, elemType);
    l = this.refresh(e.left, l, scope);
    const t = commonType(l.type, elemType, e.location, e.op);
    const lf = coerce(l, t, 'implicit', b).eval;
    const toT =
      t.kind === elemType.kind ? undefined : (v: Datum, env: Env) => castValue(v, elemType, t, env.ctx, 'implicit');
    const test = comparisonTest(e.op, t, e.location);
    const rf = r.eval;
    const any = e.quantifier === 'any';
    return {
      type: Types.bool,
      name: '?column?',
      eval: (row, env) => {
        const arr = rf(row, env) as readonly Datum[] | null;
        if (arr === null) return null;
        if (arr.length === 0) return !any;
        const x = lf(row, env);
        let sawNull = false;
        for (const raw of arr) {
          const y = raw === null || !toT ? raw : toT(raw, env);
          if (x === null || y === null) {
            sawNull = true;
            continue;
          }
          if (test(x, y) === any) return any;
        }
        return sawNull ? null : !any;
      },
    };
  }

  /** `x::regclass` and the other object-identifier types: int8 values; text is looked up by name. */
  private bindOidCast(e: Extract<Expr, { kind: 'cast' }>, type: OidTypeName, scope: Scope): BoundExpr {
    const b = this.b;
    const inner = this.bind(e.expr, scope);
    if (e.expr.kind === 'param') this.b.params.infer(e.expr.number, Types.text);
    const name = inner.columnIndex !== undefined ? inner.name : type;
    const kind = inner.type.kind;
    if (kind === 'int2' || kind === 'int4' || kind === 'int8') {
      return { ...coerce(inner, Types.int8, 'explicit', b), name };
    }
    const text = coerce(this.refresh(e.expr, inner, scope), Types.text, 'explicit', b);
    if (text.constant) {
      const v = text.constant.value;
      return constant(Types.int8, v === null ? null : oidFromText(type, v as string, b.ctx), name);
    }
    return {
      type: Types.int8,
      name,
      eval: (row, env) => {
        const v = text.eval(row, env);
        return v === null ? null : oidFromText(type, v as string, env.ctx);
      },
    };
  }

  private subqueryResult(e: Expr): SubqueryResult {
    const r = this.b.subqueries?.get(e as object);
    if (!r) throw err('INTERNAL_ERROR', 'subquery was not prepared before binding', e.location);
    return r;
  }

  /** Subqueries in expressions: their (uncorrelated) results were computed before binding. */
  private bindSubquery(
    e: Extract<Expr, { kind: 'subquery' | 'exists' | 'inSubquery' | 'quantifiedSubquery' | 'arraySubquery' }>,
    scope: Scope,
  ): BoundExpr {
    const r = this.subqueryResult(e);
    const node = e as object;
    const rowsOf = r.correlated
      ? (env: Env) => {
          const a = env.applied?.get(node);
          if (!a) throw err('INTERNAL_ERROR', 'correlated subquery was not evaluated for this row', e.location);
          return a.rows;
        }
      : () => r.rows;
    const oneColumn = () => {
      if (r.types.length !== 1) {
        // PostgreSQL words it by context: a scalar subquery vs. the right side of IN / ANY / ALL.
        const scalar = e.kind === 'subquery' || e.kind === 'arraySubquery';
        throw err(
          'SYNTAX_ERROR',
          scalar ? 'subquery must return only one column' : 'subquery has too many columns',
          e.location,
        );
      }
      return r.types[0] as SqlType;
    };
    switch (e.kind) {
      case 'exists':
        if (!r.correlated) return constant(Types.bool, r.rows.length > 0, 'exists');
        return { type: Types.bool, name: 'exists', eval: (_row, env) => rowsOf(env).length > 0 };
      case 'subquery': {
        const t = oneColumn();
        return {
          type: t.kind === 'unknown' ? Types.text : t,
          name: '?column?',
          eval: (_row, env) => {
            const rows = rowsOf(env);
            if (rows.length > 1)
              throw err('CARDINALITY_VIOLATION', 'more than one row returned by a subquery used as an expression');
            return rows.length === 0 ? null : ((rows[0] as readonly Datum[])[0] ?? null);
          },
        };
      }
      case 'arraySubquery': {
        const t = oneColumn();
        const type = arrayOf(t.kind === 'unknown' ? Types.text : t);
        if (!r.correlated)
          return constant(
            type,
            r.rows.map((row) => row[0] ?? null),
            'array',
          );
        return { type, name: 'array', eval: (_row, env) => rowsOf(env).map((row) => row[0] ?? null) };
      }
      case 'inSubquery':
      case 'quantifiedSubquery': {
        const t0 = oneColumn();
        const left = this.bind(e.kind === 'inSubquery' ? e.expr : e.left, scope);
        const op = e.kind === 'inSubquery' ? '=' : e.op;
        const all = e.kind === 'quantifiedSubquery' && e.quantifier === 'all';
        const t = commonType(left.type, t0, e.location, op);
        const le = coerce(left, t, 'implicit', this.b).eval;
        const fromType = t0;
        const test = comparisonTest(op, t, e.location);
        const neg = e.kind === 'inSubquery' && e.negated;
        return {
          type: Types.bool,
          name: '?column?',
          eval: (row, env) => {
            const x = le(row, env);
            let sawNull = false;
            for (const r0 of rowsOf(env)) {
              const raw = r0[0] ?? null;
              const v =
                raw === null || fromType.kind === t.kind ? raw : castValue(raw, fromType, t, env.ctx, 'implicit');
              if (x === null || v === null) {
                sawNull = true;
                continue;
              }
              const hit = test(x, v);
              if (all && !hit) return neg;
              if (!all && hit) return !neg;
            }
            if (sawNull) return null;
            return all ? !neg : neg;
          },
        };
      }
    }
  }

  /** A parameter compared with a typed expression takes that type (PostgreSQL infers it so). */
  private inferParam(e: Expr, type: SqlType): void {
    if (e.kind === 'param' && type.kind !== 'unknown') this.b.params.infer(e.number, type);
  }

  private refresh(e: Expr, bound: BoundExpr, scope: Scope): BoundExpr {
    return e.kind === 'param' && bound.type.kind === 'unknown' ? this.bind(e, scope) : bound;
  }

  /** Binds a boolean condition (WHERE, ON, HAVING). */
  bindCondition(e: Expr, scope: Scope, clause: string): BoundExpr {
    const bound = this.bind(e, scope);
    if (bound.type.kind === 'bool') return bound;
    if (bound.type.kind === 'unknown') return coerce(bound, Types.bool, 'implicit', this.b);
    throw err(
      'DATATYPE_MISMATCH',
      `argument of ${clause} must be type boolean, not type ${typeName(bound.type)}`,
      e.location,
    );
  }
}

/** Evaluates a constant expression (a LIMIT, a DEFAULT) with no row. */
export function evalConstant(e: BoundExpr, env: Env): Datum {
  return e.eval([], env);
}
