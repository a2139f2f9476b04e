// Expected values checked against PostgreSQL 15.20 (Debian 15.20-0+deb12u1) where literal; the
// properties check internal consistency (round trips, int8 arithmetic against a BigInt reference).
import { isThinkLiteError } from '@thinklite/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arithmetic,
  compare,
  type Datum,
  formatText,
  hashKey,
  INT8_MAX,
  INT8_MIN,
  justifyDays,
  justifyHours,
  justifyInterval,
  Numeric,
  parseInterval,
  parseText,
  parseTimestamptz,
  resolveTypeName,
  TIMESTAMP_INFINITY,
  TIMESTAMP_NEG_INFINITY,
  Types,
} from '../src/types/index.js';

const UTC = { timeZone: 'UTC' };

function roundTrip(typeName: string, text: string): void {
  const t = resolveTypeName(typeName);
  const once = formatText(t, parseText(t, text, UTC), UTC);
  expect(formatText(t, parseText(t, once, UTC), UTC)).toBe(once);
}

describe('numeric functions agree with PostgreSQL', () => {
  it.each([
    ['2', '1.414213562373095'],
    ['100', '10.000000000000000'],
    ['0.0001', '0.01000000000000000'],
    ['1e-10', '0.000010000000000000000'],
    ['123456789.123', '11111.11106609056'],
  ])('sqrt(%s) = %s', (x, expected) => {
    expect(Numeric.parse(x).sqrt().toString()).toBe(expected);
  });
  it('round, trunc, ceil, floor', () => {
    expect(Numeric.parse('1.2345').round(2).toString()).toBe('1.23');
    expect(Numeric.parse('-2.5').round().toString()).toBe('-3');
    expect(Numeric.parse('1.2').round(3).toString()).toBe('1.200');
    expect(Numeric.parse('1234.5').round(-2).toString()).toBe('1200');
    expect(Numeric.parse('-1.999').trunc(1).toString()).toBe('-1.9');
    expect(Numeric.parse('1234.5').trunc(-2).toString()).toBe('1200');
    expect(Numeric.parse('-1.5').ceil().toString()).toBe('-1');
    expect(Numeric.parse('-1.5').floor().toString()).toBe('-2');
    expect(Numeric.parse('1.2').ceil().toString()).toBe('2');
  });
  it('sqrt of a negative number is 2201F', () => {
    expect(() => Numeric.parse('-1').sqrt()).toThrowError('cannot take square root of a negative number');
  });
});

describe('interval justification agrees with PostgreSQL', () => {
  it.each([
    [justifyHours, '1 mon 50 hours', '1 mon 2 days 02:00:00'],
    [justifyDays, '1 mon 50 days', '2 mons 20 days'],
    [justifyInterval, '1 mon -1 hour', '29 days 23:00:00'],
    [justifyInterval, '-1 mon 50 days -3 hours', '19 days 21:00:00'],
  ] as const)('%#: %s → %s', (fn, input, expected) => {
    expect(formatText(Types.interval, fn(parseInterval(input)), UTC)).toBe(expected);
  });
});

describe('now, today, tomorrow, yesterday come from the injected transaction time', () => {
  const now = parseTimestamptz('2026-12-01 02:47:47.410979+00', UTC);
  const ny = { timeZone: 'America/New_York', now };
  it.each([
    ['timestamp with time zone', 'today', '2026-11-30 00:00:00-05'],
    ['timestamp', 'tomorrow', '2026-12-01 00:00:00'],
    ['date', 'yesterday', '2026-11-29'],
    ['timestamp', 'now', '2026-11-30 21:47:47.410979'],
    ['timestamp with time zone', 'now', '2026-11-30 21:47:47.410979-05'],
  ])('%s %s', (t, input, expected) => {
    const type = resolveTypeName(t);
    expect(formatText(type, parseText(type, input, ny), ny)).toBe(expected);
  });
  it('fails without a transaction time', () => {
    expect(() => parseText(Types.date, 'today', UTC)).toThrowError(/current time is not available/);
  });
});

describe('representation', () => {
  it('uses PostgreSQL epochs and sentinels', () => {
    expect(parseText(Types.date, '2000-01-01', UTC)).toBe(0);
    expect(parseText(Types.date, 'infinity', UTC)).toBe(Number.POSITIVE_INFINITY);
    expect(parseText(Types.timestamp, '2000-01-01 00:00:01', UTC)).toBe(1_000_000n);
    expect(parseText(Types.timestamptz, 'infinity', UTC)).toBe(TIMESTAMP_INFINITY);
    expect(parseText(Types.timestamp, '-infinity', UTC)).toBe(TIMESTAMP_NEG_INFINITY);
    expect(parseText(Types.interval, '1 mon 2 days 3 us', UTC)).toEqual({ months: 1, days: 2, micros: 3n });
    expect(parseText(Types.int8, '5', UTC)).toBe(5n);
    expect(parseText(Types.float4, '0.1', UTC)).toBe(Math.fround(0.1));
    expect(parseText(resolveTypeName('char(3)'), 'a', UTC)).toBe('a  ');
    expect(parseText(resolveTypeName('int[]'), '{1,NULL}', UTC)).toEqual([1, null]);
  });
  it('hashes equal values alike across scales, padding and integer widths', () => {
    const n = (s: string) => hashKey(Types.numeric, Numeric.parse(s));
    expect(n('1.0')).toBe(n('1.00'));
    expect(n('100')).toBe(n('1e2'));
    expect(n('0')).toBe(n('-0.000'));
    expect(hashKey(Types.int4, 7)).toBe(hashKey(Types.int8, 7n));
    expect(hashKey(Types.float8, -0)).toBe(hashKey(Types.float8, 0));
    expect(hashKey(Types.float8, Number.NaN)).toBe(hashKey(Types.float4, Number.NaN));
    expect(hashKey(resolveTypeName('char(4)'), 'ab  ')).toBe(hashKey(Types.bpchar, 'ab'));
    expect(hashKey(Types.interval, parseInterval('1 mon'))).toBe(hashKey(Types.interval, parseInterval('30 days')));
  });
});

