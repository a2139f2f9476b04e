import { assert, ThinkLiteError, unreachable } from '@thinklite/base';
import { ByteReader, ByteWriter } from './bytes.js';

/**
 * Order-preserving encoding of SQL values into keys: for two values a and b of one type,
 * a < b exactly when enc(a) < enc(b) bytewise, and decode(enc(x)) = x. Every encoding is
 * self-delimiting (no encoding is a prefix of another), so composite keys are concatenations and a
 * descending column is the bitwise inverse of its ascending encoding.
 *
 * Each value starts with a marker byte naming its family; NULL uses 0x00 or 0xff so it sorts first
 * or last in either direction. The layout is our own; the techniques (length-prefixed varints,
 * sign-flipped IEEE floats, escaped byte strings, base-100 decimal mantissas) follow CockroachDB's
 * pkg/util/encoding and are credited in docs/decisions/0003-key-encoding.md.
 */

export type KeyType =
  | 'bool'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'float4'
  | 'float8'
  | 'numeric'
  | 'text'
  | 'bytea'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'interval'
  | 'uuid';

export type Direction = 'asc' | 'desc';

/** An interval as PostgreSQL stores it: months, days and microseconds, kept apart. */
export interface Interval {
  readonly months: number;
  readonly days: number;
  readonly micros: bigint;
}

/**
 * JavaScript values per type: bool → boolean; int2/int4 → number; int8 → bigint; float4/float8 →
 * number; numeric → decimal string ('NaN', 'Infinity', '-Infinity' allowed); text → string;
 * bytea → Uint8Array; date → days since 1970-01-01 (PostgreSQL's ±infinity are ±2^31 bounds);
 * timestamp/timestamptz → bigint microseconds since 1970-01-01 UTC; interval → Interval;
 * uuid → lowercase hyphenated string.
 */
export type KeyValue = null | boolean | number | bigint | string | Uint8Array | Interval;

export interface KeyColumn {
  readonly type: KeyType;
  readonly direction?: Direction;
  /** Defaults to PostgreSQL's: NULLS LAST for ascending, NULLS FIRST for descending. */
  readonly nullsFirst?: boolean;
}

// Marker bytes. Gaps are left for types to come.
const NULL_LOW = 0x00;
const FALSE = 0x08;
const TRUE = 0x09;
const INT_ZERO = 0x20; // 0x10..0x1f negative by byte length, 0x20..0x30 non-negative
const INT_MAX_BYTES = 16;
const FLOAT = 0x38;
const FLOAT_NAN = 0x39;
const NUMERIC_NEG_INF = 0x40;
const NUMERIC_NEG = 0x41;
const NUMERIC_ZERO = 0x42;
const NUMERIC_POS = 0x43;
const NUMERIC_POS_INF = 0x44;
const NUMERIC_NAN = 0x45;
const TEXT = 0x50;
const BYTES = 0x51;
const DATE = 0x58;
const TIMESTAMP = 0x59;
const TIMESTAMPTZ = 0x5a;
const INTERVAL = 0x5b;
const UUID = 0x60;
const NULL_HIGH = 0xff;

const ESCAPE = 0x00;
const ESCAPED_00 = 0xff;
const TERMINATOR = 0x01;

const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;
const MICROS_PER_DAY = 86_400_000_000n;

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'object' && value !== null) {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return String(value);
}

function outOfRange(type: KeyType, value: unknown): never {
  throw new ThinkLiteError('VALUE_OUT_OF_RANGE', `${describe(value)} is out of range for type ${type}`, { type });
}

function invalid(type: KeyType, value: unknown, why: string): never {
  throw new ThinkLiteError('ENCODING_INVALID', `cannot encode ${describe(value)} as ${type}: ${why}`, { type });
}

// ---------------------------------------------------------------------------------------------
// Integers: a marker holding the sign and the byte length, then the magnitude big-endian. For
// negatives the magnitude is one's-complemented so that larger magnitudes sort lower.

function writeIntNumber(w: ByteWriter, v: number): void {
  if (v >= 0) {
    let n = 0;
    for (let x = v; x > 0; x = Math.floor(x / 256)) n++;
    w.u8(INT_ZERO + n);
    for (let i = n - 1; i >= 0; i--) w.u8(Math.floor(v / 256 ** i) % 256);
  } else {
    const m = -v - 1;
    let n = 1;
    for (let x = Math.floor(m / 256); x > 0; x = Math.floor(x / 256)) n++;
    w.u8(INT_ZERO - n);
    for (let i = n - 1; i >= 0; i--) w.u8(255 - (Math.floor(m / 256 ** i) % 256));
  }
}

