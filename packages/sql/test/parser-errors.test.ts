import { isThinkLiteError } from '@thinklite/base';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorPosition, initParser, parse, parseCache, parseOne, type StatementOf } from '../src/parser/index.js';

beforeAll(async () => {
  await initParser();
});

function thrown(fn: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    if (!isThinkLiteError(e)) throw new Error(`expected a ThinkLiteError, got ${String(e)}`);
    return { code: e.code, message: e.message, details: { ...e.details } };
  }
  throw new Error('expected an error');
}

describe('parser: statement splitting', () => {
  it('splits statements and slices their text by byte offsets, not string indexes', () => {
    const stmts = parse("SELECT 'é'; SELECT 2");
    expect(stmts).toHaveLength(2);
    expect(stmts[0]?.span).toEqual({ text: "SELECT 'é'", offset: 0, codePointOffset: 0 });
    expect(stmts[1]?.span).toEqual({ text: 'SELECT 2', offset: 12, codePointOffset: 12 });
    expect(stmts[1]).toMatchObject({ body: { targets: [{ expr: { kind: 'integer', value: 2, location: 7 } }] } });
  });

  it('handles astral characters (two UTF-16 units, one code point, four bytes)', () => {
    const stmts = parse("SELECT '😀😀'; SELECT 'x', 'ü'");
    expect(stmts.map((s) => s.span.text)).toEqual(["SELECT '😀😀'", "SELECT 'x', 'ü'"]);
    const second = stmts[1] as StatementOf<'select'>;
    expect(second.span.offset).toBe(15);
    expect(second.span.codePointOffset).toBe(13);
    const target = second.body.kind === 'selectCore' ? second.body.targets[1] : undefined;
    expect(target?.expr).toMatchObject({ kind: 'string', value: 'ü', location: 12 });
    // Wire-protocol position of that literal: code points in the whole string, 1-based.
    expect(errorPosition(second, target?.expr.location ?? -1)).toBe(13 + 12 + 1);
    expect(errorPosition(second, -1)).toBeUndefined();
  });

  it('ignores empty statements, comments and whitespace', () => {
    expect(parse('')).toEqual([]);
    expect(parse('   ')).toEqual([]);
    expect(parse(';;')).toEqual([]);
    expect(parse('-- nothing')).toEqual([]);
    const stmts = parse('  SELECT 1 ;; -- one\n  SELECT 2;  ');
    expect(stmts.map((s) => s.span.text)).toEqual(['SELECT 1', 'SELECT 2']);
    expect(stmts[1]?.span.offset).toBe('  SELECT 1 ;; -- one\n  '.length);
  });

  it('parseOne wants exactly one statement', () => {
    expect(parseOne('SELECT 1;').kind).toBe('select');
    expect(thrown(() => parseOne('SELECT 1; SELECT 2'))).toMatchObject({
      code: 'SYNTAX_ERROR',
      message: 'cannot insert multiple commands into a prepared statement',
    });
    expect(thrown(() => parseOne('')).code).toBe('SYNTAX_ERROR');
  });
});

describe('parser: syntax errors', () => {
  it.each<[string, string, number]>([
    ['SELEC 1', 'syntax error at or near "SELEC"', 1],
    ['SELECT 1; SELEC 2', 'syntax error at or near "SELEC"', 11],
    ["SELECT 'é' FROM t WHERE x SELEC", 'syntax error at or near "SELEC"', 27],
    ["SELECT '😀' FROM t WHERE x SELEC", 'syntax error at or near "SELEC"', 27],
    ['SELECT * FROM', 'syntax error at end of input', 14],
    ["SELECT 'abc", 'unterminated quoted string at or near "\'abc"', 8],
    ['SELECT (1', 'syntax error at end of input', 10],
  ])('%s', (sql, message, position) => {
    expect(thrown(() => parse(sql))).toEqual({ code: 'SYNTAX_ERROR', message, details: { position } });
  });

  it('carries the SQLSTATE', () => {
    try {
      parse('SELEC 1');
      expect.unreachable();
    } catch (e) {
      expect(isThinkLiteError(e, 'SYNTAX_ERROR') && e.sqlstate).toBe('42601');
    }
  });
});

