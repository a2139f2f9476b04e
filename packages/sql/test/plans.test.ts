import { LocalKv } from '@thinklite/kv';
import { MemoryEngine } from '@thinklite/storage';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResultColumn } from '../src/engine/context.js';
import { SqlEngine } from '../src/engine/engine.js';
import type { Session } from '../src/engine/session.js';
import { DEFAULT_CONTEXT } from '../src/types/datetime.js';
import { formatText } from '../src/types/text-io.js';

/**
 * Plans must not change answers: the same data and query, on a database with secondary indexes
 * (so point lookups, prefix and range scans, and lookup joins are chosen) and on one without
 * (full scans and hash joins), return the same rows.
 */

async function session(): Promise<Session> {
  const engine = await SqlEngine.create(new LocalKv({ engine: new MemoryEngine() }));
  return engine.session();
}

async function rows(s: Session, sql: string, params: unknown[] = []): Promise<string[]> {
  const [r] = await s.execute(sql, params);
  if (!r) return [];
  return r.rows
    .map((row) =>
      row
        .map((v, i) => (v === null ? 'NULL' : formatText((r.columns[i] as ResultColumn).type, v, DEFAULT_CONTEXT)))
        .join('|'),
    )
    .sort();
}

const SCHEMA = [
  'CREATE TABLE t (id int PRIMARY KEY, a int, b int, c text)',
  'CREATE TABLE u (k int PRIMARY KEY, a int, note text)',
];
const INDEXES = [
  'CREATE INDEX t_a ON t (a)',
  'CREATE INDEX t_ba ON t (b DESC, a)',
  'CREATE UNIQUE INDEX t_c ON t (c)',
  'CREATE INDEX u_a ON u (a)',
];

const value = fc.option(fc.integer({ min: -5, max: 5 }), { nil: null });
const rowArb = fc.record({ a: value, b: value });
const cmp = fc.constantFrom('=', '<', '<=', '>', '>=');
const predicate = fc.oneof(
  fc
    .tuple(fc.constantFrom('a', 'b', 'id'), cmp, fc.integer({ min: -6, max: 6 }))
    .map(([c, op, v]) => `t.${c} ${op} ${v}`),
  fc
    .tuple(fc.constantFrom('a', 'b'), fc.integer({ min: -6, max: 6 }), fc.integer({ min: -6, max: 6 }))
    .map(([c, lo, hi]) => `t.${c} BETWEEN ${lo} AND ${hi}`),
  fc.integer({ min: 0, max: 9 }).map((n) => `t.c = 'c${n}'`),
);
const where = fc.array(predicate, { minLength: 1, maxLength: 3 }).map((ps) => ps.join(' AND '));

