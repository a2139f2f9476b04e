import { LocalKv } from '@thinklite/kv';
import { MemoryEngine } from '@thinklite/storage';
import { describe, expect, it } from 'vitest';
import { SqlEngine } from '../src/engine/engine.js';
import type { Session } from '../src/engine/session.js';
import { parse, type Statement } from '../src/parser/index.js';

/** Cancel (PostgreSQL's CancelRequest) and statement_timeout stop a running statement with 57014. */
async function session(): Promise<Session> {
  return (await SqlEngine.create(new LocalKv({ engine: new MemoryEngine() }))).session();
}

describe('interrupting a statement', () => {
  it('cancel() stops a running query; the session goes on, and a cancel while idle does nothing', async () => {
    const s = await session();
    s.cancel(); // idle: ignored
    const running = s.execute('SELECT count(*) FROM generate_series(1, 100000000000)');
    setImmediate(() => s.cancel());
    await expect(running).rejects.toMatchObject({
      sqlstate: '57014',
      message: 'canceling statement due to user request',
    });
    const [r] = await s.execute('SELECT 1 AS one');
    expect(r?.rows).toEqual([[1]]);
  });

  it("stops on the caller's own stop even when it came before the statement started (a gRPC deadline)", async () => {
    const s = await session();
    const [stmt] = parse('SELECT count(*) FROM generate_series(1, 100000000000)');
    const sink = { start: () => {}, rows: () => true };
    // Already past its deadline when the statement begins: cancel() would be ignored now.
    await expect(s.stream(stmt as Statement, [], sink, { stopped: () => true })).rejects.toMatchObject({
      sqlstate: '57014',
    });
    let stop = false;
    const running = s.stream(stmt as Statement, [], sink, { stopped: () => stop });
    setImmediate(() => {
      stop = true;
    });
    await expect(running).rejects.toMatchObject({ sqlstate: '57014' });
    const [r] = await s.execute('SELECT 1 AS one');
    expect(r?.rows).toEqual([[1]]);
  });

  it('cancel inside a transaction fails the statement and aborts the transaction, as in PostgreSQL', async () => {
    const s = await session();
    await s.execute('CREATE TABLE t (id int PRIMARY KEY)');
    await s.execute('INSERT INTO t SELECT g FROM generate_series(1, 5000) g');
    await s.execute('BEGIN');
    const running = s.execute('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r');
    setImmediate(() => s.cancel());
    await expect(running).rejects.toMatchObject({ sqlstate: '57014' });
    await expect(s.execute('SELECT 1')).rejects.toMatchObject({ sqlstate: '25P02' });
    await s.execute('ROLLBACK');
    const [n] = await s.execute('SELECT count(*) FROM t');
    expect(n?.rows).toEqual([[5000n]]);
  });

  it('statement_timeout stops a statement that runs past it', async () => {
    const s = await session();
    await s.execute("SET statement_timeout = '20ms'");
    await expect(s.execute('SELECT count(*) FROM generate_series(1, 100000000000)')).rejects.toMatchObject({
      sqlstate: '57014',
      message: 'canceling statement due to statement timeout',
    });
    await expect(s.execute("SET statement_timeout = 'soon'")).rejects.toMatchObject({ sqlstate: '22023' });
    await s.execute('SET statement_timeout = 0');
    const [r] = await s.execute('SELECT count(*) FROM generate_series(1, 10000)');
    expect(r?.rows).toEqual([[10000n]]);
  });

  it('a long statement lets another session run meanwhile (one process serves every connection)', async () => {
    const engine = await SqlEngine.create(new LocalKv({ engine: new MemoryEngine() }));
    const a = engine.session();
    const b = engine.session();
    const long = a.execute('SELECT count(*) FROM generate_series(1, 100000000000)');
    const [r] = await b.execute('SELECT 2 AS two');
    expect(r?.rows).toEqual([[2]]);
    a.cancel();
    await expect(long).rejects.toMatchObject({ sqlstate: '57014' });
  });
});
