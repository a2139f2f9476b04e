import { LocalKv } from '@thinklite/kv';
import { MemoryEngine } from '@thinklite/storage';
import { describe, expect, it } from 'vitest';
import { SqlEngine } from '../src/engine/engine.js';
import type { Session } from '../src/engine/session.js';
import { parse } from '../src/parser/parse.js';
import { type SqlType, Types, typeName } from '../src/types/type.js';

/** Describe (the extended protocol's): parameter and result types without running the statement. */
async function session(): Promise<Session> {
  const s = (await SqlEngine.create(new LocalKv({ engine: new MemoryEngine() }))).session();
  await s.execute('CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL, score numeric(5,1))');
  return s;
}

async function shape(s: Session, sql: string, declared: (SqlType | undefined)[] = []) {
  const d = await s.describe(parse(sql)[0] as never, declared);
  return { params: d.params.map(typeName), columns: d.columns.map((c) => `${c.name} ${typeName(c.type)}`) };
}

describe('Session.describe', () => {
  it('infers parameter types from use and gives the result columns', async () => {
    const s = await session();
    expect(await shape(s, 'SELECT id, name FROM t WHERE id = $1')).toEqual({
      params: ['integer'],
      columns: ['id integer', 'name text'],
    });
    expect(await shape(s, 'INSERT INTO t VALUES ($1, $2, $3) RETURNING id, score')).toEqual({
      params: ['integer', 'text', 'numeric(5,1)'],
      columns: ['id integer', 'score numeric(5,1)'],
    });
    expect(await shape(s, 'UPDATE t SET name = $2 WHERE id = $1')).toEqual({
      params: ['integer', 'text'],
      columns: [],
    });
    expect(await shape(s, 'DELETE FROM t WHERE score > $1 RETURNING name')).toEqual({
      params: ['numeric(5,1)'],
      columns: ['name text'],
    });
    expect(await shape(s, 'SELECT name, count(*) FROM t GROUP BY name HAVING count(*) > $1 LIMIT $2')).toEqual({
      params: ['bigint', 'bigint'],
      columns: ['name text', 'count bigint'],
    });
    expect(await shape(s, 'SELECT $1')).toEqual({ params: ['text'], columns: ['?column? text'] });
    expect(await shape(s, 'SELECT $1', [Types.int8])).toEqual({ params: ['bigint'], columns: ['?column? bigint'] });
    expect(await shape(s, 'SHOW search_path')).toEqual({ params: [], columns: ['search_path text'] });
    expect(await shape(s, 'CREATE TABLE u (x int)')).toEqual({ params: [], columns: [] });
  });

  it('reads and writes nothing, inside or outside a transaction', async () => {
    const s = await session();
    await shape(s, "INSERT INTO t VALUES (1, 'a', 1)");
    await s.execute('BEGIN');
    await s.execute("INSERT INTO t VALUES (2, 'b', 2)");
    await shape(s, "INSERT INTO t VALUES (3, 'c', 3)");
    await shape(s, 'DELETE FROM t');
    await s.execute('COMMIT');
    const [r] = await s.execute('SELECT id FROM t');
    expect(r?.rows).toEqual([[2]]);
    await expect(shape(s, 'SELECT nope FROM t')).rejects.toMatchObject({ sqlstate: '42703' });
    expect(s.transactionStatus).toBe('idle');
  });

  it('runs a statement with the parameter types the client declared', async () => {
    const s = await session();
    const r = await s.executeStatement(parse('SELECT $1 AS v')[0] as never, ['42'], undefined, {
      paramTypes: [Types.int4],
    });
    expect(r?.columns.map((c) => typeName(c.type))).toEqual(['integer']);
    expect(r?.rows).toEqual([[42]]);
  });

  it('answers again after any catalog change, from this session or another, and per search path', async () => {
    const kv = new LocalKv({ engine: new MemoryEngine() });
    const engine = await SqlEngine.create(kv);
    const s = engine.session();
    const other = engine.session();
    await s.execute('CREATE TABLE t (id int PRIMARY KEY)');
    // One statement object, described before every execution as a driver does.
    const stmt = parse('SELECT * FROM t LIMIT $1')[0] as never;
    const cols = async () => (await s.describe(stmt)).columns.map((c) => c.name);
    expect(await cols()).toEqual(['id']);
    expect(await cols()).toEqual(['id']);
    await other.execute('ALTER TABLE t ADD COLUMN note text');
    expect(await cols()).toEqual(['id', 'note']);
    // Inside a transaction, its own uncommitted change counts.
    await s.execute('BEGIN');
    await s.execute('ALTER TABLE t ADD COLUMN extra int');
    expect(await cols()).toEqual(['id', 'note', 'extra']);
    await s.execute('ROLLBACK');
    expect(await cols()).toEqual(['id', 'note']);
    // Another schema first in the search path resolves `t` elsewhere.
    await other.execute('CREATE SCHEMA s2');
    await other.execute('CREATE TABLE s2.t (a int, b int, c int)');
    await s.execute('SET search_path = s2, public');
    expect(await cols()).toEqual(['a', 'b', 'c']);
    await s.execute('SET search_path = public');
    expect(await cols()).toEqual(['id', 'note']);
  });
});
