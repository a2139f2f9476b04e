import { isThinkLiteError } from '@thinklite/base';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, parse, parseOne, type StatementOf } from '../src/parser/index.js';

beforeAll(async () => {
  await initParser();
});

function select(sql: string): StatementOf<'select'> {
  const s = parseOne(sql);
  if (s.kind !== 'select') throw new Error(`expected select, got ${s.kind}`);
  return s;
}

function thrown(fn: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    if (!isThinkLiteError(e)) throw e;
    return { code: e.code, message: e.message, details: { ...e.details } };
  }
  throw new Error('expected an error');
}

describe('parser: AS OF SYSTEM TIME', () => {
  it('is cut out of a SELECT after the FROM clause and attached to it', () => {
    const s = select("SELECT * FROM t AS OF SYSTEM TIME '-1s' WHERE a = 1 ORDER BY a LIMIT 2");
    expect(s).toMatchObject({
      asOfSystemTime: { kind: 'string', value: '-1s', location: 34 },
      body: { from: [{ kind: 'table', name: ['t'] }], where: { kind: 'binaryOp', op: '=' } },
      orderBy: [{ expr: { kind: 'columnRef', names: ['a'] } }],
      limit: { kind: 'integer', value: 2 },
    });
    expect(s.body.kind === 'selectCore' && s.body.from[0]).not.toHaveProperty('alias');
    // The statement text is the user's, clause included.
    expect(s.span.text).toBe("SELECT * FROM t AS OF SYSTEM TIME '-1s' WHERE a = 1 ORDER BY a LIMIT 2");
  });

  it.each<[string, object]>([
    ["SELECT * FROM t AS OF SYSTEM TIME '-1s'", { asOfSystemTime: { kind: 'string', value: '-1s' } }],
    [
      "select * from t as x as of system time '-1s'",
      { body: { from: [{ alias: { name: 'x' } }] }, asOfSystemTime: {} },
    ],
    [
      'SELECT * FROM a, b AS OF SYSTEM TIME follower_read_timestamp() GROUP BY 1',
      {
        body: { from: [{}, {}], groupBy: [{}] },
        asOfSystemTime: { kind: 'funcCall', name: ['follower_read_timestamp'] },
      },
    ],
    [
      "SELECT * FROM a JOIN b ON a.x = b.x AS OF SYSTEM TIME now() - interval '10s' FOR UPDATE",
      {
        asOfSystemTime: { kind: 'binaryOp', op: '-', right: { kind: 'typedLiteral' } },
        locking: [{ strength: 'update' }],
      },
    ],
    ['SELECT * FROM t AS OF SYSTEM TIME 1700000000000000000', { asOfSystemTime: { kind: 'integer', type: 'int8' } }],
    ["SELECT * FROM t AS OF SYSTEM TIME '2024-01-01 00:00:00'", { asOfSystemTime: { kind: 'string' } }],
    ['SELECT * FROM t AS OF SYSTEM TIME $1', { asOfSystemTime: { kind: 'param', number: 1 } }],
    [
      "SELECT * FROM (SELECT 1) AS s AS OF SYSTEM TIME '-1s' WHERE true",
      { body: { from: [{ kind: 'subquery' }], where: { kind: 'boolean' } }, asOfSystemTime: {} },
    ],
    ["SELECT * FROM t /* c */ AS -- x\n OF SYSTEM TIME '-1s'", { asOfSystemTime: { value: '-1s' } }],
  ])('%s', (sql, shape) => {
    expect(parseOne(sql)).toMatchObject(shape);
  });

  it('reaches into EXPLAIN', () => {
    expect(parseOne("EXPLAIN SELECT * FROM t AS OF SYSTEM TIME '-1s'")).toMatchObject({
      kind: 'explain',
      statement: { kind: 'select', asOfSystemTime: { value: '-1s' } },
    });
  });

  it('is a BEGIN option', () => {
    expect(parseOne("BEGIN AS OF SYSTEM TIME '-5s'")).toMatchObject({
      kind: 'begin',
      asOfSystemTime: { value: '-5s' },
    });
    expect(parseOne("BEGIN TRANSACTION AS OF SYSTEM TIME '-5s'")).toMatchObject({ kind: 'begin', asOfSystemTime: {} });
    expect(parseOne("BEGIN ISOLATION LEVEL SERIALIZABLE, AS OF SYSTEM TIME '-5s'")).toMatchObject({
      kind: 'begin',
      isolationLevel: 'serializable',
      asOfSystemTime: { value: '-5s' },
    });
    expect(parseOne('START TRANSACTION AS OF SYSTEM TIME now(), READ ONLY')).toMatchObject({
      kind: 'begin',
      readOnly: true,
      asOfSystemTime: { kind: 'funcCall', name: ['now'] },
    });
  });

  it('does not touch strings, comments or quoted identifiers', () => {
    expect(select("SELECT 'AS OF SYSTEM TIME' FROM t")).toMatchObject({
      body: { targets: [{ expr: { kind: 'string', value: 'AS OF SYSTEM TIME' } }] },
    });
    expect(select('SELECT $$x AS OF SYSTEM TIME y$$ FROM t')).not.toHaveProperty('asOfSystemTime');
    expect(select('SELECT * FROM t -- AS OF SYSTEM TIME 1')).not.toHaveProperty('asOfSystemTime');
    expect(select('SELECT * FROM t /* AS OF SYSTEM TIME 1 */ WHERE true')).not.toHaveProperty('asOfSystemTime');
    expect(select('SELECT "as" FROM t')).toMatchObject({ body: { targets: [{ expr: { names: ['as'] } }] } });
    // A quoted "as" is an identifier, not the keyword: PostgreSQL's grammar gets the text untouched.
    expect(thrown(() => parse('SELECT * FROM t "as" OF SYSTEM TIME 1')).code).toBe('SYNTAX_ERROR');
  });

  it('keeps locations in later statements and non-ASCII text right', () => {
    const [a, b] = parse(
      "SELECT * FROM t AS OF SYSTEM TIME 'ü'; SELECT 'é' FROM u AS OF SYSTEM TIME 'é' WHERE x = 'ß'",
    );
    expect(a).toMatchObject({ asOfSystemTime: { value: 'ü', location: 34 } });
    expect(a?.span.text).toBe("SELECT * FROM t AS OF SYSTEM TIME 'ü'");
    expect(b?.span.text).toBe("SELECT 'é' FROM u AS OF SYSTEM TIME 'é' WHERE x = 'ß'");
    expect(b).toMatchObject({
      asOfSystemTime: { value: 'é', location: 36 },
      body: { where: { right: { value: 'ß', location: 50 } } },
    });
    expect(b?.span.text.slice(36, 39)).toBe("'é'");
    expect(b?.span.text.slice(50)).toBe("'ß'");
  });

  it('reports errors at positions in the original text', () => {
    expect(thrown(() => parse("SELECT * FROM t AS OF SYSTEM TIME '😀' WHERE x SELEC"))).toMatchObject({
      code: 'SYNTAX_ERROR',
      message: 'syntax error at or near "SELEC"',
      details: { position: 47 },
    });
    expect(thrown(() => parse('SELECT * FROM t AS OF SYSTEM TIME'))).toMatchObject({
      code: 'SYNTAX_ERROR',
      message: 'syntax error at end of input',
      details: { position: 34 },
    });
    expect(thrown(() => parse('SELECT * FROM t AS OF SYSTEM TIME WHERE true'))).toMatchObject({
      code: 'SYNTAX_ERROR',
      message: 'syntax error at or near "WHERE"',
      details: { position: 35 },
    });
    expect(thrown(() => parse('SELECT * FROM t AS OF SYSTEM TIME 1 + WHERE true')).code).toBe('SYNTAX_ERROR');
  });

  it('is refused where it is not supported', () => {
    expect(thrown(() => parse("SELECT * FROM (SELECT * FROM t AS OF SYSTEM TIME '-1s') s"))).toMatchObject({
      code: 'FEATURE_NOT_SUPPORTED',
      message: 'AS OF SYSTEM TIME in a subquery is not supported',
      details: { position: 32 },
    });
    expect(thrown(() => parse("DELETE FROM t AS OF SYSTEM TIME '1'"))).toMatchObject({ code: 'FEATURE_NOT_SUPPORTED' });
    // Not after a FROM clause: left to PostgreSQL's grammar, which rejects it.
    expect(thrown(() => parse("SELECT 1 AS OF SYSTEM TIME '1'"))).toMatchObject({
      code: 'SYNTAX_ERROR',
      message: 'syntax error at or near "SYSTEM"',
    });
  });
});

describe("parser: CockroachDB's STORING", () => {
  it('is read as INCLUDE in CREATE INDEX', () => {
    expect(parseOne('CREATE UNIQUE INDEX i ON t (a) STORING (b, c) WHERE a > 0')).toMatchObject({
      kind: 'createIndex',
      unique: true,
      include: ['b', 'c'],
      where: { kind: 'binaryOp' },
    });
  });

  it('is left alone elsewhere', () => {
    expect(parseOne('SELECT a storing FROM t')).toMatchObject({ body: { targets: [{ alias: 'storing' }] } });
    expect(parseOne("CREATE INDEX i ON t (a) WHERE b = 'storing (x)'")).toMatchObject({ include: [] });
  });
});