describe('parser: unsupported features', () => {
  it.each<[string, string]>([
    ['SELECT * FROM t, LATERAL (SELECT 1) s', 'LATERAL is not supported'],
    ['SELECT * FROM t, LATERAL generate_series(1, t.a)', 'LATERAL is not supported'],
    ['SELECT a FROM t GROUP BY ROLLUP (a)', 'GROUPING SETS, ROLLUP and CUBE is not supported'],
    ['SELECT grouping(a) FROM t GROUP BY a', 'GROUPING() is not supported'],
    ["CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql", 'CREATE FUNCTION is not supported'],
    ['MERGE INTO t USING u ON true WHEN MATCHED THEN DELETE', 'MERGE is not supported'],
    ['SELECT xmlelement(name foo)', 'XML functions is not supported'],
    ["COPY t FROM '/tmp/x'", 'COPY to or from a file (use STDIN or STDOUT) is not supported'],
    ['CREATE TABLE t (a int) PARTITION BY RANGE (a)', 'PARTITION BY is not supported'],
    ['CREATE TABLE t (LIKE u)', 'CREATE TABLE ... LIKE is not supported'],
    ['SELECT * INTO x FROM t', 'SELECT INTO is not supported'],
    ['GRANT SELECT ON t TO bob', 'GRANT and REVOKE is not supported'],
    ['ALTER TABLE t OWNER TO bob', 'ALTER TABLE ... CHANGE OWNER is not supported'],
    ['DROP FUNCTION f', 'DROP FUNCTION is not supported'],
    ['CREATE TABLE t (a int REFERENCES u DEFERRABLE)', 'DEFERRABLE constraints is not supported'],
    ['SELECT a FROM t ORDER BY a USING <', 'ORDER BY ... USING is not supported'],
    ["PREPARE TRANSACTION 'x'", 'two-phase commit (PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED) is not supported'],
    ['ALTER INDEX i RENAME TO j', 'ALTER INDEX ... RENAME is not supported'],
    ['SELECT * FROM t TABLESAMPLE SYSTEM (10)', 'TABLESAMPLE is not supported'],
    ["SET TRANSACTION SNAPSHOT 'x'", 'SET TRANSACTION SNAPSHOT is not supported'],
    ['UPDATE t SET a[1] = 2', 'assignment to a subscript or field is not supported'],
    ['DELETE FROM t WHERE CURRENT OF c', 'WHERE CURRENT OF is not supported'],
    ['LISTEN x', 'LISTEN is not supported'],
    ['WITH RECURSIVE r AS (SELECT 1) SEARCH DEPTH FIRST BY x SET o SELECT * FROM r', 'SEARCH in WITH is not supported'],
  ])('%s', (sql, message) => {
    const e = thrown(() => parse(sql));
    expect(e).toMatchObject({ code: 'FEATURE_NOT_SUPPORTED', message });
    expect(typeof e.details.feature).toBe('string');
  });

  it('gives a position where the feature appears', () => {
    expect(thrown(() => parse('SELECT 1; SELECT a FROM t GROUP BY ROLLUP (a)')).details).toMatchObject({
      position: 36,
    });
  });
});

describe('parser: cache and immutability', () => {
  it('returns the same frozen object for the same text', () => {
    const sql = 'SELECT a, b FROM cache_test WHERE a = $1';
    const a = parse(sql);
    const b = parse(sql);
    expect(b).toBe(a);
    expect(parseOne(sql)).toBe(a[0]);
    expect(Object.isFrozen(a)).toBe(true);
    const s = a[0] as StatementOf<'select'>;
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.body)).toBe(true);
    expect(Object.isFrozen(s.span)).toBe(true);
    expect(() => {
      (s as { kind: string }).kind = 'insert';
    }).toThrow(TypeError);
  });

  it('is bounded (least recently used out first)', () => {
    const capacity = parseCache.capacity;
    try {
      parseCache.clear();
      parseCache.setCapacity(2);
      const one = parse('SELECT 1');
      parse('SELECT 2');
      expect(parse('SELECT 1')).toBe(one); // refreshes SELECT 1
      parse('SELECT 3'); // evicts SELECT 2
      expect(parseCache.size).toBe(2);
      expect(parse('SELECT 1')).toBe(one);
      const two = parse('SELECT 2');
      expect(parse('SELECT 2')).toBe(two);
      expect(parseCache.size).toBe(2);
    } finally {
      parseCache.setCapacity(capacity);
    }
  });

  it('does not cache errors', () => {
    expect(() => parse('SELEC 1')).toThrow();
    expect(() => parse('SELEC 1')).toThrow();
  });
});
