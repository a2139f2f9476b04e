/**
 * Datum: the JavaScript value of one SQL value. The SqlType travels separately (in the plan or
 * the row's schema); a Datum alone does not say its type.
 *
 * | type                         | Datum                                                        |
 * |------------------------------|--------------------------------------------------------------|
 * | any SQL NULL                 | `null`                                                       |
 * | bool                         | `boolean`                                                    |
 * | int2, int4                   | `number` (an integer in range)                               |
 * | int8                         | `bigint`                                                     |
 * | float4, float8               | `number` (float4 values are `Math.fround`ed)                 |
 * | numeric                      | {@link Numeric}                                              |
 * | text, varchar, bpchar        | `string` (bpchar(n) values are padded to n)                  |
 * | bytea                        | `Uint8Array`                                                 |
 * | date                         | `number`: days since 2000-01-01, ±Infinity                   |
 * | timestamp, timestamptz       | `bigint`: µs since 2000-01-01 (UTC), ±infinity = TIMESTAMP_(NEG_)INFINITY |
 * | interval                     | {@link Interval} `{ months, days, micros }`                  |
 * | uuid                         | `string`, lowercase 8-4-4-4-12                               |
 * | json                         | `string`, the validated text as given                        |
 * | jsonb                        | {@link JsonbValue} (JSON null is `{ type: 'null' }`)         |
 * | T[]                          | `readonly Datum[]` of T's datums, 1-D, lower bound 1         |
 */
import type { Interval } from './interval.js';
import type { JsonbValue } from './jsonb.js';
import type { Numeric } from './numeric.js';

export type Datum =
  | null
  | boolean
  | number
  | bigint
  | string
  | Numeric
  | Uint8Array
  | Interval
  | JsonbValue
  | readonly Datum[];
