/**
 * parseText / formatText: PostgreSQL's type input and output functions, dispatched on the type.
 * Input applies the type's modifier as a column's input would (varchar(n): too long is an error
 * unless the excess is spaces; numeric(p,s): rounded, `numeric field overflow` if it does not fit;
 * timestamp(p)/interval(p): rounded).
 */
import { formatArray, parseArray } from './array.js';
import {
  formatDate,
  formatTimestamp,
  formatTimestamptz,
  parseDate,
  parseTimestamp,
  parseTimestamptz,
  roundTimestampPrecision,
  type TypeContext,
} from './datetime.js';
import type { Datum } from './datum.js';
import { sqlError } from './errors.js';
import { formatInterval, type Interval, parseInterval, roundIntervalPrecision } from './interval.js';
import { formatJsonb, type JsonbValue, parseJson, parseJsonb } from './jsonb.js';
import { Numeric } from './numeric.js';
import {
  bpcharTrim,
  charLength,
  charPrefix,
  checkText,
  formatBool,
  formatBytea,
  formatFloat4,
  formatFloat8,
  parseBool,
  parseBytea,
  parseFloatText,
  parseIntText,
  parseUuid,
} from './scalar.js';
import { elemOf, type SqlType, typeName } from './type.js';

/**
 * Fits a string to varchar(n) / char(n). `truncate` (explicit casts) silently cuts; otherwise a
 * string longer than n fails with `value too long for type character varying(n)` (22001) unless
 * the excess is all spaces. char(n) pads with spaces to n.
 */
export function applyStringLength(type: SqlType, s: string, truncate: boolean): string {
  if (type.kind === 'bpchar') {
    if (type.length === undefined) return s;
    const len = charLength(s);
    if (len > type.length) {
      const cut = charPrefix(s, type.length);
      if (!truncate && bpcharTrim(s.slice(cut.length)) !== '') {
        throw sqlError('STRING_DATA_RIGHT_TRUNCATION', `value too long for type character(${type.length})`);
      }
      return cut;
    }
    return s + ' '.repeat(type.length - len);
  }
  if (type.kind === 'varchar' && type.length !== undefined) {
    if (charLength(s) <= type.length) return s;
    const cut = charPrefix(s, type.length);
    if (!truncate && bpcharTrim(s.slice(cut.length)) !== '') {
      throw sqlError('STRING_DATA_RIGHT_TRUNCATION', `value too long for type character varying(${type.length})`);
    }
    return cut;
  }
  return s;
}

/** Applies a type's modifier to a value of that type (see {@link applyStringLength} for strings). */
export function applyTypmod(type: SqlType, d: Datum, truncate = false): Datum {
  if (d === null) return null;
  switch (type.kind) {
    case 'varchar':
    case 'bpchar':
      return applyStringLength(type, d as string, truncate);
    case 'numeric':
      return type.precision === undefined ? d : (d as Numeric).applyTypmod(type.precision, type.scale ?? 0);
    case 'timestamp':
    case 'timestamptz':
      return type.precision === undefined ? d : roundTimestampPrecision(d as bigint, type.precision);
    case 'interval':
      return type.precision === undefined ? d : roundIntervalPrecision(d as Interval, type.precision);
    case 'array': {
      const elem = elemOf(type);
      if (elem.length === undefined && elem.precision === undefined) return d;
      return (d as readonly Datum[]).map((x) => applyTypmod(elem, x, truncate));
    }
    default:
      return d;
  }
}

/** The type input function: text → Datum (never null: SQL NULL is not text). */
export function parseText(type: SqlType, text: string, ctx: TypeContext): Datum {
  switch (type.kind) {
    case 'bool':
      return parseBool(text);
    case 'int2':
    case 'int4':
    case 'int8':
      return parseIntText(type.kind, text);
    case 'float4':
    case 'float8':
      return parseFloatText(type.kind, text);
    case 'numeric':
      return applyTypmod(type, Numeric.parse(text));
    case 'text':
    case 'unknown':
      return checkText(text);
    case 'varchar':
    case 'bpchar':
      return applyStringLength(type, checkText(text), false);
    case 'bytea':
      return parseBytea(text);
    case 'date':
      return parseDate(text, ctx);
    case 'timestamp':
      return applyTypmod(type, parseTimestamp(text, ctx));
    case 'timestamptz':
      return applyTypmod(type, parseTimestamptz(text, ctx));
    case 'interval':
      return applyTypmod(type, parseInterval(text));
    case 'uuid':
      return parseUuid(text);
    case 'json':
      return parseJson(checkText(text));
    case 'jsonb':
      return parseJsonb(checkText(text));
    case 'array': {
      const elem = elemOf(type);
      return parseArray(text, (s) => parseText(elem, s, ctx));
    }
  }
}

/** The type output function: Datum → text. NULL has no text form: callers test for it first. */
export function formatText(type: SqlType, d: Datum, ctx: TypeContext): string {
  if (d === null) throw sqlError('INTERNAL_ERROR', 'formatText called with NULL');
  switch (type.kind) {
    case 'bool':
      return formatBool(d as boolean);
    case 'int2':
    case 'int4':
    case 'int8':
      return String(d);
    case 'float4':
      return formatFloat4(d as number);
    case 'float8':
      return formatFloat8(d as number);
    case 'numeric':
      return (d as Numeric).toString();
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'unknown':
    case 'uuid':
    case 'json':
      return d as string;
    case 'bytea':
      return formatBytea(d as Uint8Array);
    case 'date':
      return formatDate(d as number);
    case 'timestamp':
      return formatTimestamp(d as bigint);
    case 'timestamptz':
      return formatTimestamptz(d as bigint, ctx);
    case 'interval':
      return formatInterval(d as Interval);
    case 'jsonb':
      return formatJsonb(d as JsonbValue);
    case 'array': {
      const elem = elemOf(type);
      return formatArray(d as readonly Datum[], (x) => formatText(elem, x, ctx));
    }
  }
  throw sqlError('INTERNAL_ERROR', `no output function for type ${typeName(type)}`);
}
