import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness.js';
import { sendCancel } from './pg-client.js';

/** The server driven by the `pg` driver: simple and extended protocol, types, errors, cancel. */

let t: TestServer;
beforeAll(async () => {
  t = await startServer();
  const c = await t.client();
  await c.query('CREATE TABLE t (id int PRIMARY KEY, name text)');
  await c.query("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
});
afterAll(async () => {
  await t.stop();
});

async function sqlstate(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code: string }).code;
  }
  throw new Error('expected the query to fail');
}

describe('simple query protocol', () => {
  it('returns rows with type OIDs and command tags', async () => {
    const c = await t.client();
    const r = await c.query("SELECT 1 AS one, 'x'::text AS s, 2::int8 AS big, NULL::int4 AS nothing");
    expect(r.rows).toEqual([{ one: 1, s: 'x', big: '2', nothing: null }]);
    expect(r.fields.map((f) => f.dataTypeID)).toEqual([23, 25, 20, 23]);
    const ins = await c.query("INSERT INTO t VALUES (10, 'ten')");
    expect(ins.command).toBe('INSERT');
    expect(ins.rowCount).toBe(1);
    const del = await c.query('DELETE FROM t WHERE id = 10');
    expect([del.command, del.rowCount]).toEqual(['DELETE', 1]);
  });

  it('runs several statements of one message in one implicit transaction', async () => {
    const c = await t.client();
    const results = (await c.query("SELECT 1 AS a; SELECT 'two' AS b")) as unknown as { rows: unknown[] }[];
    expect(results.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 'two' }]]);
    // The second INSERT fails: the first is rolled back with it.
    expect(await sqlstate(c.query("INSERT INTO t VALUES (20, 'x'); INSERT INTO t VALUES (1, 'dup')"))).toBe('23505');
    expect((await c.query('SELECT count(*)::int AS n FROM t WHERE id = 20')).rows).toEqual([{ n: 0 }]);
  });

  it('answers an empty query', async () => {
    const c = await t.client();
    const r = await c.query('');
    expect(r.rows ?? []).toEqual([]);
    expect((await c.query('SELECT 5 AS five')).rows).toEqual([{ five: 5 }]);
  });

  it('applies settings from the startup packet, including options -c', async () => {
    const c = await t.client({
      application_name: 'from-startup',
      options: '-c search_path=public -c TimeZone=Asia/Tokyo',
    });
    expect((await c.query('SHOW application_name')).rows).toEqual([{ application_name: 'from-startup' }]);
    expect((await c.query('SHOW timezone')).rows).toEqual([{ timezone: 'Asia/Tokyo' }]);
  });

  it('reports SET of a reported setting with ParameterStatus', async () => {
    const c = await t.client();
    const seen: [string, string][] = [];
    (c as unknown as { connection: NodeJS.EventEmitter }).connection.on(
      'parameterStatus',
      (m: { parameterName: string; parameterValue: string }) => seen.push([m.parameterName, m.parameterValue]),
    );
    await c.query("SET application_name = 'pgwire-test'");
    await c.query("SET TIME ZONE 'Europe/Paris'");
    expect(seen).toContainEqual(['application_name', 'pgwire-test']);
    expect(seen).toContainEqual(['TimeZone', 'Europe/Paris']);
    const r = await c.query("SELECT '2024-01-01 12:00:00+00'::timestamptz::text AS ts");
    expect(r.rows[0].ts).toBe('2024-01-01 13:00:00+01');
  });
});

