import { ThinkLiteError } from '@thinklite/base';
import {
  ByteReader,
  decodeKeyValue,
  encodeKey,
  type KeyColumn,
  type KeyType,
  type KeyValue,
  readIntBig,
  readIntNumber,
} from '@thinklite/storage';
import type { Datum } from '../types/datum.js';
import type { Interval } from '../types/interval.js';
import { Numeric } from '../types/numeric.js';
import type { SqlType } from '../types/type.js';

/**
 * Index keys: the key columns of an index in the storage layer's order-preserving encoding
 * (decision 0003), so that key order is the SQL order of the values. Dates and timestamps are
 * shifted from PostgreSQL's epoch (2000-01-01, the engine's) to the encoding's (1970-01-01).
 * Types without a btree order here (json, jsonb, arrays) cannot be key columns.
 */

const DAYS_1970_TO_2000 = 10_957;
const MICROS_1970_TO_2000 = 946_684_800_000_000n;
const DATE_KEY_NEG_INFINITY = -(2 ** 31);
const DATE_KEY_POS_INFINITY = 2 ** 31 - 1;

export function keyTypeOf(type: SqlType): KeyType {
  switch (type.kind) {
    case 'bool':
    case 'int2':
    case 'int4':
    case 'int8':
    case 'float4':
    case 'float8':
    case 'numeric':
    case 'text':
    case 'bytea':
    case 'date':
    case 'timestamp':
    case 'timestamptz':
    case 'interval':
    case 'uuid':
      return type.kind;
    case 'varchar':
    case 'bpchar':
      return 'text';
    default:
      throw new ThinkLiteError(
        'FEATURE_NOT_SUPPORTED',
        `a column of type ${type.kind === 'array' ? `${type.elem?.kind}[]` : type.kind} cannot be part of an index key yet`,
      );
  }
}

export function toKeyValue(type: SqlType, v: Datum): KeyValue {
  if (v === null) return null;
  switch (type.kind) {
    case 'numeric':
      return (v as Numeric).toString();
    case 'bpchar':
      // char(n) compares without its trailing spaces.
      return (v as string).replace(/ +$/, '');
    case 'date': {
      const d = v as number;
      if (d === Number.NEGATIVE_INFINITY) return DATE_KEY_NEG_INFINITY;
      if (d === Number.POSITIVE_INFINITY) return DATE_KEY_POS_INFINITY;
      return d + DAYS_1970_TO_2000;
    }
    case 'timestamp':
    case 'timestamptz':
      return (v as bigint) + MICROS_1970_TO_2000;
    case 'interval':
      return v as Interval;
    default:
      return v as KeyValue;
  }
}

export function fromKeyValue(type: SqlType, v: KeyValue): Datum {
  if (v === null) return null;
  switch (type.kind) {
    case 'numeric':
      return Numeric.parse(v as string);
    case 'date': {
      const d = v as number;
      if (d === DATE_KEY_NEG_INFINITY) return Number.NEGATIVE_INFINITY;
      if (d === DATE_KEY_POS_INFINITY) return Number.POSITIVE_INFINITY;
      return d - DAYS_1970_TO_2000;
    }
    case 'timestamp':
    case 'timestamptz':
      return (v as bigint) - MICROS_1970_TO_2000;
    case 'bytea':
      return new Uint8Array(v as Uint8Array);
    case 'bpchar':
      // The key holds char(n) without its padding; the value is padded, as everywhere else.
      return type.length === undefined ? (v as string) : (v as string).padEnd(type.length, ' ');
    default:
      return v as Datum;
  }
}

/** One key column of an index: its type, direction and NULLS placement. */
export interface IndexKeyColumn {
  readonly type: SqlType;
  readonly direction: 'asc' | 'desc';
  readonly nullsFirst?: boolean;
}

function storageColumns(columns: readonly IndexKeyColumn[]): KeyColumn[] {
  return columns.map((c) =>
    c.nullsFirst === undefined
      ? { type: keyTypeOf(c.type), direction: c.direction }
      : { type: keyTypeOf(c.type), direction: c.direction, nullsFirst: c.nullsFirst },
  );
}

/** `prefix` followed by the encoded key values. */
export function encodeIndexKey(
  prefix: Uint8Array,
  columns: readonly IndexKeyColumn[],
  values: readonly Datum[],
): Buffer {
  const kv = columns.map((c, i) => toKeyValue(c.type, values[i] ?? null));
  return Buffer.concat([prefix, encodeKey(storageColumns(columns), kv)]);
}

/** The first byte of a NULL key column, whatever its direction. */
const NULL_LOW = 0x00;
const NULL_HIGH = 0xff;

/** The key values after `prefixLength` bytes (more may follow when `allowTrailing`). */
export function decodeIndexKey(
  key: Uint8Array,
  prefixLength: number,
  columns: readonly IndexKeyColumn[],
  allowTrailing = false,
): Datum[] {
  const r = new ByteReader(key, prefixLength);
  const out: Datum[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i] as IndexKeyColumn;
    const kind = c.type.kind;
    const first = key[r.pos];
    let v: KeyValue;
    // Ascending integers, the usual primary key, straight from the storage layer's int decoding
    // (what decodeKeyValue does for them, without its per-call set-up).
    if (c.direction === 'asc' && r.pos < key.length && first !== NULL_LOW && first !== NULL_HIGH) {
      if (kind === 'int4' || kind === 'int2') v = readIntNumber(r);
      else if (kind === 'int8') v = readIntBig(r);
      else v = decodeKeyValue(r, { type: keyTypeOf(c.type), direction: c.direction });
    } else v = decodeKeyValue(r, { type: keyTypeOf(c.type), direction: c.direction });
    out[i] = fromKeyValue(c.type, v);
  }
  if (!allowTrailing && r.remaining !== 0) r.fail(`${r.remaining} trailing bytes after ${columns.length} columns`);
  return out;
}
