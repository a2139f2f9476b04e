import { ThinkLiteError } from '@thinklite/base';
import { cast } from '../types/cast.js';
import type { TypeContext } from '../types/datetime.js';
import type { Datum } from '../types/datum.js';
import { Numeric } from '../types/numeric.js';
import { parseText } from '../types/text-io.js';
import { type SqlType, Types, typeName } from '../types/type.js';

/**
 * A parameter value as a Datum of the type the statement gave the parameter. Text (what the wire
 * protocol's text format and most drivers send) goes through the type's input function; JavaScript
 * numbers, bigints, booleans, Dates, byte arrays and plain objects (jsonb) are converted directly.
 */
export function paramDatum(value: unknown, type: SqlType, ctx: TypeContext): Datum {
  if (value === null || value === undefined) return null;
  const target = type.kind === 'unknown' ? Types.text : type;
  if (typeof value === 'string') return parseText(target, value, ctx);
  if (typeof value === 'boolean') return target.kind === 'bool' ? value : parseText(target, String(value), ctx);
  if (typeof value === 'bigint') return cast(value, Types.int8, target, ctx, 'explicit');
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) <= 2147483647)
      return cast(value, Types.int4, target, ctx, 'explicit');
    if (Number.isInteger(value) && Number.isSafeInteger(value))
      return cast(BigInt(value), Types.int8, target, ctx, 'explicit');
    if (target.kind === 'numeric') return Numeric.fromFloat8(value);
    return cast(value, Types.float8, target, ctx, 'explicit');
  }
  if (value instanceof Date) return parseText(target, value.toISOString(), ctx);
  if (value instanceof Uint8Array) {
    if (target.kind !== 'bytea')
      throw new ThinkLiteError('DATATYPE_MISMATCH', `a byte array cannot be a ${typeName(target)} parameter`);
    return value;
  }
  if (value instanceof Numeric) return cast(value, Types.numeric, target, ctx, 'explicit');
  if (Array.isArray(value)) {
    if (target.kind !== 'array' || !target.elem) {
      throw new ThinkLiteError('DATATYPE_MISMATCH', `an array cannot be a ${typeName(target)} parameter`);
    }
    const elem = target.elem;
    return value.map((v) => paramDatum(v, elem, ctx));
  }
  if (typeof value === 'object' && (target.kind === 'jsonb' || target.kind === 'json')) {
    return parseText(target, JSON.stringify(value), ctx);
  }
  throw new ThinkLiteError('DATATYPE_MISMATCH', `cannot use a ${typeof value} as a ${typeName(target)} parameter`);
}
