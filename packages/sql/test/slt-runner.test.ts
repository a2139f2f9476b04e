import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatFailure,
  formatSummary,
  runSlt,
  runSltFile,
  type SltResult,
  type SltTarget,
  type SltValue,
} from '../src/slt/index.js';
import { defineSltSuite, findSltFiles } from './slt-suite.js';

/**
 * The runner's control flow is tested against `scriptedTarget`: a fixed lookup table from SQL text
 * (optionally `connection: SQL`) to a canned reply. It is a fixture, not a database: it never
 * interprets SQL, it only answers what each test lists. A list of replies answers successive calls
 * (the last one repeats), to exercise `retry`.
 */
type Reply = SltResult | { error: { sqlstate: string; message: string } };

function scriptedTarget(table: Record<string, Reply | Reply[]>) {
  const calls: string[] = [];
  const closed: string[] = [];
  const seen = new Map<string, number>();
  const target: SltTarget = {
    async connect(name) {
      return {
        async query(sql) {
          calls.push(`${name}: ${sql}`);
          const key = `${name}: ${sql}` in table ? `${name}: ${sql}` : sql;
          const entry = table[key];
          if (entry === undefined) {
            throw Object.assign(new Error(`scriptedTarget has no reply for ${JSON.stringify(sql)}`), {
              sqlstate: 'XX000',
            });
          }
          const n = seen.get(key) ?? 0;
          seen.set(key, n + 1);
          const reply = Array.isArray(entry) ? (entry[Math.min(n, entry.length - 1)] as Reply) : entry;
          if ('error' in reply) {
            throw Object.assign(new Error(reply.error.message), { sqlstate: reply.error.sqlstate });
          }
          return reply;
        },
        async close() {
          closed.push(name);
        },
      };
    },
  };
  return { target, calls, closed };
}

const OID: Record<string, number> = { int: 23, text: 25, float: 701, bool: 16 };
/** A SELECT reply: `cols` like 'a:int b:text'. */
function sel(cols: string, ...rows: SltValue[][]): SltResult {
  const columns = cols.split(' ').map((c) => {
    const [name, type] = c.split(':');
    return { name: name as string, typeOid: OID[type ?? 'text'] ?? 25 };
  });
  return { columns, rows, command: `SELECT ${rows.length}` };
}
const tag = (command: string): SltResult => ({ columns: [], rows: [], command });
const err = (sqlstate: string, message: string): Reply => ({ error: { sqlstate, message } });

const TABLE: Record<string, Reply | Reply[]> = {
  'CREATE TABLE t (a INT PRIMARY KEY, b TEXT, c FLOAT8, d BOOL)': tag('CREATE TABLE'),
  "INSERT INTO t VALUES (1, 'one', 1.5, true), (2, '', NULL, false), (3, NULL, 0.1, NULL)": tag('INSERT 0 3'),
  "INSERT INTO t VALUES (1, 'dup', 0, true)": err('23505', 'duplicate key value violates unique constraint "t_pkey"'),
  'SELECT * FROM nope': err('42P01', 'relation "nope" does not exist'),
  'SELECT 1/0': err('22012', 'division by zero'),
  'SELECT a, b, c, d FROM t ORDER BY a': sel(
    'a:int b:text c:float d:bool',
    ['1', 'one', '1.5', 't'],
    ['2', '', null, 'f'],
    ['3', null, '0.1', null],
  ),
  'SELECT a, b FROM t': sel('a:int b:text', ['3', null], ['1', 'one'], ['2', '']),
  'SELECT a FROM t': sel('a:int', ['3'], ['1'], ['2']),
  'SELECT a FROM t WHERE a > 0': sel('a:int', ['1'], ['2'], ['3']),
  'UPDATE t SET d = true WHERE a < 3': tag('UPDATE 2'),
  'SELECT max(a) FROM t': sel('max:int', ['3']),
  'SELECT count(*) FROM t WHERE a < 3': sel('count:int', ['2']),
  BEGIN: tag('BEGIN'),
  'other: SELECT pg_backend_pid()': sel('pid:int', ['200']),
  'SELECT pg_backend_pid()': sel('pid:int', ['100']),
  'SELECT current_user': sel('current_user:text', ['root']),
  'alice: SELECT current_user': sel('current_user:text', ['alice']),
  'SELECT now()': sel('now:text', ['2024-01-01 10:00:00']),
};

