import { describe, expect, it } from 'vitest';
import { parseDuration, parseErrorSpec, parseSlt, type SltQuery, type SltRecord } from '../src/slt/index.js';

const SCRIPT = `# A sqllogictest script touching every directive.
hash-threshold 8

statement ok
CREATE TABLE t (a INT PRIMARY KEY, b TEXT)

statement count 3
INSERT INTO t VALUES
  (1, 'one'), (2, 'two'), (3, NULL)

statement error 23505
INSERT INTO t VALUES (1, 'dup')

statement error pq: relation "nope" does not exist
SELECT * FROM nope

statement error pgcode 42P01 relation .* does not exist
SELECT * FROM nope

statement error
SELECT 1/0

# classic one value per line, SQLite label
query IT rowsort label-1
SELECT a, b FROM t
----
1
one
2
two
3
NULL

query IT nosort,colnames
SELECT a, b FROM t ORDER BY a
----
a  b
1  one
2  two
3  NULL

query I valuesort
SELECT a FROM t
----
3 values hashing to c0710d6b4f15dfa88f600b0e6b624077

query T label-only
SELECT b FROM t

query error division by zero
SELECT 1/0

query error
SELECT 1/0
----
division by zero

skipif postgresql
onlyif thinklite
query B retry
SELECT true
----
true

skipif config local 3node
query R nodeidx=2
SELECT 1.5
----
1.500

connection other
statement ok
BEGIN

connection second

user testuser

sleep 1500ms

let $x
SELECT 42

control sortmode rowsort

query I
SELECT $x
----
42

subtest joins

query T kvtrace
SELECT 1
----

onlyif mysql
halt

frobnicate the widgets
and more

halt
`;

