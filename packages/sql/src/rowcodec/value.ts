import { ThinkLiteError } from '@thinklite/base';
import type { Datum } from '../types/datum.js';
import type { Interval } from '../types/interval.js';
import { formatJsonb, type JsonbValue, parseJsonb } from '../types/jsonb.js';
import { Numeric } from '../types/numeric.js';
import type { SqlType } from '../types/type.js';

/**
 * The value side of a row or index entry: the columns not in the key, each as
 *   <column id delta: varint> <tag: u8> <payload>
 * in increasing column-id order; a NULL column is simply absent. The tag names the payload's
 * representation, not the SQL type — decoding takes the column's type from the descriptor — so
 * a column whose type changes compatibly (varchar(10) → text) needs no rewrite.
 */

const TAG_FALSE = 1;
const TAG_TRUE = 2;
const TAG_INT = 3; // zigzag varint
const TAG_FLOAT = 4; // IEEE 754 binary64, big-endian
const TAG_BYTES = 5; // varint length + bytes (text as UTF-8, bytea, uuid as 16 bytes)
const TAG_NUMERIC = 6; // its text, scale included
const TAG_NEG_INFINITY = 7; // a date's -infinity
const TAG_POS_INFINITY = 8; // a date's +infinity
const TAG_INTERVAL = 9; // months, days: zigzag varints; micros: zigzag varint
const TAG_JSONB = 10; // its canonical text
const TAG_ARRAY = 11; // varint count, then per element a tag (0: NULL) and payload
const TAG_NULL_ELEMENT = 0;

/** Integers below this magnitude are zigzag-encoded without bigint arithmetic. */
const SMALL_LIMIT = 2 ** 51;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

class Writer {
  private buf = Buffer.allocUnsafe(64);
  private n = 0;

  private ensure(extra: number): void {
    if (this.n + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + extra));
    this.buf.copy(next, 0, 0, this.n);
    this.buf = next;
  }

  u8(b: number): void {
    this.ensure(1);
    this.buf[this.n++] = b;
  }

  uvarint(v: bigint | number): void {
    let x = BigInt(v);
    while (x >= 0x80n) {
      this.u8(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.u8(Number(x));
  }

  /** Small non-negative integers without bigint arithmetic. */
  uvarintSmall(v: number): void {
    let x = v;
    while (x >= 0x80) {
      this.u8((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    this.u8(x);
  }

  zigzag(v: bigint | number): void {
    if (typeof v === 'number' && Number.isInteger(v) && v < SMALL_LIMIT && v > -SMALL_LIMIT) {
      // |v| < 2^51: the zigzag form (< 2^52) is exact in a double.
      this.uvarintSmall(v >= 0 ? v * 2 : -v * 2 - 1);
      return;
    }
    const x = BigInt(v);
    this.uvarint(x >= 0n ? x << 1n : (-x << 1n) - 1n);
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.n);
    this.n += 8;
  }

  bytes(b: Uint8Array): void {
    this.uvarintSmall(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.n));
  }
}

class Reader {
  i = 0;
  constructor(readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.i >= this.buf.length;
  }

  fail(what: string): never {
    throw new ThinkLiteError('ENCODING_INVALID', `row value: ${what} at byte ${this.i}`);
  }

  u8(): number {
    if (this.i >= this.buf.length) this.fail('truncated');
    return this.buf[this.i++] as number;
  }

  uvarint(): bigint {
    let x = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      x |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return x;
      shift += 7n;
      if (shift > 140n) this.fail('varint too long');
    }
  }

  uvarintSmall(): number {
    let x = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      x += (b & 0x7f) * mul;
      if (b < 0x80) return x;
      mul *= 128;
      if (mul > 2 ** 53) this.fail('length too long');
    }
  }

  zigzag(): bigint {
    const u = this.uvarint();
    return u & 1n ? -((u + 1n) >> 1n) : u >> 1n;
  }

  /**
   * A zigzag varint as a number when it fits 52 bits (exact in a double), else undefined with
   * the position unchanged, for the bigint path to read it.
   */
  zigzagSmall(): number | undefined {
    const buf = this.buf;
    let i = this.i;
    let x = 0;
    let mul = 1;
    for (;;) {
      if (i >= buf.length) return undefined; // truncated: the bigint path reports it
      const b = buf[i++] as number;
      x += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
      if (mul > 2 ** 45) return undefined; // an eighth byte: possibly beyond 2^52
    }
    this.i = i;
    // x < 2^52 here (at most 7 bytes of 7 bits, plus the multiplications above).
    return x % 2 === 1 ? -(x + 1) / 2 : x / 2;
  }

  /** Skips a varint of any length. */
  skipVarint(): void {
    let n = 0;
    while (this.u8() >= 0x80) {
      if (++n > 20) this.fail('varint too long');
    }
  }

  f64(): number {
    if (this.i + 8 > this.buf.length) this.fail('truncated float');
    const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.i, 8).readDoubleBE(0);
    this.i += 8;
    return v;
  }

  bytes(): Uint8Array {
    const n = this.uvarintSmall();
    if (this.i + n > this.buf.length) this.fail('truncated bytes');
    const out = this.buf.subarray(this.i, this.i + n);
    this.i += n;
    return out;
  }
}