describe('extended query protocol', () => {
  it('binds parameters (text) and infers their types', async () => {
    const c = await t.client();
    expect((await c.query('SELECT name FROM t WHERE id = $1', [2])).rows).toEqual([{ name: 'b' }]);
    expect((await c.query('SELECT $1::int + $2::int AS s', ['40', 2])).rows).toEqual([{ s: 42 }]);
    expect((await c.query('SELECT $1 AS v', [null])).rows).toEqual([{ v: null }]);
    // Bind must supply exactly the statement's parameters (PostgreSQL: 08P01, not fatal).
    expect(await sqlstate(c.query('SELECT $1::int + $2::int AS s', [1]))).toBe('08P01');
    expect(await sqlstate(c.query('SELECT $1::int AS s', [1, 2]))).toBe('08P01');
    expect((await c.query('SELECT $2::int - $1::int AS s', [1, 3])).rows).toEqual([{ s: 2 }]);
  });

  it('reuses named prepared statements', async () => {
    const c = await t.client();
    const q = { name: 'by-id', text: 'SELECT id, name FROM t WHERE id = $1' };
    expect((await c.query({ ...q, values: [1] })).rows).toEqual([{ id: 1, name: 'a' }]);
    expect((await c.query({ ...q, values: [3] })).rows).toEqual([{ id: 3, name: 'c' }]);
    expect((await c.query({ ...q, values: [99] })).rows).toEqual([]);
  });

  it('answers pipelined queries in order, an error affecting only its own query', async () => {
    const c = await t.client();
    const ps = [
      c.query('SELECT $1::int AS n', [1]),
      c.query('SELECT name FROM t WHERE id = $1', [2]),
      c.query('SELECT 1/0 AS boom'),
      c.query({ name: 'pipe', text: 'SELECT $1::text AS s', values: ['p'] }),
      c.query('SELECT count(*)::int AS n FROM t'),
    ];
    const settled = await Promise.allSettled(ps);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const value = (i: number) => (settled[i] as PromiseFulfilledResult<{ rows: unknown[] }>).value.rows;
    expect(value(0)).toEqual([{ n: 1 }]);
    expect(value(1)).toEqual([{ name: 'b' }]);
    expect((settled[2] as PromiseRejectedResult).reason.code).toBe('22012');
    expect(value(3)).toEqual([{ s: 'p' }]);
    expect(value(4)).toEqual([{ n: 3 }]);
  });

  it('streams a large result', async () => {
    const c = await t.client();
    const r = await c.query('SELECT g, repeat($1, 50) AS pad FROM generate_series(1, 100000) AS g', ['y']);
    expect(r.rowCount).toBe(100000);
    expect(r.rows[99999]).toEqual({ g: 100000, pad: 'y'.repeat(50) });
  });

  it('fetches a portal in parts with a row limit (PortalSuspended)', async () => {
    const c = await t.client();
    const r = await c.query({ text: 'SELECT g FROM generate_series(1, 1000) AS g', rows: 7 } as never);
    const rows = (r as unknown as { rows: { g: number }[] }).rows;
    expect(rows.length).toBe(1000);
    expect(rows[999]).toEqual({ g: 1000 });
  });

  it('reports errors with their SQLSTATE, detail and position, and the session goes on', async () => {
    const c = await t.client();
    expect(await sqlstate(c.query('SELECT * FROM missing_table'))).toBe('42P01');
    const syntax = await c.query('SELEC 1').catch((e: unknown) => e as { code: string; position: string });
    expect(syntax).toMatchObject({ code: '42601', position: '1' });
    // An engine error's location inside the second statement, as a position in the whole string.
    const column = await c
      .query('SELECT 1; SELECT nocol FROM t')
      .catch((e: unknown) => e as { code: string; position: string });
    expect(column).toMatchObject({ code: '42703', position: '18' });
    const dup = (await c.query("INSERT INTO t VALUES (1, 'again')").then(
      () => ({ code: 'none', detail: '' }),
      (e: unknown) => e as { code: string; detail: string },
    )) as { code: string; detail: string };
    expect(dup.code).toBe('23505');
    expect(dup.detail).toContain('already exists');
    expect((await c.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
  });
});

describe('transactions', () => {
  it('commits, rolls back, and reports a failed transaction with 25P02', async () => {
    const c = await t.client();
    await c.query('CREATE TABLE tx (k int PRIMARY KEY)');
    await c.query('BEGIN');
    await c.query('INSERT INTO tx VALUES ($1)', [1]);
    await c.query('COMMIT');
    await c.query('BEGIN');
    await c.query('INSERT INTO tx VALUES (2)');
    expect(await sqlstate(c.query('INSERT INTO tx VALUES (1)'))).toBe('23505');
    expect(await sqlstate(c.query('SELECT 1'))).toBe('25P02');
    await c.query('ROLLBACK');
    expect((await c.query('SELECT k FROM tx ORDER BY k')).rows).toEqual([{ k: 1 }]);
  });

  it('rolls back the transaction of a client that disconnects', async () => {
    const a = await t.client();
    await a.query('CREATE TABLE gone (k int PRIMARY KEY)');
    await a.query('BEGIN');
    await a.query('INSERT INTO gone VALUES (1)');
    await a.end();
    const b = await t.client();
    expect((await b.query('SELECT count(*)::int AS n FROM gone')).rows).toEqual([{ n: 0 }]);
    // The key is free again: the intent was rolled back, not left to block.
    await b.query('INSERT INTO gone VALUES (1)');
  });
});

describe('types', () => {
  it('round-trips values in text format', async () => {
    const c = await t.client();
    await c.query(`CREATE TABLE ty (id int PRIMARY KEY, b bool, i8 int8, n numeric(12,3), f float8, ts timestamptz,
      d date, by bytea, j jsonb, arr int4[], tarr text[], u uuid, s varchar(10))`);
    const values = [
      1,
      true,
      '9007199254740993',
      '12345.678',
      1.5,
      '2024-02-29T12:34:56.789Z',
      '2024-02-29',
      Buffer.from([0, 1, 254, 255]),
      JSON.stringify({ a: [1, 'x', null] }),
      [1, null, 3],
      ['a', 'b,c', null],
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      'short',
    ];
    await c.query('INSERT INTO ty VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)', values);
    await c.query('INSERT INTO ty (id) VALUES (2)');
    const r = await c.query('SELECT b, i8, n, f, ts, d::text AS d, by, j, arr, tarr, u, s FROM ty ORDER BY id');
    expect(r.rows[0]).toEqual({
      b: true,
      i8: '9007199254740993',
      n: '12345.678',
      f: 1.5,
      ts: new Date('2024-02-29T12:34:56.789Z'),
      d: '2024-02-29',
      by: Buffer.from([0, 1, 254, 255]),
      j: { a: [1, 'x', null] },
      arr: [1, null, 3],
      tarr: ['a', 'b,c', null],
      u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      s: 'short',
    });
    expect(Object.values(r.rows[1]).every((v) => v === null)).toBe(true);
  });

  it('sends results in binary format when asked', async () => {
    // pg-types' binary parsers mis-read floats, numerics, timestamps and arrays with NULLs (its
    // binary mode is experimental), so this sticks to the types it reads right; every
    // binary format is checked byte for byte against PostgreSQL in src/pgwire/binary-format.test.ts.
    const c = await t.client({ binary: true } as never);
    const r = await c.query(
      `SELECT $1::int2 AS a, 2::int4 AS b, 9007199254740993::int8 AS c,
        true AS f, 'héllo'::text AS g, ARRAY[1, 2, 3] AS j, ARRAY['x', 'y'] AS k,
        '{"z": 1}'::jsonb AS l, NULL::int4 AS n`,
      [1],
    );
    expect(r.rows[0]).toEqual({
      a: 1,
      b: 2,
      c: '9007199254740993',
      f: true,
      g: 'héllo',
      j: [1, 2, 3],
      k: ['x', 'y'],
      // pg has no binary parser for jsonb: it hands back the bytes as a string (version byte 1, then text).
      l: '\u0001{"z": 1}',
      n: null,
    });
    // Every column came in binary (the extended protocol is used because there is a parameter).
    expect(new Set(r.fields.map((f) => f.format))).toEqual(new Set(['binary']));
  });

  it('accepts binary parameters (bytea Buffers)', async () => {
    const c = await t.client();
    await c.query('CREATE TABLE blobs (id int PRIMARY KEY, data bytea)');
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
    await c.query('INSERT INTO blobs VALUES ($1, $2)', [1, data]);
    const r = await c.query('SELECT data, length(data) AS n FROM blobs WHERE id = 1');
    expect(r.rows[0]).toEqual({ data, n: 300 });
  });
});

describe('cancel', () => {
  it('ignores a cancel request with a wrong key', async () => {
    const c = await t.client();
    const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
    const running = c.query('SELECT count(*)::int AS n FROM generate_series(1, 300000) AS g');
    await sendCancel(t.port, processID, secretKey ^ 1);
    expect((await running).rows).toEqual([{ n: 300000 }]);
  });

  it('cancels a running statement with 57014 and the connection goes on', async () => {
    const c = await t.client();
    let settled = false;
    const running = sqlstate(c.query('SELECT count(*) FROM generate_series(1, 2000000000) AS g')).finally(() => {
      settled = true;
    });
    // A cancel that arrives before the statement starts is dropped (as in PostgreSQL): retry.
    const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
    while (!settled) {
      await sendCancel(t.port, processID, secretKey);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await running).toBe('57014');
    expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });
});
