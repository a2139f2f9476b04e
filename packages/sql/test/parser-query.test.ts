import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, parseOne, type SelectCore, type Statement, type StatementOf } from '../src/parser/index.js';

beforeAll(async () => {
  await initParser();
});

function select(sql: string): StatementOf<'select'> {
  const s = parseOne(sql);
  if (s.kind !== 'select') throw new Error(`expected select, got ${s.kind}`);
  return s;
}

function core(sql: string): SelectCore {
  const s = select(sql);
  if (s.body.kind !== 'selectCore') throw new Error(`expected selectCore, got ${s.body.kind}`);
  return s.body;
}

const col = (...names: string[]) => ({ kind: 'columnRef', names });
const int = (value: number) => ({ kind: 'integer', type: 'int4', value });
const table = (...name: string[]) => ({ kind: 'table', name });

describe('parser: SELECT', () => {
  it.each<[string, object]>([
    ['SELECT 1', { kind: 'select', body: { kind: 'selectCore', targets: [{ expr: int(1) }], from: [] }, orderBy: [] }],
    [
      'SELECT a AS x, b y, t.* FROM t',
      {
        body: {
          targets: [
            { kind: 'target', expr: col('a'), alias: 'x' },
            { expr: col('b'), alias: 'y' },
            { expr: { kind: 'star', qualifier: ['t'] } },
          ],
          from: [table('t')],
        },
      },
    ],
    ['SELECT DISTINCT a FROM t', { body: { distinct: true, distinctOn: [] } }],
    ['SELECT DISTINCT ON (a, b) a FROM t', { body: { distinct: true, distinctOn: [col('a'), col('b')] } }],
    ['SELECT a FROM t', { body: { distinct: false, distinctOn: [] } }],
    [
      'SELECT * FROM s.t AS x (p, q), db.s.u',
      {
        body: {
          from: [
            { kind: 'table', name: ['s', 't'], alias: { name: 'x', columns: ['p', 'q'] }, only: false },
            { kind: 'table', name: ['db', 's', 'u'] },
          ],
        },
      },
    ],
    ['SELECT * FROM ONLY t', { body: { from: [{ kind: 'table', only: true }] } }],
    [
      'SELECT * FROM (SELECT 1) AS s (x)',
      { body: { from: [{ kind: 'subquery', query: { kind: 'select' }, alias: { name: 's', columns: ['x'] } }] } },
    ],
    [
      'SELECT * FROM generate_series(1, 3) WITH ORDINALITY AS g (n, i)',
      {
        body: {
          from: [
            {
              kind: 'function',
              call: { kind: 'funcCall', name: ['generate_series'] },
              ordinality: true,
              alias: { name: 'g', columns: ['n', 'i'] },
            },
          ],
        },
      },
    ],
    [
      'SELECT * FROM a JOIN b ON a.x = b.x',
      {
        body: {
          from: [
            {
              kind: 'join',
              joinType: 'inner',
              natural: false,
              left: table('a'),
              right: table('b'),
              on: { op: '=' },
              using: [],
            },
          ],
        },
      },
    ],
    [
      'SELECT * FROM a LEFT JOIN b USING (x, y)',
      { body: { from: [{ kind: 'join', joinType: 'left', using: ['x', 'y'] }] } },
    ],
    ['SELECT * FROM a RIGHT OUTER JOIN b ON true', { body: { from: [{ kind: 'join', joinType: 'right' }] } }],
    ['SELECT * FROM a NATURAL FULL JOIN b', { body: { from: [{ kind: 'join', joinType: 'full', natural: true }] } }],
    ['SELECT * FROM a CROSS JOIN b', { body: { from: [{ kind: 'join', joinType: 'cross', natural: false }] } }],
    ['SELECT * FROM a NATURAL JOIN b', { body: { from: [{ kind: 'join', joinType: 'inner', natural: true }] } }],
    ['SELECT * FROM a JOIN b USING (x) AS j', { body: { from: [{ kind: 'join', using: ['x'], usingAlias: 'j' }] } }],
    [
      'SELECT * FROM a JOIN b ON true LEFT JOIN c ON true',
      {
        body: {
          from: [{ kind: 'join', joinType: 'left', left: { kind: 'join', joinType: 'inner' }, right: table('c') }],
        },
      },
    ],
    ['SELECT * FROM (a JOIN b ON true) AS j', { body: { from: [{ kind: 'join', alias: { name: 'j' } }] } }],
    ['SELECT a FROM t WHERE a > 1', { body: { where: { kind: 'binaryOp', op: '>' } } }],
    [
      'SELECT a, count(*) FROM t GROUP BY 1, a HAVING count(*) > 1',
      { body: { groupBy: [int(1), col('a')], having: { kind: 'binaryOp', left: { kind: 'funcCall', star: true } } } },
    ],
    [
      'SELECT sum(a) OVER w FROM t WINDOW w AS (PARTITION BY b ORDER BY c), w2 AS (w ROWS 1 PRECEDING)',
      {
        body: {
          windows: [
            { kind: 'windowDefinition', name: 'w', spec: { partitionBy: [col('b')], orderBy: [{ expr: col('c') }] } },
            {
              name: 'w2',
              spec: {
                baseWindow: 'w',
                frame: { mode: 'rows', start: { kind: 'preceding' }, end: { kind: 'currentRow' } },
              },
            },
          ],
        },
      },
    ],
    [
      'SELECT a FROM t ORDER BY a DESC NULLS FIRST, b ASC, c NULLS LAST',
      {
        orderBy: [
          { kind: 'sortItem', expr: col('a'), direction: 'desc', nulls: 'first' },
          { expr: col('b'), direction: 'asc', nulls: 'default' },
          { expr: col('c'), direction: 'default', nulls: 'last' },
        ],
      },
    ],
    ['SELECT a FROM t LIMIT 10 OFFSET 5', { limit: int(10), offset: int(5), limitWithTies: false }],
    ['SELECT a FROM t LIMIT $1', { limit: { kind: 'param', number: 1 } }],
    ['SELECT a FROM t LIMIT ALL', { limit: { kind: 'null' } }],
    ['SELECT a FROM t FETCH FIRST 3 ROWS ONLY', { limit: int(3), limitWithTies: false }],
    ['SELECT a FROM t OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY', { limit: int(2), offset: int(1) }],
    ['SELECT a FROM t ORDER BY a FETCH FIRST 2 ROWS WITH TIES', { limit: int(2), limitWithTies: true }],
    ['SELECT a FROM t FOR UPDATE', { locking: [{ strength: 'update', tables: [], waitPolicy: 'block' }] }],
    [
      'SELECT a FROM t FOR SHARE OF t NOWAIT',
      { locking: [{ strength: 'share', tables: [['t']], waitPolicy: 'noWait' }] },
    ],
    [
      'SELECT a FROM t FOR NO KEY UPDATE SKIP LOCKED',
      { locking: [{ strength: 'noKeyUpdate', waitPolicy: 'skipLocked' }] },
    ],
    ['SELECT a FROM t FOR KEY SHARE', { locking: [{ strength: 'keyShare' }] }],
    [
      "VALUES (1, 'a'), (2, DEFAULT)",
      {
        kind: 'select',
        body: {
          kind: 'values',
          rows: [
            [int(1), { kind: 'string' }],
            [int(2), { kind: 'default' }],
          ],
        },
      },
    ],
    [
      'SELECT 1 UNION SELECT 2',
      {
        body: {
          kind: 'setOperation',
          op: 'union',
          all: false,
          left: { body: { kind: 'selectCore' } },
          right: { body: { kind: 'selectCore' } },
        },
      },
    ],
    [
      'SELECT 1 UNION ALL SELECT 2 INTERSECT SELECT 3 EXCEPT ALL SELECT 4 ORDER BY 1 LIMIT 1',
      {
        body: {
          kind: 'setOperation',
          op: 'except',
          all: true,
          left: {
            body: {
              kind: 'setOperation',
              op: 'union',
              all: true,
              right: { body: { kind: 'setOperation', op: 'intersect', all: false } },
            },
          },
          right: { body: { targets: [{ expr: int(4) }] } },
        },
        orderBy: [{ expr: int(1) }],
        limit: int(1),
      },
    ],
    [
      '(SELECT 1 ORDER BY 1 LIMIT 1) UNION VALUES (2)',
      { body: { kind: 'setOperation', left: { limit: int(1), orderBy: [{}] }, right: { body: { kind: 'values' } } } },
    ],
    [
      'WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5), q AS MATERIALIZED (SELECT 2) SELECT * FROM r, q',
      {
        with: {
          kind: 'with',
          recursive: true,
          ctes: [
            {
              kind: 'cte',
              name: 'r',
              columns: ['n'],
              materialized: 'default',
              query: { body: { kind: 'setOperation', op: 'union', all: true } },
            },
            { name: 'q', columns: [], materialized: 'always', query: { kind: 'select' } },
          ],
        },
      },
    ],
    [
      'WITH q AS NOT MATERIALIZED (SELECT 1) SELECT * FROM q',
      { with: { recursive: false, ctes: [{ materialized: 'never' }] } },
    ],
    [
      'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
      { with: { ctes: [{ query: { kind: 'delete', table: table('t') } }] } },
    ],
  ])('%s', (sql, shape) => {
    expect(parseOne(sql)).toMatchObject(shape);
  });

  it('has no WITH, LIMIT or OFFSET properties when absent', () => {
    const s = select('SELECT 1');
    expect(Object.keys(s).sort()).toEqual(['body', 'kind', 'limitWithTies', 'location', 'locking', 'orderBy', 'span']);
    expect(core('SELECT 1').where).toBeUndefined();
  });
});

