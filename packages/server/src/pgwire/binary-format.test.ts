import { arrayOf, type Datum, Numeric, parseText, type SqlType, Types } from '@thinklite/sql';
import { describe, expect, it } from 'vitest';
import { decodeBinary, encodeBinary } from './binary-format.js';

/**
 * The binary formats against PostgreSQL 15's own send functions: every expected byte string
 * below is what `SELECT numeric_send(…)`, `timestamptz_send(…)`, … printed on PostgreSQL 15.20.
 */
const ctx = { timeZone: 'UTC' };
const cases: [string, SqlType, string, string][] = [
  ['numeric -12345.6789', Types.numeric, '-12345.6789', '0003000140000004000109291a85'],
  ['numeric 0', Types.numeric, '0', '0000000000000000'],
  ['numeric 1e20', Types.numeric, '1e20', '00010005000000000001'],
  ['numeric 0.000012', Types.numeric, '0.000012', '0001fffe0000000604b0'],
  ['numeric NaN', Types.numeric, 'NaN', '00000000c0000000'],
  ['numeric 12.500', Types.numeric, '12.500', '0002000000000003000c1388'],
  ['timestamptz', Types.timestamptz, '2024-02-29 12:34:56.789+00', '0002b58341728608'],
  [
    'int4[] with a NULL',
    arrayOf(Types.int4),
    '{1,NULL,3}',
    '00000001000000010000001700000003000000010000000400000001ffffffff0000000400000003',
  ],
  ['empty int4[]', arrayOf(Types.int4), '{}', '000000000000000000000017'],
  ['date', Types.date, '2024-02-29', '00002279'],
  ['interval', Types.interval, '1 mon 2 days 3 sec', '00000000002dc6c00000000200000001'],
  ['uuid', Types.uuid, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a0eebc999c0b4ef8bb6d6bb9bd380a11'],
  ['jsonb', Types.jsonb, '{"z": 1}', '017b227a223a20317d'],
];

describe('binary formats', () => {
  for (const [name, type, text, hex] of cases) {
    it(`${name} matches PostgreSQL's send format and decodes back`, () => {
      const d = parseText(type, text, ctx) as Exclude<Datum, null>;
      expect(encodeBinary(type, d).toString('hex')).toBe(hex);
      expect(
        encodeBinary(type, decodeBinary(type, Buffer.from(hex, 'hex')) as Exclude<Datum, null>).toString('hex'),
      ).toBe(hex);
    });
  }

  it('round-trips the fixed-size scalar types', () => {
    const values: [SqlType, Datum][] = [
      [Types.bool, true],
      [Types.int2, -2],
      [Types.int4, 2147483647],
      [Types.int8, -9007199254740993n],
      [Types.float4, 1.5],
      [Types.float8, -0.1],
      [Types.text, 'héllo'],
      [Types.bytea, new Uint8Array([0, 255])],
      [Types.timestamp, 0n],
    ];
    for (const [type, v] of values) {
      expect(decodeBinary(type, encodeBinary(type, v as Exclude<Datum, null>))).toEqual(v);
    }
  });

  it('keeps numeric scale and value through binary', () => {
    for (const s of ['1.10', '-0.0001', '123456789012345678901234567890.123', '10000', '0.00']) {
      const n = Numeric.parse(s);
      const back = decodeBinary(Types.numeric, encodeBinary(Types.numeric, n)) as Numeric;
      expect(back.toString()).toBe(n.toString());
    }
  });

  it('refuses malformed binary input with 22P03', () => {
    expect(() => decodeBinary(Types.int4, Buffer.from([1, 2]))).toThrow(expect.objectContaining({ sqlstate: '22P03' }));
    expect(() => decodeBinary(Types.numeric, Buffer.from('0001', 'hex'))).toThrow(
      expect.objectContaining({ sqlstate: '22P03' }),
    );
    expect(() =>
      decodeBinary(arrayOf(Types.int4), Buffer.from('000000010000000000000017000000050000000100000004', 'hex')),
    ).toThrow(expect.objectContaining({ sqlstate: '22P03' }));
  });
});