function writeIntBig(w: ByteWriter, v: bigint): void {
  const negative = v < 0n;
  const m = negative ? -v - 1n : v;
  const bytes: number[] = [];
  for (let x = m; x > 0n; x >>= 8n) bytes.push(Number(x & 0xffn));
  if (negative && bytes.length === 0) bytes.push(0);
  assert(bytes.length <= INT_MAX_BYTES, 'integer magnitude beyond 16 bytes');
  w.u8(negative ? INT_ZERO - bytes.length : INT_ZERO + bytes.length);
  for (let i = bytes.length - 1; i >= 0; i--) w.u8(negative ? 255 - (bytes[i] as number) : (bytes[i] as number));
}

/** Writes a signed integer (number within ±2^53, or any bigint within ±2^127). */
export function writeInt(w: ByteWriter, v: number | bigint): void {
  if (typeof v === 'number') {
    assert(Number.isSafeInteger(v), `writeInt of non-integer ${v}`);
    writeIntNumber(w, v);
  } else if (v >= -(2n ** 53n) && v <= 2n ** 53n) {
    writeIntNumber(w, Number(v));
  } else {
    writeIntBig(w, v);
  }
}

/** Reads an integer written by writeInt, as a bigint. */
export function readIntBig(r: ByteReader): bigint {
  const marker = r.u8();
  if (marker < INT_ZERO - INT_MAX_BYTES || marker > INT_ZERO + INT_MAX_BYTES)
    r.fail(`not an integer marker 0x${marker.toString(16)}`);
  const negative = marker < INT_ZERO;
  const n = negative ? INT_ZERO - marker : marker - INT_ZERO;
  let m = 0n;
  for (let i = 0; i < n; i++) {
    const b = r.u8();
    m = (m << 8n) | BigInt(negative ? 255 - b : b);
  }
  return negative ? -m - 1n : m;
}

/** Reads an integer written by writeInt that must fit a JavaScript number exactly. */
export function readIntNumber(r: ByteReader): number {
  const marker = r.peek();
  const n = marker < INT_ZERO ? INT_ZERO - marker : marker - INT_ZERO;
  if (n <= 6) {
    // Fast path: up to 48 bits, exact in a double.
    r.u8();
    const negative = marker < INT_ZERO;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const b = r.u8();
      m = m * 256 + (negative ? 255 - b : b);
    }
    return negative ? -m - 1 : m;
  }
  const big = readIntBig(r);
  if (big < -(2n ** 53n) || big > 2n ** 53n) r.fail(`integer ${big} does not fit a number`);
  return Number(big);
}

// ---------------------------------------------------------------------------------------------
// Escaped byte strings: 0x00 becomes 0x00 0xff and the string ends with 0x00 0x01, so a string
// that is a prefix of another sorts first and no encoding is a prefix of another.

export function writeEscaped(w: ByteWriter, b: Uint8Array): void {
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0) {
      w.bytes(b.subarray(start, i));
      w.u8(ESCAPE);
      w.u8(ESCAPED_00);
      start = i + 1;
    }
  }
  w.bytes(b.subarray(start));
  w.u8(ESCAPE);
  w.u8(TERMINATOR);
}

export function readEscaped(r: ByteReader): Buffer {
  const out = new ByteWriter(32);
  for (;;) {
    const b = r.u8();
    if (b !== ESCAPE) {
      out.u8(b);
      continue;
    }
    const next = r.u8();
    if (next === TERMINATOR) return out.finish();
    if (next !== ESCAPED_00) r.fail(`bad escape 0x00 0x${next.toString(16)}`);
    out.u8(0);
  }
}

// ---------------------------------------------------------------------------------------------
// Decimals. A finite non-zero value is 0.d1d2d3… × 10^E with d1 ≠ 0 and no trailing zeros; it is
// written as E (an integer) and then the digits in pairs, each pair as one byte 1..100, ending
// with 0x00. Negative values invert those bytes, so larger magnitudes sort lower.

interface Decimal {
  readonly negative: boolean;
  readonly digits: string; // significant digits, no leading or trailing zeros; '' for zero
  readonly exponent: number;
}

const DECIMAL_RE = /^([+-])?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;

