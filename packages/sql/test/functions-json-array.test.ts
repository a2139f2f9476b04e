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
  // to_json / to_jsonb
  ["to_json('abc'::text)", '"abc"'],
  ['to_json(1.50)', '1.50'],
  ['to_json(42)', '42'],
  ["to_json('NaN'::float8)", '"NaN"'],
  ['to_json(1e20::float8)', '1e+20'],
  ["to_json(timestamp '2020-01-02 03:04:05.5')", '"2020-01-02T03:04:05.5"'],
  ["to_json(timestamptz '2020-01-02 03:04:05.5+00')", '"2020-01-02T03:04:05.5+00:00"'],
  ["to_json(date '2020-01-02')", '"2020-01-02"'],
  ["to_json('{1,2}'::int[])", '[1,2]'],
  ["to_json('{a,NULL}'::text[])", '["a",null]'],
  ['to_json(true)', 'true'],
  ["to_json(interval '1 day')", '"1 day"'],
  ['to_json(\'{"a":1}\'::jsonb)', '{"a": 1}'],
  ['to_json(\'{"a" :  1}\'::json)', '{"a" :  1}'],
  ["to_json(E'a\"b\\n'::text)", '"a\\"b\\n"'],
  ["to_json('a')", 'ERR 42804 could not determine polymorphic type because input has type unknown'],
  ['to_json(NULL::int)', 'NULL'],
  ["to_jsonb('{1,NULL}'::int[])", '[1, null]'],
  ["to_jsonb(timestamp '2020-01-02')", '"2020-01-02T00:00:00"'],
  ['to_jsonb(1e3::float8)', '1000'],
  ['to_jsonb(1.5::float4)', '1.5'],
  ['to_jsonb(1e20::float8)', '100000000000000000000'],
  ["to_jsonb('Infinity'::float8)", '"Infinity"'],
  ["to_jsonb('x'::text)", '"x"'],
  ['to_jsonb(\'{"b":1,"a":2}\'::json)', '{"a": 2, "b": 1}'],
  // build
  [
    "json_build_object('a', 1, 'b', 'x', 'c', NULL, 'd', '{\"z\":1}'::json)",
    '{"a" : 1, "b" : "x", "c" : null, "d" : {"z":1}}',
  ],
  ['json_build_object(1, 2, true, false)', '{"1" : 2, "true" : false}'],
  ["json_build_array(1, 'a', NULL, true)", '[1, "a", null, true]'],
  ["json_build_array('{1,2}'::int[], 2.50)", '[[1,2], 2.50]'],
  ["jsonb_build_object('b', 1, 'a', '{\"z\":1}'::json)", '{"a": {"z": 1}, "b": 1}'],
  ["jsonb_build_object('a', 1, 'a', 2)", '{"a": 2}'],
  ["jsonb_build_array(1, 'a', NULL)", '[1, "a", null]'],
  ['json_build_object()', '{}'],
  ['json_build_array()', '[]'],
  ['jsonb_build_object()', '{}'],
  ['jsonb_build_array()', '[]'],
  ["json_build_object('a')", 'ERR 22023 argument list must have even number of elements'],
  ['json_build_object(NULL, 1)', 'ERR 22023 argument 1 cannot be null'],
  ["jsonb_build_object('a', 1, 'b')", 'ERR 22023 argument list must have even number of elements'],
  // typeof, length, paths
  ['jsonb_typeof(\'{"a":1}\')', 'object'],
  ["jsonb_typeof('[1]')", 'array'],
  ['jsonb_typeof(\'"x"\')', 'string'],
  ["jsonb_typeof('1.5')", 'number'],
  ["jsonb_typeof('true')", 'boolean'],
  ["jsonb_typeof('null')", 'null'],
  ["json_typeof('{}')", 'object'],
  ["json_typeof(' [ ] ')", 'array'],
  ["jsonb_array_length('[1,2,[3]]')", '3'],
  ["jsonb_array_length('[]')", '0'],
  ["json_array_length('[1,2]')", '2'],
  ['jsonb_array_length(\'{"a":1}\')', 'ERR 22023 cannot get array length of a non-array'],
  ["jsonb_array_length('1')", 'ERR 22023 cannot get array length of a scalar'],
  ["jsonb_extract_path('{\"a\":{\"b\":[1,2]}}', 'a', 'b', '1')", '2'],
  ["jsonb_extract_path('{\"a\":{\"b\":[1,2]}}', 'a', 'x')", 'NULL'],
  ["jsonb_extract_path('{\"a\":{\"b\":[1,2]}}', 'a', 'b', '-1')", '2'],
  ['jsonb_extract_path_text(\'{"a":{"b":"x"}}\', \'a\', \'b\')', 'x'],
  ["jsonb_extract_path_text('{\"a\":{\"b\":null}}', 'a', 'b')", 'NULL'],
  ["jsonb_extract_path_text('{\"a\":{\"b\":[1, 2]}}', 'a', 'b')", '[1, 2]'],
  ["json_extract_path('{\"a\":{\"b\":[1,2]}}', 'a', 'b')", '[1,2]'],
  ['json_extract_path_text(\'{"a":{"b":"x"}}\', \'a\', \'b\')', 'x'],
  ['jsonb_extract_path(\'{"a":{"b":1}}\', VARIADIC \'{a,b}\'::text[])', '1'],
  // pretty, strip_nulls, set
  [
    'jsonb_pretty(\'{"a":[1,{"b":null}],"c":{}, "d": []}\')',
    '{\n    "a": [\n        1,\n        {\n            "b": null\n        }\n    ],\n    "c": {\n    },\n    "d": [\n    ]\n}',
  ],
  ["jsonb_pretty('[]')", '[\n]'],
  ['jsonb_pretty(\'"x"\')', '"x"'],
  ['jsonb_strip_nulls(\'{"a":1,"b":null,"c":[null,{"d":null}]}\')', '{"a": 1, "c": [null, {}]}'],
  ["jsonb_set('{\"a\":1}', '{b}', '2')", '{"a": 1, "b": 2}'],
  ["jsonb_set('{\"a\":[1,2]}', '{a,0}', '9')", '{"a": [9, 2]}'],
  ["jsonb_set('{\"a\":1}', '{b,c}', '2')", '{"a": 1}'],
  ["jsonb_set('{\"a\":1}', '{b}', '2', false)", '{"a": 1}'],
  ["jsonb_set('{\"a\":[1,2]}', '{a,5}', '9')", '{"a": [1, 2, 9]}'],
  ["jsonb_set('{\"a\":[1,2]}', '{a,-5}', '9')", '{"a": [9, 1, 2]}'],
  ["jsonb_set('{\"a\":[1,2]}', '{a,x}', '9')", 'ERR 22P02 path element at position 2 is not an integer: "x"'],
  ["jsonb_set('1', '{a}', '9')", 'ERR 22023 cannot set path in scalar'],
  // arrays
  ["array_length('{1,2,3}'::int[], 1)", '3'],
  ["array_length('{1,2,3}'::int[], 2)", 'NULL'],
  ["array_length('{}'::int[], 1)", 'NULL'],
  ["array_length('{1,2}', 1)", 'ERR 42804 could not determine polymorphic type because input has type unknown'],
  ["array_upper('{1,2,3}'::int[], 1)", '3'],
  ["array_lower('{1,2,3}'::int[], 1)", '1'],
  ["array_lower('{}'::int[], 1)", 'NULL'],
  ["array_ndims('{1,2}'::int[])", '1'],
  ["array_dims('{1,2,3}'::int[])", '[1:3]'],
  ["cardinality('{1,2,3}'::int[])", '3'],
  ["cardinality('{}'::text[])", '0'],
  ["array_append('{1,2}'::int[], 3)", '{1,2,3}'],
  ["array_append('{1,2}', '3')", '{1,2,3}'],
  ['array_append(NULL::int[], 3)', '{3}'],
  ["array_append('{1,2}'::int[], NULL)", '{1,2,NULL}'],
  ["array_append('{1,2}'::int[], 2.5)", '{1,2,2.5}'],
  ["array_prepend(1, '{2,3}'::int[])", '{1,2,3}'],
  ["array_prepend('x', NULL::text[])", '{x}'],
  ["array_cat('{1,2}'::int[], '{3,4}'::int[])", '{1,2,3,4}'],
  ["array_cat('{1}'::int[], '{2.5}'::numeric[])", '{1,2.5}'],
  ["array_cat(NULL::int[], '{3}'::int[])", '{3}'],
  ["array_cat('{a}'::text[], '{1}'::int[])", 'ERR 42883 function array_cat(text[], integer[]) does not exist'],
  ["array_position('{a,b,c,b}'::text[], 'b')", '2'],
  ["array_position('{a,b,c,b}'::text[], 'b', 3)", '4'],
  ["array_position('{a,b}'::text[], 'x')", 'NULL'],
  ["array_position('{1,NULL,3}'::int[], NULL)", '2'],
  ["array_position('{1,2}'::int[], 2.0)", '2'],
  ["array_positions('{A,A,B,A}'::text[], 'A')", '{1,2,4}'],
  ["array_remove('{1,2,3,2}'::int[], 2)", '{1,3}'],
  ["array_remove('{1,NULL,2,NULL}'::int[], NULL)", '{1,2}'],
  ['array_remove(NULL::int[], 1)', 'NULL'],
  ["array_replace('{1,2,5,4}'::int[], 5, 3)", '{1,2,3,4}'],
  ["array_fill(7, '{3}')", '{7,7,7}'],
  // misc
  ['pg_typeof(1)', 'integer'],
  ["pg_typeof('a'::varchar(3))", 'character varying'],
  ['pg_typeof(1.5)', 'numeric'],
  ['pg_typeof(NULL)', 'unknown'],
  ["pg_typeof('a')", 'unknown'],
  ["pg_typeof('{1}'::int[])", 'integer[]'],
  ['pg_typeof(now())', 'timestamp with time zone'],
  ['pg_typeof(1::bigint + 1)', 'bigint'],
  ['pg_typeof(extract(year from now()))', 'numeric'],
  ["pg_typeof(date_part('year', now()))", 'double precision'],
  ['num_nulls(1, NULL, 2)', '1'],
  ['num_nonnulls(1, NULL, 2)', '2'],
  ["num_nulls(VARIADIC '{1,NULL}'::int[])", '1'],
  ['current_database()', 'postgres'],
  ['current_schema()', 'public'],
];

describe('json, array and system functions', () => {
  it.each(CASES)('%s', (expr, expected, tz) => {
    expect(outcome(expr, tz)).toBe(expected);
  });
});
