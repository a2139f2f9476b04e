/**
 * Casts between types, following PostgreSQL's pg_cast (checked against PostgreSQL 15) and its
 * automatic I/O conversion casts: any type → a string type is an assignment cast, a string type
 * → any type an explicit cast, both through the text form.
 */

import {
  dateToTimestamp,
  dateToTimestamptz,
  type TypeContext,
  timestampToDate,
  timestampToTimestamptz,
  timestamptzToDate,
  timestamptzToTimestamp,
} from './datetime.js';
import type { Datum } from './datum.js';
import { outOfRange, sqlError } from './errors.js';
import { rint } from './interval.js';
import { formatJsonb, type JsonbValue, jsonbTypeName, parseJsonb } from './jsonb.js';
import { Numeric } from './numeric.js';
import { bpcharTrim, checkInt, INT_BOUNDS, INT_WORD, type IntKind } from './scalar.js';
import { applyTypmod, formatText, parseText } from './text-io.js';
import { baseType, elemOf, type ScalarKind, type SqlType, typeName } from './type.js';

export type CastContext = 'implicit' | 'assignment' | 'explicit';
export type CastMode = CastContext;

const I = 'implicit';
const A = 'assignment';
const E = 'explicit';

/** pg_cast rows among ThinkLite's types (source → target → context). */
const PG_CAST: Partial<Record<ScalarKind, Partial<Record<ScalarKind, CastContext>>>> = {
  bool: { int4: E },
  int2: { int4: I, int8: I, float4: I, float8: I, numeric: I },
  int4: { bool: E, int2: A, int8: I, float4: I, float8: I, numeric: I },
  int8: { int2: A, int4: A, float4: I, float8: I, numeric: I },
  float4: { int2: A, int4: A, int8: A, float8: I, numeric: A },
  float8: { int2: A, int4: A, int8: A, float4: A, numeric: A },
  numeric: { int2: A, int4: A, int8: A, float4: I, float8: I },
  text: { varchar: I, bpchar: I },
  varchar: { text: I, bpchar: I },
  bpchar: { text: I, varchar: I },
  date: { timestamp: I, timestamptz: I },
  timestamp: { date: A, timestamptz: I },
  timestamptz: { date: A, timestamp: A },
  json: { jsonb: A },
  jsonb: { json: A, bool: E, int2: E, int4: E, int8: E, float4: E, float8: E, numeric: E },
};

function isStringKind(kind: string): boolean {
  return kind === 'text' || kind === 'varchar' || kind === 'bpchar';
}

/**
 * The context in which PostgreSQL allows a cast from `from` to `to`: 'implicit' (anywhere),
 * 'assignment' (also in INSERT/UPDATE targets), 'explicit' (only in CAST / ::), or undefined when
 * there is no cast. A type to itself (possibly changing modifiers) and `unknown` (a literal) to
 * anything are implicit; arrays cast as their elements do.
 */
export function castContext(from: SqlType, to: SqlType): CastContext | undefined {
  if (from.kind === 'unknown') return I;
  if (from.kind === to.kind && from.kind !== 'array') return I;
  if (from.kind === 'array' && to.kind === 'array') return castContext(elemOf(from), elemOf(to));
  if (from.kind !== 'array' && to.kind !== 'array') {
    const c = PG_CAST[from.kind]?.[to.kind];
    if (c !== undefined) return c;
  }
  if (isStringKind(to.kind)) return A;
  if (isStringKind(from.kind)) return E;
  return undefined;
}

const RANK: Record<CastContext, number> = { implicit: 0, assignment: 1, explicit: 2 };

/** Whether a cast of context `ctx` may be applied in `mode`. */
export function castAllowed(context: CastContext | undefined, mode: CastMode): boolean {
  return context !== undefined && RANK[context] <= RANK[mode];
}

function cannotCast(from: SqlType, to: SqlType): Error {
  return sqlError('CANNOT_COERCE', `cannot cast type ${typeName(from)} to ${typeName(to)}`);
}

function floatToInt(kind: IntKind, x: number): number | bigint {
  const word = INT_WORD[kind];
  if (Number.isNaN(x) || !Number.isFinite(x)) throw outOfRange(`${word} out of range`);
  const r = rint(x);
  const [min, max] = INT_BOUNDS[kind];
  if (kind === 'int8') {
    // Doubles at or above 2^63 do not fit, however they round.
    if (r < -(2 ** 63) || r >= 2 ** 63) throw outOfRange(`${word} out of range`);
    return BigInt(r);
  }
  if (r < Number(min) || r > Number(max)) throw outOfRange(`${word} out of range`);
  return r;
}

/** float8 → float4 (float84): overflow and underflow of finite values are errors. */
export function toFloat4(x: number): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f) && Number.isFinite(x)) throw outOfRange('value out of range: overflow');
  if (f === 0 && x !== 0) throw outOfRange('value out of range: underflow');
  return f;
}

function jsonbCast(v: JsonbValue, to: ScalarKind, toType: SqlType): Datum {
  const want = typeName(toType);
  if (to === 'bool') {
    if (v.type !== 'boolean')
      throw sqlError('INVALID_PARAMETER_VALUE', `cannot cast jsonb ${jsonbTypeName(v)} to type ${want}`);
    return v.value;
  }
  if (v.type !== 'number')
    throw sqlError('INVALID_PARAMETER_VALUE', `cannot cast jsonb ${jsonbTypeName(v)} to type ${want}`);
  return convertScalar(v.value, 'numeric', to);
}

