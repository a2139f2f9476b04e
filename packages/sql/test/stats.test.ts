import { LocalKv } from '@thinklite/kv';
import { MemoryEngine } from '@thinklite/storage';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/catalog/catalog.js';
import type { TableDesc } from '../src/catalog/descriptors.js';
import { SqlEngine } from '../src/engine/engine.js';
import { readStats } from '../src/engine/stats.js';

async function setup() {
  const kv = new LocalKv({ engine: new MemoryEngine() });
  const engine = await SqlEngine.create(kv);
  const s = engine.session();
  await s.execute('CREATE TABLE t (id int PRIMARY KEY, g int, note text)');
  await s.execute('CREATE INDEX t_g ON t (g)');
  const stats = () =>
    kv.txn(async (txn) => {
      const db = await new Catalog(txn).database('thinklite');
      const t = (await new Catalog(txn).resolveTable(db as never, ['public'], ['t'])) as TableDesc;
      return { stats: await readStats(txn, t.id), t };
    });
  return { kv, engine, s, stats };
}

describe('table statistics', () => {
  it('ANALYZE counts rows, distinct values and NULLs, and EXPLAIN estimates from them', async () => {
    const { s, stats } = await setup();
    const rows = Array.from({ length: 40 }, (_, i) => `(${i}, ${i % 4}, ${i % 5 === 0 ? 'NULL' : `'n${i}'`})`).join(
      ',',
    );
    await s.execute(`INSERT INTO t VALUES ${rows}`);
    await s.execute('ANALYZE t');
    const { stats: st, t } = await stats();
    expect(st?.rowCount).toBe(40);
    const byName = (n: string) => st?.columns[String(t.columns.find((c) => c.name === n)?.id)];
    expect(byName('g')).toEqual({ distinct: 4, nullFraction: 0 });
    expect(byName('note')).toEqual({ distinct: 32, nullFraction: 0.2 });
    const plan = async (q: string) => String((await s.execute(`EXPLAIN ${q}`))[0]?.rows.at(-1)?.[0]);
    expect(await plan('SELECT * FROM t')).toBe('full scan of t@t_pkey (estimated rows=40)');
    expect(await plan('SELECT * FROM t WHERE g = 2')).toBe(
      '  ->  index scan of t@t_g (1 key column fixed) (estimated rows=10)',
    );
    expect(await plan('SELECT * FROM t WHERE id = 3')).toBe('  ->  point lookup on t@t_pkey (estimated rows=1)');
    await expect(s.execute('ANALYZE t (nope)')).rejects.toMatchObject({ sqlstate: '42703' });
  });

  it('are gathered again automatically once a tenth of the table (plus 100 rows) has changed', async () => {
    const { engine, s, stats } = await setup();
    await s.execute(
      `INSERT INTO t SELECT x, x % 3, NULL FROM (VALUES ${Array.from({ length: 150 }, (_, i) => `(${i})`).join(',')}) v(x)`,
    );
    await engine.backgroundIdle();
    expect((await stats()).stats?.rowCount).toBe(150);
    // 50 more rows: under the threshold (150 / 10 + 100), so the statistics stay as they were.
    await s.execute(
      `INSERT INTO t SELECT x, 0, NULL FROM (VALUES ${Array.from({ length: 50 }, (_, i) => `(${1000 + i})`).join(',')}) v(x)`,
    );
    await engine.backgroundIdle();
    expect((await stats()).stats?.rowCount).toBe(150);
    await s.execute('DELETE FROM t WHERE id < 100');
    await engine.backgroundIdle();
    expect((await stats()).stats?.rowCount).toBe(100);
    // Writes rolled back are not counted.
    await s.execute('BEGIN');
    await s.execute('DELETE FROM t');
    await s.execute('ROLLBACK');
    await engine.backgroundIdle();
    expect((await stats()).stats?.rowCount).toBe(100);
  });
});

describe('statistics and transactions', () => {
  it('planning from statistics does not make a transaction conflict with an ANALYZE that commits meanwhile', async () => {
    const { engine, s } = await setup();
    await s.execute('CREATE TABLE u (id int PRIMARY KEY, tid int)');
    await s.execute('INSERT INTO t SELECT g, g % 3, NULL FROM generate_series(1, 50) g');
    await s.execute('INSERT INTO u SELECT g, g FROM generate_series(1, 50) g');
    await s.execute('ANALYZE');
    const a = engine.session();
    await a.execute('BEGIN');
    // A join: the planner reads both tables' statistics to choose its method.
    const [j] = await a.execute('SELECT count(*) FROM t JOIN u ON u.tid = t.g');
    expect(j?.rows).toEqual([[34n]]);
    await a.execute('INSERT INTO u VALUES (1000, 1)');
    await s.execute('ANALYZE t');
    await a.execute('COMMIT');
    const [n] = await s.execute('SELECT count(*) FROM u');
    expect(n?.rows).toEqual([[51n]]);
  });
});