function uuidBytes(s: string): Uint8Array {
  return Buffer.from(s.replaceAll('-', ''), 'hex');
}

function uuidText(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function writeDatum(w: Writer, type: SqlType, v: Exclude<Datum, null>): void {
  switch (type.kind) {
    case 'bool':
      w.u8(v ? TAG_TRUE : TAG_FALSE);
      return;
    case 'int2':
    case 'int4':
    case 'int8':
    case 'timestamp':
    case 'timestamptz':
      w.u8(TAG_INT);
      w.zigzag(v as number | bigint);
      return;
    case 'date': {
      const d = v as number;
      if (d === Number.POSITIVE_INFINITY) w.u8(TAG_POS_INFINITY);
      else if (d === Number.NEGATIVE_INFINITY) w.u8(TAG_NEG_INFINITY);
      else {
        w.u8(TAG_INT);
        w.zigzag(d);
      }
      return;
    }
    case 'float4':
    case 'float8':
      w.u8(TAG_FLOAT);
      w.f64(v as number);
      return;
    case 'numeric':
      w.u8(TAG_NUMERIC);
      w.bytes(utf8.encode((v as Numeric).toString()));
      return;
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'json':
    case 'unknown':
      w.u8(TAG_BYTES);
      w.bytes(utf8.encode(v as string));
      return;
    case 'bytea':
      w.u8(TAG_BYTES);
      w.bytes(v as Uint8Array);
      return;
    case 'uuid':
      w.u8(TAG_BYTES);
      w.bytes(uuidBytes(v as string));
      return;
    case 'interval': {
      const iv = v as Interval;
      w.u8(TAG_INTERVAL);
      w.zigzag(iv.months);
      w.zigzag(iv.days);
      w.zigzag(iv.micros);
      return;
    }
    case 'jsonb':
      w.u8(TAG_JSONB);
      w.bytes(utf8.encode(formatJsonb(v as JsonbValue)));
      return;
    case 'array': {
      const elem = type.elem as SqlType;
      const items = v as readonly Datum[];
      w.u8(TAG_ARRAY);
      w.uvarintSmall(items.length);
      for (const x of items) {
        if (x === null) w.u8(TAG_NULL_ELEMENT);
        else writeDatum(w, elem, x);
      }
      return;
    }
  }
}

function wrongTag(r: Reader, type: SqlType, tag: number): never {
  return r.fail(`tag ${tag} for a ${type.kind} column`);
}

/** A zigzag varint as a number (int2, int4, date). */
function readIntNumber(r: Reader): number {
  const v = r.zigzagSmall();
  return v === undefined ? Number(r.zigzag()) : v;
}

/** A zigzag varint as a bigint (int8, timestamps). */
function readIntBig(r: Reader): bigint {
  const v = r.zigzagSmall();
  return v === undefined ? r.zigzag() : BigInt(v);
}

const CH_MINUS = 0x2d;
const CH_DOT = 0x2e;
const CH_0 = 0x30;
const CH_9 = 0x39;

/**
 * A numeric from its stored text (Numeric.toString's form). The common case — an optional '-',
 * digits, an optional '.' and digits, 15 digits at most — is read without a string or regexp;
 * anything else (NaN, ±Infinity, long values) goes through Numeric.parse.
 */
function readNumeric(r: Reader): Numeric {
  const len = r.uvarintSmall();
  const b = r.buf;
  const from = r.i;
  const to = from + len;
  if (to > b.length) r.fail('truncated bytes');
  r.i = to;
  let i = from;
  const neg = i < to && b[i] === CH_MINUS;
  if (neg) i++;
  let m = 0;
  let digits = 0;
  let scale = -1;
  let ok = i < to && (b[i] as number) >= CH_0 && (b[i] as number) <= CH_9;
  for (; ok && i < to; i++) {
    const c = b[i] as number;
    if (c >= CH_0 && c <= CH_9) {
      m = m * 10 + (c - CH_0);
      digits++;
      if (scale >= 0) scale++;
    } else if (c === CH_DOT && scale < 0 && i + 1 < to) scale = 0;
    else ok = false;
  }
  if (!ok || digits > 15) return Numeric.parse(utf8d.decode(b.subarray(from, to)));
  return Numeric.of(BigInt(neg ? -m : m), scale < 0 ? 0 : scale);
}

function readDatum(r: Reader, type: SqlType, tag: number): Datum {
  switch (type.kind) {
    case 'bool':
      if (tag !== TAG_TRUE && tag !== TAG_FALSE) wrongTag(r, type, tag);
      return tag === TAG_TRUE;
    case 'int2':
    case 'int4':
      if (tag !== TAG_INT) wrongTag(r, type, tag);
      return readIntNumber(r);
    case 'int8':
    case 'timestamp':
    case 'timestamptz':
      if (tag !== TAG_INT) wrongTag(r, type, tag);
      return readIntBig(r);
    case 'date':
      if (tag === TAG_POS_INFINITY) return Number.POSITIVE_INFINITY;
      if (tag === TAG_NEG_INFINITY) return Number.NEGATIVE_INFINITY;
      if (tag !== TAG_INT) wrongTag(r, type, tag);
      return readIntNumber(r);
    case 'float4':
    case 'float8':
      if (tag !== TAG_FLOAT) wrongTag(r, type, tag);
      return r.f64();
    case 'numeric':
      if (tag !== TAG_NUMERIC) wrongTag(r, type, tag);
      return readNumeric(r);
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'json':
    case 'unknown':
      if (tag !== TAG_BYTES) wrongTag(r, type, tag);
      return utf8d.decode(r.bytes());
    case 'bytea':
      if (tag !== TAG_BYTES) wrongTag(r, type, tag);
      return new Uint8Array(r.bytes());
    case 'uuid':
      if (tag !== TAG_BYTES) wrongTag(r, type, tag);
      return uuidText(r.bytes());
    case 'interval':
      if (tag !== TAG_INTERVAL) wrongTag(r, type, tag);
      return { months: Number(r.zigzag()), days: Number(r.zigzag()), micros: r.zigzag() };
    case 'jsonb':
      if (tag !== TAG_JSONB) wrongTag(r, type, tag);
      return parseJsonb(utf8d.decode(r.bytes()));
    case 'array': {
      if (tag !== TAG_ARRAY) wrongTag(r, type, tag);
      const elem = type.elem as SqlType;
      const n = r.uvarintSmall();
      const out: Datum[] = [];
      for (let i = 0; i < n; i++) {
        const t = r.u8();
        out.push(t === TAG_NULL_ELEMENT ? null : readDatum(r, elem, t));
      }
      return out;
    }
  }
}

/** A column of a value encoding: its id (increasing) and type. */
export interface ValueColumn {
  readonly id: number;
  readonly type: SqlType;
}

/** Encodes `values[i]` as column `columns[i]`; columns must be in increasing id order. */
export function encodeValue(columns: readonly ValueColumn[], values: readonly Datum[]): Buffer {
  const w = new Writer();
  let last = 0;
  for (let i = 0; i < columns.length; i++) {
    const v = values[i] ?? null;
    if (v === null) continue;
    const c = columns[i] as ValueColumn;
    w.uvarintSmall(c.id - last);
    last = c.id;
    writeDatum(w, c.type, v);
  }
  return w.finish();
}

/**
 * Decodes into `out[i]` the value of `columns[i]` (NULL where absent). Columns the encoding holds
 * but `columns` does not name (dropped columns) are skipped.
 */
export function decodeValue(columns: readonly ValueColumn[], raw: Uint8Array, out: Datum[]): void {
  for (let i = 0; i < columns.length; i++) out[i] = null;
  const r = new Reader(raw);
  let id = 0;
  let ci = 0;
  while (!r.done) {
    id += r.uvarintSmall();
    const tag = r.u8();
    while (ci < columns.length && (columns[ci] as ValueColumn).id < id) ci++;
    const c = columns[ci];
    if (c && c.id === id) out[ci] = readDatum(r, c.type, tag);
    else skipDatum(r, tag);
  }
}

/**
 * Decodes into `row[positions[i]]` the value of `columns[i]`, for the columns present in the
 * encoding; the caller has set those positions to NULL. Other columns are skipped undecoded.
 */
export function decodeValueInto(
  columns: readonly ValueColumn[],
  positions: readonly number[],
  raw: Uint8Array,
  row: Datum[],
): void {
  const r = new Reader(raw);
  const buf = raw;
  const nc = columns.length;
  let id = 0;
  let ci = 0;
  while (r.i < buf.length && ci < nc) {
    const d = buf[r.i] as number;
    if (d < 0x80) {
      r.i++;
      id += d;
    } else id += r.uvarintSmall();
    const tag = r.u8();
    let c = columns[ci] as ValueColumn;
    while (c.id < id && ++ci < nc) c = columns[ci] as ValueColumn;
    if (c.id === id) row[positions[ci] as number] = readDatum(r, c.type, tag);
    else skipDatum(r, tag);
  }
}

/** Skips the payload of a column that is no longer in the table. */
function skipDatum(r: Reader, tag: number): void {
  switch (tag) {
    case TAG_FALSE:
    case TAG_TRUE:
    case TAG_NEG_INFINITY:
    case TAG_POS_INFINITY:
    case TAG_NULL_ELEMENT:
      return;
    case TAG_INT:
      r.skipVarint();
      return;
    case TAG_FLOAT:
      r.f64();
      return;
    case TAG_BYTES:
    case TAG_NUMERIC:
    case TAG_JSONB:
      r.bytes();
      return;
    case TAG_INTERVAL:
      r.skipVarint();
      r.skipVarint();
      r.skipVarint();
      return;
    case TAG_ARRAY: {
      const n = r.uvarintSmall();
      for (let i = 0; i < n; i++) skipDatum(r, r.u8());
      return;
    }
    default:
      r.fail(`unknown tag ${tag}`);
  }
}