describe('plans with and without indexes', () => {
  it('return the same rows for random data, filters and joins', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { maxLength: 25 }),
        fc.array(rowArb, { maxLength: 10 }),
        where,
        async (trows, urows, w) => {
          const plain = await session();
          const indexed = await session();
          for (const s of [plain, indexed]) for (const ddl of SCHEMA) await s.execute(ddl);
          for (const ddl of INDEXES) await indexed.execute(ddl);
          for (const s of [plain, indexed]) {
            for (const [i, r] of trows.entries()) {
              await s.execute('INSERT INTO t VALUES ($1, $2, $3, $4)', [i, r.a, r.b, `c${i % 10 === 7 ? i : i % 10}`]);
            }
            for (const [i, r] of urows.entries())
              await s.execute('INSERT INTO u VALUES ($1, $2, $3)', [i, r.a, `n${i}`]);
          }
          const queries = [
            `SELECT * FROM t WHERE ${w}`,
            `SELECT t.id, u.k FROM t JOIN u ON u.k = t.a WHERE ${w}`,
            `SELECT t.id, u.k FROM t LEFT JOIN u ON u.a = t.b WHERE ${w}`,
            `SELECT t.id, u.k FROM u JOIN t ON t.a = u.a AND t.b = u.k WHERE ${w}`,
            `SELECT t.id, u.k FROM u, t WHERE t.a = u.k AND ${w}`,
            `SELECT t.id, u.k, v.k FROM t, u, u AS v WHERE t.b = v.a AND u.k = t.id AND ${w}`,
          ];
          for (const q of queries) expect(await rows(indexed, q), q).toEqual(await rows(plain, q));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('return the same rows with each join algorithm (hash, merge, lookup / nested loop)', async () => {
    const methods = [
      ['on', 'off', 'off'],
      ['off', 'on', 'off'],
      ['off', 'off', 'on'],
    ] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { maxLength: 25 }),
        fc.array(rowArb, { maxLength: 12 }),
        where,
        fc.boolean(),
        async (trows, urows, w, analyze) => {
          const s = await session();
          for (const ddl of [...SCHEMA, ...INDEXES]) await s.execute(ddl);
          await s.execute('CREATE TABLE v (k int, n int, note text, PRIMARY KEY (k, n))');
          for (const [i, r] of trows.entries()) {
            await s.execute('INSERT INTO t VALUES ($1, $2, $3, $4)', [i, r.a, r.b, `c${i % 10 === 7 ? i : i % 10}`]);
          }
          for (const [i, r] of urows.entries()) {
            await s.execute('INSERT INTO u VALUES ($1, $2, $3)', [i, r.a, `n${i}`]);
            await s.execute('INSERT INTO v VALUES ($1, $2, $3)', [i % 4, i, `v${i}`]);
          }
          if (analyze) await s.execute('ANALYZE');
          const queries = [
            `SELECT t.id, u.k FROM t JOIN u ON u.k = t.a WHERE ${w}`,
            `SELECT t.id, u.k FROM t LEFT JOIN u ON u.a = t.b WHERE ${w}`,
            `SELECT t.id, u.k FROM t RIGHT JOIN u ON u.a = t.b AND t.id > 2`,
            `SELECT t.id, u.k FROM t FULL JOIN u ON u.a = t.a AND u.k <> t.id`,
            `SELECT t.id, u.k FROM u JOIN t ON t.a = u.a AND t.b = u.k WHERE ${w}`,
            `SELECT t.id, v.n FROM t JOIN v ON v.k = t.id WHERE ${w}`,
            `SELECT u.k, v.n FROM u FULL JOIN v ON v.k = u.k AND v.n = u.a`,
            `SELECT t.id, u.k, v.n FROM t, u, v WHERE u.k = t.id AND v.k = u.k AND ${w}`,
          ];
          const expected = new Map<string, string[]>();
          for (const [hash, merge, loop] of methods) {
            await s.execute(`SET enable_hashjoin = ${hash}`);
            await s.execute(`SET enable_mergejoin = ${merge}`);
            await s.execute(`SET enable_nestloop = ${loop}`);
            for (const q of queries) {
              const got = await rows(s, q);
              if (!expected.has(q)) expected.set(q, got);
              else expect(got, `${q} (hash ${hash}, merge ${merge}, nested loop ${loop})`).toEqual(expected.get(q));
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the join methods the settings leave are the ones EXPLAIN shows', async () => {
    const s = await session();
    await s.execute('CREATE TABLE a (id int PRIMARY KEY, x int)');
    await s.execute('CREATE TABLE b (id int PRIMARY KEY, y int)');
    const first = async () =>
      String((await s.execute('EXPLAIN SELECT * FROM a JOIN b ON b.id = a.id'))[0]?.rows[0]?.[0]);
    expect(await first()).toBe('lookup join (inner) on point lookup on b@b_pkey');
    await s.execute('SET enable_nestloop = off');
    expect(await first()).toBe('merge join (inner; left ordered, right ordered)');
    await s.execute('SET enable_mergejoin = false');
    expect(await first()).toBe('hash join (inner)');
    await s.execute('SET enable_hashjoin = no');
    // Everything off: the cheapest still runs the join, as in PostgreSQL.
    expect(await first()).toBe('lookup join (inner) on point lookup on b@b_pkey');
    expect((await s.execute('SHOW enable_hashjoin'))[0]?.rows).toEqual([['off']]);
    await expect(s.execute("SET enable_hashjoin = 'maybe'")).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await s.execute('RESET enable_nestloop');
    expect(await first()).toBe('lookup join (inner) on point lookup on b@b_pkey');
  });

  it('statistics choose between a lookup join and a hash join', async () => {
    const s = await session();
    await s.execute('CREATE TABLE big (id int PRIMARY KEY, small_id int)');
    await s.execute('CREATE TABLE small (id int PRIMARY KEY, name text)');
    await s.execute('INSERT INTO big SELECT g, g % 10 FROM generate_series(1, 3000) g');
    await s.execute("INSERT INTO small SELECT g, 'n' || g FROM generate_series(0, 9) g");
    const plan = async (q: string) => ((await s.execute(`EXPLAIN ${q}`))[0]?.rows ?? []).map((r) => String(r[0]));
    const q = 'SELECT count(*) FROM big JOIN small ON small.id = big.small_id';
    await s.execute('ANALYZE');
    // 3,000 seeks into a 10-row table cost more than hashing it once.
    expect((await plan(q))[1]).toBe('  ->  hash join (inner) (estimated rows=3000)');
    // A few left rows: seeking each is cheaper than reading the other table.
    expect((await plan('SELECT * FROM small JOIN big ON big.id = small.id'))[0]).toMatch(/^lookup join/);
    const [n] = await s.execute(q);
    expect(n?.rows).toEqual([[3000n]]);
    // No index fits the other way round: the hash table is built on the smaller input.
    const q2 = 'SELECT count(*) FROM small JOIN big ON big.small_id = small.id';
    expect((await plan(q2))[1]).toBe('  ->  hash join (inner; built on the left) (estimated rows=3000)');
    const [n2] = await s.execute(q2);
    expect(n2?.rows).toEqual([[3000n]]);
  });

  it('join a FROM list in the order the statistics favour, keeping `*` in the order written', async () => {
    const s = await session();
    await s.execute('CREATE TABLE big (id int PRIMARY KEY, small_id int, v text)');
    await s.execute('CREATE TABLE small (id int PRIMARY KEY, name text)');
    await s.execute("INSERT INTO big SELECT g, g % 10, 'v' || g FROM generate_series(1, 2000) g");
    await s.execute("INSERT INTO small SELECT g, 'n' || g FROM generate_series(0, 9) g");
    await s.execute('ANALYZE');
    const plan = async (q: string) => ((await s.execute(`EXPLAIN ${q}`))[0]?.rows ?? []).map((r) => String(r[0]));
    const q = 'SELECT * FROM big, small WHERE small.id = big.small_id AND big.id <= 3';
    // Written big-first; the join starts from the input estimated smaller.
    const scans = async () => (await plan(q)).filter((l) => l.includes(' scan of ')).map((l) => l.trim());
    expect(await scans()).toEqual([
      '->  full scan of small@small_pkey (estimated rows=10)',
      expect.stringMatching(/^-> {2}range scan of big@big_pkey/),
    ]);
    const [r] = await s.execute(q);
    expect(r?.columns.map((c) => c.name)).toEqual(['id', 'small_id', 'v', 'id', 'name']);
    expect(r?.rows.map((row) => row.map(String)).sort()).toEqual([
      ['1', '1', 'v1', '1', 'n1'],
      ['2', '2', 'v2', '2', 'n2'],
      ['3', '3', 'v3', '3', 'n3'],
    ]);
    // from_collapse_limit = 1: the order written, the same rows and columns.
    await s.execute('SET from_collapse_limit = 1');
    expect((await scans())[0]).toMatch(/^-> {2}range scan of big@big_pkey/);
    const [w] = await s.execute(q);
    expect(w?.columns.map((c) => c.name)).toEqual(['id', 'small_id', 'v', 'id', 'name']);
    expect(w?.rows.map((row) => row.map(String)).sort()).toEqual(r?.rows.map((row) => row.map(String)).sort());
    await expect(s.execute('SET from_collapse_limit = 0')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('use parameters of other integer types in key lookups', async () => {
    const s = await session();
    await s.execute('CREATE TABLE k (id bigint PRIMARY KEY, v text)');
    await s.execute('CREATE INDEX k_v ON k (v)');
    await s.execute("INSERT INTO k VALUES (1, 'x'), (2, 'y'), (3000000000, 'z')");
    expect(await rows(s, 'SELECT v FROM k WHERE id = $1', [3000000000])).toEqual(['z']);
    expect(await rows(s, 'SELECT v FROM k WHERE id = $1', ['2'])).toEqual(['y']);
    expect(await rows(s, 'SELECT id FROM k WHERE v = $1', ['x'])).toEqual(['1']);
    expect(await rows(s, 'SELECT id FROM k WHERE id >= $1 AND id < $2', [2, 3000000001n])).toEqual(['2', '3000000000']);
    expect(await rows(s, 'SELECT id FROM k WHERE id = 2.5')).toEqual([]);
  });
});
