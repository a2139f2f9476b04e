import { LocalKv } from '@thinklite/kv';
import { MemoryEngine } from '@thinklite/storage';
import { describe, expect, it } from 'vitest';
import { SqlEngine } from '../src/engine/engine.js';

/**
 * UPDATE and DELETE by primary key lock the row they change: a concurrent writer of the same row
 * waits for the first transaction instead of failing its commit with 40001 (CockroachDB's lock
 * wait and read refresh; PostgreSQL's row locks).
 */
async function engine(): Promise<SqlEngine> {
  return SqlEngine.create(new LocalKv({ engine: new MemoryEngine() }));
}

/** Whether a promise has settled after the event loop has had several turns. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  return done;
}

describe('row locks of UPDATE and DELETE by key', () => {
  it('make a concurrent update of the same row wait, then apply on top of the first (no 40001, no lost update)', async () => {
    const e = await engine();
    const a = e.session();
    const b = e.session();
    await a.execute('CREATE TABLE acct (id int PRIMARY KEY, n int)');
    await a.execute('INSERT INTO acct VALUES (1, 0), (2, 0)');
    await a.execute('BEGIN');
    await a.execute('UPDATE acct SET n = n + 10 WHERE id = 1');
    const bUpdate = b.execute('UPDATE acct SET n = n + 1 WHERE id = 1');
    expect(await settled(bUpdate)).toBe(false);
    // Another row is not locked: a third session updates it while b waits.
    const [other] = await e.session().execute('UPDATE acct SET n = n + 5 WHERE id = 2');
    expect(other?.command).toBe('UPDATE 1');
    expect(await settled(bUpdate)).toBe(false);
    await a.execute('COMMIT');
    const [r] = await bUpdate;
    expect(r?.command).toBe('UPDATE 1');
    const [rows] = await a.execute('SELECT id, n FROM acct ORDER BY id');
    expect(rows?.rows).toEqual([
      [1, 11],
      [2, 5],
    ]);
  });

  it('many sessions incrementing one row all succeed, each increment counted once', async () => {
    const e = await engine();
    const setup = e.session();
    await setup.execute('CREATE TABLE counter (id int PRIMARY KEY, n int)');
    await setup.execute('INSERT INTO counter VALUES (1, 0)');
    const sessions = Array.from({ length: 8 }, () => e.session());
    await Promise.all(
      sessions.map(async (s) => {
        for (let i = 0; i < 10; i++) {
          await s.execute('BEGIN');
          await s.execute('UPDATE counter SET n = n + 1 WHERE id = 1');
          await s.execute('COMMIT');
        }
      }),
    );
    const [r] = await setup.execute('SELECT n FROM counter');
    expect(r?.rows).toEqual([[80]]);
  });

  it('a waiting statement stops on cancel and on statement_timeout (57014), and the holder goes on', async () => {
    const e = await engine();
    const a = e.session();
    const b = e.session();
    await a.execute('CREATE TABLE t (id int PRIMARY KEY, v text)');
    await a.execute("INSERT INTO t VALUES (1, 'x')");
    await a.execute('BEGIN');
    await a.execute("UPDATE t SET v = 'a' WHERE id = 1");
    const waiting = b.execute('DELETE FROM t WHERE id = 1');
    expect(await settled(waiting)).toBe(false);
    b.cancel();
    await expect(waiting).rejects.toMatchObject({
      sqlstate: '57014',
      message: 'canceling statement due to user request',
    });
    await b.execute("SET statement_timeout = '50ms'");
    await expect(b.execute("UPDATE t SET v = 'b' WHERE id = 1")).rejects.toMatchObject({
      sqlstate: '57014',
      message: 'canceling statement due to statement timeout',
    });
    await a.execute('COMMIT');
    const [r] = await b.execute('SELECT v FROM t');
    expect(r?.rows).toEqual([['a']]);
  });

  it('report a deadlock with 40P01 and let the other transaction finish', async () => {
    const e = await engine();
    const a = e.session();
    const b = e.session();
    await a.execute('CREATE TABLE t (id int PRIMARY KEY, n int)');
    await a.execute('INSERT INTO t VALUES (1, 0), (2, 0)');
    await a.execute('BEGIN');
    await b.execute('BEGIN');
    await a.execute('UPDATE t SET n = 1 WHERE id = 1');
    await b.execute('UPDATE t SET n = 2 WHERE id = 2');
    const aWaits = a.execute('UPDATE t SET n = 1 WHERE id = 2');
    expect(await settled(aWaits)).toBe(false);
    await expect(b.execute('UPDATE t SET n = 2 WHERE id = 1')).rejects.toMatchObject({
      sqlstate: '40P01',
      message: 'deadlock detected',
    });
    await b.execute('ROLLBACK');
    await aWaits;
    await a.execute('COMMIT');
    const [r] = await a.execute('SELECT id, n FROM t ORDER BY id');
    expect(r?.rows).toEqual([
      [1, 1],
      [2, 1],
    ]);
  });

  it('keep now() at the transaction start after a wait moved its snapshot', async () => {
    const e = await engine();
    const a = e.session();
    const b = e.session();
    await a.execute('CREATE TABLE t (id int PRIMARY KEY, n int)');
    await a.execute('INSERT INTO t VALUES (1, 0)');
    await b.execute('BEGIN');
    const [before] = await b.execute('SELECT now()::text');
    await a.execute('BEGIN');
    await a.execute('UPDATE t SET n = 1 WHERE id = 1');
    const bUpdate = b.execute('UPDATE t SET n = n + 1 WHERE id = 1');
    await new Promise((r) => setTimeout(r, 5));
    await a.execute('COMMIT');
    await bUpdate;
    const [after] = await b.execute('SELECT now()::text, n FROM t');
    expect(after?.rows[0]?.[0]).toBe(before?.rows[0]?.[0]);
    expect(after?.rows[0]?.[1]).toBe(2);
    await b.execute('COMMIT');
  });
});
