import { isThinkLiteError } from '@thinklite/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from './bytes.js';
import {
  canonicalNumeric,
  decodeKey,
  decodeKeyValue,
  encodeKey,
  type Interval,
  type KeyColumn,
  type KeyType,
  type KeyValue,
} from './key-encoding.js';

const fmt = (v: unknown) =>
  v instanceof Uint8Array
    ? `bytes ${Buffer.from(v).toString('hex')}`
    : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
const cmpNum = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);

/** A decimal as an exact rational m / 10^s, the reference for numeric ordering. */
function rational(text: string): { m: bigint; s: number } {
  const [mant, expPart] = text.toLowerCase().split('e') as [string, string | undefined];
  const neg = mant.startsWith('-');
  const body = mant.replace(/^[+-]/, '');
  const [ip, fp = ''] = body.split('.') as [string, string | undefined];
  let m = BigInt((ip || '0') + fp);
  let s = fp.length - Number(expPart ?? 0);
  if (s < 0) {
    m *= 10n ** BigInt(-s);
    s = 0;
  }
  return { m: neg ? -m : m, s };
}

function cmpNumeric(a: string, b: string): number {
  const rank = (x: string) => (x === '-Infinity' ? -1 : x === 'Infinity' ? 1 : x === 'NaN' ? 2 : 0);
  if (rank(a) !== 0 || rank(b) !== 0) return cmpNum(rank(a), rank(b));
  const x = rational(a);
  const y = rational(b);
  return cmpBig(x.m * 10n ** BigInt(y.s), y.m * 10n ** BigInt(x.s));
}

function cmpFloat(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return cmpNum(Number.isNaN(a) ? 1 : 0, Number.isNaN(b) ? 1 : 0);
  return cmpNum(a, b); // -0 === 0 here, as in SQL
}

const MICROS_PER_DAY = 86_400_000_000n;
function cmpInterval(a: Interval, b: Interval): number {
  const key = (v: Interval) => BigInt(v.months) * 30n * MICROS_PER_DAY + BigInt(v.days) * MICROS_PER_DAY + v.micros;
  return cmpBig(key(a), key(b)) || cmpNum(a.months, b.months) || cmpNum(a.days, b.days);
}

interface TypeCase {
  type: KeyType;
  arb: fc.Arbitrary<Exclude<KeyValue, null>>;
  cmp: (a: never, b: never) => number;
  same: (decoded: KeyValue, original: never) => boolean;
}

