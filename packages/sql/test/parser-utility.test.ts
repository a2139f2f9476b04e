import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, parse, parseOne } from '../src/parser/index.js';

beforeAll(async () => {
  await initParser();
});

const int = (value: number) => ({ kind: 'integer', type: 'int4', value });
const str = (value: string) => ({ kind: 'string', value });

describe('parser: transactions', () => {
  it.each<[string, object]>([
    ['BEGIN', { kind: 'begin' }],
    [
      'BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY',
      { kind: 'begin', isolationLevel: 'serializable', readOnly: true },
    ],
    [
      'START TRANSACTION READ WRITE, ISOLATION LEVEL READ COMMITTED, DEFERRABLE',
      { kind: 'begin', readOnly: false, isolationLevel: 'read committed', deferrable: true },
    ],
    ['BEGIN ISOLATION LEVEL REPEATABLE READ', { isolationLevel: 'repeatable read' }],
    ['COMMIT', { kind: 'commit', chain: false }],
    ['END', { kind: 'commit' }],
    ['COMMIT AND CHAIN', { kind: 'commit', chain: true }],
    ['ROLLBACK', { kind: 'rollback', chain: false }],
    ['ABORT', { kind: 'rollback' }],
    ['SAVEPOINT s1', { kind: 'savepoint', name: 's1' }],
    ['RELEASE s1', { kind: 'releaseSavepoint', name: 's1' }],
    ['RELEASE SAVEPOINT s1', { kind: 'releaseSavepoint', name: 's1' }],
    ['ROLLBACK TO s1', { kind: 'rollbackToSavepoint', name: 's1' }],
    ['ROLLBACK TO SAVEPOINT s1', { kind: 'rollbackToSavepoint', name: 's1' }],
    ['SET TRANSACTION READ ONLY', { kind: 'setTransaction', scope: 'transaction', readOnly: true }],
    [
      'SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE',
      { kind: 'setTransaction', scope: 'session', isolationLevel: 'serializable' },
    ],
  ])('%s', (sql, shape) => {
    expect(parseOne(sql)).toMatchObject(shape);
  });

  it('leaves absent transaction modes out', () => {
    expect(Object.keys(parseOne('BEGIN')).sort()).toEqual(['kind', 'location', 'span']);
  });
});

describe('parser: session statements', () => {
  it.each<[string, object]>([
    ['SET x = 1', { kind: 'set', name: 'x', local: false, value: { kind: 'values', values: [int(1)] } }],
    ["SET LOCAL y TO 'a', 2", { kind: 'set', name: 'y', local: true, value: { values: [str('a'), int(2)] } }],
    ['SET search_path = a, b', { name: 'search_path', value: { values: [str('a'), str('b')] } }],
    ['SET x TO DEFAULT', { kind: 'set', name: 'x', value: { kind: 'default' } }],
    ["SET TIME ZONE 'UTC'", { kind: 'set', name: 'timezone', value: { values: [str('UTC')] } }],
    ['SET TIME ZONE LOCAL', { kind: 'set', name: 'timezone', value: { kind: 'default' } }],
    ["SET NAMES 'utf8'", { kind: 'set', name: 'client_encoding' }],
    ['SET SESSION application_name = on', { kind: 'set', local: false, value: { values: [str('on')] } }],
    ['RESET x', { kind: 'reset', name: 'x' }],
    ['RESET ALL', { kind: 'reset' }],
    ['SHOW x', { kind: 'show', name: 'x' }],
    ['SHOW TIME ZONE', { kind: 'show', name: 'timezone' }],
    ['SHOW ALL', { kind: 'show' }],
  ])('%s', (sql, shape) => {
    expect(parseOne(sql)).toMatchObject(shape);
  });

  it('has no name for RESET ALL / SHOW ALL', () => {
    expect('name' in parseOne('RESET ALL')).toBe(false);
    expect('name' in parseOne('SHOW ALL')).toBe(false);
  });
});