/** The conversion of a non-null value between two scalar kinds that have a pg_cast function. */
function convertScalar(d: Datum, from: ScalarKind, to: ScalarKind, ctx?: TypeContext): Datum {
  switch (from) {
    case 'bool':
      if (to === 'int4') return d ? 1 : 0;
      break;
    case 'int2':
    case 'int4':
    case 'int8': {
      const v = d as number | bigint;
      if (to === 'int2' || to === 'int4' || to === 'int8') return checkInt(to, v);
      if (to === 'float8') return Number(v);
      if (to === 'float4') return Math.fround(Number(v));
      if (to === 'numeric') return Numeric.fromInt(v);
      if (to === 'bool') return v !== 0;
      break;
    }
    case 'float4':
    case 'float8': {
      const x = d as number;
      if (to === 'int2' || to === 'int4' || to === 'int8') return floatToInt(to, x);
      if (to === 'float8') return x;
      if (to === 'float4') return toFloat4(x);
      if (to === 'numeric') return from === 'float4' ? Numeric.fromFloat4(x) : Numeric.fromFloat8(x);
      break;
    }
    case 'numeric': {
      const n = d as Numeric;
      if (to === 'int2' || to === 'int4' || to === 'int8') {
        const [min, max] = INT_BOUNDS[to];
        const v = n.toBigIntChecked(INT_WORD[to], min, max);
        return to === 'int8' ? v : Number(v);
      }
      if (to === 'float8') return n.toFloat8();
      if (to === 'float4') {
        const f = Math.fround(n.toFloat8());
        if (!Number.isFinite(f) && n.isFinite()) throw outOfRange(`"${n.toString()}" is out of range for type real`);
        return f;
      }
      if (to === 'numeric') return n;
      break;
    }
    case 'text':
    case 'varchar':
      if (isStringKind(to)) return d;
      break;
    case 'bpchar':
      if (isStringKind(to)) return to === 'bpchar' ? d : bpcharTrim(d as string);
      break;
    case 'date':
      if (to === 'timestamp') return dateToTimestamp(d as number);
      if (to === 'timestamptz' && ctx) return dateToTimestamptz(d as number, ctx);
      break;
    case 'timestamp':
      if (to === 'date') return timestampToDate(d as bigint);
      if (to === 'timestamptz' && ctx) return timestampToTimestamptz(d as bigint, ctx);
      break;
    case 'timestamptz':
      if (to === 'date' && ctx) return timestamptzToDate(d as bigint, ctx);
      if (to === 'timestamp' && ctx) return timestamptzToTimestamp(d as bigint, ctx);
      break;
    case 'json':
      if (to === 'jsonb') return parseJsonb(d as string);
      break;
    case 'jsonb':
      if (to === 'json') return formatJsonb(d as JsonbValue);
      return jsonbCast(d as JsonbValue, to, { kind: to });
    default:
      break;
  }
  if (from === to) return d;
  throw sqlError('INTERNAL_ERROR', `no conversion from ${from} to ${to}`);
}

/**
 * Casts a value from one type to another as PostgreSQL would in the given context: fails with
 * `cannot cast type X to Y` (42846) when pg_cast has no cast usable in `mode`. The target's
 * modifier is applied at the end: explicit casts truncate over-long varchar/char values,
 * assignment casts fail on them (22001) unless the excess is spaces; numeric(p,s) rounds and may
 * overflow (22003). Float → integer rounds half to even (rint); numeric → integer half away from
 * zero; text → other types goes through the target's input function.
 */
export function cast(value: Datum, from: SqlType, to: SqlType, ctx: TypeContext, mode: CastMode = 'explicit'): Datum {
  if (value === null) return null;
  const context = castContext(from, to);
  if (!castAllowed(context, mode)) throw cannotCast(from, to);
  const converted = convert(value, from, to, ctx, mode);
  return applyTypmod(to, converted, mode === 'explicit');
}

function convert(value: Datum, from: SqlType, to: SqlType, ctx: TypeContext, mode: CastMode): Datum {
  if (from.kind === 'unknown') return parseText(to, value as string, ctx);
  if (from.kind === 'array' && to.kind === 'array') {
    const fe = elemOf(from);
    const te = elemOf(to);
    return (value as readonly Datum[]).map((x) => cast(x, fe, te, ctx, mode));
  }
  if (from.kind !== 'array' && to.kind !== 'array') {
    if (from.kind === to.kind || PG_CAST[from.kind]?.[to.kind] !== undefined) {
      return convertScalar(value, from.kind, to.kind, ctx);
    }
  }
  // I/O conversion casts. A string target takes the text form (length rules applied later),
  // except bool, whose casts to text spell it out (booltext: 'true' / 'false').
  if (isStringKind(to.kind)) return from.kind === 'bool' ? String(value) : formatText(from, value, ctx);
  const text = from.kind === 'bpchar' ? (value as string) : formatText(from, value, ctx);
  return parseText(baseType(to), text, ctx);
}
