import {
  type Datum,
  formatJsonb,
  type Interval,
  type JsonbValue,
  Numeric,
  parseJsonb,
  parseUuid,
  type SqlType,
  Types,
  typeOid,
} from '@thinklite/sql';
import { ProtocolError, SqlState } from './protocol-error.js';

/**
 * PostgreSQL's binary send/receive formats (each type's typsend/typreceive function), written
 * from the PostgreSQL documentation's description of the formats: big-endian integers and
 * IEEE floats, dates as Int32 days and timestamps as Int64 microseconds since 2000-01-01 (the
 * same epoch ThinkLite's Datums use), numeric in base-10000 digits, jsonb as a version byte
 * then text, and arrays with a dimension header.
 */

const DATE_POS_INFINITY = 0x7fffffff;
const DATE_NEG_INFINITY = -0x80000000;

// numeric's sign words (PostgreSQL's NUMERIC_POS/NEG/NAN/PINF/NINF).
const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;
const NBASE = 10000n;

/** Whether values of this type can be sent and received in binary. */
export function binarySupported(type: SqlType): boolean {
  if (type.kind === 'array') return type.elem !== undefined && type.elem.kind !== 'array' && binarySupported(type.elem);
  return true;
}

/** pg_type.typlen for RowDescription: the fixed size in bytes, or -1 for variable-length types. */
export function typeSize(type: SqlType): number {
  switch (type.kind) {
    case 'bool':
      return 1;
    case 'int2':
      return 2;
    case 'int4':
    case 'float4':
    case 'date':
      return 4;
    case 'int8':
    case 'float8':
    case 'timestamp':
    case 'timestamptz':
      return 8;
    case 'interval':
    case 'uuid':
      return 16;
    default:
      return -1;
  }
}

function badBinary(type: SqlType, why: string): ProtocolError {
  return new ProtocolError(
    SqlState.INVALID_BINARY_REPRESENTATION,
    `incorrect binary data format in bind parameter (${type.kind}: ${why})`,
  );
}

function numericToBinary(n: Numeric): Buffer {
  const header = (ndigits: number, weight: number, sign: number, dscale: number) => {
    const b = Buffer.allocUnsafe(8 + ndigits * 2);
    b.writeInt16BE(ndigits, 0);
    b.writeInt16BE(weight, 2);
    b.writeUInt16BE(sign, 4);
    b.writeInt16BE(dscale, 6);
    return b;
  };
  if (n.kind === 'nan') return header(0, 0, NUMERIC_NAN, 0);
  if (n.kind === 'pinf') return header(0, 0, NUMERIC_PINF, 0);
  if (n.kind === 'ninf') return header(0, 0, NUMERIC_NINF, 0);
  const sign = n.coef < 0n ? NUMERIC_NEG : NUMERIC_POS;
  const digits = (n.coef < 0n ? -n.coef : n.coef).toString();
  // Split into integer and fraction digits, then pad each side to whole base-10000 digits:
  // the integer part on the left, the fraction on the right.
  const intPart = n.scale >= digits.length ? '' : digits.slice(0, digits.length - n.scale);
  const fracPart = n.scale === 0 ? '' : digits.slice(-n.scale).padStart(n.scale, '0');
  const intPadded = intPart.padStart(Math.ceil(intPart.length / 4) * 4, '0');
  const fracPadded = fracPart.padEnd(Math.ceil(fracPart.length / 4) * 4, '0');
  const groups: number[] = [];
  const all = intPadded + fracPadded;
  for (let i = 0; i < all.length; i += 4) groups.push(Number(all.slice(i, i + 4)));
  let weight = intPadded.length / 4 - 1;
  // Strip leading and trailing zero digits (zero itself has no digits at all).
  let start = 0;
  while (start < groups.length && groups[start] === 0) {
    start++;
    weight--;
  }
  let end = groups.length;
  while (end > start && groups[end - 1] === 0) end--;
  const kept = groups.slice(start, end);
  if (kept.length === 0) weight = 0;
  const b = header(kept.length, weight, kept.length === 0 ? NUMERIC_POS : sign, n.scale);
  for (const [i, d] of kept.entries()) b.writeInt16BE(d, 8 + i * 2);
  return b;
}

