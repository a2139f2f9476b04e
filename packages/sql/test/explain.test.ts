import { LocalKv } from '@thinklite/kv';
import { MemoryEngine } from '@thinklite/storage';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqlEngine } from '../src/engine/engine.js';
import type { Session } from '../src/engine/session.js';

let s: Session;

async function plan(sql: string): Promise<string[]> {
  const [r] = await s.execute(sql);
  expect(r?.columns.map((c) => c.name)).toEqual(['QUERY PLAN']);
  return (r?.rows ?? []).map((row) => String(row[0]));
}

beforeAll(async () => {
  s = (await SqlEngine.create(new LocalKv({ engine: new MemoryEngine() }))).session();
  await s.execute('CREATE TABLE c (id int PRIMARY KEY, region text, name text)');
  await s.execute('CREATE INDEX c_region ON c (region)');
  await s.execute('CREATE TABLE o (id int PRIMARY KEY, cid int REFERENCES c (id), qty int)');
  await s.execute("INSERT INTO c VALUES (1, 'n', 'a'), (2, 's', 'b')");
  await s.execute('INSERT INTO o VALUES (10, 1, 5), (11, 2, 7), (12, 1, 1)');
});

describe('EXPLAIN', () => {
  it('shows the access path the WHERE clause chooses', async () => {
    expect(await plan('EXPLAIN SELECT name FROM c WHERE id = 1')).toEqual([
      'filter (WHERE)',
      '  ->  point lookup on c@c_pkey',
    ]);
    expect((await plan("EXPLAIN SELECT name FROM c WHERE region = 'n'"))[1]).toBe(
      '  ->  index scan of c@c_region (1 key column fixed)',
    );
    expect((await plan('EXPLAIN SELECT name FROM c WHERE id > 1'))[1]).toBe('  ->  range scan of c@c_pkey');
    expect((await plan('EXPLAIN SELECT name FROM c'))[0]).toBe('full scan of c@c_pkey');
  });

  it('shows lookup and hash joins, aggregation, sorting and limits', async () => {
    expect(
      await plan(
        'EXPLAIN SELECT c.name, sum(o.qty) FROM o JOIN c ON c.id = o.cid GROUP BY c.name ORDER BY 2 DESC LIMIT 1',
      ),
    ).toEqual([
      'limit',
      '  ->  sort (1 key, top-N 1)',
      '        ->  hash aggregate (group by 1 key, 1 aggregate)',
      '              ->  lookup join (inner) on point lookup on c@c_pkey',
      '                    ->  full scan of o@o_pkey',
    ]);
    // o's foreign key got an index on cid, so the join can go either way round.
    expect((await plan('EXPLAIN SELECT * FROM c JOIN o ON o.cid = c.id'))[0]).toBe(
      'lookup join (inner) on index scan of o@o_cid_idx (1 key column fixed)',
    );
    expect((await plan('EXPLAIN SELECT * FROM c FULL JOIN o ON o.cid = c.id'))[0]).toBe('hash join (full)');
  });

  it('ANALYZE runs the query and reports its rows and time; plain EXPLAIN reads nothing', async () => {
    const lines = await plan('EXPLAIN ANALYZE SELECT * FROM o WHERE qty > 2');
    expect(lines[0]).toBe('filter (WHERE)  (actual rows=2)');
    expect(lines[lines.length - 1]).toMatch(/^Execution Time: \d+\.\d{3} ms$/);
    // Every step reports the rows it produced.
    expect(lines[1]).toBe('  ->  full scan of o@o_pkey  (actual rows=3)');
    await s.execute('EXPLAIN DELETE FROM o WHERE id = 10');
    const [count] = await s.execute('SELECT count(*) FROM o');
    expect(count?.rows[0]?.[0]).toBe(3n);
    expect(await plan('EXPLAIN UPDATE o SET qty = 0 WHERE id = 11')).toEqual([
      'update on o',
      '  ->  filter (WHERE)',
      '        ->  point lookup on o@o_pkey',
    ]);
  });

  it('ANALYZE counts the rows of every step of a join, an aggregation and a sort', async () => {
    const lines = await plan(
      'EXPLAIN ANALYZE SELECT c.region, count(*) FROM c JOIN o ON o.cid = c.id WHERE o.qty > 1 GROUP BY c.region HAVING count(*) > 1 ORDER BY 1',
    );
    expect(lines.slice(0, -1)).toEqual([
      'sort (1 key)  (actual rows=0)',
      '  ->  filter (HAVING)  (actual rows=0)',
      '        ->  hash aggregate (group by 1 key, 2 aggregates)  (actual rows=2)',
      '              ->  filter (WHERE)  (actual rows=2)',
      '                    ->  lookup join (inner) on index scan of o@o_cid_idx (1 key column fixed)  (actual rows=3)',
      '                          ->  full scan of c@c_pkey  (actual rows=2)',
    ]);
  });

  it('LIMIT stops the scan early; with ORDER BY it keeps only the first rows (top-N)', async () => {
    await s.execute('CREATE TABLE big (id int PRIMARY KEY, v int)');
    await s.execute('INSERT INTO big SELECT g, g % 7 FROM generate_series(1, 5000) g');
    const limited = await plan('EXPLAIN ANALYZE SELECT * FROM big LIMIT 3');
    expect(limited[0]).toBe('limit  (actual rows=3)');
    // The scan stopped after the batch that held the third row, far short of 5,000.
    const scanned = Number(/actual rows=(\d+)/.exec(limited[1] ?? '')?.[1]);
    expect(scanned).toBeGreaterThanOrEqual(3);
    expect(scanned).toBeLessThan(5000);
    const [top] = await s.execute('SELECT id, v FROM big ORDER BY v DESC, id LIMIT 4 OFFSET 2');
    expect(top?.rows).toEqual([
      [20, 6],
      [27, 6],
      [34, 6],
      [41, 6],
    ]);
    expect((await plan('EXPLAIN SELECT id FROM big ORDER BY v LIMIT 5'))[1]).toBe('  ->  sort (1 key, top-N 5)');
  });

  it('reads only the index when it holds every column the query uses (covering indexes)', async () => {
    await s.execute('CREATE TABLE p (id int PRIMARY KEY, sku text, price numeric(8,2), stock int, note text)');
    await s.execute('CREATE INDEX p_sku ON p (sku) INCLUDE (stock)');
    await s.execute('CREATE INDEX p_price ON p (price)');
    await s.execute("INSERT INTO p VALUES (1, 'a', 1.50, 5, 'x'), (2, 'b', 2.00, 0, 'y'), (3, 'c', 1.50, 7, NULL)");
    const first = async (q: string) => (await plan(`EXPLAIN ${q}`)).find((l) => /scan|lookup/.test(l))?.trim();
    expect(await first("SELECT id, stock FROM p WHERE sku >= 'b'")).toBe('->  index-only range scan of p@p_sku');
    const [r] = await s.execute("SELECT id, sku, stock FROM p WHERE sku >= 'b' ORDER BY sku");
    expect(r?.rows).toEqual([
      [2, 'b', 0],
      [3, 'c', 7],
    ]);
    // A column the index does not hold sends each entry to the table.
    expect(await first("SELECT note FROM p WHERE sku = 'a'")).toBe('->  index scan of p@p_sku (1 key column fixed)');
    // numeric keys lose their scale in the key encoding (1.50 and 1.5 sort alike): read from the table.
    expect(await first('SELECT id, price FROM p WHERE price = 1.5')).toBe(
      '->  index scan of p@p_price (1 key column fixed)',
    );
    const [prices] = await s.execute('SELECT price::text FROM p WHERE price = 1.5 ORDER BY id');
    expect(prices?.rows).toEqual([['1.50'], ['1.50']]);
  });
});
