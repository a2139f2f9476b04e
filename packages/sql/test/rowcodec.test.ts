import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeIndexKey, encodeIndexKey, type IndexKeyColumn } from '../src/rowcodec/key.js';
import { decodeValue, encodeValue, type ValueColumn } from '../src/rowcodec/value.js';
import type { Datum } from '../src/types/datum.js';
import { formatJsonb, type JsonbValue, parseJsonb } from '../src/types/jsonb.js';
import { Numeric } from '../src/types/numeric.js';
import { type SqlType, Types } from '../src/types/type.js';

const roundTrip = (columns: ValueColumn[], values: Datum[]) => {
  const out: Datum[] = [];
  decodeValue(columns, encodeValue(columns, values), out);
  return out;
};

describe('row values', () => {
  it('round-trip every type, NULLs included, with numeric scale and jsonb preserved', () => {
    const columns: ValueColumn[] = [
      { id: 1, type: Types.bool },
      { id: 2, type: Types.int2 },
      { id: 3, type: Types.int4 },
      { id: 4, type: Types.int8 },
      { id: 5, type: Types.float8 },
      { id: 6, type: Types.numeric },
      { id: 7, type: Types.text },
      { id: 9, type: Types.bytea },
      { id: 10, type: Types.date },
      { id: 11, type: Types.timestamptz },
      { id: 12, type: Types.interval },
      { id: 13, type: Types.uuid },
      { id: 14, type: Types.jsonb },
      { id: 15, type: { kind: 'array', elem: Types.int4 } },
      { id: 16, type: Types.date },
      { id: 17, type: Types.text },
    ];
    const values: Datum[] = [
      false,
      -32768,
      2147483647,
      -(2n ** 63n),
      -0.1,
      Numeric.parse('1.50'),
      'héllo ☃',
      new Uint8Array([0, 255, 7]),
      -730119,
      9_000_000_000_000n,
      { months: -14, days: 3, micros: -5_000_001n },
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      parseJsonb('{"b": [1, 2.50, null], "a": {"x": true}}'),
      [1, null, -3],
      Number.POSITIVE_INFINITY,
      null,
    ];
    const out = roundTrip(columns, values);
    expect(out.slice(0, 5)).toEqual(values.slice(0, 5));
    expect((out[5] as Numeric).toString()).toBe('1.50');
    expect(out.slice(6, 12)).toEqual(values.slice(6, 12));
    expect(formatJsonb(out[12] as JsonbValue)).toBe('{"a": {"x": true}, "b": [1, 2.50, null]}');
    expect(out[13]).toEqual([1, null, -3]);
    expect(out[14]).toBe(Number.POSITIVE_INFINITY);
    expect(out[15]).toBeNull();
  });

  it('skips columns the table no longer has and reads absent ones as NULL', () => {
    const written: ValueColumn[] = [
      { id: 2, type: Types.text },
      { id: 3, type: { kind: 'array', elem: Types.text } },
      { id: 5, type: Types.int8 },
    ];
    const raw = encodeValue(written, ['dropped', ['x', null], 42n]);
    const now: ValueColumn[] = [
      { id: 4, type: Types.bool },
      { id: 5, type: Types.int8 },
    ];
    const out: Datum[] = [];
    decodeValue(now, raw, out);
    expect(out).toEqual([null, 42n]);
  });

  it('rejects damaged bytes with ENCODING_INVALID instead of inventing values', () => {
    const columns: ValueColumn[] = [{ id: 1, type: Types.text }];
    const raw = encodeValue(columns, ['abcdef']);
    expect(() => decodeValue(columns, raw.subarray(0, raw.length - 2), [])).toThrow(
      expect.objectContaining({ code: 'ENCODING_INVALID' }),
    );
    expect(() => decodeValue([{ id: 1, type: Types.bool }], raw, [])).toThrow(
      expect.objectContaining({ code: 'ENCODING_INVALID' }),
    );
  });

  it('round-trips random integers, floats and strings', () => {
    const columns: ValueColumn[] = [
      { id: 1, type: Types.int8 },
      { id: 2, type: Types.float8 },
      { id: 3, type: Types.text },
      { id: 4, type: Types.int4 },
    ];
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.double(),
        fc.string({ unit: 'grapheme' }),
        fc.integer(),
        (a, b, c, d) => {
          expect(roundTrip(columns, [a, b, c, d])).toEqual([a, b, c, d]);
        },
      ),
    );
  });
});

describe('index keys', () => {
  const prefix = Buffer.from([0x88, 0x89]);
  const col = (type: SqlType, direction: 'asc' | 'desc' = 'asc'): IndexKeyColumn => ({ type, direction });

  it('order by value, ascending and descending, with PostgreSQL’s NULL placement', () => {
    for (const direction of ['asc', 'desc'] as const) {
      const cols = [col(Types.int4, direction)];
      const values: (number | null)[] = [null, -5, 0, 3, 2147483647];
      const keys = values.map((v) => encodeIndexKey(prefix, cols, [v]));
      const sorted = [...keys].sort(Buffer.compare).map((k) => decodeIndexKey(k, prefix.length, cols)[0]);
      // PostgreSQL: NULLS LAST ascending, NULLS FIRST descending.
      expect(sorted).toEqual(direction === 'asc' ? [-5, 0, 3, 2147483647, null] : [null, 2147483647, 3, 0, -5]);
    }
  });

  it('round-trips composite keys of dates, timestamps, numerics and char(n) without trailing spaces', () => {
    const cols = [
      col(Types.date),
      col(Types.timestamp, 'desc'),
      col(Types.numeric),
      col({ kind: 'bpchar', length: 4 }),
    ];
    const key = encodeIndexKey(prefix, cols, [-1, 0n, Numeric.parse('10.5'), 'ab  ']);
    const back = decodeIndexKey(key, prefix.length, cols);
    expect(back.slice(0, 2)).toEqual([-1, 0n]);
    expect((back[2] as Numeric).toString()).toBe('10.5');
    expect(back[3]).toBe('ab  '); // char(4) comes back padded
    expect(encodeIndexKey(prefix, cols.slice(3), ['ab'])).toEqual(encodeIndexKey(prefix, cols.slice(3), ['ab  ']));
    const inf = encodeIndexKey(prefix, [col(Types.date)], [Number.POSITIVE_INFINITY]);
    const big = encodeIndexKey(prefix, [col(Types.date)], [2_000_000]);
    expect(Buffer.compare(big, inf)).toBeLessThan(0);
    expect(decodeIndexKey(inf, prefix.length, [col(Types.date)])).toEqual([Number.POSITIVE_INFINITY]);
  });

  it('refuses types without a key order', () => {
    expect(() => encodeIndexKey(prefix, [col(Types.jsonb)], [null])).toThrow(
      expect.objectContaining({ code: 'FEATURE_NOT_SUPPORTED' }),
    );
  });
});
