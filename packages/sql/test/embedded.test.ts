import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Numeric, ThinkLite } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempPath(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-embedded-'));
  dirs.push(dir);
  return path.join(dir, name);
}

function otherProcess(dbPath: string): { ok: boolean; code?: string; n?: string; message?: string } {
  const out = execFileSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', path.join(import.meta.dirname, 'fixtures/open-db.ts'), dbPath],
    { encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').pop() as string);
}

describe('the embedded database (ThinkLite.open)', () => {
  it('runs SQL with parameters and returns typed rows, durably across a reopen', async () => {
    const file = tempPath('app.tlite');
    let db = await ThinkLite.open(file);
    await db.execute('CREATE TABLE notes (id bigserial PRIMARY KEY, title text NOT NULL, stars numeric(3,1), at date)');
    const ins = await db.execute(
      'INSERT INTO notes (title, stars, at) VALUES ($1, $2, $3), ($4, $5, $6) RETURNING id',
      ['first', 4.5, '2026-12-01', 'second', '3', null],
    );
    expect(ins.command).toBe('INSERT 0 2');
    expect(ins.rows.map((r) => r.id)).toEqual([1n, 2n]);
    const res = await db.execute('SELECT id, title, stars, at FROM notes WHERE title = $1', ['first']);
    expect(res.columns.map((c) => [c.name, c.type, c.typeOid])).toEqual([
      ['id', 'bigint', 20],
      ['title', 'text', 25],
      ['stars', 'numeric(3,1)', 1700],
      ['at', 'date', 1082],
    ]);
    const row = res.rows[0] as Record<string, unknown>;
    expect(row.id).toBe(1n);
    expect((row.stars as Numeric).toString()).toBe('4.5');
    expect(row.at).toBe((Date.UTC(2026, 11, 1) - Date.UTC(2000, 0, 1)) / 86_400_000); // days since 2000-01-01
    await db.close();

    db = await ThinkLite.open(file);
    expect(await db.query('SELECT title FROM notes ORDER BY id')).toEqual([{ title: 'first' }, { title: 'second' }]);
    await db.close();
  });

  it('refuses a second process while open, and lets it in after close', async () => {
    const file = tempPath('shared.tlite');
    const db = await ThinkLite.open(file);
    await db.execute('CREATE TABLE notes (id int PRIMARY KEY)');
    await db.execute('INSERT INTO notes VALUES (1), (2)');
    const refused = otherProcess(file);
    expect(refused.ok).toBe(false);
    expect(refused.code).toBe('STORE_LOCKED');
    expect(await db.query('SELECT count(*) AS n FROM notes')).toEqual([{ n: 2n }]); // unharmed
    await db.close();
    expect(otherProcess(file)).toEqual({ ok: true, n: '2' });
  });

  it('prepared statements, and transactions that roll back when their function throws', async () => {
    const db = await ThinkLite.open(tempPath('tx.tlite'));
    await db.execute('CREATE TABLE t (k int PRIMARY KEY, v text)');
    const insert = db.prepare('INSERT INTO t VALUES ($1, $2)');
    for (let i = 1; i <= 3; i++) await insert.execute([i, `v${i}`]);
    await expect(
      db.transaction(async (tx) => {
        await tx.execute("UPDATE t SET v = 'changed'");
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await db.query('SELECT v FROM t ORDER BY k')).map((r) => r.v)).toEqual(['v1', 'v2', 'v3']);
    await db.transaction(async (tx) => {
      await tx.execute('DELETE FROM t WHERE k = 2');
    });
    expect(await db.query('SELECT k FROM t ORDER BY k')).toEqual([{ k: 1 }, { k: 3 }]);
    // Errors carry SQLSTATEs and leave the database usable.
    await expect(db.execute('INSERT INTO t VALUES (1, $1)', ['dup'])).rejects.toMatchObject({ sqlstate: '23505' });
    await expect(db.execute('SELECT nope FROM t')).rejects.toMatchObject({ sqlstate: '42703' });
    expect(await db.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 2n }]);
    await db.close();
    await expect(db.execute('SELECT 1')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('prepared point reads and updates take integer keys as numbers, bigints or text', async () => {
    const db = await ThinkLite.open(tempPath('params.tlite'));
    await db.execute('CREATE TABLE c (id int PRIMARY KEY, name text)');
    await db.execute("INSERT INTO c VALUES (1, 'a'), (2, 'b')");
    const get = db.prepare('SELECT name FROM c WHERE id = $1');
    expect((await get.execute([2])).rows).toEqual([{ name: 'b' }]);
    expect((await get.execute(['1'])).rows).toEqual([{ name: 'a' }]);
    expect((await get.execute([2n])).rows).toEqual([{ name: 'b' }]);
    const put = db.prepare('UPDATE c SET name = $2 WHERE id = $1');
    expect((await put.execute([1, 'z'])).command).toBe('UPDATE 1');
    expect(await db.query('SELECT name FROM c WHERE id >= $1 ORDER BY id', [1])).toEqual([
      { name: 'z' },
      { name: 'b' },
    ]);
    await expect(get.execute(['x'])).rejects.toMatchObject({ sqlstate: '22P02' });
    await db.close();
  });

  it('reads the past with AS OF SYSTEM TIME, alone or in a read-only BEGIN', async () => {
    const db = await ThinkLite.open(tempPath('history.tlite'));
    const pause = () => new Promise((r) => setTimeout(r, 5));
    await db.execute('CREATE TABLE h (k int PRIMARY KEY, v text)');
    await db.execute("INSERT INTO h VALUES (1, 'old')");
    await pause();
    const [{ t }] = (await db.query('SELECT clock_timestamp()::text AS t')) as [{ t: string }];
    await pause();
    await db.execute("UPDATE h SET v = 'new' WHERE k = 1");
    expect(await db.query(`SELECT v FROM h AS OF SYSTEM TIME '${t}'`)).toEqual([{ v: 'old' }]);
    expect(await db.query('SELECT v FROM h')).toEqual([{ v: 'new' }]);
    await db.execute(`BEGIN AS OF SYSTEM TIME '${t}'`);
    expect(await db.query('SELECT v FROM h WHERE k = 1')).toEqual([{ v: 'old' }]);
    await expect(db.execute("UPDATE h SET v = 'x'")).rejects.toMatchObject({ sqlstate: '25006' });
    await db.execute('ROLLBACK');
    await expect(db.execute("SELECT v FROM h AS OF SYSTEM TIME '2999-01-01'")).rejects.toMatchObject({
      sqlstate: '22023',
    });
    // An hour ago the table did not exist yet: the catalog is read as of that time too.
    await expect(db.query("SELECT count(*) AS n FROM h AS OF SYSTEM TIME '-1h'")).rejects.toMatchObject({
      sqlstate: '42P01',
    });
    await db.close();
  });

  it('refuses to treat an ordinary file as a database', async () => {
    const file = tempPath('notes.txt');
    fs.writeFileSync(file, 'hello');
    await expect(ThinkLite.open(file)).rejects.toMatchObject({ code: 'STORE_FOREIGN_DIRECTORY' });
    expect(fs.readFileSync(file, 'utf8')).toBe('hello');
  });

  it('streams a result larger than the memory limit, and stops the query when the loop is left', async () => {
    const db = await ThinkLite.open(tempPath('stream.tlite'));
    await db.execute("SET query_memory_limit = '1MB'");
    // Held whole, 300,000 rows pass 1 MB; streamed, only a batch at a time is held.
    await expect(db.execute("SELECT g, repeat('x', 20) FROM generate_series(1, 300000) g")).rejects.toMatchObject({
      code: 'OUT_OF_MEMORY',
    });
    let n = 0;
    let sum = 0;
    for await (const row of db.stream<{ g: number }>(
      "SELECT g, repeat('x', 20) AS pad FROM generate_series(1, 300000) g WHERE g % 3 = 0 OFFSET 1",
    )) {
      n++;
      sum += row.g;
    }
    expect(n).toBe(99999);
    expect(sum).toBe(15000150000 - 3);
    // Leaving early stops a query that would otherwise run for a billion rows.
    const firstRows: number[] = [];
    for await (const row of db.stream<{ g: number }>('SELECT g FROM generate_series(1, 1000000000) g')) {
      firstRows.push(row.g);
      if (firstRows.length === 5) break;
    }
    expect(firstRows).toEqual([1, 2, 3, 4, 5]);
    // Sorted results come whole, in order; errors mid-stream reach the loop.
    const sorted: number[] = [];
    for await (const row of db.stream<{ g: number }>('SELECT g FROM generate_series(1, 5) g ORDER BY g DESC LIMIT 3')) {
      sorted.push(row.g);
    }
    expect(sorted).toEqual([5, 4, 3]);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const row of db.stream<{ r: number }>(
          'SELECT 10 / (500 - g) AS r FROM generate_series(1, 1000) g',
        )) {
          seen.push(row.r);
        }
      })(),
    ).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(500);
    await db.close();
  });

  it('streams inside a transaction, which goes on after the loop is left', async () => {
    const db = await ThinkLite.open(tempPath('stream-txn.tlite'));
    await db.execute('CREATE TABLE t (id int PRIMARY KEY)');
    await db.execute('INSERT INTO t SELECT g FROM generate_series(1, 2000) g');
    await db.transaction(async (tx) => {
      await tx.execute('DELETE FROM t WHERE id > 1000');
      let n = 0;
      for await (const _ of tx.stream('SELECT id FROM t')) if (++n === 600) break;
      expect(n).toBe(600);
      // The session refuses a second statement while a stream is open …
      const open = tx.stream('SELECT id FROM t');
      await open.next();
      await expect(tx.execute('SELECT 1')).rejects.toMatchObject({ code: 'OBJECT_IN_USE' });
      await open.return(undefined);
      // … and the transaction saw its own delete and is still usable.
      expect((await tx.execute('SELECT count(*) AS n FROM t')).rows[0]?.n).toBe(1000n);
    });
    expect((await db.execute('SELECT count(*) AS n FROM t')).rows[0]?.n).toBe(1000n);
    for await (const row of db.stream('INSERT INTO t VALUES (5000) RETURNING id')) expect(row.id).toBe(5000);
    await db.close();
  });
});
