import { beforeAll, describe, expect, it } from 'vitest';
import { type Expr, initParser, parseOne, type StatementOf } from '../src/parser/index.js';

beforeAll(async () => {
  await initParser();
});

/** The first target expression of `SELECT <text>`. */
function expr(text: string): Expr {
  const s = parseOne(`SELECT ${text}`) as StatementOf<'select'>;
  if (s.body.kind !== 'selectCore') throw new Error('expected a plain SELECT');
  const t = s.body.targets[0];
  if (t === undefined) throw new Error('no target');
  return t.expr;
}

const col = (...names: string[]) => ({ kind: 'columnRef', names });
const int = (value: number) => ({ kind: 'integer', type: 'int4', value });
const str = (value: string) => ({ kind: 'string', value, type: 'unknown' });

describe('parser: constants', () => {
  it.each<[string, object]>([
    ['1', { kind: 'integer', type: 'int4', value: 1, text: '1' }],
    ['0', { kind: 'integer', type: 'int4', value: 0 }],
    ['-1', { kind: 'integer', type: 'int4', value: -1 }],
    ['2147483647', { kind: 'integer', type: 'int4', value: 2147483647 }],
    ['2147483648', { kind: 'integer', type: 'int8', value: 2147483648n, text: '2147483648' }],
    ['-2147483648', { kind: 'integer', type: 'int4', value: -2147483648 }],
    ['9223372036854775807', { kind: 'integer', type: 'int8', value: 9223372036854775807n }],
    ['9223372036854775808', { kind: 'numeric', text: '9223372036854775808' }],
    ['1.50', { kind: 'numeric', text: '1.50' }],
    ['.5', { kind: 'numeric', text: '.5' }],
    ['1e5', { kind: 'numeric', text: '1e5' }],
    ["'abc'", { kind: 'string', value: 'abc', type: 'unknown' }],
    ["''", { kind: 'string', value: '' }],
    ["E'a\\nb'", { kind: 'string', value: 'a\nb' }],
    ["'it''s'", { kind: 'string', value: "it's" }],
    ["B'0101'", { kind: 'bitString', radix: 'binary', digits: '0101' }],
    ["X'1F'", { kind: 'bitString', radix: 'hex', digits: '1F' }],
    ['NULL', { kind: 'null' }],
    ['TRUE', { kind: 'boolean', value: true }],
    ['false', { kind: 'boolean', value: false }],
    ['$3', { kind: 'param', number: 3 }],
    [
      "date '2024-01-01'",
      { kind: 'typedLiteral', value: '2024-01-01', type: { kind: 'typeName', names: ['date'], typmods: [] } },
    ],
    ["interval '1 day'", { kind: 'typedLiteral', value: '1 day', type: { names: ['pg_catalog', 'interval'] } }],
    ["timestamptz '2024-01-01 00:00+00'", { kind: 'typedLiteral', type: { names: ['timestamptz'] } }],
  ])('%s', (text, shape) => {
    expect(expr(text)).toMatchObject(shape);
  });
});