describe('parser: INSERT, UPDATE, DELETE', () => {
  it.each<[string, object]>([
    [
      "INSERT INTO t VALUES (1, 'a')",
      {
        kind: 'insert',
        table: table('t'),
        columns: [],
        source: { kind: 'select', body: { kind: 'values', rows: [[int(1), {}]] } },
        returning: [],
      },
    ],
    [
      'INSERT INTO s.t AS x (a, b) VALUES (1, DEFAULT), (2, 3)',
      {
        table: { kind: 'table', name: ['s', 't'], alias: { name: 'x' } },
        columns: ['a', 'b'],
        source: {
          body: {
            kind: 'values',
            rows: [
              [int(1), { kind: 'default' }],
              [int(2), int(3)],
            ],
          },
        },
      },
    ],
    ['INSERT INTO t SELECT * FROM u', { source: { kind: 'select', body: { kind: 'selectCore', from: [table('u')] } } }],
    ['INSERT INTO t DEFAULT VALUES', { source: { kind: 'defaultValues' } }],
    [
      'INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING',
      {
        onConflict: {
          kind: 'onConflict',
          target: { kind: 'columns', columns: [{ kind: 'indexElement', column: 'a' }] },
          action: { kind: 'nothing' },
        },
      },
    ],
    ['INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING', { onConflict: { action: { kind: 'nothing' } } }],
    [
      'INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING',
      { onConflict: { target: { kind: 'constraint', name: 't_pkey' } } },
    ],
    [
      'INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (a, lower(b)) WHERE a > 0 DO UPDATE SET b = excluded.b, (c, d) = (1, 2) WHERE t.b <> excluded.b RETURNING *, a AS z',
      {
        onConflict: {
          target: {
            kind: 'columns',
            columns: [{ column: 'a' }, { expr: { kind: 'funcCall', name: ['lower'] } }],
            where: { kind: 'binaryOp', op: '>' },
          },
          action: {
            kind: 'update',
            set: [
              { kind: 'assign', column: 'b', value: col('excluded', 'b') },
              { kind: 'multiAssign', columns: ['c', 'd'], value: { kind: 'row', args: [int(1), int(2)] } },
            ],
            where: { kind: 'binaryOp', op: '<>' },
          },
        },
        returning: [{ expr: { kind: 'star', qualifier: [] } }, { expr: col('a'), alias: 'z' }],
      },
    ],
    ['INSERT INTO t OVERRIDING SYSTEM VALUE VALUES (1)', { overriding: 'system' }],
    ['WITH v AS (SELECT 1) INSERT INTO t SELECT * FROM v', { kind: 'insert', with: { ctes: [{ name: 'v' }] } }],
    [
      'UPDATE t SET a = 1, b = DEFAULT WHERE id = $1',
      {
        kind: 'update',
        table: table('t'),
        set: [
          { kind: 'assign', column: 'a', value: int(1) },
          { kind: 'assign', column: 'b', value: { kind: 'default' } },
        ],
        from: [],
        where: { kind: 'binaryOp', right: { kind: 'param', number: 1 } },
        returning: [],
      },
    ],
    [
      'UPDATE t AS x SET (a, b) = (1, 2), (c, d) = (SELECT 1, 2), e = 3 FROM u WHERE x.id = u.id RETURNING a',
      {
        table: { name: ['t'], alias: { name: 'x' } },
        set: [
          { kind: 'multiAssign', columns: ['a', 'b'], value: { kind: 'row' } },
          { kind: 'multiAssign', columns: ['c', 'd'], value: { kind: 'subquery' } },
          { kind: 'assign', column: 'e', value: int(3) },
        ],
        from: [table('u')],
        returning: [{ expr: col('a') }],
      },
    ],
    [
      'DELETE FROM t AS x USING u, v WHERE x.a = u.a RETURNING x.*',
      {
        kind: 'delete',
        table: { name: ['t'], alias: { name: 'x' } },
        using: [table('u'), table('v')],
        where: { kind: 'binaryOp' },
        returning: [{ expr: { kind: 'star', qualifier: ['x'] } }],
      },
    ],
    ['DELETE FROM t', { kind: 'delete', using: [], returning: [] }],
  ])('%s', (sql, shape) => {
    expect(parseOne(sql)).toMatchObject(shape);
  });

  it('types the DML statements', () => {
    const s: Statement = parseOne('DELETE FROM t WHERE a = 1');
    expect(s.kind === 'delete' && s.where?.kind).toBe('binaryOp');
  });
});