const PASSING = `# every kind of record, all passing
statement ok
CREATE TABLE t (a INT PRIMARY KEY, b TEXT, c FLOAT8, d BOOL)

statement count 3
INSERT INTO t VALUES (1, 'one', 1.5, true), (2, '', NULL, false), (3, NULL, 0.1, NULL)

statement error 23505
INSERT INTO t VALUES (1, 'dup', 0, true)

statement error pq: relation "nope" does not exist
SELECT * FROM nope

statement error pgcode 42P01 does not exist
SELECT * FROM nope

statement error
SELECT 1/0

query error division by zero
SELECT 1/0

query error 22012
SELECT 1/0

query error
SELECT 1/0
----
division by zero

query ITRB
SELECT a, b, c, d FROM t ORDER BY a
----
1  one      1.500  true
2  (empty)  NULL   false
3  NULL     0.100  NULL

query ITRB colnames
SELECT a, b, c, d FROM t ORDER BY a
----
a  b        c      d
1  one      1.500  true
2  (empty)  NULL   false
3  NULL     0.100  NULL

query IT rowsort
SELECT a, b FROM t
----
1
one
2
(empty)
3
NULL

query IT valuesort
SELECT a, b FROM t
----
(empty)  1
2        3
NULL     one

query I rowsort
SELECT a FROM t
----
3 values hashing to c0710d6b4f15dfa88f600b0e6b624077

query I rowsort same-rows
SELECT a FROM t
----
1
2
3

query I nosort same-rows
SELECT a FROM t WHERE a > 0

query _
SELECT now()
----
_

statement count 2
UPDATE t SET d = true WHERE a < 3

skipif thinklite
statement ok
DROP TABLE t

onlyif postgresql
query I
SELECT 1
----
1

onlyif thinklite
skipif mysql
query I
SELECT max(a) FROM t
----
3

let $max
SELECT max(a) FROM t

query I
SELECT count(*) FROM t WHERE a < $max
----
2

query I
SELECT pg_backend_pid()
----
100

connection other
query I
SELECT pg_backend_pid()
----
200

query I
SELECT pg_backend_pid()
----
100

connection other

query I
SELECT pg_backend_pid()
----
200

user root

query T
SELECT current_user
----
root

user alice

query T
SELECT current_user
----
alice

hash-threshold 2

sleep 25ms

subtest done

onlyif mysql
halt

statement ok
BEGIN
`;