describe('parseSlt', () => {
  const script = parseSlt(SCRIPT, 'every.slt');
  const recs = script.records;
  const at = (line: number): SltRecord => {
    const r = recs.find((x) => x.line === line);
    if (!r) throw new Error(`no record at line ${line}`);
    return r;
  };
  const query = (line: number): SltQuery => {
    const r = at(line);
    if (r.kind !== 'query') throw new Error(`line ${line} is a ${r.kind}`);
    return r;
  };

  it('finds every record with its header line', () => {
    expect(recs.map((r) => [r.line, r.kind])).toEqual([
      [2, 'hash-threshold'],
      [4, 'statement'],
      [7, 'statement'],
      [11, 'statement'],
      [14, 'statement'],
      [17, 'statement'],
      [20, 'statement'],
      [24, 'query'],
      [34, 'query'],
      [42, 'query'],
      [47, 'query'],
      [50, 'query'],
      [53, 'query'],
      [60, 'query'],
      [66, 'query'],
      [72, 'statement'],
      [75, 'connection'],
      [77, 'user'],
      [79, 'sleep'],
      [81, 'let'],
      [84, 'control'],
      [86, 'query'],
      [91, 'subtest'],
      [93, 'query'],
      [98, 'halt'],
      [100, 'invalid'],
      [103, 'halt'],
    ]);
    expect(script.file).toBe('every.slt');
  });

  it('parses statements: ok, count, error by SQLSTATE, by regex, pgcode + regex, any error', () => {
    expect(at(2)).toMatchObject({ kind: 'hash-threshold', threshold: 8 });
    expect(at(4)).toMatchObject({ sql: 'CREATE TABLE t (a INT PRIMARY KEY, b TEXT)', expect: { type: 'ok' } });
    expect(at(7)).toMatchObject({
      sql: "INSERT INTO t VALUES\n  (1, 'one'), (2, 'two'), (3, NULL)",
      expect: { type: 'count', count: 3 },
    });
    expect(at(11)).toMatchObject({ expect: { type: 'error', error: { sqlstate: '23505' } } });
    expect(at(14)).toMatchObject({
      expect: { type: 'error', error: { pattern: 'pq: relation "nope" does not exist' } },
    });
    expect(at(17)).toMatchObject({
      expect: { type: 'error', error: { sqlstate: '42P01', pattern: 'relation .* does not exist' } },
    });
    expect(at(20)).toMatchObject({ sql: 'SELECT 1/0', expect: { type: 'error', error: {} } });
  });

  it('parses query headers: types, sort modes, comma-separated options, labels', () => {
    expect(query(24)).toMatchObject({
      types: 'IT',
      sortMode: 'rowsort',
      label: 'label-1',
      colnames: false,
      sql: 'SELECT a, b FROM t',
      expected: { kind: 'values', lines: ['1', 'one', '2', 'two', '3', 'NULL'] },
    });
    expect(query(34)).toMatchObject({
      sortMode: 'nosort',
      colnames: true,
      expected: { kind: 'values', columnNames: ['a', 'b'], lines: ['1  one', '2  two', '3  NULL'] },
    });
    expect(query(34).label).toBeUndefined();
    expect(query(42)).toMatchObject({
      sortMode: 'valuesort',
      expected: { kind: 'hash', count: 3, hash: 'c0710d6b4f15dfa88f600b0e6b624077' },
    });
    expect(query(47)).toMatchObject({ types: 'T', label: 'label-only', sql: 'SELECT b FROM t' });
    expect(query(47).expected).toBeUndefined();
    expect(query(47).resultSpan).toBeUndefined();
    expect(query(60)).toMatchObject({ types: 'B', retry: true, expected: { lines: ['true'] } });
    expect(query(66)).toMatchObject({ types: 'R', unsupported: [], expected: { lines: ['1.500'] } });
    expect(query(93)).toMatchObject({ unsupported: ['kvtrace'], expected: { kind: 'values', lines: [] } });
  });

  it('parses query error forms, with a regex or an exact message block', () => {
    expect(query(50)).toMatchObject({ types: '', error: { pattern: 'division by zero' }, sql: 'SELECT 1/0' });
    expect(query(53)).toMatchObject({ error: { message: 'division by zero' }, resultSpan: { separator: 54 } });
    expect(query(53).expected).toBeUndefined();
  });

  it('attaches conditions and a record-level connection to the next record', () => {
    expect(at(60).conditions).toEqual([
      { kind: 'skipif', engine: 'postgresql' },
      { kind: 'onlyif', engine: 'thinklite' },
    ]);
    expect(at(60).span).toEqual({ start: 57, end: 63 });
    expect(at(66).conditions).toEqual([{ kind: 'skipif', configs: ['local', '3node'] }]);
    expect(at(72)).toMatchObject({ kind: 'statement', connection: 'other', sql: 'BEGIN' });
    expect(at(98)).toMatchObject({ kind: 'halt', conditions: [{ kind: 'onlyif', engine: 'mysql' }] });
  });

  it('parses connection, user, sleep, let, control, subtest and unknown directives', () => {
    expect(at(75)).toMatchObject({ kind: 'connection', name: 'second' });
    expect(at(77)).toMatchObject({ kind: 'user', user: 'testuser', args: [] });
    expect(at(79)).toMatchObject({ kind: 'sleep', ms: 1500 });
    expect(at(81)).toMatchObject({ kind: 'let', name: 'x', sql: 'SELECT 42' });
    expect(at(84)).toMatchObject({ kind: 'control', sortMode: 'rowsort' });
    expect(query(86)).toMatchObject({ sortMode: 'rowsort', sql: 'SELECT $x' });
    expect(query(24).sortMode).toBe('rowsort'); // explicit option, before the control line
    expect(query(34).sortMode).toBe('nosort');
    expect(at(91)).toMatchObject({ kind: 'subtest', name: 'joins' });
    expect(at(100)).toMatchObject({ kind: 'invalid', message: 'unknown directive: frobnicate the widgets' });
    expect(at(100).span).toEqual({ start: 99, end: 101 });
  });

  it('records result spans for rewriting', () => {
    const q = query(24);
    expect(q.headerIndex).toBe(23);
    expect(q.sqlEnd).toBe(25);
    expect(q.resultSpan).toEqual({ separator: 25, start: 26, end: 32 });
    expect(script.lines[q.resultSpan?.start ?? -1]).toBe('1');
  });

  it('handles CRLF line endings, a file without a final newline, and comments inside SQL', () => {
    const s = parseSlt('statement ok\r\nSELECT 1\r\n# not SQL\r\nFROM t\r\n\r\nquery I\r\nSELECT 1\r\n----\r\n1');
    expect(s.records).toMatchObject([
      { kind: 'statement', sql: 'SELECT 1\nFROM t' },
      { kind: 'query', expected: { lines: ['1'] } },
    ]);
  });

  it('reports malformed records as invalid and keeps going', () => {
    const s = parseSlt(
      'query\nSELECT 1\n\nstatement maybe\nSELECT 1\n\nhash-threshold x\n\nsleep soon\n\nlet x\nSELECT 1\n\nskipif mysql\n\nstatement ok\nSELECT 2\n',
    );
    expect(s.records.map((r) => (r.kind === 'invalid' ? r.message : r.kind))).toEqual([
      'query without a type string: query',
      'unknown statement form: statement maybe',
      'bad hash-threshold: hash-threshold x',
      'bad sleep duration: sleep soon',
      'let needs a $variable: let x',
      'condition or connection line without a record after it',
      'statement',
    ]);
  });
});

describe('parseErrorSpec', () => {
  it('reads an exact 5-character SQLSTATE as a code and anything else as a regex', () => {
    expect(parseErrorSpec('23505')).toEqual({ sqlstate: '23505' });
    expect(parseErrorSpec(' 42P01 ')).toEqual({ sqlstate: '42P01' });
    expect(parseErrorSpec('XX000')).toEqual({ sqlstate: 'XX000' });
    expect(parseErrorSpec('ERROR')).toEqual({ pattern: 'ERROR' }); // no digit: a word, not a code
    expect(parseErrorSpec('235051')).toEqual({ pattern: '235051' });
    expect(parseErrorSpec('duplicate key')).toEqual({ pattern: 'duplicate key' });
    expect(parseErrorSpec('pgcode 22012')).toEqual({ sqlstate: '22012' });
    expect(parseErrorSpec('')).toEqual({});
  });
});

describe('parseDuration', () => {
  it('reads Go-style durations and bare seconds', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('0.5')).toBe(500);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });
});
