/**
 * compare / equals / hashKey: PostgreSQL's default btree and hash semantics per type, for
 * non-null values of one type.
 *
 * - Floats and numeric: NaN equals NaN and sorts above everything, +Infinity included; -0 = 0.
 * - Strings compare by code point: ThinkLite has only the "C" collation. bpchar ignores trailing
 *   spaces.
 * - Intervals compare by their span (months as 30 days, days as 24 hours): '1 mon' = '30 days'.
 * - jsonb uses PostgreSQL's jsonb ordering (see compareJsonb); json has no ordering or equality
 *   (42883, as in PostgreSQL).
 * - Arrays compare element by element (NULL above any value), then by length.
 */
import type { Datum } from './datum.js';
import { sqlError } from './errors.js';
import { compareInterval, type Interval, intervalSpan } from './interval.js';
import { compareJsonb, type JsonbValue, jsonbHashKey } from './jsonb.js';
import type { Numeric } from './numeric.js';
import { bpcharTrim } from './scalar.js';
import { compareCodePoints } from './text-compare.js';
import { elemOf, type SqlType, typeName } from './type.js';

function cmpPrimitive<T extends number | bigint | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** float4/float8 order: NaN last (and equal to itself), -0 = 0. */
export function compareFloat(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return cmpPrimitive(a.length, b.length);
}

/** Total order of two non-null values of `type`: negative, zero or positive. */
export function compare(type: SqlType, a: Datum, b: Datum): number {
  switch (type.kind) {
    case 'bool':
      return a === b ? 0 : a ? 1 : -1;
    case 'int2':
    case 'int4':
    case 'int8':
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return cmpPrimitive(a as number | bigint, b as number | bigint);
    case 'float4':
    case 'float8':
      return compareFloat(a as number, b as number);
    case 'numeric':
      return (a as Numeric).compare(b as Numeric);
    case 'text':
    case 'varchar':
    case 'unknown':
    case 'uuid':
      return compareCodePoints(a as string, b as string);
    case 'bpchar':
      return compareCodePoints(bpcharTrim(a as string), bpcharTrim(b as string));
    case 'bytea':
      return compareBytes(a as Uint8Array, b as Uint8Array);
    case 'interval':
      return compareInterval(a as Interval, b as Interval);
    case 'jsonb':
      return compareJsonb(a as JsonbValue, b as JsonbValue);
    case 'json':
      throw sqlError('UNDEFINED_FUNCTION', `could not identify a comparison function for type json`);
    case 'array': {
      const elem = elemOf(type);
      const x = a as readonly Datum[];
      const y = b as readonly Datum[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const p = x[i] ?? null;
        const q = y[i] ?? null;
        if (p === null || q === null) {
          if (p === null && q === null) continue;
          return p === null ? 1 : -1;
        }
        const c = compare(elem, p, q);
        if (c !== 0) return c;
      }
      return cmpPrimitive(x.length, y.length);
    }
  }
  throw sqlError('UNDEFINED_FUNCTION', `could not identify a comparison function for type ${typeName(type)}`);
}

/** `=` for two non-null values of `type` (NaN = NaN, 1.0 = 1.00, 'a ' = 'a' for char(n)). */
export function equals(type: SqlType, a: Datum, b: Datum): boolean {
  if (type.kind === 'json') {
    throw sqlError('UNDEFINED_FUNCTION', 'could not identify an equality operator for type json');
  }
  return compare(type, a, b) === 0;
}

/**
 * A string equal for values that are `equals` (numeric scale, bpchar padding, -0, NaN and
 * interval spans normalised), for hash joins, GROUP BY and DISTINCT. The integer types share one
 * form and so do the float types, as PostgreSQL's integer_ops and float_ops hash families do, so
 * cross-type integer (or float) joins hash alike. NULL hashes as the empty string.
 */
export function hashKey(type: SqlType, d: Datum): string {
  if (d === null) return '';
  switch (type.kind) {
    case 'bool':
      return d ? 't' : 'f';
    case 'int2':
    case 'int4':
    case 'int8':
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return String(d);
    case 'float4':
    case 'float8': {
      const x = d as number;
      return x === 0 ? '0' : String(x);
    }
    case 'numeric':
      return (d as Numeric).canonicalKey();
    case 'text':
    case 'varchar':
    case 'unknown':
    case 'uuid':
      return d as string;
    case 'bpchar':
      return bpcharTrim(d as string);
    case 'bytea':
      return Buffer.from(d as Uint8Array).toString('hex');
    case 'interval':
      return String(intervalSpan(d as Interval));
    case 'jsonb':
      return jsonbHashKey(d as JsonbValue);
    case 'json':
      throw sqlError('UNDEFINED_FUNCTION', 'could not identify an equality operator for type json');
    case 'array': {
      const elem = elemOf(type);
      return JSON.stringify((d as readonly Datum[]).map((x) => (x === null ? null : hashKey(elem, x))));
    }
  }
}