function numericFromBinary(b: Buffer, type: SqlType): Numeric {
  if (b.length < 8) throw badBinary(type, 'too short');
  const ndigits = b.readInt16BE(0);
  const weight = b.readInt16BE(2);
  const sign = b.readUInt16BE(4);
  const dscale = b.readInt16BE(6);
  if (ndigits < 0 || b.length !== 8 + ndigits * 2 || dscale < 0) throw badBinary(type, 'invalid length');
  if (sign === NUMERIC_NAN) return Numeric.NaN;
  if (sign === NUMERIC_PINF) return Numeric.POSITIVE_INFINITY;
  if (sign === NUMERIC_NINF) return Numeric.NEGATIVE_INFINITY;
  if (sign !== NUMERIC_POS && sign !== NUMERIC_NEG) throw badBinary(type, 'invalid sign');
  let coef = 0n;
  for (let i = 0; i < ndigits; i++) {
    const d = b.readInt16BE(8 + i * 2);
    if (d < 0 || d >= 10000) throw badBinary(type, 'invalid digit');
    coef = coef * NBASE + BigInt(d);
  }
  if (sign === NUMERIC_NEG) coef = -coef;
  // The last digit has weight (weight - ndigits + 1) in base 10000, i.e. ×10^(4·that).
  const exp10 = 4 * (weight - ndigits + 1);
  const value = exp10 >= 0 ? Numeric.of(coef * 10n ** BigInt(exp10), 0) : Numeric.of(coef, -exp10);
  return value.withScale(dscale);
}

function uuidToBinary(s: string): Buffer {
  return Buffer.from(s.replaceAll('-', ''), 'hex');
}