describe('parser: utility statements', () => {
  it.each<[string, object]>([
    [
      'EXPLAIN SELECT 1',
      { kind: 'explain', analyze: false, verbose: false, options: [], statement: { kind: 'select' } },
    ],
    ['EXPLAIN ANALYZE SELECT * FROM t', { kind: 'explain', analyze: true, options: [{ name: 'analyze' }] }],
    [
      'EXPLAIN (ANALYZE, VERBOSE false, FORMAT JSON) DELETE FROM t',
      { analyze: true, verbose: false, format: 'json', statement: { kind: 'delete' } },
    ],
    ['ANALYZE', { kind: 'analyze', tables: [] }],
    ['ANALYZE t', { kind: 'analyze', tables: [{ table: ['t'], columns: [] }] }],
    ['ANALYZE s.t (a, b)', { kind: 'analyze', tables: [{ table: ['s', 't'], columns: ['a', 'b'] }] }],
    ['VACUUM', { kind: 'vacuum', noOp: true, tables: [] }],
    ['VACUUM FULL t', { kind: 'vacuum', noOp: true, tables: [{ table: ['t'] }], options: [{ name: 'full' }] }],
    ['VACUUM (ANALYZE) t', { kind: 'vacuum', noOp: true }],
    [
      'PREPARE p (int, text) AS SELECT $1, $2',
      {
        kind: 'prepare',
        name: 'p',
        paramTypes: [{ names: ['pg_catalog', 'int4'] }, { names: ['text'] }],
        statement: { kind: 'select' },
      },
    ],
    ['PREPARE q AS INSERT INTO t VALUES ($1)', { kind: 'prepare', paramTypes: [], statement: { kind: 'insert' } }],
    ["EXECUTE p(1, 'a')", { kind: 'execute', name: 'p', params: [int(1), str('a')] }],
    ['EXECUTE p', { kind: 'execute', name: 'p', params: [] }],
    ['DEALLOCATE p', { kind: 'deallocate', name: 'p' }],
    ['DEALLOCATE PREPARE p', { kind: 'deallocate', name: 'p' }],
    ['DEALLOCATE ALL', { kind: 'deallocate' }],
    [
      "COPY t (a, b) FROM STDIN WITH (FORMAT csv, HEADER, DELIMITER ',', NULL 'N')",
      {
        kind: 'copy',
        direction: 'from',
        source: { kind: 'table', table: ['t'], columns: ['a', 'b'] },
        format: 'csv',
        header: true,
        delimiter: ',',
        null: 'N',
      },
    ],
    [
      'COPY t TO STDOUT',
      { kind: 'copy', direction: 'to', source: { kind: 'table', columns: [] }, format: 'text', header: false },
    ],
    [
      'COPY (SELECT 1) TO STDOUT',
      { kind: 'copy', direction: 'to', source: { kind: 'query', query: { kind: 'select' } } },
    ],
    ['COPY t FROM STDIN CSV HEADER', { format: 'csv', header: true }],
    ['COPY t FROM STDIN (FORMAT binary)', { format: 'binary' }],
    [
      "COPY t FROM STDIN (FORMAT csv, HEADER match, QUOTE '\"', ESCAPE '\\')",
      { header: 'match', quote: '"', escape: '\\' },
    ],
    ['COPY t FROM STDIN WHERE a > 1', { where: { kind: 'binaryOp' } }],
    ['DISCARD ALL', { kind: 'discard', target: 'all' }],
    ['DISCARD PLANS', { kind: 'discard', target: 'plans' }],
  ])('%s', (sql, shape) => {
    expect(parseOne(sql)).toMatchObject(shape);
  });

  it('splits a transaction script into statements', () => {
    const stmts = parse('BEGIN; SAVEPOINT s; ROLLBACK TO SAVEPOINT s; COMMIT');
    expect(stmts.map((s) => s.kind)).toEqual(['begin', 'savepoint', 'rollbackToSavepoint', 'commit']);
    expect(stmts.map((s) => s.span.text)).toEqual(['BEGIN', 'SAVEPOINT s', 'ROLLBACK TO SAVEPOINT s', 'COMMIT']);
  });
});