const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;
const numericArb = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '0', '-0', '0.000', '1.50', '1e3', '-1E-3', '.5'),
  fc
    .tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,30}$/), fc.integer({ min: 0, max: 25 }))
    .map(([neg, digits, scale]) => {
      const padded = digits.padStart(scale + 1, '0');
      const text = scale === 0 ? padded : `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
      return (neg ? '-' : '') + text;
    }),
  fc.tuple(fc.integer({ min: -99999, max: 99999 }), fc.integer({ min: -40, max: 40 })).map(([m, e]) => `${m}e${e}`),
);

const eq = (a: unknown, b: unknown) => a === b;
const bytesEq = (a: KeyValue, b: Uint8Array) => a instanceof Uint8Array && Buffer.compare(a, b) === 0;

const CASES: TypeCase[] = [
  { type: 'bool', arb: fc.boolean(), cmp: (a: boolean, b: boolean) => cmpNum(+a, +b), same: eq },
  {
    type: 'int2',
    arb: fc.integer({ min: -32768, max: 32767 }),
    cmp: cmpNum,
    same: eq,
  },
  {
    type: 'int4',
    arb: fc.oneof(fc.integer(), fc.integer({ min: -300, max: 300 })),
    cmp: cmpNum,
    same: eq,
  },
  {
    type: 'int8',
    arb: fc.oneof(
      fc.bigInt({ min: INT8_MIN, max: INT8_MAX }),
      fc.bigInt({ min: -70000n, max: 70000n }),
      fc.constantFrom(INT8_MIN, INT8_MAX, 0n, -1n, 2n ** 53n, -(2n ** 53n) - 1n),
    ),
    cmp: cmpBig,
    same: eq,
  },
  {
    type: 'float8',
    arb: fc.oneof(fc.double(), fc.constantFrom(-0, 0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY)),
    cmp: cmpFloat,
    same: (d, o: number) => (Number.isNaN(o) ? Number.isNaN(d as number) : d === o),
  },
  {
    type: 'float4',
    arb: fc.float(),
    cmp: cmpFloat,
    same: (d, o: number) => (Number.isNaN(o) ? Number.isNaN(d as number) : d === o),
  },
  {
    type: 'numeric',
    arb: numericArb,
    cmp: cmpNumeric,
    same: (d, o: string) => typeof d === 'string' && cmpNumeric(d, o) === 0 && d === canonicalNumeric(o),
  },
  {
    type: 'text',
    arb: fc.string({ unit: 'binary', maxLength: 40 }),
    cmp: (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')),
    same: eq,
  },
  {
    type: 'bytea',
    arb: fc.uint8Array({ maxLength: 40 }).map((b) => (b.length > 3 ? b.map((x, i) => (i % 3 === 0 ? 0 : x)) : b)),
    cmp: (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b),
    same: bytesEq,
  },
  {
    type: 'date',
    arb: fc.integer(),
    cmp: cmpNum,
    same: eq,
  },
  { type: 'timestamp', arb: fc.bigInt({ min: INT8_MIN, max: INT8_MAX }), cmp: cmpBig, same: eq },
  { type: 'timestamptz', arb: fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }), cmp: cmpBig, same: eq },
  {
    type: 'interval',
    arb: fc.record({
      months: fc.oneof(fc.integer(), fc.integer({ min: -3, max: 3 })),
      days: fc.oneof(fc.integer(), fc.integer({ min: -90, max: 90 })),
      micros: fc.oneof(
        fc.bigInt({ min: INT8_MIN, max: INT8_MAX }),
        fc.constantFrom(0n, MICROS_PER_DAY, -MICROS_PER_DAY),
      ),
    }),
    cmp: cmpInterval,
    same: (d, o: Interval) =>
      typeof d === 'object' && d !== null && !(d instanceof Uint8Array) && cmpInterval(d as Interval, o) === 0,
  },
  {
    type: 'uuid',
    arb: fc.uuid(),
    cmp: (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0),
    same: eq,
  },
];

describe('order-preserving key encoding', () => {
  for (const c of CASES) {
    for (const direction of ['asc', 'desc'] as const) {
      it(`${c.type} ${direction}: a < b exactly when enc(a) < enc(b), and decode(enc(x)) = x`, () => {
        const col: KeyColumn = { type: c.type, direction };
        fc.assert(
          fc.property(c.arb, c.arb, (a, b) => {
            const ea = encodeKey([col], [a]);
            const eb = encodeKey([col], [b]);
            const s = sign(c.cmp(a as never, b as never));
            const want = direction === 'desc' ? 0 - s : s;
            expect(sign(Buffer.compare(ea, eb)) + 0).toBe(want + 0);
            const [da] = decodeKey([col], ea);
            expect(c.same(da as KeyValue, a as never), `decode(enc(${fmt(a)})) gave ${fmt(da)}`).toBe(true);
          }),
          { numRuns: 400 },
        );
      });
    }
  }

  it('places NULL where PostgreSQL does by default (last ascending, first descending) or where asked', () => {
    const values: KeyValue[] = [null, -5, 0, 7];
    for (const direction of ['asc', 'desc'] as const) {
      for (const nullsFirst of [undefined, true, false]) {
        const col: KeyColumn = { type: 'int4', direction, ...(nullsFirst === undefined ? {} : { nullsFirst }) };
        const sorted = values
          .map((v) => ({ v, k: encodeKey([col], [v]) }))
          .sort((x, y) => Buffer.compare(x.k, y.k))
          .map((x) => x.v);
        const first = nullsFirst ?? direction === 'desc';
        expect(sorted[first ? 0 : 3], `${direction} nullsFirst=${nullsFirst}`).toBeNull();
        const nonNull = sorted.filter((v) => v !== null);
        expect(nonNull).toEqual(direction === 'asc' ? [-5, 0, 7] : [7, 0, -5]);
        for (const x of values) expect(decodeKey([col], encodeKey([col], [x]))).toEqual([x]);
      }
    }
  });

  it('orders composite keys column by column, with mixed directions and NULLs', () => {
    const cols: KeyColumn[] = [
      { type: 'text', direction: 'asc' },
      { type: 'int8', direction: 'desc' },
      { type: 'float8', direction: 'asc', nullsFirst: true },
    ];
    const rowArb = fc.tuple(
      fc.option(fc.constantFrom('', 'a', 'a\u0000', 'ab', 'b'), { nil: null }),
      fc.option(fc.bigInt({ min: -5n, max: 5n }), { nil: null }),
      fc.option(fc.constantFrom(-1.5, 0, 2, Number.NaN), { nil: null }),
    );
    const cmpCol = (i: number, a: KeyValue, b: KeyValue): number => {
      const col = cols[i] as KeyColumn;
      const desc = col.direction === 'desc';
      const nullsFirst = col.nullsFirst ?? desc;
      if (a === null || b === null) {
        if (a === b) return 0;
        return (a === null) === nullsFirst ? -1 : 1;
      }
      const base =
        i === 0
          ? Buffer.compare(Buffer.from(a as string), Buffer.from(b as string))
          : i === 1
            ? cmpBig(a as bigint, b as bigint)
            : cmpFloat(a as number, b as number);
      return desc ? -base : base;
    };
    fc.assert(
      fc.property(rowArb, rowArb, (a, b) => {
        let want = 0;
        for (let i = 0; i < cols.length && want === 0; i++) want = cmpCol(i, a[i] as KeyValue, b[i] as KeyValue);
        const ea = encodeKey(cols, a);
        expect(sign(Buffer.compare(ea, encodeKey(cols, b)))).toBe(sign(want));
        const back = decodeKey(cols, ea);
        expect(back.map((v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v))).toEqual(
          a.map((v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v)),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('normalizes numeric keys: equal values share one key whatever their scale', () => {
    const col: KeyColumn = { type: 'numeric' };
    expect(encodeKey([col], ['1.50'])).toEqual(encodeKey([col], ['1.5']));
    expect(encodeKey([col], ['-0.00'])).toEqual(encodeKey([col], ['0']));
    expect(encodeKey([col], ['1e2'])).toEqual(encodeKey([col], ['100.000']));
    expect(decodeKey([col], encodeKey([col], ['-001.2300e-2']))).toEqual(['-0.0123']);
    expect(decodeKey([col], encodeKey([col], ['12345678901234567890.5']))).toEqual(['12345678901234567890.5']);
  });

  it('rejects values outside their type and malformed input with coded errors', () => {
    const bad: [KeyType, KeyValue, string][] = [
      ['int2', 32768, 'VALUE_OUT_OF_RANGE'],
      ['int4', -(2 ** 31) - 1, 'VALUE_OUT_OF_RANGE'],
      ['int8', 2n ** 63n, 'VALUE_OUT_OF_RANGE'],
      ['int4', 1.5, 'ENCODING_INVALID'],
      ['int8', 5, 'ENCODING_INVALID'],
      ['numeric', '1.2.3', 'ENCODING_INVALID'],
      ['uuid', 'not-a-uuid', 'ENCODING_INVALID'],
      ['text', '\ud800', 'ENCODING_INVALID'],
      ['bool', 1, 'ENCODING_INVALID'],
    ];
    for (const [type, value, code] of bad) {
      let caught: unknown;
      try {
        encodeKey([{ type }], [value]);
      } catch (e) {
        caught = e;
      }
      expect(isThinkLiteError(caught), `${type} ${String(value)}`).toBe(true);
      expect((caught as { code: string }).code, `${type} ${String(value)}`).toBe(code);
    }
  });

  it('decodes random bytes either to a value or to ENCODING_INVALID, never another failure', () => {
    const types = CASES.map((c) => c.type);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), fc.constantFrom(...types), fc.boolean(), (bytes, type, desc) => {
        try {
          decodeKeyValue(new ByteReader(bytes), { type, direction: desc ? 'desc' : 'asc' });
        } catch (e) {
          expect(isThinkLiteError(e, 'ENCODING_INVALID'), String(e)).toBe(true);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
