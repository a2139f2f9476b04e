// Expected values checked against PostgreSQL 15.20 (Debian 15.20-0+deb12u1): each case is the
// text output of `SELECT <expression>` in psql (session TimeZone UTC unless a case names another),
// or the error's SQLSTATE and message. Evaluated here through the parser, the engine's ExprBinder
// and bindFunctionCall (see src/functions/testing.ts).
import { isThinkLiteError } from '@thinklite/base';
import { beforeAll, describe, expect, it } from 'vitest';
import { evalSelect } from '../src/functions/testing.js';
import { initParser } from '../src/parser/index.js';

beforeAll(async () => {
  await initParser();
});

function outcome(expr: string, timeZone = 'UTC'): string {
  try {
    const r = evalSelect(`SELECT ${expr}`, { ctx: { timeZone } });
    return r.text ?? 'NULL';
  } catch (e) {
    if (isThinkLiteError(e)) return `ERR ${e.sqlstate} ${e.message}`;
    throw e;
  }
}

/** [expression, PostgreSQL's output or `ERR <sqlstate> <message>`, session time zone]. */
const CASES: [string, string, string?][] = [
  // result types chosen by overload resolution
  ['pg_typeof(round(2.5))', 'numeric'],
  ['pg_typeof(round(2.5::float8))', 'double precision'],
  ['pg_typeof(round(2))', 'double precision'],
  ["pg_typeof(round('2.5'))", 'double precision'],
  ['pg_typeof(round(2.5::real))', 'double precision'],
  ['pg_typeof(abs(-5))', 'integer'],
  ['pg_typeof(abs(-5::smallint))', 'smallint'],
  ['pg_typeof(abs(-5::bigint))', 'bigint'],
  ['pg_typeof(abs(1::real))', 'real'],
  ["pg_typeof(abs('1'))", 'double precision'],
  ['pg_typeof(sqrt(4))', 'double precision'],
  ['pg_typeof(sqrt(4.0))', 'numeric'],
  ['pg_typeof(power(2, 3))', 'double precision'],
  ['pg_typeof(power(2.0, 3))', 'numeric'],
  ['pg_typeof(power(2::bigint, 3))', 'double precision'],
  ['pg_typeof(mod(9::smallint, 4))', 'integer'],
  ['pg_typeof(mod(9::bigint, 4))', 'bigint'],
  ['pg_typeof(mod(9, 4.0))', 'numeric'],
  ['pg_typeof(ceil(1))', 'double precision'],
  ['pg_typeof(ceil(1::bigint))', 'double precision'],
  ['pg_typeof(trunc(1.5, 1))', 'numeric'],
  ['pg_typeof(log(2, 8))', 'numeric'],
  ["pg_typeof(length('a'::char(3)))", 'integer'],
  ["pg_typeof(substr('abc'::varchar, 1))", 'text'],
  ["pg_typeof(lower('a'::char(3)))", 'text'],
  ['pg_typeof(length(NULL))', 'integer'],
  ['pg_typeof(lower(NULL))', 'text'],
  ["pg_typeof(date_trunc('day', date '2020-01-01'))", 'timestamp with time zone'],
  ["pg_typeof(date_trunc('day', timestamp '2020-01-01'))", 'timestamp without time zone'],
  ["pg_typeof(extract(epoch from date '2020-01-01'))", 'numeric'],
  ["pg_typeof(date_part('epoch', date '2020-01-01'))", 'double precision'],
  ["pg_typeof(date_part('epoch', timestamptz '2020-01-01 00:00+00'))", 'double precision'],
  ["pg_typeof(age(timestamp '2020-01-01'))", 'interval'],
  ['pg_typeof(concat(1))', 'text'],
  ["pg_typeof(array_append('{1}'::int[], 2.5))", 'numeric[]'],
  ["pg_typeof(array_position('{a}', 'a'))", 'integer'],
  ['pg_typeof(to_json(1))', 'json'],
  ["pg_typeof(int4('12'))", 'integer'],
  ['pg_typeof(text(1))', 'text'],
  ["pg_typeof(timestamp '2020-01-01' at time zone 'UTC')", 'timestamp with time zone'],
  ["pg_typeof(timestamptz '2020-01-01 00:00+00' at time zone 'UTC')", 'timestamp without time zone'],
  // values through implicit coercion
  ['round(2.5)', '3'],
  ['round(2.5::float8)', '2'],
  ["round('2.5')", '2'],
  ["length('abc')", '3'],
  ['abs(-5)', '5'],
  ["concat(1, NULL, 'a')", '1a'],
  ["lower('ABC'::char(5))", 'abc'],
  ["length('ab  '::char(5))", '2'],
  ["repeat('ab'::varchar(5), 2)", 'abab'],
  ["date_trunc('day', date '2020-01-01')", '2020-01-01 00:00:00+00'],
  ['power(2::bigint, 3)', '8'],
  ['mod(9::smallint, 4::smallint)', '1'],
  ['log(2, 8)', '3.0000000000000000'],
  // type-name function calls are casts
  ["int4('12')", '12'],
  ['int4(1.5)', '2'],
  ['int4(2.5::float8)', '2'],
  ['text(123)', '123'],
  ['text(true)', 'true'],
  ['float8(1)', '1'],
  ["date('2020-01-02')", '2020-01-02'],
  ["bool('t')", 't'],
  ['int4(true)', '1'],
  ['int8(1)', '1'],
  // errors: no such function, ambiguity, aggregate decorations
  ['substr(1234, 2)', 'ERR 42883 function substr(integer, integer) does not exist'],
  ['length(1234)', 'ERR 42883 function length(integer) does not exist'],
  ['lower(1)', 'ERR 42883 function lower(integer) does not exist'],
  ['lpad(5, 3)', 'ERR 42883 function lpad(integer, integer) does not exist'],
  ["lpad('5', 3, 0)", 'ERR 42883 function lpad(unknown, integer, integer) does not exist'],
  ['foo(1)', 'ERR 42883 function foo(integer) does not exist'],
  ['foo()', 'ERR 42883 function foo() does not exist'],
  ["foo(1, 'a', NULL)", 'ERR 42883 function foo(integer, unknown, unknown) does not exist'],
  ['concat()', 'ERR 42883 function concat() does not exist'],
  ["public.lower('a')", 'ERR 42883 function public.lower(unknown) does not exist'],
  ["nosuchschema.lower('a')", 'ERR 3F000 schema "nosuchschema" does not exist'],
  ["pg_catalog.lower('A')", 'a'],
  ['pg_catalog.foo(1)', 'ERR 42883 function pg_catalog.foo(integer) does not exist'],
  ["date_part('year', '2020-01-01')", 'ERR 42725 function date_part(unknown, unknown) is not unique'],
  ["date_trunc('day', '2020-01-01')", 'ERR 42725 function date_trunc(unknown, unknown) is not unique'],
  ["'2020-01-01' at time zone 'UTC'", '2020-01-01 00:00:00'],
  ["array_length('{1,2}', 1)", 'ERR 42804 could not determine polymorphic type because input has type unknown'],
  ["to_json('a')", 'ERR 42804 could not determine polymorphic type because input has type unknown'],
  ["lower('a') over ()", 'ERR 42809 OVER specified, but lower is not a window function nor an aggregate function'],
  ["lower(distinct 'a')", 'ERR 42809 DISTINCT specified, but lower is not an aggregate function'],
  ["lower('a' order by 'b')", 'ERR 42809 ORDER BY specified, but lower is not an aggregate function'],
  ["lower('a') filter (where true)", 'ERR 42809 FILTER specified, but lower is not an aggregate function'],
  ['lower(*)', 'ERR 42883 function lower() does not exist'],
  ['now(*)', 'ERR 42809 now(*) specified, but now is not an aggregate function'],
  ["lower(VARIADIC '{a}'::text[])", 'ERR 42883 function lower(text[]) does not exist'],
  ["concat(VARIADIC '{a,b}'::text[])", 'ab'],
  ["concat_ws('-', VARIADIC '{a,b}'::text[])", 'a-b'],
  ["format('%s-%s', VARIADIC '{a,b}'::text[])", 'a-b'],
  ['concat(VARIADIC NULL::text[])', 'NULL'],
  ["concat(VARIADIC '{1,NULL,2}'::int[])", '12'],
  ['make_interval(days => 1, hours => 2)', '1 day 02:00:00'],
  ['make_interval(1, days => 2)', '1 year 2 days'],
  ['make_interval(foo => 1)', 'ERR 42883 function make_interval(foo => integer) does not exist'],
  ["lower(a => 'x')", 'ERR 42883 function lower(a => unknown) does not exist'],
  ["jsonb_set('{\"a\":1}', '{b}', '2', create_if_missing => false)", '{"a": 1}'],
  // NULL in, NULL out (and the non-strict exceptions)
  ['lower(NULL)', 'NULL'],
  ['round(NULL)', 'NULL'],
  ['substr(NULL, 1)', 'NULL'],
  ["substr('abc', NULL)", 'NULL'],
  ['abs(NULL::int)', 'NULL'],
  ['power(NULL, 2)', 'NULL'],
  ["to_char(NULL::timestamp, 'YYYY')", 'NULL'],
  ['concat(NULL, NULL)', ''],
  ["concat_ws(',', NULL, NULL)", ''],
  ['quote_nullable(NULL)', 'NULL'],
  ['array_append(NULL::int[], NULL)', '{NULL}'],
  ["string_to_array('a,b', NULL)", '{a,",",b}'],
  ['pg_typeof(NULL::text)', 'text'],
];

describe('overload resolution, coercion and NULL handling', () => {
  it.each(CASES)('%s', (expr, expected, tz) => {
    expect(outcome(expr, tz)).toBe(expected);
  });
});