function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL_RE.exec(text.trim());
  if (!m) return undefined;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? m[4] ?? '';
  const exp10 = m[5] === undefined ? 0 : Number(m[5]);
  if (!Number.isSafeInteger(exp10)) return undefined;
  const all = intPart + fracPart;
  const lead = all.search(/[1-9]/);
  if (lead < 0) return { negative: false, digits: '', exponent: 0 };
  let end = all.length;
  while (all[end - 1] === '0') end--;
  return {
    negative: m[1] === '-',
    digits: all.slice(lead, end),
    exponent: intPart.length - lead + exp10,
  };
}

function decimalToString(d: Decimal): string {
  if (d.digits === '') return '0';
  const sign = d.negative ? '-' : '';
  const { digits, exponent } = d;
  if (exponent <= 0) return `${sign}0.${'0'.repeat(-exponent)}${digits}`;
  if (exponent >= digits.length) return `${sign}${digits}${'0'.repeat(exponent - digits.length)}`;
  return `${sign}${digits.slice(0, exponent)}.${digits.slice(exponent)}`;
}

function writeNumeric(w: ByteWriter, value: string): void {
  switch (value) {
    case 'NaN':
      w.u8(NUMERIC_NAN);
      return;
    case 'Infinity':
      w.u8(NUMERIC_POS_INF);
      return;
    case '-Infinity':
      w.u8(NUMERIC_NEG_INF);
      return;
  }
  const d = parseDecimal(value);
  if (!d) invalid('numeric', value, 'not a decimal number');
  if (d.digits === '') {
    w.u8(NUMERIC_ZERO);
    return;
  }
  w.u8(d.negative ? NUMERIC_NEG : NUMERIC_POS);
  const from = w.length;
  writeInt(w, d.exponent);
  for (let i = 0; i < d.digits.length; i += 2) {
    const hi = d.digits.charCodeAt(i) - 48;
    const lo = i + 1 < d.digits.length ? d.digits.charCodeAt(i + 1) - 48 : 0;
    w.u8(hi * 10 + lo + 1);
  }
  w.u8(0);
  if (d.negative) w.invertFrom(from);
}

function readNumeric(r: ByteReader): string {
  const marker = r.u8();
  switch (marker) {
    case NUMERIC_NAN:
      return 'NaN';
    case NUMERIC_POS_INF:
      return 'Infinity';
    case NUMERIC_NEG_INF:
      return '-Infinity';
    case NUMERIC_ZERO:
      return '0';
    case NUMERIC_POS:
    case NUMERIC_NEG:
      break;
    default:
      r.fail(`not a numeric marker 0x${marker.toString(16)}`);
  }
  const negative = marker === NUMERIC_NEG;
  const outerMask = r.mask;
  if (negative) r.mask ^= 0xff;
  const exponent = readIntNumber(r);
  let digits = '';
  for (;;) {
    const b = r.u8();
    if (b === 0) break;
    if (b > 100) r.fail(`bad decimal digit pair ${b}`);
    const pair = b - 1;
    digits += String(Math.floor(pair / 10)) + String(pair % 10);
  }
  r.mask = outerMask;
  if (digits.endsWith('0')) digits = digits.slice(0, -1);
  return decimalToString({ negative, digits, exponent });
}

// ---------------------------------------------------------------------------------------------

function writeFloat(w: ByteWriter, v: number): void {
  if (Number.isNaN(v)) {
    // PostgreSQL sorts NaN above every other float, +Infinity included.
    w.u8(FLOAT_NAN);
    return;
  }
  w.u8(FLOAT);
  const from = w.length;
  // -0 and +0 are equal in SQL, so they share one key (a unique index holds only one of them).
  w.f64(v === 0 ? 0 : v);
  if (v < 0) w.invertFrom(from);
  else w.xorAt(from, 0x80);
}