describe('properties', () => {
  it('float8 and float4 output reads back as the same value', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        const s = formatText(Types.float8, x, UTC);
        expect(Object.is(parseText(Types.float8, s, UTC), x)).toBe(true);
        const f = Math.fround(x);
        if (Number.isFinite(f) || !Number.isFinite(x)) {
          expect(Object.is(parseText(Types.float4, formatText(Types.float4, f, UTC), UTC), f)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
  it('numeric text round-trips exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), fc.nat(30), (c, s) => {
        const n = Numeric.of(c, s);
        const back = Numeric.parse(n.toString());
        expect(back.toString()).toBe(n.toString());
        expect(back.compare(n)).toBe(0);
      }),
    );
  });
  it('numeric a / b * b is within the last digit of a, and a % b matches BigInt', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        (a, b) => {
          const x = Numeric.fromInt(a);
          const y = Numeric.fromInt(b);
          expect(x.mod(y).toString()).toBe(String(a % b));
          expect(x.intDiv(y).toString()).toBe(String(a / b));
        },
      ),
    );
  });
  it('int8 arithmetic matches BigInt, failing exactly when the result leaves the range', () => {
    const int8 = fc.oneof(fc.bigInt({ min: INT8_MIN, max: INT8_MAX }), fc.bigInt({ min: -1000n, max: 1000n }));
    fc.assert(
      fc.property(int8, int8, fc.constantFrom('+', '-', '*', '/', '%' as const), (a, b, op) => {
        let ref: bigint | 'div0' | 'range';
        if ((op === '/' || op === '%') && b === 0n) ref = 'div0';
        else {
          const r = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a % b;
          ref = r < INT8_MIN || r > INT8_MAX ? 'range' : r;
        }
        let got: Datum | 'div0' | 'range';
        try {
          got = arithmetic(op, Types.int8, a, Types.int8, b, UTC);
        } catch (e) {
          if (!isThinkLiteError(e)) throw e;
          got = e.sqlstate === '22012' ? 'div0' : e.sqlstate === '22003' ? 'range' : 'other';
        }
        expect(got).toBe(ref);
      }),
      { numRuns: 3000 },
    );
  });
  it('timestamp, timestamptz, date and interval text is stable through a second round trip', () => {
    // Two days inside the ends: a local time in a zone west of UTC can fall before 4714-11-24 BC.
    const micros = fc.bigInt({ min: -211813488000000000n + 172800000000n, max: 9223371331199999999n - 172800000000n });
    fc.assert(
      fc.property(micros, fc.constantFrom('UTC', 'America/New_York', 'Asia/Kolkata'), (t, tz) => {
        const ctx = { timeZone: tz };
        for (const type of [Types.timestamp, Types.timestamptz]) {
          const s = formatText(type, t, ctx);
          expect(parseText(type, s, ctx)).toBe(type.kind === 'timestamp' ? t : parseText(type, s, ctx));
        }
        const s = formatText(Types.timestamptz, t, ctx);
        expect(formatText(Types.timestamptz, parseText(Types.timestamptz, s, ctx), ctx)).toBe(s);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -2451545, max: 2145031948 }), (d) => {
        expect(parseText(Types.date, formatText(Types.date, d, UTC), UTC)).toBe(d);
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: -2147483648, max: 2147483647 }),
        fc.integer({ min: -2147483648, max: 2147483647 }),
        fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
        (months, days, us) => {
          const v = { months, days, micros: us };
          expect(parseText(Types.interval, formatText(Types.interval, v, UTC), UTC)).toEqual(v);
        },
      ),
    );
  });
  it('jsonb output re-parses to an equal value, and compare is antisymmetric', () => {
    const jsonb = resolveTypeName('jsonb');
    fc.assert(
      fc.property(fc.json(), fc.json(), (a, b) => {
        roundTrip('jsonb', a);
        const x = parseText(jsonb, a, UTC);
        const y = parseText(jsonb, b, UTC);
        expect(Math.sign(compare(jsonb, x, y)) + 0).toBe(-Math.sign(compare(jsonb, y, x)) + 0);
      }),
    );
  });
});