describe('parser: names, operators and predicates', () => {
  it.each<[string, object]>([
    ['a', col('a')],
    ['t.a', col('t', 'a')],
    ['s.t.a', col('s', 't', 'a')],
    ['"MixedCase"', col('MixedCase')],
    ['*', { kind: 'star', qualifier: [] }],
    ['t.*', { kind: 'star', qualifier: ['t'] }],
    ['a + 1', { kind: 'binaryOp', op: '+', left: col('a'), right: int(1) }],
    ["a || 'x'", { kind: 'binaryOp', op: '||' }],
    ["j ->> 'k'", { kind: 'binaryOp', op: '->>', right: str('k') }],
    ["j @> '{}'", { kind: 'binaryOp', op: '@>' }],
    ['a != b', { kind: 'binaryOp', op: '<>' }],
    ['a >= b', { kind: 'binaryOp', op: '>=' }],
    ['OPERATOR(pg_catalog.+)(1)', { kind: 'unaryOp', op: '+', opSchema: 'pg_catalog' }],
    ['-a', { kind: 'unaryOp', op: '-', operand: col('a') }],
    ['NOT a', { kind: 'not', arg: col('a') }],
    ['a AND b AND c', { kind: 'and', args: [col('a'), col('b'), col('c')] }],
    ['a OR b', { kind: 'or', args: [col('a'), col('b')] }],
    ["a LIKE 'x%'", { kind: 'like', mode: 'like', negated: false, expr: col('a'), pattern: str('x%') }],
    ["a NOT LIKE 'x' ESCAPE '!'", { kind: 'like', mode: 'like', negated: true, pattern: str('x'), escape: str('!') }],
    ["a ILIKE 'x'", { kind: 'like', mode: 'ilike', negated: false }],
    ["a NOT ILIKE 'x'", { kind: 'like', mode: 'ilike', negated: true }],
    ["a SIMILAR TO 'x'", { kind: 'like', mode: 'similar', negated: false, pattern: str('x') }],
    ["a NOT SIMILAR TO 'x' ESCAPE 'e'", { kind: 'like', mode: 'similar', negated: true, escape: str('e') }],
    ["a ~~ 'x'", { kind: 'binaryOp', op: '~~' }],
    ['a IS NULL', { kind: 'isNull', negated: false, expr: col('a') }],
    ['a IS NOT NULL', { kind: 'isNull', negated: true }],
    ['a ISNULL', { kind: 'isNull', negated: false }],
    ['a IS TRUE', { kind: 'isBool', test: 'true', negated: false }],
    ['a IS NOT FALSE', { kind: 'isBool', test: 'false', negated: true }],
    ['a IS UNKNOWN', { kind: 'isBool', test: 'unknown', negated: false }],
    ['a IS NOT UNKNOWN', { kind: 'isBool', test: 'unknown', negated: true }],
    ['a IS DISTINCT FROM b', { kind: 'isDistinctFrom', negated: false, left: col('a'), right: col('b') }],
    ['a IS NOT DISTINCT FROM b', { kind: 'isDistinctFrom', negated: true }],
    ['a BETWEEN 1 AND 2', { kind: 'between', negated: false, symmetric: false, low: int(1), high: int(2) }],
    ['a NOT BETWEEN SYMMETRIC 2 AND 1', { kind: 'between', negated: true, symmetric: true }],
    ['a IN (1, 2)', { kind: 'inList', negated: false, expr: col('a'), list: [int(1), int(2)] }],
    ['a NOT IN (1)', { kind: 'inList', negated: true, list: [int(1)] }],
    ['a IN (SELECT b FROM t)', { kind: 'inSubquery', negated: false, query: { kind: 'select' } }],
    ['a NOT IN (SELECT b FROM t)', { kind: 'inSubquery', negated: true, expr: col('a') }],
    ['a = ANY(ARRAY[1, 2])', { kind: 'quantified', op: '=', quantifier: 'any', right: { kind: 'array' } }],
    ['a < ALL($1)', { kind: 'quantified', op: '<', quantifier: 'all', right: { kind: 'param', number: 1 } }],
    ['a = SOME(SELECT 1)', { kind: 'quantifiedSubquery', op: '=', quantifier: 'any' }],
    ['a > ALL(SELECT 1)', { kind: 'quantifiedSubquery', op: '>', quantifier: 'all' }],
    ['EXISTS (SELECT 1)', { kind: 'exists', query: { kind: 'select' } }],
    ['(SELECT max(a) FROM t)', { kind: 'subquery', query: { body: { kind: 'selectCore' } } }],
    ['ARRAY(SELECT 1)', { kind: 'arraySubquery' }],
    ['ARRAY[1, 2]', { kind: 'array', elements: [int(1), int(2)] }],
    ['ARRAY[[1], [2]]', { kind: 'array', elements: [{ kind: 'array' }, { kind: 'array' }] }],
    ['a[1]', { kind: 'subscript', expr: col('a'), index: int(1) }],
    ['a[1:2]', { kind: 'slice', expr: col('a'), lower: int(1), upper: int(2) }],
    ['a[:2]', { kind: 'slice', upper: int(2) }],
    ['a[1][2]', { kind: 'subscript', expr: { kind: 'subscript', index: int(1) }, index: int(2) }],
    ['(a).b', { kind: 'fieldAccess', expr: col('a'), field: 'b' }],
    ['ROW(1, 2)', { kind: 'row', explicit: true, args: [int(1), int(2)] }],
    ['(1, 2)', { kind: 'row', explicit: false }],
    ['a COLLATE "C"', { kind: 'collate', expr: col('a'), collation: ['C'] }],
    ['CASE WHEN a THEN 1 ELSE 2 END', { kind: 'case', whens: [{ condition: col('a'), result: int(1) }], else: int(2) }],
    ['CASE a WHEN 1 THEN 2 END', { kind: 'case', operand: col('a'), whens: [{ condition: int(1), result: int(2) }] }],
    ['COALESCE(a, b, 1)', { kind: 'coalesce', args: [col('a'), col('b'), int(1)] }],
    ['NULLIF(a, b)', { kind: 'nullif', left: col('a'), right: col('b') }],
    ['GREATEST(1, 2)', { kind: 'minMax', op: 'greatest' }],
    ['LEAST(1, 2)', { kind: 'minMax', op: 'least' }],
    ['CAST(a AS bigint)', { kind: 'cast', expr: col('a'), type: { names: ['pg_catalog', 'int8'] } }],
    ['a::text', { kind: 'cast', type: { names: ['text'], typmods: [], arrayBounds: [] } }],
    [
      'a::varchar(10)[]',
      { kind: 'cast', type: { names: ['pg_catalog', 'varchar'], typmods: [10], arrayBounds: [-1] } },
    ],
    ['a::numeric(10, 2)', { kind: 'cast', type: { names: ['pg_catalog', 'numeric'], typmods: [10, 2] } }],
    ['a::int[3][]', { kind: 'cast', type: { arrayBounds: [3, -1] } }],
    ['a::s.my_type', { kind: 'cast', type: { names: ['s', 'my_type'] } }],
    ['a::timestamp(3) with time zone', { kind: 'cast', type: { names: ['pg_catalog', 'timestamptz'], typmods: [3] } }],
    ['CURRENT_DATE', { kind: 'sqlValueFunction', fn: 'current_date' }],
    ['CURRENT_TIMESTAMP', { kind: 'sqlValueFunction', fn: 'current_timestamp' }],
    ['CURRENT_TIMESTAMP(3)', { kind: 'sqlValueFunction', fn: 'current_timestamp', precision: 3 }],
    ['LOCALTIMESTAMP', { kind: 'sqlValueFunction', fn: 'localtimestamp' }],
    ['LOCALTIME', { kind: 'sqlValueFunction', fn: 'localtime' }],
    ['CURRENT_USER', { kind: 'sqlValueFunction', fn: 'current_user' }],
    ['SESSION_USER', { kind: 'sqlValueFunction', fn: 'session_user' }],
    ['CURRENT_SCHEMA', { kind: 'sqlValueFunction', fn: 'current_schema' }],
  ])('%s', (text, shape) => {
    expect(expr(text)).toMatchObject(shape);
  });

  it('omits absent optional fields and precision', () => {
    const e = expr('CURRENT_DATE');
    expect('precision' in e).toBe(false);
    const c = expr('CASE WHEN a THEN 1 END');
    expect('else' in c).toBe(false);
    expect('operand' in c).toBe(false);
  });
});