function readFloat(r: ByteReader): number {
  const marker = r.u8();
  if (marker === FLOAT_NAN) return Number.NaN;
  if (marker !== FLOAT) r.fail(`not a float marker 0x${marker.toString(16)}`);
  const b = r.take(8);
  if (((b[0] as number) & 0x80) !== 0) b[0] = (b[0] as number) ^ 0x80;
  else for (let i = 0; i < 8; i++) b[i] = (b[i] as number) ^ 0xff;
  return b.readDoubleBE(0);
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

function intervalSortKey(v: Interval): bigint {
  // PostgreSQL compares intervals as if a month were 30 days and a day 24 hours.
  return BigInt(v.months) * 30n * MICROS_PER_DAY + BigInt(v.days) * MICROS_PER_DAY + v.micros;
}

function expectType(type: KeyType, ok: boolean, value: unknown): void {
  if (!ok) invalid(type, value, `expected a ${jsTypeOf(type)}`);
}

function jsTypeOf(type: KeyType): string {
  switch (type) {
    case 'bool':
      return 'boolean';
    case 'int8':
    case 'timestamp':
    case 'timestamptz':
      return 'bigint';
    case 'int2':
    case 'int4':
    case 'float4':
    case 'float8':
    case 'date':
      return 'number';
    case 'numeric':
    case 'text':
    case 'uuid':
      return 'string';
    case 'bytea':
      return 'Uint8Array';
    case 'interval':
      return '{months, days, micros}';
    default:
      return unreachable(type);
  }
}

function checkIntRange(type: KeyType, v: number, bits: number): void {
  const lim = 2 ** (bits - 1);
  if (!Number.isInteger(v)) invalid(type, v, 'not an integer');
  if (v < -lim || v >= lim) outOfRange(type, v);
}

/** Writes one ascending, non-null value. */
function writeAscending(w: ByteWriter, type: KeyType, value: Exclude<KeyValue, null>): void {
  switch (type) {
    case 'bool':
      expectType(type, typeof value === 'boolean', value);
      w.u8(value ? TRUE : FALSE);
      return;
    case 'int2':
    case 'int4':
      expectType(type, typeof value === 'number', value);
      checkIntRange(type, value as number, type === 'int2' ? 16 : 32);
      writeInt(w, value as number);
      return;
    case 'int8':
      expectType(type, typeof value === 'bigint', value);
      if ((value as bigint) < INT8_MIN || (value as bigint) > INT8_MAX) outOfRange(type, value);
      writeInt(w, value as bigint);
      return;
    case 'float4':
    case 'float8':
      expectType(type, typeof value === 'number', value);
      writeFloat(w, value as number);
      return;
    case 'numeric':
      expectType(type, typeof value === 'string', value);
      writeNumeric(w, value as string);
      return;
    case 'text': {
      expectType(type, typeof value === 'string', value);
      if (!(value as string).isWellFormed()) invalid(type, JSON.stringify(value), 'lone UTF-16 surrogate');
      w.u8(TEXT);
      writeEscaped(w, textEncoder.encode(value as string));
      return;
    }
    case 'bytea':
      expectType(type, value instanceof Uint8Array, value);
      w.u8(BYTES);
      writeEscaped(w, value as Uint8Array);
      return;
    case 'date':
      expectType(type, typeof value === 'number', value);
      checkIntRange(type, value as number, 32);
      w.u8(DATE);
      writeInt(w, value as number);
      return;
    case 'timestamp':
    case 'timestamptz':
      expectType(type, typeof value === 'bigint', value);
      if ((value as bigint) < INT8_MIN || (value as bigint) > INT8_MAX) outOfRange(type, value);
      w.u8(type === 'timestamp' ? TIMESTAMP : TIMESTAMPTZ);
      writeInt(w, value as bigint);
      return;
    case 'interval': {
      const v = value as Interval;
      expectType(type, typeof v === 'object' && !(v instanceof Uint8Array) && typeof v.micros === 'bigint', value);
      checkIntRange(type, v.months, 32);
      checkIntRange(type, v.days, 32);
      if (v.micros < INT8_MIN || v.micros > INT8_MAX) outOfRange(type, v.micros);
      w.u8(INTERVAL);
      // The comparison key first, then months and days to tell apart equal-comparing intervals
      // ('1 mon' and '30 days') and to decode them exactly.
      writeInt(w, intervalSortKey(v));
      writeInt(w, v.months);
      writeInt(w, v.days);
      return;
    }
    case 'uuid': {
      expectType(type, typeof value === 'string', value);
      if (!UUID_RE.test(value as string)) invalid(type, value, 'not a UUID');
      w.u8(UUID);
      w.bytes(Buffer.from((value as string).replaceAll('-', ''), 'hex'));
      return;
    }
    default:
      unreachable(type);
  }
}

// A module-level function, not a closure made per read: readAscending runs for every key column
// of every row a scan decodes.
function expectMarker(r: ByteReader, type: KeyType, m: number): void {
  const got = r.u8();
  if (got !== m) r.fail(`expected marker 0x${m.toString(16)} for ${type}, found 0x${got.toString(16)}`);
}

function readAscending(r: ByteReader, type: KeyType): Exclude<KeyValue, null> {
  switch (type) {
    case 'bool': {
      const m = r.u8();
      if (m !== TRUE && m !== FALSE) r.fail(`not a bool marker 0x${m.toString(16)}`);
      return m === TRUE;
    }
    case 'int2':
    case 'int4':
      return readIntNumber(r);
    case 'int8':
      return readIntBig(r);
    case 'float4':
      return Math.fround(readFloat(r));
    case 'float8':
      return readFloat(r);
    case 'numeric':
      return readNumeric(r);
    case 'text':
      expectMarker(r, type, TEXT);
      try {
        return textDecoder.decode(readEscaped(r));
      } catch (e) {
        if (e instanceof ThinkLiteError) throw e;
        return r.fail('text is not valid UTF-8');
      }
    case 'bytea':
      expectMarker(r, type, BYTES);
      return new Uint8Array(readEscaped(r));
    case 'date':
      expectMarker(r, type, DATE);
      return readIntNumber(r);
    case 'timestamp':
      expectMarker(r, type, TIMESTAMP);
      return readIntBig(r);
    case 'timestamptz':
      expectMarker(r, type, TIMESTAMPTZ);
      return readIntBig(r);
    case 'interval': {
      expectMarker(r, type, INTERVAL);
      const total = readIntBig(r);
      const months = readIntNumber(r);
      const days = readIntNumber(r);
      const micros = total - BigInt(months) * 30n * MICROS_PER_DAY - BigInt(days) * MICROS_PER_DAY;
      return { months, days, micros };
    }
    case 'uuid':
      expectMarker(r, type, UUID);
      return formatUuid(r.take(16));
    default:
      return unreachable(type);
  }
}

/** Appends one key column's encoding of `value` to `w`. */
export function encodeKeyValue(w: ByteWriter, column: KeyColumn, value: KeyValue): void {
  const desc = column.direction === 'desc';
  if (value === null) {
    const nullsFirst = column.nullsFirst ?? desc;
    // Written before inversion: a descending NULLS FIRST column stores NULL_HIGH, inverted to 0x00.
    const asc = nullsFirst !== desc ? NULL_LOW : NULL_HIGH;
    w.u8(desc ? asc ^ 0xff : asc);
    return;
  }
  const from = w.length;
  writeAscending(w, column.type, value);
  if (desc) w.invertFrom(from);
}

/** Reads one key column written by encodeKeyValue. */
export function decodeKeyValue(r: ByteReader, column: KeyColumn): KeyValue {
  // {0x00, 0xff} is closed under inversion, so NULL is recognized whatever the direction.
  const first = r.peek();
  if (first === NULL_LOW || first === NULL_HIGH) {
    r.u8();
    return null;
  }
  const outerMask = r.mask;
  if (column.direction === 'desc') r.mask ^= 0xff;
  try {
    return readAscending(r, column.type);
  } finally {
    r.mask = outerMask;
  }
}

/** The key of a composite value: the columns' encodings concatenated. */
export function encodeKey(columns: readonly KeyColumn[], values: readonly KeyValue[]): Buffer {
  assert(columns.length === values.length, `encodeKey: ${columns.length} columns, ${values.length} values`);
  const w = new ByteWriter(16 * columns.length + 8);
  for (let i = 0; i < columns.length; i++) encodeKeyValue(w, columns[i] as KeyColumn, values[i] as KeyValue);
  return w.finish();
}

/** Decodes a composite key; with `allowTrailing` the bytes may continue past the last column. */
export function decodeKey(columns: readonly KeyColumn[], key: Uint8Array, allowTrailing = false): KeyValue[] {
  const r = new ByteReader(key);
  const out: KeyValue[] = [];
  for (const c of columns) out.push(decodeKeyValue(r, c));
  if (!allowTrailing && r.remaining !== 0) r.fail(`${r.remaining} trailing bytes after ${columns.length} columns`);
  return out;
}

/** Normalizes a decimal string the way its key decodes: '1.50' → '1.5', '1e2' → '100'. */
export function canonicalNumeric(value: string): string {
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return value;
  const d = parseDecimal(value);
  if (!d) invalid('numeric', value, 'not a decimal number');
  return decimalToString(d);
}
