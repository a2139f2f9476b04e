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
  // length and friends
  ["length('abc')", '3'],
  ["length('h\u00e9llo')", '5'],
  ["length('')", '0'],
  ["char_length('abc'::varchar(10))", '3'],
  ["character_length('ab')", '2'],
  ["length('ab  '::char(4))", '2'],
  ["length('ab  '::text)", '4'],
  ["octet_length('h\u00e9llo')", '6'],
  ["octet_length('ab'::char(4))", '4'],
  ["bit_length('abc')", '24'],
  ["length('\\x0102'::bytea)", '2'],
  ["lower('ABC D\u00e9j\u00e0')", 'abc d\u00e9j\u00e0'],
  ["upper('abc d\u00e9j\u00e0')", 'ABC D\u00c9J\u00c0'],
  ["initcap('hi THOMAS o''neil-smith 3rd')", "Hi Thomas O'Neil-Smith 3rd"],
  // substr / substring
  ["substr('alphabet', 3)", 'phabet'],
  ["substr('alphabet', 3, 2)", 'ph'],
  ["substr('alphabet', 0, 3)", 'al'],
  ["substr('alphabet', -2, 5)", 'al'],
  ["substr('alphabet', -5, 3)", ''],
  ["substr('alphabet', 10)", ''],
  ["substr('alphabet', 1, 0)", ''],
  ["substr('alphabet', 1, -1)", 'ERR 22000 negative substring length not allowed'], // PostgreSQL: 22011, not in the error catalogue,
  ["substring('Thomas' from 2 for 3)", 'hom'],
  ["substring('Thomas' from 3)", 'omas'],
  ["substring('Thomas' for 2)", 'Th'],
  ["substring('Thomas' from '...$')", 'mas'],
  ["substring('Thomas' from 'o(.)a')", 'm'],
  ["substring('Thomas' from 'x')", 'NULL'],
  ["substr('\\x01020304'::bytea, 2, 2)", '\\x0203'],
  // position
  ["position('om' in 'Thomas')", '3'],
  ["position('' in 'Thomas')", '1'],
  ["position('x' in 'Thomas')", '0'],
  ["strpos('high', 'ig')", '2'],
  ["strpos('h\u00e9llo', 'l')", '3'],
  // left / right / pads / trims
  ["left('abcde', 2)", 'ab'],
  ["left('abcde', -2)", 'abc'],
  ["left('abcde', 0)", ''],
  ["left('abc', 10)", 'abc'],
  ["right('abcde', 2)", 'de'],
  ["right('abcde', -2)", 'cde'],
  ["right('abc', 10)", 'abc'],
  ["lpad('hi', 5, 'xy')", 'xyxhi'],
  ["lpad('hi', 5)", '   hi'],
  ["lpad('hello', 3)", 'hel'],
  ["lpad('hi', 5, '')", 'hi'],
  ["lpad('hi', -1)", ''],
  ["rpad('hi', 5, 'xy')", 'hixyx'],
  ["rpad('hello', 2)", 'he'],
  ["ltrim('  abc  ')", 'abc  '],
  ["rtrim('  abc  ')", '  abc'],
  ["btrim('  abc  ')", 'abc'],
  ["btrim('xyxtrimyyx', 'xyz')", 'trim'],
  ["ltrim('zzzytest', 'xyz')", 'test'],
  ["rtrim('testxxzx', 'xyz')", 'test'],
  ["trim(both 'xyz' from 'yxTomxx')", 'Tom'],
  ["trim(leading 'xyz' from 'yxTomxx')", 'Tomxx'],
  ["trim(trailing 'xyz' from 'yxTomxx')", 'yxTom'],
  ["trim('  x  ')", 'x'],
  // replace / repeat / reverse / split_part
  ["replace('abcdefabcdef', 'cd', 'XX')", 'abXXefabXXef'],
  ["replace('abc', '', 'X')", 'abc'],
  ["replace('aaa', 'a', '')", ''],
  ["repeat('Pg', 4)", 'PgPgPgPg'],
  ["repeat('Pg', 0)", ''],
  ["repeat('Pg', -1)", ''],
  ["reverse('abcd\u00e9')", '\u00e9dcba'],
  ["split_part('abc~@~def~@~ghi', '~@~', 2)", 'def'],
  ["split_part('abc,def,ghi,jkl', ',', -2)", 'ghi'],
  ["split_part('abc,def', ',', 5)", ''],
  ["split_part('abc', '', 1)", 'abc'],
  ["split_part('abc', '', 2)", ''],
  ["split_part('', ',', 1)", ''],
  ["split_part('a,b', ',', 0)", 'ERR 22023 field position must not be zero'],
  // concat / concat_ws / format
  ["concat('abcde', 2, NULL, 22)", 'abcde222'],
  ["concat(1, NULL, 'a')", '1a'],
  ["concat(true, 1.50, date '2020-01-02')", 't1.502020-01-02'],
  ['concat(NULL)', ''],
  ["concat_ws(',', 'abcde', 2, NULL, 22)", 'abcde,2,22'],
  ["concat_ws(NULL, 'a', 'b')", 'NULL'],
  ["concat_ws(',', NULL)", ''],
  ["format('Hello %s, %1$s', 'World')", 'Hello World, World'],
  ["format('Testing %s, %s, %s, %%', 'one', 'two', 'three')", 'Testing one, two, three, %'],
  ["format('INSERT INTO %I VALUES(%L)', 'Foo bar', E'O\\'Reilly')", "INSERT INTO \"Foo bar\" VALUES('O''Reilly')"],
  [
    "format('INSERT INTO %I VALUES(%L)', 'locations', 'C:\\Program Files')",
    "INSERT INTO locations VALUES(E'C:\\\\Program Files')",
  ],
  ["format('|%10s|', 'foo')", '|       foo|'],
  ["format('|%-10s|', 'foo')", '|foo       |'],
  ["format('|%*s|', 10, 'foo')", '|       foo|'],
  ["format('|%-*s|', 10, 'foo')", '|foo       |'],
  ["format('%3$s %1$s %s', 'a', 'b', 'c')", 'c a b'],
  ["format('%s', NULL)", ''],
  ["format('%L', NULL)", 'NULL'],
  ["format(NULL, 'a')", 'NULL'],
  ["format('no args')", 'no args'],
  ["format('%s %s', 1)", 'ERR 22023 too few arguments for format()'],
  ["format('%z', 1)", 'ERR 22023 unrecognized format() type specifier "z"'],
  ["format('%', 1)", 'ERR 22023 unterminated format() type specifier'],
  ["format('%I', NULL)", 'ERR 22004 null values cannot be formatted as an SQL identifier'],
  ["format('%s %s', true, 1.5)", 't 1.5'],
  // hashing, characters
  ["md5('abc')", '900150983cd24fb0d6963f7d28e17f72'],
  ["md5('')", 'd41d8cd98f00b204e9800998ecf8427e'],
  ['chr(65)', 'A'],
  ['chr(233)', '\u00e9'],
  ['chr(0)', 'ERR 54000 null character not permitted'],
  ['chr(-1)', 'ERR 22023 character number must be positive'],
  ['chr(1114112)', 'ERR 54000 requested character too large for encoding: 1114112'],
  ['chr(55296)', 'ERR 54000 requested character not valid for encoding: 55296'],
  ["ascii('x')", '120'],
  ["ascii('\u00e9')", '233'],
  ["ascii('')", '0'],
  ["starts_with('alphabet', 'alph')", 't'],
  ["starts_with('alphabet', 'bet')", 'f'],
  ["translate('12345', '143', 'ax')", 'a2x5'],
  ["translate('abc', 'abc', 'xyzq')", 'xyz'],
  ['to_hex(2147483647)', '7fffffff'],
  ['to_hex(-1)', 'ffffffff'],
  ['to_hex(255::bigint)', 'ff'],
  ['to_hex(-1::bigint)', 'ffffffffffffffff'],
  ['to_hex(0)', '0'],
  // quoting
  ["quote_ident('Foo bar')", '"Foo bar"'],
  ["quote_ident('foo')", 'foo'],
  ["quote_ident('select')", '"select"'],
  ["quote_ident('a\"b')", '"a""b"'],
  ["quote_ident('_x1$')", '"_x1$"'],
  ["quote_literal(E'O\\'Reilly')", "'O''Reilly'"],
  ["quote_literal(E'back\\\\slash')", "E'back\\\\slash'"],
  ['quote_literal(42.5)', "'42.5'"],
  ['quote_literal(NULL)', 'NULL'],
  ['quote_nullable(NULL)', 'NULL'],
  ['quote_nullable(42)', "'42'"],
  ["quote_nullable('x')", "'x'"],
  // overlay
  ["overlay('Txxxxas' placing 'hom' from 2 for 4)", 'Thomas'],
  ["overlay('Txxxxas' placing 'hom' from 2)", 'Thomxas'],
  ["overlay('abc' placing 'X' from 10)", 'abcX'],
  ["overlay('abc' placing 'X' from 0)", 'ERR 22000 negative substring length not allowed'], // PostgreSQL: 22011, not in the error catalogue,
  // regular expressions
  ["regexp_replace('Thomas', '.[mN]a.', 'M')", 'ThM'],
  ["regexp_replace('foobarbaz', 'b..', 'X', 'g')", 'fooXX'],
  ["regexp_replace('foobarbaz', 'b(..)', 'X\\1Y', 'g')", 'fooXarYXazY'],
  ["regexp_replace('ABC', 'b', 'x', 'gi')", 'AxC'],
  ["regexp_replace('abc', 'b', '[\\&]')", 'a[b]c'],
  ["regexp_replace('abc', 'b', 'x', 'z')", 'ERR 22023 invalid regular expression option: "z"'],
  ["regexp_replace('abc', '(', 'x')", 'ERR 2201B invalid regular expression: parentheses () not balanced'],
  ["regexp_replace('a1b22c333', '[[:digit:]]+', '#', 'g')", 'a#b#c#'],
  ["regexp_match('foobarbequebaz', 'bar.*que')", '{barbeque}'],
  ["regexp_match('foobarbequebaz', '(bar)(beque)')", '{bar,beque}'],
  ["regexp_match('abc', 'x')", 'NULL'],
  ["regexp_match('abc', '(x)?b')", '{NULL}'],
  ["regexp_match('ABC', 'b', 'i')", '{B}'],
  ["regexp_match('abc', 'b', 'g')", 'ERR 22023 regexp_match() does not support the "global" option'],
  ["regexp_like('Hello World', 'world$', 'i')", 't'],
  ["regexp_like('Hello World', 'world$')", 'f'],
  ["regexp_count('ABCABCAXYaxy', 'A.')", '3'],
  ["regexp_count('ABCABCAXYaxy', 'A.', 1, 'i')", '4'],
  ["regexp_split_to_array('hello world', '\\s+')", '{hello,world}'],
  ["regexp_split_to_array('abc', '')", '{a,b,c}'],
  ["regexp_split_to_array('a,b,,c', ',')", '{a,b,"",c}'],
  // arrays and strings
  ["string_to_array('xx~~yy~~zz', '~~', 'yy')", '{xx,NULL,zz}'],
  ["string_to_array('a,b,,c', ',')", '{a,b,"",c}'],
  ["string_to_array('abc', NULL)", '{a,b,c}'],
  ["string_to_array('abc', '')", '{abc}'],
  ["string_to_array('', ',')", '{}'],
  ["string_to_array(NULL, ',')", 'NULL'],
  ["array_to_string('{1,2,3,NULL,5}'::int[], ',', '*')", '1,2,3,*,5'],
  ["array_to_string('{1,2,3,NULL,5}'::int[], ',')", '1,2,3,5'],
  ["array_to_string('{a,b}'::text[], NULL)", 'NULL'],
  ["array_to_string('{}'::text[], ',')", ''],
  ["array_to_string('{1.5,2}'::numeric[], '; ')", '1.5; 2'],
];

describe('string functions', () => {
  it.each(CASES)('%s', (expr, expected, tz) => {
    expect(outcome(expr, tz)).toBe(expected);
  });
});
