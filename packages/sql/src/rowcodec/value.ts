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
  private i = 0;
  constructor(private readonly buf: Uint8Array) {}

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

function readDatum(r: Reader, type: SqlType, tag: number): Datum {
  const expect = (t: number) => {
    if (tag !== t) r.fail(`tag ${tag} for a ${type.kind} column`);
  };
  switch (type.kind) {
    case 'bool':
      if (tag !== TAG_TRUE && tag !== TAG_FALSE) r.fail(`tag ${tag} for a bool column`);
      return tag === TAG_TRUE;
    case 'int2':
    case 'int4':
      expect(TAG_INT);
      return Number(r.zigzag());
    case 'int8':
    case 'timestamp':
    case 'timestamptz':
      expect(TAG_INT);
      return r.zigzag();
    case 'date':
      if (tag === TAG_POS_INFINITY) return Number.POSITIVE_INFINITY;
      if (tag === TAG_NEG_INFINITY) return Number.NEGATIVE_INFINITY;
      expect(TAG_INT);
      return Number(r.zigzag());
    case 'float4':
    case 'float8':
      expect(TAG_FLOAT);
      return r.f64();
    case 'numeric':
      expect(TAG_NUMERIC);
      return Numeric.parse(utf8d.decode(r.bytes()));
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'json':
    case 'unknown':
      expect(TAG_BYTES);
      return utf8d.decode(r.bytes());
    case 'bytea':
      expect(TAG_BYTES);
      return new Uint8Array(r.bytes());
    case 'uuid':
      expect(TAG_BYTES);
      return uuidText(r.bytes());
    case 'interval':
      expect(TAG_INTERVAL);
      return { months: Number(r.zigzag()), days: Number(r.zigzag()), micros: r.zigzag() };
    case 'jsonb':
      expect(TAG_JSONB);
      return parseJsonb(utf8d.decode(r.bytes()));
    case 'array': {
      expect(TAG_ARRAY);
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
      r.uvarint();
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
      r.uvarint();
      r.uvarint();
      r.uvarint();
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