describe('runSlt', () => {
  it('runs every directive and result form against the scripted target', async () => {
    const { target, calls, closed } = scriptedTarget(TABLE);
    const slept: number[] = [];
    const summary = await runSlt(PASSING, target, {
      file: 'passing.slt',
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    expect(summary.failures.map(formatFailure)).toEqual([]);
    expect(summary).toMatchObject({ file: 'passing.slt', passed: 28, failed: 0, skipped: 2, rewritten: 0 });
    expect(summary.haltedAt).toBeUndefined();
    expect(slept).toEqual([25]);
    // `let` substituted the value; connections and users were routed as written.
    expect(calls).toContain('default: SELECT count(*) FROM t WHERE a < 3');
    expect(calls.filter((c) => c.endsWith('SELECT pg_backend_pid()'))).toEqual([
      'default: SELECT pg_backend_pid()',
      'other: SELECT pg_backend_pid()',
      'default: SELECT pg_backend_pid()',
      'other: SELECT pg_backend_pid()',
    ]);
    expect(calls.filter((c) => c.endsWith('current_user'))).toEqual([
      'default: SELECT current_user',
      'alice: SELECT current_user',
    ]);
    expect(calls).not.toContain('default: DROP TABLE t');
    expect(calls.at(-1)).toBe('alice: BEGIN');
    expect(closed.sort()).toEqual(['alice', 'default', 'other']);
  });

  it('reports each failure with file:line, SQL, expected vs actual, and goes on', async () => {
    const text = [
      'statement ok', //  1
      'SELECT * FROM nope', //  2
      '', //  3
      'query IT', //  4
      'SELECT a, b FROM t', //  5
      '----', //  6
      '3  NULL', //  7
      '1  uno', //  8
      '2  (empty)', //  9
      '', // 10
      'statement error 42P01', // 11
      "INSERT INTO t VALUES (1, 'dup', 0, true)", // 12
      '', // 13
      'statement error relation', // 14
      'BEGIN', // 15
      '', // 16
      'statement count 3', // 17
      'UPDATE t SET d = true WHERE a < 3', // 18
      '', // 19
      'query II', // 20
      'SELECT a FROM t', // 21
      '----', // 22
      '3', // 23
      '', // 24
      'query I', // 25
      'SELECT a FROM t', // 26
      '----', // 27
      '3 values hashing to 00000000000000000000000000000000', // 28
      '', // 29
      'query I rowsort lbl', // 30
      'SELECT max(a) FROM t', // 31
      '', // 32
      'query I rowsort lbl', // 33
      'SELECT count(*) FROM t WHERE a < 3', // 34
      '', // 35
      'query T kvtrace', // 36
      'SELECT 1', // 37
      '----', // 38
      '', // 39
      'frobnicate', // 40
      '', // 41
      'query T colnames', // 42
      'SELECT current_user', // 43
      '----', // 44
      'user', // 45
      'root', // 46
      '', // 47
      'query error pgcode 22012 overflow', // 48
      'SELECT 1/0', // 49
      '', // 50
      'halt', // 51
      '', // 52
      'statement ok', // 53
      'BEGIN', // 54
    ].join('\n');
    const { target, calls } = scriptedTarget(TABLE);
    const summary = await runSlt(text, target, { file: 'bad.slt' });
    expect(summary.failures.map((f) => [f.line, f.title])).toEqual([
      [1, 'statement failed'],
      [4, 'query result mismatch'],
      [11, 'statement failed with the wrong error: expected SQLSTATE 42P01, got 23505'],
      [14, 'statement succeeded, expected /relation/'],
      [17, 'statement count mismatch: expected 3, got 2'],
      [20, 'expected 2 column(s) (II), got 1'],
      [25, 'query result mismatch'],
      [33, 'results differ from those of label lbl at line 30'],
      [36, 'unsupported query option(s): kvtrace'],
      [40, 'cannot parse record: unknown directive: frobnicate'],
      [42, 'column names differ'],
      [48, 'query failed with the wrong error: expected message matching /overflow/'],
    ]);
    expect(summary).toMatchObject({ passed: 1, failed: 12, skipped: 0, haltedAt: 51 });
    expect(calls).not.toContain('default: BEGIN\n'); // nothing ran after halt
    expect(calls.filter((c) => c === 'default: BEGIN')).toHaveLength(1);

    const byLine = (line: number) => {
      const f = summary.failures.find((x) => x.line === line);
      if (!f) throw new Error(`no failure at line ${line}`);
      return formatFailure(f);
    };
    expect(byLine(1)).toBe(
      [
        'bad.slt:1: statement failed',
        '    SELECT * FROM nope',
        '  error: SQLSTATE 42P01: relation "nope" does not exist',
      ].join('\n'),
    );
    expect(byLine(4)).toBe(
      [
        'bad.slt:4: query result mismatch',
        '    SELECT a, b FROM t',
        '  expected   | actual',
        '  3  NULL    | 3  NULL',
        '  1  uno     ! 1  one',
        '  2  (empty) | 2  (empty)',
      ].join('\n'),
    );
    expect(byLine(25)).toBe(
      [
        'bad.slt:25: query result mismatch',
        '    SELECT a FROM t',
        '  expected: 3 values hashing to 00000000000000000000000000000000',
        '  actual:   3 values hashing to 6aedf78b5040f95db16c33d40e836165',
        '    3',
        '    1',
        '    2',
      ].join('\n'),
    );
    expect(byLine(42)).toContain('expected columns: user\n  actual columns:   current_user');
    expect(formatSummary(summary).split('\n')[0]).toBe('bad.slt: 1 passed, 12 failed, 0 skipped');
  });

  it('reports a query failure and an unexpected success of query error', async () => {
    const { target } = scriptedTarget(TABLE);
    const text = 'query I\nSELECT 1/0\n----\n1\n\nquery error .*\nSELECT a FROM t\n';
    const summary = await runSlt(text, target);
    expect(summary.failures.map(formatFailure)).toEqual([
      '<slt>:1: query failed\n    SELECT 1/0\n  error: SQLSTATE 22012: division by zero',
      '<slt>:6: query succeeded, expected /.*/\n    SELECT a FROM t\n  command: SELECT 3',
    ]);
  });

  it('does not accept an error without a SQLSTATE (a crash) as an expected error', async () => {
    const target: SltTarget = {
      async connect() {
        return {
          query: async () => {
            throw new TypeError("Cannot read properties of undefined (reading 'rows')");
          },
          close: async () => {},
        };
      },
    };
    const summary = await runSlt('statement error\nSELECT 1\n\nquery error rows\nSELECT 2\n', target);
    expect(summary.failures.map((f) => [f.line, f.title])).toEqual([
      [1, 'statement threw an error without a SQLSTATE, expected any error'],
      [4, 'query threw an error without a SQLSTATE, expected /rows/'],
    ]);
  });

  it('retries a retry query until its results match, and gives up after the timeout', async () => {
    const stale = sel('n:int', ['1']);
    const fresh = sel('n:int', ['2']);
    const { target, calls } = scriptedTarget({ 'SELECT n FROM r': [stale, stale, fresh] });
    const text = 'query I retry\nSELECT n FROM r\n----\n2\n';
    const summary = await runSlt(text, target);
    expect(summary).toMatchObject({ passed: 1, failed: 0 });
    expect(calls).toHaveLength(3);

    const never = scriptedTarget({ 'SELECT n FROM r': stale });
    const gaveUp = await runSlt(text, never.target, { retryTimeoutMs: 50 });
    expect(gaveUp.failures.map((f) => f.title)).toEqual(['query result mismatch']);
    expect(never.calls.length).toBeGreaterThan(1);
  });

  it('applies engine and config conditions', async () => {
    const { target, calls } = scriptedTarget(TABLE);
    const text = [
      'onlyif config fakedist',
      'statement ok',
      'BEGIN',
      '',
      'skipif config local',
      'query I',
      'SELECT max(a) FROM t',
      '----',
      '3',
      '',
      'onlyif cockroachdb',
      'statement ok',
      'BEGIN',
    ].join('\n');
    const local = await runSlt(text, target, { configs: ['local'] });
    expect(local).toMatchObject({ passed: 0, skipped: 3 });
    expect(calls).toEqual([]);
    const dist = await runSlt(text, target, { configs: ['fakedist'], engine: 'cockroachdb' });
    expect(dist).toMatchObject({ passed: 3, skipped: 0 });
  });
});

describe('rewrite mode', () => {
  it('fills in actual results and keeps everything else as written', async () => {
    const input = [
      '# a new test file',
      'statement ok',
      'CREATE TABLE t (a INT PRIMARY KEY, b TEXT, c FLOAT8, d BOOL)',
      '',
      'query ITRB',
      'SELECT a, b, c, d FROM t ORDER BY a',
      '----',
      'to be filled in',
      '',
      'query IT rowsort',
      'SELECT a, b FROM t',
      '',
      'query IT rowsort',
      'SELECT a, b FROM t',
      '----',
      '1',
      'one',
      '2',
      'wrong',
      '3',
      'NULL',
      '',
      'query TT colnames',
      'SELECT max(a) FROM t',
      '----',
      '',
      '# unchanged because it matches',
      'query I',
      'SELECT a FROM t',
      '----',
      '3',
      '1',
      '2',
      '',
      'hash-threshold 2',
      '',
      'query I valuesort',
      'SELECT a FROM t',
      '----',
      '',
      'query error',
      'SELECT * FROM nope',
      '----',
      'some old message',
      '',
      'statement ok',
      'SELECT * FROM nope',
      '',
    ].join('\n');
    const expected = [
      '# a new test file',
      'statement ok',
      'CREATE TABLE t (a INT PRIMARY KEY, b TEXT, c FLOAT8, d BOOL)',
      '',
      'query ITRB',
      'SELECT a, b, c, d FROM t ORDER BY a',
      '----',
      '1  one      1.500  true',
      '2  (empty)  NULL   false',
      '3  NULL     0.100  NULL',
      '',
      'query IT rowsort',
      'SELECT a, b FROM t',
      '----',
      '1  one',
      '2  (empty)',
      '3  NULL',
      '',
      'query IT rowsort',
      'SELECT a, b FROM t',
      '----',
      '1',
      'one',
      '2',
      '(empty)',
      '3',
      'NULL',
      '',
      'query I colnames',
      'SELECT max(a) FROM t',
      '----',
      'max',
      '3',
      '',
      '# unchanged because it matches',
      'query I',
      'SELECT a FROM t',
      '----',
      '3',
      '1',
      '2',
      '',
      'hash-threshold 2',
      '',
      'query I valuesort',
      'SELECT a FROM t',
      '----',
      '3 values hashing to c0710d6b4f15dfa88f600b0e6b624077',
      '',
      'query error',
      'SELECT * FROM nope',
      '----',
      'relation "nope" does not exist',
      '',
      'statement ok',
      'SELECT * FROM nope',
      '',
    ].join('\n');
    const { target } = scriptedTarget(TABLE);
    const summary = await runSlt(input, target, { rewrite: true, file: 'new.slt' });
    expect(summary.output).toBe(expected);
    expect(summary.rewritten).toBe(6);
    // Mismatching results are rewritten, not failures; a failing statement still fails.
    expect(summary.failures.map((f) => [f.line, f.title])).toEqual([[46, 'statement failed']]);

    // The rewritten file passes as it stands.
    const again = await runSlt(expected, scriptedTarget(TABLE).target);
    expect(again.failures.map((f) => f.line)).toEqual([55]);
    expect(again.passed).toBe(8);
    // And rewriting it again changes nothing.
    const twice = await runSlt(expected, scriptedTarget(TABLE).target, { rewrite: true });
    expect(twice.output).toBe(expected);
    expect(twice.rewritten).toBe(0);
  });

  it('produces the same text when nothing differs, without a trailing newline too', async () => {
    const text = 'query I\nSELECT max(a) FROM t\n----\n3';
    const summary = await runSlt(text, scriptedTarget(TABLE).target, { rewrite: true });
    expect(summary.output).toBe(text);
    expect((await runSlt(text, scriptedTarget(TABLE).target)).output).toBeUndefined();
  });
});

// defineSltSuite over a directory of files written here, to a temporary directory.
const SUITE_DIR = mkdtempSync(path.join(tmpdir(), 'thinklite-slt-'));
mkdirSync(path.join(SUITE_DIR, 'nested'));
writeFileSync(path.join(SUITE_DIR, 'b.slt'), 'query I\nSELECT max(a) FROM t\n----\n3\n');
writeFileSync(path.join(SUITE_DIR, 'nested', 'a.slt'), 'statement error 22012\nSELECT 1/0\n');
writeFileSync(path.join(SUITE_DIR, 'notes.txt'), 'not a test\n');

describe('files', () => {
  it('findSltFiles lists .slt files recursively, sorted', () => {
    expect(findSltFiles(SUITE_DIR)).toEqual(['b.slt', 'nested/a.slt']);
  });

  it('runSltFile reads a file and names it in reports', async () => {
    const file = path.join(SUITE_DIR, 'b.slt');
    const summary = await runSltFile(file, scriptedTarget({ 'SELECT max(a) FROM t': sel('m:int', ['4']) }).target);
    expect(summary.failures.map((f) => `${f.file}:${f.line}`)).toEqual([`${file}:1`]);
  });
});

defineSltSuite(SUITE_DIR, async () => scriptedTarget(TABLE).target, { rewrite: false });