function uuidFromBinary(b: Buffer, type: SqlType): string {
  if (b.length !== 16) throw badBinary(type, 'a uuid is 16 bytes');
  const h = b.toString('hex');
  return parseUuid(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
}

/** A value in its binary send format. */
export function encodeBinary(type: SqlType, d: Exclude<Datum, null>): Buffer {
  switch (type.kind) {
    case 'bool':
      return Buffer.from([d ? 1 : 0]);
    case 'int2': {
      const b = Buffer.allocUnsafe(2);
      b.writeInt16BE(d as number);
      return b;
    }
    case 'int4': {
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE(d as number);
      return b;
    }
    case 'int8':
    case 'timestamp':
    case 'timestamptz': {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(d as bigint);
      return b;
    }
    case 'float4': {
      const b = Buffer.allocUnsafe(4);
      b.writeFloatBE(d as number);
      return b;
    }
    case 'float8': {
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleBE(d as number);
      return b;
    }
    case 'date': {
      const days = d as number;
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE(
        days === Number.POSITIVE_INFINITY
          ? DATE_POS_INFINITY
          : days === Number.NEGATIVE_INFINITY
            ? DATE_NEG_INFINITY
            : days,
      );
      return b;
    }
    case 'interval': {
      const iv = d as Interval;
      const b = Buffer.allocUnsafe(16);
      b.writeBigInt64BE(iv.micros, 0);
      b.writeInt32BE(iv.days, 8);
      b.writeInt32BE(iv.months, 12);
      return b;
    }
    case 'numeric':
      return numericToBinary(d as Numeric);
    case 'bytea':
      return Buffer.from((d as Uint8Array).buffer, (d as Uint8Array).byteOffset, (d as Uint8Array).byteLength);
    case 'uuid':
      return uuidToBinary(d as string);
    case 'jsonb':
      return Buffer.concat([Buffer.from([1]), Buffer.from(formatJsonb(d as JsonbValue), 'utf8')]);
    case 'json':
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'unknown':
      return Buffer.from(d as string, 'utf8');
    case 'array':
      return arrayToBinary(type, d as readonly Datum[]);
  }
}

/**
 * The array format: Int32 dimensions, Int32 has-nulls flag, Int32 element type OID, then per
 * dimension Int32 size and Int32 lower bound, then each element as Int32 length (-1 for NULL) and
 * its bytes. ThinkLite's arrays are one-dimensional with lower bound 1; an empty array has 0 dimensions.
 */
function arrayToBinary(type: SqlType, values: readonly Datum[]): Buffer {
  const elem = type.elem ?? Types.text;
  const parts: Buffer[] = [];
  const header = Buffer.allocUnsafe(values.length === 0 ? 12 : 20);
  header.writeInt32BE(values.length === 0 ? 0 : 1, 0);
  header.writeInt32BE(values.some((v) => v === null) ? 1 : 0, 4);
  header.writeInt32BE(typeOid(elem), 8);
  if (values.length > 0) {
    header.writeInt32BE(values.length, 12);
    header.writeInt32BE(1, 16);
  }
  parts.push(header);
  for (const v of values) {
    const len = Buffer.allocUnsafe(4);
    if (v === null) {
      len.writeInt32BE(-1);
      parts.push(len);
    } else {
      const body = encodeBinary(elem, v);
      len.writeInt32BE(body.length);
      parts.push(len, body);
    }
  }
  return Buffer.concat(parts);
}

function arrayFromBinary(type: SqlType, b: Buffer): Datum {
  const elem = type.elem ?? Types.text;
  if (b.length < 12) throw badBinary(type, 'too short');
  const ndim = b.readInt32BE(0);
  if (ndim === 0) return [];
  if (ndim !== 1) {
    throw new ProtocolError(SqlState.FEATURE_NOT_SUPPORTED, 'multidimensional arrays are not supported');
  }
  if (b.length < 20) throw badBinary(type, 'too short');
  const n = b.readInt32BE(12);
  if (n < 0) throw badBinary(type, 'invalid array size');
  const out: Datum[] = [];
  let pos = 20;
  for (let i = 0; i < n; i++) {
    if (pos + 4 > b.length) throw badBinary(type, 'truncated array');
    const len = b.readInt32BE(pos);
    pos += 4;
    if (len === -1) {
      out.push(null);
      continue;
    }
    if (len < 0 || pos + len > b.length) throw badBinary(type, 'truncated array element');
    out.push(decodeBinary(elem, b.subarray(pos, pos + len)));
    pos += len;
  }
  if (pos !== b.length) throw badBinary(type, 'trailing bytes');
  return out;
}

function fixed(type: SqlType, b: Buffer, n: number): void {
  if (b.length !== n) throw badBinary(type, `expected ${n} bytes, got ${b.length}`);
}

/** A value from its binary receive format. */
export function decodeBinary(type: SqlType, b: Buffer): Datum {
  switch (type.kind) {
    case 'bool':
      fixed(type, b, 1);
      return b[0] !== 0;
    case 'int2':
      fixed(type, b, 2);
      return b.readInt16BE(0);
    case 'int4':
      fixed(type, b, 4);
      return b.readInt32BE(0);
    case 'int8':
    case 'timestamp':
    case 'timestamptz':
      fixed(type, b, 8);
      return b.readBigInt64BE(0);
    case 'float4':
      fixed(type, b, 4);
      return b.readFloatBE(0);
    case 'float8':
      fixed(type, b, 8);
      return b.readDoubleBE(0);
    case 'date': {
      fixed(type, b, 4);
      const v = b.readInt32BE(0);
      return v === DATE_POS_INFINITY
        ? Number.POSITIVE_INFINITY
        : v === DATE_NEG_INFINITY
          ? Number.NEGATIVE_INFINITY
          : v;
    }
    case 'interval':
      fixed(type, b, 16);
      return { micros: b.readBigInt64BE(0), days: b.readInt32BE(8), months: b.readInt32BE(12) };
    case 'numeric':
      return numericFromBinary(b, type);
    case 'bytea':
      return new Uint8Array(b);
    case 'uuid':
      return uuidFromBinary(b, type);
    case 'jsonb':
      if (b.length < 1 || b[0] !== 1) throw badBinary(type, 'unsupported jsonb version number');
      return parseJsonb(b.toString('utf8', 1));
    case 'json':
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'unknown':
      return b.toString('utf8');
    case 'array':
      return arrayFromBinary(type, b);
  }
}