describe('parser: function calls', () => {
  it.each<[string, object]>([
    ['now()', { kind: 'funcCall', name: ['now'], args: [], star: false, distinct: false, sqlSyntax: false }],
    ['pg_catalog.lower(a)', { kind: 'funcCall', name: ['pg_catalog', 'lower'], args: [col('a')] }],
    ['count(*)', { kind: 'funcCall', name: ['count'], star: true, args: [] }],
    ['count(DISTINCT a)', { kind: 'funcCall', distinct: true, args: [col('a')] }],
    [
      "string_agg(a, ',' ORDER BY b DESC)",
      { kind: 'funcCall', orderBy: [{ kind: 'sortItem', expr: col('b'), direction: 'desc' }] },
    ],
    ['sum(a) FILTER (WHERE a > 0)', { kind: 'funcCall', filter: { kind: 'binaryOp', op: '>' } }],
    [
      'percentile_cont(0.5) WITHIN GROUP (ORDER BY a)',
      { kind: 'funcCall', withinGroup: true, orderBy: [{ expr: col('a') }] },
    ],
    ['f(VARIADIC ARRAY[1])', { kind: 'funcCall', variadic: true }],
    ['f(a => 1)', { kind: 'funcCall', args: [{ kind: 'namedArg', name: 'a', value: int(1) }] }],
    [
      'EXTRACT(year FROM d)',
      { kind: 'funcCall', name: ['pg_catalog', 'extract'], args: [str('year'), col('d')], sqlSyntax: true },
    ],
    [
      "POSITION('a' IN b)",
      { kind: 'funcCall', name: ['pg_catalog', 'position'], args: [col('b'), str('a')], sqlSyntax: true },
    ],
    [
      'SUBSTRING(a FROM 1 FOR 2)',
      { kind: 'funcCall', name: ['pg_catalog', 'substring'], args: [col('a'), int(1), int(2)] },
    ],
    ["TRIM(BOTH 'x' FROM y)", { kind: 'funcCall', name: ['pg_catalog', 'btrim'], args: [col('y'), str('x')] }],
    ["TRIM(LEADING 'x' FROM y)", { kind: 'funcCall', name: ['pg_catalog', 'ltrim'] }],
    ["OVERLAY(a PLACING 'b' FROM 1 FOR 2)", { kind: 'funcCall', name: ['pg_catalog', 'overlay'] }],
    ["a AT TIME ZONE 'UTC'", { kind: 'funcCall', name: ['pg_catalog', 'timezone'], args: [str('UTC'), col('a')] }],
  ])('%s', (text, shape) => {
    expect(expr(text)).toMatchObject(shape);
  });

  it('maps window specifications and frames', () => {
    expect(expr('row_number() OVER (PARTITION BY a ORDER BY b DESC NULLS LAST)')).toMatchObject({
      kind: 'funcCall',
      over: {
        kind: 'windowSpec',
        partitionBy: [col('a')],
        orderBy: [{ expr: col('b'), direction: 'desc', nulls: 'last' }],
      },
    });
    expect('frame' in ((expr('rank() OVER ()') as { over: object }).over as object)).toBe(false);
    expect(expr('sum(a) OVER w')).toMatchObject({ over: { baseWindow: 'w', partitionBy: [], orderBy: [] } });
    expect(expr('sum(a) OVER (w ORDER BY b)')).toMatchObject({
      over: { baseWindow: 'w', orderBy: [{ expr: col('b') }] },
    });
    expect(
      expr('sum(a) OVER (ORDER BY b ROWS BETWEEN 1 PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW)'),
    ).toMatchObject({
      over: {
        frame: {
          mode: 'rows',
          start: { kind: 'preceding', offset: int(1) },
          end: { kind: 'unboundedFollowing' },
          exclude: 'currentRow',
        },
      },
    });
    expect(expr('sum(a) OVER (ORDER BY b RANGE UNBOUNDED PRECEDING)')).toMatchObject({
      over: {
        frame: {
          mode: 'range',
          start: { kind: 'unboundedPreceding' },
          end: { kind: 'currentRow' },
          exclude: 'noOthers',
        },
      },
    });
    expect(expr('sum(a) OVER (ORDER BY b GROUPS BETWEEN CURRENT ROW AND 2 FOLLOWING EXCLUDE TIES)')).toMatchObject({
      over: {
        frame: {
          mode: 'groups',
          start: { kind: 'currentRow' },
          end: { kind: 'following', offset: int(2) },
          exclude: 'ties',
        },
      },
    });
    expect(
      expr("sum(a) OVER (ORDER BY b RANGE BETWEEN INTERVAL '1 day' PRECEDING AND CURRENT ROW EXCLUDE GROUP)"),
    ).toMatchObject({
      over: {
        frame: { mode: 'range', start: { kind: 'preceding', offset: { kind: 'typedLiteral' } }, exclude: 'group' },
      },
    });
  });
});

describe('parser: locations', () => {
  it('gives every node its offset in the statement text', () => {
    const s = parseOne('SELECT a + 1 FROM t WHERE b IS NULL') as StatementOf<'select'>;
    if (s.body.kind !== 'selectCore') throw new Error('expected selectCore');
    const target = s.body.targets[0];
    expect(target?.expr).toMatchObject({
      kind: 'binaryOp',
      location: 9,
      left: { location: 7 },
      right: { location: 11 },
    });
    expect(s.body.from[0]).toMatchObject({ kind: 'table', location: 18 });
    expect(s.body.where).toMatchObject({ kind: 'isNull', location: 28, expr: { location: 26 } });
  });

  it('counts UTF-16 units in non-ASCII text and is relative to the statement', () => {
    const s = parseOne("SELECT 'héllo', 'x'") as StatementOf<'select'>;
    if (s.body.kind !== 'selectCore') throw new Error('expected selectCore');
    expect(s.body.targets[1]?.expr.location).toBe(16);
    expect(s.span.text.slice(16)).toBe("'x'");
  });
});
